"""The one automatic retry (contract section 3), as one documented, configurable setting.

What MSAL 1.39 does, measured and read from its source: it mounts ``HTTPAdapter(max_retries=1)`` on its own
session, so urllib3 retries once when a connection could not be established (any method), retries a read
failure only for idempotent methods (never a token POST), and never retries on a status. A 5xx goes straight
to its throttle. nbauth keeps one retry and widens it to the transient failures the contract lists:

=====================================================  ==============================================
failure of the first attempt                           retried?
=====================================================  ==============================================
connection could not be established (refused, DNS,     yes, for every request: nothing reached the
connect timeout)                                       server, so even an auth code is safe to send
read timeout, reset after the request was sent         yes, unless ``RequestContext.single_use``
500/502/503/504, no ``Retry-After`` or one <= 5 s      yes (after ``Retry-After`` seconds when sent),
                                                       unless ``single_use``
500/502/503/504 with ``Retry-After`` > 5 s             no: the throttle replays it for that long
TLS failure (certificate, handshake)                   no: it fails the same way again
any 4xx, 429 included                                  never (429 goes to the throttle)
=====================================================  ==============================================

An authorization code (``single_use``) that may have reached the server is never sent again: the provider
would reject the second redemption, or worse, treat it as code replay and revoke the tokens of the first.
Only the final reply reaches the throttle (see ``nbauth.core.throttle``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How a request failed before any HTTP status arrived; ``None`` when a response came back.
Failure = Literal["connect", "read", "tls", "other"]


@dataclass(frozen=True)
class RetryPolicy:
    """When to send a request a second time, and how long to wait first.

    ``RetryPolicy(max_retries=0)`` turns retries off; the defaults are the contract's.
    """

    max_retries: int = 1  # the contract says exactly one; more would multiply load on a struggling provider
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({500, 502, 503, 504}))
    # A Retry-After up to this long is waited out before the retry; a longer one is left to the throttle.
    max_retry_after: float = 5.0
    # Pause before a retry when the server named none: short, only to step over a blip.
    backoff: float = 0.5
    retry_connect_errors: bool = True
    retry_read_errors: bool = True  # read timeout or reset; never for single-use requests

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff < 0 or self.max_retry_after < 0:
            raise ValueError("RetryPolicy values must not be negative")

    def delay_before_retry(
        self,
        *,
        attempt: int,
        status: int,
        failure: Failure | None,
        retry_after: float | None,
        single_use: bool,
    ) -> float | None:
        """Seconds to wait before sending attempt ``attempt + 1``, or ``None``: don't retry."""
        if attempt > self.max_retries:
            return None
        if failure is not None:
            return self._delay_after_failure(failure, single_use)
        if status not in self.retry_statuses or single_use:
            return None
        if retry_after is None:
            return self.backoff
        return float(retry_after) if retry_after <= self.max_retry_after else None

    def _delay_after_failure(self, failure: Failure, single_use: bool) -> float | None:
        if failure == "connect" and self.retry_connect_errors:
            return self.backoff
        if failure == "read" and self.retry_read_errors and not single_use:
            return self.backoff
        return None


DEFAULT_RETRY_POLICY = RetryPolicy()
