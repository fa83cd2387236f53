"""The throttle cache (contract section 4): replay a provider's refusal instead of asking again too soon.

Rules (MSAL 1.39's, measured; nbauth's departures marked):

====================================  ===============================================  ====================
reply                                 replayed for                                     key
====================================  ===============================================  ====================
429, >= 500, or any ``Retry-After``   ``Retry-After`` (seconds or HTTP-date); 60 s     method, URL,
(kind ``"retry_after"``)              for a public and 5 s for a confidential client   client_id, scopes,
                                      when absent or unparsable; at most 3600 s        sha256(grant secret)
400 to a POST, not a device-code      60 s                                             method, URL,
poll, without ``Retry-After``                                                          sha256(all params)
(kind ``"bad_request"``)
2xx to a GET (metadata discovery)     24 h                                             method, URL
(kind ``"discovery"``)
====================================  ===============================================  ====================

- A repeat inside the window sends no request and returns a copy of the very dict returned the first time.
- The retry (``nbauth.core.retry``) runs before the throttle sees anything: a 503 that the retry turned into a
  token is never recorded; when both attempts fail, the second, final reply is recorded. (MSAL never retries a
  5xx; it records the first reply. Its throttle then starts from the same reply nbauth returns.)
- The grant secret comes from ``RequestContext.grant_secret`` (refresh token, device code, auth code,
  username), not from guessing among form fields as MSAL does (it finds a device code only because its poll
  also sends it as ``code``). **nbauth:** a 2xx reply is never recorded under a
  ``Retry-After`` (it may carry tokens, and the http cache must never hold a secret); ``Retry-After`` may be
  an HTTP-date (MSAL reads integers only); the ``Retry-After`` rule covers GETs too (a discovery 503 is
  replayed like a token 503).
- Storage is the caller's ``MutableMapping``. Entries are plain dicts (picklable, readable by any version),
  under keys starting with :data:`KEY_PREFIX`; at most :data:`CAPACITY` of them, the soonest-expiring evicted
  first; expired ones are removed whenever an entry is added. A mapping that also offers ``set_expiring``,
  ``prune`` and ``expiring_items`` (like :class:`nbauth.core.sqlite_cache.SQLiteHttpCache`) gets those done by
  its own index instead of a scan.

The read API (:func:`throttle_entries`, :func:`clear_throttle`) serves the notebook's countdown widget.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger("nbauth.throttle")

KEY_PREFIX = "nbauth-http "
CAPACITY = 1024
MAX_RETRY_AFTER = 3600
PUBLIC_DEFAULT = 60
CONFIDENTIAL_DEFAULT = 5
BAD_REQUEST_SECONDS = 60
DISCOVERY_SECONDS = 24 * 3600
THROTTLE_KINDS = ("retry_after", "bad_request")  # what the read API lists; "discovery" is plain caching
# The longest window each kind may have; a longer remainder means the clock went back.
_LONGEST = {
    "retry_after": MAX_RETRY_AFTER,
    "bad_request": BAD_REQUEST_SECONDS,
    "discovery": DISCOVERY_SECONDS,
}
_LOCK = threading.RLock()  # plain dicts and shelves are not safe to scan while another thread writes


@dataclass(frozen=True)
class ThrottleEntry:
    """One active throttle window, as the notebook layer shows it."""

    key: str
    method: str
    endpoint: str  # "token", "devicecode", "discovery", ...
    url: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    error: dict[str, Any]  # the replayed result dict
    status: int
    kind: str = "retry_after"
    created_at: float = 0.0

    def remaining(self, now: float | None = None) -> float:
        return max(0.0, self.expires_at - (time.time() if now is None else now))


@runtime_checkable
class ExpiringStore(Protocol):
    """What a mapping offers to keep expiry in an index (optional; any MutableMapping works)."""

    def set_expiring(self, key: str, value: Any, expires_at: float) -> None: ...
    def prune(self, now: float, capacity: int | None = None, prefix: str = "") -> int: ...
    def expiring_items(self, now: float, prefix: str = "") -> list[tuple[str, Any]]: ...


@dataclass(frozen=True)
class Request:
    """The parts of a request the throttle keys on."""

    method: str
    url: str
    data: Mapping[str, str] | None = field(repr=False)  # request params: secrets inside
    endpoint: str
    client_id: str
    public_client: bool
    scopes: tuple[str, ...]
    grant_secret: str | None = field(repr=False)
    device_code_poll: bool


@dataclass(frozen=True)
class Replay:
    status: int
    headers: dict[str, str]
    result: dict[str, Any]
    remaining: float


class Throttle:
    """Looks requests up in, and records replies into, one ``http_cache`` mapping."""

    def __init__(
        self,
        mapping: MutableMapping[str, Any],
        *,
        clock: Callable[[], float] = time.time,
        capacity: int = CAPACITY,
    ) -> None:
        self.mapping = mapping
        self.clock = clock
        self.capacity = capacity

    def replay(self, request: Request) -> Replay | None:
        """The recorded reply for ``request`` while its window lasts, else ``None``."""
        now = self.clock()
        for key in _candidate_keys(request):
            record = self._live_record(key, now)
            if record is not None:
                remaining = record["expires_at"] - now
                if record["kind"] != "discovery":
                    _log_replay(request, record, remaining)
                result = copy.deepcopy(record["result"])
                return Replay(record["status"], dict(record["headers"]), result, remaining)
        return None

    def record(
        self, request: Request, status: int, headers: Mapping[str, str], result: dict[str, Any]
    ) -> None:
        """Remember a final reply when a rule says so (see the module docstring)."""
        if status == 0:
            return  # no reply: nothing the provider said to replay
        now = self.clock()
        kind, seconds = _rule_for(request, status, headers, now)
        if seconds <= 0:
            return
        key = _key(kind, request)
        record = {
            "kind": kind, "method": request.method, "url": request.url, "endpoint": request.endpoint,
            "client_id": request.client_id, "scopes": tuple(request.scopes), "status": status,
            "headers": _public_headers(headers), "result": copy.deepcopy(result),
            "created_at": now, "expires_at": now + seconds,
        }  # fmt: skip
        if kind != "discovery":
            logger.info(
                "%s %s answered HTTP %s: replaying it for %d seconds",
                request.method,
                safe_url(request.url),
                status,
                seconds,
            )
        _put(self.mapping, key, record, now, self.capacity)

    def _live_record(self, key: str, now: float) -> dict[str, Any] | None:
        try:
            record = self.mapping.get(key)
        except Exception:  # an unreadable value (e.g. pickled by an incompatible version) is a miss
            logger.debug("unreadable http cache entry ignored", exc_info=True)
            return None
        if not _valid(record):
            return None
        assert record is not None
        if _live(record, now):
            return record
        with _LOCK, contextlib.suppress(Exception):  # a failing cache drops it later; the call goes on
            self.mapping.pop(key, None)
        return None


def _log_replay(request: Request, record: dict[str, Any], remaining: float) -> None:
    logger.info(
        "%s %s: replaying HTTP %s (%s) for %d more seconds, no request sent",
        request.method,
        safe_url(request.url),
        record["status"],
        record["result"].get("error", "ok"),
        int(remaining + 0.999),
    )


def throttle_entries(
    http_cache: MutableMapping[str, Any], *, now: float | None = None, client_id: str | None = None
) -> list[ThrottleEntry]:
    """The active throttle windows (not the 24 h discovery cache), soonest-expiring first."""
    now = time.time() if now is None else now
    entries = [
        _entry(key, record)
        for key, record in _records(http_cache, now)
        if record["kind"] in THROTTLE_KINDS and (client_id is None or record["client_id"] == client_id)
    ]
    return sorted(entries, key=lambda entry: entry.expires_at)


def clear_throttle(http_cache: MutableMapping[str, Any], key: str | None = None) -> int:
    """Forget one throttle window (by ``ThrottleEntry.key``) or all of them; returns how many were removed.

    Clearing all also removes ended windows not pruned yet. The discovery cache is left alone: it is not a
    refusal to lift.
    """
    with _LOCK:
        if key is not None:
            record = _safe_get(http_cache, key)
            if not (_valid(record) and record["kind"] in THROTTLE_KINDS):
                return 0
            http_cache.pop(key, None)
            return 1
        keys = [k for k, r in _scan(http_cache) if r["kind"] in THROTTLE_KINDS]
        for k in keys:
            http_cache.pop(k, None)
    if keys:
        logger.info("cleared %d throttle entries", len(keys))
    return len(keys)


def parse_retry_after(value: str | None, *, now: float) -> int | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 5322's "UTC, origin unknown"; HTTP-dates are GMT anyway
        from datetime import UTC

        when = when.replace(tzinfo=UTC)
    return max(0, round(when.timestamp() - now))


def safe_url(url: str) -> str:
    """A URL for logs: no query string or fragment (they may carry state, codes or signatures)."""
    return url.split("?", 1)[0].split("#", 1)[0]


def sha256_hex(text: str | None) -> str:
    return hashlib.sha256(("" if text is None else text).encode("utf-8")).hexdigest()


def _rule_for(request: Request, status: int, headers: Mapping[str, str], now: float) -> tuple[str, float]:
    raw_retry_after = _header(headers, "retry-after")
    if not 200 <= status < 300 and (status == 429 or status >= 500 or raw_retry_after is not None):
        seconds = parse_retry_after(raw_retry_after, now=now)
        if seconds is None:
            seconds = PUBLIC_DEFAULT if request.public_client else CONFIDENTIAL_DEFAULT
        return "retry_after", min(MAX_RETRY_AFTER, seconds)
    if status == 400 and request.method == "POST" and not request.device_code_poll:
        return "bad_request", BAD_REQUEST_SECONDS
    if 200 <= status < 300 and request.method == "GET":
        return "discovery", DISCOVERY_SECONDS
    return "", 0


def _candidate_keys(request: Request) -> list[str]:
    if request.method == "POST":
        first = [] if request.device_code_poll else [_key("bad_request", request)]
    else:
        first = [_key("discovery", request)] if request.method == "GET" else []
    return [*first, _key("retry_after", request)]


def _key(kind: str, request: Request) -> str:
    """The mapping key; secrets appear only as sha256 digests."""
    if kind == "retry_after":
        scopes = " ".join(sorted(request.scopes))
        return (
            f"{KEY_PREFIX}{request.method} {request.url} client_id={request.client_id} scope={scopes} "
            f"grant={sha256_hex(request.grant_secret)} 429/5xx/Retry-After"
        )
    if kind == "bad_request":
        params = repr(sorted((request.data or {}).items()))
        return f"{KEY_PREFIX}{request.method} {request.url} params={sha256_hex(params)} 400"
    return f"{KEY_PREFIX}{request.method} {request.url} 2xx"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _public_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # Cookies may identify a session; nothing else an identity provider sends with an error is secret.
    return {k.lower(): v for k, v in headers.items() if k.lower() != "set-cookie"}


def _valid(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and record.get("kind") in _LONGEST
        and isinstance(record.get("expires_at"), int | float)
        and isinstance(record.get("result"), dict)
    )


def _live(record: dict[str, Any], now: float) -> bool:
    remaining = record["expires_at"] - now
    # Longer than the rule allows means the clock went back since it was recorded: don't trust it.
    return 0 < remaining <= _LONGEST[record["kind"]]


def _entry(key: str, record: dict[str, Any]) -> ThrottleEntry:
    return ThrottleEntry(
        key=key,
        method=record.get("method", ""),
        endpoint=record.get("endpoint", ""),
        url=record.get("url", ""),
        client_id=record.get("client_id", ""),
        scopes=tuple(record.get("scopes", ())),
        expires_at=float(record["expires_at"]),
        error=copy.deepcopy(record["result"]),
        status=int(record.get("status", 0)),
        kind=record["kind"],
        created_at=float(record.get("created_at", 0.0)),
    )


def _safe_get(mapping: Mapping[str, Any], key: str) -> Any:
    try:
        return mapping.get(key)
    except Exception:
        return None


def _scan(mapping: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every nbauth record in a plain mapping (expired ones included)."""
    for key in [k for k in list(mapping.keys()) if isinstance(k, str) and k.startswith(KEY_PREFIX)]:
        record = _safe_get(mapping, key)
        if _valid(record):
            yield key, record


def _records(mapping: MutableMapping[str, Any], now: float) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(mapping, ExpiringStore):
        items = mapping.expiring_items(now, KEY_PREFIX)
        return [(k, r) for k, r in items if _valid(r) and _live(r, now)]
    with _LOCK:
        return [(k, r) for k, r in _scan(mapping) if _live(r, now)]


def _put(
    mapping: MutableMapping[str, Any], key: str, record: dict[str, Any], now: float, capacity: int
) -> None:
    if isinstance(mapping, ExpiringStore):
        mapping.prune(now, capacity - 1, KEY_PREFIX)  # room for the new one, soonest-expiring evicted
        mapping.set_expiring(key, record, record["expires_at"])
        return
    with _LOCK:
        records = [(k, r) for k, r in _scan(mapping) if k != key]
        stale = [k for k, r in records if not _live(r, now)]
        live = sorted((r["expires_at"], k) for k, r in records if _live(r, now))
        # Make room for the new one: the soonest-expiring go first.
        stale += [k for _, k in live[: max(0, len(live) + 1 - capacity)]]
        for k in stale:
            mapping.pop(k, None)
        mapping[key] = record
