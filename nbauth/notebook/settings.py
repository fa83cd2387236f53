"""``NbAuth``: the notebook layer's settings, a traitlets ``Configurable``.

``%config NbAuth.client_id = "..."`` sets one; ``%nbauth settings`` lists them.

Defaults come from the environment, in this order (first one set wins):

===================  ==============================================================================
setting              environment variables
===================  ==============================================================================
client_id            ``NBAUTH_CLIENT_ID``, ``AZURE_CLIENT_ID``
tenant_id            ``NBAUTH_TENANT_ID``, ``AZURE_TENANT_ID`` (else ``organizations``)
authority            ``NBAUTH_AUTHORITY`` (else ``authority_host`` + ``/`` + ``tenant_id``)
authority_host       ``AZURE_AUTHORITY_HOST`` (else ``https://login.microsoftonline.com``)
oidc_authority       ``NBAUTH_OIDC_AUTHORITY``
scopes               ``NBAUTH_SCOPES`` (space separated)
flow                 ``NBAUTH_FLOW``
client_secret_env    the NAME of the variable holding the secret: ``AZURE_CLIENT_SECRET`` by default
token_cache_path     ``NBAUTH_TOKEN_CACHE`` (``""``: the user cache dir; ``":memory:"``: not persisted)
http_cache_path      ``NBAUTH_HTTP_CACHE`` (same values)
interactive          ``NBAUTH_INTERACTIVE`` (``true``/``false``/``auto``)
===================  ==============================================================================

Every value is validated on assignment, so a typo fails at ``%config`` rather than at sign-in.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from traitlets import Bool, Enum, Float, List, TraitError, Unicode, Union, default, validate
from traitlets.config import Configurable

FLOWS = ("auto", "device_code", "browser", "paste", "client_credentials")
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
MEMORY = ":memory:"
_ENV_NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def env(*names: str, default: str = "") -> str:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


def check_url(value: str, what: str) -> str:
    """An https URL, or http for a loopback host only (contract section 1)."""
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value.rstrip("/")
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return value.rstrip("/")
    raise TraitError(f"{what} must be an https:// URL (http:// only for 127.0.0.1/localhost), not {value!r}")


def split_scopes(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return [str(s) for s in value]


class NbAuth(Configurable):
    """Settings for ``%token`` and ``%nbauth``. ``%config NbAuth`` lists them with their help."""

    client_id = Unicode(help="Application (client) id; default $NBAUTH_CLIENT_ID or $AZURE_CLIENT_ID.").tag(
        config=True
    )
    tenant_id = Unicode(help="Tenant id or domain for Entra authorities; default $AZURE_TENANT_ID.").tag(
        config=True
    )
    authority = Unicode(
        help="Full authority URL; default $NBAUTH_AUTHORITY, else authority_host/tenant_id."
    ).tag(config=True)
    authority_host = Unicode(
        help="Entra host; default $AZURE_AUTHORITY_HOST or login.microsoftonline.com."
    ).tag(config=True)
    oidc_authority = Unicode(help="A generic OpenID Connect issuer URL (instead of an Entra authority).").tag(
        config=True
    )
    scopes = Union(
        [List(Unicode()), Unicode()], help="Default scopes (a list, or a space-separated string)."
    ).tag(config=True)
    flow = Enum(FLOWS, default_value="auto", help="How to sign in: " + ", ".join(FLOWS) + ".").tag(
        config=True
    )
    client_secret_env = Unicode(
        "AZURE_CLIENT_SECRET",
        help="NAME of the environment variable that holds the client secret (a secret is never a setting).",
    ).tag(config=True)
    client_capabilities = List(Unicode(), help='Client capabilities, e.g. ["CP1"] for CAE.').tag(config=True)
    redirect_uri = Unicode("http://localhost", help="Redirect URI for the paste-back flow.").tag(config=True)
    token_cache_path = Unicode(help='Token cache file; "" = user cache dir, ":memory:" = not persisted.').tag(
        config=True
    )
    http_cache_path = Unicode(
        help='Throttle cache file; "" = user cache dir, ":memory:" = not persisted.'
    ).tag(config=True)
    wait_timeout = Float(
        300.0,
        min=0,
        help="Seconds an interactive sign-in may wait for the user (and --wait without --timeout).",
    ).tag(config=True)
    interactive = Union(
        [Bool(), Enum(["auto"])],
        default_value="auto",
        help='Whether a person can answer: True, False, or "auto" (see nbauth.notebook.frontend).',
    ).tag(config=True)
    widgets = Union(
        [Bool(), Enum(["auto"])], default_value="auto", help="Use the sign-in widget: True, False or auto."
    ).tag(config=True)

    @default("client_id")
    def _default_client_id(self) -> str:
        return env("NBAUTH_CLIENT_ID", "AZURE_CLIENT_ID")

    @default("tenant_id")
    def _default_tenant_id(self) -> str:
        return env("NBAUTH_TENANT_ID", "AZURE_TENANT_ID", default="organizations")

    @default("authority")
    def _default_authority(self) -> str:
        return check_url(env("NBAUTH_AUTHORITY"), "NBAUTH_AUTHORITY")

    @default("authority_host")
    def _default_authority_host(self) -> str:
        host = env("AZURE_AUTHORITY_HOST", default="https://login.microsoftonline.com")
        return check_url(host if "://" in host else f"https://{host}", "AZURE_AUTHORITY_HOST")

    @default("oidc_authority")
    def _default_oidc_authority(self) -> str:
        return check_url(env("NBAUTH_OIDC_AUTHORITY"), "NBAUTH_OIDC_AUTHORITY")

    @default("scopes")
    def _default_scopes(self) -> list[str]:
        return split_scopes(env("NBAUTH_SCOPES"))

    @default("flow")
    def _default_flow(self) -> str:
        value = env("NBAUTH_FLOW", default="auto")
        if value not in FLOWS:
            raise TraitError(f"NBAUTH_FLOW must be one of {', '.join(FLOWS)}, not {value!r}")
        return value

    @default("token_cache_path")
    def _default_token_cache_path(self) -> str:
        return env("NBAUTH_TOKEN_CACHE")

    @default("http_cache_path")
    def _default_http_cache_path(self) -> str:
        return env("NBAUTH_HTTP_CACHE")

    @default("interactive")
    def _default_interactive(self) -> bool | str:
        return parse_tristate(env("NBAUTH_INTERACTIVE", default="auto"), "NBAUTH_INTERACTIVE")

    @validate("authority", "authority_host", "oidc_authority")
    def _valid_url(self, proposal: Any) -> str:
        value = proposal["value"]
        if proposal["trait"].name == "authority_host" and value and "://" not in value:
            value = f"https://{value}"
        return check_url(value, proposal["trait"].name)

    @validate("scopes")
    def _valid_scopes(self, proposal: Any) -> list[str]:
        return split_scopes(proposal["value"])

    @validate("client_secret_env")
    def _valid_env_name(self, proposal: Any) -> str:
        return check_env_name(proposal["value"])

    @validate("redirect_uri")
    def _valid_redirect(self, proposal: Any) -> str:
        value = proposal["value"]
        if urlsplit(value).scheme not in ("http", "https"):
            raise TraitError(f"redirect_uri must be an http(s) URL, not {value!r}")
        return value

    def effective_authority(self) -> str:
        """The authority URL in use (Entra style); ``oidc_authority`` is passed separately."""
        if self.authority:
            return self.authority
        return f"{self.authority_host}/{self.tenant_id or 'organizations'}"

    def client_secret(self) -> str | None:
        """The secret from the environment variable ``client_secret_env`` names (never stored here)."""
        return os.environ.get(self.client_secret_env) or None if self.client_secret_env else None


def check_env_name(value: str) -> str:
    if value and (not set(value) <= _ENV_NAME_CHARS or value[0].isdigit()):
        raise TraitError(
            "client_secret_env takes the NAME of an environment variable (letters, digits, _), not a value"
        )
    return value


def parse_tristate(value: str, what: str) -> bool | str:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    if lowered == "auto":
        return "auto"
    raise TraitError(f"{what} must be true, false or auto, not {value!r}")
