"""Small stand-ins for unit tests: an object with MSAL's API, and an API behind a mounted fake adapter."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

ACRS_CLAIMS = {"access_token": {"acrs": {"essential": True, "value": "c1"}}}


def challenge_header(claims: dict[str, Any] = ACRS_CLAIMS) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return (
        'Bearer realm="", authorization_uri="https://login.example/common/oauth2/authorize", '
        f'error="insufficient_claims", claims="{encoded}"'
    )


class FakeApp:
    """MSAL's API surface, enough for the integrations: one cached token; claims make a compliant one.

    Like MSAL, a silent call returns the cached token (``token_source: cache``) until a claims challenge
    replaces it with a compliant one.
    """

    client_id = "fake-client"
    is_confidential = False

    def __init__(self, *, accounts=None, silent=True, claims_ok=True) -> None:
        self.accounts = [{"username": "ada@contoso.example"}] if accounts is None else accounts
        self.silent = silent  # False: nothing cached, no refresh token
        self.claims_ok = claims_ok  # False: the refresh with claims is refused (MFA needed)
        self.calls: list[tuple[str, Any, str | None]] = []
        self.issued = 0
        self.cached: dict[str, Any] | None = None

    def get_accounts(self, username=None):
        return [a for a in self.accounts if username in (None, a["username"])]

    def _token(self, prefix: str) -> dict[str, Any]:
        self.issued += 1
        token = f"{prefix}-secret-{self.issued}"
        self.cached = {"access_token": token, "token_type": "Bearer", "expires_in": 3599}
        self.cached["token_source"] = "cache"
        return {**self.cached, "token_source": "identity_provider"}

    def acquire_token_silent_with_error(self, scopes, account, claims_challenge=None, **kwargs):
        self.calls.append(("silent", account, claims_challenge))
        if claims_challenge:
            if not self.claims_ok:
                description = "AADSTS50076: MFA required.\nTrace ID: 1"
                return {"error": "interaction_required", "error_description": description}
            return self._token("compliant")
        if self.cached:
            return dict(self.cached)
        return self._token("plain") if self.silent else None


class FakeConfidentialApp(FakeApp):
    is_confidential = True

    def acquire_token_silent(self, scopes, account, **kwargs):
        self.calls.append(("silent", account, None))
        return None

    def acquire_token_for_client(self, scopes, claims_challenge=None):
        self.calls.append(("for_client", None, claims_challenge))
        if self.cached and not claims_challenge:
            return dict(self.cached)
        return self._token("compliant" if claims_challenge else "app")


class FakeAPI(HTTPAdapter):
    """Answers 200 to a compliant token, 401 with a claims challenge to any other (or 401 plain if asked)."""

    def __init__(
        self, *, challenge: bool = True, always_401: bool = False, require_claims: bool = True
    ) -> None:
        super().__init__()
        self.require_claims = require_claims
        self.challenge = challenge
        self.always_401 = always_401
        self.seen: list[tuple[str | None, bytes | None]] = []

    def send(self, request, **kwargs):
        self.seen.append((request.headers.get("Authorization"), _read(request.body)))
        auth = request.headers.get("Authorization") or ""
        wanted = "Bearer compliant" if self.require_claims else "Bearer "
        ok = auth.startswith(wanted) and not self.always_401
        response = requests.Response()
        response.request = request
        response.connection = self
        response.url = request.url
        response.status_code = 200 if ok else 401
        headers = {"Content-Type": "application/json"}
        if not ok:
            headers["WWW-Authenticate"] = (
                challenge_header() if self.challenge else 'Bearer error="invalid_token"'
            )
        response.headers = CaseInsensitiveDict(headers)
        response._content = json.dumps({"ok": ok}).encode()
        response.raw = _Raw(response._content)
        return response


class _Raw(io.BytesIO):
    """A body stream that takes attributes, as urllib3's does (azure-core sets enforce_content_length)."""


def _read(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if hasattr(body, "read"):
        return body.read()
    return b"".join(body)  # a generator: consumed, as a real adapter would


def session_with(api: FakeAPI) -> requests.Session:
    session = requests.Session()
    session.mount("https://api.test/", api)
    return session
