"""How ``%token`` gets a token: silently first, then by the chosen flow, never hanging a batch run.

Works with any object keeping MSAL's API (nbauth's applications, ``msal.PublicClientApplication``): only
MSAL's public methods are called and every outcome is a dict.

1. Client credentials (confidential app, flow ``auto``/``client_credentials``): ``acquire_token_for_client``.
2. Silent: the account (``--account`` or the only signed-in one) through ``acquire_token_silent_with_error``.
   A transient failure (network, 5xx, throttled) is returned as is: a person can't fix it by signing in.
   A claims challenge the refresh came back with is carried into the interactive step.
3. Interactive, only when a person can answer (:mod:`nbauth.notebook.frontend`) or ``--wait`` bounds the wait:
   the sign-in widget, the device code (text fallback), the browser, or paste-back of the redirect URL.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from IPython.core.error import UsageError

from nbauth.notebook import render
from nbauth.notebook.frontend import Frontend
from nbauth.notebook.profiles import Request

TRANSIENT = {"network_error", "server_error", "temporarily_unavailable", "invalid_response"}
PENDING = {"authorization_pending", "slow_down"}


@dataclass
class Ui:
    """How flows reach the person: display (updatable), ask (stdin), and the clock."""

    show: Callable[[Any], Any]  # returns a handle with .update(obj)
    clock: Callable[[], float]
    ask: Callable[[str], str] = lambda prompt: getpass.getpass(prompt)  # looked up late: ipykernel patches it
    wait_timeout: float = 300.0
    on_result: Callable[[dict[str, Any]], None] | None = None  # where a widget delivers its result


def is_confidential(app: Any) -> bool:
    flag = getattr(app, "is_confidential", None)
    if isinstance(flag, bool):
        return flag
    return callable(getattr(app, "acquire_token_for_client", None))  # MSAL's confidential client has it


def choose_flow(app: Any, flow: str, frontend: Frontend) -> str:
    if flow == "client_credentials" and not is_confidential(app):
        raise UsageError(
            "flow client_credentials needs a confidential client: set the environment variable named by "
            "NbAuth.client_secret_env (AZURE_CLIENT_SECRET by default)"
        )
    if flow != "auto":
        return flow
    if is_confidential(app):
        return "client_credentials"
    return "device_code"  # works everywhere, remote kernels included


def error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


def acquire(app: Any, request: Request, frontend: Frontend, ui: Ui) -> Any:
    """A result dict, or (widget flow) the sign-in widget that will deliver one."""
    flow = choose_flow(app, request.flow, frontend)
    if flow == "client_credentials":
        return client_credentials(app, request)
    result = silent(app, request)
    if result is not None and ("access_token" in result or result.get("error") in TRANSIENT):
        return result
    if result is not None and result.get("claims") and not request.claims_challenge:
        request.claims_challenge = str(result["claims"])  # the refresh was refused for want of these claims
    if not frontend.interactive and request.wait is None:
        return result if result is not None else not_interactive(flow, frontend)
    if frontend.widgets and flow in WIDGET_FLOWS:
        flow = "widget"
    return INTERACTIVE[flow](app, request, frontend, ui)


def not_interactive(flow: str, frontend: Frontend) -> dict[str, Any]:
    return error(
        "interaction_required",
        f"Signing in needs a person ({flow.replace('_', ' ')} flow), and this kernel has no interactive "
        f"front end ({frontend.reason}). Sign in once in an interactive notebook (the token cache is "
        "persisted), use a confidential client (client_secret_env), or run %token --wait --timeout SECONDS "
        "to poll a device code sign-in for at most that long.",
    )


def pick_account(app: Any, username: str | None) -> Mapping[str, Any] | None:
    accounts = list(app.get_accounts(username=username) if username else app.get_accounts())
    if len(accounts) > 1 and not username:
        names = ", ".join(sorted(str(a.get("username")) for a in accounts))
        raise UsageError(f"several accounts are signed in ({names}); choose one with --account USERNAME")
    return accounts[0] if accounts else None


def silent(app: Any, request: Request) -> dict[str, Any] | None:
    account = pick_account(app, request.account)
    if account is None:
        return None
    call = getattr(app, "acquire_token_silent_with_error", None) or app.acquire_token_silent
    return call(
        request.scopes,
        account,
        claims_challenge=request.claims_challenge,
        force_refresh=request.force_refresh,
    )


def client_credentials(app: Any, request: Request) -> dict[str, Any]:
    if request.force_refresh:
        forget_app_tokens(app, request.scopes)
    return app.acquire_token_for_client(request.scopes, claims_challenge=request.claims_challenge)


def forget_app_tokens(app: Any, scopes: list[str]) -> int:
    """Drop the app's own cached access tokens for these scopes, so the next call goes to the provider."""
    cache = app.token_cache
    remove = getattr(cache, "remove_access_token", None) or cache.remove_at
    entries = cache.find("AccessToken", target=scopes, query={"client_id": app.client_id})
    own = [e for e in entries if not e.get("home_account_id")]
    for entry in own:
        remove(entry)
    return len(own)


def timeout_of(request: Request, ui: Ui) -> float:
    return request.wait if request.wait is not None else ui.wait_timeout


def device_code(app: Any, request: Request, frontend: Frontend, ui: Ui) -> dict[str, Any]:
    flow = app.initiate_device_flow(scopes=request.scopes, claims_challenge=request.claims_challenge)
    if "user_code" not in flow:
        return flow  # an error dict (nbauth) or MSAL's error-shaped flow
    handle = ui.show(render.device_code_view(flow))
    deadline = ui.clock() + timeout_of(request, ui)
    result: dict[str, Any] = error("cancelled", "The sign-in was interrupted.")
    try:
        result = app.acquire_token_by_device_flow(
            flow, claims_challenge=request.claims_challenge, exit_condition=lambda f: _ended(f, deadline, ui)
        )
        if result.get("error") in PENDING:
            result = error("timed_out", f"No sign-in within {timeout_of(request, ui):g} s; run %token again.")
    finally:
        handle.update(render.progress_outcome_view(result))  # the user code must not stay in the saved output
    return result


def _ended(flow: Mapping[str, Any], deadline: float, ui: Ui) -> bool:
    now = ui.clock()
    return now >= deadline or now >= float(flow.get("expires_at", deadline))


def browser(app: Any, request: Request, frontend: Frontend, ui: Ui) -> dict[str, Any]:
    handle = ui.show(
        render.view_rows("Sign in in your browser", [("status", "waiting for the sign-in")], "nbauth-link")
    )
    result: dict[str, Any] = error("cancelled", "The sign-in was interrupted.")
    try:
        result = app.acquire_token_interactive(
            request.scopes,
            prompt="select_account",
            login_hint=request.account,
            claims_challenge=request.claims_challenge,
            timeout=timeout_of(request, ui),
        )
    finally:
        handle.update(render.progress_outcome_view(result))
    return result


def paste(app: Any, request: Request, frontend: Frontend, ui: Ui) -> dict[str, Any]:
    if not frontend.stdin:
        return error(
            "interaction_required",
            "The paste flow reads the redirect address from stdin, which this kernel's front end does not "
            "allow; use the device code flow (--flow device_code).",
        )
    flow = app.initiate_auth_code_flow(
        request.scopes, redirect_uri=request.redirect_uri, login_hint=request.account,
        claims_challenge=request.claims_challenge,
    )  # fmt: skip
    handle = ui.show(render.auth_link_view(flow["auth_uri"], paste=True))
    result: dict[str, Any] = error("cancelled", "The sign-in was interrupted.")
    try:
        # getpass, not input(): the pasted address holds the authorization code and must not be echoed.
        answer = ui.ask("Paste the address your browser ended on (it is not shown): ")
        result = redeem(app, flow, answer)
    finally:
        handle.update(render.progress_outcome_view(result))
    return result


def redeem(app: Any, flow: Mapping[str, Any], answer: str) -> dict[str, Any]:
    parts = urlsplit(answer.strip())
    params = {k: v[0] for k, v in parse_qs(parts.query or parts.fragment).items()}
    if not params:
        return error("invalid_request", "That was not the redirect address (it has no query parameters).")
    try:
        return app.acquire_token_by_auth_code_flow(flow, params)
    except ValueError:  # a state mismatch: the pasted address belongs to another sign-in
        return error(
            "invalid_request", "The pasted address does not belong to this sign-in (state mismatch)."
        )


def widget(app: Any, request: Request, frontend: Frontend, ui: Ui) -> Any:
    """Hand the sign-in to the ``SignInWidget``: it runs in the background and is returned for display.

    With ``--wait`` the cell blocks until it ends (the widget's own wait keeps countdowns ticking).
    """
    from nbauth.notebook.widgets import SignInWidget

    flow = request.flow if request.flow in WIDGET_FLOWS else "device_code"
    account = pick_account(app, request.account) if request.account else None
    signin = SignInWidget(
        app, request.scopes, flow=flow, account=account, claims_challenge=request.claims_challenge,
        redirect_uri=request.redirect_uri, timeout=timeout_of(request, ui), on_result=ui.on_result,
    )  # fmt: skip
    if request.wait is None:
        return signin
    ui.show(signin)
    result = signin.wait(request.wait)
    return result if result is not None else error("timed_out", f"No sign-in within {request.wait:g} s.")


WIDGET_FLOWS = ("device_code", "browser", "paste")

INTERACTIVE: dict[str, Callable[[Any, Request, Frontend, Ui], Any]] = {
    "device_code": device_code,
    "browser": browser,
    "paste": paste,
    "widget": widget,
}
