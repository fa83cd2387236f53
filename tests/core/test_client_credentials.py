"""Client credentials and the application-token cache, over HTTP against the local identity provider."""

from __future__ import annotations

import pytest

from nbauth import ConfidentialClientApplication
from nbauth.testing import Fault


def test_seed_snippet_from_the_issue(idp, capsys):
    client_id, authority_url, client_secret = idp.confidential_client_id, idp.authority, idp.client_secret
    scopes = [idp.api_app_scope]
    # --- the issue's snippet, verbatim except the import, authority and secret ---
    app = ConfidentialClientApplication(client_id, authority=authority_url, client_credential=client_secret)
    result = app.acquire_token_silent(scopes=scopes, account=None)
    if not result:
        result = app.acquire_token_for_client(scopes=scopes)
    if "access_token" in result:
        print("Access token: %s" % result["access_token"])  # noqa: UP031 (verbatim)
    else:
        print("Error: %s" % result.get("error"))  # noqa: UP031
    # ---
    out = capsys.readouterr().out
    assert out.startswith("Access token: ey")
    assert out.strip().removeprefix("Access token: ") in idp.issued_secrets()


def test_provider_result_then_cache_hit(cca, idp, clock):
    first = cca.acquire_token_for_client([idp.api_app_scope])
    assert first["token_source"] == "identity_provider"
    assert {"access_token", "token_type", "expires_in"} <= set(first)
    assert not any(k.startswith("_") for k in first)
    requests_before = idp.requests_to("token")
    clock.advance(60)
    second = cca.acquire_token_for_client([idp.api_app_scope])
    assert set(second) == {"access_token", "token_type", "expires_in", "token_source"}
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] == first["expires_in"] - 60
    assert idp.requests_to("token") == requests_before


def test_constructor_does_no_io_and_discovery_happens_once(idp, clock):
    app = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, authority=idp.authority, clock=clock
    )
    assert idp.request_log == []
    app.acquire_token_for_client([idp.api_app_scope])
    clock.advance(3500)  # expired: a second token request, but no second discovery
    assert app.acquire_token_for_client([idp.api_app_scope])["token_source"] == "identity_provider"
    assert idp.requests_to("discovery") == 1
    assert idp.requests_to("token") == 2


def test_dict_credential_with_client_secret(idp, clock):
    app = ConfidentialClientApplication(
        idp.confidential_client_id, {"client_secret": idp.client_secret}, authority=idp.authority, clock=clock
    )
    assert "access_token" in app.acquire_token_for_client([idp.api_app_scope])
    assert app.is_confidential and app.client_id == idp.confidential_client_id
    assert app.authority == idp.authority


def test_wrong_secret_is_the_providers_error_verbatim(idp, clock):
    app = ConfidentialClientApplication(
        idp.confidential_client_id, "wrong", authority=idp.authority, clock=clock
    )
    result = app.acquire_token_for_client([idp.api_app_scope])
    assert result["error"] == "invalid_client"
    assert isinstance(result["error_codes"], list) and result["error_codes"]
    assert {"error_description", "timestamp", "trace_id", "correlation_id"} <= set(result)
    assert "token_source" not in result


def test_expiry_margin_requests_a_new_token(cca, idp, clock):
    first = cca.acquire_token_for_client([idp.api_app_scope])
    clock.advance(first["expires_in"] - 299)  # under 5 minutes left: treated as expired
    second = cca.acquire_token_for_client([idp.api_app_scope])
    assert second["token_source"] == "identity_provider"
    assert second["access_token"] != first["access_token"]


@pytest.fixture
def aging_idp(idp):
    idp.refresh_in = 1800
    return idp


def test_refresh_in_becomes_refresh_on_and_aging_token_is_renewed(cca, aging_idp, clock):
    idp = aging_idp
    first = cca.acquire_token_for_client([idp.api_app_scope])
    assert "refresh_in" not in first
    assert first["refresh_on"] == int(clock() + 1800)
    cached = cca.acquire_token_for_client([idp.api_app_scope])
    assert cached["token_source"] == "cache" and cached["refresh_on"] == first["refresh_on"]
    clock.advance(1801)
    renewed = cca.acquire_token_for_client([idp.api_app_scope])
    assert renewed["token_source"] == "identity_provider"
    assert renewed["access_token"] != first["access_token"]


def test_aging_token_is_returned_when_the_renewal_fails(cca, aging_idp, clock):
    idp = aging_idp
    first = cca.acquire_token_for_client([idp.api_app_scope])
    clock.advance(1801)
    idp.faults.add("token", Fault.status(503, body="html"), times=5)
    fallback = cca.acquire_token_for_client([idp.api_app_scope])
    assert fallback["token_source"] == "cache"
    assert fallback["access_token"] == first["access_token"]


def test_claims_challenge_bypasses_the_cache_and_capabilities_are_sent(idp, clock):
    app = ConfidentialClientApplication(
        idp.confidential_client_id,
        idp.client_secret,
        authority=idp.authority,
        clock=clock,
        client_capabilities=["CP1"],
    )
    first = app.acquire_token_for_client([idp.api_app_scope])
    challenge = '{"access_token": {"nbf": {"essential": true, "value": "1"}}}'
    second = app.acquire_token_for_client([idp.api_app_scope], claims_challenge=challenge)
    assert second["token_source"] == "identity_provider"
    assert second["access_token"] != first["access_token"]
    sent = [r.params.get("claims") for r in idp.request_log if r.endpoint == "token"]
    assert '"xms_cc": {"values": ["CP1"]}' in sent[0]
    assert '"nbf"' in sent[1] and '"xms_cc"' in sent[1]
    # The new token replaced the old one in the cache.
    assert app.acquire_token_for_client([idp.api_app_scope])["access_token"] == second["access_token"]
