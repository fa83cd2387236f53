"""Small request helpers shared by the identity-provider tests (plain requests, real HTTP)."""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import jwt
import requests

TIMEOUT = 10
REDIRECT = "http://localhost:53117/callback"


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def token_request(idp, **data):
    return requests.post(idp.token_endpoint, data=data, timeout=TIMEOUT)


def assert_aadsts(reply, status, error, code):
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["error"] == error
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert body["error_codes"] == [code]
    for key in ("timestamp", "trace_id", "correlation_id", "error_uri"):
        assert body[key]
    return body


def start_device_flow(idp, scope=None, **extra):
    data = {
        "client_id": idp.public_client_id,
        "scope": scope or f"{idp.api_scope} openid profile offline_access",
    }
    reply = requests.post(f"{idp.authority}/oauth2/v2.0/devicecode", data={**data, **extra}, timeout=TIMEOUT)
    assert reply.status_code == 200, reply.text
    return reply.json()


def poll_device(idp, flow):
    return token_request(
        idp,
        grant_type="urn:ietf:params:oauth:grant-type:device_code",
        client_id=idp.public_client_id,
        device_code=flow["device_code"],
        client_info="1",
    )


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(idp, challenge, *, response_mode="query", **extra):
    params = {
        "client_id": idp.public_client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": f"{idp.api_scope} openid profile offline_access",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "response_mode": response_mode,
        **extra,
    }
    return f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}"


def redeem_code(idp, code, verifier, **extra):
    data = {
        "grant_type": "authorization_code",
        "client_id": idp.public_client_id,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": REDIRECT,
        "scope": f"{idp.api_scope} openid profile offline_access",
        "client_info": "1",
        **extra,
    }
    return token_request(idp, **data)


def call_api(idp, token, **kwargs):
    return requests.get(idp.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT, **kwargs)
