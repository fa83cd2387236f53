"""Logs help diagnose and never carry a secret; the claims helpers."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from nbauth import ConfidentialClientApplication, PublicClientApplication
from nbauth.core.claims import (
    claims_challenge_from_www_authenticate,
    decode_claims,
    merge_client_capabilities,
)
from nbauth.testing import Fault
from tests.core.helpers import complete_sign_in, sign_in_by_device_flow


def test_no_secret_in_logs_through_every_flow(idp, clock, caplog):
    caplog.set_level(logging.DEBUG)
    cca = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, authority=idp.authority, clock=clock, sleep=clock.sleep
    )
    cca.acquire_token_for_client([idp.api_app_scope])
    pca = PublicClientApplication(
        idp.public_client_id,
        authority=idp.authority,
        clock=clock,
        sleep=clock.sleep,
        open_browser=lambda url: complete_sign_in(url, idp.username, idp.password).ok,
    )
    sign_in_by_device_flow(pca, idp, [idp.api_scope])
    pca.acquire_token_interactive([idp.api_scope], timeout=30)
    account = pca.get_accounts()[0]
    pca.acquire_token_silent([idp.api_scope], account, force_refresh=True)
    idp.faults.add("token", Fault.oauth_error("invalid_grant", aadsts=50126, description="bad"))
    failed = pca.acquire_token_silent_with_error([idp.api_scope], account, force_refresh=True)
    assert failed["error"] == "invalid_grant"

    text = "\n".join(record.getMessage() for record in caplog.records)
    secrets = idp.issued_secrets()
    assert len(secrets) > 8
    leaked = [s for s in secrets if s in text]
    assert leaked == []
    # ...while the log still says what happened
    core = [r.getMessage() for r in caplog.records if r.name == "nbauth"]
    assert any("endpoint=token" in m and "status=200" in m for m in core)
    assert any("error=invalid_grant" in m and "AADSTS50126" in m and "correlation_id=" in m for m in core)
    assert any("attempt=" in m for m in core)


def _b64(value: dict) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_www_authenticate_parsing():
    claims = {"access_token": {"acrs": {"essential": True, "value": "c1"}}}
    header = (
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
        'client_id="00000003-0000-0000-c000-000000000000", '
        f'error="insufficient_claims", claims="{_b64(claims)}"'
    )
    assert json.loads(claims_challenge_from_www_authenticate(header)) == claims
    unpadded = _b64(claims).rstrip("=")
    assert (
        json.loads(claims_challenge_from_www_authenticate(f'Basic realm="x", Bearer claims={unpadded}'))
        == claims
    )
    assert claims_challenge_from_www_authenticate('Bearer error="invalid_token"') is None
    assert claims_challenge_from_www_authenticate('Bearer claims="!!!not base64"') is None
    assert claims_challenge_from_www_authenticate("") is None
    assert claims_challenge_from_www_authenticate(None) is None


def test_merge_and_decode():
    assert merge_client_capabilities(None, None) is None
    assert json.loads(merge_client_capabilities(None, ["CP1"])) == {
        "access_token": {"xms_cc": {"values": ["CP1"]}}
    }
    merged = json.loads(
        merge_client_capabilities('{"access_token": {"nbf": {"value": "1"}}}', ["CP1", "CP2"])
    )
    assert merged == {"access_token": {"nbf": {"value": "1"}, "xms_cc": {"values": ["CP1", "CP2"]}}}
    assert decode_claims(_b64({"id_token": {}})) == {"id_token": {}}
    with pytest.raises(ValueError, match="JSON object"):
        decode_claims("[]")
