"""Shared builders for the token cache tests: Entra-shaped token responses and a fake identity provider
transport (a requests adapter) that msal's applications can talk to without a network."""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

ENV = "login.example.com"
TENANT = "tenant-one"
AUTHORITY = f"https://{ENV}/{TENANT}"
TOKEN_ENDPOINT = f"{AUTHORITY}/oauth2/v2.0/token"
CLIENT_ID = "client-abc"

_serial = itertools.count(1)


def b64url_json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def fake_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped string (caches decode ID tokens without validating them)."""
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}.sig"


def secret(kind: str) -> str:
    return f"{kind}-secret-{next(_serial)}-{'x' * 24}"


def user_response(
    uid: str = "uid1",
    utid: str = "utid1",
    *,
    scopes: list[str] | None = None,
    expires_in: int = 3600,
    username: str = "ada@contoso.example",
    client_info: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    claims = {"sub": f"sub-{uid}", "oid": uid, "tid": utid, "preferred_username": username, "aud": CLIENT_ID}
    response: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": secret("at"),
        "expires_in": expires_in,
        "ext_expires_in": expires_in * 2,
        "refresh_token": secret("rt"),
        "id_token": fake_jwt(claims),
        **extra,
    }
    if scopes is not None:
        response["scope"] = " ".join(scopes)
    if client_info:
        response["client_info"] = b64url_json({"uid": uid, "utid": utid})
    return response


def app_response(*, expires_in: int = 3600, **extra: Any) -> dict[str, Any]:
    return {"token_type": "Bearer", "access_token": secret("at"), "expires_in": expires_in, **extra}


def event(
    response: dict[str, Any],
    scopes: list[str],
    *,
    client_id: str = CLIENT_ID,
    token_endpoint: str = TOKEN_ENDPOINT,
    grant_type: str = "authorization_code",
    data: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "scope": scopes,
        "token_endpoint": token_endpoint,
        "response": response,
        "data": data or {},
        "grant_type": grant_type,
        **extra,
    }


class FakeIdentityProvider(BaseAdapter):
    """A requests adapter answering OIDC discovery for any authority and the token endpoint with queued
    replies; ``requests_to`` counts what each endpoint saw."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.token_replies: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, list[str]]] = []

    def requests_to(self, endpoint: str) -> int:
        return self.counts[endpoint]

    def send(self, request, **kwargs):  # type: ignore[override]
        url = urlsplit(request.url)
        if url.path.endswith("/.well-known/openid-configuration"):
            self.counts["discovery"] += 1
            base = f"{url.scheme}://{url.netloc}{url.path.split('/v2.0/')[0]}"
            return self._reply(request, 200, _discovery(base))
        if url.path.endswith("/oauth2/v2.0/token"):
            self.counts["token"] += 1
            body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
            self.token_requests.append(parse_qs(body))
            if not self.token_replies:
                return self._reply(request, 400, {"error": "invalid_grant", "error_description": "no reply"})
            return self._reply(request, 200, self.token_replies.pop(0))
        if url.path.endswith("/oauth2/v2.0/devicecode"):
            self.counts["devicecode"] += 1
            return self._reply(
                request,
                200,
                {
                    "device_code": "dc",
                    "user_code": "UC",
                    "verification_uri": "https://example.invalid/device",
                    "expires_in": 900,
                    "interval": 1,
                    "message": "sign in",
                },
            )
        self.counts["other"] += 1
        return self._reply(request, 404, {"error": "not_found"})

    @staticmethod
    def _reply(request, status: int, body: dict[str, Any]) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def _discovery(base: str) -> dict[str, Any]:
    return {
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
    }


def session_with(adapter: FakeIdentityProvider) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
