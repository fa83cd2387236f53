"""Starts the third-party OpenID Connect server (panva/oidc-provider, tests/interop/oidc_provider/server.mjs).

The npm packages are installed by ``scripts/ensure-node-deps.sh`` (``scripts/test`` runs it). When they are
missing, the tests fail with a message naming that script: nothing is skipped silently.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

SERVER_DIR = Path(__file__).parent / "oidc_provider"
ENSURE_SCRIPT = "scripts/ensure-node-deps.sh"
STARTUP_DEADLINE_S = 30.0  # a cold Node.js start on a busy 2-core machine; not an assertion

# Kept in sync with server.mjs.
CONFIDENTIAL_CLIENT_ID = "nbauth-interop-daemon"
PUBLIC_CLIENT_ID = "nbauth-interop-notebook"
API_RESOURCE = "urn:nbauth:interop-api"
API_SCOPE = "api:read"


@dataclass(frozen=True)
class OidcProviderServer:
    issuer: str
    client_secret: str
    log_path: Path
    confidential_client_id: str = CONFIDENTIAL_CLIENT_ID
    public_client_id: str = PUBLIC_CLIENT_ID
    api_resource: str = API_RESOURCE
    api_scope: str = API_SCOPE

    def metadata(self) -> dict:
        reply = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        reply.raise_for_status()
        return reply.json()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def node_executable() -> str:
    """The Node.js ensure-node-deps.sh chose: its local copy when it installed one, else the one on PATH."""
    local = SERVER_DIR / "node_modules" / ".bin" / "node"
    if local.exists():
        return str(local)
    found = shutil.which("node")
    if found is None:
        pytest.fail(f"Node.js is not installed; run {ENSURE_SCRIPT} (it needs npm)", pytrace=False)
    return found


def require_node_deps() -> None:
    if not (SERVER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.fail(
            f"the npm packages of {SERVER_DIR.name} are not installed; run {ENSURE_SCRIPT}", pytrace=False
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_discovery(proc: subprocess.Popen, issuer: str, log_path: Path) -> bool:
    """True once discovery answers; False when the process died (e.g. the port was taken meanwhile)."""
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.fail(f"oidc-provider did not answer within {STARTUP_DEADLINE_S:.0f} s:\n{log_path.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProviderServer]:
    require_node_deps()
    node = node_executable()
    secret = secrets.token_urlsafe(24)
    env = {**os.environ, "NBAUTH_INTEROP_CLIENT_SECRET": secret}
    log_path = tmp_path_factory.mktemp("oidc-provider") / "server.log"
    for _attempt in range(3):  # the free port may be taken between our probe and node's bind
        port = _free_port()
        issuer = f"http://127.0.0.1:{port}"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [node, "server.mjs", str(port)], cwd=SERVER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        if _wait_for_discovery(proc, issuer, log_path):
            break
    else:
        pytest.fail(f"oidc-provider would not start:\n{log_path.read_text()}")
    try:
        yield OidcProviderServer(issuer=issuer, client_secret=secret, log_path=log_path)
    finally:
        _stop(proc)
