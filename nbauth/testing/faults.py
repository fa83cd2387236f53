"""Scripted faults: what an endpoint does instead of its normal answer, queued per endpoint from Python.

>>> idp.faults.add("token", Fault.status(429, retry_after=7))        # next token request: 429, Retry-After: 7
>>> idp.faults.add("token", Fault.status(503, body="html"), times=2)  # then two HTML 503 pages
>>> idp.faults.add("discovery", Fault.reset())                       # connection closed without a reply

Each request to an endpoint takes the first queued fault for it, if any, in the order they were added.
"""

from __future__ import annotations

import email.utils
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from nbauth.testing.messages import Reply, aad_error_body, html_reply, json_reply

FaultKind = Literal["status", "oauth_error", "reset", "delay", "malformed_json", "truncated_json"]

# Entra's own words for its transient failures.
_STATUS_ERRORS = {
    429: (
        "temporarily_unavailable",
        50196,
        "The server terminated an operation because it encountered a client "
        "request loop. Please contact your app vendor.",
    ),
    500: ("server_error", 50000, "There was an error issuing a token or an issue with our sign-in service."),
}
_TRANSIENT = ("temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
_HTML_TEMPLATE = (
    "<!DOCTYPE html><html><head><title>{status} {reason}</title></head>"
    "<body><h1>{status} {reason}</h1><p>The service is unavailable. Please try again later.</p></body></html>"
)
_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
MALFORMED_JSON = b'{"token_type": "Bearer", "expires_in": 3599 "ext_expires_in": 3599,, }'
TRUNCATED_JSON = b'{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_tok'


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour. Build it with the class methods."""

    kind: FaultKind
    status_code: int = 0
    retry_after: int | datetime | None = None
    body: str | dict[str, Any] = "json"
    error: str = ""
    aadsts: int = 0
    description: str | None = None
    suberror: str | None = None
    claims: str | None = None
    seconds: float = 0.0

    @classmethod
    def status(
        cls, code: int, *, retry_after: int | datetime | None = None, body: str | dict[str, Any] = "json"
    ) -> Fault:
        """An HTTP error status; ``body``: ``"json"`` (Entra's error JSON), ``"html"``, or a dict to send."""
        if body not in ("json", "html") and not isinstance(body, dict):
            raise ValueError("body must be 'json', 'html' or a dict")
        return cls("status", status_code=code, retry_after=retry_after, body=body)

    @classmethod
    def oauth_error(
        cls,
        error: str = "invalid_grant",
        aadsts: int = 70000,
        description: str | None = None,
        *,
        status: int = 400,
        suberror: str | None = None,
        claims: str | None = None,
    ) -> Fault:
        """An Entra OAuth error body (``error_description`` starts with ``AADSTS<aadsts>:``)."""
        return cls(
            "oauth_error",
            status_code=status,
            error=error,
            aadsts=aadsts,
            description=description,
            suberror=suberror,
            claims=claims,
        )

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection without a reply (a TCP reset)."""
        return cls("reset")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds`` (real time; cut short when the provider stops)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def malformed_json(cls) -> Fault:
        """200 with ``Content-Type: application/json`` and a body that is not JSON."""
        return cls("malformed_json", status_code=200)

    @classmethod
    def truncated_json(cls) -> Fault:
        """200 with the first part of a JSON object only (correctly framed, so only the JSON is broken)."""
        return cls("truncated_json", status_code=200)

    def reply(self, *, base_url: str, now: float, correlation_id: str | None) -> Reply:
        """The reply for the faults that have one (status, oauth_error, malformed and truncated JSON)."""
        headers = [("Retry-After", _retry_after(self.retry_after))] if self.retry_after is not None else []
        if self.kind in ("malformed_json", "truncated_json"):
            body = MALFORMED_JSON if self.kind == "malformed_json" else TRUNCATED_JSON
            return Reply(200, body, [("Content-Type", "application/json; charset=utf-8")])
        if self.kind == "oauth_error":
            error, code, text = self.error, self.aadsts, self.description or _default_text(self.aadsts)
        elif isinstance(self.body, dict):
            return json_reply(self.status_code, self.body, headers)
        elif self.body == "html":
            reason = _REASONS.get(self.status_code, "Error")
            return html_reply(
                self.status_code, _HTML_TEMPLATE.format(status=self.status_code, reason=reason), headers
            )
        else:
            error, code, text = _STATUS_ERRORS.get(self.status_code, _TRANSIENT)
        body = aad_error_body(
            error,
            code,
            text,
            base_url=base_url,
            now=now,
            correlation_id=correlation_id,
            suberror=self.suberror,
            claims=self.claims,
        )
        return json_reply(self.status_code, body, headers)

    def __repr__(self) -> str:
        detail = {"status": self.status_code, "oauth_error": self.error, "delay": self.seconds}.get(self.kind)
        return f"Fault.{self.kind}({detail!r})" if detail else f"Fault.{self.kind}()"


def _retry_after(value: int | datetime) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)
    return str(int(value))


def _default_text(code: int) -> str:
    return {
        70000: "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.",
        50076: "Due to a configuration change made by your administrator, or because you moved to a new "
        "location, you must use multi-factor authentication to access the resource.",
        50173: "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        700082: "The refresh token has expired due to inactivity.",
        7000215: "Invalid client secret provided.",
    }.get(code, "The request could not be completed.")


class FaultQueue:
    """Queued faults per endpoint name; thread-safe."""

    def __init__(self, endpoints: tuple[str, ...]) -> None:
        self._endpoints = endpoints
        self._queues: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()

    def add(self, endpoint: str, fault: Fault, times: int = 1) -> None:
        if endpoint not in self._endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(self._endpoints)}")
        if not isinstance(fault, Fault) or times < 1:
            raise ValueError("add(endpoint, Fault, times >= 1)")
        with self._lock:
            self._queues.setdefault(endpoint, deque()).extend([fault] * times)

    def take(self, endpoint: str) -> Fault | None:
        with self._lock:
            queue = self._queues.get(endpoint)
            return queue.popleft() if queue else None

    def pending(self, endpoint: str | None = None) -> int:
        with self._lock:
            if endpoint is not None:
                return len(self._queues.get(endpoint, ()))
            return sum(len(q) for q in self._queues.values())

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
