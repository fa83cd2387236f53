"""The applications' cache-hit path (prepared queries, no copies): same answers and same misuse errors as the
full silent protocol, and the realm taken from the discovered token endpoint, as MSAL keys it."""

from __future__ import annotations

import pytest

from nbauth import ConfidentialClientApplication, PublicClientApplication
from nbauth.core.token_cache import SerializableTokenCache, access_token_query
from nbauth.testing import FakeClock

from ._helpers import (
    AUTHORITY,
    CLIENT_ID,
    ENV,
    FakeIdentityProvider,
    app_response,
    event,
    session_with,
    user_response,
)

NOW = 1_750_000_000
API = ["api://x/Read", "api://x/Write"]


def signed_in_app(clock: FakeClock, **response_extra):
    idp = FakeIdentityProvider()
    cache = SerializableTokenCache()
    app = PublicClientApplication(
        CLIENT_ID, authority=AUTHORITY, token_cache=cache, http_client=session_with(idp), clock=clock
    )
    signed_in = user_response(scopes=[*API, "openid", "profile"], **response_extra)
    idp.token_replies.append(signed_in)
    first = app.acquire_token_by_refresh_token("rt-from-elsewhere", API)
    assert first["access_token"] == signed_in["access_token"]
    (account,) = app.get_accounts()
    return app, idp, account, signed_in


def test_repeated_hits_are_independent_copies():
    clock = FakeClock(NOW)
    app, idp, account, signed_in = signed_in_app(clock)
    for requested in (API, API[:1], list(reversed(API)), tuple(API)):
        hit = app.acquire_token_silent(requested, account)
        assert hit == {
            "access_token": signed_in["access_token"],
            "token_type": "Bearer",
            "expires_in": 3600,
            "token_source": "cache",
        }
        hit["access_token"] = "changed by the caller"
        hit["extra"] = 1
    clock.advance(100)
    again = app.acquire_token_silent_with_error(API, account)
    assert again["access_token"] == signed_in["access_token"] and again["expires_in"] == 3500
    assert idp.requests_to("token") == 1  # only the sign-in


@pytest.mark.parametrize("scopes", ["api://x/Read", [""], [7], [{"not": "hashable"}], None, ["ok", None]])
def test_misused_scopes_raise_also_after_a_hit(scopes):
    clock = FakeClock(NOW)
    app, _, account, _ = signed_in_app(clock)
    assert app.acquire_token_silent(API, account) is not None  # the prepared query exists now
    with pytest.raises(ValueError, match="scope"):
        app.acquire_token_silent(scopes, account)
    with pytest.raises(ValueError, match="scope"):
        app.acquire_token_silent_with_error(scopes, account)


def test_aging_token_is_refreshed_not_served_from_the_fast_path():
    clock = FakeClock(NOW)
    app, idp, account, _ = signed_in_app(clock, refresh_in=600)
    clock.advance(601)
    renewed = user_response(scopes=[*API, "openid", "profile"])
    idp.token_replies.append(renewed)
    result = app.acquire_token_silent(API, account)
    assert result["token_source"] == "identity_provider"
    assert result["access_token"] == renewed["access_token"]
    assert idp.requests_to("token") == 2


def test_near_expiry_token_is_refreshed():
    clock = FakeClock(NOW)
    app, idp, account, _ = signed_in_app(clock)
    clock.advance(3600 - 299)  # under MSAL's 5 minute margin
    renewed = user_response(scopes=[*API, "openid", "profile"])
    idp.token_replies.append(renewed)
    assert app.acquire_token_silent(API, account)["access_token"] == renewed["access_token"]


class TenantIdProvider(FakeIdentityProvider):
    """Discovery for a domain-name tenant names the tenant id in the token endpoint (as Entra does)."""

    def send(self, request, **kwargs):  # type: ignore[override]
        if request.url.endswith("/openid-configuration"):
            self.counts["discovery"] += 1
            base = f"https://{ENV}/tenant-guid-123"
            return self._reply(
                request, 200, {"issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token"}
            )
        return super().send(request, **kwargs)


def test_realm_comes_from_the_discovered_token_endpoint():
    clock = FakeClock(NOW)
    cache = SerializableTokenCache()
    token_endpoint = f"https://{ENV}/tenant-guid-123/oauth2/v2.0/token"
    stored = app_response()
    cache.add(event(stored, ["api://x/.default"], token_endpoint=token_endpoint), now=NOW)
    idp = TenantIdProvider()
    app = ConfidentialClientApplication(
        CLIENT_ID, "secret", authority=f"https://{ENV}/contoso.example", token_cache=cache,
        http_client=session_with(idp), clock=clock,
    )  # fmt: skip
    for _ in range(2):  # the first call discovers, the second takes the fast path
        result = app.acquire_token_for_client(["api://x/.default"])
        assert result["access_token"] == stored["access_token"] and result["token_source"] == "cache"
    assert idp.requests_to("token") == 0 and idp.requests_to("discovery") == 1


def test_lookup_access_token_agrees_with_find_access_token():
    cache = SerializableTokenCache()
    ev = event(user_response(), ["b", "a", "c"])
    cache.add(ev, now=NOW)
    state = cache.serialize()
    for requested in (["a", "b", "c"], ["c", "a"], ["b"], ["d"]):
        fresh = SerializableTokenCache()
        fresh.deserialize(state)  # unindexed: the exact key path first
        query = access_token_query("uid1.utid1", ENV.upper(), CLIENT_ID, "tenant-one", requested)
        found = fresh.lookup_access_token(query, NOW)
        copy = fresh.find_access_token(
            client_id=CLIENT_ID, environment=ENV, realm="tenant-one", scopes=requested,
            home_account_id="uid1.utid1", now=NOW,
        )  # fmt: skip
        if "d" in requested:
            assert found is None and copy is None
            continue
        entry, expires_on = found
        assert entry == copy and entry is not copy
        assert expires_on == int(copy["expires_on"]) == NOW + 3600
        assert entry["secret"] == ev["response"]["access_token"]
        assert fresh.lookup_access_token(query, NOW + 3600) is None  # expired
