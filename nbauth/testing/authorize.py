"""The authorization endpoint: validate the request, show the sign-in page, answer by query or form_post.

Problems Entra reports on its own page (unknown client, bad ``redirect_uri``) get an HTML error page;
the others go back to the ``redirect_uri`` as ``error`` / ``error_description`` / ``state``. Clients accept
any loopback ``redirect_uri`` (``http://localhost:<port>/...`` or ``http://127.0.0.1:<port>/...``), as Entra
does for native clients registered with ``http://localhost``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from nbauth.testing import conditional_access as ca
from nbauth.testing import grants, pages
from nbauth.testing.messages import OAuthError, Reply, Request, html_reply, redirect
from nbauth.testing.state import AuthCodeRecord, PendingSignIn
from nbauth.testing.tokens import client_info, new_code

if TYPE_CHECKING:
    from nbauth.testing.provider import LocalIdentityProvider

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


class _RedirectError(Exception):
    def __init__(self, error: str, code: int, description: str, subcode: str | None = None) -> None:
        super().__init__(error)
        self.error, self.code, self.description, self.subcode = error, code, description, subcode


def authorize_endpoint(idp: LocalIdentityProvider, request: Request, tenant: str) -> Reply:
    if request.method == "POST" and "request_id" in request.form:
        return _submit(idp, request)
    params = request.params
    problem = _page_problem(idp, params)
    if problem is not None:
        return html_reply(400, pages.error_page(*problem))
    try:
        scopes = _check(idp, params)
    except _RedirectError as failure:
        return _respond(params, _error_fields(failure, params))
    signed_in = _has_session(idp, request)
    if params.get("prompt") == "none" and signed_in:
        return _respond(params, _success_fields(idp, params))  # silent sign-in on the browser's session
    if params.get("prompt") == "none" and idp.auto_approve is None:
        failure = _RedirectError(
            "login_required", 50058, "A silent sign-in request was sent but no user is signed in."
        )
        return _respond(params, _error_fields(failure, params))
    if idp.auto_approve is not None:
        idp.stopping.wait(max(0.0, idp.auto_approve))  # a quick user; cut short when the provider stops
        return _respond(params, _success_fields(idp, params))
    request_id = secrets.token_urlsafe(24)
    client = idp.directory.clients[params["client_id"]]
    with idp.state.lock:
        idp.state.sign_ins[request_id] = PendingSignIn(dict(params), client.name, scopes)
    return _sign_in(idp, request_id, error=None)


def _page_problem(idp: LocalIdentityProvider, params: dict[str, str]) -> tuple[int, str] | None:
    client_id = params.get("client_id", "")
    if not client_id:
        return 900144, "The request body must contain the following parameter: 'client_id'."
    if client_id not in idp.directory.clients:
        return 700016, f"Application with identifier '{client_id}' was not found in the directory."
    uri = params.get("redirect_uri", "")
    if not uri:
        return 900144, "The request body must contain the following parameter: 'redirect_uri'."
    if not is_loopback_redirect(uri):
        return 50011, (
            f"The redirect URI '{uri}' specified in the request does not match the redirect URIs configured "
            f"for the application '{client_id}'."
        )
    return None


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS and not parts.fragment


def _check(idp: LocalIdentityProvider, params: dict[str, str]) -> tuple[str, ...]:
    """Validate what goes back to the client as an error redirect; returns the scopes to show."""
    if params.get("response_type") != "code":
        raise _RedirectError(
            "unsupported_response_type", 70005, "The response_type is not supported: use 'code'."
        )
    if params.get("response_mode", "query") not in ("query", "form_post"):
        raise _RedirectError("invalid_request", 900144, "The response_mode must be 'query' or 'form_post'.")
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
        raise _RedirectError("invalid_request", 501491, "The code_challenge_method must be S256.")
    try:
        grants.resolve_scope(idp, params.get("scope"), app_only=False)
        ca.parse_claims(params.get("claims"))
    except OAuthError as problem:
        raise _RedirectError(problem.error, problem.code, problem.description) from None
    return tuple(params.get("scope", "").split())


def _submit(idp: LocalIdentityProvider, request: Request) -> Reply:
    form = request.form
    with idp.state.lock:
        pending = idp.state.sign_ins.get(form["request_id"])
    if pending is None:
        return html_reply(
            400, pages.error_page(90010, "The sign-in request has expired or was already used.")
        )
    params = pending.params
    if form.get("action") == "cancel":
        failure = _RedirectError(
            "access_denied", 65004, "User declined to consent to access the app.", "cancel"
        )
        fields = _error_fields(failure, params)
    else:
        user = idp.directory.user
        password_ok = hmac.compare_digest(form.get("password", "").encode(), user.password.encode())
        if form.get("username", "").strip().lower() != user.username or not password_ok:
            return _sign_in(idp, form["request_id"], error=_BAD_PASSWORD)
        fields = _success_fields(idp, params)
    with idp.state.lock:
        idp.state.sign_ins.pop(form["request_id"], None)
    reply = _respond(params, fields)
    if "code" in fields:  # the browser now has a session: a later prompt=none succeeds without the page
        session = secrets.token_urlsafe(24)
        with idp.state.lock:
            idp.state.sessions.add(session)
        idp.state.remember(session)
        reply.headers.append(("Set-Cookie", f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"))
    return reply


SESSION_COOKIE = "nbauth_idp_session"


def _has_session(idp: LocalIdentityProvider, request: Request) -> bool:
    cookies = SimpleCookie()
    try:
        cookies.load(request.headers.get("Cookie", ""))
    except CookieError:
        return False
    morsel = cookies.get(SESSION_COOKIE)
    with idp.state.lock:
        return morsel is not None and morsel.value in idp.state.sessions


_BAD_PASSWORD = "AADSTS50126: Error validating credentials due to invalid username or password."  # noqa: S105 (a message)


def _sign_in(idp: LocalIdentityProvider, request_id: str, *, error: str | None) -> Reply:
    pending = idp.state.sign_ins[request_id]
    html = pages.sign_in_page(
        action=f"{idp.authority}/oauth2/v2.0/authorize",
        request_id=request_id,
        client_name=pending.client_name,
        scopes=pending.scopes,
        login_hint=pending.params.get("login_hint", ""),
        error=error,
    )
    return html_reply(200, html)


def _success_fields(idp: LocalIdentityProvider, params: dict[str, str]) -> dict[str, str]:
    code = new_code()
    record = AuthCodeRecord(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        scope=params.get("scope", ""),
        nonce=params.get("nonce"),
        code_challenge=params.get("code_challenge") or None,
        claims=params.get("claims") or None,
        expires_at=idp.clock() + idp.code_lifetime,
    )
    with idp.state.lock:
        idp.state.codes[code] = record
    idp.state.remember(code)
    fields = {"code": code}
    if params.get("client_info") == "1":
        fields["client_info"] = client_info(idp.directory.user, idp.tenant_id)
    if "state" in params:
        fields["state"] = params["state"]
    fields["session_state"] = str(uuid.uuid5(uuid.NAMESPACE_URL, idp.directory.user.oid))
    return fields


def _error_fields(failure: _RedirectError, params: dict[str, str]) -> dict[str, str]:
    fields = {"error": failure.error, "error_description": f"AADSTS{failure.code}: {failure.description}"}
    if failure.subcode:
        fields["error_subcode"] = failure.subcode
    if "state" in params:
        fields["state"] = params["state"]
    return fields


def _respond(params: dict[str, str], fields: dict[str, str]) -> Reply:
    if params.get("response_mode") == "form_post":
        return html_reply(200, pages.form_post_page(params["redirect_uri"], fields))
    return redirect(params["redirect_uri"], fields)
