"""The result dicts every acquire call returns (contract section 2), typed, and the rules that shape them.

A result is a plain ``dict`` so MSAL code keeps working; the ``TypedDict`` classes only document its keys.
Callers branch on ``"error" in result`` (or :func:`is_error`), never on exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from nbauth.core.jwt import unverified_claims

TOKEN_SOURCE_IDP = "identity_provider"  # noqa: S105
TOKEN_SOURCE_CACHE = "cache"  # noqa: S105
# Refresh a cached access token when fewer than this many seconds are left (MSAL's rule).
EXPIRY_MARGIN = 5 * 60


class TokenResult(TypedDict, total=False):
    """A token: the token endpoint's JSON as-is plus the keys below, or a cache hit."""

    access_token: str
    token_type: str
    expires_in: int
    ext_expires_in: int
    refresh_on: int  # epoch seconds after which a proactive refresh is due
    refresh_token: str
    id_token: str
    id_token_claims: dict[str, Any]
    client_info: str
    scope: str
    token_source: str  # "identity_provider" or "cache"


class ErrorResult(TypedDict, total=False):
    """An OAuth error from the provider (verbatim), or an nbauth transport error (contract section 2)."""

    error: str
    error_description: str
    error_codes: list[int]
    suberror: str
    classification: str
    claims: str  # a claims challenge (JSON) to pass back as ``claims_challenge``
    timestamp: str
    trace_id: str
    correlation_id: str
    error_uri: str
    http_status: int  # nbauth: transport failures and 5xx/429 replies
    retry_after: int  # nbauth: seconds, when the server sent Retry-After


class DeviceFlow(TypedDict, total=False):
    """What ``initiate_device_flow`` returns: the provider's JSON plus the timing keys."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    message: str
    interval: int
    expires_in: int
    expires_at: float


class AuthCodeFlow(TypedDict, total=False):
    """What ``initiate_auth_code_flow`` returns; hand it back unchanged with the provider's response."""

    auth_uri: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str | None
    scope: list[str]
    claims_challenge: str | None


def is_error(result: Mapping[str, Any] | None) -> bool:
    """True for an error dict; ``None`` (nothing cached) is not an error."""
    return isinstance(result, Mapping) and "error" in result


def from_provider(response: Mapping[str, Any], *, now: float) -> dict[str, Any]:
    """Shape a token endpoint reply: ``refresh_in`` -> ``refresh_on``, private keys dropped, claims added."""
    result = {k: v for k, v in response.items() if k != "refresh_in" and not k.startswith("_")}
    if "refresh_in" in response:
        result["refresh_on"] = int(now + int(response["refresh_in"]))
    if "error" in result:
        return result
    if isinstance(result.get("id_token"), str):
        result["id_token_claims"] = unverified_claims(result["id_token"])
    if "access_token" in result:
        result["token_source"] = TOKEN_SOURCE_IDP
    return result


def from_cache(entry: Mapping[str, Any], *, now: float) -> dict[str, Any]:
    """A cached MSAL AccessToken entry as a result: exactly the keys MSAL returns from its cache."""
    result: dict[str, Any] = {
        "access_token": entry["secret"],
        "token_type": entry.get("token_type", "Bearer"),
        "expires_in": int(int(entry["expires_on"]) - now),
        "token_source": TOKEN_SOURCE_CACHE,
    }
    if entry.get("refresh_on"):
        result["refresh_on"] = int(entry["refresh_on"])
    return result


def error(code: str, description: str, **extra: Any) -> dict[str, Any]:
    """An nbauth-made error dict (not from the provider)."""
    return {"error": code, "error_description": description, **extra}
