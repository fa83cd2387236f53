"""The request log: what each endpoint was asked, every secret replaced by ``***`` before it is stored."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

REDACTED = "***"
# Parameters that carry a credential or a grant; their values never reach the log.
SECRET_PARAMETERS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "assertion",
        "code",
        "code_verifier",
        "refresh_token",
        "device_code",
        "user_code",
        "password",
        "access_token",
        "id_token",
        "token",
    }
)


def redact(params: Mapping[str, str]) -> dict[str, str]:
    return {k: REDACTED if k.lower() in SECRET_PARAMETERS else v for k, v in params.items()}


def redact_authorization(header: str | None) -> str | None:
    """Keep the scheme (``Basic`` / ``Bearer``) so tests can tell how a client authenticated."""
    if not header:
        return None
    scheme = header.partition(" ")[0]
    return f"{scheme} {REDACTED}"


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # without the query string; its parameters are in ``params``
    endpoint: str
    status: int | None  # None when a fault closed the connection without a reply
    params: dict[str, str] = field(default_factory=dict)
    authorization: str | None = None  # "Basic ***", "Bearer ***" or None
    fault: str | None = None  # repr of the scripted fault that answered, if any

    @property
    def grant_type(self) -> str | None:
        return self.params.get("grant_type")


class RequestLog:
    """Thread-safe list of LoggedRequest plus a counter per endpoint (faulted requests included)."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, endpoint: str) -> None:
        with self._lock:
            self._counts[endpoint] += 1

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def requests_to(self, endpoint: str) -> int:
        with self._lock:
            return self._counts[endpoint]

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()
