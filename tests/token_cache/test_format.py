"""Format and key fidelity: for the same token events, nbauth writes what msal 1.39.0 writes."""

from __future__ import annotations

import json

import msal
import pytest

from nbauth.core.token_cache import (
    SerializableTokenCache,
    TokenCache,
    environment_and_realm,
    home_account_id_of,
)

from ._helpers import (
    TOKEN_ENDPOINT,
    app_response,
    b64url_json,
    event,
    fake_jwt,
    user_response,
)

NOW = 1_750_000_000

EVENTS = {
    "auth code with client_info": event(
        user_response(scopes=["api://x/Read", "openid"]), ["b", "a", "openid"]
    ),
    "device code, refresh_in, foci": event(
        user_response(refresh_in=1800, foci="1"),
        ["User.Read"],
        grant_type="urn:ietf:params:oauth:grant-type:device_code",
    ),
    "no client_info: sub is the account": event(user_response(client_info=False), ["openid", "s"]),
    "client credentials": event(app_response(), ["api://x/.default"], grant_type="client_credentials"),
    "string expires_in, no ext_expires_in": event(
        {"access_token": "t", "expires_in": "120", "token_type": "Bearer"},
        ["s"],
        grant_type="client_credentials",
    ),
    "no expires_in at all": event({"access_token": "t"}, ["s"], grant_type="client_credentials"),
    "extra body parameter isolates (atext)": event(
        app_response(), ["s"], data={"fmi_path": "a/b", "claims": "{}"}
    ),
    "ssh cert key_id": event(app_response(token_type="ssh-cert"), ["s"], data={"key_id": "k1"}),
    "environment override and adfs realm": event(
        user_response(),
        ["s"],
        token_endpoint="https://adfs.example.com/adfs/oauth2/token",
        environment="alias.example",
    ),
    "refresh (skip account creation)": event(
        user_response(), ["s"], grant_type="refresh_token", skip_account_creation=True
    ),
    "ROPC username fallback": event(
        user_response(username=""), ["s"], grant_type="password", data={"username": "bob@x", "password": "pw"}
    ),
}


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_add_writes_exactly_what_msal_writes(name):
    theirs = msal.SerializableTokenCache()
    theirs.add(EVENTS[name], now=NOW)
    ours = SerializableTokenCache()
    ours.add(EVENTS[name], now=NOW)
    assert json.loads(ours.serialize()) == json.loads(theirs.serialize())


def test_two_events_for_the_same_account_match_msal_including_replacement():
    first = event(user_response(scopes=["a", "b"]), ["a", "b"])
    second = event(user_response(scopes=["a", "b"]), ["b", "a"])  # same scope set, new tokens
    theirs, ours = msal.SerializableTokenCache(), SerializableTokenCache()
    for cache in (theirs, ours):
        cache.add(first, now=NOW)
        cache.add(second, now=NOW + 10)
    state = json.loads(ours.serialize())
    assert state == json.loads(theirs.serialize())
    (at,) = state["AccessToken"].values()
    assert at["secret"] == second["response"]["access_token"]


def test_access_token_entry_fields_and_key():
    cache = SerializableTokenCache()
    response = user_response("u", "t", refresh_in=600)
    cache.add(event(response, ["Zeta", "alpha"], client_id="Client-X"), now=NOW)
    ((key, at),) = json.loads(cache.serialize())["AccessToken"].items()
    assert (
        key == "u.t-login.example.com-accesstoken-client-x-tenant-one-zeta alpha"
    )  # sorted case-sensitively, then lower-cased
    assert at["target"] == "Zeta alpha"  # the original case is kept
    assert at["cached_at"] == str(NOW) and at["expires_on"] == str(NOW + 3600)
    assert at["extended_expires_on"] == str(NOW + 7200) and at["refresh_on"] == str(NOW + 600)
    assert at["home_account_id"] == "u.t" and at["realm"] == "tenant-one"


def test_deserialize_keeps_unknown_sections_and_fields_written_by_others():
    theirs = msal.SerializableTokenCache()
    theirs.add(EVENTS["auth code with client_info"], now=NOW)
    state = json.loads(theirs.serialize())
    at_key = next(iter(state["AccessToken"]))
    state["AccessToken"][at_key]["x_future_field"] = {"nested": [1, 2]}
    state["SomeOtherSdkSection"] = {"k": {"v": 1}}
    ours = SerializableTokenCache()
    ours.deserialize(json.dumps(state, indent=4))
    assert not ours.has_state_changed
    assert json.loads(ours.serialize()) == state
    theirs.deserialize(ours.serialize())
    assert json.loads(theirs.serialize()) == state


def test_has_state_changed_follows_msal_semantics():
    cache = SerializableTokenCache()
    assert not cache.has_state_changed
    cache.add(EVENTS["client credentials"], now=NOW)
    assert cache.has_state_changed
    state = cache.serialize()
    assert not cache.has_state_changed
    cache.find_access_token(
        client_id="client-abc",
        environment="login.example.com",
        realm="tenant-one",
        scopes=["api://x/.default"],
        home_account_id=None,
        now=NOW,
    )
    assert not cache.has_state_changed  # lookups never change the state
    cache.deserialize(state)
    assert not cache.has_state_changed
    (at,) = cache.find("AccessToken", now=NOW)
    cache.remove_access_token(at)
    assert cache.has_state_changed and cache.find("AccessToken", now=NOW) == []


def test_deserialize_rejects_non_caches_without_quoting_them():
    cache = SerializableTokenCache()
    for bad in ('{"AccessToken": "secret-value-123"}', "[1, 2]", '{"a": tru secret-value-123'):
        with pytest.raises(ValueError) as info:
            cache.deserialize(bad)
        assert "secret-value-123" not in str(info.value)
        assert info.value.__cause__ is None and info.value.__context__ is None  # no chained copy of the text
    cache.deserialize("")
    assert cache.find("AccessToken") == []


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (TOKEN_ENDPOINT, ("login.example.com", "tenant-one")),
        ("https://LOGIN.Example.COM:8443/Tenant/oauth2/v2.0/token", ("login.example.com", "Tenant")),
        ("http://127.0.0.1:5000/guid-1/oauth2/v2.0/token", ("127.0.0.1", "guid-1")),
        ("https://contoso.ciamlogin.com/", ("contoso.ciamlogin.com", "contoso.onmicrosoft.com")),
        (
            "https://contoso.b2clogin.com/contoso.onmicrosoft.com/b2c_1_su/oauth2/v2.0/token",
            ("contoso.b2clogin.com", "contoso.onmicrosoft.com"),
        ),
    ],
)
def test_environment_and_realm_like_msal(endpoint, expected):
    assert environment_and_realm(endpoint) == expected
    if endpoint.startswith("https"):
        _, host, tenant = msal.authority.canonicalize(endpoint)
        assert (host, tenant) == expected


@pytest.mark.parametrize("endpoint", ["ftp://h/t", "https://host-only.example", "not a url"])
def test_environment_and_realm_rejects(endpoint):
    with pytest.raises(ValueError):
        environment_and_realm(endpoint)


def test_home_account_id_rule():
    idt = fake_jwt({"sub": "the-sub", "oid": "o", "tid": "t"})
    assert (
        home_account_id_of({"client_info": b64url_json({"uid": "u", "utid": "t"}), "id_token": idt}) == "u.t"
    )
    assert home_account_id_of({"client_info": b64url_json({"uid": "u"}), "id_token": idt}) == "the-sub"
    assert home_account_id_of({"client_info": "%%%not-base64", "id_token": idt}) == "the-sub"
    assert home_account_id_of({"id_token": idt}) == "the-sub"
    assert home_account_id_of({"access_token": "x"}) is None


def test_repr_shows_counts_not_secrets():
    cache = TokenCache()
    ev = EVENTS["auth code with client_info"]
    cache.add(ev, now=NOW)
    text = repr(cache)
    assert "AccessToken=1" in text
    for field in ("access_token", "refresh_token", "id_token"):
        assert ev["response"][field] not in text
