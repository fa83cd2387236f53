"""Which cached entries answer a query: MSAL's matching rules, shared by the indexed and generic lookups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbauth.core.cache_index import AccessTokenQuery


def exact_hit(entry: Any, query: AccessTokenQuery, now: float) -> int:
    """The entry's expiry when it answers ``query`` (0 when not). The key matched; confirm the fields
    (keys are lower-cased, fields are not) without building index info."""
    if type(entry) is not dict or "key_id" in entry or entry.get("ext_cache_key"):
        return 0
    get = entry.get
    partition = query.partition
    if (
        (get("home_account_id") or "") != partition[0]
        or (get("environment") or "").lower() != partition[1]
        or get("client_id") != partition[2]
        or get("realm") != partition[3]
    ):
        return 0
    expires_on = as_int(get("expires_on"))
    if expires_on <= now:
        return 0
    target = get("target")
    if target == query.target or (isinstance(target, str) and query.scopes <= set(target.split())):
        return expires_on
    return 0


def as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def matches(entry: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    # MSAL compares the query as a sub-dict of the entry, with the environment lower-cased.
    for field, value in query.items():
        if field == "environment" and isinstance(value, str):
            if str(entry.get(field, "")).lower() != value.lower():
                return False
        elif field not in entry or entry[field] != value:
            return False
    return True


def has_scopes(entry: Mapping[str, Any], wanted: frozenset[str]) -> bool:
    if not wanted:
        return True
    target = entry.get("target")
    return isinstance(target, str) and wanted <= set(target.split())


def usable_at(entry: Mapping[str, Any], query: Mapping[str, Any], now: float) -> bool:
    # Expired tokens are skipped; a token isolated by an ext_cache_key never answers a query without one.
    if as_int(entry.get("expires_on")) < now:
        return False
    return "ext_cache_key" not in entry or "ext_cache_key" in query
