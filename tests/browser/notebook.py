"""Driving a JupyterLab notebook from Playwright: write it, open it, run its cells one by one."""

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


def open_notebook(page, lab, name: str, timeout: float = 90_000) -> None:
    page.goto(lab.notebook_url(name))
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
