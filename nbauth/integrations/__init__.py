"""Using nbauth tokens with HTTP libraries and SDKs.

- ``BearerAuth`` (``requests``): ``requests.get(url, auth=as_requests_auth(app, scopes))``; refreshes before
  expiry and answers claims challenges with one retry.
- ``NbAuthCredential`` (azure-core ``TokenCredential``): ``as_azure_credential(app)``;
  needs ``nbauth[azure]``.
- ``live_integrations()``: the live objects and their usage counters, for ``%nbauth``.

Names load on first use, so importing this package pulls in neither ``requests`` nor azure-core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbauth._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover
    from nbauth.integrations._live import live_integrations
    from nbauth.integrations.azure import NbAuthCredential
    from nbauth.integrations.requests_auth import BearerAuth, TokenAcquisitionError

_EXPORTS = {
    "BearerAuth": "nbauth.integrations.requests_auth",
    "TokenAcquisitionError": "nbauth.integrations.requests_auth",
    "NbAuthCredential": "nbauth.integrations.azure",
    "live_integrations": "nbauth.integrations._live",
}

__all__ = [
    "BearerAuth",
    "NbAuthCredential",
    "TokenAcquisitionError",
    "as_azure_credential",
    "as_requests_auth",
    "live_integrations",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


def as_requests_auth(
    app: Any,
    scopes: Sequence[str],
    account: Mapping[str, Any] | str | None = None,
    *,
    on_claims_challenge: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> BearerAuth:
    """A ``requests`` auth object for ``app``'s tokens (what ``%token --as requests`` hands out)."""
    from nbauth.integrations.requests_auth import BearerAuth

    return BearerAuth(app, scopes, account=account, on_claims_challenge=on_claims_challenge)


def as_azure_credential(app: Any, account: Mapping[str, Any] | str | None = None) -> NbAuthCredential:
    """An azure-core credential for ``app``'s tokens (what ``%token --as azure`` hands out).

    Raises ``ImportError`` naming the extra when azure-core is not installed.
    """
    try:
        from nbauth.integrations.azure import NbAuthCredential
    except ImportError as error:
        raise ImportError("the Azure SDK credential needs azure-core: pip install 'nbauth[azure]'") from error
    return NbAuthCredential(app, account=account)
