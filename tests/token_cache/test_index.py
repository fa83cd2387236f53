"""Index correctness: every indexed lookup agrees with a brute-force scan over the same MSAL entries."""

from __future__ import annotations

import json
import random

import pytest

from nbauth.core import cache_index
from nbauth.core.token_cache import SerializableTokenCache, TokenCache

from ._helpers import app_response, event, user_response

NOW = 1_750_000_000
ENV = "login.example.com"


def find_at(
    cache, *, scopes, home_account_id="uid1.utid1", client_id="client-abc", realm="tenant-one", now=NOW
):
    return cache.find_access_token(
        client_id=client_id,
        environment=ENV,
        realm=realm,
        scopes=scopes,
        home_account_id=home_account_id,
        now=now,
    )


def endpoint(realm: str) -> str:
    return f"https://{ENV}/{realm}/oauth2/v2.0/token"


def test_exact_and_superset_scopes():
    cache = TokenCache()
    ev = event(user_response(), ["api://x/Read", "api://x/Write", "openid", "profile"])
    cache.add(ev, now=NOW)
    token = ev["response"]["access_token"]
    assert find_at(cache, scopes=["api://x/Write", "api://x/Read", "openid", "profile"])["secret"] == token
    assert find_at(cache, scopes=["api://x/Read"])["secret"] == token
    assert find_at(cache, scopes=["api://x/Read", "api://x/Write"])["secret"] == token
    assert find_at(cache, scopes=["api://x/Read", "api://x/Admin"]) is None
    assert find_at(cache, scopes=["api://x/read"]) is None  # scopes compare case-sensitively, like MSAL


def test_expired_tokens_are_not_returned_and_are_purged_on_add():
    cache = SerializableTokenCache()
    cache.add(event(user_response(expires_in=100), ["a", "b"]), now=NOW)
    assert find_at(cache, scopes=["a"], now=NOW + 99) is not None
    assert find_at(cache, scopes=["a"], now=NOW + 100) is None
    assert find_at(cache, scopes=["a", "b"], now=NOW + 100) is None  # the exact path too
    cache.add(event(app_response(), ["c"], grant_type="client_credentials"), now=NOW + 200)
    assert [at["target"] for at in json.loads(cache.serialize())["AccessToken"].values()] == ["c"]


def test_the_longest_living_superset_wins_and_a_newer_token_replaces_a_memoised_answer():
    cache = TokenCache()
    older = event(user_response(expires_in=600), ["a", "b"])
    cache.add(older, now=NOW)
    assert find_at(cache, scopes=["a"])["secret"] == older["response"]["access_token"]
    newer = event(user_response(expires_in=3600), ["a", "c"])
    cache.add(newer, now=NOW + 1)
    assert find_at(cache, scopes=["a"], now=NOW + 2)["secret"] == newer["response"]["access_token"]
    assert find_at(cache, scopes=["b"], now=NOW + 2)["secret"] == older["response"]["access_token"]


def test_accounts_realms_clients_and_app_tokens_are_kept_apart():
    cache = TokenCache()
    ada = event(user_response("ada", "t1"), ["s"])
    bob = event(user_response("bob", "t1"), ["s"])
    other_realm = event(user_response("ada", "t1"), ["s"], token_endpoint=endpoint("tenant-two"))
    other_client = event(user_response("ada", "t1"), ["s"], client_id="client-two")
    app = event(app_response(), ["s"], grant_type="client_credentials")
    for ev in (ada, bob, other_realm, other_client, app):
        cache.add(ev, now=NOW)
    assert find_at(cache, scopes=["s"], home_account_id="ada.t1")["secret"] == ada["response"]["access_token"]
    assert find_at(cache, scopes=["s"], home_account_id="bob.t1")["secret"] == bob["response"]["access_token"]
    found = find_at(cache, scopes=["s"], home_account_id="ada.t1", realm="tenant-two")
    assert found["secret"] == other_realm["response"]["access_token"]
    found = find_at(cache, scopes=["s"], home_account_id="ada.t1", client_id="client-two")
    assert found["secret"] == other_client["response"]["access_token"]
    assert find_at(cache, scopes=["s"], home_account_id=None)["secret"] == app["response"]["access_token"]
    assert find_at(cache, scopes=["s"], home_account_id="carol.t1") is None


def test_tokens_bound_to_a_key_or_isolated_by_extra_parameters_are_not_plain_hits():
    cache = TokenCache()
    cache.add(event(app_response(token_type="ssh-cert"), ["s"], data={"key_id": "k"}), now=NOW)
    cache.add(event(app_response(), ["s", "t"], data={"fmi_path": "p"}), now=NOW)
    assert find_at(cache, scopes=["s"], home_account_id=None) is None
    assert cache.find("AccessToken", ["t"], query={"client_id": "client-abc"}) == []  # MSAL's isolation


def test_refresh_token_and_accounts():
    cache = TokenCache()
    first = event(user_response("ada", "t1"), ["a"])
    second = event(user_response("ada", "t1", username="Ada@Contoso.Example"), ["b"])
    cache.add(first, now=NOW)
    cache.add(second, now=NOW + 5)
    cache.add(event(user_response("bob", "t1", username="bob@x"), ["a"]), now=NOW)
    rt = cache.find_refresh_token(
        client_id="client-abc", environment="LOGIN.example.com", home_account_id="ada.t1"
    )
    assert rt["secret"] == second["response"]["refresh_token"]  # the newest
    assert cache.find_refresh_token(client_id="other", environment=ENV, home_account_id="ada.t1") is None
    assert {a["username"] for a in cache.find_accounts(environment=ENV)} == {"Ada@Contoso.Example", "bob@x"}
    assert [a["home_account_id"] for a in cache.find_accounts(username="ada@contoso.example")] == ["ada.t1"]
    assert cache.find_accounts(environment="elsewhere.example") == []


def test_remove_account_removes_its_tokens_and_keeps_the_index_consistent():
    cache = TokenCache()
    for realm in ("tenant-one", "tenant-two"):
        cache.add(event(user_response("ada", "t1"), ["a"], token_endpoint=endpoint(realm)), now=NOW)
    bob = event(user_response("bob", "t1"), ["a"])
    cache.add(bob, now=NOW)
    cache.remove_account(home_account_id="ada.t1", environment=ENV, client_id="client-abc")
    for realm in ("tenant-one", "tenant-two"):
        assert find_at(cache, scopes=["a"], home_account_id="ada.t1", realm=realm) is None
    assert cache.find_refresh_token(client_id="client-abc", environment=ENV, home_account_id="ada.t1") is None
    assert [a["home_account_id"] for a in cache.find_accounts()] == ["bob.t1"]
    assert cache.find("IdToken", query={"home_account_id": "ada.t1"}) == []
    assert find_at(cache, scopes=["a"], home_account_id="bob.t1")["secret"] == bob["response"]["access_token"]
    # The index is still usable for new tokens of the removed account.
    again = event(user_response("ada", "t1"), ["a", "z"])
    cache.add(again, now=NOW)
    assert (
        find_at(cache, scopes=["z"], home_account_id="ada.t1")["secret"] == again["response"]["access_token"]
    )


def test_returned_entries_are_copies():
    cache = TokenCache()
    cache.add(event(user_response(), ["a", "b"]), now=NOW)
    found = find_at(cache, scopes=["a"])
    found["target"] = "mutated"
    found["expires_on"] = "0"
    assert find_at(cache, scopes=["a"])["target"] == "a b"


# -- randomized: the index against a brute-force scan ------------------------------------------------

SCOPES = [f"s{i}" for i in range(8)]
ACCOUNTS = ["u1.t", "u2.t", None]
CLIENTS = ["c1", "c2"]
REALMS = ["r1", "r2"]


def brute_force(state: dict, *, client_id, realm, scopes, home_account_id, now):
    """The answer by definition: among unexpired plain bearer ATs of this partition whose scopes include
    `scopes`, the one with exactly these scopes, else the one that lives longest."""
    matches = [
        at
        for at in state.get("AccessToken", {}).values()
        if (at.get("home_account_id") or None) == home_account_id
        and at["environment"] == ENV
        and at["client_id"] == client_id
        and at["realm"] == realm
        and "key_id" not in at
        and "ext_cache_key" not in at
        and int(at["expires_on"]) > now
        and set(scopes) <= set(at["target"].split())
    ]
    exact = [at for at in matches if set(at["target"].split()) == set(scopes)]
    return exact[0] if exact else max(matches, key=lambda at: int(at["expires_on"]), default=None)


def random_add(cache: SerializableTokenCache, rng: random.Random, now: int) -> None:
    account = rng.choice(ACCOUNTS)
    scopes = rng.sample(SCOPES, rng.randint(1, 4))
    if account is None:
        response, grant = app_response(expires_in=rng.randint(1, 400)), "client_credentials"
    else:
        uid, utid = account.split(".")
        response, grant = user_response(uid, utid, expires_in=rng.randint(1, 400)), "authorization_code"
    ev = event(
        response,
        scopes,
        client_id=rng.choice(CLIENTS),
        token_endpoint=endpoint(rng.choice(REALMS)),
        grant_type=grant,
    )
    cache.add(ev, now=now)


@pytest.mark.parametrize("small", [0, 2, cache_index._SMALL])
@pytest.mark.parametrize("seed", range(6))
def test_randomized_index_matches_brute_force(seed, small, monkeypatch):
    # small: up to how many tokens a partition is scanned without postings (0: always through postings)
    monkeypatch.setattr(cache_index, "_SMALL", small)
    rng = random.Random(seed)
    cache = SerializableTokenCache()
    now = NOW
    for step in range(250):
        action = rng.random()
        if action < 0.5:
            random_add(cache, rng, now)
        elif action < 0.6:
            entries = cache.find("AccessToken", now=0)
            if entries:
                cache.remove_access_token(rng.choice(entries))
        elif action < 0.65 and step % 3 == 0:
            cache.remove_account(
                home_account_id=rng.choice(ACCOUNTS[:2]), environment=ENV, client_id=rng.choice(CLIENTS)
            )
        elif action < 0.7:
            cache.deserialize(cache.serialize())  # the lazily rebuilt index must agree too
        now += rng.randint(0, 40)
        state = json.loads(cache.serialize())
        for _ in range(4):
            query = dict(
                client_id=rng.choice(CLIENTS),
                realm=rng.choice(REALMS),
                scopes=rng.sample(SCOPES, rng.randint(1, 3)),
                home_account_id=rng.choice(ACCOUNTS),
            )
            expected = brute_force(state, now=now, **query)
            found = cache.find_access_token(environment=ENV, now=now, **query)
            if expected is None:
                assert found is None
            else:
                assert found is not None and int(found["expires_on"]) == int(expected["expires_on"])
                assert found == brute_force({"AccessToken": {"k": found}}, now=now, **query)


def test_randomized_generic_find_matches_a_scan():
    rng = random.Random(99)
    cache = SerializableTokenCache()
    for _ in range(200):
        random_add(cache, rng, NOW)
    state = json.loads(cache.serialize())
    for _ in range(50):
        query = {
            "home_account_id": rng.choice(ACCOUNTS),
            "environment": "Login.Example.COM",
            "client_id": rng.choice(CLIENTS),
            "realm": rng.choice(REALMS),
        }
        target = rng.sample(SCOPES, rng.randint(0, 2))
        now = NOW + rng.randint(0, 400)
        expected = sorted(
            at["secret"]
            for at in state["AccessToken"].values()
            if all(at.get(k) == v for k, v in query.items() if k != "environment")
            and int(at["expires_on"]) >= now
            and set(target) <= set(at["target"].split())
        )
        found = sorted(at["secret"] for at in cache.find("AccessToken", target, query=query, now=now))
        assert found == expected


def test_threads_adding_and_looking_up_concurrently_keep_cache_and_index_consistent():
    import threading

    cache = SerializableTokenCache()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for i in range(100):
                ev = event(user_response(name, "t"), [f"{name}-{i}", "shared"])
                cache.add(ev, now=NOW)
                found = find_at(cache, scopes=[f"{name}-{i}"], home_account_id=f"{name}.t")
                assert found["secret"] == ev["response"]["access_token"]
                cache.serialize()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"u{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    state = json.loads(cache.serialize())
    assert len(state["AccessToken"]) == 400
    for n in range(4):
        found = find_at(cache, scopes=["shared"], home_account_id=f"u{n}.t")
        assert found is not None and found["home_account_id"] == f"u{n}.t"
