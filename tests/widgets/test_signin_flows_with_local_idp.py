"""The sign-in widget's browser and paste-back flows against the real client and the local identity provider.

The provider's HTML pages are driven with plain ``requests`` (``nbauth.testing.sign_in``): for the browser
flow the application's ``open_browser`` runs the sign-in in a thread and posts the answer to the app's
loopback listener; for paste-back the test reads the sign-in link from the widget, signs in, and types the
final redirect address into the widget's text box. Every state is searched for the provider's secrets.
"""

from __future__ import annotations

import html
import re
import threading
from urllib.parse import urlencode

import pytest

from nbauth import PublicClientApplication
from nbauth.notebook.widgets import SignInWidget
from nbauth.testing import sign_in
from tests.widgets.helpers import assert_no_secret, body_text, wait_for


class BrowserDouble:
    """``open_browser`` for the app: signs in on the provider's pages in a thread, like a person would."""

    def __init__(self, idp, *, accept: bool = True) -> None:
        self.idp, self.accept = idp, accept
        self.opened: list[str] = []
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, auth_uri: str) -> bool:
        self.opened.append(auth_uri)
        thread = threading.Thread(target=self._sign_in, args=(auth_uri,), daemon=True)
        self.threads.append(thread)
        thread.start()
        return True

    def _sign_in(self, auth_uri: str) -> None:
        try:
            sign_in(
                auth_uri, username=self.idp.username, password=self.idp.password, accept=self.accept,
                deliver=True,
            )  # fmt: skip
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)
        assert not self.errors, [type(e).__name__ for e in self.errors]


@pytest.fixture
def idp(local_idp):
    return local_idp


def app_for(idp, **kw) -> PublicClientApplication:
    return PublicClientApplication(idp.public_client_id, authority=idp.authority, **kw)


def sign_in_link(widget: SignInWidget) -> str:
    match = re.search(r"class='nbauth-signin-link' href='([^']+)'", body_text(widget))
    assert match, "the widget shows no sign-in link"
    return html.unescape(match.group(1))


def redirect_address(idp, auth_uri: str, *, accept: bool = True) -> str:
    """What the browser's address bar shows after the sign-in: the redirect URI with the code (or error)."""
    result = sign_in(auth_uri, username=idp.username, password=idp.password, accept=accept)
    assert result.response_mode == "query"
    return f"{result.redirect_uri}?{urlencode(result.params)}"


def paste(widget: SignInWidget, address: str) -> None:
    """Type into the widget's text box and press Submit (the Python-side trigger a click runs)."""
    widget.paste_box.value = address
    widget._submit_button.click()
    assert widget.paste_box.value == ""  # the pasted address holds the auth code: gone from widget state


def assert_failed_readably(widget: SignInWidget, error: str, secrets: set[str]) -> dict:
    result = widget.result.get(timeout=30)
    assert widget.status == "failed" and result["error"] == error
    text = body_text(widget)
    assert "Sign-in failed" in text and error in text and "Traceback" not in text
    assert error in widget._repr_mimebundle_()["text/plain"]
    assert [b.description for b in widget._buttons.children] == ["Start again"]
    assert_no_secret(widget, secrets)
    return result


# -- browser flow (auth code + PKCE, loopback redirect) ------------------------------------------------


def test_browser_flow_signs_in_through_the_loopback_listener_then_signs_out(idp):
    browser = BrowserDouble(idp)
    app = app_for(idp, open_browser=browser)
    widget = SignInWidget(app, [idp.api_scope], flow="browser", timeout=30)
    assert widget.status == "idle" and browser.opened == []
    widget._start_button.click()
    result = widget.result.get(timeout=30)
    browser.join()
    assert len(browser.opened) == 1 and "access_token" in result and widget.status == "signed_in"
    text = body_text(widget)
    assert idp.username in text and idp.tenant_id in text and idp.api_scope in text
    assert "expires in" in widget._countdown.value
    assert [b.description for b in widget._buttons.children] == ["Sign out"]
    assert_no_secret(widget, idp.issued_secrets())
    assert [a["username"] for a in app.get_accounts()] == [idp.username]
    widget._sign_out_button.click()
    assert widget.status == "signed_out" and app.get_accounts() == []
    assert_no_secret(widget, idp.issued_secrets())


def test_browser_flow_declined_consent_fails_with_the_providers_error(idp):
    browser = BrowserDouble(idp, accept=False)
    widget = SignInWidget(app_for(idp, open_browser=browser), [idp.api_scope], flow="browser", timeout=30)
    widget.start()
    assert_failed_readably(widget, "access_denied", idp.issued_secrets())
    browser.join()
    assert "declined" in body_text(widget)


# -- paste-back flow (remote kernel) --------------------------------------------------------------------


def test_paste_back_flow_signs_in_with_the_pasted_address_then_signs_out(idp):
    app = app_for(idp)
    widget = SignInWidget(app, [idp.api_scope], flow="paste")
    wait_for(lambda: widget.status == "waiting", "the sign-in link")
    assert_no_secret(widget, idp.issued_secrets())
    address = redirect_address(idp, sign_in_link(widget))
    secrets_now = idp.issued_secrets()
    assert any(s in address for s in secrets_now)  # the address really holds the auth code
    paste(widget, address)
    result = widget.result.get(timeout=30)
    assert "access_token" in result and widget.status == "signed_in"
    assert idp.username in body_text(widget)
    assert_no_secret(widget, idp.issued_secrets())
    widget._sign_out_button.click()
    assert widget.status == "signed_out" and app.get_accounts() == []
    assert_no_secret(widget, idp.issued_secrets())


def test_paste_back_with_an_address_from_another_attempt_fails_with_a_clear_status(idp):
    app = app_for(idp)
    widget = SignInWidget(app, [idp.api_scope], flow="paste")
    wait_for(lambda: widget.status == "waiting", "the sign-in link")
    other = app.initiate_auth_code_flow([idp.api_scope], redirect_uri="http://localhost")
    paste(widget, redirect_address(idp, other["auth_uri"]))  # a real code, but another attempt's state
    assert_failed_readably(widget, "invalid_redirect", idp.issued_secrets())
    assert "state differs" in body_text(widget)
    assert app.get_accounts() == []  # nothing was redeemed


def test_paste_back_of_a_declined_sign_in_fails_with_the_providers_error(idp):
    widget = SignInWidget(app_for(idp), [idp.api_scope], flow="paste")
    wait_for(lambda: widget.status == "waiting", "the sign-in link")
    paste(widget, redirect_address(idp, sign_in_link(widget), accept=False))
    assert_failed_readably(widget, "access_denied", idp.issued_secrets())


def test_paste_back_can_start_again_after_a_failure(idp):
    widget = SignInWidget(app_for(idp), [idp.api_scope], flow="paste")
    wait_for(lambda: widget.status == "waiting", "the sign-in link")
    first_link = sign_in_link(widget)
    paste(widget, "http://localhost/?code=not-a-code&state=wrong")
    assert_failed_readably(widget, "invalid_redirect", idp.issued_secrets())
    widget._start_button.click()
    wait_for(lambda: widget.status == "waiting", "a new sign-in link")
    assert sign_in_link(widget) != first_link
    paste(widget, redirect_address(idp, sign_in_link(widget)))
    assert "access_token" in widget.result.get(timeout=30) and widget.status == "signed_in"
    assert_no_secret(widget, idp.issued_secrets())
