"""Authorization code + PKCE, and acquire_token_interactive end to end through the loopback listener."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import requests

from nbauth import PublicClientApplication
from nbauth.testing import Fault
from tests.core.helpers import complete_sign_in, redirect_params

REDIRECT = "http://localhost:8400/callback"


def test_flow_dict_and_pkce(pca, idp):
    flow = pca.initiate_auth_code_flow([idp.api_scope], redirect_uri=REDIRECT, login_hint=idp.username)
    assert {
        "auth_uri",
        "state",
        "nonce",
        "code_verifier",
        "redirect_uri",
        "scope",
        "claims_challenge",
    } <= set(flow)
    query = {k: v[0] for k, v in parse_qs(urlsplit(flow["auth_uri"]).query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(flow["code_verifier"].encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == challenge.decode() and query["code_challenge_method"] == "S256"
    assert query["state"] == flow["state"] and query["nonce"] != flow["nonce"]  # the nonce travels hashed
    assert query["login_hint"] == idp.username and query["redirect_uri"] == REDIRECT
    assert set(query["scope"].split()) == {"openid", "profile", "offline_access", idp.api_scope}


def test_code_is_redeemed_once_and_cached(pca, idp):
    flow = pca.initiate_auth_code_flow([idp.api_scope], redirect_uri=REDIRECT)
    response = redirect_params(flow["auth_uri"], idp.username, idp.password)
    result = pca.acquire_token_by_auth_code_flow(flow, response)
    assert result["token_source"] == "identity_provider"
    assert result["id_token_claims"]["preferred_username"] == idp.username
    (account,) = pca.get_accounts()
    assert pca.acquire_token_silent([idp.api_scope], account)["token_source"] == "cache"
    redeemed = [r for r in idp.request_log if r.grant_type == "authorization_code"]
    assert len(redeemed) == 1 and redeemed[0].params.get("code_verifier")


def test_single_use_code_is_not_retried(pca, idp):
    flow = pca.initiate_auth_code_flow([idp.api_scope], redirect_uri=REDIRECT)
    response = redirect_params(flow["auth_uri"], idp.username, idp.password)
    idp.faults.add("token", Fault.status(503, body="html"))
    result = pca.acquire_token_by_auth_code_flow(flow, response)
    assert result["error"] == "temporarily_unavailable" and result["http_status"] == 503
    assert idp.requests_to("token") == 1


def test_error_response_is_an_error_dict(pca, idp):
    flow = pca.initiate_auth_code_flow([idp.api_scope], redirect_uri=REDIRECT)
    response = redirect_params(flow["auth_uri"], idp.username, idp.password, action="cancel")
    result = pca.acquire_token_by_auth_code_flow(flow, response)
    assert result["error"] == "access_denied" and "access_token" not in result
    assert idp.requests_to("token") == 0


def test_nonce_mismatch_is_an_error_and_nothing_is_cached(pca, idp):
    flow = pca.initiate_auth_code_flow([idp.api_scope], redirect_uri=REDIRECT)
    response = redirect_params(flow["auth_uri"], idp.username, idp.password)
    tampered = dict(flow, nonce="not-the-nonce-that-was-sent")
    result = pca.acquire_token_by_auth_code_flow(tampered, response)
    assert result["error"] == "invalid_nonce" and "access_token" not in result
    assert pca.get_accounts() == []


def test_claims_challenge_and_capabilities_in_auth_uri_and_redemption(idp, clock):
    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, client_capabilities=["CP1"], clock=clock
    )
    flow = app.initiate_auth_code_flow(
        [idp.api_scope],
        redirect_uri=REDIRECT,
        claims_challenge='{"id_token": {"auth_time": {"essential": true}}}',
    )
    claims = parse_qs(urlsplit(flow["auth_uri"]).query)["claims"][0]
    assert '"xms_cc": {"values": ["CP1"]}' in claims and '"auth_time"' in claims
    result = app.acquire_token_by_auth_code_flow(
        flow, redirect_params(flow["auth_uri"], idp.username, idp.password)
    )
    assert "access_token" in result
    assert (
        '"xms_cc"'
        in next(r for r in idp.request_log if r.grant_type == "authorization_code").params["claims"]
    )


class ScriptedBrowser:
    """An opener for acquire_token_interactive that signs in with plain HTTP, like a person would."""

    def __init__(self, idp, action="accept"):
        self.idp, self.action, self.opened, self.final = idp, action, [], None

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        self.final = complete_sign_in(url, self.idp.username, self.idp.password, action=self.action)
        return True


def test_interactive_end_to_end(idp, clock):
    browser = ScriptedBrowser(idp)
    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, open_browser=browser
    )
    result = app.acquire_token_interactive([idp.api_scope], login_hint=idp.username, timeout=30)
    assert result["token_source"] == "identity_provider", result
    assert result["id_token_claims"]["preferred_username"] == idp.username
    query = parse_qs(urlsplit(browser.opened[0]).query)
    assert query["response_mode"] == ["form_post"]
    assert query["redirect_uri"][0].startswith("http://localhost:")
    assert browser.final.status_code == 200 and "Authentication complete" in browser.final.text
    assert [a["username"] for a in app.get_accounts()] == [idp.username]


def test_interactive_cancelled_sign_in_is_an_error(idp, clock):
    app = PublicClientApplication(
        idp.public_client_id,
        authority=idp.authority,
        clock=clock,
        open_browser=ScriptedBrowser(idp, "cancel"),
    )
    result = app.acquire_token_interactive([idp.api_scope], timeout=30)
    assert result["error"] == "access_denied"


def test_interactive_times_out_with_an_error_dict(idp, clock):
    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, open_browser=lambda url: True
    )
    result = app.acquire_token_interactive([idp.api_scope], timeout=0.2)
    assert result["error"] == "timeout"


def test_interactive_without_a_browser(idp, clock):
    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, open_browser=lambda url: False
    )
    assert app.acquire_token_interactive([idp.api_scope], timeout=5)["error"] == "browser_unavailable"


def test_listener_accepts_only_a_matching_form_post(idp, clock):
    seen = {}

    def opener(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        redirect, state = query["redirect_uri"][0].replace("localhost", "127.0.0.1"), query["state"][0]
        seen["get"] = requests.get(redirect + "?code=stolen&state=" + state, timeout=5)
        seen["forged"] = requests.post(redirect, data={"code": "x", "state": "forged"}, timeout=5)
        seen["real"] = requests.post(redirect, data={"error": "access_denied", "state": state}, timeout=5)
        seen["again"] = requests.post(redirect, data={"code": "y", "state": state}, timeout=5)
        return True

    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, open_browser=opener
    )
    result = app.acquire_token_interactive([idp.api_scope], timeout=10)
    assert result == {"error": "access_denied"}
    assert [seen[k].status_code for k in ("get", "forged", "real", "again")] == [400, 400, 200, 400]
    assert idp.requests_to("token") == 0
