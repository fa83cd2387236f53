"""A real azure-core pipeline with NbAuthCredential against the local identity provider's demo API."""

from __future__ import annotations

import jwt
import pytest
from azure.core import PipelineClient
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from nbauth import ConfidentialClientApplication, PublicClientApplication
from nbauth.integrations import as_azure_credential
from nbauth.integrations.azure import NbAuthCredential
from nbauth.testing import LocalIdentityProvider

ACRS = '{"access_token": {"acrs": {"essential": true, "value": "c1"}}}'


@pytest.fixture
def idp(local_idp_tls):
    return local_idp_tls


def signed_in(idp):
    app = PublicClientApplication(idp.public_client_id, authority=idp.authority, verify=idp.ca_cert_path)
    flow = app.initiate_device_flow([idp.api_scope])
    idp.approve_device_code(flow["user_code"])
    assert "access_token" in app.acquire_token_by_device_flow(flow)
    return app


def pipeline(idp, credential, scope):
    policy = BearerTokenCredentialPolicy(credential, scope)
    transport = RequestsTransport(connection_verify=idp.ca_cert_path)
    return PipelineClient(base_url=idp.base_url, policies=[policy], transport=transport)


def bearer_claims(response) -> dict:
    token = response.request.headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})


def test_azure_pipeline_meets_a_claims_challenge_through_the_credential(idp):
    client = pipeline(idp, as_azure_credential(signed_in(idp)), idp.api_scope)
    assert client.send_request(HttpRequest("GET", idp.api_url)).status_code == 200
    idp.conditional_access = True
    api, token = idp.requests_to("api"), idp.requests_to("token")
    response = client.send_request(HttpRequest("GET", idp.api_url))
    assert response.status_code == 200
    assert bearer_claims(response).get("acrs") == ["c1"]
    # azure-core's policy: one 401, one token request with the claims, one retry.
    assert (idp.requests_to("api") - api, idp.requests_to("token") - token) == (2, 1)


def test_client_credentials_serve_the_pipeline_from_the_cache(idp):
    app = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, authority=idp.authority, verify=idp.ca_cert_path
    )
    credential = as_azure_credential(app)
    token = idp.requests_to("token")
    first = credential.get_token(idp.api_app_scope)
    second = credential.get_token(idp.api_app_scope)
    assert first.token == second.token
    assert idp.requests_to("token") - token == 1
    client = pipeline(idp, credential, idp.api_app_scope)
    assert client.send_request(HttpRequest("GET", idp.api_url)).status_code == 200


def test_a_refused_token_request_raises_client_authentication_error(idp):
    app = signed_in(idp)
    idp.revoke_refresh_tokens()
    credential = as_azure_credential(app)
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(
            idp.api_scope, claims='{"access_token": {"acrs": {"essential": true, "value": "c1"}}}'
        )
    assert caught.value.result["error"] == "invalid_grant"
    assert "invalid_grant" in caught.value.message
    assert not any(secret in str(caught.value) for secret in idp.issued_secrets())


def test_the_credential_refreshes_across_expiry_on_the_applications_clock(fake_clock):
    with LocalIdentityProvider(clock=fake_clock) as idp:
        app = PublicClientApplication(
            idp.public_client_id, authority=idp.authority, clock=fake_clock, sleep=fake_clock.sleep
        )
        flow = app.initiate_device_flow([idp.api_scope])
        idp.approve_device_code(flow["user_code"])
        assert "access_token" in app.acquire_token_by_device_flow(flow)
        credential = NbAuthCredential(app, clock=fake_clock)
        token = idp.requests_to("token")
        first = credential.get_token_info(idp.api_scope)
        assert first.expires_on == int(fake_clock()) + idp.token_lifetime
        fake_clock.advance(idp.token_lifetime)
        second = credential.get_token_info(idp.api_scope)
        assert second.token != first.token
        assert second.expires_on > int(fake_clock())
        assert idp.requests_to("token") - token == 1
