"""Which integration objects are alive, and what they did: for ``%nbauth`` to show. Nothing secret is kept.

Objects register themselves weakly, so listing them never keeps one alive.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import asdict, dataclass
from typing import Any

_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()
_LOCK = threading.Lock()


@dataclass
class Usage:
    """Counters of one integration object; ``last_error`` is one readable line: error code, description."""

    tokens_acquired: int = 0  # token results handed out (cache hits included)
    claims_challenges: int = 0  # 401s carrying a claims challenge
    retries: int = 0  # requests re-sent after a challenge was met
    failures: int = 0  # acquisitions that ended in an error dict
    last_error: str | None = None

    def count(self, field: str) -> None:
        with _LOCK:  # several threads may share one auth object
            setattr(self, field, getattr(self, field) + 1)


def register(obj: Any) -> None:
    with _LOCK:
        _LIVE.add(obj)


def live_integrations() -> list[dict[str, Any]]:
    """One dict per live ``BearerAuth`` / ``NbAuthCredential``: kind, client_id, scopes, account and usage."""
    with _LOCK:
        objects = list(_LIVE)
    return [{**obj.describe(), **asdict(obj.usage)} for obj in objects]
