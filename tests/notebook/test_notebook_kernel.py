"""A notebook that uses the magics, executed by a real ipykernel through nbclient (a batch run, like CI).

The kernel reaches the local identity provider through environment variables it inherits:
``NBAUTH_AUTHORITY``, ``NBAUTH_CLIENT_ID``, ``NBAUTH_SCOPES``, ``NBAUTH_TOKEN_CACHE``, ``NBAUTH_HTTP_CACHE``.
The saved .ipynb must hold none of the tokens, codes or secrets the provider issued.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nbauth.testing import LocalIdentityProvider

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    "%load_ext nbauth",
    "%token",  # a batch kernel: an error that says how to proceed, never a hang
    "%token --wait --timeout 60 -o tok",  # polls the device code; the provider auto-approves
    "%nbauth status",
    "%nbauth accounts",
    "import requests\n"
    "bearer = {'Authorization': 'Bearer ' + tok['access_token']}\n"
    "requests.get(API, headers=bearer, timeout=10).json()['name']",
    "tok",
    "%token",  # now from the persisted cache
    "%nbauth signout --all",
]


def build_notebook(api_url: str) -> object:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"API = {api_url!r}")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {
        "name": "nbauth-test",
        "display_name": "nbauth test",
        "language": "python",
    }
    return notebook


def install_kernelspec(jupyter_path: Path) -> None:
    """A kernelspec running this interpreter (so it imports this checkout's nbauth), in JUPYTER_PATH."""
    spec_dir = jupyter_path / "kernels" / "nbauth-test"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nbauth test",
        "language": "python",
        "env": {"PYTHONPATH": str(ROOT)},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))


# nbclient runs in its own process, as papermill or a CI job would; its zmq sockets stay out of this one.
# The runner starts the kernel itself to know its pid. nbclient leaves a kernel it was handed (km=) running
# unless told to clean up, so: cleanup_kc=True (shuts the kernel down, stops the client's channels), and a
# shutdown in finally in case the run failed before nbclient took over. Then it reports whether the kernel
# process is gone (reaped), checked here, before this process ends and an orphaned kernel's parent poller
# would stop it anyway.
RUNNER = """
import os, sys, nbformat, nbclient
from jupyter_client.manager import KernelManager
notebook = nbformat.read(sys.argv[1], as_version=4)
km = KernelManager(kernel_name="nbauth-test")
km.start_kernel()
pid = km.provisioner.pid
try:
    client = nbclient.NotebookClient(notebook, km=km, timeout=120, shutdown_kernel="immediate")
    client.execute(cleanup_kc=True)
    assert client.kc is None, "the kernel client was not closed"
finally:
    if km.has_kernel:
        km.shutdown_kernel(now=True)
    try:
        os.kill(pid, 0)  # succeeds while the process runs, or has exited but was not reaped
    except ProcessLookupError:
        print("kernel", pid, "gone")
    else:
        print("kernel", pid, "left running")
nbformat.write(notebook, sys.argv[1])
"""


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def outputs_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts += [str(v) for v in output.get("data", {}).values()] + [str(output.get("text", ""))]
    return "\n".join(parts)


@pytest.mark.kernel
def test_magics_in_a_batch_kernel_leave_no_secret_in_the_saved_notebook(tmp_path, monkeypatch):
    with LocalIdentityProvider(auto_approve=0) as idp:
        monkeypatch.setenv("NBAUTH_AUTHORITY", idp.authority)
        monkeypatch.setenv("NBAUTH_CLIENT_ID", idp.public_client_id)
        monkeypatch.setenv("NBAUTH_SCOPES", idp.api_scope)
        monkeypatch.setenv("NBAUTH_TOKEN_CACHE", str(tmp_path / "tokens.json"))
        monkeypatch.setenv("NBAUTH_HTTP_CACHE", str(tmp_path / "throttle.sqlite"))
        for name in ("AZURE_CLIENT_SECRET", "NBAUTH_INTERACTIVE", "JPY_SESSION_NAME"):
            monkeypatch.delenv(name, raising=False)
        install_kernelspec(tmp_path / "jupyter")
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
        path = tmp_path / "magics_demo.ipynb"
        nbformat.write(build_notebook(idp.api_url), path)
        run = subprocess.run(
            [sys.executable, "-c", RUNNER, str(path)], capture_output=True, text=True, timeout=240
        )
        assert run.returncode == 0, run.stderr[-3000:]
        pid = int(re.search(r"^kernel (\d+) ", run.stdout, re.MULTILINE).group(1))
        assert f"kernel {pid} gone" in run.stdout and not process_running(pid)
        saved = path.read_text()
        notebook = nbformat.reads(saved, as_version=4)
        secrets = idp.issued_secrets()

    cells = notebook.cells
    assert "interaction_required" in outputs_text(cells[2]) and "--wait --timeout" in outputs_text(cells[2])
    assert "Signed in" in outputs_text(cells[3]) and "enter the code" not in outputs_text(cells[3])
    assert "ada@contoso.example" in outputs_text(cells[5])
    assert "Ada Lovelace" in outputs_text(cells[6])
    assert "…(" in outputs_text(cells[7])  # the masked token
    assert "cache" in outputs_text(cells[8])
    assert "ada@contoso.example" in outputs_text(cells[9])
    assert secrets and [s for s in secrets if s in saved] == []
