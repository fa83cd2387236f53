"""Start the local identity provider and JupyterLab on notebooks/, wired together; Ctrl-C stops both.

The kernels JupyterLab starts inherit ``NBAUTH_DEMO_PROVIDER`` (the provider's description as JSON, with the
address of a loopback control server that lets notebooks script its faults), so the notebooks talk to this
provider instead of starting their own (``nbauth.testing.demo.demo_provider``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

from nbauth.testing import LocalIdentityProvider
from nbauth.testing.demo import DemoControl

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab's port on 127.0.0.1")
    parser.add_argument("--idp-port", type=int, default=0, help="the provider's port (default: a free one)")
    parser.add_argument(
        "--auto-approve", type=float, default=None, metavar="SECONDS", help="approve sign-ins by itself"
    )
    return parser.parse_args()


def start_lab(port: int, token: str, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """JupyterLab in its own session (a Ctrl-C reaches only this launcher, which stops it), logging to ``log``
    (a pipe nobody reads would fill up and stall the server)."""
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT / 'notebooks'}",
        f"--IdentityProvider.token={token}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
        "jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; JupyterLab refuses that otherwise
    return subprocess.Popen(  # noqa: S603
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for_lab(url: str, lab: subprocess.Popen[bytes], log_path: str, timeout: float = 120) -> str | None:
    """None once JupyterLab answers, else why not (the tail of its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and lab.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return None
        except OSError:
            time.sleep(0.3)
    tail = Path(log_path).read_text(errors="replace")[-2000:]
    exited = lab.poll() is not None
    why = f"exited with code {lab.returncode}" if exited else f"did not answer within {timeout:g} s"
    return f"JupyterLab {why} (log: {log_path}):\n{tail}"


def main() -> None:
    args = parse_args()
    token = secrets.token_urlsafe(24)
    idp = LocalIdentityProvider(port=args.idp_port, auto_approve=args.auto_approve)
    idp.device_code_interval = 2  # a person approving sees the notebook go on within two seconds
    with idp, DemoControl(idp) as control:
        env = {**os.environ, "NBAUTH_DEMO_PROVIDER": json.dumps(control.description())}
        log = tempfile.NamedTemporaryFile(prefix="nbauth-demo-jupyterlab-", suffix=".log", delete=False)  # noqa: SIM115
        lab = start_lab(args.port, token, env, log)
        base = f"http://127.0.0.1:{args.port}"
        problem = wait_for_lab(f"{base}/api/status?token={token}", lab, log.name)
        if problem:
            stop_lab(lab)
            sys.exit(problem)
        print(f"Identity provider: {idp.authority}", flush=True)
        print(f"JupyterLab:        {base}/lab/tree/quickstart.ipynb?token={token}", flush=True)
        how = "approve sign-ins on the provider's page" if args.auto_approve is None else "auto-approved"
        print(f"Demo user:         {idp.username} ({how})", flush=True)
        print(f"JupyterLab's log:  {log.name}", flush=True)
        print("Open the JupyterLab address in your browser. Press Ctrl-C to stop.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: lab.terminate())
        try:
            lab.wait()
        except KeyboardInterrupt:
            stop_lab(lab)
    print("Stopped.")


def stop_lab(lab: subprocess.Popen[bytes]) -> None:
    lab.terminate()
    try:
        lab.wait(timeout=20)
    except subprocess.TimeoutExpired:
        lab.kill()
        lab.wait()


if __name__ == "__main__":
    main()
