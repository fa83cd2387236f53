"""The one automatic retry (contract section 3), through a scripted transport and a fake clock."""

from __future__ import annotations

import logging
import socket

import pytest

from nbauth.core.http import HttpPipeline, RequestContext
from nbauth.core.retry import RetryPolicy
from nbauth.testing import FakeClock

from .fakes import TOKEN_URL, ScriptedAdapter, read_timeout, refused, reply, reset, session_with

OK = {"access_token": "at-1", "token_type": "Bearer", "expires_in": 3599}
REFRESH = RequestContext(endpoint="token", client_id="c1", scopes=("s",), grant_secret="rt-secret")
AUTH_CODE = RequestContext(
    endpoint="token", client_id="c1", scopes=("s",), grant_secret="code-1", single_use=True
)


class Sleeps(list):
    """A sleep that records how long it was asked to wait, and moves a fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def clock():
    return FakeClock()


def pipeline(adapter, clock, **kwargs):
    sleeps = Sleeps(clock)
    pipe = HttpPipeline(session_with(adapter), http_cache={}, clock=clock, sleep=sleeps, **kwargs)
    return pipe, sleeps


def post(pipe, context=REFRESH):
    return pipe.send("POST", TOKEN_URL, data={"grant_type": "refresh_token"}, context=context)


@pytest.mark.parametrize("failure", [refused, reset, read_timeout], ids=["refused", "reset", "timeout"])
def test_one_retry_after_a_transport_failure_then_success(clock, failure):
    adapter = ScriptedAdapter(failure(), reply(200, OK))
    pipe, sleeps = pipeline(adapter, clock)
    result = post(pipe)
    assert result.result == OK and result.status == 200
    assert len(adapter.sent) == 2
    assert sleeps == [RetryPolicy().backoff]


@pytest.mark.parametrize("failure", [refused, reset, read_timeout], ids=["refused", "reset", "timeout"])
def test_exactly_one_retry_when_the_failure_repeats(clock, failure):
    adapter = ScriptedAdapter(failure(), failure(), reply(200, OK))
    pipe, _ = pipeline(adapter, clock)
    result = post(pipe).result
    assert result["error"] == "network_error"
    assert "login.test" in result["error_description"]
    assert len(adapter.sent) == 2  # the third scripted reply was never asked for


def test_a_single_use_code_is_not_resent_after_it_may_have_reached_the_server(clock):
    for failure in (reset(), read_timeout()):
        adapter = ScriptedAdapter(failure, reply(200, OK))
        pipe, _ = pipeline(adapter, clock)
        assert post(pipe, AUTH_CODE).result["error"] == "network_error"
        assert len(adapter.sent) == 1


def test_a_single_use_code_is_sent_again_when_no_connection_was_made(clock):
    adapter = ScriptedAdapter(refused(), reply(200, OK))
    pipe, _ = pipeline(adapter, clock)
    assert post(pipe, AUTH_CODE).result == OK
    assert len(adapter.sent) == 2


def test_a_single_use_code_is_not_resent_after_a_5xx(clock):
    adapter = ScriptedAdapter(reply(503, "<h1>down</h1>"), reply(200, OK))
    pipe, _ = pipeline(adapter, clock)
    assert post(pipe, AUTH_CODE).result["error"] == "temporarily_unavailable"
    assert len(adapter.sent) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_without_retry_after_is_retried_once(clock, status):
    adapter = ScriptedAdapter(reply(status, "<h1>oops</h1>"), reply(200, OK))
    pipe, sleeps = pipeline(adapter, clock)
    assert post(pipe).result == OK
    assert len(adapter.sent) == 2 and sleeps == [RetryPolicy().backoff]


def test_a_short_retry_after_is_waited_out_before_the_retry(clock):
    adapter = ScriptedAdapter(reply(503, "", {"Retry-After": "3"}), reply(200, OK))
    pipe, sleeps = pipeline(adapter, clock)
    assert post(pipe).result == OK
    assert sleeps == [3.0]


def test_a_retry_after_longer_than_5_s_is_not_retried(clock):
    adapter = ScriptedAdapter(reply(503, "", {"Retry-After": "6"}), reply(200, OK))
    pipe, sleeps = pipeline(adapter, clock)
    result = post(pipe).result
    assert result["error"] == "temporarily_unavailable" and result["retry_after"] == 6
    assert len(adapter.sent) == 1 and sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 501])
def test_never_retried(clock, status):
    body = {"error": "invalid_grant", "error_description": "AADSTS70000: no."}
    adapter = ScriptedAdapter(reply(status, body), reply(200, OK))
    pipe, sleeps = pipeline(adapter, clock)
    result = post(pipe).result
    assert result["error"] == "invalid_grant"
    assert len(adapter.sent) == 1 and sleeps == []


def test_tls_failures_are_not_retried(clock):
    import requests

    adapter = ScriptedAdapter(requests.exceptions.SSLError("certificate verify failed"), reply(200, OK))
    pipe, _ = pipeline(adapter, clock)
    result = post(pipe).result
    assert result["error"] == "network_error" and "TLS" in result["error_description"]
    assert len(adapter.sent) == 1


def test_the_policy_is_configurable(clock):
    adapter = ScriptedAdapter(reply(503, ""), reply(200, OK))
    pipe, _ = pipeline(adapter, clock, retry_policy=RetryPolicy(max_retries=0))
    assert post(pipe).result["error"] == "temporarily_unavailable"
    assert len(adapter.sent) == 1
    adapter = ScriptedAdapter(reply(502, ""), reply(200, OK))
    pipe, _ = pipeline(adapter, clock, retry_policy=RetryPolicy(retry_statuses=frozenset({503})))
    assert post(pipe).result["error"] == "temporarily_unavailable"
    adapter = ScriptedAdapter(reply(503, "", {"Retry-After": "20"}), reply(200, OK))
    pipe, sleeps = pipeline(adapter, clock, retry_policy=RetryPolicy(max_retry_after=30))
    assert post(pipe).result == OK and sleeps == [20.0]


def test_policy_rejects_negative_values():
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_real_refused_connection_is_retried_once_and_becomes_a_network_error(clock):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps(clock)
    pipe = HttpPipeline(clock=clock, sleep=sleeps, timeout=2)
    result = pipe.send("POST", f"http://127.0.0.1:{port}/token", data={"a": "b"}, context=AUTH_CODE).result
    assert result["error"] == "network_error"
    assert "could not be established" in result["error_description"]
    assert sleeps == [RetryPolicy().backoff]  # retried even for a single-use code: nothing was sent


def test_retries_are_logged_without_secrets(clock, caplog):
    adapter = ScriptedAdapter(reset(), reply(200, OK))
    pipe, _ = pipeline(adapter, clock)
    with caplog.at_level(logging.DEBUG, logger="nbauth"):
        post(pipe)
    text = caplog.text
    assert "retrying once" in text
    assert "rt-secret" not in text and "at-1" not in text
