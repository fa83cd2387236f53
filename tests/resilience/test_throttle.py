"""The throttle cache (contract section 4) and its read API, through a scripted transport and a fake clock."""

from __future__ import annotations

import email.utils
import logging
import pickle
import shelve

import pytest

from nbauth.core import throttle
from nbauth.core.http import HttpPipeline, RequestContext
from nbauth.core.throttle import clear_throttle, throttle_entries
from nbauth.testing import FakeClock

from .fakes import DISCOVERY_URL, TOKEN_URL, ScriptedAdapter, reply, reset, session_with

OK = {"access_token": "at-secret", "token_type": "Bearer", "expires_in": 3599}
BAD = {
    "error": "invalid_grant",
    "error_description": "AADSTS70000: The refresh token is not valid.",
    "error_codes": [70000],
}
SLOW = {"error": "temporarily_unavailable", "error_description": "AADSTS50196: loop.", "error_codes": [50196]}


def refresh(secret="rt-secret-1", public=True, client_id="c1"):
    return RequestContext(
        endpoint="token",
        client_id=client_id,
        public_client=public,
        scopes=("api://x/.default",),
        grant_secret=secret,
    )


@pytest.fixture
def clock():
    return FakeClock()


def make(clock, *script, cache=None):
    adapter = ScriptedAdapter(*script)
    cache = {} if cache is None else cache
    pipe = HttpPipeline(session_with(adapter), http_cache=cache, clock=clock, sleep=clock.sleep)
    return pipe, adapter, cache


def post(pipe, context=None, data=None):
    data = data or {"grant_type": "refresh_token", "refresh_token": "rt-secret-1", "client_id": "c1"}
    return pipe.send("POST", TOKEN_URL, data=data, context=context or refresh())


def assert_window(pipe, adapter, clock, first, seconds, **post_kwargs):
    """Inside the window: no request, an identical dict. At its end: a request again."""
    sent = len(adapter.sent)
    clock.advance(seconds - 1)
    again = post(pipe, **post_kwargs)
    assert again.replayed and again.result == first.result and again.status == first.status
    assert len(adapter.sent) == sent
    clock.advance(1)
    adapter.add(reply(200, OK))
    assert post(pipe, **post_kwargs).result == OK
    assert len(adapter.sent) == sent + 1


def test_429_with_seconds_is_replayed_for_retry_after(clock):
    pipe, adapter, _ = make(clock, reply(429, SLOW, {"Retry-After": "30"}))
    first = post(pipe)
    assert first.result == {**SLOW, "http_status": 429} and len(adapter.sent) == 1
    assert_window(pipe, adapter, clock, first, 30)


def test_429_with_http_date_is_replayed_until_that_date(clock):
    when = email.utils.formatdate(clock() + 90, usegmt=True)
    pipe, adapter, _ = make(clock, reply(429, "<h1>Too many</h1>", {"Retry-After": when}))
    first = post(pipe)
    assert first.result["error"] == "temporarily_unavailable" and first.result["retry_after"] == 90
    assert_window(pipe, adapter, clock, first, 90)


@pytest.mark.parametrize(("public", "seconds"), [(True, 60), (False, 5)])
def test_429_without_retry_after_uses_the_client_kind_default(clock, public, seconds):
    pipe, adapter, _ = make(clock, reply(429, SLOW))
    first = post(pipe, context=refresh(public=public))
    assert_window(pipe, adapter, clock, first, seconds, context=refresh(public=public))


def test_unparsable_retry_after_uses_the_default_and_a_huge_one_is_capped(clock):
    pipe, _, cache = make(clock, reply(429, SLOW, {"Retry-After": "soon"}))
    post(pipe)
    assert throttle_entries(cache, now=clock())[0].remaining(clock()) == 60
    pipe, _adapter, cache = make(clock, reply(429, SLOW, {"Retry-After": "999999"}))
    post(pipe)
    assert throttle_entries(cache, now=clock())[0].remaining(clock()) == 3600


def test_5xx_is_retried_once_then_the_final_reply_is_replayed(clock):
    pipe, adapter, cache = make(clock, reply(503, "<h1>first</h1>"), reply(503, "<h1>second</h1>"))
    first = post(pipe)
    assert len(adapter.sent) == 2
    assert "second" in first.result["error_description"]  # the final reply is what is recorded
    (entry,) = throttle_entries(cache, now=clock())
    assert entry.status == 503 and entry.error == first.result and entry.kind == "retry_after"
    assert_window(pipe, adapter, clock, first, 60)  # counted from the final reply


def test_5xx_that_the_retry_fixed_leaves_nothing_behind(clock):
    pipe, _adapter, cache = make(clock, reply(500, {"error": "server_error"}), reply(200, OK))
    assert post(pipe).result == OK
    assert cache == {}


def test_5xx_with_a_long_retry_after_is_not_retried_and_replayed_that_long(clock):
    pipe, adapter, _ = make(clock, reply(502, "<h1>bad gateway</h1>", {"Retry-After": "120"}))
    first = post(pipe)
    assert len(adapter.sent) == 1 and first.result["http_status"] == 502
    assert_window(pipe, adapter, clock, first, 120)


def test_400_is_replayed_for_60_s_keyed_on_all_params(clock):
    pipe, adapter, cache = make(clock, reply(400, BAD))
    first = post(pipe)
    assert first.result == BAD
    (entry,) = throttle_entries(cache, now=clock())
    assert entry.kind == "bad_request" and entry.remaining(clock()) == 60
    # A claims challenge changes the params: a new key, so the request goes out.
    adapter.add(reply(200, OK))
    with_claims = {
        "grant_type": "refresh_token",
        "refresh_token": "rt-secret-1",
        "client_id": "c1",
        "claims": "{}",
    }
    assert post(pipe, data=with_claims).result == OK
    assert_window(pipe, adapter, clock, first, 60)


def test_a_400_to_a_device_code_poll_is_never_replayed(clock):
    pending = {"error": "authorization_pending", "error_description": "AADSTS70016: pending"}
    pipe, adapter, cache = make(clock, reply(400, pending), reply(400, pending))
    poll = RequestContext(endpoint="token", client_id="c1", grant_secret="dc-1", device_code_poll=True)
    data = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "dc-1"}
    assert post(pipe, context=poll, data=data).result == pending
    assert post(pipe, context=poll, data=data).result == pending
    assert len(adapter.sent) == 2 and cache == {}


def test_a_400_with_retry_after_follows_the_retry_after_rule(clock):
    pipe, adapter, cache = make(clock, reply(400, BAD, {"Retry-After": "10"}))
    first = post(pipe)
    (entry,) = throttle_entries(cache, now=clock())
    assert entry.kind == "retry_after" and entry.remaining(clock()) == 10
    assert_window(pipe, adapter, clock, first, 10)


def test_other_4xx_and_network_errors_are_not_recorded(clock):
    pipe, _adapter, cache = make(clock, reply(401, BAD), reset(), reset())
    assert post(pipe).result == BAD
    assert post(pipe).result["error"] == "network_error"
    assert cache == {}


def test_a_success_is_never_recorded_even_with_retry_after(clock):
    pipe, _adapter, cache = make(clock, reply(200, OK, {"Retry-After": "30"}))
    assert post(pipe).result == OK
    assert cache == {}  # the http cache never holds a token


def test_discovery_is_kept_for_24_hours_and_is_not_a_throttle_entry(clock):
    metadata = {"issuer": "https://login.test/tenant/v2.0", "token_endpoint": TOKEN_URL}
    pipe, adapter, cache = make(clock, reply(200, metadata), reply(200, metadata))
    context = RequestContext(endpoint="discovery", client_id="c1")
    assert pipe.get(DISCOVERY_URL, context=context) == metadata
    clock.advance(24 * 3600 - 1)
    assert pipe.get(DISCOVERY_URL, context=context) == metadata
    assert len(adapter.sent) == 1
    assert throttle_entries(cache, now=clock()) == [] and clear_throttle(cache) == 0 and len(cache) == 1
    clock.advance(1)
    assert pipe.get(DISCOVERY_URL, context=context) == metadata
    assert len(adapter.sent) == 2


def test_discovery_503_is_replayed_like_a_token_503(clock):
    pipe, adapter, _cache = make(clock, reply(503, "<p>down</p>", {"Retry-After": "30"}))
    first = pipe.send("GET", DISCOVERY_URL, context=RequestContext(endpoint="discovery", client_id="c1"))
    again = pipe.send("GET", DISCOVERY_URL, context=RequestContext(endpoint="discovery", client_id="c1"))
    assert again.replayed and again.result == first.result and len(adapter.sent) == 1


def test_keys_isolate_grants_and_never_hold_a_secret(clock):
    pipe, adapter, cache = make(clock, reply(429, SLOW, {"Retry-After": "30"}), reply(200, OK))
    post(pipe, context=refresh("rt-secret-1"))
    other = post(
        pipe,
        context=refresh("rt-secret-2"),
        data={"grant_type": "refresh_token", "refresh_token": "rt-secret-2"},
    )
    assert other.result == OK and len(adapter.sent) == 2
    (entry,) = throttle_entries(cache, now=clock())
    assert throttle.sha256_hex("rt-secret-1") in entry.key
    stored = pickle.dumps(dict(cache))
    assert b"rt-secret" not in stored and b"at-secret" not in stored


def test_a_replayed_dict_is_a_copy(clock):
    pipe, _adapter, _ = make(clock, reply(429, SLOW, {"Retry-After": "30"}))
    first = post(pipe)
    first.result["error"] = "changed by the caller"
    again = post(pipe)
    assert again.result == {**SLOW, "http_status": 429}
    assert again.headers["retry-after"] == "30" and again.headers["Retry-After"] == "30"


def test_read_api_lists_active_entries_soonest_first_and_clears(clock):
    pipe, _adapter, cache = make(
        clock,
        reply(429, SLOW, {"Retry-After": "100"}),
        reply(429, SLOW, {"Retry-After": "20"}),
        reply(429, SLOW, {"Retry-After": "50"}),
    )
    post(pipe, context=refresh("a"))
    post(pipe, context=refresh("b", client_id="c2"))
    post(pipe, context=refresh("c"))
    entries = throttle_entries(cache, now=clock())
    assert [round(e.remaining(clock())) for e in entries] == [20, 50, 100]
    assert entries[0].client_id == "c2" and entries[0].endpoint == "token" and entries[0].method == "POST"
    assert entries[0].scopes == ("api://x/.default",) and entries[0].url == TOKEN_URL
    assert [e.client_id for e in throttle_entries(cache, now=clock(), client_id="c1")] == ["c1", "c1"]
    clock.advance(30)
    assert len(throttle_entries(cache, now=clock())) == 2  # the 20 s one has ended
    assert clear_throttle(cache, entries[2].key) == 1
    assert clear_throttle(cache, "no such key") == 0
    assert clear_throttle(cache) == 2  # the one left active, and the ended one not yet pruned
    assert cache == {}
    assert throttle_entries(cache, now=clock()) == []


def test_capacity_evicts_the_soonest_expiring_and_prunes_expired(clock):
    cache: dict = {}
    small = throttle.Throttle(cache, clock=clock, capacity=3)

    def request(n):
        return throttle.Request("POST", TOKEN_URL, {}, "token", "c1", True, ("s",), f"rt-{n}", False)

    for n, seconds in enumerate([40, 10, 30, 20]):
        small.record(request(n), 429, {"Retry-After": str(seconds)}, dict(SLOW))
    assert sorted(round(e.remaining(clock())) for e in throttle_entries(cache, now=clock())) == [20, 30, 40]
    clock.advance(25)
    small.record(request(9), 429, {"Retry-After": "100"}, dict(SLOW))
    assert sorted(round(e.remaining(clock())) for e in throttle_entries(cache, now=clock())) == [5, 15, 100]
    assert len(cache) == 3  # the expired one was removed, not only hidden
    assert throttle.CAPACITY == 1024


def test_unreadable_or_foreign_values_are_ignored(clock):
    cache = {"unrelated": 1}
    pipe, _adapter, cache = make(clock, reply(429, SLOW, {"Retry-After": "30"}), reply(200, OK), cache=cache)
    key = post(pipe).replayed or throttle_entries(cache, now=clock())[0].key
    cache[key] = "garbage"
    assert post(pipe).result == OK
    assert cache["unrelated"] == 1


def test_a_clock_that_went_back_does_not_extend_a_window(clock):
    pipe, _adapter, cache = make(clock, reply(429, SLOW, {"Retry-After": "30"}), reply(200, OK))
    post(pipe)
    earlier = FakeClock(clock() - 7200)
    assert throttle_entries(cache, now=earlier()) == []


def test_throttle_hits_are_logged_with_the_remaining_seconds_and_no_secret(clock, caplog):
    pipe, _adapter, _ = make(clock, reply(429, SLOW, {"Retry-After": "30"}))
    with caplog.at_level(logging.INFO, logger="nbauth"):
        post(pipe)
        clock.advance(10)
        post(pipe)
    assert "replaying HTTP 429" in caplog.text and "for 20 more seconds" in caplog.text
    assert "rt-secret" not in caplog.text


def test_a_shelve_works_as_http_cache_across_reopen(clock, tmp_path):
    path = str(tmp_path / "http_cache")
    with shelve.open(path) as shelf:  # noqa: S301 (our own temporary file)
        pipe, adapter, _ = make(clock, reply(429, SLOW, {"Retry-After": "30"}), cache=shelf)
        first = post(pipe)
    clock.advance(10)
    with shelve.open(path) as shelf:  # noqa: S301 (our own temporary file)
        pipe, adapter, _ = make(clock, reply(200, OK), cache=shelf)
        again = post(pipe)
        assert again.replayed and again.result == first.result and adapter.sent == []
        assert round(throttle_entries(shelf, now=clock())[0].remaining(clock())) == 20
        clock.advance(20)
        assert post(pipe).result == OK and len(adapter.sent) == 1


class BrokenCache(dict):
    def __setitem__(self, key, value):
        raise OSError("disk full")


def test_a_cache_that_cannot_be_written_costs_the_throttle_not_the_reply(clock, caplog):
    pipe, adapter, _ = make(clock, reply(429, SLOW, {"Retry-After": "30"}), cache=BrokenCache())
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        assert post(pipe).result == {**SLOW, "http_status": 429}
    assert "could not record" in caplog.text and len(adapter.sent) == 1


def test_requests_and_contexts_do_not_show_secrets():
    request = throttle.Request(
        "POST", TOKEN_URL, {"refresh_token": "rt-secret-1"}, "token", "c1", True, (), "rt-secret-1", False
    )
    assert "rt-secret" not in repr(request) and "rt-secret" not in repr(refresh())
