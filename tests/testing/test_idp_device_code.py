"""The device-code flow over real HTTP: the devicecode endpoint, polling, the verification page."""

import pytest
from idp_helpers import assert_aadsts, call_api, claims_of, poll_device, start_device_flow

from nbauth.testing import LocalIdentityProvider, PageError, enter_device_code


def test_devicecode_reply_has_entras_shape(local_idp):
    flow = start_device_flow(local_idp)
    assert set(flow) == {"device_code", "user_code", "verification_uri", "expires_in", "interval", "message"}
    assert flow["verification_uri"] == f"{local_idp.base_url}/devicelogin"
    assert flow["user_code"] in flow["message"] and flow["verification_uri"] in flow["message"]
    assert flow["interval"] == 5 and flow["expires_in"] == 900


def test_pending_then_approved_on_the_verification_page(local_idp, fake_clock):
    flow = start_device_flow(local_idp)
    assert_aadsts(poll_device(local_idp, flow), 400, "authorization_pending", 70016)
    html = enter_device_code(
        flow["verification_uri"], flow["user_code"], username=local_idp.username, password=local_idp.password
    )
    assert "You have signed in" in html
    fake_clock.advance(flow["interval"])
    reply = poll_device(local_idp, flow)
    assert reply.status_code == 200
    body = reply.json()
    assert {"access_token", "refresh_token", "id_token", "client_info", "scope"} <= set(body)
    assert set(f"{local_idp.api_scope} openid profile offline_access".split()) <= set(body["scope"].split())
    claims = claims_of(body["access_token"])
    assert claims["scp"] == "Data.Read" and claims["preferred_username"] == local_idp.username
    assert call_api(local_idp, body["access_token"]).json()["preferred_username"] == local_idp.username
    fake_clock.advance(flow["interval"])
    assert_aadsts(poll_device(local_idp, flow), 400, "invalid_grant", 70000)  # redeemed once only


def test_wrong_password_on_the_page_does_not_approve(local_idp):
    flow = start_device_flow(local_idp)
    with pytest.raises(PageError, match="AADSTS50126"):
        enter_device_code(
            flow["verification_uri"], flow["user_code"], username=local_idp.username, password="x"
        )
    assert_aadsts(poll_device(local_idp, flow), 400, "authorization_pending", 70016)


def test_declined_on_the_page_is_access_denied(local_idp):
    flow = start_device_flow(local_idp)
    html = enter_device_code(
        flow["verification_uri"],
        flow["user_code"],
        username=local_idp.username,
        password=local_idp.password,
        approve=False,
    )
    assert "declined" in html
    assert_aadsts(poll_device(local_idp, flow), 400, "access_denied", 65004)


def test_unknown_user_code_is_refused_on_the_page(local_idp):
    with pytest.raises(LookupError, match="didn't work"):
        enter_device_code(local_idp.device_verification_uri, "NOTACODE1", username="a", password="b")


def test_approve_device_code_from_python(local_idp, fake_clock):
    flow = start_device_flow(local_idp)
    local_idp.approve_device_code(flow["user_code"])
    assert poll_device(local_idp, flow).status_code == 200
    with pytest.raises(LookupError):
        local_idp.approve_device_code()  # nothing pending any more


def test_polling_faster_than_the_interval_is_slow_down(local_idp, fake_clock):
    flow = start_device_flow(local_idp)
    assert_aadsts(poll_device(local_idp, flow), 400, "authorization_pending", 70016)
    fake_clock.advance(flow["interval"] - 1)
    assert_aadsts(poll_device(local_idp, flow), 400, "slow_down", 70016)
    fake_clock.advance(flow["interval"] + 5)  # the interval grew by 5 s (RFC 8628 section 3.5)
    assert_aadsts(poll_device(local_idp, flow), 400, "authorization_pending", 70016)


def test_expired_device_code(local_idp, fake_clock):
    flow = start_device_flow(local_idp)
    fake_clock.advance(flow["expires_in"])
    local_idp.approve_device_code(flow["user_code"])  # too late: the code has expired
    assert_aadsts(poll_device(local_idp, flow), 400, "expired_token", 70020)


def test_auto_approve_zero_approves_at_once():
    with LocalIdentityProvider(auto_approve=0) as idp:
        flow = start_device_flow(idp)
        assert poll_device(idp, flow).status_code == 200


def test_auto_approve_after_a_delay_is_pending_first():
    with LocalIdentityProvider(auto_approve=60) as idp:
        flow = start_device_flow(idp)
        assert_aadsts(poll_device(idp, flow), 400, "authorization_pending", 70016)


def test_confidential_client_needs_its_secret_for_device_code(local_idp):
    import requests

    data = {"client_id": local_idp.confidential_client_id, "scope": local_idp.api_scope}
    reply = requests.post(f"{local_idp.authority}/oauth2/v2.0/devicecode", data=data, timeout=10)
    assert_aadsts(reply, 401, "invalid_client", 7000218)
