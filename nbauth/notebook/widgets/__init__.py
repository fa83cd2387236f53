"""nbauth's widgets: interactive sign-in, the claims-challenge prompt, throttle and token-expiry countdowns.

Each is a small state machine with Python-side triggers, makes no HTTP call itself, and keeps every secret out
of widget state (which can be saved into the notebook file).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SignInWidget": "nbauth.notebook.widgets.signin",
    "ClaimsChallengePrompt": "nbauth.notebook.widgets.claims",
    "ThrottleCountdown": "nbauth.notebook.widgets.throttle",
    "PendingResult": "nbauth.notebook.widgets._common",
    "TokenExpiryCountdown": "nbauth.notebook.widgets.expiry",
    "TokenView": "nbauth.notebook.widgets.expiry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nbauth.notebook.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
