"""The Conditional Access mode and the protected demo API that enforces it.

With ``idp.conditional_access = True`` the demo API (``api://nbauth-demo``) demands the authentication-context
claim ``acrs: ["c1"]`` in delegated tokens:

* ``GET /api/me`` without it answers 401 with ``WWW-Authenticate: Bearer realm="",
  authorization_uri="...", error="insufficient_claims", claims="<base64>"``
  where the base64 (standard alphabet, padded) decodes to :data:`CHALLENGE`;
* a refresh-token grant for the API whose request carries no ``claims`` asking for ``acrs`` ``c1`` gets
  400 ``interaction_required`` (AADSTS50076) with the challenge in ``claims``, unless the refresh token comes
  from a session that already satisfied it;
* any grant whose ``claims`` parameter asks for it (also merged with ``xms_cc`` client capabilities) yields
  an access token with ``"acrs": ["c1"]``, which the API accepts.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import jwt

from nbauth.testing.directory import API_URI
from nbauth.testing.messages import OAuthError, Reply, Request, json_reply

if TYPE_CHECKING:
    from nbauth.testing.provider import LocalIdentityProvider

ACRS_VALUE = "c1"
CHALLENGE: dict[str, Any] = {"access_token": {"acrs": {"essential": True, "value": ACRS_VALUE}}}
STEP_UP_TEXT = (
    "Due to a configuration change made by your administrator, or because you moved to a new location, you "
    f"must use multi-factor authentication to access '{API_URI}'."
)


def challenge_json() -> str:
    return json.dumps(CHALLENGE, separators=(",", ":"))


def parse_claims(text: str | None) -> dict[str, Any]:
    """The ``claims`` request parameter (OIDC Core section 5.5) as a dict; bad JSON is Entra's 400."""
    if not text:
        return {}
    try:
        claims = json.loads(text)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise OAuthError("invalid_request", 90014, "The 'claims' parameter is not a valid JSON object.")
    return claims


def asks_for_acrs(claims: dict[str, Any]) -> bool:
    request = claims.get("access_token", {})
    acrs = request.get("acrs") if isinstance(request, dict) else None
    if not isinstance(acrs, dict):
        return False
    values = acrs.get("values") or [acrs.get("value")]
    return ACRS_VALUE in values


def capabilities(claims: dict[str, Any]) -> list[str]:
    """Client capabilities (``xms_cc``) the client declared, e.g. ``["CP1"]``."""
    request = claims.get("access_token", {})
    block = request.get("xms_cc") if isinstance(request, dict) else None
    values = block.get("values") if isinstance(block, dict) else None
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def require_step_up(idp: LocalIdentityProvider, audience: str, *, acrs: bool) -> None:
    """Refuse a silent grant for the protected API when the policy is on and the session lacks the claim."""
    if idp.conditional_access and audience == API_URI and not acrs:
        raise OAuthError("interaction_required", 50076, STEP_UP_TEXT, claims=challenge_json())


def api_me(idp: LocalIdentityProvider, request: Request) -> Reply:
    """``GET /api/me``: who the caller is, when the bearer token is valid for the API."""
    token = request.bearer_token()
    if not token:
        return _unauthorized(idp, None, None)
    try:
        claims = idp.signer.verify(token)
    except jwt.InvalidTokenError:
        return _unauthorized(idp, "invalid_token", "The token signature is invalid")
    problem = _token_problem(idp, claims)
    if problem:
        return _unauthorized(idp, "invalid_token", problem)
    scopes = str(claims.get("scp", "")).split()
    roles = list(claims.get("roles", []))
    if "Data.Read" not in scopes and "Data.Read.All" not in roles:
        return _unauthorized(
            idp, "insufficient_scope", "The token lacks the Data.Read permission", status=403
        )
    delegated = "scp" in claims
    if delegated and idp.conditional_access and ACRS_VALUE not in claims.get("acrs", []):
        return _insufficient_claims(idp)
    return json_reply(200, _caller(claims, delegated, scopes, roles))


def _token_problem(idp: LocalIdentityProvider, claims: dict[str, Any]) -> str | None:
    now = idp.clock()
    if claims.get("aud") != API_URI:
        return f"The audience '{claims.get('aud')}' is invalid"
    if claims.get("iss") != idp.issuer:
        return "The issuer is invalid"
    if float(claims.get("exp", 0)) <= now:
        return "The token is expired"
    if float(claims.get("nbf", 0)) > now + 300:  # Entra allows five minutes of clock skew
        return "The token is not yet valid"
    return None


def _caller(claims: dict[str, Any], delegated: bool, scopes: list[str], roles: list[str]) -> dict[str, Any]:
    return {
        "kind": "delegated" if delegated else "app",
        "name": claims.get("name"),
        "preferred_username": claims.get("preferred_username"),
        "oid": claims.get("oid"),
        "tid": claims.get("tid"),
        "client_id": claims.get("azp"),
        "scopes": scopes,
        "roles": roles,
        "acrs": claims.get("acrs", []),
        "xms_cc": claims.get("xms_cc", []),
        "expires_at": claims.get("exp"),
    }


def _bearer_header(idp: LocalIdentityProvider, **fields: str) -> str:
    base = {"realm": "", "authorization_uri": f"{idp.authority}/oauth2/v2.0/authorize"}
    return "Bearer " + ", ".join(f'{k}="{v}"' for k, v in {**base, **fields}.items())


def _unauthorized(
    idp: LocalIdentityProvider, error: str | None, description: str | None, status: int = 401
) -> Reply:
    fields = {"error": error, "error_description": description} if error and description else {}
    header = _bearer_header(idp, **fields)
    body = {"error": error or "invalid_token", "error_description": description or "No bearer token was sent"}
    return json_reply(status, body, [("WWW-Authenticate", header)])


def _insufficient_claims(idp: LocalIdentityProvider) -> Reply:
    encoded = base64.b64encode(challenge_json().encode()).decode("ascii")
    header = _bearer_header(idp, error="insufficient_claims", claims=encoded)
    body = {
        "error": "insufficient_claims",
        "error_description": "The token lacks the claims the policy requires",
    }
    return json_reply(401, body, [("WWW-Authenticate", header)])
