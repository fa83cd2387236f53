"""Scripted faults, each observed over real HTTP with plain requests."""

import email.utils
import json
import threading
from datetime import UTC, datetime

import pytest
import requests
from idp_helpers import assert_aadsts

from nbauth.testing import Fault, LocalIdentityProvider


def client_credentials(idp, timeout=10):
    data = {
        "grant_type": "client_credentials",
        "client_id": idp.confidential_client_id,
        "client_secret": idp.client_secret,
        "scope": idp.api_app_scope,
    }
    return requests.post(idp.token_endpoint, data=data, timeout=timeout)


def test_429_with_retry_after_seconds(local_idp):
    local_idp.faults.add("token", Fault.status(429, retry_after=7))
    reply = client_credentials(local_idp)
    assert reply.headers["Retry-After"] == "7"
    assert_aadsts(reply, 429, "temporarily_unavailable", 50196)
    assert client_credentials(local_idp).status_code == 200  # consumed


def test_retry_after_as_http_date(local_idp):
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    local_idp.faults.add("token", Fault.status(503, retry_after=when))
    reply = client_credentials(local_idp)
    assert reply.status_code == 503
    assert reply.headers["Retry-After"].endswith("GMT")
    assert email.utils.parsedate_to_datetime(reply.headers["Retry-After"]) == when


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_with_json_body(local_idp, status):
    local_idp.faults.add("token", Fault.status(status))
    reply = client_credentials(local_idp)
    expected = ("server_error", 50000) if status == 500 else ("temporarily_unavailable", 90033)
    assert_aadsts(reply, status, *expected)
    assert "Retry-After" not in reply.headers


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_with_html_body(local_idp, status):
    local_idp.faults.add("token", Fault.status(status, body="html"))
    reply = client_credentials(local_idp)
    assert reply.status_code == status
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.text.startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError):
        reply.json()


def test_status_with_a_custom_json_body(local_idp):
    local_idp.faults.add("discovery", Fault.status(500, body={"message": "boom"}))
    reply = requests.get(f"{local_idp.issuer}/.well-known/openid-configuration", timeout=10)
    assert (reply.status_code, reply.json()) == (500, {"message": "boom"})


def test_oauth_error_with_suberror_and_claims(local_idp):
    claims = json.dumps({"access_token": {"capolids": {"essential": True, "values": ["p1"]}}})
    fault = Fault.oauth_error("interaction_required", 50079, "Multi-factor needed.", suberror="basic_action",
                              claims=claims)  # fmt: skip
    local_idp.faults.add("token", fault)
    body = assert_aadsts(client_credentials(local_idp), 400, "interaction_required", 50079)
    assert body["error_description"].startswith("AADSTS50079: Multi-factor needed.")
    assert body["suberror"] == "basic_action"
    assert json.loads(body["claims"]) == json.loads(claims)


def test_invalid_grant_default_and_faults_are_consumed_in_order(local_idp):
    local_idp.faults.add("token", Fault.oauth_error())
    local_idp.faults.add("token", Fault.status(429), times=2)
    assert_aadsts(client_credentials(local_idp), 400, "invalid_grant", 70000)
    assert client_credentials(local_idp).status_code == 429
    assert client_credentials(local_idp).status_code == 429
    assert client_credentials(local_idp).status_code == 200
    assert local_idp.requests_to("token") == 4
    assert [e.fault is not None for e in local_idp.request_log] == [True, True, True, False]


def test_reset_closes_the_connection_without_a_reply(local_idp):
    local_idp.faults.add("token", Fault.reset())
    with pytest.raises(requests.ConnectionError):
        client_credentials(local_idp)
    assert local_idp.request_log[-1].status is None
    assert client_credentials(local_idp).status_code == 200


def test_delay_longer_than_the_client_timeout(local_idp):
    local_idp.faults.add("token", Fault.delay(30))
    with pytest.raises(requests.Timeout):
        client_credentials(local_idp, timeout=0.3)
    assert local_idp.requests_to("token") == 1
    assert client_credentials(local_idp).status_code == 200  # other requests are served meanwhile


def test_a_pending_delay_does_not_hold_up_stop():
    idp = LocalIdentityProvider().start()
    idp.faults.add("api", Fault.delay(600))
    errors = []
    caller = threading.Thread(target=lambda: errors.append(_swallow(requests.get, idp.api_url, timeout=30)))
    caller.start()
    while idp.requests_to("api") == 0:
        threading.Event().wait(0.01)
    idp.stop()  # pytest-timeout would catch a stop() that waits for the 600 s delay
    caller.join(timeout=30)
    assert not caller.is_alive()
    assert isinstance(errors[0], requests.ConnectionError)


def _swallow(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except requests.RequestException as problem:
        return problem


@pytest.mark.parametrize("fault", [Fault.malformed_json(), Fault.truncated_json()])
def test_malformed_and_truncated_json(local_idp, fault):
    local_idp.faults.add("devicecode", fault)
    data = {"client_id": local_idp.public_client_id, "scope": local_idp.api_scope}
    reply = requests.post(f"{local_idp.authority}/oauth2/v2.0/devicecode", data=data, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.text.startswith("{")
    with pytest.raises(ValueError):
        reply.json()


def test_faults_reach_every_endpoint(local_idp):
    for endpoint in ("discovery", "jwks", "devicecode", "authorize", "device", "api"):
        local_idp.faults.add(endpoint, Fault.status(503))
    urls = [
        ("GET", f"{local_idp.issuer}/.well-known/openid-configuration"),
        ("GET", f"{local_idp.authority}/discovery/v2.0/keys"),
        ("POST", f"{local_idp.authority}/oauth2/v2.0/devicecode"),
        ("GET", f"{local_idp.authority}/oauth2/v2.0/authorize"),
        ("GET", local_idp.device_verification_uri),
        ("GET", local_idp.api_url),
    ]
    assert [requests.request(m, u, timeout=10).status_code for m, u in urls] == [503] * 6
    assert local_idp.faults.pending() == 0


def test_unknown_endpoint_name_is_misuse(local_idp):
    with pytest.raises(ValueError, match="unknown endpoint"):
        local_idp.faults.add("tokens", Fault.reset())
    with pytest.raises(ValueError):
        local_idp.requests_to("nope")
