"""Discovery, client credentials and the shape of tokens, over real HTTP."""

import base64
import json

import jwt
import requests

from tests.testing.idp_helpers import assert_aadsts


def discovery(idp):
    reply = requests.get(f"{idp.authority}/v2.0/.well-known/openid-configuration", timeout=10)
    assert reply.status_code == 200
    return reply.json()


def client_credentials(idp, **overrides):
    data = {
        "grant_type": "client_credentials",
        "client_id": idp.confidential_client_id,
        "client_secret": idp.client_secret,
        "scope": idp.api_app_scope,
        **overrides,
    }
    return requests.post(idp.token_endpoint, data=data, timeout=10)


def test_discovery_is_entra_shaped_and_served_under_the_issuer_too(local_idp):
    doc = discovery(local_idp)
    assert doc["issuer"] == local_idp.issuer
    assert doc["token_endpoint"] == local_idp.token_endpoint
    assert doc["authorization_endpoint"] == f"{local_idp.authority}/oauth2/v2.0/authorize"
    assert doc["device_authorization_endpoint"] == f"{local_idp.authority}/oauth2/v2.0/devicecode"
    assert {"query", "form_post"} <= set(doc["response_modes_supported"])
    same = requests.get(f"{local_idp.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert same == doc
    keys = requests.get(doc["jwks_uri"], timeout=10).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA"


def test_client_credentials_token_is_a_signed_app_token(local_idp):
    reply = client_credentials(local_idp)
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3600
    jwks = requests.get(discovery(local_idp)["jwks_uri"], timeout=10).json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(body["access_token"], key, algorithms=["RS256"], audience="api://nbauth-demo")
    assert claims["iss"] == local_idp.issuer
    assert claims["tid"] == local_idp.tenant_id
    assert claims["roles"] == ["Data.Read.All"]
    assert "scp" not in claims
    assert claims["exp"] - claims["iat"] == 3600


def test_client_secret_via_http_basic(local_idp):
    basic = base64.b64encode(
        f"{local_idp.confidential_client_id}:{local_idp.client_secret}".encode()
    ).decode()
    data = {"grant_type": "client_credentials", "scope": local_idp.api_app_scope}
    reply = requests.post(
        local_idp.token_endpoint, data=data, headers={"Authorization": f"Basic {basic}"}, timeout=10
    )
    assert reply.status_code == 200
    assert local_idp.request_log[-1].authorization == "Basic ***"


def test_bad_secret_unknown_client_and_bad_scope_are_aadsts_errors(local_idp):
    assert_aadsts(client_credentials(local_idp, client_secret="nope"), 401, "invalid_client", 7000215)
    assert_aadsts(client_credentials(local_idp, client_id="0000-unknown"), 400, "unauthorized_client", 700016)
    assert_aadsts(
        client_credentials(local_idp, scope="api://nbauth-demo/Data.Read"), 400, "invalid_scope", 1002012
    )
    assert_aadsts(client_credentials(local_idp, scope="api://nope/.default"), 400, "invalid_resource", 500011)
    no_secret = client_credentials(local_idp, client_secret="")
    assert_aadsts(no_secret, 401, "invalid_client", 7000218)


def test_correlation_id_echoes_client_request_id(local_idp):
    data = {"grant_type": "client_credentials", "client_id": local_idp.confidential_client_id, "scope": "x"}
    reply = requests.post(
        local_idp.token_endpoint, data=data, headers={"client-request-id": "abc-123"}, timeout=10
    )
    assert reply.json()["correlation_id"] == "abc-123"


def test_app_token_is_accepted_by_the_demo_api(local_idp):
    token = client_credentials(local_idp).json()["access_token"]
    reply = requests.get(local_idp.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert reply.status_code == 200
    assert reply.json()["kind"] == "app"
    assert reply.json()["client_id"] == local_idp.confidential_client_id


def test_unknown_tenant_is_refused(local_idp):
    reply = requests.get(
        f"{local_idp.base_url}/no-such-tenant/v2.0/.well-known/openid-configuration", timeout=10
    )
    assert_aadsts(reply, 400, "invalid_tenant", 90002)


def test_describe_is_json_and_names_the_authority(local_idp):
    described = json.loads(json.dumps(local_idp.describe()))
    assert described["authority"] == local_idp.authority
    assert described["confidential_client_id"] == local_idp.confidential_client_id
