"""Key-by-key comparison of what MSAL Python and nbauth returned for the same scenario.

Rules, applied recursively to dicts and lists:
- every key present on one side must be present on the other, with an equal value, except:
- clock values (``CLOCK_KEYS``) may differ by at most ``CLOCK_TOLERANCE_S``. Points in time are compared as
  offsets from the start of each library's run (the two runs happen one after the other), durations as is.
- values unique to each issuance (``UNIQUE_KEYS``: tokens, codes, trace ids, state, nonce, PKCE) are
  compared by shape: same type, same format (JWT, GUID, URL-safe token, ...). JWTs are also decoded and their
  claims compared by these same rules, so both libraries must have received the same kind of token.
- strings that embed a sibling's unique or clock value (``error_description`` embeds the trace id, the
  correlation id and the timestamp; ``message`` embeds the user code) are compared with those values masked.
- ``auth_uri`` is compared as a URL: same endpoint, same query parameters under these rules.
- ``claims`` (JSON text) is compared parsed; ``scope`` (list, or space-separated text) ignores order.
"""

from __future__ import annotations

import base64
import json
import re
from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass
from time import strptime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CLOCK_TOLERANCE_S = 1.0

UNIQUE_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "trace_id",
        "correlation_id",
        "_correlation_id",
        "device_code",
        "user_code",
        "state",
        "nonce",
        "code_verifier",
        "code_challenge",
        "client-request-id",
        "uti",
        "jti",
        "aio",
        "sid",
        "secret",  # the token inside a serialized cache entry
    }
)
# Points in time (epoch seconds, or Entra's "YYYY-MM-DD hh:mm:ssZ" timestamps).
INSTANT_KEYS = frozenset(
    {"expires_at", "refresh_on", "iat", "nbf", "exp", "auth_time", "timestamp", "expires_on", "cached_at",
     "extended_expires_on", "last_modification_time", "latest_attempt_at"}
)  # fmt: skip
DURATION_KEYS = frozenset({"expires_in", "ext_expires_in", "refresh_in"})
CLOCK_KEYS = INSTANT_KEYS | DURATION_KEYS
URL_KEYS = frozenset({"auth_uri"})
JSON_KEYS = frozenset({"claims", "claims_challenge"})  # JSON text: compared parsed, so key order is free
SET_KEYS = frozenset({"scope"})  # MSAL builds scopes from a set: the order is arbitrary

_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_TOKENISH = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
_ENTRA_TIMESTAMP = "%Y-%m-%d %H:%M:%SZ"


@dataclass(frozen=True)
class Side:
    """One library's observation: the value, and when its run started (epoch seconds)."""

    name: str
    value: Any
    started_at: float


def shape(value: Any) -> str:
    """A description of a unique value's format, without the value itself (so failures leak no token)."""
    if not isinstance(value, str):
        return type(value).__name__
    if not value:
        return "empty string"
    if _JWT.match(value) and value.count(".") == 2 and _json_segment(value.split(".")[0]) is not None:
        return "JWT"  # a random PKCE verifier may hold two dots too: a JWT's header is JSON
    if _GUID.match(value):
        return "GUID"
    if _TOKENISH.match(value):
        return "token"
    return "text"


def jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    return _json_segment(parts[1]) if len(parts) > 1 else None


def _json_segment(segment: str) -> dict[str, Any] | None:
    """A base64url segment decoded as a JSON object, or None."""
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def differences(a: Side, b: Side) -> list[str]:
    """Human-readable differences between the two sides; empty when they agree under the rules above."""
    found: list[str] = []
    _compare(a.value, b.value, a, b, "$", None, found)
    return found


def _compare(x: Any, y: Any, a: Side, b: Side, path: str, key: str | None, found: list[str]) -> None:
    if key in UNIQUE_KEYS:
        _compare_unique(x, y, a, b, path, found)
    elif key in CLOCK_KEYS and x is not None and y is not None:
        _compare_clock(x, y, a, b, path, key, found)
    elif key in URL_KEYS and isinstance(x, str) and isinstance(y, str):
        _compare_url(x, y, a, b, path, found)
    elif key in JSON_KEYS and isinstance(x, str) and isinstance(y, str) and _json(x) is not None:
        _compare(_json(x), _json(y), a, b, f"{path}<json>", None, found)
    elif key in SET_KEYS and type(x) is type(y) and isinstance(x, str | list):
        if _as_set(x) != _as_set(y):
            found.append(f"{path}: {a.name}={x!r} {b.name}={y!r}")
    elif isinstance(x, Mapping) and isinstance(y, Mapping):
        _compare_mappings(x, y, a, b, path, found)
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            found.append(f"{path}: {a.name} has {len(x)} items, {b.name} has {len(y)}")
        for i, (xi, yi) in enumerate(zip(x, y, strict=False)):
            _compare(xi, yi, a, b, f"{path}[{i}]", None, found)
    elif x != y or type(x) is not type(y):
        found.append(f"{path}: {a.name}={x!r} {b.name}={y!r}")


def _compare_mappings(x: Mapping, y: Mapping, a: Side, b: Side, path: str, found: list[str]) -> None:
    only_a, only_b = sorted(set(x) - set(y)), sorted(set(y) - set(x))
    if only_a:
        found.append(f"{path}: keys only in {a.name}: {only_a}")
    if only_b:
        found.append(f"{path}: keys only in {b.name}: {only_b}")
    x_masked, y_masked = _mask_siblings(x), _mask_siblings(y)
    for k in sorted(set(x) & set(y)):
        _compare(x_masked[k], y_masked[k], a, b, f"{path}.{k}", k, found)


def _mask_siblings(d: Mapping) -> dict:
    """Replace, inside string values, the string values of unique/clock siblings by ``<key>``."""
    volatile = {
        k: v
        for k, v in d.items()
        if (k in UNIQUE_KEYS or k in CLOCK_KEYS) and isinstance(v, str) and len(v) > 3
    }
    masked = dict(d)
    for k, v in d.items():
        if isinstance(v, str) and k not in volatile:
            for name, secret in sorted(volatile.items()):
                v = v.replace(secret, f"<{name}>")
            masked[k] = v
    return masked


def _compare_unique(x: Any, y: Any, a: Side, b: Side, path: str, found: list[str]) -> None:
    if shape(x) != shape(y):
        found.append(f"{path}: {a.name} is a {shape(x)}, {b.name} is a {shape(y)}")
    elif shape(x) == "JWT":
        cx, cy = jwt_claims(x), jwt_claims(y)
        if cx is not None and cy is not None:
            _compare_mappings(cx, cy, a, b, f"{path}<claims>", found)


def _compare_clock(x: Any, y: Any, a: Side, b: Side, path: str, key: str, found: list[str]) -> None:
    tx, ty = _seconds(x), _seconds(y)
    if tx is None or ty is None or type(x) is not type(y):
        found.append(f"{path}: {a.name}={x!r} {b.name}={y!r} (not comparable times)")
        return
    if key in INSTANT_KEYS:
        tx, ty = tx - a.started_at, ty - b.started_at
    if abs(tx - ty) > CLOCK_TOLERANCE_S:
        found.append(f"{path}: {a.name}={x!r} {b.name}={y!r} differ by {abs(tx - ty):.3f} s")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _as_set(value: str | list) -> set:
    return set(value.split()) if isinstance(value, str) else set(value)


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return float(timegm(strptime(value, _ENTRA_TIMESTAMP)))
        except ValueError:
            return None
    return None


def _compare_url(x: str, y: str, a: Side, b: Side, path: str, found: list[str]) -> None:
    ux, uy = urlsplit(x), urlsplit(y)
    if (ux.scheme, ux.netloc, ux.path) != (uy.scheme, uy.netloc, uy.path):
        found.append(f"{path}: {a.name} points at {ux.path!r}, {b.name} at {uy.path!r}")
    _compare_mappings(dict(parse_qsl(ux.query)), dict(parse_qsl(uy.query)), a, b, f"{path}?", found)
