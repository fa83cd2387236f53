"""Conditional Access mode: the API's claims challenge, interaction_required on refresh, acrs tokens."""

import base64
import json
import re

from idp_helpers import assert_aadsts, call_api, claims_of, poll_device, start_device_flow, token_request


def signed_in(idp):
    flow = start_device_flow(idp)
    idp.approve_device_code(flow["user_code"])
    body = poll_device(idp, flow).json()
    assert "access_token" in body
    return body


def refresh(idp, refresh_token, **extra):
    data = {
        "grant_type": "refresh_token",
        "client_id": idp.public_client_id,
        "refresh_token": refresh_token,
        "scope": f"{idp.api_scope} openid profile offline_access",
    }
    return token_request(idp, **{**data, **extra})


def challenge_of(reply):
    header = reply.headers["WWW-Authenticate"]
    assert header.startswith("Bearer ")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
    return fields


def test_api_challenges_a_token_without_acrs(local_idp):
    tokens = signed_in(local_idp)
    assert call_api(local_idp, tokens["access_token"]).status_code == 200
    local_idp.conditional_access = True
    reply = call_api(local_idp, tokens["access_token"])
    assert reply.status_code == 401
    fields = challenge_of(reply)
    assert fields["error"] == "insufficient_claims"
    assert fields["realm"] == ""
    assert fields["authorization_uri"] == f"{local_idp.authority}/oauth2/v2.0/authorize"
    claims = json.loads(base64.b64decode(fields["claims"]))
    assert claims == {"access_token": {"acrs": {"essential": True, "value": "c1"}}}


def test_refresh_without_claims_is_interaction_required_with_claims(local_idp):
    tokens = signed_in(local_idp)
    local_idp.conditional_access = True
    body = assert_aadsts(refresh(local_idp, tokens["refresh_token"]), 400, "interaction_required", 50076)
    assert json.loads(body["claims"])["access_token"]["acrs"]["value"] == "c1"
    other = refresh(local_idp, tokens["refresh_token"], scope="User.Read openid")
    assert other.status_code == 200  # the policy covers the demo API only


def test_refresh_with_the_challenge_gives_a_token_the_api_accepts(local_idp):
    tokens = signed_in(local_idp)
    local_idp.conditional_access = True
    challenge = challenge_of(call_api(local_idp, tokens["access_token"]))["claims"]
    claims = json.loads(base64.b64decode(challenge))
    claims["access_token"]["xms_cc"] = {"values": ["CP1"]}  # merged with client capabilities, as MSAL does
    reply = refresh(local_idp, tokens["refresh_token"], claims=json.dumps(claims))
    assert reply.status_code == 200, reply.text
    access = reply.json()["access_token"]
    assert claims_of(access)["acrs"] == ["c1"]
    api = call_api(local_idp, access)
    assert api.status_code == 200
    assert api.json()["acrs"] == ["c1"] and api.json()["xms_cc"] == ["CP1"]
    # The session satisfied the policy: its new refresh token keeps working without claims.
    again = refresh(local_idp, reply.json()["refresh_token"])
    assert claims_of(again.json()["access_token"])["acrs"] == ["c1"]


def test_bad_claims_json_is_invalid_request(local_idp):
    tokens = signed_in(local_idp)
    assert_aadsts(refresh(local_idp, tokens["refresh_token"], claims="{nope"), 400, "invalid_request", 90014)


def test_api_rejects_missing_forged_and_wrong_audience_tokens(local_idp):
    missing = call_api(local_idp, "")
    assert missing.status_code == 401 and challenge_of(missing)["realm"] == ""
    tokens = signed_in(local_idp)
    head, payload, signature = tokens["access_token"].split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    assert call_api(local_idp, forged).status_code == 401
    graph = refresh(local_idp, tokens["refresh_token"], scope="User.Read").json()["access_token"]
    wrong = call_api(local_idp, graph)
    assert wrong.status_code == 401 and "audience" in challenge_of(wrong)["error_description"]
