"""Profiles (``%%token NAME``) and the resolution of settings + profile + command-line options.

A profile body is one ``key = value`` or ``key: value`` per line (``#`` starts a comment)::

    %%token analytics
    client_id = 00000000-0000-0000-0000-000000000001
    authority: https://login.microsoftonline.com/contoso.example
    scopes = api://analytics/Data.Read, offline_access
    flow = device_code
    client_capabilities = CP1
    client_secret_env = ANALYTICS_SECRET     # the NAME of a variable; an inline secret is refused

Lists (``scopes``, ``client_capabilities``) take spaces, commas or a ``[a, b]`` form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from traitlets import TraitError

from nbauth.notebook.settings import FLOWS, NbAuth, check_env_name, check_url, split_scopes

PROFILE_KEYS = (
    "client_id", "tenant_id", "authority", "oidc_authority", "scopes", "flow", "client_secret_env",
    "client_capabilities", "account", "redirect_uri",
)  # fmt: skip
_LIST_KEYS = {"scopes", "client_capabilities"}
_SECRET_KEYS = {"client_secret", "secret", "password", "client_credential", "access_token", "refresh_token"}


@dataclass(frozen=True)
class AppConfig:
    """Everything that identifies one application object; equal configs share one app."""

    client_id: str
    authority: str | None
    oidc_authority: str | None
    client_secret_env: str
    client_capabilities: tuple[str, ...]
    secret_hash: str = field(default="", repr=False)  # rebuild when the variable's value changes


@dataclass
class Request:
    """One acquisition: what ``%token`` was asked for after settings, profile and options are merged."""

    app: AppConfig
    scopes: list[str]
    flow: str
    account: str | None
    redirect_uri: str
    claims_challenge: str | None = None
    force_refresh: bool = False
    wait: float | None = None  # seconds a non-interactive kernel may wait for an (auto-)approved sign-in


def _strip_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _list_value(value: str) -> list[str]:
    return [_strip_value(v) for v in split_scopes(value.strip().strip("[]")) if _strip_value(v)]


def parse_profile(body: str) -> dict[str, Any]:
    """The profile's settings; a ``UsageError`` names the offending line (never echoing a secret's value)."""
    profile: dict[str, Any] = {}
    for number, raw in enumerate(body.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()  # a comment needs a space before '#'
        if not line or line.startswith("#"):
            continue
        key, sep, value = _split_line(line)
        if not sep:
            raise UsageError(f"profile line {number}: expected 'key = value' or 'key: value'")
        if key in _SECRET_KEYS:
            raise UsageError(
                f"profile line {number}: secrets are never written into a notebook; put the secret in an "
                "environment variable and write 'client_secret_env = VARIABLE_NAME'"
            )
        if key not in PROFILE_KEYS:
            raise UsageError(f"profile line {number}: unknown key {key!r}; known: {', '.join(PROFILE_KEYS)}")
        profile[key] = _list_value(value) if key in _LIST_KEYS else _strip_value(value)
    return validate_profile(profile)


def _split_line(line: str) -> tuple[str, str, str]:
    # "key = value" or "key: value"; the first separator wins so URLs (with ':') survive as values.
    positions = [(line.find(sep), sep) for sep in ("=", ":") if line.find(sep) > 0]
    if not positions:
        return line, "", ""
    index, sep = min(positions)
    return line[:index].strip().lower(), sep, line[index + 1 :]


def validate_profile(profile: dict[str, Any]) -> dict[str, Any]:
    try:
        for key in ("authority", "oidc_authority"):
            if profile.get(key):
                profile[key] = check_url(profile[key], key)
        if "client_secret_env" in profile:
            check_env_name(profile["client_secret_env"])
    except TraitError as error:
        raise UsageError(str(error)) from None
    if "flow" in profile and profile["flow"] not in FLOWS:
        raise UsageError(f"flow must be one of {', '.join(FLOWS)}, not {profile['flow']!r}")
    return profile


def _secret_hash(name: str, env: Mapping[str, str]) -> str:
    value = env.get(name) if name else None
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


def resolve(
    settings: NbAuth,
    profile: Mapping[str, Any],
    options: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    own_app: bool = True,
) -> Request:
    """settings < profile < options (only what was given on the command line).

    ``own_app=False``: the user brought an application (``--app``), so no client id is needed.
    """
    options = validate_profile(dict(options))

    def pick(key: str, default: Any) -> Any:
        for layer in (options, profile):
            if layer.get(key) not in (None, "", []):
                return layer[key]
        return default

    tenant = pick("tenant_id", settings.tenant_id)
    authority = pick("authority", None)
    if authority is None:
        authority = f"{settings.authority_host}/{tenant}" if "tenant_id" in {**profile, **options} else None
        authority = authority or settings.effective_authority()
    oidc = pick("oidc_authority", settings.oidc_authority) or None
    secret_env = pick("client_secret_env", settings.client_secret_env)
    client_id = pick("client_id", settings.client_id)
    if not client_id and own_app:
        raise UsageError("no client id: pass --client-id, use a profile, or %config NbAuth.client_id = '...'")
    app = AppConfig(
        client_id=client_id,
        authority=None if oidc else authority,
        oidc_authority=oidc,
        client_secret_env=secret_env,
        client_capabilities=tuple(pick("client_capabilities", settings.client_capabilities)),
        secret_hash=_secret_hash(secret_env, env),
    )
    scopes = split_scopes(pick("scopes", settings.scopes))
    if not scopes:
        raise UsageError("no scopes: pass them (%token SCOPE ...), use a profile, or set NbAuth.scopes")
    return Request(
        app=app,
        scopes=scopes,
        flow=pick("flow", settings.flow),
        account=pick("account", None),
        redirect_uri=pick("redirect_uri", settings.redirect_uri),
    )
