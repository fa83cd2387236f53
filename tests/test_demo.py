"""``scripts/demo``, the first command a newcomer runs: the provider and JupyterLab start; Ctrl-C stops both.

It runs the real script (which reuses ``.venv``), reads the addresses it prints, talks to both servers over
HTTP, then sends SIGINT as a terminal's Ctrl-C would and expects a clean exit with both ports closed.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 240  # the first run may install the demo extra into .venv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


class Demo:
    """``scripts/demo`` as a subprocess; its stdout lines arrive through a queue, stderr goes to a file."""

    def __init__(self, tmp_path: Path, lab_port: int, idp_port: int) -> None:
        self.stderr_path = tmp_path / "demo-stderr.txt"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NBAUTH_", "JUPYTER_"))}
        env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")  # no server files among the user's
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "demo"), "--port", str(lab_port), "--idp-port", str(idp_port)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        pytest.fail(f"scripts/demo printed no {prefix!r} line.\n{self.diagnostics()}")

    def diagnostics(self) -> str:
        stderr = self.stderr_path.read_text(errors="replace")[-3000:]
        return f"exit code: {self.process.poll()}\nstdout:\n" + "\n".join(self.seen) + f"\nstderr:\n{stderr}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def demo(tmp_path):
    lab_port, idp_port = free_port(), free_port()
    running = Demo(tmp_path, lab_port, idp_port)
    running.ports = (lab_port, idp_port)
    yield running
    running.stop()


def test_demo_serves_the_provider_and_jupyterlab_and_stops_on_ctrl_c(demo):
    lab_port, idp_port = demo.ports
    authority = demo.wait_for("Identity provider:", START_TIMEOUT).split(":", 1)[1].strip()
    lab_url = demo.wait_for("JupyterLab:", 30).split(":", 1)[1].strip()

    assert urlsplit(authority).port == idp_port and urlsplit(lab_url).port == lab_port
    assert lab_url.split("?")[0].endswith("/lab/tree/quickstart.ipynb")
    status, discovery = get_json(f"{authority}/v2.0/.well-known/openid-configuration")
    assert status == 200, demo.diagnostics()
    assert discovery["issuer"] == f"{authority}/v2.0"
    assert discovery["token_endpoint"].startswith(authority)

    token = parse_qs(urlsplit(lab_url).query)["token"][0]
    status, lab_status = get_json(f"http://127.0.0.1:{lab_port}/api/status?token={token}")
    assert status == 200 and "started" in lab_status, demo.diagnostics()
    assert get_json(f"http://127.0.0.1:{lab_port}/api/status")[0] == 403  # the token is required
    status, contents = get_json(f"http://127.0.0.1:{lab_port}/api/contents?token={token}")
    assert status == 200 and "quickstart.ipynb" in {item["name"] for item in contents["content"]}

    demo.process.send_signal(signal.SIGINT)
    try:
        code = demo.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"scripts/demo did not stop within 60 s of SIGINT.\n{demo.diagnostics()}")
    demo.wait_for("Stopped.", 5)
    assert code == 0, demo.diagnostics()
    assert not port_open(lab_port) and not port_open(idp_port)
    assert not re.search(r"Traceback", demo.stderr_path.read_text(errors="replace")), demo.diagnostics()
