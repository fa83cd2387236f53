"""What ``%token`` and ``%nbauth`` add in a live front end (ipywidgets): views that stay bound to state.

* The success view gets a token-expiry countdown (:func:`attach_token_view`): the result's HTML and text stay
  static (nbconvert, logs), the widget ticks on the kernel's loop.
* An error the throttle cache is replaying (HTTP 429 or 5xx) gets a countdown bound to the very entry
  behind it (:func:`matching_entries`), with Try again repeating the acquisition.
* The session remembers every countdown it displayed, so ``%nbauth throttle clear`` updates them at once
  (:func:`refresh_countdowns`); they also re-read the cache on every tick.

Only imported when widgets are in use, so a batch kernel never loads ipywidgets for these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import Any

from IPython.display import display

from nbauth.notebook import render
from nbauth.notebook.results import TokenResult

Pair = tuple[MutableMapping[str, Any], Any]  # (http cache, ThrottleEntry)


def attach_token_view(result: TokenResult, clock: Callable[[], float]) -> TokenResult:
    """Give ``result`` a live view (table + expiry countdown); without ``expires_in`` it stays static."""
    expires_in = result.get("expires_in")
    if expires_in is None:
        return result
    from nbauth.notebook.widgets.expiry import TokenView

    expires_at = result.received_at + float(expires_in)
    result.live_view = TokenView(render.token_html(result, live=True), expires_at, clock=clock)
    return result


def is_throttle_status(status: Any) -> bool:
    return isinstance(status, int) and (status == 429 or status >= 500)


def matching_entries(
    caches: Iterable[MutableMapping[str, Any] | None],
    result: dict[str, Any],
    *,
    client_id: str | None,
    scopes: Sequence[str],
    now: float,
) -> list[Pair]:
    """The active throttle entries replaying ``result``: same client, status and error, covering scopes."""
    status = result.get("http_status")
    if not is_throttle_status(status):
        return []
    from nbauth.core.throttle import throttle_entries

    wanted = {scope.lower() for scope in scopes}
    pairs: list[Pair] = []
    for cache in caches:
        if cache is None:
            continue
        for entry in throttle_entries(cache, now=now, client_id=client_id):
            same = entry.status == status and entry.error.get("error") == result.get("error")
            if same and wanted <= {scope.lower() for scope in entry.scopes}:
                pairs.append((cache, entry))
    return pairs


def show_countdowns(
    session: Any, pairs: Sequence[Pair], retry: Callable[[], dict[str, Any]] | None = None
) -> list[Any]:
    """Display a ``ThrottleCountdown`` per entry, remembered by the session for ``%nbauth throttle clear``."""
    from nbauth.notebook.widgets.throttle import ThrottleCountdown

    shown = []
    for cache, entry in pairs:
        countdown = ThrottleCountdown(entry, cache, retry=retry, clock=session.clock)
        session.countdowns.add(countdown)
        display(countdown)
        shown.append(countdown)
    return shown


def refresh_countdowns(session: Any) -> int:
    """Re-read the cache in every countdown the session displayed (after a clear); how many were updated."""
    countdowns = list(session.countdowns)
    for countdown in countdowns:
        countdown.tick()
    return len(countdowns)
