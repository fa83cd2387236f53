"""``NbAuthCredential``: the Azure SDK's ``TokenCredential``, served by an nbauth application and its cache.

>>> credential = NbAuthCredential(app)
>>> client = BlobServiceClient(account_url, credential=credential)

Azure SDK clients call ``get_token(*scopes, claims=..., tenant_id=...)`` (or ``get_token_info`` on azure-core
versions that have ``SupportsTokenInfo``) before requests. The token comes from the application's cache,
refreshed when it expires, so the SDK shares the notebook's sign-in. On a 401 claims challenge, azure-core's
``BearerTokenCredentialPolicy`` decodes the challenge and calls again with ``claims``; that is passed to the
application as ``claims_challenge``, which redeems the refresh token with the claims.

Failures raise azure-core's ``ClientAuthenticationError`` (what the SDK and its users catch); its ``result``
attribute holds the error dict, which holds no secret. ``enable_cae`` is accepted and has no effect here: a
Continuous Access Evaluation client announces itself through ``client_capabilities=["CP1"]`` on the
application.

azure-core is an optional dependency (``pip install nbauth[azure]``); only this module imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from nbauth.integrations._live import Usage, register
from nbauth.integrations._tokens import Account, acquire, explain_error, has_token

try:  # azure-core >= 1.31
    from azure.core.credentials import AccessTokenInfo, TokenRequestOptions
except ImportError:  # pragma: no cover - older azure-core: get_token only
    AccessTokenInfo = None  # type: ignore[assignment,misc]

__all__ = ["NbAuthCredential"]


class NbAuthCredential:
    """An azure-core ``TokenCredential`` (and ``SupportsTokenInfo``) backed by an nbauth application.

    ``app`` is an nbauth application or any object with MSAL's API; ``account`` an account dict, a username,
    or None (the only signed-in account; for a confidential client, the application itself).
    ``clock`` gives the time that ``expires_in`` counts from; by default the application's own clock.
    """

    def __init__(
        self, app: Any, *, account: Account = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.app = app
        self.account = account
        app_clock = getattr(app, "clock", None)
        self._clock = clock or (app_clock if callable(app_clock) else time.time)
        self.usage = Usage()
        self._scopes: list[str] = []  # the last scopes an SDK asked for
        register(self)

    def describe(self) -> dict[str, Any]:
        """What ``%nbauth`` shows: no token, no secret; the scopes are the last ones asked for."""
        who = self.account if isinstance(self.account, str) else (self.account or {}).get("username")
        return {
            "kind": "azure",
            "client_id": getattr(self.app, "client_id", None),
            "scopes": self._scopes,
            "account": who,
        }

    def __repr__(self) -> str:
        d = self.describe()
        return f"NbAuthCredential(client_id={d['client_id']!r}, account={d['account']!r})"

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        result = self._acquire(scopes, claims, tenant_id)
        return AccessToken(result["access_token"], self._expires_on(result))

    if AccessTokenInfo is not None:

        def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
            options = options or {}
            result = self._acquire(scopes, options.get("claims"), options.get("tenant_id"))
            refresh_on = result.get("refresh_on")
            return AccessTokenInfo(
                result["access_token"],
                self._expires_on(result),
                token_type=str(result.get("token_type") or "Bearer"),
                refresh_on=int(refresh_on) if refresh_on else None,
            )

    def close(self) -> None:
        """Nothing to release: the application and its cache belong to the caller."""

    def __enter__(self) -> NbAuthCredential:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _acquire(
        self, scopes: tuple[str, ...], claims: str | None, tenant_id: str | None
    ) -> Mapping[str, Any]:
        if not scopes:
            raise ValueError("get_token needs at least one scope")
        self._check_tenant(tenant_id)
        self._scopes = list(scopes)
        if claims:
            self.usage.count("claims_challenges")
        result = acquire(self.app, list(scopes), self.account, claims_challenge=claims or None)
        if has_token(result):
            self.usage.count("tokens_acquired")
        else:
            self.usage.count("failures")
            self.usage.last_error = explain_error(result)
            error = ClientAuthenticationError(
                message=f"nbauth could not get a token for {' '.join(scopes)}: {explain_error(result)}"
            )
            error.result = dict(result)  # type: ignore[attr-defined]
            raise error
        return result

    def _check_tenant(self, tenant_id: str | None) -> None:
        # An application talks to one authority; a token for another tenant needs another application.
        tenant = _tenant_of(getattr(self.app, "authority", None))
        if not tenant_id or tenant is None or tenant_id.lower() == tenant.lower():
            return
        error = ClientAuthenticationError(
            message=f"this credential's application signs in to tenant {tenant!r}, not {tenant_id!r}; "
            f"build an application with that tenant's authority for it"
        )
        error.result = {"error": "invalid_tenant", "error_description": str(error.message)}  # type: ignore[attr-defined]
        raise error

    def _expires_on(self, result: Mapping[str, Any]) -> int:
        return int(self._clock() + int(result.get("expires_in") or 0))


def _tenant_of(authority: Any) -> str | None:
    """The tenant segment of an authority URL string, or of MSAL's Authority object."""
    if isinstance(authority, str):
        segment = urlsplit(authority).path.strip("/").partition("/")[0]
        return segment or None
    tenant = getattr(authority, "tenant", None)
    return tenant if isinstance(tenant, str) else None
