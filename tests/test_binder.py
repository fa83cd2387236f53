"""Binder's environment, built from ``binder/`` alone, runs the quickstart.

As repo2docker does: a fresh virtual environment, ``pip install -r binder/requirements.txt``, then
``binder/postBuild`` in a copy of the repository's tracked files with that environment first on ``PATH``;
nothing else of the repository is installed. The quickstart then runs through ``binder/start`` (Binder's
entry point) with ``jupyter nbconvert --execute`` (nbclient) on that environment's own ``python3`` kernel, and
starts the local identity provider inside the kernel, as it does on Binder. pip's own cache is kept between
runs, so only the first run downloads JupyterLab and pandas.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def run(step: str, command: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    """Run one build step; on failure, fail the test with the step, the command and the ends of its output."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as expired:
        out = (expired.stdout or b"")[-3000:] if isinstance(expired.stdout, bytes) else expired.stdout
        pytest.fail(f"{step}: timed out after {timeout:g} s\ncommand: {command}\noutput:\n{out}")
    if done.returncode != 0:
        pytest.fail(
            f"{step}: exit code {done.returncode}\ncommand: {' '.join(command)}\n"
            f"--- stdout (end) ---\n{done.stdout[-3000:]}\n--- stderr (end) ---\n{done.stderr[-5000:]}"
        )
    return done.stdout


def copy_checkout(target: Path) -> None:
    """The repository's tracked files (what Binder clones), without .venv, caches or untracked files."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def clean_environment(venv: Path, tmp_path: Path) -> dict[str, str]:
    """The caller's environment minus anything that would let this checkout or .venv leak in."""
    drop = ("PYTHON", "VIRTUAL_ENV", "NBAUTH_", "JUPYTER", "AZURE_", "JPY_", "IPYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    outer = {str(Path(sys.prefix) / "bin"), str(ROOT / ".venv" / "bin")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p not in outer]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env["VIRTUAL_ENV"] = str(venv)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")  # the notebooks' caches; pip's cache stays put:
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def outputs_of(notebook: dict) -> str:
    return json.dumps([cell.get("outputs", []) for cell in notebook["cells"]])


@pytest.mark.kernel
@pytest.mark.timeout(1200)
def test_binder_environment_runs_the_quickstart(tmp_path):
    venv, repo, out = tmp_path / "venv", tmp_path / "repo", tmp_path / "out"
    copy_checkout(repo)
    assert (repo / "binder" / "postBuild").exists() and (repo / "notebooks" / "quickstart.ipynb").exists()
    base_python = getattr(sys, "_base_executable", None) or sys.executable
    create = [base_python, "-m", "venv", str(venv)]
    run("create the virtual environment", create, cwd=tmp_path, env=dict(os.environ), timeout=120)
    env = clean_environment(venv, tmp_path)
    python = str(venv / "bin" / "python")
    install = [python, "-m", "pip", "install", "-r", "binder/requirements.txt"]
    run("pip install -r binder/requirements.txt", install, cwd=repo, env=env, timeout=900)
    run("binder/postBuild", ["bash", "binder/postBuild"], cwd=repo, env=env, timeout=600)

    where = run("import nbauth", [python, "-c", "import nbauth; print(nbauth.__file__)"], cwd=tmp_path,
                env=env, timeout=60)  # fmt: skip
    assert str(venv) in where and str(ROOT) not in where, f"nbauth came from {where!r}, not binder's install"

    env["NBAUTH_DEMO_AUTO_APPROVE"] = "0.2"  # binder/start keeps a value that is set
    run("binder/start jupyter nbconvert --execute notebooks/quickstart.ipynb",
        ["bash", "binder/start", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=120", "--ExecutePreprocessor.kernel_name=python3",
         "--output-dir", str(out), "notebooks/quickstart.ipynb"],
        cwd=repo, env=env, timeout=300)  # fmt: skip

    notebook = json.loads((out / "quickstart.ipynb").read_text())
    text = outputs_of(notebook)
    errors = [
        o for cell in notebook["cells"] for o in cell.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors == [], f"error outputs: {[(o['ename'], o['evalue']) for o in errors]}"
    assert "running in this kernel" in text  # the kernel started its own provider, as on Binder
    assert "Signed in: access token acquired" in text and "Ada Lovelace" in text
    assert "enter the code" not in text and not JWT.search(text)


def test_binder_start_keeps_a_set_auto_approve_and_runs_the_command(tmp_path):
    script = ROOT / "binder" / "start"
    env = {**os.environ, "NBAUTH_DEMO_AUTO_APPROVE": "7"}
    shown = subprocess.run(["bash", str(script), "printenv", "NBAUTH_DEMO_AUTO_APPROVE"], env=env,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert shown.strip() == "7"
    env.pop("NBAUTH_DEMO_AUTO_APPROVE")
    shown = subprocess.run(["bash", str(script), "printenv", "NBAUTH_DEMO_AUTO_APPROVE"], env=env,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert float(shown) > 0
