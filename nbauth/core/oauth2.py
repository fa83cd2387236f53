"""Building OAuth 2.0 requests and sending them through the application's pipeline.

One :class:`TokenClient` per application. It knows the client's identity (id, secret, capabilities), the
authority's endpoints and the pipeline, and it logs every exchange to ``logging.getLogger("nbauth")``: the
endpoint, HTTP status, OAuth error, AADSTS code and correlation id; parameter *values* are never logged, so
no secret (client secret, refresh token, device code, authorization code) can reach a log.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from nbauth.core.authority import Authority, Endpoints
from nbauth.core.claims import merge_client_capabilities
from nbauth.core.http import HttpPipeline, RequestContext
from nbauth.core.results import error, from_provider

logger = logging.getLogger("nbauth")
Clock = Callable[[], float]

RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_REFRESH_TOKEN = "refresh_token"  # noqa: S105 (a grant type name)
GRANT_AUTH_CODE = "authorization_code"
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 section 3.4
_SKU = "nbauth.python"


def validate_scopes(scopes: Any, *, allow_none: bool = False) -> list[str]:
    """The scopes as a list; misuse (a bare string, a non-string item) raises ``ValueError``."""
    if scopes is None and allow_none:
        return []
    if isinstance(scopes, str) or not isinstance(scopes, (list, tuple, set, frozenset)):
        raise ValueError(
            f"scopes must be a list of strings, e.g. [{scopes!r}], not {type(scopes).__name__}."
            if isinstance(scopes, str)
            else f"scopes must be a list of strings, not {type(scopes).__name__}."
        )
    if not all(isinstance(s, str) and s for s in scopes):
        raise ValueError("every scope must be a non-empty string.")
    return list(scopes)


def user_scopes(scopes: Any) -> list[str]:
    """Scopes for a user flow: the reserved OpenID scopes are added by nbauth, so passing them is misuse."""
    chosen = validate_scopes(scopes, allow_none=True)
    reserved = RESERVED_SCOPES.intersection(chosen)
    if reserved:
        raise ValueError(
            f"remove {sorted(reserved)} from scopes: nbauth always requests openid, profile and "
            "offline_access for user sign-in (as MSAL does), so they are reserved."
        )
    return sorted(set(chosen) | RESERVED_SCOPES)


def scope_param(scopes: Iterable[str]) -> str:
    return " ".join(sorted(set(scopes)))  # sorted like MSAL, so throttle keys and cache targets agree


class TokenClient:
    """Sends grant requests for one client and returns the provider's reply dicts (not yet shaped)."""

    def __init__(
        self,
        *,
        client_id: str,
        authority: Authority,
        pipeline: HttpPipeline,
        client_secret: str | None = None,
        capabilities: Iterable[str] | None = None,
        token_cache: Any = None,
        clock: Clock = time.time,
    ) -> None:
        self.client_id = client_id
        self.authority = authority
        self.pipeline = pipeline
        self._client_secret = client_secret
        self.capabilities = list(capabilities or [])
        self.token_cache = token_cache
        self.clock = clock
        self.queries: dict[tuple[Any, ...], Any] = {}  # silent.cached(): prepared cache queries

    @property
    def public_client(self) -> bool:
        return self._client_secret is None

    def claims(self, claims_challenge: str | None) -> str | None:
        """The ``claims`` parameter to send: the challenge merged with the client capabilities."""
        return merge_client_capabilities(claims_challenge, self.capabilities)

    def endpoints(self, scopes: Iterable[str] = ()) -> Endpoints | dict[str, Any]:
        known = self.authority.known_endpoints
        if known is not None:  # after the first call: no request context to build
            return known
        context = self._context("discovery", scopes)
        return self.authority.endpoints(self.pipeline, context)

    def request_token(
        self,
        grant_type: str,
        params: Mapping[str, str | None],
        *,
        scopes: Iterable[str],
        grant_secret: str | None = None,
        attempt: int = 1,
        **context_flags: bool,
    ) -> dict[str, Any]:
        """POST a grant to the token endpoint; the reply dict (token or error) as the pipeline returned it."""
        endpoints = self.endpoints(scopes)
        if isinstance(endpoints, dict):
            return endpoints
        body = self._body({"grant_type": grant_type, **params}, scopes)
        context = self._context("token", scopes, grant_secret=grant_secret, **context_flags)
        return self._post(endpoints.token_endpoint, body, context, grant_type=grant_type, attempt=attempt)

    def obtain(
        self,
        grant_type: str,
        params: Mapping[str, str | None],
        *,
        scopes: Iterable[str],
        check: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
        event_extra: Mapping[str, Any] | None = None,
        **request_kw: Any,
    ) -> dict[str, Any]:
        """Redeem a grant: send it, store a token in the cache, and shape the result (contract section 2).

        ``check`` may veto a token reply (a nonce mismatch) by returning an error dict; then nothing is
        cached.
        """
        scope_list = list(scopes)
        reply = self.request_token(grant_type, params, scopes=scope_list, **request_kw)
        now = self.clock()
        if "error" in reply:
            return from_provider(reply, now=now)
        if "access_token" not in reply and "id_token" not in reply:
            return error(
                "invalid_response", "The token endpoint answered without an access_token or id_token."
            )
        shaped = from_provider(reply, now=now)
        vetoed = check(shaped) if check else None
        if vetoed is not None:
            return vetoed
        if self.token_cache is not None:
            endpoints = self.endpoints(scope_list)
            assert not isinstance(endpoints, dict)  # request_token succeeded, so discovery did
            event = token_event(
                self,
                token_endpoint=endpoints.token_endpoint,
                scopes=scope_list,
                grant_type=grant_type,
                response=reply,
                claims=params.get("claims"),
                **dict(event_extra or {}),
            )
            self.token_cache.add(event, now=now)
        return shaped

    def request_device_code(self, scopes: Iterable[str], claims: str | None) -> dict[str, Any]:
        """POST to the device authorization endpoint (RFC 8628 section 3.1)."""
        endpoints = self.endpoints(scopes)
        if isinstance(endpoints, dict):
            return endpoints
        if not endpoints.device_authorization_endpoint:
            return {
                "error": "invalid_request",
                "error_description": f"{self.authority.url} advertises no device_authorization_endpoint; "
                "this provider does not offer the device code flow.",
            }
        body = {"client_id": self.client_id, "scope": scope_param(scopes), "claims": claims}
        if self.authority.is_oidc is False:
            body["client_info"] = "1"
        context = self._context("devicecode", scopes)
        clean = {k: v for k, v in body.items() if v}
        return self._post(endpoints.device_authorization_endpoint, clean, context, grant_type="device_code")

    def _body(self, params: Mapping[str, str | None], scopes: Iterable[str]) -> dict[str, str]:
        body: dict[str, str | None] = {"client_id": self.client_id, **params}
        scope_list = list(scopes)
        if scope_list and "scope" not in params:
            body["scope"] = scope_param(scope_list)
        if not self.authority.is_oidc:
            body["client_info"] = "1"  # Entra then returns uid/utid, from which the cache keys accounts
        if self._client_secret is not None:
            body["client_secret"] = self._client_secret  # client_secret_post, as MSAL sends it
        return {k: v for k, v in body.items() if v}

    def _context(self, endpoint: str, scopes: Iterable[str], **extra: Any) -> RequestContext:
        return RequestContext(
            endpoint=endpoint,
            client_id=self.client_id,
            public_client=self.public_client,
            scopes=tuple(sorted(set(scopes))),
            **extra,
        )

    def _post(
        self, url: str, body: Mapping[str, str], context: RequestContext, *, grant_type: str, attempt: int = 1
    ) -> dict[str, Any]:
        correlation_id = str(uuid.uuid4())
        headers = {"Accept": "application/json", "client-request-id": correlation_id, "x-client-sku": _SKU}
        logger.debug(
            "POST %s endpoint=%s grant=%s params=%s correlation_id=%s",
            _safe_url(url),
            context.endpoint,
            grant_type,
            sorted(body),
            correlation_id,
        )
        reply = self.pipeline.send("POST", url, data=body, headers=headers, context=context)
        log_reply(context.endpoint, url, reply.status, reply.result, correlation_id, attempt)
        return reply.result


def log_reply(
    endpoint: str, url: str, status: int, result: Mapping[str, Any], correlation_id: str, attempt: int = 1
) -> None:
    """One line per reply: enough to diagnose (status, error, AADSTS code, ids), never a token or secret."""
    if "error" not in result:
        logger.info(
            "%s endpoint=%s status=%s ok correlation_id=%s attempt=%d",
            _safe_url(url),
            endpoint,
            status,
            correlation_id,
            attempt,
        )
        return
    codes = result.get("error_codes") or []
    logger.warning(
        "%s endpoint=%s status=%s error=%s suberror=%s aadsts=%s correlation_id=%s trace_id=%s attempt=%d",
        _safe_url(url),
        endpoint,
        status or result.get("http_status"),
        result.get("error"),
        result.get("suberror"),
        ",".join(f"AADSTS{c}" for c in codes) or "-",
        result.get("correlation_id") or correlation_id,
        result.get("trace_id"),
        attempt,
    )


def _safe_url(url: str) -> str:
    parts = urlsplit(url)  # no query string: an authorize URL carries state and code challenge
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def token_event(
    client: TokenClient,
    *,
    token_endpoint: str,
    scopes: Iterable[str],
    grant_type: str,
    response: Mapping[str, Any],
    claims: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The event ``TokenCache.add`` takes (MSAL's shape). ``data`` holds only non-secret request params."""
    granted = response.get("scope")
    return {
        "client_id": client.client_id,
        "scope": granted.split() if isinstance(granted, str) and granted else sorted(set(scopes)),
        "token_endpoint": token_endpoint,
        "environment": client.authority.environment,
        "grant_type": grant_type,
        "response": {k: v for k, v in response.items() if k != "id_token_claims"},
        "params": None,
        "data": {"claims": claims} if claims else {},
        **extra,
    }
