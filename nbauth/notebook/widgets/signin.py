"""The interactive sign-in widget: device code, browser (auth code + PKCE, loopback) and paste-back flows.

A small state machine with Python-side triggers (``start()``, ``cancel()``, ``submit_redirect()``,
``sign_out()``, or clicking its buttons), so it is tested without a browser. It makes no HTTP call itself: it
drives an application object that keeps MSAL's API, in a background thread so the kernel stays free.

States: idle -> starting -> waiting -> signed_in | failed | cancelled | expired; signed_in -> signed_out.
The device code, auth code and tokens live only in Python variables of the worker; the user code is in the
widget's HTML only while it is needed and is removed when the flow ends, so saved notebooks don't hold it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ipywidgets as widgets
from traitlets import Unicode

from nbauth.notebook.render import error_html
from nbauth.notebook.widgets import _signin_views as views
from nbauth.notebook.widgets._common import PendingResult, Ticker, error_text, log, running_loop

FLOWS = ("device_code", "browser", "paste")
ENDED = ("signed_in", "failed", "cancelled", "expired", "signed_out")
_PENDING = {"authorization_pending", "slow_down"}
_EXPIRED = {"expired_token", "code_expired"}


def _cancelled_result() -> dict:
    return {"error": "authentication_cancelled", "error_description": "The sign-in was cancelled."}


def _expired_result() -> dict:
    return {
        "error": "expired_token",
        "error_description": "The code expired before the sign-in was completed.",
    }


class SignInWidget(widgets.VBox):
    """Sign in with ``app`` for ``scopes``; ``await widget`` or ``widget.wait()`` gives the result."""

    status = Unicode(
        "idle", help="idle, starting, waiting, signed_in, failed, cancelled, expired, signed_out"
    )

    def __init__(
        self,
        app: Any,
        scopes: Sequence[str],
        *,
        flow: str = "device_code",
        account: Mapping[str, Any] | None = None,
        claims_challenge: str | None = None,
        clock: Callable[[], float] = time.time,
        redirect_uri: str = "http://localhost",
        timeout: float | None = 600,
        autostart: bool = True,
        on_result: Callable[[dict], None] | None = None,
    ) -> None:
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {', '.join(FLOWS)}, not {flow!r}")
        if isinstance(scopes, str):
            raise ValueError("scopes must be a list of strings, not a string")
        self._app, self._scopes, self.flow = app, list(scopes), flow
        self._account, self._claims, self._clock = account, claims_challenge, clock
        self._redirect_uri, self._timeout, self._on_result = redirect_uri, timeout, on_result
        self._lock = threading.Lock()
        self._attempt = 0
        self._cancel_event = threading.Event()
        self._deadline: float | None = None  # device code expiry, or token expiry once signed in
        self._auth_code_flow: dict | None = None  # PKCE verifier and state: Python-only
        self._facts: dict[str, str] = {}
        self._last_error: dict | None = None
        self._blocking_wait = False
        self._thread: threading.Thread | None = None
        self.result = PendingResult()
        self._ticker = Ticker(self._tick, running_loop())
        self._build_children()
        super().__init__(children=[self._title, self._body, self._countdown, self._note, self._buttons])
        self._render()
        if autostart and flow != "browser":
            self.start()

    # ----- children -------------------------------------------------------------------------------------
    def _build_children(self) -> None:
        self._title = widgets.HTML(f"<b>Sign in</b> for {views.esc(' '.join(self._scopes))}")
        self._body = widgets.HTML("")
        self._countdown = widgets.HTML("")
        self._note = widgets.HTML("")
        self.paste_box = widgets.Password(placeholder="paste the whole redirect address here")
        self._start_button = widgets.Button(description=self._start_label(), button_style="primary")
        self._cancel_button = widgets.Button(description="Cancel", icon="times")
        self._submit_button = widgets.Button(description="Submit", button_style="primary")
        self._sign_out_button = widgets.Button(description="Sign out", icon="sign-out")
        self._start_button.on_click(lambda _b: self.start())
        self._cancel_button.on_click(lambda _b: self.cancel())
        self._submit_button.on_click(lambda _b: self.submit_redirect(self.paste_box.value))
        self._sign_out_button.on_click(lambda _b: self.sign_out())
        self._buttons = widgets.HBox([])

    def _start_label(self) -> str:
        return {"browser": "Sign in with the browser", "paste": "Sign in", "device_code": "Sign in"}[
            self.flow
        ]

    # ----- triggers ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Begin (or begin again) the sign-in; the work runs in a background thread."""
        with self._lock:
            if self.status in ("starting", "waiting"):
                return
            self._attempt += 1
            attempt = self._attempt
            self._cancel_event = threading.Event()
            if self.result.done():
                self.result = PendingResult()
            self._set_status("starting")
        worker = {
            "device_code": self._device_worker,
            "browser": self._browser_worker,
            "paste": self._paste_start,
        }
        self._run(worker[self.flow], attempt)

    def cancel(self) -> None:
        """Stop the sign-in: the device-code polling ends within a second; the result is a cancelled error."""
        with self._lock:
            if self.status not in ("starting", "waiting"):
                return
            self._cancel_event.set()
            self._attempt += 1  # whatever the worker still returns is stale now
        self._end("cancelled", _cancelled_result())

    def submit_redirect(self, redirect_url: str) -> None:
        """Paste-back: redeem the code in the address the sign-in page redirected to."""
        self.paste_box.value = ""  # the pasted address holds the auth code: never keep it in widget state
        with self._lock:
            flow, attempt = self._auth_code_flow, self._attempt
            if self.flow != "paste" or self.status != "waiting" or flow is None:
                return
            self._auth_code_flow = None  # an auth code is single-use
            self._set_status("starting")
        self._run(self._paste_finish, attempt, flow, _auth_response(redirect_url))

    def sign_out(self) -> None:
        """Remove the signed-in account (tokens included) from the application's token cache."""
        if self.status != "signed_in":
            return
        username = self._facts.get("account")
        for account in list(self._app.get_accounts(username=username) or []):
            self._app.remove_account(account)
        self._end("signed_out", None)

    def wait(self, timeout: float | None = None) -> dict | None:
        """Block until the sign-in ends (None after ``timeout`` s); a kernel interrupt cancels it."""
        from nbauth.notebook.waiting import clicks_reach_blocking_wait, wait_until

        self._blocking_wait = not clicks_reach_blocking_wait()
        self._render()
        try:
            finished = wait_until(self.result.done, timeout, on_tick=self._ticker.tick)
        except KeyboardInterrupt:
            self.cancel()
            raise
        finally:
            self._blocking_wait = False
            self._render()
        return self.result.get() if finished else None

    def __await__(self):
        return self.result.__await__()

    # ----- workers (background thread) ------------------------------------------------------------------
    def _run(self, fn: Callable[..., None], *args: Any) -> None:
        def guarded() -> None:
            try:
                fn(*args)
            except Exception as exc:  # a bug or misuse in the app: show it instead of hanging in "waiting"
                log.exception("sign-in worker failed")
                self._finish(args[0], {"error": "client_error", "error_description": f"{type(exc).__name__}"})

        self._thread = threading.Thread(target=guarded, name="nbauth-sign-in", daemon=True)
        self._thread.start()

    def _device_worker(self, attempt: int) -> None:
        flow = self._app.initiate_device_flow(scopes=self._scopes, claims_challenge=self._claims)
        if "user_code" not in flow:
            self._finish(attempt, flow)
            return
        expires_at = float(flow.get("expires_at") or self._clock() + float(flow.get("expires_in", 900)))
        with self._lock:
            if attempt != self._attempt:
                return
            self._deadline = expires_at
            self._body.value = views.device_code_html(
                str(flow.get("verification_uri", "")), flow["user_code"]
            )
            self._set_status("waiting")
        result = self._app.acquire_token_by_device_flow(
            flow, claims_challenge=self._claims, exit_condition=lambda _flow: self._should_stop(attempt)
        )
        if result.get("error") in _PENDING and self._clock() >= expires_at:
            result = _expired_result()
        self._finish(attempt, result)

    def _should_stop(self, attempt: int) -> bool:
        stale = attempt != self._attempt or self._cancel_event.is_set()
        return stale or (self._deadline is not None and self._clock() >= self._deadline)

    def _browser_worker(self, attempt: int) -> None:
        with self._lock:
            if attempt == self._attempt:
                self._body.value = views.browser_waiting_html()
                self._set_status("waiting")
        result = self._app.acquire_token_interactive(
            self._scopes, login_hint=self._login_hint(), claims_challenge=self._claims, timeout=self._timeout
        )
        self._finish(attempt, result)

    def _paste_start(self, attempt: int) -> None:
        flow = self._app.initiate_auth_code_flow(
            self._scopes, redirect_uri=self._redirect_uri, login_hint=self._login_hint(),
            claims_challenge=self._claims,
        )  # fmt: skip
        if "auth_uri" not in flow:
            self._finish(attempt, flow)
            return
        with self._lock:
            if attempt != self._attempt:
                return
            self._auth_code_flow = flow
            self._body.value = views.paste_html(flow["auth_uri"])
            self._set_status("waiting")

    def _paste_finish(self, attempt: int, flow: dict, auth_response: dict) -> None:
        try:
            result = self._app.acquire_token_by_auth_code_flow(flow, auth_response)
        except ValueError:
            result = {
                "error": "invalid_redirect",
                "error_description": "The pasted address belongs to another sign-in (its state differs). "
                "Start again and paste the address from the same attempt.",
            }
        self._finish(attempt, result)

    def _login_hint(self) -> str | None:
        return (self._account or {}).get("username")

    # ----- outcomes -------------------------------------------------------------------------------------
    def _finish(self, attempt: int, result: Mapping[str, Any] | None) -> None:
        if attempt != self._attempt:
            return
        result = dict(result or {"error": "no_result", "error_description": "The sign-in returned nothing."})
        if "access_token" in result:
            self._facts = views.signed_in_facts(result, self._scopes)
            self._deadline = self._clock() + float(result.get("expires_in", 0) or 0)
            self._end("signed_in", result)
        elif result.get("error") in _EXPIRED:
            self._end("expired", result)
        else:
            self._last_error = result
            self._end("failed", result)

    def _end(self, status: str, result: dict | None) -> None:
        with self._lock:
            self._auth_code_flow = None
            self._body.value = ""  # drops the user code and links: nothing of the flow stays in widget state
            self._set_status(status)
        if result is not None and self.result.set(result) and self._on_result is not None:
            try:
                self._on_result(self.result.get())
            except Exception:
                log.exception("on_result callback failed")

    def _set_status(self, status: str) -> None:
        self.status = status
        self._render()
        if status in ("waiting", "signed_in"):
            self._ticker.start()

    # ----- rendering ------------------------------------------------------------------------------------
    def _render(self) -> None:
        status = self.status
        if status == "signed_in":
            self._body.value = views.signed_in_html(self._facts)
        elif status == "failed":
            self._body.value = views.status_html("error", "Sign-in failed") + error_html(
                self._last_error or {}
            )
        elif status in ("idle", "starting", "cancelled", "expired", "signed_out"):
            self._body.value = views.status_html(*_STATUS_LINES[status])
        self._note.value = views.sync_wait_note_html() if self._blocking_wait and status == "waiting" else ""
        self._buttons.children = self._buttons_for(status)
        self._tick()

    def _buttons_for(self, status: str) -> list[widgets.Widget]:
        if status == "waiting":
            extra = [self.paste_box, self._submit_button] if self.flow == "paste" else []
            return [*extra, self._cancel_button]
        if status == "starting":
            return [self._cancel_button]
        if status == "signed_in":
            return [self._sign_out_button]
        self._start_button.description = self._start_label() if status == "idle" else "Start again"
        return [self._start_button]

    def _tick(self) -> bool:
        remaining = None if self._deadline is None else self._deadline - self._clock()
        if self.status == "waiting" and self.flow == "device_code" and remaining is not None:
            self._countdown.value = views.countdown_html("The code expires in", remaining)
            return True
        if self.status == "signed_in" and remaining is not None:
            label = (
                "The access token expires in"
                if remaining > 0
                else "The access token has expired; sign in again."
            )
            self._countdown.value = views.countdown_html(label, remaining) if remaining > 0 else label
            return remaining > 0
        self._countdown.value = ""
        return self.status in ("waiting", "starting")

    # ----- text fallbacks ---------------------------------------------------------------------------------
    def text(self) -> str:
        """A plain-text description of the current state (terminals, nbconvert); never the user code."""
        flow, status = self.flow.replace("_", " "), self.status.replace("_", " ")
        line = f"Sign-in ({flow}) for {' '.join(self._scopes)}: {status}"
        if self.status == "signed_in":
            line += f" as {self._facts.get('account')} (tenant {self._facts.get('tenant')})"
        elif self.status == "failed" and self._last_error:
            line += f" - {error_text(self._last_error)}"
        elif self.status == "waiting":
            line += " - follow the steps in the widget (a live Jupyter front end is needed)"
        return line

    def __repr__(self) -> str:
        return f"<SignInWidget flow={self.flow!r} status={self.status!r} scopes={self._scopes!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text()
        return bundle


_STATUS_LINES = {
    "idle": ("info", "Not signed in yet."),
    "starting": ("info", "Contacting the sign-in service…"),
    "cancelled": ("warn", "Sign-in cancelled."),
    "expired": ("warn", "The code expired before the sign-in was completed."),
    "signed_out": ("info", "Signed out: the account's tokens were removed from the cache."),
}


def _auth_response(redirect_url: str) -> dict[str, str]:
    """The query (or fragment) parameters of a pasted redirect address, or a bare ``code=...&state=...``."""
    text = redirect_url.strip()
    parts = urlsplit(text)
    query = parts.query or parts.fragment or (text if "=" in text and "://" not in text else "")
    return dict(parse_qsl(query.lstrip("?#")))
