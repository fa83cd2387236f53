"""Authorities: which URLs an application talks to, validated up front and discovered on first use.

Two layouts (contract section 1):

- Entra style, ``https://<host>/<tenant>``: metadata at ``<authority>/v2.0/.well-known/openid-configuration``;
- any OpenID Connect issuer given as ``oidc_authority``: metadata at
  ``<issuer>/.well-known/openid-configuration``
  (OpenID Connect Discovery 1.0 section 4), whose ``issuer`` must equal the configured one (section 4.3).

Plain ``http`` is accepted for loopback hosts only, so a typo cannot send a client secret in clear text.
Constructing an :class:`Authority` does no network I/O; :meth:`Authority.endpoints` fetches the metadata
through the application's pipeline once and keeps it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from nbauth.core.http import HttpPipeline, RequestContext
from nbauth.core.results import error

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/common"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class Endpoints:
    """The parts of the provider metadata the client uses."""

    token_endpoint: str
    authorization_endpoint: str | None
    device_authorization_endpoint: str | None
    issuer: str | None


class Authority:
    """A validated authority URL and, after first use, its endpoints."""

    def __init__(self, authority: str | None = None, *, oidc_authority: str | None = None) -> None:
        if authority and oidc_authority:
            raise ValueError(
                "Pass either authority= (Entra layout) or oidc_authority= (any OIDC issuer), not both."
            )
        self.is_oidc = bool(oidc_authority)
        raw = oidc_authority if oidc_authority else (authority or DEFAULT_AUTHORITY)
        self.url = _validated_url(raw, "oidc_authority" if self.is_oidc else "authority")
        parts = urlsplit(self.url)
        self.environment = (
            parts.hostname or ""
        ).lower()  # MSAL's "instance": the host, no port, keys the cache
        self.tenant = parts.path.strip("/").split("/")[0]
        if not self.is_oidc and not self.tenant:
            raise ValueError(
                f"authority {raw!r} has no tenant; use e.g. 'https://login.microsoftonline.com/<tenant id>' "
                "or pass oidc_authority= for a generic OpenID Connect provider."
            )
        self._endpoints: Endpoints | None = None
        # The realm MSAL keys access tokens with; known with the endpoints (a domain-name tenant's token
        # endpoint names the tenant id, so the authority URL alone does not tell it).
        self.realm: str | None = None
        self._lock = threading.Lock()

    @property
    def metadata_url(self) -> str:
        suffix = (
            "/.well-known/openid-configuration" if self.is_oidc else "/v2.0/.well-known/openid-configuration"
        )
        return self.url + suffix

    def endpoints(self, pipeline: HttpPipeline, context: RequestContext) -> Endpoints | dict[str, Any]:
        """The endpoints, fetched on first use; an error dict when discovery failed (retried next time)."""
        with self._lock:
            if self._endpoints is None:
                found = self._discover(pipeline, context)
                if isinstance(found, dict):
                    return found
                self.realm = realm_of(found.token_endpoint)  # before _endpoints: readers check that first
                self._endpoints = found
            return self._endpoints

    @property
    def known_endpoints(self) -> Endpoints | None:
        """The endpoints when discovery already succeeded (no lock, no I/O), else None."""
        return self._endpoints

    def _discover(self, pipeline: HttpPipeline, context: RequestContext) -> Endpoints | dict[str, Any]:
        metadata = pipeline.get(self.metadata_url, context=context)
        if "error" in metadata:
            return metadata
        token_endpoint = metadata.get("token_endpoint")
        if not isinstance(token_endpoint, str) or not token_endpoint:
            return error(
                "invalid_response",
                f"The metadata at {self.metadata_url} has no token_endpoint; check the authority URL.",
            )
        issuer = metadata.get("issuer")
        if self.is_oidc and (not isinstance(issuer, str) or issuer.rstrip("/") != self.url):
            return error(
                "invalid_issuer",
                f"The metadata at {self.metadata_url} names issuer {issuer!r}, not {self.url!r} "
                "(OpenID Connect Discovery section 4.3); check oidc_authority.",
            )
        return Endpoints(
            token_endpoint=token_endpoint,
            authorization_endpoint=metadata.get("authorization_endpoint"),
            device_authorization_endpoint=metadata.get("device_authorization_endpoint")
            or (None if self.is_oidc else token_endpoint.rsplit("/", 1)[0] + "/devicecode"),
            issuer=issuer,
        )

    def __repr__(self) -> str:
        kind = "oidc_authority" if self.is_oidc else "authority"
        return f"Authority({kind}={self.url!r})"


def realm_of(token_endpoint: str) -> str:
    """The realm MSAL keys access tokens with: the first path segment of the token endpoint."""
    path = urlsplit(token_endpoint).path.strip("/")
    return path.split("/")[0] if path else ""


def _validated_url(raw: Any, name: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"{name} must be a URL string such as 'https://login.microsoftonline.com/<tenant>'.")
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(
            f"{name} {raw!r} is not an https URL; use e.g. 'https://login.microsoftonline.com/<tenant>'."
        )
    if parts.scheme == "http" and parts.hostname.lower() not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{name} {raw!r} uses http; only https is allowed, except for loopback hosts "
            "(127.0.0.1, ::1, localhost) used in tests."
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{name} {raw!r} must not carry a query or fragment.")
    return url
