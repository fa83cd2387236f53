"""Parity scenarios: Entra-style OAuth errors (AADSTS codes) and claims challenges.

Each error is scripted on the provider with ``Fault.oauth_error`` right before the call that meets it, so
both libraries receive the same body (its trace id, correlation id and timestamp aside).
"""

from __future__ import annotations

import json

from parity_browser import complete_sign_in
from parity_compare import jwt_claims
from parity_grants import REDIRECT_URI
from parity_libs import quiet_msal
from parity_registry import ProviderView, only_account, public_flow, scenario, sign_in

from nbauth.testing import Fault

CHALLENGE = json.dumps({"access_token": {"acrs": {"essential": True, "value": "c1"}}})
CP1 = {"access_token": {"xms_cc": {"values": ["CP1"]}}}


def _client_credentials_error(lib, idp, fault):
    app = lib.confidential(idp)
    idp.faults.add("token", fault)
    return {"result": app.acquire_token_for_client(scopes=[idp.api_app_scope])}


@scenario("invalid_client AADSTS7000215 (401) on client credentials")
def scenario_invalid_client_7000215(lib, idp):
    return _client_credentials_error(lib, idp, Fault.oauth_error("invalid_client", 7000215, status=401))


@scenario("unauthorized_client AADSTS700016 on client credentials")
def scenario_unauthorized_client_700016(lib, idp):
    return _client_credentials_error(lib, idp, Fault.oauth_error("unauthorized_client", 700016))


@scenario("invalid_scope AADSTS70011 on client credentials")
def scenario_invalid_scope_70011(lib, idp):
    return _client_credentials_error(lib, idp, Fault.oauth_error("invalid_scope", 70011))


@scenario("invalid_client for real: a wrong client secret, judged by the provider")
def scenario_wrong_client_secret(lib, idp):
    app = lib.confidential(idp, client_credential="not-the-secret")
    return {"result": app.acquire_token_for_client(scopes=[idp.api_app_scope])}


def _refresh_error(lib, idp, fault):
    app, first = sign_in(lib, idp)
    idp.faults.add("token", fault)
    return {"result": app.acquire_token_by_refresh_token(first["refresh_token"], scopes=[idp.api_scope])}


@scenario("invalid_grant AADSTS70000 on the refresh token grant")
def scenario_invalid_grant_70000(lib, idp):
    return _refresh_error(lib, idp, Fault.oauth_error("invalid_grant", 70000))


@scenario("invalid_grant AADSTS9002313 (malformed request) on the refresh token grant")
def scenario_invalid_grant_9002313(lib, idp):
    return _refresh_error(lib, idp, Fault.oauth_error("invalid_grant", 9002313, "Invalid request."))


@scenario("invalid_grant AADSTS700082 with suberror bad_token on the refresh token grant")
def scenario_invalid_grant_bad_token(lib, idp):
    return _refresh_error(lib, idp, Fault.oauth_error("invalid_grant", 700082, suberror="bad_token"))


def _silent_error(lib, idp, fault, **app_kwargs):
    app, _ = sign_in(lib, idp, **app_kwargs)
    idp.faults.add("token", fault)
    seen = ProviderView(idp)
    result = app.acquire_token_silent_with_error(
        [idp.api_scope], account=only_account(app), force_refresh=True
    )
    return {"result": result, "claims_sent": seen.claims_sent()}


@scenario("interaction_required AADSTS50076 with claims, on a silent refresh")
def scenario_interaction_required_50076(lib, idp):
    fault = Fault.oauth_error("interaction_required", 50076, suberror="basic_action", claims=CHALLENGE)
    return _silent_error(lib, idp, fault)


@scenario("consent_required AADSTS65001 on a silent refresh")
def scenario_consent_required_65001(lib, idp):
    return _silent_error(lib, idp, Fault.oauth_error("consent_required", 65001, suberror="consent_required"))


@scenario("invalid_grant AADSTS70008 (expired code) when redeeming an authorization code")
def scenario_expired_code_70008(lib, idp):
    app = lib.public(idp)
    with quiet_msal():
        flow = app.initiate_auth_code_flow(scopes=[idp.api_scope], redirect_uri=REDIRECT_URI)
    response = complete_sign_in(idp, flow["auth_uri"], REDIRECT_URI)
    idp.faults.add("token", Fault.oauth_error("invalid_grant", 70008))
    return {"result": app.acquire_token_by_auth_code_flow(flow, response), "accounts": app.get_accounts()}


@scenario("device code poll: expired_token AADSTS70020")
def scenario_device_code_expired_70020(lib, idp):
    app = lib.public(idp)
    flow = app.initiate_device_flow(scopes=[idp.api_scope])
    idp.faults.add("token", Fault.oauth_error("expired_token", 70020))
    return {"result": app.acquire_token_by_device_flow(flow)}


@scenario("device code poll: authorization_declined AADSTS70000")
def scenario_device_code_declined(lib, idp):
    app = lib.public(idp)
    flow = app.initiate_device_flow(scopes=[idp.api_scope])
    idp.faults.add("token", Fault.oauth_error("authorization_declined", 70000))
    return {"result": app.acquire_token_by_device_flow(flow)}


@scenario("claims_challenge on client credentials reaches the provider as the claims parameter")
def scenario_claims_challenge_client_credentials(lib, idp):
    app = lib.confidential(idp)
    seen = ProviderView(idp)
    result = app.acquire_token_for_client(scopes=[idp.api_app_scope], claims_challenge=CHALLENGE)
    assert seen.claims_sent() == [json.loads(CHALLENGE)]
    return {"result": result, "claims_sent": seen.claims_sent()}


@scenario("client capabilities CP1: xms_cc sent on client credentials")
def scenario_client_capabilities(lib, idp):
    app = lib.confidential(idp, client_capabilities=["CP1"])
    seen = ProviderView(idp)
    result = app.acquire_token_for_client(scopes=[idp.api_app_scope])
    claims = seen.claims_sent()
    assert claims == [CP1], claims  # what the provider received, not only what the two agree on
    return {"result": result, "claims_sent": claims}


@scenario("client capabilities CP1 merged with a claims challenge")
def scenario_client_capabilities_with_challenge(lib, idp):
    app = lib.confidential(idp, client_capabilities=["CP1"])
    seen = ProviderView(idp)
    result = app.acquire_token_for_client(scopes=[idp.api_app_scope], claims_challenge=CHALLENGE)
    claims = seen.claims_sent()
    assert claims[0]["access_token"]["xms_cc"] == CP1["access_token"]["xms_cc"], claims
    return {"result": result, "claims_sent": claims}


@scenario("client capabilities CP1 on a user's device code sign-in (devicecode and token requests)")
def scenario_client_capabilities_device_code(lib, idp):
    seen = ProviderView(idp)
    _, result = sign_in(lib, idp, client_capabilities=["CP1"])
    return {
        "result": result,
        "devicecode": seen.claims_sent("devicecode"),
        "token": seen.claims_sent("token"),
    }


@scenario("a claims challenge bypasses the access-token cache in silent")
def scenario_claims_challenge_bypasses_cache(lib, idp):
    app, _ = sign_in(lib, idp)
    seen = ProviderView(idp)
    result = app.acquire_token_silent([idp.api_scope], account=only_account(app), claims_challenge=CHALLENGE)
    return {"result": result, "grant_types": seen.grant_types(), "claims_sent": seen.claims_sent()}


@scenario("conditional access: refresh refused with interaction_required + claims, then a sign-in with them")
def scenario_conditional_access(lib, idp):
    app, _ = sign_in(lib, idp)
    idp.conditional_access = True
    try:
        refused = app.acquire_token_silent_with_error(
            [idp.api_scope], account=only_account(app), force_refresh=True
        )
        flow = app.initiate_device_flow(scopes=[idp.api_scope], claims_challenge=refused.get("claims"))
        idp.approve_device_code(flow["user_code"])
        granted = app.acquire_token_by_device_flow(flow)
    finally:
        idp.conditional_access = False
    assert (refused.get("error"), "claims" in refused) == ("interaction_required", True), refused
    assert jwt_claims(granted["access_token"]).get("acrs") == ["c1"], granted  # the challenge was met
    return {"refused": refused, "flow": public_flow(flow), "granted": granted}
