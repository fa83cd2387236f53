"""JupyterLab 4 and Notebook 7 on 127.0.0.1 with a token, and headless Chromium driven by Playwright.

Needs Debian's ``chromium`` (``scripts/ensure-system-packages.sh``); Playwright never downloads one here.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.widgets.kernels import ROOT, write_kernelspecs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"

# JupyterLab settings that keep it quick and quiet: no news or update checks, and widget state saved into the
# notebook (so the tests can search it for secrets).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                          "checkForUpdates": False},
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the Jupyter server exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the Jupyter server did not answer in time")


class JupyterServer:
    """A running JupyterLab 4 (``kind="lab"``) or Notebook 7 (``kind="notebook"``) and its root folder."""

    def __init__(self, kind: str, url: str, token: str, root: Path) -> None:
        self.kind, self.url, self.token, self.root = kind, url, token, root

    def notebook_url(self, name: str) -> str:
        if self.kind == "notebook":  # Notebook 7: one notebook per page
            return f"{self.url}/notebooks/{name}?token={self.token}"
        # A workspace of its own, reset, so the page shows this notebook only (not the ones opened before).
        workspace = Path(name).stem
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"


# The front ends' commands; both share the server flags below (loopback only, a token, no lookups).
FRONT_ENDS = {"lab": ["-m", "jupyterlab"], "notebook": ["-m", "notebook"]}


def _command(kind: str, port: int, token: str, root: Path) -> list[str]:
    return [
        sys.executable, *FRONT_ENDS[kind], "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no package-index lookups
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip


@contextlib.contextmanager
def jupyter_server(kind: str, base: Path) -> Iterator[JupyterServer]:
    """Start ``kind`` on 127.0.0.1 with a fresh token, its own settings, kernelspecs and folders."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run scripts/ensure-system-packages.sh (scripts/test does)")
    root, data, settings = base / "root", base / "data", base / "settings"
    root.mkdir()
    write_kernelspecs(data / "kernels")
    for name, value in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ, JUPYTER_PATH=str(data), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"), JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               PYTHONPATH=str(ROOT))  # fmt: skip
    log = (base / f"{kind}.log").open("w")
    process = subprocess.Popen(
        _command(kind, port, token, root), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_answering(f"{url}/api/status?token={token}", process)
        yield JupyterServer(kind, url, token, root)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="package")
def lab(tmp_path_factory):
    with jupyter_server("lab", tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="package")
def notebook7(tmp_path_factory):
    from importlib.metadata import PackageNotFoundError, version

    try:
        major = int(version("notebook").split(".")[0])
    except PackageNotFoundError:
        major = 0
    if major < 7:
        pytest.fail("Notebook 7 is not installed: pip install -e '.[test]' (it lists notebook>=7)")
    with jupyter_server("notebook", tmp_path_factory.mktemp("notebook7")) as server:
        yield server


@pytest.fixture(scope="package")  # Playwright's sync API keeps a loop running in this thread until closed
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def context(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        if request.node.stash.get(FAILED, False):  # keep what the page showed when the test failed
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for number, page in enumerate(context.pages):
                name = f"{request.node.name}-FAILED-{number}.png".replace("[", "-").replace("]", "")
                page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        context.close()


@pytest.fixture
def screenshot(request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, state: str) -> None:
        name = f"{request.node.name}-{state}.png".replace("[", "-").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / name))

    return take


@pytest.fixture
def idp():
    """A fresh local identity provider per test, polling quickly (the suite stays short)."""
    from nbauth.testing import LocalIdentityProvider

    with LocalIdentityProvider() as provider:
        provider.device_code_interval = 1
        yield provider
