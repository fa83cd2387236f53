"""LocalIdentityProvider: an Entra-like OAuth2 / OpenID Connect provider on 127.0.0.1, for tests and demos.

Endpoints (``{authority}`` is ``{base_url}/{tenant_id}``; the tenant segment may also be ``common``,
``organizations`` or the tenant's domain ``contoso.example``); the name in brackets is the endpoint name used
by ``faults.add()`` and ``requests_to()``:

==========================================================  ==============  ==================================
``GET  {authority}/v2.0/.well-known/openid-configuration``  [discovery]     Entra-shaped discovery document
``GET  {authority}/discovery/v2.0/keys``                    [jwks]          the RS256 signing key
``POST {authority}/oauth2/v2.0/token``                      [token]         see :mod:`nbauth.testing.grants`
``POST {authority}/oauth2/v2.0/devicecode``                 [devicecode]    RFC 8628 device authorization
``GET  {authority}/oauth2/v2.0/authorize``                  [authorize]     HTML sign-in and consent page
``POST {authority}/oauth2/v2.0/authorize``                  [authorize]     the sign-in form's submission
``GET|POST {base_url}/devicelogin``                         [device]        device-code verification page
``GET  {base_url}/api/me``                                  [api]           the protected demo API
==========================================================  ==============  ==================================

The issuer is ``{authority}/v2.0``, so ``{issuer}/.well-known/openid-configuration`` is the same document and
the provider also serves as a generic OpenID Connect authority. How to drive the HTML pages with plain
``requests`` (form field names) is described in :mod:`nbauth.testing.pages`; :mod:`nbauth.testing.forms` has
helpers that do it.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbauth.testing import authorize, device, discovery, grants
from nbauth.testing.conditional_access import api_me
from nbauth.testing.directory import API_URI, CONFIDENTIAL_CLIENT_ID, PUBLIC_CLIENT_ID, Directory
from nbauth.testing.faults import FaultQueue
from nbauth.testing.log import LoggedRequest, RequestLog
from nbauth.testing.server import Dispatcher, HttpServer, Route, route
from nbauth.testing.state import ProviderState
from nbauth.testing.tokens import Signer

ENDPOINTS = ("discovery", "token", "devicecode", "authorize", "device", "jwks", "api")
_TENANT = r"/(?P<tenant>[^/]+)"


def _routes() -> list[Route]:
    return [
        route(
            "discovery",
            "GET",
            _TENANT + r"/v2\.0/\.well-known/openid-configuration",
            discovery.discovery_endpoint,
        ),
        route("jwks", "GET", _TENANT + r"/discovery/v2\.0/keys", discovery.jwks_endpoint),
        route(
            "token",
            "POST",
            _TENANT + r"/oauth2/v2\.0/token",
            lambda idp, r, tenant: grants.token_endpoint(idp, r),
        ),
        route("devicecode", "POST", _TENANT + r"/oauth2/v2\.0/devicecode", device.devicecode_endpoint),
        route("authorize", "GET POST", _TENANT + r"/oauth2/v2\.0/authorize", authorize.authorize_endpoint),
        route("device", "GET POST", r"/devicelogin", device.verification_page),
        route("api", "GET", r"/api/me", api_me),
    ]


class LocalIdentityProvider:
    """A real HTTP(S) server on 127.0.0.1 that speaks Entra's v2 protocol; see the module docstring.

    >>> with LocalIdentityProvider() as idp:
    ...     app = PublicClientApplication(idp.public_client_id, authority=idp.authority)

    ``auto_approve``: ``None`` waits for a person (or :meth:`approve_device_code`, or the HTML forms); a
    number of seconds approves device codes that long after they were issued (``0``: at once) and answers the
    sign-in page without showing it, as the demo user. ``clock`` (epoch seconds) dates tokens and expires
    codes, so a shared :class:`~nbauth.testing.FakeClock` lets tests cross expiry instantly.

    Settable while running: ``conditional_access`` (see :mod:`nbauth.testing.conditional_access`),
    ``auto_approve``, ``token_lifetime``, ``refresh_in``, ``code_lifetime`` (600 s), ``device_code_lifetime``
    (900 s) and ``device_code_interval`` (5 s). The demo user's password and the confidential client's secret
    are made afresh for each provider (``describe()`` lists them).
    """

    api_scope = f"{API_URI}/Data.Read"
    api_app_scope = f"{API_URI}/.default"

    def __init__(
        self,
        *,
        tls: bool = False,
        port: int = 0,
        auto_approve: float | None = None,
        clock: Callable[[], float] = time.time,
        token_lifetime: int = 3600,
        refresh_in: int | None = None,
    ) -> None:
        self.tls, self.auto_approve, self.clock = tls, auto_approve, clock
        self.token_lifetime, self.refresh_in = token_lifetime, refresh_in
        self.conditional_access = False
        self.code_lifetime = 600  # authorization codes, seconds on ``clock``
        self.device_code_lifetime = 900
        self.device_code_interval = 5
        self.directory = Directory()
        self.signer = Signer()
        self.state = ProviderState()
        self.faults = FaultQueue(ENDPOINTS)
        self.log = RequestLog()
        self.stopping = threading.Event()
        self._requested_port = port
        self._server: HttpServer | None = None
        self._tls_dir: str | None = None
        self.ca_cert_path: str | None = None

    # --- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> LocalIdentityProvider:
        if self._server is not None:
            raise RuntimeError("the provider is already running")
        self.stopping.clear()
        context = self._make_tls_context() if self.tls else None
        self._server = HttpServer(self._requested_port, Dispatcher(self, _routes()), context)
        self._server.start()
        self.state.remember(self.client_secret, self.password)
        return self

    def stop(self) -> None:
        """Stop serving; waits for nothing longer than a short join (delayed replies are cut short)."""
        self.stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = self.ca_cert_path = None

    def __enter__(self) -> LocalIdentityProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _make_tls_context(self) -> ssl.SSLContext:
        import trustme  # only TLS needs it

        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        self._tls_dir = tempfile.mkdtemp(prefix="nbauth-idp-")
        path = Path(self._tls_dir) / "ca.pem"
        authority.cert_pem.write_to_path(str(path))
        self.ca_cert_path = str(path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        return context

    # --- addresses and demo identities ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the provider is not running; use start() or a with block")
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def tenant_id(self) -> str:
        return self.directory.tenant_id

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def issuer(self) -> str:
        return f"{self.authority}/v2.0"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/me"

    @property
    def device_verification_uri(self) -> str:
        return f"{self.base_url}/devicelogin"

    public_client_id = PUBLIC_CLIENT_ID
    confidential_client_id = CONFIDENTIAL_CLIENT_ID

    @property
    def client_secret(self) -> str:
        return self.directory.confidential_client.secret or ""

    @property
    def username(self) -> str:
        return self.directory.user.username

    @property
    def password(self) -> str:
        return self.directory.user.password

    def describe(self) -> dict[str, Any]:
        """Everything a client needs to use the provider, as JSON-able data (includes the demo secret)."""
        return {
            "authority": self.authority,
            "issuer": self.issuer,
            "tenant_id": self.tenant_id,
            "public_client_id": self.public_client_id,
            "confidential_client_id": self.confidential_client_id,
            "client_secret": self.client_secret,
            "api_url": self.api_url,
            "api_scope": self.api_scope,
            "api_app_scope": self.api_app_scope,
            "username": self.username,
            "password": self.password,
            "ca_cert_path": self.ca_cert_path,
        }

    def __repr__(self) -> str:
        where = self.authority if self._server is not None else "stopped"
        return f"<LocalIdentityProvider {where}>"

    # --- inspection and control from tests ------------------------------------------------------------------

    @property
    def request_log(self) -> list[LoggedRequest]:
        return self.log.entries()

    def requests_to(self, endpoint: str) -> int:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        return self.log.requests_to(endpoint)

    def issued_secrets(self) -> set[str]:
        """Every token, code, device code and the client secret and password the provider has handed out."""
        with self.state.lock:
            return set(self.state.issued)

    def approve_device_code(self, user_code: str | None = None, *, decline: bool = False) -> None:
        """Approve (or decline) a device code as the demo user would: this one, or the latest pending."""
        with self.state.lock:
            found = (
                self.state.device_by_user_code(user_code) if user_code else self.state.latest_pending_device()
            )
            if found is None or found[1].status != "pending":
                raise LookupError(
                    "no pending device code" + (f" with user code {user_code!r}" if user_code else "")
                )
            found[1].status = "declined" if decline else "approved"

    def revoke_refresh_tokens(self) -> None:
        """Revoke every refresh token issued so far (the user reset their password, say)."""
        with self.state.lock:
            for record in self.state.refresh_tokens.values():
                record.revoked = True
