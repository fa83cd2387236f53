"""nbauth against a third-party OpenID Connect server: panva/oidc-provider 9 on 127.0.0.1.

The server (tests/interop/oidc_provider/server.mjs) is not Entra-shaped: no AADSTS codes, no client_info,
opaque refresh tokens that rotate, RFC 8707 resource indicators. nbauth is configured with
``oidc_authority=<issuer>`` only. The user's part of each flow is driven through oidc-provider's
``devInteractions`` pages with plain HTTP requests (interop_browser.py).

The first tests drive the server with plain ``requests``: they prove the server and the scripted person work
independently of nbauth, so a failure further down points at nbauth, not at the harness.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from interop_browser import DevInteractionsBrowser

from nbauth.testing import FakeClock

pytestmark = pytest.mark.oidc_provider

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REDIRECT_URI = "http://127.0.0.1:8400/"  # never listened on: the scripted person reports the response


def verified_access_token(server, token: str) -> dict:
    """Checks the signature against the provider's JWKS, the issuer and the audience (the API resource)."""
    keys = jwt.PyJWKSet.from_dict(requests.get(server.metadata()["jwks_uri"], timeout=10).json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(token, key, algorithms=["RS256"], audience=server.api_resource, issuer=server.issuer)


def unique_login() -> str:
    return f"user-{secrets.token_hex(4)}"


# ---- the harness on its own (plain HTTP) ----------------------------------------------------------------


def test_discovery_lists_every_flow_the_tests_use(oidc_provider):
    meta = oidc_provider.metadata()
    assert meta["issuer"] == oidc_provider.issuer
    assert {"client_credentials", "authorization_code", "refresh_token", DEVICE_GRANT} <= set(
        meta["grant_types_supported"]
    )
    assert meta["device_authorization_endpoint"].startswith(oidc_provider.issuer)
    assert "S256" in meta["code_challenge_methods_supported"]


def test_harness_client_credentials_with_plain_requests(oidc_provider):
    reply = requests.post(
        oidc_provider.metadata()["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": oidc_provider.confidential_client_id,
            "client_secret": oidc_provider.client_secret,
            "scope": oidc_provider.api_scope,
        },
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    claims = verified_access_token(oidc_provider, reply.json()["access_token"])
    assert claims["client_id"] == oidc_provider.confidential_client_id


def test_harness_device_code_user_step_with_plain_requests(oidc_provider):
    meta = oidc_provider.metadata()
    flow = requests.post(
        meta["device_authorization_endpoint"],
        data={"client_id": oidc_provider.public_client_id, "scope": "openid offline_access api:read"},
        timeout=10,
    ).json()
    poll = {
        "grant_type": DEVICE_GRANT,
        "client_id": oidc_provider.public_client_id,
        "device_code": flow["device_code"],
    }
    pending = requests.post(meta["token_endpoint"], data=poll, timeout=10)
    assert pending.json()["error"] == "authorization_pending"

    login = unique_login()
    page = DevInteractionsBrowser(login).approve_device_code(flow["verification_uri_complete"])
    assert "Sign-in Success" in page

    tokens = requests.post(meta["token_endpoint"], data=poll, timeout=10).json()
    assert verified_access_token(oidc_provider, tokens["access_token"])["sub"] == login
    assert tokens["refresh_token"]


def test_harness_auth_code_pkce_with_plain_requests(oidc_provider):
    meta = oidc_provider.metadata()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": oidc_provider.public_client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid offline_access api:read",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "response_mode": "form_post",
        # OpenID Connect Core 11: offline_access is honoured only with prompt=consent, so oidc-provider
        # drops it (and issues no refresh token) otherwise.
        "prompt": "consent",
    }
    response = DevInteractionsBrowser(unique_login()).authorize(
        f"{meta['authorization_endpoint']}?{urlencode(query)}", REDIRECT_URI
    )
    assert response["state"] == "s1"
    tokens = requests.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "client_id": oidc_provider.public_client_id,
            "code": response["code"],
            "code_verifier": verifier,
            "redirect_uri": REDIRECT_URI,
        },
        timeout=10,
    ).json()
    assert {"access_token", "id_token", "refresh_token"} <= set(tokens), tokens


# ---- nbauth ------------------------------------------------------------------------------------------------


def confidential_app(server, **kwargs):
    from nbauth import ConfidentialClientApplication

    return ConfidentialClientApplication(
        server.confidential_client_id,
        client_credential=server.client_secret,
        oidc_authority=server.issuer,
        **kwargs,
    )


def public_app(server, **kwargs):
    from nbauth import PublicClientApplication

    return PublicClientApplication(server.public_client_id, oidc_authority=server.issuer, **kwargs)


def test_nbauth_client_credentials(oidc_provider):
    app = confidential_app(oidc_provider)
    result = app.acquire_token_for_client(scopes=[oidc_provider.api_scope])
    assert result.get("token_type") == "Bearer", result
    assert result["token_source"] == "identity_provider"
    assert isinstance(result["expires_in"], int) and result["expires_in"] > 0
    claims = verified_access_token(oidc_provider, result["access_token"])
    assert (claims["client_id"], claims["scope"]) == (oidc_provider.confidential_client_id, "api:read")

    again = app.acquire_token_for_client(scopes=[oidc_provider.api_scope])
    assert again["token_source"] == "cache"
    assert again["access_token"] == result["access_token"]


def test_nbauth_client_credentials_with_a_wrong_secret_is_an_error_dict(oidc_provider):
    from nbauth import ConfidentialClientApplication

    app = ConfidentialClientApplication(
        oidc_provider.confidential_client_id,
        client_credential="not-the-secret",
        oidc_authority=oidc_provider.issuer,
    )
    result = app.acquire_token_for_client(scopes=[oidc_provider.api_scope])
    assert result["error"] == "invalid_client"
    assert "access_token" not in result
    assert "not-the-secret" not in repr(result)


def device_sign_in(server, login: str, **app_kwargs):
    """nbauth's device flow; the scripted person approves during nbauth's first wait between polls."""
    state: dict = {"waits": [], "flow": None}

    def sleep(seconds: float) -> None:
        assert len(state["waits"]) < 50, "nbauth kept polling after the user had approved"
        if not state["waits"]:
            DevInteractionsBrowser(login).approve_device_code(state["flow"]["verification_uri_complete"])
        state["waits"].append(seconds)

    app = public_app(server, sleep=sleep, **app_kwargs)
    state["flow"] = app.initiate_device_flow(scopes=[server.api_scope])
    assert "error" not in state["flow"], state["flow"]
    return app, state["flow"], app.acquire_token_by_device_flow(state["flow"]), state["waits"]


def test_nbauth_device_code(oidc_provider):
    login = unique_login()
    app, flow, result, waits = device_sign_in(oidc_provider, login)

    assert {"device_code", "user_code", "verification_uri", "verification_uri_complete"} <= set(flow)
    assert flow["interval"] == 5  # oidc-provider sends none: the contract's default
    assert flow["expires_at"] == pytest.approx(time.time() + flow["expires_in"], abs=60)
    assert sum(waits) == flow["interval"]  # one authorization_pending, one interval waited, then the token
    assert result.get("token_source") == "identity_provider", result
    assert verified_access_token(oidc_provider, result["access_token"])["sub"] == login
    assert result["refresh_token"]
    assert result["id_token_claims"]["sub"] == login

    accounts = app.get_accounts()
    assert [a["username"] for a in accounts] == [login]  # preferred_username from the id token
    cached = app.acquire_token_silent([oidc_provider.api_scope], account=accounts[0])
    assert cached["token_source"] == "cache"
    assert cached["access_token"] == result["access_token"]


def test_nbauth_auth_code_with_pkce(oidc_provider):
    app = public_app(oidc_provider)
    flow = app.initiate_auth_code_flow(
        scopes=[oidc_provider.api_scope],
        redirect_uri=REDIRECT_URI,
        prompt="consent",  # for offline_access
    )
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [oidc_provider.public_client_id]

    login = unique_login()
    response = DevInteractionsBrowser(login).authorize(flow["auth_uri"], REDIRECT_URI)
    assert response["state"] == flow["state"]
    result = app.acquire_token_by_auth_code_flow(flow, response)

    assert result.get("token_source") == "identity_provider", result
    assert result["id_token_claims"]["sub"] == login
    # Like MSAL, nbauth sends the SHA-256 of its nonce and checks the id token carries that.
    assert result["id_token_claims"]["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
    assert verified_access_token(oidc_provider, result["access_token"])["sub"] == login
    assert result["refresh_token"]
    assert [a["username"] for a in app.get_accounts()] == [login]


def test_nbauth_refresh_token(oidc_provider):
    login = unique_login()
    app, _flow, first, _waits = device_sign_in(oidc_provider, login)
    assert "refresh_token" in first, first

    result = app.acquire_token_by_refresh_token(first["refresh_token"], scopes=[oidc_provider.api_scope])
    assert result.get("token_source") == "identity_provider", result
    assert result["access_token"] != first["access_token"]
    assert result["refresh_token"] != first["refresh_token"]  # oidc-provider rotates public clients' tokens
    assert verified_access_token(oidc_provider, result["access_token"])["sub"] == login


def test_nbauth_silent_refresh_after_the_token_expired(oidc_provider):
    clock = FakeClock(start=time.time())
    login = unique_login()
    app, _flow, first, _waits = device_sign_in(oidc_provider, login, clock=clock)
    (account,) = app.get_accounts()

    clock.advance(first["expires_in"] + 1)  # the cached token is now expired for nbauth
    result = app.acquire_token_silent([oidc_provider.api_scope], account=account)
    assert result is not None and result.get("token_source") == "identity_provider", result
    assert result["access_token"] != first["access_token"]
    assert verified_access_token(oidc_provider, result["access_token"])["sub"] == login


def test_nbauth_refresh_with_a_bogus_token_is_invalid_grant(oidc_provider):
    app = public_app(oidc_provider)
    result = app.acquire_token_by_refresh_token("not-a-refresh-token", scopes=[oidc_provider.api_scope])
    assert result["error"] == "invalid_grant"
    assert "access_token" not in result
