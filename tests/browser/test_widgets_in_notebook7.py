"""The sign-in widget in Notebook 7 (``python -m notebook``), in headless Chromium.

The issue asks for JupyterLab 4 *and* Notebook 7: Notebook 7 is built from JupyterLab's components but has
its own shell and page (``/notebooks/<name>``), its own way of loading the widget manager, and its own
toolbar; this drives a device-code sign-in end to end there. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from tests.browser.notebook import (
    cell,
    complete_device_sign_in,
    open_notebook,
    run_cell,
    save,
    saved_when,
    setup_cell,
    write_notebook,
)

pytestmark = pytest.mark.browser

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_device_code_sign_in_in_notebook7(notebook7, context, idp, screenshot):
    cells = [setup_cell(idp), "w = SignInWidget(app, scopes)\nw", "print('result', w.status)"]
    path = write_notebook(notebook7.root, "signin-nb7.ipynb", cells, "ipykernel7")
    page = context.new_page()
    open_notebook(page, notebook7, "signin-nb7.ipynb")
    assert page.url.startswith(f"{notebook7.url}/notebooks/")  # Notebook 7's page, not JupyterLab's
    assert page.locator("#jp-top-panel, #top-panel-wrapper").count() > 0  # Notebook 7's own shell
    run_cell(page, 0)
    widget = complete_device_sign_in(page, context, idp, screenshot, 1)
    assert idp.username in widget.inner_text()
    assert widget.get_by_role("button", name="Sign out").is_visible()
    assert widget.locator(".nbauth-user-code").count() == 0  # the code left the page with the flow
    run_cell(page, 2)
    assert "result signed_in" in cell(page, 2).locator(".jp-OutputArea").inner_text()
    save(page)
    text = saved_when(path, lambda t: "result signed_in" in t and WIDGET_VIEW in t, page)
    assert not [s for s in idp.issued_secrets() if s and s in text]
