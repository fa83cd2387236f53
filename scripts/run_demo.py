"""Start the local identity provider and JupyterLab on notebooks/, wired together; Ctrl-C stops both.

The kernels JupyterLab starts inherit ``NBAUTH_DEMO_PROVIDER`` (the provider's public description as JSON), so
the notebooks talk to this provider instead of starting their own.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from nbauth.testing import LocalIdentityProvider

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab's port on 127.0.0.1")
    parser.add_argument("--idp-port", type=int, default=0, help="the identity provider's port (default: free)")
    parser.add_argument(
        "--auto-approve", type=float, default=None, metavar="SECONDS", help="approve sign-ins by itself"
    )
    return parser.parse_args()


def start_lab(port: int, token: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT / 'notebooks'}",
        f"--IdentityProvider.token={token}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
        "jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_lab(url: str, lab: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.poll() is not None:
            error = lab.stderr.read().decode(errors="replace") if lab.stderr else ""
            sys.exit(f"JupyterLab did not start:\n{error[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("JupyterLab did not answer within two minutes.")


def main() -> None:
    args = parse_args()
    token = secrets.token_urlsafe(24)
    with LocalIdentityProvider(port=args.idp_port, auto_approve=args.auto_approve) as idp:
        env = {**os.environ, "NBAUTH_DEMO_PROVIDER": json.dumps(idp.describe())}
        lab = start_lab(args.port, token, env)
        base = f"http://127.0.0.1:{args.port}"
        wait_for_lab(f"{base}/api/status?token={token}", lab)
        print(f"Identity provider: {idp.authority}", flush=True)
        print(f"JupyterLab:        {base}/lab/tree/quickstart.ipynb?token={token}", flush=True)
        print("Open the JupyterLab address in your browser. Press Ctrl-C to stop.", flush=True)
        stop = lambda *_: lab.terminate()  # noqa: E731
        signal.signal(signal.SIGTERM, stop)
        try:
            lab.wait()
        except KeyboardInterrupt:
            lab.terminate()
            lab.wait(timeout=20)
    print("Stopped.")


if __name__ == "__main__":
    main()
