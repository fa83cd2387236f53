"""Pieces every nbauth widget shares: a result handle, a once-a-second ticker, escaping and text fallbacks.

Nothing here holds a secret. Widgets keep tokens, device codes and auth codes in plain Python attributes
(or not at all), never in a trait that syncs to the front end: widget state can be saved into the notebook.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("nbauth.widgets")


def esc(value: object) -> str:
    """HTML-escape anything that came from a server or a user."""
    return html.escape(str(value), quote=True)


def mask(token: str | None) -> str:
    """A token shown as its first characters and its length, never the whole."""
    if not token:
        return ""
    return f"{token[:6]}… ({len(token)} chars)"


def duration(seconds: float) -> str:
    """``125`` -> ``"2:05"``; hours when needed. Negative values read as zero."""
    total = max(0, int(seconds + 0.999))  # round up so "0:00" means it really has ended
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's asyncio loop when called from code that it runs (every notebook cell), else None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class PendingResult:
    """The outcome of a widget: a result dict (success or error) once the person has finished.

    ``await handle`` works on any running asyncio loop (the kernel's, in the next cell);
    ``handle.get(timeout)`` blocks a plain thread. It resolves exactly once; later attempts are ignored.
    """

    def __init__(self) -> None:
        self._future: concurrent.futures.Future[dict] = concurrent.futures.Future()

    def done(self) -> bool:
        return self._future.done()

    def get(self, timeout: float | None = None) -> dict:
        return self._future.result(timeout)

    result = get

    def add_done_callback(self, callback: Callable[[dict], None]) -> None:
        self._future.add_done_callback(lambda fut: callback(fut.result()))

    def set(self, result: Mapping[str, Any]) -> bool:
        try:
            self._future.set_result(dict(result))
        except concurrent.futures.InvalidStateError:
            return False
        return True

    def __await__(self):
        return asyncio.wrap_future(self._future).__await__()

    def __repr__(self) -> str:
        if not self.done():
            return "<PendingResult: waiting>"
        outcome = self.get()
        return f"<PendingResult: {'error ' + str(outcome['error']) if 'error' in outcome else 'token'}>"


class Ticker:
    """Calls ``callback`` once a second on the kernel's asyncio loop (``loop.call_later``): no thread.

    Without a loop (plain Python, headless tests) it schedules nothing and the owner calls ``tick()`` itself.
    ``start``/``stop`` may be called from any thread.
    """

    def __init__(
        self,
        callback: Callable[[], bool | None],
        loop: asyncio.AbstractEventLoop | None = None,
        interval: float = 1.0,
    ) -> None:
        self._callback = callback
        self._loop = loop
        self._interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._lock = threading.Lock()
        self.running = False

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self.running = True
        self._call_on_loop(self._schedule)

    def stop(self) -> None:
        with self._lock:
            self.running = False
        self._call_on_loop(self._cancel)

    def tick(self) -> None:
        """Run the callback now; a callback returning False stops the ticker."""
        try:
            keep_going = self._callback()
        except Exception:
            log.exception("widget tick failed; stopping its countdown")
            keep_going = False
        if keep_going is False:
            with self._lock:
                self.running = False

    def _call_on_loop(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if running_loop() is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def _schedule(self) -> None:
        self._cancel()
        if self.running and self._loop is not None:
            self._handle = self._loop.call_later(self._interval, self._fire)

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        if not self.running:
            return
        self.tick()
        self._schedule()


def error_text(result: Mapping[str, Any]) -> str:
    text = str(result.get("error", "error"))
    if result.get("error_description"):
        text += f": {result['error_description']}"
    return text.splitlines()[0] if text else text
