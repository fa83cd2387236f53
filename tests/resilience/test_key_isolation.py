"""One user's or one flow's throttle window is never served to another's (real HTTP, local provider)."""

from __future__ import annotations

from nbauth.core.application import PublicClientApplication
from nbauth.core.throttle import throttle_entries
from nbauth.testing.faults import Fault


def app_for(idp, clock, cache):
    return PublicClientApplication(
        idp.public_client_id, authority=idp.authority, http_cache=cache, clock=clock, sleep=clock.sleep
    )


def sign_in(app, idp) -> str:
    result = app.acquire_token_by_device_flow(app.initiate_device_flow([idp.api_scope]))
    return result["refresh_token"]


def test_two_refresh_tokens_do_not_share_a_window(local_idp, fake_clock):
    local_idp.auto_approve = 0
    cache: dict = {}
    first_user, second_user = app_for(local_idp, fake_clock, cache), app_for(local_idp, fake_clock, cache)
    rt1, rt2 = sign_in(first_user, local_idp), sign_in(second_user, local_idp)
    assert rt1 != rt2
    local_idp.faults.add("token", Fault.status(429, retry_after=300))
    throttled = first_user.acquire_token_by_refresh_token(rt1, [local_idp.api_scope])
    assert throttled["http_status"] == 429
    before = local_idp.requests_to("token")
    assert "access_token" in second_user.acquire_token_by_refresh_token(rt2, [local_idp.api_scope])
    assert local_idp.requests_to("token") == before + 1
    assert first_user.acquire_token_by_refresh_token(rt1, [local_idp.api_scope]) == throttled
    assert local_idp.requests_to("token") == before + 1
    (entry,) = throttle_entries(cache, now=fake_clock())
    assert rt1 not in entry.key and rt1 not in repr(cache)


def test_two_device_codes_do_not_share_a_window(local_idp, fake_clock):
    local_idp.auto_approve = 0
    cache: dict = {}
    app = app_for(local_idp, fake_clock, cache)
    flow1, flow2 = (
        app.initiate_device_flow([local_idp.api_scope]),
        app.initiate_device_flow([local_idp.api_scope]),
    )
    local_idp.faults.add("token", Fault.status(503, retry_after=60))
    throttled = app.acquire_token_by_device_flow(flow1)
    assert throttled["http_status"] == 503
    before = local_idp.requests_to("token")
    assert "access_token" in app.acquire_token_by_device_flow(flow2)
    assert app.acquire_token_by_device_flow(flow1) == throttled
    assert local_idp.requests_to("token") == before + 1
    assert flow1["device_code"] not in repr(cache)
