"""Per-kernel state: the settings, profiles, the application objects and the caches they share.

All applications built here share ONE token cache and ONE throttle (http) cache, so ``%nbauth accounts`` and
``%nbauth signout`` see every account, and a throttle window holds across profiles. By default both caches are
persisted (``PersistedTokenCache`` and ``SQLiteHttpCache`` from the core, INTERFACES sections 2 and 4), so a
kernel restart neither signs the user out nor forgets a ``Retry-After``; with ``':memory:'`` as the path a
cache is kept in memory and ``%nbauth status`` says so.

A corrupt cache file becomes a ``UsageError`` naming the file and where its bytes were preserved (the core's
``CorruptCacheError``); the cache is not kept, so the next call opens a fresh one at the same path.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from IPython.core.error import UsageError

from nbauth.core.corrupt_file import CorruptCacheError
from nbauth.core.persistence import PersistedTokenCache
from nbauth.core.sqlite_cache import SQLiteHttpCache
from nbauth.core.token_cache import SerializableTokenCache
from nbauth.notebook.profiles import AppConfig
from nbauth.notebook.settings import MEMORY, NbAuth


class Session:
    def __init__(self, shell: Any, settings: NbAuth, *, clock: Callable[[], float] = time.time) -> None:
        self.shell = shell
        self.settings = settings
        self.clock = clock
        self.profiles: dict[str, dict[str, Any]] = {}
        self.default_app: Any = None  # set by %nbauth use VAR: any object with MSAL's API
        self.notes: dict[str, str] = {}  # in-memory caches in use, shown by %nbauth status
        # Throttle countdowns on display: %nbauth throttle clear updates them at once (weakly held).
        self.countdowns: weakref.WeakSet[Any] = weakref.WeakSet()
        self._apps: dict[AppConfig, Any] = {}
        self._token_cache: tuple[str, Any] | None = None
        self._http_cache: tuple[str, Any] | None = None

    # -- caches ---------------------------------------------------------------------------------------------

    def token_cache(self) -> Any:
        path = self.settings.token_cache_path
        if self._token_cache is None or self._token_cache[0] != path:
            self._token_cache = (path, self._make_token_cache(path))
        return self._token_cache[1]

    def _make_token_cache(self, path: str) -> Any:
        if path == MEMORY:
            self.notes["token cache"] = "in memory (NbAuth.token_cache_path = ':memory:')"
            return SerializableTokenCache()
        self.notes.pop("token cache", None)
        with _reported():
            return PersistedTokenCache(path or None)

    def http_cache(self) -> MutableMapping[str, Any]:
        path = self.settings.http_cache_path
        if self._http_cache is None or self._http_cache[0] != path:
            self._http_cache = (path, self._make_http_cache(path))
        return self._http_cache[1]

    def _make_http_cache(self, path: str) -> MutableMapping[str, Any]:
        if path == MEMORY:
            self.notes["throttle cache"] = "in memory (NbAuth.http_cache_path = ':memory:')"
            return {}
        self.notes.pop("throttle cache", None)
        with _reported():
            return SQLiteHttpCache(path or None)

    # -- applications ---------------------------------------------------------------------------------------

    def app(self, config: AppConfig) -> Any:
        """The application for ``config`` (built once; a new secret value or cache file builds a new one)."""
        key = (config, self.settings.token_cache_path, self.settings.http_cache_path)
        app = self._apps.get(key)  # type: ignore[call-overload]
        if app is None:
            app = self._apps[key] = self._build(config)  # type: ignore[index]
        return app

    def _build(self, config: AppConfig) -> Any:
        from nbauth.core.application import ConfidentialClientApplication, PublicClientApplication

        kwargs: dict[str, Any] = {
            "authority": config.authority,
            "token_cache": self.token_cache(),
            "http_cache": self.http_cache(),
            "client_capabilities": list(config.client_capabilities) or None,
            "clock": self.clock,  # one clock for tokens, throttle windows and the countdowns showing them
        }
        if config.oidc_authority:
            kwargs["oidc_authority"] = config.oidc_authority
        secret = os.environ.get(config.client_secret_env) if config.client_secret_env else None
        try:
            if secret:
                return ConfidentialClientApplication(config.client_id, client_credential=secret, **kwargs)
            return PublicClientApplication(config.client_id, **kwargs)
        except ValueError as error:  # an invalid authority, for example: misuse, shown without a traceback
            raise UsageError(f"cannot build the application: {error}") from None

    def apps(self) -> list[Any]:
        """Every application in use: the ``%nbauth use`` one first, then those built here."""
        apps = [self.default_app] if self.default_app is not None else []
        return apps + [app for app in self._apps.values() if app is not self.default_app]

    def http_caches(self) -> list[MutableMapping[str, Any]]:
        caches: list[MutableMapping[str, Any]] = []
        for cache in [self.http_cache(), *(getattr(app, "http_cache", None) for app in self.apps())]:
            if cache is not None and not any(cache is seen for seen in caches):
                caches.append(cache)
        return caches

    def forget_apps(self) -> None:
        self._apps.clear()


@contextmanager
def _reported() -> Iterator[None]:
    """A corrupt cache file as a message without a traceback; it names the file and the preserved copy."""
    try:
        yield
    except CorruptCacheError as error:
        raise UsageError(str(error)) from None
