"""Silent acquisition: the cache first, then a refresh (contract section 2, MSAL's rules).

- A cached access token with at least 5 minutes left is returned as is (``token_source: "cache"``).
- Past its ``refresh_on`` it is refreshed proactively; if that refresh fails, the still-valid cached token is
  returned instead of the error.
- With under 5 minutes left it counts as expired: a user's token is refreshed with the account's refresh
  token, an application's token (client credentials) is requested anew.
- A claims challenge or ``force_refresh`` skips the access-token cache; the new token replaces the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from nbauth.core.oauth2 import GRANT_REFRESH_TOKEN, TokenClient, user_scopes, validate_scopes
from nbauth.core.results import EXPIRY_MARGIN, from_cache

if TYPE_CHECKING:
    from nbauth.core.cache_index import AccessTokenQuery

# MSAL hides these Entra suberrors behind an empty "classification" (MSAL issue #57).
_QUIET_SUBERRORS = frozenset(
    {
        "bad_token",
        "token_expired",
        "protection_policy_required",
        "client_mismatch",
        "device_authentication_failed",
    }
)

Fetch = Callable[[], "dict[str, Any] | None"]
# Prepared cache queries per application, keyed by (home_account_id, *scopes); an application sees a handful.
_QUERY_MEMO_LIMIT = 256


def cached(client: TokenClient, scopes: Any, account: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The fast path of a silent call: a cached token fresh enough to return as is, else None (then
    :func:`acquire` runs the whole protocol). Misused ``scopes`` raise ``ValueError`` as in :func:`acquire`.

    Once discovery has succeeded everything but the clock and the cache lookup is per application: the
    realm is known and the cache query (key, scope set) for these scopes and this account is kept.
    """
    home_account_id = account.get("home_account_id") if account else None
    realm = client.authority.realm
    cache = client.token_cache
    if realm is None or cache is None:
        return None  # discovery first, or no cache: the whole protocol
    query = _query(client, scopes, home_account_id, realm)
    lookup = getattr(cache, "lookup_access_token", None)
    if lookup is None:
        return None  # another kind of cache: acquire() uses its find_access_token
    now = client.clock()
    found = lookup(query, now)
    if found is None:
        return None
    entry, expires_on = found
    if expires_on - now < EXPIRY_MARGIN:
        return None
    refresh_on = entry.get("refresh_on")
    if refresh_on and int(refresh_on) < now:
        return None  # aging: acquire() refreshes, and falls back to this token when that fails
    return from_cache(entry, now=now)


def _query(client: TokenClient, scopes: Any, home_account_id: str | None, realm: str) -> AccessTokenQuery:
    """The prepared cache query, validating ``scopes`` the first time these scopes are seen."""
    queries: dict[tuple[Any, ...], AccessTokenQuery] = client.queries
    key = None
    if type(scopes) is list or type(scopes) is tuple:
        key = (home_account_id, *scopes)
        try:
            query = queries.get(key)
        except TypeError:  # an unhashable item: validate_scopes says what is wrong
            query = key = None
        if query is not None:
            return query  # only validated scopes are ever stored
    from nbauth.core.cache_index import access_token_query  # loaded with the cache, not with the app

    requested = validate_scopes(scopes)
    query = access_token_query(
        home_account_id, client.authority.environment, client.client_id, realm, requested
    )
    if key is not None:
        if len(queries) >= _QUERY_MEMO_LIMIT:
            queries.clear()
        queries[key] = query
    return query


def acquire(
    client: TokenClient,
    scopes: list[str],
    account: Mapping[str, Any] | None,
    *,
    force_refresh: bool = False,
    claims_challenge: str | None = None,
) -> dict[str, Any] | None:
    """A token for ``account`` (``None``: the application itself), an error dict, or ``None``."""
    endpoints = client.endpoints(scopes)
    if isinstance(endpoints, dict):
        return endpoints
    home_account_id = account.get("home_account_id") if account else None
    fallback = None
    if not (force_refresh or claims_challenge):
        fallback, fresh = _cached(client, scopes, home_account_id)
        if fresh:
            return fallback
    if account:
        result = _refresh(client, scopes, account, claims_challenge)
    else:
        result = client_credentials(client, scopes, claims_challenge)
    if (result is not None and "error" not in result) or fallback is None:
        return result
    return fallback  # a failed proactive refresh: the old token is still good


def client_credentials(
    client: TokenClient, scopes: list[str], claims_challenge: str | None
) -> dict[str, Any]:
    """The client credentials grant (RFC 6749 section 4.4); its scopes are sent undecorated, as MSAL does."""
    claims = client.claims(claims_challenge)
    return client.obtain("client_credentials", {"claims": claims}, scopes=scopes)


def classify(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """MSAL's ``classification`` key on a refresh error that carries a ``suberror``."""
    if result and result.get("suberror"):
        suberror = result["suberror"]
        result["classification"] = "" if suberror in _QUIET_SUBERRORS else suberror
    return result


def _cached(
    client: TokenClient, scopes: list[str], home_account_id: str | None
) -> tuple[dict[str, Any] | None, bool]:
    """(cached result or None, whether it is fresh enough to return without refreshing)."""
    if client.token_cache is None:
        return None, False
    now = client.clock()
    entry = client.token_cache.find_access_token(
        client_id=client.client_id,
        environment=client.authority.environment,
        realm=client.authority.realm or "",
        scopes=scopes,
        home_account_id=home_account_id,
        now=now,
    )
    if not entry or int(entry["expires_on"]) - now < EXPIRY_MARGIN:
        return None, False
    aging = bool(entry.get("refresh_on")) and int(entry["refresh_on"]) < now
    return from_cache(entry, now=now), not aging


def _refresh(
    client: TokenClient, scopes: list[str], account: Mapping[str, Any], claims_challenge: str | None
) -> dict[str, Any] | None:
    rt = None
    if client.token_cache is not None and account.get("home_account_id"):
        rt = client.token_cache.find_refresh_token(
            client_id=client.client_id,
            environment=client.authority.environment,
            home_account_id=account["home_account_id"],
        )
    if not rt:
        return None
    secret = rt["secret"]
    claims = client.claims(claims_challenge)
    return client.obtain(
        GRANT_REFRESH_TOKEN,
        {"refresh_token": secret, "claims": claims},
        scopes=user_scopes(scopes),
        grant_secret=secret,
        # Like MSAL: a silent refresh must not resurrect an account removed meanwhile.
        event_extra={"skip_account_creation": True},
    )
