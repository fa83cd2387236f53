"""acquire_token_silent / _with_error, get_accounts, remove_account, acquire_token_by_refresh_token."""

from __future__ import annotations

from nbauth import PublicClientApplication
from nbauth.core.token_cache import SerializableTokenCache
from nbauth.testing import Fault
from tests.core.helpers import sign_in_by_device_flow


def test_no_account_is_none(pca, idp):
    assert pca.acquire_token_silent([idp.api_scope], account=None) is None
    assert pca.acquire_token_silent_with_error([idp.api_scope], account=None) is None
    assert pca.get_accounts() == []
    assert idp.request_log == []


def test_accounts_and_cache_hit(pca, idp, clock):
    signed_in = sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    claims = signed_in["id_token_claims"]
    assert account["username"] == idp.username
    assert account["home_account_id"] == f"{claims['oid']}.{claims['tid']}"  # from client_info, as MSAL
    assert pca.get_accounts(username=idp.username.upper()) == [account]
    assert pca.get_accounts(username="someone@else.example") == []
    clock.advance(100)
    cached = pca.acquire_token_silent([idp.api_scope], account)
    assert cached == {
        "access_token": signed_in["access_token"],
        "token_type": "Bearer",
        "expires_in": signed_in["expires_in"] - 100,
        "token_source": "cache",
    }


def test_expired_token_is_refreshed(pca, idp, clock):
    signed_in = sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    clock.advance(signed_in["expires_in"] - 200)
    refreshed = pca.acquire_token_silent([idp.api_scope], account)
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != signed_in["access_token"]
    assert "id_token_claims" in refreshed
    assert idp.request_log[-1].grant_type == "refresh_token"
    # the refreshed token is the one cached now
    assert pca.acquire_token_silent([idp.api_scope], account)["access_token"] == refreshed["access_token"]


def test_failed_refresh_none_vs_error(pca, idp, clock):
    signed_in = sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    clock.advance(signed_in["expires_in"])
    idp.revoke_refresh_tokens()
    assert pca.acquire_token_silent([idp.api_scope], account) is None
    error = pca.acquire_token_silent_with_error([idp.api_scope], account)
    assert error["error"] == "invalid_grant" and error["error_codes"]


def test_suberror_gets_msal_classification(pca, idp, clock):
    sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    idp.faults.add("token", Fault.oauth_error("invalid_grant", aadsts=700082, suberror="bad_token"))
    error = pca.acquire_token_silent_with_error([idp.api_scope], account, force_refresh=True)
    assert error["suberror"] == "bad_token" and error["classification"] == ""


def test_aging_user_token_falls_back_when_refresh_fails(idp, clock):
    idp.refresh_in = 600
    pca = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, sleep=clock.sleep
    )
    signed_in = sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    clock.advance(601)
    idp.faults.add("token", Fault.status(500, body="html"), times=3)
    fallback = pca.acquire_token_silent_with_error([idp.api_scope], account)
    assert fallback["token_source"] == "cache" and fallback["access_token"] == signed_in["access_token"]
    assert fallback["refresh_on"] == signed_in["refresh_on"]


def test_force_refresh_and_claims_challenge_skip_the_cache(pca, idp):
    signed_in = sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    forced = pca.acquire_token_silent([idp.api_scope], account, force_refresh=True)
    assert forced["token_source"] == "identity_provider"
    challenged = pca.acquire_token_silent(
        [idp.api_scope],
        account,
        claims_challenge='{"access_token": {"nbf": {"essential": true, "value": "1"}}}',
    )
    assert challenged["token_source"] == "identity_provider"
    assert len({signed_in["access_token"], forced["access_token"], challenged["access_token"]}) == 3


def test_remove_account_forgets_its_tokens(pca, idp):
    sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    pca.remove_account(account)
    assert pca.get_accounts() == []
    assert pca.acquire_token_silent([idp.api_scope], account) is None
    assert pca.acquire_token_silent_with_error([idp.api_scope], account) is None


def test_refresh_token_from_elsewhere(idp, clock):
    donor = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, sleep=clock.sleep
    )
    rt = sign_in_by_device_flow(donor, idp, [idp.api_scope])["refresh_token"]
    cache = SerializableTokenCache()
    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, token_cache=cache, clock=clock
    )
    result = app.acquire_token_by_refresh_token(rt, [idp.api_scope])
    assert result["token_source"] == "identity_provider"
    assert [a["username"] for a in app.get_accounts()] == [idp.username]
    assert cache.has_state_changed
    bad = app.acquire_token_by_refresh_token("not-a-refresh-token", [idp.api_scope])
    assert bad["error"] == "invalid_grant"


def test_conditional_access_round_trip(pca, idp, clock):
    """API 401 with a claims challenge -> refresh without claims refused -> refresh with the claims."""
    import requests

    from nbauth.core.claims import claims_challenge_from_www_authenticate

    idp.conditional_access = True
    sign_in_by_device_flow(pca, idp, [idp.api_scope])
    (account,) = pca.get_accounts()
    token = pca.acquire_token_silent([idp.api_scope], account)["access_token"]
    denied = requests.get(idp.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert denied.status_code == 401
    challenge = claims_challenge_from_www_authenticate(denied.headers["WWW-Authenticate"])
    assert challenge and '"acrs"' in challenge
    refused = pca.acquire_token_silent_with_error([idp.api_scope], account, force_refresh=True)
    assert refused["error"] == "interaction_required" and refused.get("claims")
    assert pca.acquire_token_silent([idp.api_scope], account, force_refresh=True) is None
    result = pca.acquire_token_silent([idp.api_scope], account, claims_challenge=challenge)
    assert result["token_source"] == "identity_provider"
    ok = requests.get(idp.api_url, headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10)
    assert ok.status_code == 200
    # the satisfying token replaced the old one in the cache
    assert pca.acquire_token_silent([idp.api_scope], account)["access_token"] == result["access_token"]
