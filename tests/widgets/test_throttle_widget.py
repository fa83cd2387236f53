"""The throttle countdown, bound to real throttle-cache entries, driven with a fake clock."""

from __future__ import annotations

import pytest

from nbauth.notebook.widgets import ThrottleCountdown
from nbauth.testing import FakeClock
from tests.widgets.helpers import body_text, wait_for

throttle = pytest.importorskip("nbauth.core.throttle")

URL = "http://127.0.0.1:1/tenant/oauth2/v2.0/token"
ERROR = {"error": "temporarily_unavailable", "error_description": "<b>slow down</b>", "http_status": 429}


def record(cache, clock, seconds, secret="rt-1"):
    request = throttle.Request(
        method="POST", url=URL, data={"grant_type": "refresh_token"}, endpoint="token", client_id="client-1",
        public_client=True, scopes=("api://demo/Data.Read",), grant_secret=secret, device_code_poll=False,
    )  # fmt: skip
    throttle.Throttle(cache, clock=clock).record(request, 429, {"Retry-After": str(seconds)}, dict(ERROR))
    (entry,) = throttle.throttle_entries(cache, now=clock())
    return entry


@pytest.fixture
def clock():
    return FakeClock()


def test_counts_down_from_the_true_remaining_time_then_enables_try_again(clock):
    cache: dict = {}
    entry = record(cache, clock, 30)
    calls = []
    widget = ThrottleCountdown(
        entry, cache, retry=lambda: calls.append(1) or {"access_token": "at-x"}, clock=clock
    )
    assert widget.status == "waiting" and ">30<" in widget._remaining.value and widget._button.disabled
    text = body_text(widget)
    assert "client-1" in text and "&lt;b&gt;slow down" in text and "429" in text
    clock.advance(12)
    assert widget.tick() is True and ">18<" in widget._remaining.value
    again = ThrottleCountdown(entry, cache, retry=None, clock=clock)  # a re-run cell resumes, not restarts
    assert ">18<" in again._remaining.value and "18 s" in again._repr_mimebundle_()["text/plain"]
    clock.advance(18)
    assert widget.tick() is False and widget.status == "ready" and not widget._button.disabled
    widget._button.click()
    assert widget.result.get(timeout=10) == {"access_token": "at-x"} and calls == [1]
    assert widget.status == "done" and "at-x" not in body_text(widget)


def test_clearing_the_entry_updates_the_widget(clock):
    cache: dict = {}
    entry = record(cache, clock, 120)
    widget = ThrottleCountdown(entry, cache, retry=lambda: {"error": "invalid_grant"}, clock=clock)
    assert throttle.clear_throttle(cache, entry.key) == 1
    assert widget.tick() is False and widget.status == "cleared" and "cleared" in widget._remaining.value
    widget.try_again()
    result = widget.result.get(timeout=10)
    assert result["error"] == "invalid_grant" and widget.status == "failed"
    assert "invalid_grant" in body_text(widget) and not widget._button.disabled


def test_throttled_again_binds_to_the_new_window(clock):
    cache: dict = {}
    entry = record(cache, clock, 5)
    clock.advance(5)

    def retry():
        record(cache, clock, 40, secret="rt-2")
        return dict(ERROR)

    widget = ThrottleCountdown(entry, cache, retry=retry, clock=clock)
    assert widget.status == "ready"
    widget.try_again()
    wait_for(lambda: widget.status == "waiting", "the new window")
    assert ">40<" in widget._remaining.value and not widget.result.done()


def test_without_retry_the_button_is_hidden(clock):
    cache: dict = {}
    widget = ThrottleCountdown(record(cache, clock, 3), cache, clock=clock)
    assert widget._button.layout.display == "none"
    clock.advance(3)
    widget.tick()
    assert widget.status == "ready" and widget._button.disabled
    assert "ThrottleCountdown token" in repr(widget)
