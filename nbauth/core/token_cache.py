"""The token cache: MSAL's JSON format, with indexed lookups.

The stored format is MSAL's (see :mod:`nbauth.core.cache_entries` for the schema, the key rule and the
``home_account_id`` rule), so ``msal.SerializableTokenCache`` reads what :class:`SerializableTokenCache`
writes and the other way round. Entries stay in MSAL's nested dict exactly as written (unknown sections and
fields written by other MSAL libraries survive a round trip); an index beside it answers the lookups:

- :meth:`TokenCache.find_access_token`: the exact key first (MSAL's O(1) path), then the scope index of
  :mod:`nbauth.core.cache_index` for a stored superset of the requested scopes; both cost the same at 1 and
  at 100,000 tokens. Expired tokens are never returned.
- :meth:`TokenCache.find_refresh_token`, :meth:`TokenCache.find_accounts`, :meth:`TokenCache.find` (MSAL's
  generic search, same query semantics).

The index is built lazily, on the first lookup that needs it, so
:meth:`SerializableTokenCache.deserialize` costs one ``json.loads``. Expired access tokens are purged when
tokens are added (MSAL purges them while searching); lookups never modify the cache. All methods are
thread-safe (one re-entrant lock).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from nbauth.core import cache_entries as schema
from nbauth.core.cache_entries import environment_and_realm, home_account_id_of, parse_state
from nbauth.core.cache_index import (
    AccessTokenIndex,
    AccessTokenQuery,
    GroupIndex,
    access_token_query,
    partition_of,
)
from nbauth.core.cache_match import as_int, exact_hit, has_scopes, matches, usable_at

__all__ = [
    "AccessTokenQuery",
    "SerializableTokenCache",
    "TokenCache",
    "access_token_query",
    "environment_and_realm",
    "home_account_id_of",
]

_AT, _RT = schema.ACCESS_TOKEN, schema.REFRESH_TOKEN
_EMPTY: dict[str, Any] = {}  # read-only stand-in for a missing section


class TokenCache:
    """An in-memory MSAL-format token cache with O(1) lookups."""

    class CredentialType:
        ACCESS_TOKEN = schema.ACCESS_TOKEN
        ACCESS_TOKEN_EXTENDED = schema.ACCESS_TOKEN_EXTENDED
        REFRESH_TOKEN = schema.REFRESH_TOKEN
        ACCOUNT = schema.ACCOUNT
        ID_TOKEN = schema.ID_TOKEN
        APP_METADATA = schema.APP_METADATA

    class AuthorityType:
        ADFS = schema.AUTHORITY_ADFS
        MSSTS = schema.AUTHORITY_MSSTS

    has_state_changed: bool = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}
        self._at_index = AccessTokenIndex()
        self._rt_index = GroupIndex(("home_account_id", "environment", "client_id"))
        self._indexed = False

    def __repr__(self) -> str:  # counts only: never a secret
        with self._lock:
            counts = ", ".join(f"{name}={len(section)}" for name, section in self._cache.items())
        return f"{type(self).__name__}({counts})"

    # -- hooks for persistence ---------------------------------------------------------------------

    def _sync_for_read(self) -> None:
        """Called under the lock before every read; a persisted cache reloads a changed file here."""

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Wraps every mutation; a persisted cache adds the file lock, a reload and the write here."""
        with self._lock:
            yield

    # -- adding ------------------------------------------------------------------------------------

    def add(self, event: Mapping[str, Any], now: float | None = None) -> None:
        """Store the tokens of one token-endpoint event (MSAL's event shape) as MSAL would.

        ``event``: ``client_id``, ``scope`` (list), ``token_endpoint``, ``response`` (the endpoint's JSON),
        ``data`` (request parameters), ``grant_type``, optional ``environment``. An access token replaces the
        one with the same account, client, realm and scope set; expired access tokens are purged.
        """
        when = int(time.time() if now is None else now)
        entries = schema.entries_from_event(event, when)
        with self._writing():
            self._ensure_index()
            for section, entry in entries:
                self._put(section, entry)
            for key in self._at_index.pop_expired(when):
                self._delete(_AT, key)

    def modify(
        self, credential_type: str, old_entry: Mapping[str, Any], new_key_value_pairs: Mapping | None = None
    ) -> None:
        """MSAL's primitive: update ``old_entry`` with ``new_key_value_pairs``, or remove it when None."""
        key = schema.KEY_MAKERS[credential_type](old_entry)
        with self._writing():
            if new_key_value_pairs:
                self._put(credential_type, {**old_entry, **new_key_value_pairs}, key)
            else:
                self._delete(credential_type, key)

    def _put(self, section: str, entry: dict[str, Any], key: str | None = None) -> None:
        key = key if key is not None else schema.KEY_MAKERS[section](entry)
        self._cache.setdefault(section, {})[key] = entry
        if self._indexed:
            if section == _AT:
                self._at_index.add(key, entry)
            elif section == _RT:
                self._rt_index.add(key, entry)
        self.has_state_changed = True

    def _delete(self, section: str, key: str) -> None:
        if self._cache.get(section, {}).pop(key, None) is None:
            return
        if self._indexed:
            if section == _AT:
                self._at_index.discard(key)
            elif section == _RT:
                self._rt_index.discard(key)
        self.has_state_changed = True

    def _ensure_index(self) -> None:
        if not self._indexed:
            self._at_index.rebuild(self._cache.get(_AT, {}))
            self._rt_index.rebuild(self._cache.get(_RT, {}))
            self._indexed = True

    def _reset(self, state: dict[str, Any]) -> None:
        """Replace the whole content; the index is rebuilt on the next lookup that needs it."""
        self._cache = state
        self._at_index = AccessTokenIndex()
        self._rt_index = GroupIndex(("home_account_id", "environment", "client_id"))
        self._indexed = False

    # -- the application's lookups -----------------------------------------------------------------

    def find_access_token(
        self,
        *,
        client_id: str,
        environment: str,
        realm: str,
        scopes: Sequence[str],
        home_account_id: str | None,
        now: float,
    ) -> dict[str, Any] | None:
        """An unexpired bearer access token (a copy of the MSAL entry) whose scopes include ``scopes``; the
        exact scope set first, otherwise the stored superset that lives longest. None when there is none."""
        requested = frozenset(scopes)
        with self._lock:
            self._sync_for_read()
            if self._indexed:  # the index answers: MSAL's key is not needed
                partition = partition_of(home_account_id, environment, client_id, realm)
                found = self._at_index.find(partition, requested, now)
                return dict(self._cache[_AT][found[0]]) if found is not None else None
            query = access_token_query(home_account_id, environment, client_id, realm, requested)
            entry = self._lookup(query, now)
            return dict(entry[0]) if entry is not None else None

    def lookup_access_token(self, query: AccessTokenQuery, now: float) -> tuple[dict[str, Any], int] | None:
        """:meth:`find_access_token` for a prepared query: ``(entry, expires_on)`` or None.

        The entry is the stored dict itself, not a copy (what an application's cache hit needs): read it,
        never change it. Stored entries are replaced, never changed in place, so reading it after the call
        is safe.
        """
        with self._lock:
            self._sync_for_read()
            return self._lookup(query, now)

    def _lookup(self, query: AccessTokenQuery, now: float) -> tuple[dict[str, Any], int] | None:
        tokens = self._cache.get(_AT, _EMPTY)
        if not self._indexed:  # MSAL's key lookup answers exact hits without building the index
            entry = tokens.get(query.key)
            if entry is not None:
                expires_on = exact_hit(entry, query, now)
                if expires_on:
                    return entry, expires_on
            self._ensure_index()
        found = self._at_index.find(query.partition, query.scopes, now)
        return (tokens[found[0]], found[1]) if found is not None else None

    def find_refresh_token(
        self, *, client_id: str, environment: str, home_account_id: str
    ) -> dict[str, Any] | None:
        """The account's most recently written refresh token for this client (a copy), or None."""
        query = {"home_account_id": home_account_id, "environment": environment, "client_id": client_id}
        with self._lock:
            self._sync_for_read()
            self._ensure_index()
            tokens = self._cache.get(_RT, {})
            keys = self._rt_index.get(query)
            if not keys:
                return None
            newest = max(keys, key=lambda k: as_int(tokens[k].get("last_modification_time")))
            return dict(tokens[newest])

    def find_accounts(self, *, environment: str | None = None, username: str | None = None) -> list[dict]:
        """Account entries (copies), optionally of one environment and/or one username (case-insensitive)."""
        env = environment.lower() if environment else None
        user = username.lower() if username else None
        with self._lock:
            self._sync_for_read()
            return [
                dict(a)
                for a in self._cache.get(schema.ACCOUNT, {}).values()
                if isinstance(a, dict)
                and (env is None or str(a.get("environment") or "").lower() == env)
                and (user is None or str(a.get("username") or "").lower() == user)
            ]

    # -- removal -----------------------------------------------------------------------------------

    def remove_access_token(self, entry: Mapping[str, Any]) -> None:
        self.modify(_AT, entry)

    def remove_refresh_token(self, entry: Mapping[str, Any]) -> None:
        self.modify(_RT, entry)

    def remove_id_token(self, entry: Mapping[str, Any]) -> None:
        self.modify(schema.ID_TOKEN, entry)

    remove_at, remove_rt, remove_idt = remove_access_token, remove_refresh_token, remove_id_token

    def update_refresh_token(
        self, entry: Mapping[str, Any], new_secret: str, now: float | None = None
    ) -> None:
        """Replace a refresh token's secret in place (MSAL's ``update_rt``)."""
        when = int(time.time() if now is None else now)
        self.modify(_RT, entry, {"secret": new_secret, "last_modification_time": str(when)})

    def remove_account(self, *, home_account_id: str, environment: str, client_id: str) -> None:
        """Sign the account out of this client and forget it, as MSAL's ``remove_account`` does: its
        access tokens (every realm), its refresh tokens for this client (or its family), its ID tokens and
        accounts."""
        owner = {"home_account_id": home_account_id, "environment": environment.lower()}
        with self._writing():
            self._ensure_index()
            family = (
                self._cache.get(schema.APP_METADATA, {})
                .get(schema.app_metadata_key({"environment": environment, "client_id": client_id}), {})
                .get("family_id")
            )
            doomed: list[tuple[str, str]] = []
            for partition in list(self._at_index.partitions()):
                if partition[0] == home_account_id and partition[1] == owner["environment"]:
                    doomed += [(_AT, key) for key in self._at_index.members(partition)]
            for key, rt in self._entries(_RT, owner):
                if rt.get("client_id") == client_id or (family and rt.get("family_id") == family):
                    doomed.append((_RT, key))
            doomed += [(schema.ID_TOKEN, key) for key, _ in self._entries(schema.ID_TOKEN, owner)]
            doomed += [(schema.ACCOUNT, key) for key, _ in self._entries(schema.ACCOUNT, owner)]
            for section, key in doomed:
                self._delete(section, key)

    def _entries(self, section: str, query: Mapping[str, Any]) -> list[tuple[str, dict]]:
        return [
            (key, entry)
            for key, entry in self._cache.get(section, {}).items()
            if isinstance(entry, dict) and matches(entry, query)
        ]

    # -- MSAL's generic search ---------------------------------------------------------------------

    def search(
        self,
        credential_type: str,
        target: Sequence[str] | None = None,
        query: Mapping[str, Any] | None = None,
        *,
        now: float | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Entries (copies) whose fields equal ``query`` and whose scopes include ``target``; expired access
        tokens are skipped. Same semantics as MSAL's ``search``; indexed when the query names an access
        token's account, environment, client and realm."""
        return iter(self.find(credential_type, target=target, query=query, now=now))

    def find(
        self,
        credential_type: str,
        target: Sequence[str] | None = None,
        query: Mapping[str, Any] | None = None,
        *,
        now: float | None = None,
    ) -> list[dict[str, Any]]:
        """``list(search(...))``: MSAL-compatible (without MSAL's deprecation warning)."""
        when = time.time() if now is None else now
        wanted = frozenset(target or ())
        query = dict(query or {})
        with self._lock:
            self._sync_for_read()
            section = self._cache.get(credential_type, {})
            keys = self._candidate_keys(credential_type, query)
            found = []
            for key in section if keys is None else keys:
                entry = section[key]
                if isinstance(entry, dict) and matches(entry, query) and has_scopes(entry, wanted):
                    if credential_type == _AT and not usable_at(entry, query, when):
                        continue
                    found.append(dict(entry))
            return found

    def _candidate_keys(self, credential_type: str, query: Mapping[str, Any]) -> set[str] | None:
        fields = ("home_account_id", "environment", "client_id", "realm")
        if credential_type != _AT or not all(f in query for f in fields):
            return None  # a scan; small sections, or queries MSAL's application makes rarely
        self._ensure_index()
        hid, env, client_id, realm = (query[f] for f in fields)
        partition = partition_of(hid, env, client_id, realm, query.get("ext_cache_key"))
        return set(self._at_index.members(partition))


class SerializableTokenCache(TokenCache):
    """A :class:`TokenCache` that turns into MSAL's JSON and back.

    ``has_state_changed`` is True after any change since the last :meth:`serialize` or :meth:`deserialize`.
    """

    def serialize(self) -> str:
        """The cache as MSAL-format JSON (compact; MSAL reads it, and it is written twice as fast as
        MSAL's indented form)."""
        with self._lock:
            self._sync_for_read()
            self.has_state_changed = False
            return self._dump()

    def _dump(self) -> str:
        return json.dumps(self._cache, separators=(",", ":"))

    def deserialize(self, state: str | bytes | None) -> None:
        """Replace the content with a serialized cache (written by nbauth, MSAL, or an MSAL extension).

        Raises ``ValueError`` (without quoting the text, which holds secrets) when it is not one.
        """
        loaded = parse_state(state)
        with self._writing():
            self._reset(loaded)
            self.has_state_changed = False
