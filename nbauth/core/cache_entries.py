"""MSAL's token cache schema: entry keys, and the entries one token response produces.

The format is MSAL's (msal 1.39.0 ``token_cache.py``), so a cache written by one library is read by the other:

- sections ``AccessToken``, ``RefreshToken``, ``IdToken``, ``Account``, ``AppMetadata``;
- keys are lower-cased ``-``-joined ``home_account_id-environment-credential_type-client_id-realm-target``
  (refresh tokens leave ``realm`` empty, ID tokens leave ``target`` empty, accounts are
  ``home_account_id-environment-realm``, app metadata is ``appmetadata-environment-client_id``, not
  lower-cased);
- times (``cached_at``, ``expires_on``, ``extended_expires_on``, ``refresh_on``, ``last_modification_time``)
  are epoch seconds as decimal strings;
- ``target`` is the space-joined sorted scope list.

``home_account_id`` (see :func:`home_account_id_of`) is ``"{uid}.{utid}"`` from the base64url ``client_info``
JSON Entra returns; without a usable ``client_info`` it is the ID token's ``sub`` (MSAL's rule for ADFS and
generic OpenID Connect providers); without both it is ``None`` (client-credential tokens).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# Section and credential-type names (not secrets).
ACCESS_TOKEN = "AccessToken"  # noqa: S105
ACCESS_TOKEN_EXTENDED = "atext"  # noqa: S105  (the key's credential type when an AT has an ext_cache_key)
REFRESH_TOKEN = "RefreshToken"  # noqa: S105
ID_TOKEN = "IdToken"  # noqa: S105
ACCOUNT = "Account"
APP_METADATA = "AppMetadata"

AUTHORITY_MSSTS = "MSSTS"
AUTHORITY_ADFS = "ADFS"

_CIAM_SUFFIX = ".ciamlogin.com"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# Grants by which a person signs in, so the Account records how it was established (MSAL's account_source).
_ACCOUNT_SOURCE_GRANTS = frozenset(
    {"broker", "authorization_code", "password", DEVICE_CODE_GRANT, "user_fic"}
)

# Request parameters that do NOT isolate access tokens (everything else in ``data`` does; MSAL's rule).
_NOT_IN_EXT_KEY = frozenset(
    {
        "client_id", "grant_type", "scope", "claims", "username", "password", "refresh_token", "code",
        "redirect_uri", "code_verifier", "device_code", "assertion", "requested_token_use",
        "client_assertion", "client_assertion_type", "client_secret", "token_type", "req_cnf", "key_id",
        "user_federated_identity_credential", "user_id", "client_info",
    }
)  # fmt: skip


def environment_and_realm(token_endpoint: str) -> tuple[str, str]:
    """``(environment, realm)`` of a token endpoint: lower-case host name (no port), first path segment.

    This is how MSAL derives them; a CIAM host without a path gets ``<subdomain>.onmicrosoft.com``. Unlike
    MSAL, ``http`` is accepted too (the local identity provider). Raises ``ValueError`` for anything else.
    """
    parts = urlsplit(token_endpoint)
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("a token endpoint must be an http(s) URL with a host name")
    segments = parts.path.split("/")
    first = segments[1] if len(segments) >= 2 else ""
    if first:
        return host, first
    if host.endswith(_CIAM_SUFFIX):
        return host, host[: -len(_CIAM_SUFFIX)] + ".onmicrosoft.com"
    raise ValueError("a token endpoint needs a tenant as its first path segment")


def _b64url_json(part: str) -> dict[str, Any]:
    """Decode one base64url JSON object (client_info, or a JWT's payload); ``{}`` when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def id_token_claims(response: Mapping[str, Any]) -> dict[str, Any]:
    """The ID token's claims, decoded without validation (as MSAL does: it came straight from the token
    endpoint over TLS, OIDC Core 3.1.3.7); a broker-style ``id_token_claims`` dict wins."""
    claims = response.get("id_token_claims")
    if isinstance(claims, dict):
        return claims
    id_token = response.get("id_token")
    if not isinstance(id_token, str) or id_token.count(".") < 2:
        return {}
    return _b64url_json(id_token.split(".")[1])


def _client_info(response: Mapping[str, Any]) -> dict[str, Any]:
    raw = response.get("client_info")
    return _b64url_json(raw) if isinstance(raw, str) else {}


def home_account_id_of(response: Mapping[str, Any]) -> str | None:
    """The account a token response belongs to: ``uid.utid`` from ``client_info``, else the ID token's
    ``sub``, else ``None`` (an app-only token). Same rule as MSAL, so both libraries agree on accounts."""
    info = _client_info(response)
    if "uid" in info and "utid" in info:
        return f"{info['uid']}.{info['utid']}"
    sub = id_token_claims(response).get("sub")
    return str(sub) if sub is not None else None


def ext_cache_key(data: Mapping[str, Any] | None) -> str:
    """MSAL's extended cache key: a hash of the non-standard request parameters ("" when there are none).

    Length-prefixed ``<len(key)>:<key><len(value)>:<value>`` for each sorted key (lengths in UTF-8 bytes),
    SHA-256, unpadded base64url, lower-cased; identical across the MSAL family.
    """
    if not data:
        return ""
    parts = {k: str(v) for k, v in data.items() if k not in _NOT_IN_EXT_KEY and v}
    if not parts:
        return ""
    text = "".join(f"{len(k.encode())}:{k}{len(parts[k].encode())}:{parts[k]}" for k in sorted(parts))
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii").lower()


def _s(value: Any) -> str:
    return value or ""


def access_token_key(entry: Mapping[str, Any]) -> str:
    ext = entry.get("ext_cache_key")
    fields = [
        _s(entry.get("home_account_id")),
        _s(entry.get("environment")),
        ACCESS_TOKEN_EXTENDED if ext else ACCESS_TOKEN,
        _s(entry.get("client_id")),
        _s(entry.get("realm")),
        _s(entry.get("target")),
    ]
    if ext:
        fields.append(ext)
    return "-".join(fields).lower()


def refresh_token_key(entry: Mapping[str, Any]) -> str:
    fields = (entry.get("home_account_id"), entry.get("environment"), REFRESH_TOKEN, entry.get("client_id"))
    return "-".join([*map(_s, fields), "", _s(entry.get("target"))]).lower()


def id_token_key(entry: Mapping[str, Any]) -> str:
    fields = (entry.get("home_account_id"), entry.get("environment"), ID_TOKEN, entry.get("client_id"))
    return "-".join([*map(_s, fields), _s(entry.get("realm")), ""]).lower()


def account_key(entry: Mapping[str, Any]) -> str:
    fields = (entry.get("home_account_id"), entry.get("environment"), entry.get("realm"))
    return "-".join(map(_s, fields)).lower()


def app_metadata_key(entry: Mapping[str, Any]) -> str:
    return f"appmetadata-{_s(entry.get('environment'))}-{_s(entry.get('client_id'))}"


KEY_MAKERS = {
    ACCESS_TOKEN: access_token_key,
    REFRESH_TOKEN: refresh_token_key,
    ID_TOKEN: id_token_key,
    ACCOUNT: account_key,
    APP_METADATA: app_metadata_key,
}


def entries_from_event(event: Mapping[str, Any], now: int) -> list[tuple[str, dict[str, Any]]]:
    """The (section, entry) pairs MSAL writes for one token-endpoint event, in MSAL's order."""
    environment = realm = None
    if event.get("token_endpoint"):
        environment, realm = environment_and_realm(event["token_endpoint"])
    environment = event.get("environment") or environment
    response = event.get("response") or {}
    data = event.get("data") or {}
    claims = id_token_claims(response)
    home_account_id = home_account_id_of(response)
    target = " ".join(sorted(event.get("scope") or []))
    common = {
        "home_account_id": home_account_id,
        "environment": environment,
        "client_id": event.get("client_id"),
    }
    out: list[tuple[str, dict[str, Any]]] = []
    if response.get("access_token"):
        out.append((ACCESS_TOKEN, _access_token(response, data, common, realm, target, now)))
    if home_account_id is not None and not event.get("skip_account_creation"):
        out.append((ACCOUNT, _account(event, data, claims, home_account_id, environment, realm)))
    if response.get("id_token"):
        idt = {"credential_type": ID_TOKEN, "secret": response["id_token"], **common, "realm": realm}
        out.append((ID_TOKEN, idt))
    if response.get("refresh_token"):
        out.append((REFRESH_TOKEN, _refresh_token(response, common, target, now)))
    metadata = {"client_id": event.get("client_id"), "environment": environment}
    if "foci" in response:
        metadata["family_id"] = response["foci"]
    out.append((APP_METADATA, metadata))
    return out


def _access_token(response, data, common, realm, target, now: int) -> dict[str, Any]:
    # RFC 6749 section 5.1 makes expires_in optional; MSAL assumes 600 s (or a managed identity's expires_on).
    default = int(response["expires_on"]) - now if response.get("expires_on") else 600
    expires_in = int(response.get("expires_in", default))  # AAD v1-style endpoints send strings
    ext_expires_in = int(response.get("ext_expires_in", expires_in))
    at = {
        "credential_type": ACCESS_TOKEN,
        "secret": response["access_token"],
        "home_account_id": common["home_account_id"],
        "environment": common["environment"],
        "client_id": common["client_id"],
        "target": target,
        "realm": realm,
        "token_type": response.get("token_type", "Bearer"),
        "cached_at": str(now),
        "expires_on": str(now + expires_in),
        "extended_expires_on": str(now + ext_expires_in),
    }
    if "key_id" in data:  # SSH-cert / PoP tokens are bound to a key
        at["key_id"] = data["key_id"]
    ext = ext_cache_key(data)
    if ext:
        at["ext_cache_key"] = ext
    if "refresh_in" in response:
        at["refresh_on"] = str(now + int(response["refresh_in"]))
    return at


def _account(event, data, claims, home_account_id, environment, realm) -> dict[str, Any]:
    username = (
        claims.get("preferred_username", claims.get("upn")) or data.get("username") or event.get("username")
    )
    account = {
        "home_account_id": home_account_id,
        "environment": environment,
        "realm": realm,
        "local_account_id": event.get("_account_id", claims.get("oid", claims.get("sub"))),
        "username": username or "",  # the schema wants a string
        "authority_type": event.get("authority_type", AUTHORITY_ADFS if realm == "adfs" else AUTHORITY_MSSTS),
    }
    if event.get("grant_type") in _ACCOUNT_SOURCE_GRANTS:
        account["account_source"] = event["grant_type"]
    return account


def _refresh_token(response, common, target, now: int) -> dict[str, Any]:
    rt = {
        "credential_type": REFRESH_TOKEN,
        "secret": response["refresh_token"],
        **common,
        "target": target,
        "last_modification_time": str(now),
    }
    if "foci" in response:
        rt["family_id"] = response["foci"]
    return rt


def parse_state(state: str | bytes | None) -> dict[str, Any]:
    """Parse and shape-check a serialized cache; the ValueError names the problem, never the content."""
    if not state:
        return {}
    problem = None
    try:
        loaded = json.loads(state)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        problem = f"the token cache is not valid JSON{where}"
    if problem:  # raised outside the handler: the decode error (which holds the whole text) is not chained
        raise ValueError(problem)
    if not isinstance(loaded, dict):
        raise ValueError("the token cache is not a JSON object")
    for name, section in loaded.items():
        if not isinstance(section, dict):
            raise ValueError(f"the token cache section {name!r} is not a JSON object")
    return loaded
