"""The widgets in JupyterLab 4, in headless Chromium: sign-in, Cancel, throttle countdown, claims prompt.

Screenshots of each state go to test-artifacts/screenshots/. The Cancel test runs against both kernel
generations: the awaited form on ipykernel 7, the synchronous ``wait()`` (jupyter-ui-poll) on ipykernel 6.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.notebook import (
    approve_on_provider_page,
    cell,
    complete_device_sign_in,
    open_notebook,
    output_text,
    run_cell,
    save,
    saved_text,
    saved_when,
    setup_cell,
    write_notebook,
)
from tests.widgets.kernels import kernel_params

pytestmark = pytest.mark.browser


def test_device_code_sign_in_in_jupyterlab(lab, context, idp, screenshot):
    path = write_notebook(
        lab.root, "signin.ipynb", [setup_cell(idp), "w = SignInWidget(app, scopes)\nw"], "ipykernel7"
    )
    page = context.new_page()
    open_notebook(page, lab, "signin.ipynb")
    run_cell(page, 0)
    widget = complete_device_sign_in(page, context, idp, screenshot, 1)
    assert idp.username in widget.inner_text()
    assert widget.locator(".nbauth-user-code").count() == 0  # the code left the page with the flow
    save(page)
    text = saved_text(path)
    assert not [s for s in idp.issued_secrets() if s and s in text]


@pytest.mark.parametrize("kernel", kernel_params())
def test_cancel_stops_polling(lab, context, idp, screenshot, kernel):
    wait = "r = await w2" if kernel == "ipykernel7" else "r = w2.wait(120)"
    cells = [setup_cell(idp), f"w2 = SignInWidget(app, scopes)\ndisplay(w2)\n{wait}",
             "w2._thread.join(10)\nprint('alive', w2._thread.is_alive(), r['error'])",
             "print('again')"]  # fmt: skip
    write_notebook(lab.root, f"cancel-{kernel}.ipynb", cells, kernel)
    page = context.new_page()
    open_notebook(page, lab, f"cancel-{kernel}.ipynb")
    run_cell(page, 0)
    run_cell(page, 1, wait=False)
    widget = cell(page, 1)
    widget.locator(".nbauth-user-code").wait_for(timeout=30_000)
    while idp.requests_to("token") == 0:  # polling has started
        page.wait_for_timeout(100)
    screenshot(page, "1-polling")
    widget.get_by_role("button", name="Cancel").click()
    widget.get_by_text("Sign-in cancelled").wait_for(timeout=10_000)
    screenshot(page, "2-cancelled")
    run_cell(page, 2)
    assert "alive False authentication_cancelled" in output_text(page, 2)
    polls = idp.requests_to("token")
    run_cell(page, 3)
    assert idp.requests_to("token") == polls  # the poller is gone: the count stopped increasing


def throttle_cells(idp, secret_file) -> list[str]:
    # The client secret reaches the kernel through a file, so it is never in the notebook's source.
    return [
        "import os, pathlib\n"
        f"os.environ['DEMO_APP_SECRET'] = pathlib.Path({str(secret_file)!r}).read_text()\n"
        "%load_ext nbauth\n"
        "%config NbAuth.client_secret_env = 'DEMO_APP_SECRET'\n"
        "print('ready')",
        f"%token --client-id {idp.confidential_client_id} --authority {idp.authority} "
        f"{idp.api_app_scope} -o out",
        "print('out', type(out).__name__, 'access_token' in out)",
    ]


def test_throttle_countdown_from_a_scripted_429_ticks_then_try_again_gets_a_token(
    lab, context, idp, screenshot, tmp_path
):
    from nbauth.testing import Fault

    secret_file = tmp_path / "secret"
    secret_file.write_text(idp.client_secret)
    path = write_notebook(lab.root, "throttle.ipynb", throttle_cells(idp, secret_file), "ipykernel7")
    idp.faults.add("token", Fault.status(429, retry_after=4))  # the provider's real answer, through %token
    page = context.new_page()
    open_notebook(page, lab, "throttle.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    widget = cell(page, 1)
    seconds = widget.locator(".nbauth-seconds")
    seconds.wait_for(timeout=10_000)
    first = int(seconds.inner_text())
    assert "429" in widget.inner_text() and idp.confidential_client_id in widget.inner_text()
    screenshot(page, "1-counting")
    # the widget replaces its HTML on every tick, so look the number up afresh each time
    page.wait_for_function(
        "([cell, n]) => { const el = cell.querySelector('.nbauth-seconds');"
        " return el !== null && parseInt(el.textContent) < n; }",
        arg=[widget.element_handle(), first],
        timeout=15_000,
    )
    screenshot(page, "2-ticked")
    button = widget.get_by_role("button", name="Try again")
    expect(button).to_be_enabled(timeout=20_000)
    widget.get_by_text("The window has ended").wait_for(timeout=5_000)
    screenshot(page, "3-ready")
    assert idp.requests_to("token") == 1  # the throttle answered in between, not the provider
    button.click()
    widget.get_by_text("Succeeded: a token was issued").wait_for(timeout=20_000)
    screenshot(page, "4-token")
    assert idp.requests_to("token") == 2
    run_cell(page, 2)
    assert "out TokenResult True" in output_text(page, 2)  # Try again filled -o out
    save(page)
    text = saved_when(path, lambda t: "Succeeded" in t or "out TokenResult" in t, page)
    assert not [s for s in idp.issued_secrets() if s and s in text]


def test_claims_challenge_sign_in_from_the_api_401(lab, context, idp, screenshot):
    idp.conditional_access = True
    cells = [
        setup_cell(idp),
        "flow = app.initiate_device_flow(scopes)\nprint('flow', 'user_code' in flow)",
        "import requests\nfrom nbauth.core.claims import claims_challenge_from_www_authenticate\n"
        "first = app.acquire_token_by_device_flow(flow)\n"
        f"reply = requests.get({idp.api_url!r}, "
        "headers={'Authorization': 'Bearer ' + first['access_token']}"
        ")\n"
        "challenge = claims_challenge_from_www_authenticate(reply.headers['WWW-Authenticate'])\n"
        "print('api', reply.status_code)\n"
        "p = ClaimsChallengePrompt(app, scopes, challenge)\np",
        "r = await p\n"
        f"print('api', requests.get({idp.api_url!r}, "
        "headers={'Authorization': 'Bearer ' + r['access_token']})"
        ".status_code)",
    ]
    write_notebook(lab.root, "claims.ipynb", cells, "ipykernel7")
    page = context.new_page()
    open_notebook(page, lab, "claims.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    idp.approve_device_code()
    run_cell(page, 2)
    assert "api 401" in output_text(page, 2)
    prompt = cell(page, 2)
    prompt.get_by_text("authentication context").wait_for(timeout=10_000)
    screenshot(page, "1-prompt")
    prompt.get_by_role("button", name="Sign in to satisfy the policy").click()
    prompt.locator(".nbauth-user-code").wait_for(timeout=30_000)
    approve_on_provider_page(context, idp, prompt)
    prompt.get_by_text("The policy is satisfied").wait_for(timeout=30_000)
    screenshot(page, "2-satisfied")
    run_cell(page, 3)
    assert "api 200" in output_text(page, 3)
