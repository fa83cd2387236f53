"""The core client: requests and the standard library only; never IPython, ipywidgets or traitlets.

Public objects load on first use, so importing the package is cheap.
"""

# The TYPE_CHECKING imports below exist for type checkers and editors; __all__ is built from EXPORTS.
# ruff: noqa: F401
from __future__ import annotations

from typing import TYPE_CHECKING

from nbauth._lazy import lazy_exports

EXPORTS: dict[str, str] = {
    "PublicClientApplication": "nbauth.core.application",
    "ConfidentialClientApplication": "nbauth.core.application",
    "claims_challenge_from_www_authenticate": "nbauth.core.claims",
    "merge_client_capabilities": "nbauth.core.claims",
    "decode_claims": "nbauth.core.claims",
    "TokenResult": "nbauth.core.results",
    "ErrorResult": "nbauth.core.results",
    "DeviceFlow": "nbauth.core.results",
    "AuthCodeFlow": "nbauth.core.results",
    "is_error": "nbauth.core.results",
    "TokenCache": "nbauth.core.token_cache",
    "SerializableTokenCache": "nbauth.core.token_cache",
    "PersistedTokenCache": "nbauth.core.persistence",
    "CorruptCacheError": "nbauth.core.persistence",
    "RetryPolicy": "nbauth.core.retry",
    "ThrottleEntry": "nbauth.core.throttle",
    "throttle_entries": "nbauth.core.throttle",
    "clear_throttle": "nbauth.core.throttle",
    "SQLiteHttpCache": "nbauth.core.sqlite_cache",
}

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, globals(), EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from nbauth.core.application import ConfidentialClientApplication, PublicClientApplication
    from nbauth.core.claims import (
        claims_challenge_from_www_authenticate,
        decode_claims,
        merge_client_capabilities,
    )
    from nbauth.core.persistence import CorruptCacheError, PersistedTokenCache
    from nbauth.core.results import AuthCodeFlow, DeviceFlow, ErrorResult, TokenResult, is_error
    from nbauth.core.retry import RetryPolicy
    from nbauth.core.sqlite_cache import SQLiteHttpCache
    from nbauth.core.throttle import ThrottleEntry, clear_throttle, throttle_entries
    from nbauth.core.token_cache import SerializableTokenCache, TokenCache
