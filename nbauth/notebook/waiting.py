"""Waiting for a person inside a cell without freezing the widgets.

A cell that blocks until a sign-in completes keeps the kernel's shell busy, so whether a widget click (a
``comm_msg`` on the shell channel) reaches Python during the wait depends on the kernel generation
(measured with JupyterLab 4.6 / ipywidgets 8.1, and under nbclient injecting the comm message a click sends):

==========================================  =============  ==============
a cell waiting for a click with             ipykernel 7    ipykernel 6
==========================================  =============  ==============
top-level ``await`` (async cell)            delivered      not delivered
jupyter-ui-poll                             not delivered  delivered
nest-asyncio re-entering the running loop   not delivered  not delivered
==========================================  =============  ==============

Output and widget updates flow out to the page in every case; only incoming clicks differ. So
:func:`wait_until` uses jupyter-ui-poll on ipykernel 6 (it replays the shell messages it polled) and, on
ipykernel 7 and outside a kernel, a plain wait in short slices that keeps countdowns ticking and lets a kernel
interrupt (``KeyboardInterrupt``) through. :func:`clicks_reach_blocking_wait` tells the UI whether
Cancel works during a synchronous wait; where it does not, the awaited form (``await widget``) is the way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

__all__ = ["clicks_reach_blocking_wait", "kernel_generation", "wait_until"]


def kernel_generation() -> int | None:
    """The major version of the ipykernel running this code, or None outside a Jupyter kernel."""
    kernel_module = sys.modules.get("ipykernel")
    if kernel_module is None or "ipykernel.kernelapp" not in sys.modules:
        return None
    from ipykernel.kernelapp import IPKernelApp

    if not IPKernelApp.initialized():
        return None
    version = getattr(kernel_module, "version_info", None) or (int(kernel_module.__version__.split(".")[0]),)
    return int(version[0])


def _ui_poll_available() -> bool:
    try:
        import jupyter_ui_poll  # noqa: F401
    except ImportError:
        return False
    return True


def clicks_reach_blocking_wait() -> bool:
    """True where :func:`wait_until` delivers clicks while it blocks (ipykernel 6 with jupyter-ui-poll)."""
    return kernel_generation() == 6 and _ui_poll_available()


def wait_until(
    done: Callable[[], bool],
    timeout: float | None = None,
    *,
    on_tick: Callable[[], object] | None = None,
    slice_seconds: float = 0.05,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Block until ``done()`` or ``timeout`` seconds; True when done. Calls ``on_tick`` about once a second.

    ``KeyboardInterrupt`` (a kernel interrupt) propagates; the caller cancels its flow and re-raises.
    """
    deadline = None if timeout is None else monotonic() + timeout
    if clicks_reach_blocking_wait():
        from jupyter_ui_poll import ui_events

        with ui_events() as poll:
            return _loop(done, deadline, on_tick, lambda: (poll(20), sleep(slice_seconds)), monotonic)
    return _loop(done, deadline, on_tick, lambda: sleep(slice_seconds), monotonic)


def _loop(
    done: Callable[[], bool],
    deadline: float | None,
    on_tick: Callable[[], object] | None,
    step: Callable[[], object],
    monotonic: Callable[[], float],
) -> bool:
    next_tick = monotonic() + 1.0
    while not done():
        now = monotonic()
        if deadline is not None and now >= deadline:
            return False
        if on_tick is not None and now >= next_tick:
            next_tick = now + 1.0
            on_tick()
        step()
    return True
