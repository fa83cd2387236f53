"""Device code flow: initiate, poll, slow_down, expiry, cancel, errors."""

from __future__ import annotations

import itertools

from nbauth.testing import Fault


def test_flow_dict_and_success(pca, idp, clock):
    flow = pca.initiate_device_flow([idp.api_scope])
    assert {"user_code", "device_code", "verification_uri", "message", "interval", "expires_in"} <= set(flow)
    assert flow["expires_at"] == clock() + flow["expires_in"]
    assert isinstance(flow["interval"], int)
    idp.approve_device_code(flow["user_code"])
    result = pca.acquire_token_by_device_flow(flow)
    assert result["token_source"] == "identity_provider"
    assert result["id_token_claims"]["preferred_username"] == idp.username
    assert "refresh_token" in result and "client_info" in result
    sent = next(r for r in idp.request_log if r.endpoint == "devicecode").params["scope"].split()
    assert {"openid", "profile", "offline_access", idp.api_scope} == set(sent)


def test_polls_until_approved_sleeping_interval_in_one_second_slices(pca, idp, clock):
    flow = pca.initiate_device_flow([idp.api_scope])
    sleeps: list[float] = []
    polls_before_approval = 3

    def exit_condition(flow):  # called before every one-second slice
        sleeps.append(clock())
        if idp.requests_to("token") == polls_before_approval and len(sleeps) % flow["interval"] == 0:
            idp.approve_device_code(flow["user_code"])
        return False

    result = pca.acquire_token_by_device_flow(flow, exit_condition=exit_condition)
    assert "access_token" in result
    assert idp.requests_to("token") == polls_before_approval + 1
    gaps = {round(b - a, 3) for a, b in itertools.pairwise(sleeps)}
    assert gaps == {1.0}  # never slept more than a second without checking exit_condition


def test_slow_down_adds_five_seconds(pca, idp, clock):
    flow = pca.initiate_device_flow([idp.api_scope])
    interval = flow["interval"]
    idp.faults.add("token", Fault.oauth_error("slow_down", aadsts=70023, description="Slow down"))
    starts: list[float] = []

    def exit_condition(flow):
        starts.append(clock())
        if len(starts) == interval + 5:  # last slice of the slowed-down wait
            idp.approve_device_code(flow["user_code"])
        return False

    result = pca.acquire_token_by_device_flow(flow, exit_condition=exit_condition)
    assert "access_token" in result
    assert flow["interval"] == interval + 5
    assert len(starts) == interval + 5


def test_exit_condition_cancels_within_a_second(pca, idp, clock):
    flow = pca.initiate_device_flow([idp.api_scope])
    start = clock()
    result = pca.acquire_token_by_device_flow(flow, exit_condition=lambda f: clock() - start >= 2)
    assert result["error"] == "authorization_pending"
    assert clock() - start < 3  # stopped at the slice boundary after the condition became true
    assert idp.requests_to("token") == 1


def test_expiry_stops_polling(pca, idp, clock):
    idp.device_code_lifetime = 30
    flow = pca.initiate_device_flow([idp.api_scope])
    result = pca.acquire_token_by_device_flow(flow)
    assert result["error"] == "expired_token"
    assert clock() >= flow["expires_at"]
    assert idp.requests_to("token") <= flow["expires_in"] // flow["interval"] + 1


def test_declined_is_the_providers_error(pca, idp):
    flow = pca.initiate_device_flow([idp.api_scope])
    idp.approve_device_code(flow["user_code"], decline=True)
    result = pca.acquire_token_by_device_flow(flow)
    assert result["error"] not in ("authorization_pending", "slow_down")
    assert "access_token" not in result and result.get("error_codes")


def test_initiate_error_stays_an_error_dict(pca, idp):
    idp.faults.add("devicecode", Fault.oauth_error("invalid_scope", aadsts=70011, description="bad scope"))
    flow = pca.initiate_device_flow([idp.api_scope])
    assert flow["error"] == "invalid_scope" and 70011 in flow["error_codes"]
    assert "expires_at" not in flow
    # Passing it on answers that error instead of polling.
    assert pca.acquire_token_by_device_flow(flow)["error"] == "invalid_scope"
    assert idp.requests_to("token") == 0


def test_claims_challenge_is_sent_on_initiate_and_poll(pca, idp):
    challenge = '{"access_token": {"acrs": {"essential": true, "value": "c1"}}}'
    flow = pca.initiate_device_flow([idp.api_scope], claims_challenge=challenge)
    idp.approve_device_code(flow["user_code"])
    assert "access_token" in pca.acquire_token_by_device_flow(flow, claims_challenge=challenge)
    sent = [r.params.get("claims") for r in idp.request_log if r.endpoint in ("devicecode", "token")]
    assert all(s and '"acrs"' in s for s in sent)
