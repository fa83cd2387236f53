"""NbAuthCredential against a fake MSAL-API app, and inside azure-core's BearerTokenCredentialPolicy."""

from __future__ import annotations

import json

import pytest
from azure.core import PipelineClient
from azure.core.credentials import AccessToken, AccessTokenInfo, SupportsTokenInfo, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from nbauth.integrations import as_azure_credential
from nbauth.integrations.azure import NbAuthCredential
from nbauth.testing import FakeClock

from .fakes import ACRS_CLAIMS, FakeAPI, FakeApp, FakeConfidentialApp, session_with


def test_get_token_returns_an_access_token_expiring_by_the_clock():
    clock = FakeClock()
    credential = NbAuthCredential(FakeApp(), clock=clock)
    token = credential.get_token("api://x/.default")
    assert isinstance(token, AccessToken)
    assert token.token == "plain-secret-1"
    assert token.expires_on == int(clock()) + 3599
    assert isinstance(credential, TokenCredential)


def test_get_token_info_passes_claims_as_the_claims_challenge():
    app = FakeApp()
    with NbAuthCredential(app, clock=FakeClock()) as credential:
        info = credential.get_token_info("api://x/.default", options={"claims": json.dumps(ACRS_CLAIMS)})
    assert isinstance(info, AccessTokenInfo)
    assert info.token == "compliant-secret-1"
    assert info.token_type == "Bearer"
    assert json.loads(app.calls[0][2]) == ACRS_CLAIMS


def test_failure_raises_client_authentication_error_with_the_error_dict():
    credential = as_azure_credential(FakeApp(silent=False))
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token("api://x/.default")
    assert caught.value.result["error"] == "interaction_required"
    assert "interaction_required" in caught.value.message
    assert "api://x/.default" in caught.value.message


def test_a_token_for_another_tenant_is_refused_readably():
    app = FakeConfidentialApp()
    app.authority = "https://login.example/11111111-1111-1111-1111-111111111111"
    credential = NbAuthCredential(app)
    assert credential.get_token("s", tenant_id="11111111-1111-1111-1111-111111111111").token == "app-secret-1"
    with pytest.raises(ClientAuthenticationError, match="not 'other-tenant'"):
        credential.get_token("s", tenant_id="other-tenant")


def test_bearer_policy_meets_the_claims_challenge_through_the_credential():
    app, api = FakeApp(), FakeAPI()
    credential = NbAuthCredential(app, clock=FakeClock())
    assert isinstance(credential, SupportsTokenInfo)
    policy = BearerTokenCredentialPolicy(credential, "api://x/.default")
    transport = RequestsTransport(session=session_with(api), session_owner=False)
    client = PipelineClient(base_url="https://api.test", policies=[policy], transport=transport)
    response = client.send_request(HttpRequest("GET", "https://api.test/me"))
    assert response.status_code == 200
    assert [auth for auth, _ in api.seen] == ["Bearer plain-secret-1", "Bearer compliant-secret-2"]
    assert json.loads(app.calls[1][2]) == ACRS_CLAIMS
