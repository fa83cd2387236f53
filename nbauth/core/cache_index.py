"""The access-token index: what makes a cache hit cost the same at 1 and at 100,000 cached tokens.

MSAL finds an access token by its exact key (the sorted scopes joined) and otherwise scans every access token
for one whose scopes are a superset of the requested ones; since Entra returns more scopes than were asked
for, the scan is the usual path for user tokens. Here:

- tokens are grouped by *partition* ``(home_account_id, environment, client_id, realm, ext_cache_key)``, the
  fields a lookup must match exactly;
- a small partition is scanned directly; in a larger one each scope has a posting set of the keys of tokens
  that carry it (built by the first lookup there), and a superset lookup only walks the smallest posting set
  among the requested scopes (usually one or a few tokens);
- the answer is memoised per (partition, requested scope set), and a partition's memo is dropped whenever a
  token is added to it, so a repeated lookup is two dict probes even when posting sets are large;
- a heap of expiry times lets :meth:`pop_expired` find expired tokens without a scan.

The index holds keys and parsed metadata only; the entries themselves stay in the MSAL-format dict.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

Partition = tuple[str, str, str, str, str]


class TokenInfo(NamedTuple):
    partition: Partition
    target: str  # the entry's own string: no set per token until a lookup needs one
    expires_on: int
    plain: bool  # not bound to a key (no key_id): a plain bearer token find_access_token may return

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.target.split())


def partition_of(
    home_account_id: Any, environment: Any, client_id: Any, realm: Any, ext_cache_key: Any = ""
) -> Partition:
    """The exact-match part of an access token lookup, normalised like MSAL's keys (None -> "")."""
    return (
        home_account_id or "",
        (environment or "").lower(),
        client_id or "",
        realm or "",
        ext_cache_key or "",
    )


class AccessTokenQuery(NamedTuple):
    """One access-token lookup, prepared once: an application keeps it for every later call with the same
    account and scopes, so a cache hit does not rebuild keys and sets."""

    partition: Partition
    scopes: frozenset[str]
    key: str  # MSAL's key of the token with exactly these scopes (lower-cased)
    target: str  # these scopes as MSAL stores them: sorted, space-joined


def access_token_query(
    home_account_id: Any, environment: Any, client_id: Any, realm: Any, scopes: Iterable[str]
) -> AccessTokenQuery:
    partition = partition_of(home_account_id, environment, client_id, realm)
    requested = frozenset(scopes)
    target = " ".join(sorted(requested))
    hid, env, cid, rlm, _ = partition
    key = "-".join((hid, env, "AccessToken", cid, rlm, target)).lower()
    return AccessTokenQuery(partition, requested, key, target)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large structure is built in one go (loading or indexing
    a cache): building 100,000 containers would otherwise trigger collections that rescan the growing,
    cycle-free structure many times over. Restored as it was, also when the build fails."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _epoch(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0  # an unreadable expiry counts as expired: the token is never served


def info_of(entry: Mapping[str, Any]) -> TokenInfo:
    partition = partition_of(
        entry.get("home_account_id"),
        entry.get("environment"),
        entry.get("client_id"),
        entry.get("realm"),
        entry.get("ext_cache_key"),
    )
    target = entry.get("target")
    return TokenInfo(
        partition,
        target if isinstance(target, str) else "",
        _epoch(entry.get("expires_on")),
        "key_id" not in entry,
    )


# Keys = one key, or a set of keys once there are several: most partitions hold one token (an account's) and
# most scopes have one holder, so that is one string instead of one set per token.
_SMALL = 16  # a partition with at most this many tokens is scanned directly, without posting sets


def _add_key(groups: dict[Any, str | set[str]], group: Any, key: str) -> None:
    held = groups.get(group)
    if held is None:
        groups[group] = key
    elif isinstance(held, str):
        if held != key:
            groups[group] = {held, key}
    else:
        held.add(key)


def _discard_key(groups: dict[Any, str | set[str]], group: Any, key: str) -> None:
    held = groups.get(group)
    if held is None:
        return
    if isinstance(held, str):
        if held == key:
            del groups[group]
        return
    held.discard(key)
    if len(held) == 1:
        groups[group] = next(iter(held))
    elif not held:
        del groups[group]


def _as_set(held: str | set[str] | None) -> set[str]:
    if held is None:
        return set()
    return {held} if isinstance(held, str) else held


class AccessTokenIndex:
    """Members and (for large partitions) postings per partition, a per-partition memo, an expiry heap."""

    def __init__(self) -> None:
        self._info: dict[str, TokenInfo] = {}
        self._members: dict[Partition, str | set[str]] = {}
        # scope -> keys, per partition larger than _SMALL; built by the first lookup that needs it
        self._postings: dict[Partition, dict[str, str | set[str]]] = {}
        self._memo: dict[Partition, dict[frozenset[str], str]] = {}
        self._expiry: list[tuple[int, str]] | None = []  # None: build it when first needed

    def __len__(self) -> int:
        return len(self._info)

    def rebuild(self, entries: Mapping[str, Any]) -> None:
        """Index every entry at once: one tight loop, no memo, heap or posting upkeep per token, and the
        cyclic garbage collector paused (it would otherwise rescan the growing index many times over)."""
        self.__init__()  # type: ignore[misc]
        with collector_paused():
            self._bulk_add(entries)

    def _bulk_add(self, entries: Mapping[str, Any]) -> None:
        # info_of() and add() inlined: this loop runs once per cached token when a 100,000-token cache is
        # loaded. Entries of one partition share one tuple, found by the raw field values (no lower() per
        # token).
        infos, members = self._info, self._members
        self._expiry = None  # built by the first pop_expired(), so loading a cache does not pay for it
        partitions: dict[tuple[Any, ...], Partition] = {}
        for key, entry in entries.items():
            if type(entry) is not dict:
                continue
            get = entry.get
            raw = (
                get("home_account_id"),
                get("environment"),
                get("client_id"),
                get("realm"),
                get("ext_cache_key"),
            )
            partition = partitions.get(raw)
            if partition is None:
                partition = partitions[raw] = partition_of(*raw)
            target = get("target")
            if type(target) is not str:
                target = ""
            try:
                expires_on = int(entry["expires_on"])
            except (KeyError, TypeError, ValueError):
                expires_on = 0  # a missing or unreadable expiry counts as expired: the token is never served
            infos[key] = tuple.__new__(TokenInfo, (partition, target, expires_on, "key_id" not in entry))
            held = members.get(partition)
            if held is None:
                members[partition] = key
            elif isinstance(held, str):
                members[partition] = {held, key}
            else:
                held.add(key)

    def add(self, key: str, entry: Mapping[str, Any]) -> None:
        if key in self._info:
            self.discard(key)
        info = info_of(entry)
        self._info[key] = info
        _add_key(self._members, info.partition, key)
        postings = self._postings.get(info.partition)
        if postings is not None:
            for scope in info.target.split():
                _add_key(postings, scope, key)
        # A newer token may now be the better answer for queries memoised in this partition.
        self._memo.pop(info.partition, None)
        if self._expiry is not None:
            heapq.heappush(self._expiry, (info.expires_on, key))

    def discard(self, key: str) -> None:
        info = self._info.pop(key, None)
        if info is None:
            return
        partition = info.partition
        _discard_key(self._members, partition, key)
        postings = self._postings.get(partition)
        if postings is not None:
            for scope in info.target.split():
                _discard_key(postings, scope, key)
        if partition not in self._members:
            self._postings.pop(partition, None)
            self._memo.pop(partition, None)
        # Memo entries that point at this key are checked on use; the expiry heap entry is dropped lazily.

    def find(self, partition: Partition, scopes: frozenset[str], now: float) -> tuple[str, int] | None:
        """(key, expires_on) of an unexpired plain token in ``partition`` whose scopes include ``scopes``:
        the one with exactly these scopes, else the one that lives longest; None when there is none."""
        memo = self._memo.get(partition)
        if memo is not None:
            known = memo.get(scopes)
            info = self._info.get(known) if known is not None else None
            if known is not None and info is not None and info.expires_on > now:
                return known, info.expires_on
        key = self._scan(partition, scopes, now)
        if key is None:
            return None
        self._memo.setdefault(partition, {})[scopes] = key
        return key, self._info[key].expires_on

    def _candidates(self, partition: Partition, scopes: frozenset[str]) -> Iterable[str]:
        """Keys that may hold ``scopes``: the partition's few members, or its smallest posting."""
        held = self._members.get(partition)
        if held is None or isinstance(held, str):
            return () if held is None else (held,)
        if len(held) <= _SMALL or not scopes:
            return held
        postings = self._postings.get(partition)
        if postings is None:
            postings = self._postings[partition] = {}
            infos = self._info
            with collector_paused():  # one set or string per scope, for possibly 100,000s of tokens
                for key in held:
                    for scope in infos[key].target.split():
                        _add_key(postings, scope, key)
        found = []
        for scope in scopes:
            keys = postings.get(scope)
            if keys is None:
                return ()
            if isinstance(keys, str):
                return (keys,)
            found.append(keys)
        return min(found, key=len)

    def _scan(self, partition: Partition, scopes: frozenset[str], now: float) -> str | None:
        best, best_expiry = None, now
        for key in self._candidates(partition, scopes):
            info = self._info[key]
            if info.expires_on <= now or not info.plain:
                continue
            have = info.scopes
            if scopes <= have:
                if have == scopes:
                    return key  # the exact scope set wins, as MSAL's key lookup does
                if info.expires_on > best_expiry:
                    best, best_expiry = key, info.expires_on
        return best

    def members(self, partition: Partition) -> set[str]:
        return set(_as_set(self._members.get(partition)))

    def partitions(self) -> Iterator[Partition]:
        return iter(self._members)

    def pop_expired(self, now: float) -> list[str]:
        """Keys of tokens that expired before ``now`` (each returned once; the caller removes them)."""
        if self._expiry is None or len(self._expiry) > 2 * len(self._info) + 64:
            # (re)build: first use, or replaced keys left too many stale items behind
            self._expiry = [(info.expires_on, key) for key, info in self._info.items()]
            heapq.heapify(self._expiry)
        expired = []
        heap = self._expiry
        while heap and heap[0][0] < now:
            expires_on, key = heapq.heappop(heap)
            info = self._info.get(key)
            if info is not None and info.expires_on == expires_on:
                expired.append(key)
        return expired


class GroupIndex:
    """Keys grouped by a tuple of fields (refresh tokens by account/environment/client, and so on)."""

    def __init__(self, fields: tuple[str, ...], lower: frozenset[str] = frozenset({"environment"})) -> None:
        self._fields = fields
        self._lower = lower
        self._groups: dict[tuple[str, ...], set[str]] = {}
        self._group_of: dict[str, tuple[str, ...]] = {}

    def group_key(self, values: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(
            (values.get(f) or "").lower() if f in self._lower else (values.get(f) or "") for f in self._fields
        )

    def rebuild(self, entries: Mapping[str, Any]) -> None:
        self._groups.clear()
        self._group_of.clear()
        for key, entry in entries.items():
            if isinstance(entry, dict):
                self.add(key, entry)

    def add(self, key: str, entry: Mapping[str, Any]) -> None:
        self.discard(key)
        group = self.group_key(entry)
        self._group_of[key] = group
        self._groups.setdefault(group, set()).add(key)

    def discard(self, key: str) -> None:
        group = self._group_of.pop(key, None)
        if group is not None:
            keys = self._groups[group]
            keys.discard(key)
            if not keys:
                del self._groups[group]

    def get(self, values: Mapping[str, Any]) -> set[str]:
        return self._groups.get(self.group_key(values), set())
