"""Parity scenarios: acquire_token_silent / acquire_token_silent_with_error over the token cache.

Token age is set by editing the serialized cache identically on both sides (parity_libs.edit_access_tokens):
MSAL reads ``time.time()`` itself, so a shared FakeClock cannot move it.
"""

from __future__ import annotations

from parity_libs import edit_access_tokens
from parity_registry import ProviderView, only_account, scenario, sign_in

from nbauth.testing import Fault


def _silent_both(app, idp, account, **kwargs):
    """Calls silent_with_error first (it may refresh), then plain silent on what that left behind."""
    seen = ProviderView(idp)
    with_error = app.acquire_token_silent_with_error([idp.api_scope], account=account, **kwargs)
    return {"with_error": with_error, "grant_types": seen.grant_types()}


@scenario("silent with no account: None from both silent variants")
def scenario_silent_no_account(lib, idp):
    app = lib.public(idp)
    return {
        "silent": app.acquire_token_silent([idp.api_scope], account=None),
        "with_error": app.acquire_token_silent_with_error([idp.api_scope], account=None),
    }


@scenario("silent with a fresh cached token: served from the cache")
def scenario_silent_cached(lib, idp):
    app, _ = sign_in(lib, idp)
    seen = ProviderView(idp)
    result = app.acquire_token_silent([idp.api_scope], account=only_account(app))
    return {"result": result, "requests": len(seen.requests("token"))}


@scenario("silent with an expired token: refreshed with the refresh token")
def scenario_silent_expired_token(lib, idp):
    app, _ = sign_in(lib, idp)
    assert edit_access_tokens(app, expires_in=-60) == 1
    return _silent_both(app, idp, only_account(app))


@scenario("silent with a token expiring in under 5 minutes: refreshed")
def scenario_silent_expiring_soon(lib, idp):
    app, _ = sign_in(lib, idp)
    edit_access_tokens(app, expires_in=120)
    return _silent_both(app, idp, only_account(app))


@scenario("silent with an aging token (refresh_on passed, still valid): refreshed")
def scenario_silent_aging_token(lib, idp):
    app, first = sign_in(lib, idp)
    edit_access_tokens(app, refresh_in=-60)
    return {**_silent_both(app, idp, only_account(app)), "sign_in": first}


@scenario("silent with an aging token whose refresh fails: the cached token is returned", refresh_in=1800)
def scenario_silent_aging_refresh_fails(lib, idp):
    app, first = sign_in(lib, idp)
    edit_access_tokens(app, refresh_in=-60)
    idp.faults.add("token", Fault.oauth_error("invalid_grant", 70000))
    outcome = _silent_both(app, idp, only_account(app))
    return {**outcome, "same_token": outcome["with_error"].get("access_token") == first["access_token"]}


@scenario("silent with an expired token whose refresh fails: None / the error dict")
def scenario_silent_expired_refresh_fails(lib, idp):
    app, _ = sign_in(lib, idp)
    edit_access_tokens(app, expires_in=-60)
    account = only_account(app)
    idp.faults.add("token", Fault.oauth_error("invalid_grant", 700082, suberror="bad_token"))
    with_error = app.acquire_token_silent_with_error([idp.api_scope], account=account)
    # A second, plain silent call: 400 replies are replayed from the throttle cache by both libraries.
    seen = ProviderView(idp)
    silent = app.acquire_token_silent([idp.api_scope], account=account)
    return {"with_error": with_error, "silent": silent, "requests_after": len(seen.requests("token"))}


@scenario("silent with force_refresh=True: a new token from the provider")
def scenario_silent_force_refresh(lib, idp):
    app, _ = sign_in(lib, idp)
    return _silent_both(app, idp, only_account(app), force_refresh=True)


@scenario("refresh_in from the provider: refresh_on in the result and in the cache hit", refresh_in=1800)
def scenario_refresh_on(lib, idp):
    app, first = sign_in(lib, idp)
    cached = app.acquire_token_silent([idp.api_scope], account=only_account(app))
    return {"sign_in": first, "cached": cached}


@scenario("silent after the refresh token was revoked and the token expired: invalid_grant")
def scenario_silent_revoked_refresh_token(lib, idp):
    app, _ = sign_in(lib, idp)
    edit_access_tokens(app, expires_in=-60)
    idp.revoke_refresh_tokens()
    return _silent_both(app, idp, only_account(app))
