"""The token endpoint: client authentication, the grants, and Entra-shaped token replies.

Grants: ``client_credentials`` (confidential client; secret in the form or HTTP Basic), ``refresh_token``,
``authorization_code`` (PKCE S256 verified, ``redirect_uri`` must match), ``urn:ietf:params:oauth:grant-type:
device_code`` and ``password`` (the demo user, public client). Refresh tokens are opaque and a new one comes
back on every use; the old one stays valid (as Entra's do) until ``revoke_refresh_tokens()``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbauth.testing import conditional_access as ca
from nbauth.testing.directory import Client, ScopeError, ScopeGrant, User
from nbauth.testing.messages import OAuthError, Reply, Request, json_reply, missing_parameter
from nbauth.testing.state import DeviceRecord, RefreshRecord
from nbauth.testing.tokens import (
    access_token_claims,
    client_info,
    id_token_claims,
    new_refresh_token,
)

if TYPE_CHECKING:
    from nbauth.testing.provider import LocalIdentityProvider

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_MALFORMED = "Invalid request. Request is malformed or invalid."


def token_endpoint(idp: LocalIdentityProvider, request: Request) -> Reply:
    params = request.form
    grant_type = params.get("grant_type")
    if not grant_type:
        raise missing_parameter("grant_type")
    handler = _GRANTS.get(grant_type)
    if handler is None:
        raise OAuthError(
            "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'."
        )
    client = authenticate_client(idp, request, require_secret=grant_type == "client_credentials")
    return handler(idp, client, params)


def authenticate_client(
    idp: LocalIdentityProvider, request: Request, *, require_secret: bool = False
) -> Client:
    """The client, checked like Entra: unknown id, public client with a secret, missing or wrong secret."""
    params = request.form
    basic = request.basic_credentials()
    client_id = params.get("client_id") or (basic[0] if basic else "")
    if not client_id:
        raise missing_parameter("client_id")
    if basic and basic[0] != client_id:
        raise OAuthError(
            "invalid_request", 900023, "The client_id in the Authorization header does not match."
        )
    client = idp.directory.clients.get(client_id)
    if client is None:
        raise OAuthError("unauthorized_client", 700016, _unknown_client_text(idp, client_id))
    secret = params.get("client_secret") or (basic[1] if basic else None)
    if client.public:
        if secret:
            raise OAuthError(
                "invalid_client",
                700025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
                status=401,
            )
        if require_secret:
            raise _secret_missing()
        return client
    if not secret:
        raise _secret_missing()
    if not hmac.compare_digest(secret.encode(), (client.secret or "").encode()):
        raise OAuthError(
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent "
            "in the request is the client secret value, not the client secret ID, for a secret added "
            f"to app '{client.client_id}'.",
            status=401,
        )
    return client


def _secret_missing() -> OAuthError:
    return OAuthError(
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        status=401,
    )


def _unknown_client_text(idp: LocalIdentityProvider, client_id: str) -> str:
    return (
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{idp.directory.tenant_domain}'. This can happen if the application has not been installed by the "
        "administrator of the tenant or consented to by any user in the tenant. You may have sent your "
        "authentication request to the wrong tenant."
    )


def resolve_scope(idp: LocalIdentityProvider, scope: str | None, *, app_only: bool) -> ScopeGrant:
    if not scope:
        raise missing_parameter("scope")
    try:
        return idp.directory.resolve(scope, app_only=app_only)
    except ScopeError as problem:
        raise OAuthError(problem.error, problem.code, problem.description) from None


# --- the grants -----------------------------------------------------------------------------------


def _client_credentials(idp: LocalIdentityProvider, client: Client, params: dict[str, str]) -> Reply:
    grant = resolve_scope(idp, params.get("scope"), app_only=True)
    claims = ca.parse_claims(params.get("claims"))
    return issue(idp, client, grant, user=None, claims=claims, params=params)


def _refresh_token(idp: LocalIdentityProvider, client: Client, params: dict[str, str]) -> Reply:
    token = params.get("refresh_token")
    if not token:
        raise missing_parameter("refresh_token")
    with idp.state.lock:
        record = idp.state.refresh_tokens.get(token)
    if record is None:
        raise OAuthError("invalid_grant", 9002313, _MALFORMED)
    if record.client_id != client.client_id:
        raise OAuthError("invalid_grant", 70000, "The refresh token was issued to a different client.")
    if record.revoked:
        raise OAuthError(
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a "
            "fresh auth token is needed. The user might have changed or reset their password.",
        )
    grant = resolve_scope(idp, params.get("scope"), app_only=False)
    claims = ca.parse_claims(params.get("claims"))
    acrs = record.acrs or ca.asks_for_acrs(claims)
    ca.require_step_up(idp, grant.resource.uri, acrs=acrs)
    return issue(
        idp, client, grant, user=record.user, claims=claims, params=params, session_acrs=acrs, refresh=True
    )


def _authorization_code(idp: LocalIdentityProvider, client: Client, params: dict[str, str]) -> Reply:
    code = params.get("code")
    if not code:
        raise missing_parameter("code")
    with idp.state.lock:
        record = idp.state.codes.get(code)
        if record is None:
            raise OAuthError("invalid_grant", 9002313, _MALFORMED)
        if record.redeemed:
            raise OAuthError(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please "
                "retry with a new valid code or use an existing refresh token.",
            )
        if record.client_id != client.client_id:
            raise OAuthError(
                "invalid_grant", 70000, "The provided authorization code was issued to another client."
            )
        if idp.clock() >= record.expires_at:
            raise OAuthError(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has "
                "expired due to inactivity. Send a new interactive authorization request.",
            )
        if params.get("redirect_uri") != record.redirect_uri:
            raise OAuthError(
                "invalid_grant",
                70000,
                "The provided value for the input parameter 'redirect_uri' is "
                "not valid: it does not match the one used when the code was requested.",
            )
        _check_pkce(record.code_challenge, params.get("code_verifier"))
        record.redeemed = True
    grant = resolve_scope(idp, record.scope, app_only=False)
    claims = ca.parse_claims(record.claims)
    return issue(
        idp, client, grant, user=idp.directory.user, claims=claims, params=params, nonce=record.nonce
    )


def _check_pkce(challenge: str | None, verifier: str | None) -> None:
    """RFC 7636 section 4.6: BASE64URL(SHA256(verifier)) must equal the challenge sent to /authorize."""
    if challenge is None:
        return
    if not verifier:
        raise OAuthError(
            "invalid_grant",
            50148,
            "The code_verifier does not match the code_challenge supplied "
            "in the authorization request for PKCE.",
        )
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if not hmac.compare_digest(computed, challenge):
        raise OAuthError(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )


def _device_code(idp: LocalIdentityProvider, client: Client, params: dict[str, str]) -> Reply:
    device_code = params.get("device_code")
    if not device_code:
        raise missing_parameter("device_code")
    with idp.state.lock:
        record = idp.state.devices.get(device_code)
        if record is None:
            raise OAuthError("invalid_grant", 9002313, _MALFORMED)
        if record.client_id != client.client_id:
            raise OAuthError("invalid_grant", 70000, "The device code was issued to another client.")
        _check_device_poll(idp, record)
        record.status = "redeemed"
    grant = resolve_scope(idp, record.scope, app_only=False)
    claims = ca.parse_claims(record.claims)
    return issue(idp, client, grant, user=idp.directory.user, claims=claims, params=params)


def _check_device_poll(idp: LocalIdentityProvider, record: DeviceRecord) -> None:
    """RFC 8628 section 3.5, in Entra's words; raises unless the code was approved and not yet redeemed."""
    now = idp.clock()
    if record.status == "redeemed":
        raise OAuthError(
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'device_code' is not valid: it was already redeemed.",
        )
    if now >= record.expires_at:
        raise OAuthError(
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is "
            "not valid. This device code has expired.",
        )
    too_fast = record.last_poll is not None and now - record.last_poll + 0.01 < record.interval
    record.last_poll = now
    if too_fast:
        record.interval += 5  # RFC 8628: the interval grows by 5 s for this and all later polls
        raise OAuthError("slow_down", 70016, "Polling too frequently: wait for the interval between polls.")
    if (
        record.status == "pending"
        and record.auto_approve_at is not None
        and time.monotonic() >= record.auto_approve_at
    ):
        record.status = "approved"
    if record.status == "declined":
        raise OAuthError("access_denied", 65004, "User declined to consent to access the app.")
    if record.status == "pending":
        raise OAuthError(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )


def _password(idp: LocalIdentityProvider, client: Client, params: dict[str, str]) -> Reply:
    user = idp.directory.user
    if not params.get("username"):
        raise missing_parameter("username")
    ok = hmac.compare_digest(params.get("password", "").encode(), user.password.encode())
    if params["username"].lower() != user.username or not ok:
        raise OAuthError(
            "invalid_grant", 50126, "Error validating credentials due to invalid username or password."
        )
    grant = resolve_scope(idp, params.get("scope"), app_only=False)
    claims = ca.parse_claims(params.get("claims"))
    return issue(idp, client, grant, user=user, claims=claims, params=params)


_GRANTS: dict[str, Callable[[LocalIdentityProvider, Client, dict[str, str]], Reply]] = {
    "client_credentials": _client_credentials,
    "refresh_token": _refresh_token,
    "authorization_code": _authorization_code,
    DEVICE_GRANT: _device_code,
    "device_code": _device_code,
    "password": _password,
}


# --- the reply ------------------------------------------------------------------------------------


def issue(
    idp: LocalIdentityProvider,
    client: Client,
    grant: ScopeGrant,
    *,
    user: User | None,
    claims: dict[str, Any],
    params: dict[str, str],
    nonce: str | None = None,
    session_acrs: bool = False,
    refresh: bool = False,
) -> Reply:
    """A token reply shaped like Entra's v2 endpoint's."""
    now, lifetime = int(idp.clock()), int(idp.token_lifetime)
    acrs = user is not None and (session_acrs or ca.asks_for_acrs(claims))
    at = access_token_claims(
        issuer=idp.issuer,
        tenant_id=idp.tenant_id,
        client=client,
        grant=grant,
        user=user,
        now=now,
        lifetime=lifetime,
    )
    if acrs:
        at["acrs"] = [ca.ACRS_VALUE]
    if ca.capabilities(claims):
        at["xms_cc"] = ca.capabilities(claims)
    reply: dict[str, Any] = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime}
    if idp.refresh_in is not None:
        reply["refresh_in"] = int(idp.refresh_in)
    reply["access_token"] = idp.signer.sign(at)
    if user is not None:
        reply["scope"] = grant.reply_scope()
        _add_user_tokens(idp, reply, client, grant, user, now=now, nonce=nonce, acrs=acrs, refresh=refresh)
        if params.get("client_info") == "1":
            reply["client_info"] = client_info(user, idp.tenant_id)
    idp.state.remember(reply.get("access_token"), reply.get("refresh_token"), reply.get("id_token"))
    return json_reply(200, reply)


def _add_user_tokens(
    idp: LocalIdentityProvider,
    reply: dict[str, Any],
    client: Client,
    grant: ScopeGrant,
    user: User,
    *,
    now: int,
    nonce: str | None,
    acrs: bool,
    refresh: bool,
) -> None:
    if refresh or "offline_access" in grant.oidc:
        token = new_refresh_token()
        with idp.state.lock:
            idp.state.refresh_tokens[token] = RefreshRecord(client.client_id, user, acrs=acrs)
        reply["refresh_token"] = token
    if "openid" in grant.oidc:
        claims = id_token_claims(
            issuer=idp.issuer,
            tenant_id=idp.tenant_id,
            client=client,
            user=user,
            now=now,
            lifetime=int(idp.token_lifetime),
            nonce=nonce,
        )
        reply["id_token"] = idp.signer.sign(claims)
