"""A live countdown to an access token's expiry, shown under ``%token``'s success view in a live front end.

It ticks once a second on the kernel's asyncio loop (``loop.call_later`` through :class:`Ticker`: no thread)
and stops once the token has expired. Its state holds an expiry time and a label, never the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from nbauth.notebook.widgets._common import Ticker, duration, running_loop


class TokenExpiryCountdown(widgets.HTML):
    """``The access token expires in 59:58``, counting down; ``status`` is ``valid`` or ``expired``."""

    status = Unicode("valid", help="valid, expired")

    def __init__(self, expires_at: float, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.expires_at, self._clock = float(expires_at), clock
        self._ticker = Ticker(self.tick, running_loop())
        if self.tick():
            self._ticker.start()

    def remaining(self) -> float:
        return self.expires_at - self._clock()

    def tick(self) -> bool:
        """Update the text; False once the token has expired (the ticker then stops)."""
        left = self.remaining()
        if left > 0:
            self.status = "valid"
            self.value = (
                "<span class='nbauth-expiry'>The access token expires in "
                f"<b class='nbauth-seconds'>{duration(left)}</b></span>"
            )
            return True
        self.status = "expired"
        self.value = (
            "<span class='nbauth-expiry' style='color:#cf222e'>The access token has expired: "
            "run %token again for a fresh one.</span>"
        )
        return False

    def text(self) -> str:
        left = self.remaining()
        return f"The access token expires in {duration(left)}" if left > 0 else "The access token has expired"

    def __repr__(self) -> str:
        return f"<TokenExpiryCountdown status={self.status!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text()
        return bundle


class TokenView(widgets.VBox):
    """``%token``'s success view in a live front end: the (static, escaped, masked) table and the countdown.

    ``table_html`` is built by the caller (:func:`nbauth.notebook.render.token_html`); it holds no secret.
    """

    def __init__(self, table_html: str, expires_at: float, *, clock: Callable[[], float] = time.time) -> None:
        self.countdown = TokenExpiryCountdown(expires_at, clock=clock)
        super().__init__(children=[widgets.HTML(table_html), self.countdown])

    def __repr__(self) -> str:
        return f"<TokenView {self.countdown.text()}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.countdown.text()
        return bundle
