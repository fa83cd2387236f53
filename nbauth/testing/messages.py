"""Requests and replies as plain data, and Entra's error bodies (AADSTS codes, trace and correlation ids)."""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Mapping[str, str]

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together (the form wins), as Entra reads them."""
        return {**self.query, **self.form}

    def basic_credentials(self) -> tuple[str, str] | None:
        """``(client_id, client_secret)`` from an ``Authorization: Basic`` header (RFC 6749 section 2.3.1)."""
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not sep:
            return None
        from urllib.parse import unquote_plus

        return unquote_plus(user), unquote_plus(password)

    def bearer_token(self) -> str | None:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps(payload).encode("utf-8")
    # Token replies must not be cached by anything in between (RFC 6749 section 5.1).
    base = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store, no-cache")]
    return Reply(status, body, base + list(headers or []))


def html_reply(status: int, html: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    base = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
    return Reply(status, html.encode("utf-8"), base + list(headers or []))


def redirect(location: str, params: Mapping[str, str]) -> Reply:
    separator = "&" if "?" in location else "?"
    return Reply(
        302, b"", [("Location", f"{location}{separator}{urlencode(params)}"), ("Cache-Control", "no-store")]
    )


def entra_timestamp(now: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))


def aad_error_body(
    error: str,
    code: int,
    description: str,
    *,
    base_url: str,
    now: float,
    correlation_id: str | None = None,
    suberror: str | None = None,
    claims: str | None = None,
) -> dict[str, Any]:
    """Entra's JSON for an OAuth error; ``correlation_id`` echoes the client's ``client-request-id``."""
    trace_id, correlation_id = str(uuid.uuid4()), correlation_id or str(uuid.uuid4())
    timestamp = entra_timestamp(now)
    body: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} "
            f"Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{base_url}/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    if claims:
        body["claims"] = claims
    return body


class OAuthError(Exception):
    """Raised inside a handler to answer with an Entra error body."""

    def __init__(
        self,
        error: str,
        code: int,
        description: str,
        *,
        status: int = 400,
        suberror: str | None = None,
        claims: str | None = None,
    ) -> None:
        super().__init__(f"{error}: AADSTS{code}")
        self.error, self.code, self.description, self.status = error, code, description, status
        self.suberror, self.claims = suberror, claims

    def reply(self, *, base_url: str, now: float, correlation_id: str | None) -> Reply:
        body = aad_error_body(
            self.error,
            self.code,
            self.description,
            base_url=base_url,
            now=now,
            correlation_id=correlation_id,
            suberror=self.suberror,
            claims=self.claims,
        )
        return json_reply(self.status, body)


def missing_parameter(name: str) -> OAuthError:
    return OAuthError(
        "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
    )
