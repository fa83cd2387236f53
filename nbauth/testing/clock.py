"""A clock that tests move by hand, so nothing waits for real time to pass."""

from __future__ import annotations

import threading


class FakeClock:
    """Callable like ``time.time``; ``sleep`` and ``advance`` move it forward instantly.

    Thread-safe, so a local identity provider thread and a client can share one.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += seconds

    sleep = advance

    def __repr__(self) -> str:
        return f"FakeClock(now={self():.3f})"
