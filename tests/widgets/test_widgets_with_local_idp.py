"""The widgets against the real core client and the local identity provider (over HTTP on 127.0.0.1)."""

from __future__ import annotations

import pytest
import requests

from nbauth import PublicClientApplication
from nbauth.notebook.widgets import ClaimsChallengePrompt, SignInWidget
from tests.widgets.helpers import assert_no_secret, body_text, wait_for


@pytest.fixture
def idp(local_idp):
    local_idp.device_code_interval = 1  # keep the real one-second polling short
    return local_idp


@pytest.fixture
def app(idp):
    return PublicClientApplication(idp.public_client_id, authority=idp.authority)


def test_device_code_sign_in_then_sign_out(idp, app):
    widget = SignInWidget(app, [idp.api_scope])
    wait_for(lambda: widget.status == "waiting", "the device code")
    wait_for(lambda: idp.requests_to("token") > 0, "polling")
    idp.approve_device_code()
    result = widget.result.get(timeout=30)
    assert "access_token" in result and widget.status == "signed_in"
    assert idp.username in body_text(widget)
    assert_no_secret(widget, idp.issued_secrets())
    widget.sign_out()
    assert widget.status == "signed_out" and app.get_accounts() == []


def test_cancel_ends_the_polling(idp, app):
    widget = SignInWidget(app, [idp.api_scope])
    wait_for(lambda: idp.requests_to("token") > 0, "polling")
    widget.cancel()
    widget._thread.join(10)
    assert not widget._thread.is_alive()
    polls = idp.requests_to("token")
    assert widget.result.get()["error"] == "authentication_cancelled"
    assert idp.requests_to("token") == polls
    assert_no_secret(widget, idp.issued_secrets())


def test_a_declined_code_fails_with_the_providers_error(idp, app):
    widget = SignInWidget(app, [idp.api_scope])
    wait_for(lambda: widget.status == "waiting", "the device code")
    idp.approve_device_code(decline=True)
    result = widget.result.get(timeout=30)
    assert widget.status == "failed" and result["error"] in body_text(widget)
    assert_no_secret(widget, idp.issued_secrets())


def test_claims_prompt_from_the_apis_401_gets_a_token_the_api_accepts(idp, app):
    idp.conditional_access = True
    from nbauth.core.claims import claims_challenge_from_www_authenticate

    flow = app.initiate_device_flow([idp.api_scope])
    idp.approve_device_code()
    first = app.acquire_token_by_device_flow(flow)
    reply = requests.get(
        idp.api_url, headers={"Authorization": f"Bearer {first['access_token']}"}, timeout=10
    )
    assert reply.status_code == 401
    challenge = claims_challenge_from_www_authenticate(reply.headers["WWW-Authenticate"])
    prompt = ClaimsChallengePrompt(app, [idp.api_scope], challenge)
    assert "authentication context (c1)" in body_text(prompt)
    sign_in = prompt.start()
    wait_for(lambda: sign_in.status == "waiting", "the device code")
    idp.approve_device_code()
    result = prompt.result.get(timeout=30)
    assert prompt.status == "satisfied"
    again = requests.get(
        idp.api_url, headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10
    )
    assert again.status_code == 200
    assert_no_secret(prompt, idp.issued_secrets())
