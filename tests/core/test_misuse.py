"""Misuse raises ValueError with a message that says what to fix; nothing is sent for it."""

from __future__ import annotations

import pytest

from nbauth import ConfidentialClientApplication, PublicClientApplication


@pytest.mark.parametrize(
    ("authority", "fragment"),
    [
        ("http://login.example.com/tenant", "only https"),
        ("ftp://127.0.0.1/tenant", "not an https URL"),
        ("https://login.microsoftonline.com", "no tenant"),
        ("https://login.microsoftonline.com/t?x=1", "query"),
        (42, "URL string"),
    ],
)
def test_bad_authority(authority, fragment):
    with pytest.raises(ValueError, match=fragment):
        PublicClientApplication("client", authority=authority)


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost"])
def test_http_is_accepted_for_loopback(host):
    app = PublicClientApplication("client", authority=f"http://{host}:8080/tenant/")
    assert app.authority == f"http://{host}:8080/tenant"


def test_authority_and_oidc_authority_together():
    with pytest.raises(ValueError, match="either authority"):
        PublicClientApplication("c", authority="https://a.example/t", oidc_authority="https://b.example")


def test_default_authority_is_entra_common():
    assert PublicClientApplication("c").authority == "https://login.microsoftonline.com/common"


def test_credentials():
    with pytest.raises(ValueError, match="client secrets only"):
        ConfidentialClientApplication(
            "c", {"private_key": "k", "thumbprint": "t"}, authority="https://a.example/t"
        )
    with pytest.raises(ValueError, match="required"):
        ConfidentialClientApplication("c", None, authority="https://a.example/t")
    with pytest.raises(ValueError, match="public client has no credential"):
        PublicClientApplication("c", "secret")
    with pytest.raises(ValueError, match="client_id"):
        PublicClientApplication("")


def test_secret_is_not_in_repr():
    app = ConfidentialClientApplication("c", "s3cret-value", authority="https://a.example/t")
    assert "s3cret-value" not in repr(app) and "s3cret-value" not in repr(vars(app))


def test_scopes_must_be_a_list(pca, cca, idp):
    account = {"home_account_id": "x.y", "environment": "127.0.0.1"}
    calls = [
        lambda: cca.acquire_token_for_client(idp.api_app_scope),
        lambda: pca.acquire_token_silent(idp.api_scope, account),
        lambda: pca.acquire_token_silent_with_error(idp.api_scope, None),
        lambda: pca.initiate_device_flow(idp.api_scope),
        lambda: pca.initiate_auth_code_flow(idp.api_scope),
        lambda: pca.acquire_token_by_refresh_token("rt", idp.api_scope),
        lambda: pca.acquire_token_interactive(idp.api_scope),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"list of strings, e\.g\. \["):
            call()
    assert idp.request_log == []


@pytest.mark.parametrize("reserved", ["openid", "profile", "offline_access"])
def test_reserved_scopes_in_user_flows(pca, idp, reserved):
    with pytest.raises(ValueError, match="reserved"):
        pca.initiate_device_flow([idp.api_scope, reserved])
    with pytest.raises(ValueError, match="reserved"):
        pca.initiate_auth_code_flow([reserved])
    assert idp.request_log == []


def test_bad_claims_challenge(cca, idp):
    with pytest.raises(ValueError, match="JSON object"):
        cca.acquire_token_for_client([idp.api_app_scope], claims_challenge="not json")
    with pytest.raises(ValueError, match="JSON object"):
        cca.acquire_token_for_client([idp.api_app_scope], claims_challenge="[1, 2]")


def test_bad_client_capabilities():
    with pytest.raises(ValueError, match="list of strings"):
        PublicClientApplication("c", client_capabilities="CP1")


def test_device_flow_that_is_not_a_flow(pca):
    with pytest.raises(ValueError, match="initiate_device_flow"):
        pca.acquire_token_by_device_flow({"user_code": "x"})


def test_auth_code_flow_misuse(pca, idp):
    flow = pca.initiate_auth_code_flow([idp.api_scope], redirect_uri="http://localhost:1")
    with pytest.raises(ValueError, match="state mismatch"):
        pca.acquire_token_by_auth_code_flow(flow, {"code": "c", "state": "other"})
    with pytest.raises(ValueError, match="either 'code' or 'error'"):
        pca.acquire_token_by_auth_code_flow(flow, {"state": flow["state"]})
    with pytest.raises(ValueError, match="subset"):
        pca.acquire_token_by_auth_code_flow(flow, {"code": "c", "state": flow["state"]}, scopes=["other"])
    with pytest.raises(ValueError, match="no 'state'"):
        pca.acquire_token_by_auth_code_flow({}, {"code": "c"})
    assert idp.requests_to("token") == 0


def test_remove_account_needs_an_account(pca):
    with pytest.raises(ValueError, match="get_accounts"):
        pca.remove_account({})


def test_for_client_rejects_force_refresh(cca, idp):
    with pytest.raises(ValueError, match="force_refresh"):
        cca.acquire_token_for_client([idp.api_app_scope], force_refresh=True)
