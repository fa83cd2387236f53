"""The OpenID Connect discovery document, shaped like Entra's v2 one, and the JWKS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbauth.testing.messages import Reply, Request, json_reply

if TYPE_CHECKING:
    from nbauth.testing.provider import LocalIdentityProvider

CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "cloud_instance_name",
    "cloud_instance_host_name",
    "cloud_graph_host_name",
    "msgraph_host",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "nonce",
    "preferred_username",
    "name",
    "tid",
    "ver",
    "at_hash",
    "c_hash",
    "email",
]


def openid_configuration(idp: LocalIdentityProvider, tenant: str) -> dict[str, Any]:
    """Endpoints keep the tenant segment the client used (``common`` too), as Entra's document does."""
    base = f"{idp.base_url}/{tenant}"
    # Like Entra, the multi-tenant aliases publish a templated issuer.
    multi = tenant.lower() in ("common", "organizations")
    issuer = f"{idp.base_url}/{{tenantid}}/v2.0" if multi else idp.issuer
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": CLAIMS_SUPPORTED,
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
            "password",
        ],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def discovery_endpoint(idp: LocalIdentityProvider, request: Request, tenant: str) -> Reply:
    return json_reply(200, openid_configuration(idp, tenant))


def jwks_endpoint(idp: LocalIdentityProvider, request: Request, tenant: str) -> Reply:
    return json_reply(200, idp.signer.jwks(idp.issuer))
