"""``BearerAuth``: a ``requests`` auth object that keeps a notebook's API calls authorized.

>>> auth = BearerAuth(app, ["api://demo/Data.Read"])
>>> requests.get(url, auth=auth)        # or: session.auth = auth

Before every request it asks the application's cache for a token (a cache hit costs no network; an expiring
token is refreshed), so a loop that runs for hours keeps working. When the API answers 401 with a claims
challenge (RFC 6750 section 3 ``WWW-Authenticate: Bearer error="insufficient_claims", claims="..."``:
Conditional Access step-up, or a Continuous Access Evaluation revocation), it gets a token carrying those
claims, first silently, then through ``on_claims_challenge`` (the notebook layer passes its claims prompt),
and re-sends the request once. Like ``requests.auth.HTTPDigestAuth`` it re-sends from a response hook
through the same adapter.

It never re-sends a body it cannot replay (a generator, or a file it cannot rewind), never re-sends more than
once per request, and never sends the token to a host a redirect led to. When the challenge cannot be met, the
401 is returned as it came and a warning on the ``nbauth`` logger names the claims the policy demands.

When no token can be had before sending, ``TokenAcquisitionError`` (a ``requests.RequestException``) is raised
with the error dict in ``.result``: an auth hook cannot return a dict, and sending the request without a token
would only earn a less helpful 401.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from nbauth.integrations._live import Usage, register
from nbauth.integrations._tokens import (
    Account,
    acquire,
    check_scopes,
    explain_claims,
    explain_error,
    has_token,
)

logger = logging.getLogger("nbauth")

ClaimsPrompt = Callable[[str], Mapping[str, Any] | None]


class TokenAcquisitionError(requests.RequestException):
    """No token could be acquired for a request. ``result`` is the error dict; it holds no secret."""

    def __init__(self, result: Mapping[str, Any], *, request: Any = None) -> None:
        self.result = dict(result)
        super().__init__(
            f"nbauth could not get a token for this request: {explain_error(result)}", request=request
        )


class _Attempt:
    """Per-request state, shared by the redirects of one request: at most one challenge retry."""

    __slots__ = ("retried", "token_hash")

    def __init__(self, token: str) -> None:
        self.token_hash = _hash(token)  # the hook keeps a hash, so no repr can show the token
        self.retried = False

    def __repr__(self) -> str:
        return f"_Attempt(retried={self.retried})"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BearerAuth(AuthBase):
    """Attach ``Authorization: Bearer`` from ``app`` for ``scopes``; meet claims challenges; retry once.

    ``app`` is an nbauth application or any object with MSAL's API. ``account`` is an account dict, a
    username, or None (the only signed-in account; for a confidential client, the application itself).
    ``on_claims_challenge(challenge)`` is called when a claims challenge cannot be met silently; it returns a
    token result dict (e.g. from an interactive sign-in with ``claims_challenge=challenge``), or None to
    give up.
    """

    def __init__(
        self,
        app: Any,
        scopes: Sequence[str],
        *,
        account: Account = None,
        on_claims_challenge: ClaimsPrompt | None = None,
    ) -> None:
        self.app = app
        self.scopes = check_scopes(scopes)
        self.account = account
        self.on_claims_challenge = on_claims_challenge
        self.usage = Usage()
        register(self)

    def describe(self) -> dict[str, Any]:
        """What ``%nbauth`` shows: no token, no secret."""
        who = self.account if isinstance(self.account, str) else (self.account or {}).get("username")
        client = getattr(self.app, "client_id", None)
        return {"kind": "requests", "client_id": client, "scopes": list(self.scopes), "account": who}

    def __repr__(self) -> str:
        d = self.describe()
        return f"BearerAuth(client_id={d['client_id']!r}, scopes={d['scopes']!r}, account={d['account']!r})"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        result = self._acquire()
        if not has_token(result):
            raise TokenAcquisitionError(result, request=r)
        token = result["access_token"]
        r.headers["Authorization"] = f"Bearer {token}"
        r.register_hook("response", functools.partial(self._handle_401, _Attempt(token)))
        return r

    def _handle_401(self, attempt: _Attempt, r: requests.Response, **kwargs: Any) -> requests.Response:
        if r.status_code != 401 or attempt.retried:
            return r
        sent = r.request.headers.get("Authorization", "")
        if not sent.startswith("Bearer ") or _hash(sent.removeprefix("Bearer ")) != attempt.token_hash:
            return r  # not our token on this hop (a redirect to another host dropped it): not ours to fix
        challenge = _claims_challenge(r.headers.get("WWW-Authenticate", ""))
        if challenge is None:
            return r
        attempt.retried = True
        self.usage.count("claims_challenges")
        result = self._meet(challenge, r, attempt.token_hash)
        if result is None:
            return r
        if not _rewind(r.request):
            logger.warning(
                "nbauth: %s answered 401 with a claims challenge (%s); a token with these claims is now "
                "cached, but the request was not re-sent because its body is a stream that cannot be "
                "replayed. Send it again.",
                _where(r),
                explain_claims(challenge),
            )
            return r
        retried = _resend(r, result["access_token"], kwargs)
        self.usage.count("retries")
        if retried.status_code == 401:
            logger.warning(
                "nbauth: %s still answered 401 after one retry with a token carrying %s; not retrying again.",
                _where(r),
                explain_claims(challenge),
            )
        return retried

    def _meet(self, challenge: str, r: requests.Response, rejected: str) -> Mapping[str, Any] | None:
        """A token that carries the challenged claims, or None after logging why there is none."""
        cached = acquire(self.app, self.scopes, self.account)
        fresh = cached.get("token_source") == "cache" and has_token(cached)
        if fresh and _hash(cached["access_token"]) != rejected:
            # Another request (another thread) met this challenge meanwhile: its token is in the cache.
            self.usage.count("tokens_acquired")
            return cached
        result = self._acquire(challenge)
        if has_token(result):
            return result
        reasons = [f"silently: {explain_error(result)}"]
        if self.on_claims_challenge is not None:
            prompted = self.on_claims_challenge(challenge)
            if has_token(prompted):
                self.usage.count("tokens_acquired")
                return prompted
            reasons.append(f"through the prompt: {explain_error(prompted) if prompted else 'cancelled'}")
        logger.warning(
            "nbauth: %s answered 401 with a claims challenge: a Conditional Access policy requires %s. "
            "Getting a token with these claims failed (%s). The 401 is returned without a retry; sign in "
            "again with this claims challenge%s and re-send.",
            _where(r),
            explain_claims(challenge),
            "; ".join(reasons),
            "" if self.on_claims_challenge else " (or pass on_claims_challenge= to BearerAuth)",
        )
        return None

    def _acquire(self, challenge: str | None = None) -> dict[str, Any]:
        result = acquire(self.app, self.scopes, self.account, claims_challenge=challenge)
        if has_token(result):
            self.usage.count("tokens_acquired")
        else:
            self.usage.count("failures")
            self.usage.last_error = explain_error(result)
        return result


def _claims_challenge(header: str) -> str | None:
    from nbauth.core.claims import claims_challenge_from_www_authenticate

    return claims_challenge_from_www_authenticate(header) if header else None


def _where(r: requests.Response) -> str:
    # Method, host and path only: a query string may carry a secret (a SAS signature, an API key).
    url = urlsplit(r.request.url or "")
    return f"{r.request.method} {url.scheme}://{url.netloc}{url.path}"


def _rewind(prep: requests.PreparedRequest) -> bool:
    """Make the body readable from the start again; False when it cannot be replayed."""
    body = prep.body
    if body is None or isinstance(body, bytes | bytearray | str):
        return True
    position = getattr(prep, "_body_position", None)  # set by requests when it prepared a file-like body
    seek = getattr(body, "seek", None)
    if seek is None or not isinstance(position, int):
        return False  # a generator or an unseekable stream: already consumed
    try:
        seek(position)
    except OSError:
        return False
    return True


def _resend(r: requests.Response, token: str, send_kwargs: dict[str, Any]) -> requests.Response:
    """Send a copy of the request with the new token through the same adapter, as HTTPDigestAuth does."""
    if r.connection is None:  # a custom adapter that built the response without itself
        return r
    r.content  # noqa: B018 - read and release the connection so the retry can reuse it
    r.close()
    prep = r.request.copy()
    jar = prep._cookies  # type: ignore[attr-defined]
    if jar is not None:
        extract_cookies_to_jar(jar, r.request, r.raw)
        prep.prepare_cookies(jar)
    prep.headers["Authorization"] = f"Bearer {token}"
    # The adapter does not run response hooks, so the retry cannot trigger a second retry.
    retried = r.connection.send(prep, **send_kwargs)
    retried.history.append(r)
    retried.request = prep
    return retried
