"""Parity scenarios: each grant, the flow dicts, accounts and the cache they leave behind."""

from __future__ import annotations

from parity_browser import complete_sign_in
from parity_libs import cache_sections, quiet_msal
from parity_registry import ProviderView, only_account, public_flow, scenario, sign_in

REDIRECT_URI = "http://localhost:8400"  # the provider's page reports the response; nothing listens here


@scenario("client credentials: token from the provider")
def scenario_client_credentials(lib, idp):
    app = lib.confidential(idp)
    seen = ProviderView(idp)
    result = app.acquire_token_for_client(scopes=[idp.api_app_scope])
    return {"result": result, "grant_types": seen.grant_types()}


@scenario("client credentials twice: the second from the cache, no request")
def scenario_client_credentials_from_cache(lib, idp):
    app = lib.confidential(idp)
    app.acquire_token_for_client(scopes=[idp.api_app_scope])
    seen = ProviderView(idp)
    result = app.acquire_token_for_client(scopes=[idp.api_app_scope])
    return {"result": result, "requests": len(seen.requests("token"))}


@scenario("client credentials: the serialized cache (MSAL's format, both ways)")
def scenario_client_credentials_cache(lib, idp):
    app = lib.confidential(idp)
    app.acquire_token_for_client(scopes=[idp.api_app_scope])
    return {"cache": cache_sections(app)}


@scenario("device code: the flow dict from initiate_device_flow")
def scenario_device_flow_dict(lib, idp):
    app = lib.public(idp)
    return {"flow": public_flow(app.initiate_device_flow(scopes=[idp.api_scope]))}


@scenario("device code: approved by the user, then redeemed")
def scenario_device_code(lib, idp):
    seen = ProviderView(idp)
    app, result = sign_in(lib, idp)
    return {"result": result, "grant_types": seen.grant_types(), "accounts": app.get_accounts()}


@scenario("device code: the serialized cache after a user sign-in")
def scenario_device_code_cache(lib, idp):
    app, _ = sign_in(lib, idp)
    return {"cache": cache_sections(app)}


def _auth_code_flow(lib, app, idp, **kwargs):
    with quiet_msal():
        return app.initiate_auth_code_flow(scopes=[idp.api_scope], redirect_uri=REDIRECT_URI, **kwargs)


@scenario("auth code + PKCE: the flow dict from initiate_auth_code_flow")
def scenario_auth_code_flow_dict(lib, idp):
    app = lib.public(idp)
    flow = _auth_code_flow(lib, app, idp, login_hint=idp.username, prompt="select_account")
    return {"flow": public_flow(flow)}


@scenario("auth code + PKCE: sign-in page driven by requests, code redeemed")
def scenario_auth_code(lib, idp):
    app = lib.public(idp)
    flow = _auth_code_flow(lib, app, idp)
    response = complete_sign_in(idp, flow["auth_uri"], REDIRECT_URI)
    seen = ProviderView(idp)
    result = app.acquire_token_by_auth_code_flow(flow, response)
    return {"result": result, "grant_types": seen.grant_types(), "accounts": app.get_accounts()}


@scenario("refresh token grant: acquire_token_by_refresh_token")
def scenario_refresh_token(lib, idp):
    app, first = sign_in(lib, idp)
    seen = ProviderView(idp)
    result = app.acquire_token_by_refresh_token(first["refresh_token"], scopes=[idp.api_scope])
    return {"result": result, "grant_types": seen.grant_types()}


@scenario("get_accounts: all, by username, by an unknown username")
def scenario_get_accounts(lib, idp):
    app, _ = sign_in(lib, idp)
    return {
        "all": app.get_accounts(),
        "by_username": app.get_accounts(username=idp.username),
        "unknown": app.get_accounts(username="nobody@contoso.example"),
    }


@scenario("remove_account: accounts, silent result and cache afterwards")
def scenario_remove_account(lib, idp):
    app, _ = sign_in(lib, idp)
    account = only_account(app)
    removed = app.remove_account(account)
    return {
        "returned": removed,
        "accounts": app.get_accounts(),
        "silent": app.acquire_token_silent([idp.api_scope], account=account),
        "cache": cache_sections(app),
    }
