"""The token-expiry countdown under %token's success view: ticks on the running loop, holds no token."""

from __future__ import annotations

import asyncio
import threading

from nbauth.notebook.widgets import TokenExpiryCountdown, TokenView
from nbauth.testing import FakeClock
from tests.widgets.helpers import state_text


def test_counts_down_then_says_expired():
    clock = FakeClock()
    countdown = TokenExpiryCountdown(clock() + 125, clock=clock)
    assert countdown.status == "valid" and ">2:05<" in countdown.value
    assert "2:05" in countdown._repr_mimebundle_()["text/plain"]
    clock.advance(65)
    assert countdown.tick() is True and ">1:00<" in countdown.value
    clock.advance(60)
    assert countdown.tick() is False and countdown.status == "expired" and "%token again" in countdown.value


def test_ticks_on_the_running_loop_without_a_thread():
    clock = FakeClock()

    async def in_a_cell():
        threads = threading.active_count()
        countdown = TokenExpiryCountdown(clock() + 10, clock=clock)
        scheduled = countdown._ticker._handle is not None and countdown._ticker.running
        clock.advance(10)
        countdown._ticker._fire()  # what the loop does a second later
        return threads == threading.active_count(), scheduled, countdown

    no_thread, scheduled, countdown = asyncio.run(in_a_cell())
    assert no_thread and scheduled
    assert countdown.status == "expired" and not countdown._ticker.running  # stops once expired


def test_token_view_shows_the_given_table_above_the_countdown():
    clock = FakeClock()
    view = TokenView("<table class='given'></table>", clock() + 60, clock=clock)
    assert view.children[0].value == "<table class='given'></table>" and view.children[1] is view.countdown
    assert "expires_at" not in state_text(view)  # only the rendered text syncs
    clock.advance(1)
    view.countdown.tick()
    assert "expires in 0:59" in view._repr_mimebundle_()["text/plain"]
