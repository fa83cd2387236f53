"""Helpers for the widget tests: wait for a state, collect every widget's state to search for secrets."""

from __future__ import annotations

import json
import time

import ipywidgets


def wait_for(predicate, what="condition", timeout=10.0):
    """Poll until ``predicate()`` (the widgets finish in a background thread); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def all_widgets(root: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """``root`` and every widget it holds, displayed or not (hidden children can carry state too)."""
    seen: dict[int, ipywidgets.Widget] = {}
    stack = [root]
    while stack:
        widget = stack.pop()
        if id(widget) in seen:
            continue
        seen[id(widget)] = widget
        for value in list(vars(widget).values()):
            items = value if isinstance(value, list | tuple) else [value]
            stack += [item for item in items if isinstance(item, ipywidgets.Widget)]
        stack += [child for child in getattr(widget, "children", ()) if isinstance(child, ipywidgets.Widget)]
    return list(seen.values())


def state_text(root: ipywidgets.Widget) -> str:
    """Everything that would sync to the front end (and could be saved into a notebook), as one string."""
    return json.dumps([w.get_state() for w in all_widgets(root)], default=str)


def assert_no_secret(root: ipywidgets.Widget, secrets: set[str]) -> None:
    text = state_text(root) + repr(root) + json.dumps(root._repr_mimebundle_(), default=str)
    leaked = sorted(s for s in secrets if s and s in text)
    assert not leaked, f"{len(leaked)} secret(s) in widget state"


def body_text(widget) -> str:
    return " ".join(str(w.get_state().get("value", "")) for w in all_widgets(widget))
