"""The provider's directory: one tenant, its demo user, its client applications and the resources they call.

Scope strings are resolved here the way Entra's v2 endpoint reads them: ``<resource>/<permission>`` or
``<resource>/.default``, a bare permission name means Microsoft Graph, and the OpenID Connect scopes
(``openid profile email offline_access``) ride along with any resource.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
# Entra adds these to a delegated token reply's ``scope`` (requested scopes are a subset of returned ones).
REPLY_OIDC_SCOPES = ("openid", "profile", "offline_access")

TENANT_ID = "7d3f0a4e-5b9c-4d2a-9e1f-2c8b6a4d0f35"
TENANT_DOMAIN = "contoso.example"
PUBLIC_CLIENT_ID = "3c9e6f1a-2b7d-4e8f-a1c5-9d0b4e6f2a71"
CONFIDENTIAL_CLIENT_ID = "8a2d5c7e-1f4b-4a9c-b6e3-0d7f9a1c3e52"
API_URI = "api://nbauth-demo"
GRAPH_URI = "https://graph.microsoft.com"


@dataclass(frozen=True)
class User:
    oid: str
    username: str
    password: str = field(repr=False)
    name: str


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    secret: str | None = field(default=None, repr=False)

    @property
    def public(self) -> bool:
        return self.secret is None


@dataclass(frozen=True)
class Resource:
    uri: str  # the token's ``aud``
    app_id: str
    delegated: tuple[str, ...]  # permissions a user can grant (``scp``)
    roles: tuple[str, ...]  # application permissions (``roles`` in app-only tokens)
    graph: bool = False  # bare permission names belong to Graph


@dataclass(frozen=True)
class ScopeGrant:
    """What a scope string resolved to: one resource and the permissions granted on it."""

    resource: Resource
    permissions: tuple[str, ...]  # ``scp`` entries (delegated) or ``roles`` (app-only)
    oidc: tuple[str, ...]  # requested OpenID Connect scopes
    app_only: bool

    def reply_scope(self) -> str:
        """The ``scope`` of a delegated token reply: qualified permissions plus Entra's OIDC extras.

        (Entra's client-credentials replies carry no ``scope``.)
        """
        names = [p if self.resource.graph else f"{self.resource.uri}/{p}" for p in self.permissions]
        extras = [s for s in (*REPLY_OIDC_SCOPES, *self.oidc) if s not in names]
        return " ".join(dict.fromkeys([*names, *extras]))


class ScopeError(Exception):
    """A scope string Entra would refuse: carries the OAuth error, the AADSTS code and the sentence."""

    def __init__(self, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.error, self.code, self.description = error, code, description


class Directory:
    """The tenant's users, clients and resources; the confidential client's secret is made per provider."""

    def __init__(self) -> None:
        self.tenant_id = TENANT_ID
        self.tenant_domain = TENANT_DOMAIN
        self.user = User(
            oid="b61c0f4e-8d2a-4f7b-9c3e-5a1d7e9b2c40",
            username=f"ada@{TENANT_DOMAIN}",
            password=secrets.token_urlsafe(12),
            name="Ada Lovelace",
        )
        secret = f"{secrets.token_urlsafe(3)[:3]}8Q~{secrets.token_urlsafe(30)}"
        self.clients = {
            c.client_id: c
            for c in (
                Client(PUBLIC_CLIENT_ID, "nbauth demo (public)"),
                Client(CONFIDENTIAL_CLIENT_ID, "nbauth demo daemon (confidential)", secret),
            )
        }
        self.service_principal_oid = "e4a7c2d9-3b6f-4c1e-8a5d-7f0b2e9c6a13"
        self.resources = (
            Resource(
                API_URI,
                "5f1b8e3c-9a4d-4b2e-8c7f-1e6a0d3b9c24",
                ("Data.Read", "Data.Write"),
                ("Data.Read.All",),
            ),
            Resource(GRAPH_URI, "00000003-0000-0000-c000-000000000000", ("User.Read",), (), graph=True),
        )

    @property
    def confidential_client(self) -> Client:
        return self.clients[CONFIDENTIAL_CLIENT_ID]

    def known_tenant(self, segment: str) -> bool:
        return segment.lower() in {self.tenant_id, self.tenant_domain, "common", "organizations"}

    def resolve(self, scope: str, *, app_only: bool) -> ScopeGrant:
        """Resolve a space-separated scope string; raise ScopeError as Entra would answer."""
        requested = scope.split()
        oidc = tuple(s for s in requested if s in OIDC_SCOPES)
        rest = [s for s in requested if s not in OIDC_SCOPES]
        if app_only:
            return self._resolve_app(rest)
        if not rest:  # only OpenID Connect scopes: Entra issues a Graph token
            return ScopeGrant(self.resources[1], ("User.Read",), oidc, app_only=False)
        pairs = [self._split(s) for s in rest]
        resources = {r.uri for r, _ in pairs}
        if len(resources) > 1:
            raise ScopeError(
                "invalid_scope",
                28000,
                f"Provided value for the input parameter scope '{scope}' is not valid because it contains "
                "more than one resource.",
            )
        resource = pairs[0][0]
        names: list[str] = []
        for raw, (_, name) in zip(rest, pairs, strict=True):
            if name == ".default":
                names.extend(resource.delegated)
            elif name in resource.delegated:
                names.append(name)
            else:
                raise ScopeError("invalid_scope", 70011, _invalid_scope_text(raw))
        return ScopeGrant(resource, tuple(dict.fromkeys(names)), oidc, app_only=False)

    def _resolve_app(self, rest: list[str]) -> ScopeGrant:
        if len(rest) != 1 or not rest[0].endswith("/.default"):
            shown = " ".join(rest) or "(none)"
            raise ScopeError(
                "invalid_scope",
                1002012,
                f"The provided value for scope {shown} is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource, _ = self._split(rest[0])
        return ScopeGrant(resource, resource.roles, (), app_only=True)

    def _split(self, scope: str) -> tuple[Resource, str]:
        base, slash, name = scope.rpartition("/")
        if not slash:
            return self.resources[1], scope  # a bare name is a Graph permission
        for resource in self.resources:
            if base.rstrip("/").lower() in {resource.uri.lower(), resource.app_id}:
                return resource, name
        raise ScopeError(
            "invalid_resource",
            500011,
            f"The resource principal named {base} was not found in the tenant named {TENANT_DOMAIN}. This "
            "can happen if the application has not been installed by the administrator of the tenant or "
            "consented to by any user in the tenant. You might have sent your authentication request to the "
            "wrong tenant.",
        )


def _invalid_scope_text(scope: str) -> str:
    return (
        "The provided request must include a 'scope' input parameter. The provided value for the input "
        f"parameter 'scope' is not valid. The scope {scope} is not valid."
    )
