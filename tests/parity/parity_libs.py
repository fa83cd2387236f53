"""The two libraries under comparison, built the same way against the same local identity provider.

MSAL Python needs https (so the provider runs with TLS) and would ask login.microsoftonline.com whether the
authority's host is known: ``instance_discovery=False`` turns that off (msal/authority.py skips instance
discovery when it is False), so ``authority=idp.authority`` works for the non-Microsoft host 127.0.0.1 with
Entra's layout below it. Both libraries trust the provider's CA through ``verify=idp.ca_cert_path``.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Library:
    name: str
    public_class: Callable[..., Any]
    confidential_class: Callable[..., Any]
    cache_class: Callable[[], Any]
    extra_kwargs: dict[str, Any]

    def public(self, idp: Any, **kwargs: Any) -> Any:
        return self.public_class(idp.public_client_id, **self._common(idp), **kwargs)

    def confidential(self, idp: Any, *, client_credential: str | None = None, **kwargs: Any) -> Any:
        secret = idp.client_secret if client_credential is None else client_credential
        return self.confidential_class(
            idp.confidential_client_id, client_credential=secret, **self._common(idp), **kwargs
        )

    def _common(self, idp: Any) -> dict[str, Any]:
        return {
            "authority": idp.authority,
            "verify": idp.ca_cert_path,
            "token_cache": self.cache_class(),
            **self.extra_kwargs,
        }


def msal_library() -> Library:
    import msal

    return Library(
        "msal",
        msal.PublicClientApplication,
        msal.ConfidentialClientApplication,
        msal.SerializableTokenCache,
        {"instance_discovery": False},
    )


def nbauth_library() -> Library:
    import nbauth
    from nbauth.core.token_cache import SerializableTokenCache

    return Library(
        "nbauth",
        nbauth.PublicClientApplication,
        nbauth.ConfidentialClientApplication,
        SerializableTokenCache,
        {},
    )


@contextmanager
def quiet_msal() -> Iterator[None]:
    """MSAL warns (UserWarning) about things nbauth does silently, e.g. an auth-code flow without form_post;
    the test suite turns warnings into errors, so MSAL's own advice is silenced around its calls only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        yield


def edit_access_tokens(app: Any, *, expires_in: float | None = None, refresh_in: float | None = None) -> int:
    """Moves every cached access token's ``expires_on`` / ``refresh_on`` to now + the given seconds.

    Both libraries promise MSAL's serialization format, so the same edit goes through ``serialize()`` and
    ``deserialize()`` on either side: the one sound way to age a token without waiting, since MSAL reads
    ``time.time()`` itself. Returns how many tokens were edited.
    """
    state = json.loads(app.token_cache.serialize())
    now = time.time()
    tokens = state.get("AccessToken", {})
    for entry in tokens.values():
        if expires_in is not None:
            entry["expires_on"] = str(int(now + expires_in))
        if refresh_in is not None:
            entry["refresh_on"] = str(int(now + refresh_in))
    app.token_cache.deserialize(json.dumps(state))
    return len(tokens)


def cache_sections(app: Any) -> dict[str, list[dict]]:
    """The serialized cache, section by section, entries sorted by key (for comparing cache contents)."""
    state = json.loads(app.token_cache.serialize())
    return {
        section: [entries[k] for k in sorted(entries)]
        for section, entries in sorted(state.items())
        if isinstance(entries, dict)
    }
