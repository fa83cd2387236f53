"""The device authorization endpoint (RFC 8628, Entra's reply shape) and the verification page."""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

from nbauth.testing import conditional_access as ca
from nbauth.testing import grants, pages
from nbauth.testing.messages import Reply, Request, html_reply, json_reply
from nbauth.testing.state import DeviceRecord, new_user_code, normalize_user_code
from nbauth.testing.tokens import new_code

if TYPE_CHECKING:
    from nbauth.testing.provider import LocalIdentityProvider


def devicecode_endpoint(idp: LocalIdentityProvider, request: Request, tenant: str) -> Reply:
    client = grants.authenticate_client(idp, request)
    scope = request.form.get("scope", "")
    grants.resolve_scope(idp, scope, app_only=False)  # refuse bad scopes now, as Entra does
    claims = request.form.get("claims")
    ca.parse_claims(claims)
    device_code, user_code = new_code("DAQABAAEAAAD"), new_user_code()
    delay = idp.auto_approve
    record = DeviceRecord(
        user_code=user_code,
        client_id=client.client_id,
        scope=scope,
        claims=claims,
        expires_at=idp.clock() + idp.device_code_lifetime,
        interval=idp.device_code_interval,
        auto_approve_at=None if delay is None else time.monotonic() + delay,
        status="approved" if delay is not None and delay <= 0 else "pending",
    )
    with idp.state.lock:
        idp.state.devices[device_code] = record
    idp.state.remember(device_code)
    uri = idp.device_verification_uri
    return json_reply(
        200,
        {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": uri,
            "expires_in": int(idp.device_code_lifetime),
            "interval": int(idp.device_code_interval),
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code {user_code} "
            "to authenticate.",
        },
    )


def verification_page(idp: LocalIdentityProvider, request: Request) -> Reply:
    """``/devicelogin``: type the code, then sign in and approve or decline (field names in pages.py)."""
    action = idp.device_verification_uri
    if request.method == "GET":
        return html_reply(
            200, pages.device_code_page(action=action, error=None, user_code=request.query.get("otc", ""))
        )
    user_code = normalize_user_code(request.form.get("user_code", ""))
    with idp.state.lock:
        found = idp.state.device_by_user_code(user_code) if user_code else None
        record = found[1] if found else None
        if record is None or record.status != "pending" or idp.clock() >= record.expires_at:
            error = (
                "That code didn't work. Check the code and try again."
                if record is None or record.status != ("pending")
                else "That code has expired. Go back to your device and start over."
            )
            return html_reply(200, pages.device_code_page(action=action, error=error, user_code=user_code))
        choice = request.form.get("action")
        if choice is None:
            return _consent(idp, record, error=None)
        if choice == "decline":
            record.status = "declined"
            return _done(idp, record, approved=False)
        if not _credentials_ok(idp, request.form):
            return _consent(idp, record, error=_BAD_PASSWORD)
        record.status = "approved"
        return _done(idp, record, approved=True)


_BAD_PASSWORD = "AADSTS50126: Error validating credentials due to invalid username or password."  # noqa: S105 (a message)


def _credentials_ok(idp: LocalIdentityProvider, form: dict[str, str]) -> bool:
    user = idp.directory.user
    password_ok = hmac.compare_digest(form.get("password", "").encode(), user.password.encode())
    return form.get("username", "").strip().lower() == user.username and password_ok


def _client_name(idp: LocalIdentityProvider, record: DeviceRecord) -> str:
    client = idp.directory.clients.get(record.client_id)
    return client.name if client else record.client_id


def _consent(idp: LocalIdentityProvider, record: DeviceRecord, *, error: str | None) -> Reply:
    html = pages.device_consent_page(
        action=idp.device_verification_uri,
        user_code=record.user_code,
        client_name=_client_name(idp, record),
        scopes=record.scope.split(),
        error=error,
    )
    return html_reply(200, html)


def _done(idp: LocalIdentityProvider, record: DeviceRecord, *, approved: bool) -> Reply:
    return html_reply(200, pages.device_done_page(approved=approved, client_name=_client_name(idp, record)))
