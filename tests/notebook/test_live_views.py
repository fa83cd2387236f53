"""The magics' live views in a real IPython shell against the local identity provider.

The success view's expiry countdown, throttle countdowns bound to their entries (from ``%token`` and from
``%nbauth throttle``), the claims prompt behind ``%token --as requests`` and ``%%with_token``, and the live
integrations in ``%nbauth status``. Every test searches all output and widget state for the provider's
secrets.
"""

from __future__ import annotations

import logging

import pytest
import requests

from nbauth.notebook.results import WIDGET_VIEW, ErrorResult, TokenResult
from nbauth.testing import Fault

pytest.importorskip("nbauth.notebook.widgets.throttle")
throttle = pytest.importorskip("nbauth.core.throttle")

from ipywidgets.widgets.widget import _instances  # noqa: E402  (model id -> widget, as the front end sees it)

from nbauth.notebook.widgets import ClaimsChallengePrompt, ThrottleCountdown  # noqa: E402
from nbauth.notebook.widgets._common import duration  # noqa: E402
from tests.widgets.helpers import state_text  # noqa: E402


@pytest.fixture
def idp(local_idp):
    local_idp.auto_approve = 0  # the demo user approves device codes at once
    local_idp.device_code_interval = 1
    return local_idp


@pytest.fixture
def daemon(shell, local_idp, monkeypatch):
    """The shell set up for the provider's confidential client; returns the %token line for it."""
    monkeypatch.setenv("DEMO_APP_SECRET", local_idp.client_secret)
    shell.settings.client_secret_env = "DEMO_APP_SECRET"
    return (
        f"%token --client-id {local_idp.confidential_client_id} --authority {local_idp.authority} "
        f"{local_idp.api_app_scope}"
    )


@pytest.fixture
def signed(shell, idp):
    """A public-client shell, signed in by a (batch) device code sign-in."""
    shell.settings.authority, shell.settings.client_id = idp.authority, idp.public_client_id
    shell.settings.scopes = [idp.api_scope]
    assert isinstance(shell.line("%token --wait --timeout 30"), TokenResult)
    return shell


def live(shell) -> None:
    shell.settings.interactive, shell.settings.widgets = True, True


def displayed(shell, kind: type) -> list:
    """The widgets of ``kind`` the shell displayed, found as the front end finds them: by model id."""
    ids = [o["data"][WIDGET_VIEW]["model_id"] for o in shell.outputs() if WIDGET_VIEW in o["data"]]
    return [_instances[i] for i in ids if isinstance(_instances.get(i), kind)]


def assert_no_secret(shell, idp, *values, widgets=()):
    shown = shell.all_text(*values) + "".join(state_text(w) for w in widgets)
    assert idp.issued_secrets()
    assert [s for s in idp.issued_secrets() if s in shown] == []


# -- 1. the success view ---------------------------------------------------------------------------


def test_success_view_has_a_live_expiry_countdown_in_a_live_front_end(shell, local_idp, fake_clock, daemon):
    shell.session.clock = fake_clock  # the app, the provider and the countdown share one clock
    live(shell)
    result = shell.line(daemon)
    assert isinstance(result, TokenResult)
    bundle = shell.formatted(result)
    view = result.live_view
    assert bundle[WIDGET_VIEW]["model_id"] == view.model_id
    assert "Signed in" in bundle["text/plain"] and "nbauth-token" in bundle["text/html"]  # static fallbacks
    countdown = view.countdown
    lifetime = float(result["expires_in"])
    assert countdown.status == "valid" and f">{duration(lifetime)}<" in countdown.value
    fake_clock.advance(600)
    assert countdown.tick() is True and f">{duration(lifetime - 600)}<" in countdown.value
    fake_clock.advance(lifetime)
    assert countdown.tick() is False and countdown.status == "expired" and "expired" in countdown.value
    assert_no_secret(shell, local_idp, result, widgets=[view])


def test_without_widgets_the_success_view_stays_static(shell, local_idp, daemon):
    result = shell.line(daemon)
    assert isinstance(result, TokenResult) and result.live_view is None
    bundle = shell.formatted(result)
    assert WIDGET_VIEW not in bundle and " s (at " in bundle["text/plain"]  # "expires in N s (at ...)"
    assert_no_secret(shell, local_idp, result)


# -- 5. a throttled %token -------------------------------------------------------------------------


def test_a_scripted_429_shows_a_countdown_bound_to_its_entry_whose_try_again_repeats_the_token(
    shell, local_idp, fake_clock, daemon
):
    shell.session.clock = fake_clock
    live(shell)
    local_idp.faults.add("token", Fault.status(429, retry_after=30))
    first = shell.line(daemon + " -o out")
    assert isinstance(first, ErrorResult) and first["http_status"] == 429
    app = shell.session.apps()[0]
    (entry,) = throttle.throttle_entries(app.http_cache, now=fake_clock())
    (countdown,) = displayed(shell, ThrottleCountdown)
    assert countdown.entry.key == entry.key and countdown.status == "waiting"
    assert ">30<" in countdown._remaining.value and countdown._button.disabled
    sent = local_idp.requests_to("token")
    fake_clock.advance(10)
    assert shell.line(daemon) == first and local_idp.requests_to("token") == sent  # replayed
    again = displayed(shell, ThrottleCountdown)[-1]
    assert again is not countdown and again.entry.key == entry.key and ">20<" in again._remaining.value
    fake_clock.advance(20)
    assert countdown.tick() is False and countdown.status == "ready" and not countdown._button.disabled
    countdown._button.click()
    result = countdown.result.get(timeout=30)
    assert "access_token" in result and countdown.status == "done"
    assert local_idp.requests_to("token") == sent + 1
    assert isinstance(shell.ip.user_ns["out"], TokenResult)  # Try again filled -o out, like %token would
    assert_no_secret(shell, local_idp, first, shell.ip.user_ns["out"], widgets=[countdown, again])


def test_an_error_no_throttle_entry_replays_shows_no_countdown(shell, local_idp, daemon):
    live(shell)
    local_idp.faults.add("token", Fault.oauth_error("invalid_client", aadsts=7000215))
    assert shell.line(daemon)["error"] == "invalid_client"
    assert displayed(shell, ThrottleCountdown) == []


# -- 4. %nbauth throttle ---------------------------------------------------------------------------


def test_nbauth_throttle_shows_countdowns_that_a_clear_updates(shell, local_idp, fake_clock, daemon):
    shell.session.clock = fake_clock
    local_idp.faults.add("token", Fault.status(429, retry_after=120))
    assert shell.line(daemon)["http_status"] == 429  # batch: no widget yet
    assert displayed(shell, ThrottleCountdown) == []
    table = shell.line("%nbauth throttle")
    assert "429" in table.text and local_idp.confidential_client_id in table.text
    live(shell)
    assert shell.line("%nbauth throttle") is None
    (countdown,) = displayed(shell, ThrottleCountdown)
    (entry,) = throttle.throttle_entries(shell.session.apps()[0].http_cache, now=fake_clock())
    assert countdown.entry.key == entry.key and ">120<" in countdown._remaining.value
    fake_clock.advance(20)
    assert countdown.tick() is True and ">100<" in countdown._remaining.value  # it re-reads the cache
    shell.line("%nbauth throttle clear --all")
    assert countdown.status == "cleared" and "cleared" in countdown._remaining.value
    assert_no_secret(shell, local_idp, table, widgets=[countdown])


# -- 2 and 6. claims challenges from an API --------------------------------------------------------


def challenge_ahead(idp) -> None:
    """Conditional Access switched on, and no refresh token left: only a new sign-in meets the challenge."""
    idp.conditional_access = True
    idp.revoke_refresh_tokens()


def test_as_requests_meets_a_challenge_through_the_claims_prompt_in_a_live_front_end(signed, idp):
    auth = signed.line("%token --as requests -o auth")
    challenge_ahead(idp)
    live(signed)
    codes = idp.requests_to("devicecode")
    reply = requests.get(idp.api_url, auth=auth, timeout=30)
    assert reply.status_code == 200 and idp.requests_to("api") == 2
    assert auth.usage.claims_challenges == 1 and auth.usage.retries == 1
    (prompt,) = displayed(signed, ClaimsChallengePrompt)
    assert prompt.status == "satisfied" and "authentication context (c1)" in state_text(prompt)
    assert idp.requests_to("devicecode") == codes + 1
    asked = [r for r in idp.request_log if r.endpoint == "devicecode"][-1]
    assert "c1" in str(asked.params.get("claims"))  # the new sign-in carried the challenge
    assert_no_secret(signed, idp, widgets=[prompt])


def test_as_requests_in_a_batch_kernel_returns_the_401_without_prompting(signed, idp, caplog):
    auth = signed.line("%token --as requests")
    challenge_ahead(idp)
    codes, calls = idp.requests_to("devicecode"), idp.requests_to("api")
    with caplog.at_level(logging.INFO, logger="nbauth"):
        reply = requests.get(idp.api_url, auth=auth, timeout=30)
    assert reply.status_code == 401 and idp.requests_to("api") == calls + 1  # no retry
    assert idp.requests_to("devicecode") == codes and displayed(signed, ClaimsChallengePrompt) == []
    assert "no interactive front end" in caplog.text and "c1" in caplog.text
    assert_no_secret(signed, idp, auth)


WITH_TOKEN_CELL = (
    "import requests\n"
    "reply = requests.get(api, headers={'Authorization': 'Bearer ' + token['access_token']}, timeout=30)\n"
    "calls.append(reply.status_code)\n"
    "reply.raise_for_status()\n"
    "reply.json()['name']\n"
)


def test_with_token_reruns_after_the_prompt_and_says_so(signed, idp):
    signed.ip.user_ns.update(api=idp.api_url, calls=[])
    challenge_ahead(idp)
    live(signed)
    value = signed.cell("%%with_token", WITH_TOKEN_CELL)
    assert value == "Ada Lovelace" and signed.ip.user_ns["calls"] == [401, 200]
    (prompt,) = displayed(signed, ClaimsChallengePrompt)
    assert prompt.status == "satisfied"
    notes = [o for o in signed.outputs() if "re-ran the cell" in o["data"].get("text/plain", "")]
    assert len(notes) == 1 and "after meeting a claims challenge" in notes[0]["data"]["text/html"]
    assert_no_secret(signed, idp, value, signed.ip.user_ns["token"], widgets=[prompt])


def test_with_token_in_a_batch_kernel_shows_the_error_and_does_not_rerun(signed, idp):
    signed.ip.user_ns.update(api=idp.api_url, calls=[])
    challenge_ahead(idp)
    codes = idp.requests_to("devicecode")
    result = signed.cell("%%with_token", WITH_TOKEN_CELL)
    assert isinstance(result, ErrorResult) and signed.ip.user_ns["calls"] == [401]
    assert idp.requests_to("devicecode") == codes
    assert not [o for o in signed.outputs() if "re-ran the cell" in o["data"].get("text/plain", "")]
    assert_no_secret(signed, idp, result)


def test_with_token_documents_the_rerun(shell):
    doc = shell.ip.magics_manager.magics["cell"]["with_token"].__doc__
    assert "RUNS AGAIN" in doc and "re-run" in doc and "--no-retry" in doc


# -- 3. live integrations in %nbauth status --------------------------------------------------------


def test_status_shows_the_live_integrations(signed, idp):
    auth = signed.line("%token --as requests -o auth")
    assert requests.get(idp.api_url, auth=auth, timeout=30).status_code == 200
    status = signed.line("%nbauth status")
    mine = [line for line in status.text.splitlines() if f"client {idp.public_client_id}" in line]
    assert any(f"requests: client {idp.public_client_id}, scopes {idp.api_scope}" in line for line in mine)
    assert any("tokens 1" in line and "retries 0" in line for line in mine)
    assert "live integrations" in status._repr_html_()
    assert_no_secret(signed, idp, status, auth)
