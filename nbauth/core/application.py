"""``PublicClientApplication`` and ``ConfidentialClientApplication``: MSAL Python's API over nbauth's core.

The public methods are thin: they validate arguments (misuse raises ``ValueError`` with what to fix) and call
the module that holds the protocol: :mod:`~nbauth.core.silent` (cache, refresh, client credentials),
:mod:`~nbauth.core.device_flow`, :mod:`~nbauth.core.auth_code` and :mod:`~nbauth.core.loopback`, all sending
through one :class:`~nbauth.core.oauth2.TokenClient` and one :class:`~nbauth.core.http.HttpPipeline` per
application. Every acquire call returns a dict (a token or an error, contract section 2) or, for the silent
calls, ``None``; transport failures are error dicts, never exceptions.

Constructing an application does no network I/O; the authority's metadata is fetched on first use.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

from nbauth.core import auth_code, device_flow, silent
from nbauth.core.authority import Authority
from nbauth.core.http import HttpPipeline
from nbauth.core.loopback import LoopbackListener
from nbauth.core.oauth2 import GRANT_REFRESH_TOKEN, TokenClient, user_scopes, validate_scopes
from nbauth.core.results import error

logger = logging.getLogger("nbauth")

# MSAL constructor options that only matter to MSAL's own machinery (instance discovery, telemetry, brokers);
# accepted and ignored so that MSAL code runs unchanged.
_IGNORED_MSAL_OPTIONS = frozenset(
    {"validate_authority", "instance_discovery", "app_name", "app_version", "enable_pii_log", "allow_broker"}
)


class ClientApplication:
    """What public and confidential clients share. Use one of the two subclasses."""

    def __init__(
        self,
        client_id: str,
        client_credential: str | Mapping[str, Any] | None = None,
        authority: str | None = None,
        *,
        oidc_authority: str | None = None,
        token_cache: Any = None,
        http_client: Any = None,
        http_cache: MutableMapping[str, Any] | None = None,
        client_capabilities: Iterable[str] | None = None,
        timeout: float | None = None,
        verify: bool | str = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        retry_policy: Any = None,
        open_browser: Callable[[str], bool] | None = None,
        **msal_options: Any,
    ) -> None:
        unknown = set(msal_options) - _IGNORED_MSAL_OPTIONS
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        if not isinstance(client_id, str) or not client_id:
            raise ValueError("client_id must be the application (client) id string of your app registration.")
        self.client_id = client_id
        self._authority = Authority(authority, oidc_authority=oidc_authority)
        self.token_cache = token_cache if token_cache is not None else _default_cache()
        self.http_cache: MutableMapping[str, Any] = http_cache if http_cache is not None else {}
        self.clock = clock  # shared with integrations (e.g. the Azure credential) that report expiry times
        self._sleep = sleep
        self._open_browser = open_browser
        capabilities = _capabilities(client_capabilities)
        pipeline = _pipeline(http_client, timeout, verify, self.http_cache, clock, sleep, retry_policy)
        self._client = TokenClient(
            client_id=client_id,
            authority=self._authority,
            pipeline=pipeline,
            client_secret=_client_secret(client_credential),
            capabilities=capabilities,
            token_cache=self.token_cache,
            clock=clock,
        )

    @property
    def authority(self) -> str:
        """The authority URL (the ``oidc_authority`` issuer for generic OpenID Connect providers)."""
        return self._authority.url

    @property
    def is_confidential(self) -> bool:
        return not self._client.public_client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, authority={self.authority!r})"

    # -- accounts ----------------------------------------------------------------------------------------
    def get_accounts(self, username: str | None = None) -> list[dict[str, Any]]:
        """Accounts that signed in before (in the token cache), optionally only ``username`` (any case)."""
        found = self.token_cache.find_accounts(environment=self._authority.environment)
        grouped: dict[Any, dict[str, Any]] = {}
        for entry in found:
            if entry.get("authority_type") not in ("MSSTS", "ADFS"):
                continue
            grouped[entry.get("home_account_id")] = {
                key: entry.get(key)
                for key in (
                    "home_account_id",
                    "environment",
                    "username",
                    "account_source",
                    "authority_type",
                    "local_account_id",
                    "realm",
                )
            }
        accounts = list(grouped.values())
        if username:
            wanted = username.lower()
            accounts = [a for a in accounts if str(a.get("username") or "").lower() == wanted]
        return accounts

    def remove_account(self, account: Mapping[str, Any]) -> None:
        """Sign the account out of this cache: its refresh, access and ID tokens and the account itself."""
        if not isinstance(account, Mapping) or not account.get("home_account_id"):
            raise ValueError("account must be one of the dicts returned by get_accounts().")
        self.token_cache.remove_account(
            home_account_id=account["home_account_id"],
            environment=account.get("environment") or self._authority.environment,
            client_id=self.client_id,
        )

    # -- silent ------------------------------------------------------------------------------------------
    def acquire_token_silent(
        self,
        scopes: list[str],
        account: Mapping[str, Any] | None,
        authority: str | None = None,
        force_refresh: bool = False,
        claims_challenge: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """A token from the cache or a silent refresh; ``None`` when neither worked (MSAL's contract)."""
        if account and not force_refresh and claims_challenge is None:
            hit = silent.cached(self._client, scopes, account)  # a cache hit costs no more than this
            if hit is not None:
                return hit
        result = self._silent(scopes, account, force_refresh, claims_challenge)
        return result if result and "error" not in result else None

    def acquire_token_silent_with_error(
        self,
        scopes: list[str],
        account: Mapping[str, Any] | None,
        authority: str | None = None,
        force_refresh: bool = False,
        claims_challenge: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """Like :meth:`acquire_token_silent`, but a failed refresh returns its error dict, not ``None``."""
        if account and not force_refresh and claims_challenge is None:
            hit = silent.cached(self._client, scopes, account)
            if hit is not None:
                return hit
        return self._silent(scopes, account, force_refresh, claims_challenge)

    def _silent(
        self,
        scopes: list[str],
        account: Mapping[str, Any] | None,
        force_refresh: bool,
        claims_challenge: str | None,
    ) -> dict[str, Any] | None:
        chosen = validate_scopes(scopes)
        self._client.claims(claims_challenge)  # validate before anything else
        if not account:
            return None  # MSAL 1.23+: account=None is a no-op (app tokens come from acquire_token_for_client)
        result = silent.acquire(
            self._client, chosen, account, force_refresh=force_refresh, claims_challenge=claims_challenge
        )
        return silent.classify(result)

    # -- grants ------------------------------------------------------------------------------------------
    def acquire_token_by_refresh_token(
        self, refresh_token: str, scopes: list[str], **kwargs: Any
    ) -> dict[str, Any]:
        """Redeem a refresh token obtained elsewhere; the new tokens (and the account) go into the cache."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ValueError("refresh_token must be the refresh token string.")
        claims = self._client.claims(kwargs.get("claims_challenge"))
        return self._client.obtain(
            GRANT_REFRESH_TOKEN,
            {"refresh_token": refresh_token, "claims": claims},
            scopes=user_scopes(scopes),
            grant_secret=refresh_token,
        )

    def initiate_auth_code_flow(
        self,
        scopes: list[str],
        redirect_uri: str | None = None,
        state: str | None = None,
        prompt: str | None = None,
        login_hint: str | None = None,
        domain_hint: str | None = None,
        claims_challenge: str | None = None,
        max_age: int | None = None,
        response_mode: str | None = None,
    ) -> dict[str, Any]:
        """Start an auth code flow: a dict whose ``auth_uri`` the user visits (PKCE, state, nonce inside)."""
        flow = auth_code.initiate(
            self._client,
            scopes,
            redirect_uri=redirect_uri,
            state=state,
            claims_challenge=claims_challenge,
            prompt=prompt,
            login_hint=login_hint,
            domain_hint=domain_hint,
            max_age=max_age,
            response_mode=response_mode,
        )
        if max_age is not None and "error" not in flow:
            flow["max_age"] = max_age
        return flow

    def acquire_token_by_auth_code_flow(
        self,
        auth_code_flow: Mapping[str, Any],
        auth_response: Mapping[str, Any],
        scopes: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Finish an auth code flow with the redirect's parameters; a ``state`` mismatch is a ValueError."""
        return auth_code.redeem(self._client, auth_code_flow, auth_response, scopes)


class PublicClientApplication(ClientApplication):
    """An application that cannot keep a secret: a notebook, a desktop or command-line tool."""

    DEVICE_FLOW_CORRELATION_ID = device_flow.CORRELATION_KEY

    def __init__(
        self, client_id: str, client_credential: None = None, authority: str | None = None, **kwargs: Any
    ) -> None:
        if client_credential is not None:
            raise ValueError(
                "A public client has no credential; use ConfidentialClientApplication for a secret."
            )
        super().__init__(client_id, None, authority, **kwargs)

    def initiate_device_flow(
        self, scopes: list[str] | None = None, *, claims_challenge: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Start a device code flow (RFC 8628): show ``flow["message"]``; an error dict if refused."""
        scope = user_scopes(scopes)
        return device_flow.initiate(self._client, scope, self._client.claims(claims_challenge))

    def acquire_token_by_device_flow(
        self,
        flow: dict[str, Any],
        claims_challenge: str | None = None,
        exit_condition: Callable[[dict[str, Any]], bool] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Poll until the person signs in, the flow expires, or ``exit_condition(flow)`` becomes true."""
        claims = self._client.claims(claims_challenge)
        return device_flow.poll(
            self._client, flow, claims=claims, exit_condition=exit_condition, sleep=self._sleep
        )

    def acquire_token_interactive(
        self,
        scopes: list[str],
        prompt: str | None = None,
        login_hint: str | None = None,
        domain_hint: str | None = None,
        claims_challenge: str | None = None,
        timeout: float | None = None,
        port: int | None = None,
        max_age: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Sign in through the system browser; the redirect comes back to a listener on 127.0.0.1."""
        user_scopes(scopes)  # misuse fails before a port is opened
        self._client.claims(claims_challenge)
        with LoopbackListener(port) as listener:
            # MSAL's redirect URI, "http://localhost:<port>", which app registrations list; the listener
            # itself binds 127.0.0.1 only.
            flow = self.initiate_auth_code_flow(
                scopes,
                redirect_uri=f"http://localhost:{listener.port}",
                prompt=prompt,
                login_hint=login_hint,
                domain_hint=domain_hint,
                claims_challenge=claims_challenge,
                max_age=max_age,
                response_mode="form_post",
            )
            if "error" in flow:
                return flow
            listener.expect(flow["state"])
            failure = self._launch_browser(flow["auth_uri"])
            if failure is not None:
                return failure
            response = listener.wait(timeout)
        if response is None:
            return error("timeout", f"No sign-in response arrived within {timeout} seconds; try again.")
        return self.acquire_token_by_auth_code_flow(flow, response)

    def _launch_browser(self, auth_uri: str) -> dict[str, Any] | None:
        opener = self._open_browser
        if opener is None:
            import webbrowser

            opener = webbrowser.open
        try:
            opened = opener(auth_uri)
        except Exception as exc:  # a user-supplied opener or a webbrowser backend failing
            logger.warning("Could not open a browser: %s", type(exc).__name__)
            opened = False
        if opened is False:
            return error(
                "browser_unavailable",
                "No browser could be opened for the sign-in; use the device code flow instead.",
            )
        return None


class ConfidentialClientApplication(ClientApplication):
    """An application that keeps a secret: a service, a job, a notebook with a managed secret."""

    def __init__(
        self,
        client_id: str,
        client_credential: str | Mapping[str, Any],
        authority: str | None = None,
        **kwargs: Any,
    ) -> None:
        if client_credential is None:
            raise ValueError(
                "client_credential is required: the client secret string, or {'client_secret': ...}."
            )
        super().__init__(client_id, client_credential, authority, **kwargs)

    def acquire_token_for_client(
        self, scopes: list[str], claims_challenge: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """A token for the application itself (client credentials), from the cache when one is still good."""
        if kwargs.get("force_refresh"):
            raise ValueError("acquire_token_for_client() does not take force_refresh (as in MSAL).")
        if claims_challenge is None:
            hit = silent.cached(self._client, scopes, None)  # a cache hit costs no more than this
            if hit is not None:
                return hit
        chosen = validate_scopes(scopes)
        self._client.claims(claims_challenge)
        result = silent.acquire(self._client, chosen, None, claims_challenge=claims_challenge)
        assert result is not None  # the client credentials grant always answers
        return result


def _client_secret(credential: Any) -> str | None:
    if credential is None:
        return None
    if isinstance(credential, str) and credential:
        return credential
    if isinstance(credential, Mapping) and isinstance(credential.get("client_secret"), str):
        return credential["client_secret"]
    if isinstance(credential, Mapping):
        raise ValueError(
            "nbauth supports client secrets only: pass the secret string or {'client_secret': '...'} "
            "(certificates and client assertions are not supported)."
        )
    raise ValueError("client_credential must be the client secret string or {'client_secret': '...'}.")


def _capabilities(capabilities: Any) -> list[str]:
    if capabilities is None:
        return []
    if isinstance(capabilities, str) or not all(isinstance(c, str) for c in capabilities):
        raise ValueError(
            f"client_capabilities must be a list of strings such as ['CP1'], not {capabilities!r}."
        )
    return list(capabilities)


def _default_cache() -> Any:
    from nbauth.core.token_cache import SerializableTokenCache

    return SerializableTokenCache()


def _pipeline(
    session: Any, timeout: Any, verify: Any, http_cache: Any, clock: Any, sleep: Any, retry_policy: Any
) -> HttpPipeline:
    options: dict[str, Any] = {"timeout": timeout, "verify": verify, "http_cache": http_cache, "clock": clock}
    accepted = inspect.signature(HttpPipeline).parameters
    for name, value in (("sleep", sleep), ("retry_policy", retry_policy)):
        if name in accepted and (value is not None):
            options[name] = value
    return HttpPipeline(session, **options)
