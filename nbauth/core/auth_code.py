"""The authorization code grant with PKCE (RFC 6749 section 4.1, RFC 7636) and OpenID Connect nonce.

:func:`initiate` builds the authorize URL and the flow dict (MSAL's keys: ``auth_uri``, ``state``,
``redirect_uri``, ``scope``, ``code_verifier``, ``nonce``, ``claims_challenge``); :func:`redeem` checks the
provider's response against it and redeems the code once. A ``state`` mismatch is misuse or an attack and
raises ``ValueError``; a ``nonce`` mismatch in the ID token is an error dict and nothing is cached.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from nbauth.core.oauth2 import GRANT_AUTH_CODE, TokenClient, scope_param, user_scopes
from nbauth.core.results import error


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 sections 4.1 and 4.2."""
    verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved alphabet
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def nonce_hash(nonce: str) -> str:
    """What goes on the wire (and comes back in the ID token) for a nonce, as MSAL sends it."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def initiate(
    client: TokenClient,
    scopes: Any,
    *,
    redirect_uri: str | None = None,
    state: str | None = None,
    claims_challenge: str | None = None,
    **auth_params: Any,
) -> dict[str, Any]:
    """The flow dict; an error dict when the provider's metadata could not be fetched."""
    scope = user_scopes(scopes)
    claims = client.claims(claims_challenge)
    endpoints = client.endpoints(scope)
    if isinstance(endpoints, dict):
        return endpoints
    if not endpoints.authorization_endpoint:
        return error("invalid_response", f"{client.authority.url} advertises no authorization_endpoint.")
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(16)
    flow: dict[str, Any] = {
        "state": state or secrets.token_urlsafe(16),
        "redirect_uri": redirect_uri,
        "scope": scope,
    }
    params = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope_param(scope),
        "state": flow["state"],
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": nonce_hash(nonce),
        "claims": claims,
        "client_info": None if client.authority.is_oidc else "1",
        **auth_params,
    }
    if auth_params.get("login_hint"):
        # Entra routes the sign-in to the user's home region by this hint, as MSAL sends it.
        params["X-AnchorMailbox"] = f"UPN:{auth_params['login_hint']}"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in endpoints.authorization_endpoint else "?"
    flow.update(
        auth_uri=endpoints.authorization_endpoint + separator + query,
        code_verifier=verifier,
        nonce=nonce,
        claims_challenge=claims_challenge,
    )
    return flow


def redeem(
    client: TokenClient,
    flow: Mapping[str, Any],
    auth_response: Mapping[str, Any],
    scopes: Any = None,
) -> dict[str, Any]:
    """Check ``auth_response`` (the redirect's parameters) against ``flow`` and redeem its code."""
    _check_state(flow, auth_response)
    scope = _redeem_scopes(flow, scopes)
    code = auth_response.get("code")
    if isinstance(code, str) and code:
        return client.obtain(
            GRANT_AUTH_CODE,
            {
                "code": code,
                "redirect_uri": flow.get("redirect_uri"),
                "code_verifier": flow.get("code_verifier"),
                "claims": client.claims(flow.get("claims_challenge")),
            },
            scopes=scope,
            grant_secret=code,
            single_use=True,  # an authorization code is never sent twice (RFC 6749 section 4.1.2)
            check=lambda result: _check_nonce(flow, result),
        )
    if auth_response.get("error"):
        keys = ("error", "error_description", "error_uri")
        return {k: str(auth_response[k]) for k in keys if auth_response.get(k)}
    raise ValueError("auth_response must contain either 'code' or 'error' (the parameters of the redirect).")


def _check_state(flow: Any, auth_response: Any) -> None:
    if not isinstance(flow, Mapping) or not isinstance(auth_response, Mapping):
        raise ValueError(
            "auth_code_flow must be the dict from initiate_auth_code_flow() and auth_response a dict of the "
            "redirect's parameters."
        )
    if "error" in flow and "state" not in flow:
        raise ValueError(f"initiate_auth_code_flow() failed ({flow['error']}); start a new flow.")
    if not flow.get("state"):
        raise ValueError("auth_code_flow has no 'state'; pass the dict initiate_auth_code_flow() returned.")
    if auth_response.get("state") != flow["state"]:
        # RFC 6749 section 10.12: a response to somebody else's request (CSRF) must be rejected.
        raise ValueError(
            "state mismatch: this auth_response does not belong to this auth_code_flow "
            "(a stale or forged redirect); start a new flow."
        )


def _redeem_scopes(flow: Mapping[str, Any], scopes: Any) -> list[str]:
    if not scopes:
        return list(flow.get("scope") or [])
    chosen = user_scopes(scopes)
    extra = set(chosen) - set(flow.get("scope") or [])
    if extra:
        raise ValueError(
            f"scopes must be a subset of the flow's scopes {flow.get('scope')}; remove {sorted(extra)}."
        )
    return chosen


def _check_nonce(flow: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any] | None:
    claims = result.get("id_token_claims")
    if claims is None:
        return None
    expected = nonce_hash(str(flow.get("nonce", "")))
    if claims.get("nonce") != expected:  # OpenID Connect Core section 3.1.3.7, step 11
        return error(
            "invalid_nonce",
            "The ID token's nonce does not match this flow's nonce (a replayed or mixed-up response); "
            "no token was kept. Start a new sign-in.",
        )
    return None
