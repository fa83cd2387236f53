"""The throttle countdown: what the provider refused, how long nbauth keeps replaying it, and Try again.

Bound to one throttle-cache entry (``nbauth.core.throttle.ThrottleEntry``). It ticks once a second on the
kernel's asyncio loop (``loop.call_later``: no thread, the kernel stays free) and re-reads the cache on every
tick, so the remaining time is always the entry's true ``expires_at`` (re-running the cell, or a kernel
restart with the persisted ``SQLiteHttpCache``, resumes where it was), and clearing the entry (``%nbauth``)
shows at once.

States: waiting -> ready (window over) | cleared (entry removed early) -> retrying -> done | failed;
a retry that is throttled again binds to the new entry and goes back to waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from nbauth.notebook.render import error_html
from nbauth.notebook.widgets._common import (
    PendingResult,
    Ticker,
    duration,
    esc,
    log,
    running_loop,
)


def _entries(http_cache: MutableMapping[str, Any], now: float) -> list[Any]:
    from nbauth.core.throttle import throttle_entries

    return throttle_entries(http_cache, now=now)


class ThrottleCountdown(widgets.VBox):
    """A live countdown for a throttle-cache entry; ``retry`` repeats the acquisition once the window ends."""

    status = Unicode("waiting", help="waiting, ready, cleared, retrying, done, failed")

    def __init__(
        self,
        entry: Any,
        http_cache: MutableMapping[str, Any],
        *,
        retry: Callable[[], dict] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.entry, self._cache, self._retry, self._clock = entry, http_cache, retry, clock
        self.result = PendingResult()
        self.last_result: dict | None = None
        self._what = widgets.HTML(self._what_html())
        self._remaining = widgets.HTML("")
        self._outcome = widgets.HTML("")
        self._button = widgets.Button(description="Try again", icon="refresh", disabled=True)
        self._button.on_click(lambda _b: self.try_again())
        self._button.layout.display = None if retry is not None else "none"
        super().__init__(children=[self._what, self._remaining, self._button, self._outcome])
        self._ticker = Ticker(self.tick, running_loop())
        if self.tick():
            self._ticker.start()

    def _what_html(self) -> str:
        entry = self.entry
        error = entry.error or {}
        said = esc(error.get("error", "an error"))
        if error.get("error_description"):
            said += f": {esc(str(error['error_description']).splitlines()[0][:200])}"
        scopes = esc(" ".join(entry.scopes)) or "(none)"
        return (
            f"<div class='nbauth-throttle'><b>Throttled</b>: the {esc(entry.endpoint)} request "
            f"(<code>{esc(entry.method)} {esc(entry.url)}</code>) "
            f"for client <code>{esc(entry.client_id)}</code>, "
            f"scopes <code>{scopes}</code>, got HTTP {esc(entry.status)} ({said}). "
            "nbauth replays that answer without asking the provider again until the window ends.</div>"
        )

    def remaining(self) -> float | None:
        """Seconds left on the entry as the cache holds it now; None when it is no longer there."""
        now = self._clock()
        for live in _entries(self._cache, now):
            if live.key == self.entry.key:
                self.entry = live
                return max(0.0, live.expires_at - now)
        return None

    def tick(self) -> bool:
        """Re-read the cache and update the view; False once nothing is left to count down."""
        if self.status not in ("waiting", "ready", "cleared"):
            return False
        left = self.remaining()
        if left is not None and left > 0:
            self.status = "waiting"
            seconds = int(left + 0.999)
            self._remaining.value = (
                f"Try again in <b class='nbauth-seconds'>{seconds}</b> s ({duration(left)})"
            )
            self._button.disabled = True
            return True
        self.status = "ready" if left is not None or self.entry.expires_at <= self._clock() else "cleared"
        self._remaining.value = (
            "The window has ended: you can try again."
            if self.status == "ready"
            else "The throttle entry was cleared: you can try again."
        )
        self._button.disabled = self._retry is None
        return False

    def try_again(self) -> None:
        """Repeat the acquisition (in a background thread, so the kernel stays free)."""
        if self._retry is None or self.status not in ("ready", "cleared", "failed"):
            return
        self.status = "retrying"
        self._button.disabled = True
        self._remaining.value = "Trying again…"
        self._outcome.value = ""
        threading.Thread(target=self._run_retry, name="nbauth-throttle-retry", daemon=True).start()

    def _run_retry(self) -> None:
        assert self._retry is not None
        try:
            result = dict(self._retry())
        except Exception as exc:
            log.exception("the retry of a throttled request failed")
            result = {"error": "client_error", "error_description": type(exc).__name__}
        self._show_outcome(result)

    def _show_outcome(self, result: dict) -> None:
        self.last_result = result
        again = self._new_entry_for(result)
        if again is not None:  # throttled again: count down the new window
            self.entry = again
            self._what.value = self._what_html()
            self.status = "waiting"
            if self.tick():
                self._ticker.start()
            return
        if "access_token" in result:
            self.status = "done"
            self._remaining.value = ""
            self._outcome.value = "<div style='color:#1a7f37'>Succeeded: a token was issued.</div>"
        else:
            self.status = "failed"
            self._remaining.value = ""
            self._outcome.value = error_html(result)
            self._button.disabled = (
                False  # another attempt is allowed: the provider did not throttle this one
            )
        self.result.set(result)

    def _new_entry_for(self, result: dict) -> Any | None:
        if "error" not in result:
            return None
        old = self.entry
        same = [
            e for e in _entries(self._cache, self._clock())
            if (e.url, e.client_id, e.scopes) == (old.url, old.client_id, old.scopes)
        ]  # fmt: skip
        return same[0] if same else None

    def text(self) -> str:
        entry = self.entry
        line = f"Throttled: {entry.method} {entry.url} (client {entry.client_id}) got HTTP {entry.status}"
        if self.status == "waiting":
            left = max(0.0, entry.expires_at - self._clock())
            return f"{line}; try again in {int(left + 0.999)} s"
        return f"{line}; {self.status}"

    def __repr__(self) -> str:
        return f"<ThrottleCountdown {self.entry.endpoint} status={self.status!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text()
        return bundle
