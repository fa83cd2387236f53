"""Driving a notebook in JupyterLab 4 or Notebook 7 from Playwright: write it, open it, run its cells.

Notebook 7 is built from JupyterLab's components, so the same selectors (``.jp-NotebookPanel``, ``.jp-Cell``,
the panel toolbar's ``.jp-Notebook-ExecutionIndicator``) find the cells and the kernel state in both.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from playwright.sync_api import TimeoutError as PlaywrightTimeout

RAN = r"el => /\[(\*|\d+)\]/.test(el.textContent)"
FINISHED = r"el => /\[\d+\]/.test(el.textContent)"
IDLE = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']"


def write_notebook(root: Path, name: str, cells: list[str], kernel: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in cells]
    notebook.metadata["kernelspec"] = {
        "name": f"nbauth-{kernel}",
        "display_name": kernel,
        "language": "python",
    }
    path = root / name
    nbformat.write(notebook, path)
    return path


def open_notebook(page, server, name: str, timeout: float = 90_000) -> None:
    page.goto(server.notebook_url(name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)


def cell(page, index: int):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)


def run_cell(page, index: int, *, wait: bool = True, timeout: float = 60_000) -> None:
    """Select cell ``index`` and run it (Shift+Enter); with ``wait``, until the kernel is idle again."""
    target = cell(page, index)
    prompt = target.locator(".jp-InputPrompt")
    for _attempt in range(3):  # a key press before the kernel connection settles can be dropped
        prompt.click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(RAN, arg=prompt.element_handle(), timeout=5_000)
            break
        except PlaywrightTimeout:
            continue
    if wait:
        page.wait_for_function(FINISHED, arg=prompt.element_handle(), timeout=timeout)
        page.wait_for_selector(IDLE, timeout=timeout)


def output_text(page, index: int) -> str:
    return cell(page, index).locator(".jp-OutputArea").inner_text()


def save(page) -> None:
    page.keyboard.press("Control+s")
    page.wait_for_selector(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-mod-dirty", state="detached", timeout=30_000
    )


def saved_text(path: Path) -> str:
    return json.dumps(json.loads(path.read_text()))


def saved_when(path: Path, predicate, page, timeout: float = 30_000) -> str:
    """The saved notebook's text once ``predicate(text)`` holds (the save is written asynchronously)."""
    waited = 0.0
    while True:
        text = saved_text(path)
        if predicate(text):
            return text
        if waited >= timeout:
            raise AssertionError(f"{path.name} was not saved as expected")
        page.wait_for_timeout(200)
        waited += 200


def setup_cell(idp) -> str:
    return (
        "from nbauth import PublicClientApplication\n"
        "from nbauth.notebook.widgets import SignInWidget, ClaimsChallengePrompt\n"
        f"app = PublicClientApplication({idp.public_client_id!r}, authority={idp.authority!r})\n"
        f"scopes = [{idp.api_scope!r}]\n"
        "print('ready')"
    )


def approve_on_provider_page(context, idp, owner) -> None:
    """Open the verification link (a new tab) and approve the code there, as a person would."""
    user_code = owner.locator(".nbauth-user-code").inner_text().strip()
    with context.expect_page() as opened:
        owner.locator(".nbauth-verification-link").click()
    provider_page = opened.value
    provider_page.wait_for_load_state()
    provider_page.fill("#user_code", user_code)
    provider_page.click("#devicecode button[type=submit]")
    provider_page.fill("#username", idp.username)
    provider_page.fill("#password", idp.password)
    provider_page.click("button[value=approve]")
    provider_page.wait_for_load_state()
    provider_page.close()


def complete_device_sign_in(page, context, idp, screenshot, index: int):
    """Run the sign-in widget's cell, approve its code on the provider's page, and wait until signed in."""
    run_cell(page, index)
    widget = cell(page, index)
    widget.locator(".nbauth-user-code").wait_for(timeout=30_000)
    screenshot(page, "1-waiting")
    approve_on_provider_page(context, idp, widget)
    widget.locator(".nbauth-signed-in").wait_for(timeout=30_000)
    screenshot(page, "2-signed-in")
    return widget
