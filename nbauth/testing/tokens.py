"""Signing keys and Entra-shaped tokens: RS256 JWT access and id tokens, refresh tokens, client_info."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from nbauth.testing.directory import Client, ScopeGrant, User

_KEY_LOCK = threading.Lock()
_KEY: rsa.RSAPrivateKey | None = None


def _shared_key() -> rsa.RSAPrivateKey:
    # One key per process: making RSA keys is the slowest part of starting a provider; tests start many.
    global _KEY
    with _KEY_LOCK:
        if _KEY is None:
            _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _KEY


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """Signs and verifies the provider's JWTs; publishes the public key as a JWKS."""

    def __init__(self) -> None:
        self._key = _shared_key()
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        self.kid = b64url(hashlib.sha256(jwk["n"].encode()).digest()[:15])
        self._jwk = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": jwk["n"],
            "e": jwk["e"],
        }

    def jwks(self, issuer: str) -> dict[str, Any]:
        return {"keys": [{**self._jwk, "issuer": issuer}]}

    def sign(self, claims: dict[str, Any]) -> str:
        headers = {"typ": "JWT", "kid": self.kid, "x5t": self.kid}
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    def verify(self, token: str) -> dict[str, Any]:
        """Check the signature only (the caller checks times on its clock); raises jwt.InvalidTokenError."""
        header = jwt.get_unverified_header(token)
        if header.get("kid") != self.kid or header.get("alg") != "RS256":
            raise jwt.InvalidTokenError("unknown signing key")
        options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False}
        return jwt.decode(token, self._key.public_key(), algorithms=["RS256"], options=options)


def new_guid() -> str:
    return str(uuid.uuid4())


def pairwise_sub(user: User, client: Client) -> str:
    """Entra's ``sub`` differs per application; derive it stably from both ids."""
    return b64url(hashlib.sha256(f"{user.oid}|{client.client_id}".encode()).digest()[:32])


def access_token_claims(
    *,
    issuer: str,
    tenant_id: str,
    client: Client,
    grant: ScopeGrant,
    user: User | None,
    now: int,
    lifetime: int,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "aud": grant.resource.uri,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "azp": client.client_id,
        "azpacr": "0" if client.public else "1",
        "tid": tenant_id,
        "uti": b64url(secrets.token_bytes(16)),
        "ver": "2.0",
    }
    if user is None:
        claims.update(oid=grant_app_oid(client), sub=grant_app_oid(client), roles=list(grant.permissions))
        claims["idtyp"] = "app"
    else:
        claims.update(
            oid=user.oid,
            sub=pairwise_sub(user, client),
            name=user.name,
            preferred_username=user.username,
            scp=" ".join(grant.permissions),
        )
    return claims


def grant_app_oid(client: Client) -> str:
    # The service principal's object id; stable per client.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{client.client_id}"))


def id_token_claims(
    *, issuer: str, tenant_id: str, client: Client, user: User, now: int, lifetime: int, nonce: str | None
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "aud": client.client_id,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "name": user.name,
        "oid": user.oid,
        "preferred_username": user.username,
        "sub": pairwise_sub(user, client),
        "tid": tenant_id,
        "ver": "2.0",
    }
    if nonce:
        claims["nonce"] = nonce
    return claims


def client_info(user: User, tenant_id: str) -> str:
    """base64url JSON ``{"uid", "utid"}``: MSAL builds ``home_account_id`` from it."""
    return b64url(json.dumps({"uid": user.oid, "utid": tenant_id}, separators=(",", ":")).encode())


def new_refresh_token() -> str:
    # Entra's refresh tokens are opaque, long and start with a version marker.
    return "1.AQ" + b64url(secrets.token_bytes(96))


def new_code(prefix: str = "1.AQ") -> str:
    return prefix + b64url(secrets.token_bytes(48))
