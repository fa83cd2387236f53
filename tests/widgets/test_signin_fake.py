"""The sign-in widget's state machine, driven headless against an MSAL-shaped fake application."""

from __future__ import annotations

import asyncio

import pytest

from nbauth.notebook.widgets import SignInWidget
from nbauth.testing import FakeClock
from tests.widgets.fakes import FakeApp
from tests.widgets.helpers import assert_no_secret, body_text, wait_for

SCOPES = ["api://demo/Data.Read"]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(clock):
    return FakeApp(clock)


def device_widget(app, clock, **kw) -> SignInWidget:
    widget = SignInWidget(app, SCOPES, clock=clock, **kw)
    wait_for(lambda: widget.status == "waiting", "the device code")
    return widget


def test_device_code_sign_in_shows_code_then_signs_in_and_forgets_the_code(app, clock):
    widget = device_widget(app, clock)
    (user_code,) = [s for s in app.issued_secrets() if s.startswith("UC")]
    html = body_text(widget)
    assert user_code in html and "nbauth-copy" in html and "user-select:all" in html
    assert "target='_blank'" in html and "&lt;b&gt;" in html  # the link opens a tab; server text is escaped
    assert "expires in" in widget._countdown.value and "15:00" in widget._countdown.value
    clock.advance(61)
    widget._ticker.tick()
    assert "13:59" in widget._countdown.value
    assert [b.description for b in widget._buttons.children] == ["Cancel"]

    app.approved.set()
    result = widget.result.get(timeout=10)
    assert "access_token" in result and widget.status == "signed_in"
    text = body_text(widget)
    assert "ada@contoso.example" in text and "tenant-guid" in text and "api://demo/Data.Read" in text
    assert user_code not in text
    assert [b.description for b in widget._buttons.children] == ["Sign out"]
    assert "1:00:00" in widget._countdown.value
    clock.advance(3600)
    assert widget._tick() is False and "has expired" in widget._countdown.value
    assert_no_secret(widget, app.issued_secrets())
    assert "ada@contoso.example" in widget._repr_mimebundle_()["text/plain"]


def test_cancel_stops_polling_and_resolves_a_cancelled_error(app, clock):
    widget = device_widget(app, clock)
    wait_for(lambda: app.polls > 0, "polling")
    widget._cancel_button.click()
    result = widget.result.get(timeout=10)
    assert result["error"] == "authentication_cancelled" and widget.status == "cancelled"
    widget._thread.join(10)
    assert not widget._thread.is_alive()  # the polling loop saw exit_condition() and returned
    app.approved.set()
    assert widget.result.get()["error"] == "authentication_cancelled"
    assert_no_secret(widget, app.issued_secrets())
    assert [b.description for b in widget._buttons.children] == ["Start again"]


def test_the_code_expires_when_its_lifetime_passes(app, clock):
    widget = device_widget(app, clock)
    clock.advance(901)
    result = widget.result.get(timeout=10)
    assert widget.status == "expired" and result["error"] == "expired_token"
    assert "expired" in body_text(widget)
    assert_no_secret(widget, app.issued_secrets())


def test_a_provider_error_shows_the_error_table_escaped(clock):
    app = FakeApp(clock, device_error={"error": "invalid_client", "error_description": "<script>x</script>",
                                       "error_codes": [700016]})  # fmt: skip
    widget = SignInWidget(app, SCOPES, clock=clock)
    result = widget.result.get(timeout=10)
    assert result["error"] == "invalid_client" and widget.status == "failed"
    text = body_text(widget)
    assert "<script>" not in text and "&lt;script&gt;" in text and "700016" in text
    assert "invalid_client" in widget._repr_mimebundle_()["text/plain"]


def test_start_again_after_cancel_gives_a_new_result(app, clock):
    widget = device_widget(app, clock)
    first = widget.result
    widget.cancel()
    widget._start_button.click()
    wait_for(lambda: widget.status == "waiting", "the second code")
    assert widget.result is not first and not widget.result.done()
    app.approved.set()
    assert "access_token" in widget.result.get(timeout=10)


def test_sign_out_removes_the_account(app, clock):
    widget = device_widget(app, clock)
    app.approved.set()
    widget.result.get(timeout=10)
    assert app.get_accounts()
    widget._sign_out_button.click()
    assert widget.status == "signed_out" and app.get_accounts() == []
    assert [b.description for b in widget._buttons.children] == ["Start again"]


def test_result_is_awaitable_and_on_result_is_called(app, clock):
    seen = []
    widget = device_widget(app, clock, on_result=seen.append)

    async def main():
        app.approved.set()
        return await widget

    result = asyncio.run(main())
    assert "access_token" in result and seen == [result]


def test_claims_challenge_reaches_every_call(app, clock):
    challenge = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}'
    widget = device_widget(app, clock, claims_challenge=challenge)
    app.approved.set()
    widget.result.get(timeout=10)
    assert {name: kw["claims_challenge"] for name, kw in app.calls} == {
        "initiate_device_flow": challenge,
        "acquire_token_by_device_flow": challenge,
    }


def test_browser_flow_waits_for_the_button_then_signs_in(app, clock):
    widget = SignInWidget(app, SCOPES, flow="browser", clock=clock)
    assert widget.status == "idle" and app.calls == []
    assert widget._buttons.children[0].description == "Sign in with the browser"
    widget._start_button.click()
    wait_for(lambda: widget.status == "waiting", "the browser flow")
    assert "browser tab" in body_text(widget)
    app.interactive_gate.set()
    assert "access_token" in widget.result.get(timeout=10)
    assert widget.status == "signed_in"
    assert_no_secret(widget, app.issued_secrets())


def test_paste_back_flow_redeems_the_pasted_address_and_clears_the_box(app, clock):
    widget = SignInWidget(app, SCOPES, flow="paste", clock=clock)
    wait_for(lambda: widget.status == "waiting", "the sign-in link")
    assert "Open the sign-in page" in body_text(widget)
    auth_uri = app.calls and widget._auth_code_flow["auth_uri"]
    widget.paste_box.value = app.redirect_for(auth_uri)
    widget._submit_button.click()
    assert widget.paste_box.value == ""  # the pasted address held the auth code
    assert "access_token" in widget.result.get(timeout=10)
    assert_no_secret(widget, app.issued_secrets())


def test_paste_back_with_a_foreign_state_fails_readably(app, clock):
    widget = SignInWidget(app, SCOPES, flow="paste", clock=clock)
    wait_for(lambda: widget.status == "waiting", "the sign-in link")
    widget.submit_redirect("http://localhost/?code=abc&state=other")
    result = widget.result.get(timeout=10)
    assert result["error"] == "invalid_redirect" and widget.status == "failed"


def test_wait_returns_the_result_and_times_out_with_none(app, clock):
    widget = device_widget(app, clock)
    assert widget.wait(timeout=0.05) is None
    app.approved.set()
    assert "access_token" in widget.wait(timeout=10)


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        SignInWidget(object(), "a b", autostart=False)
    with pytest.raises(ValueError):
        SignInWidget(object(), SCOPES, flow="magic")
