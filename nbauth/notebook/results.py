"""Result dicts that are safe to display.

:class:`TokenResult` and :class:`ErrorResult` ARE dicts (MSAL's contract), so ``result["access_token"]`` works
as with any application; only their representations differ: ``repr()``, IPython's pretty printer and the HTML
view mask every secret (first characters and length), so an output cell never holds a token.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "device_code",
        "code",
        "assertion",
        "password",
    }
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_SHOWN_PREFIX = 6
_SHORTEST_WITH_PREFIX = 24  # a short secret keeps no visible prefix: 6 of 12 characters is too much


def mask(value: Any) -> str:
    """``eyJ0eX…(1234 chars)``: enough to tell two tokens apart, never enough to use one."""
    text = str(value)
    if len(text) < _SHORTEST_WITH_PREFIX:
        return f"***({len(text)} chars)"
    return f"{text[:_SHOWN_PREFIX]}…({len(text)} chars)"


def masked(result: Mapping[str, Any]) -> dict[str, Any]:
    """A plain copy with every secret value masked (nested dicts too)."""
    return {key: _masked_value(key, value) for key, value in result.items()}


def _masked_value(key: str, value: Any) -> Any:
    if key in SECRET_KEYS and value:
        return mask(value)
    if isinstance(value, Mapping):
        return masked(value)
    return value


class _SafeDict(dict):  # type: ignore[type-arg]
    """A dict whose every representation masks secrets."""

    def __init__(
        self,
        *args: Any,
        received_at: float | None = None,
        context: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.received_at = time.time() if received_at is None else received_at
        # What was asked for (account, scopes): a cache hit's dict carries neither, the view shows both.
        self.context = dict(context or {})
        # In a live front end, the widget shown instead of the static HTML (see nbauth.notebook.live).
        self.live_view: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({masked(self)!r})"

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.as_text())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any] | None:
        """The live widget's view where there is one; IPython adds the text and HTML fallbacks to it."""
        if self.live_view is None:
            return None
        bundle = self.live_view._repr_mimebundle_() or {}
        return {key: value for key, value in bundle.items() if key == WIDGET_VIEW}

    def as_text(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),), {"received_at": self.received_at, "context": self.context})


class TokenResult(_SafeDict):
    """A successful token result. ``expires_in`` stays as received; :meth:`remaining` counts down."""

    def remaining(self, now: float | None = None) -> int | None:
        expires_in = self.get("expires_in")
        if expires_in is None:
            return None
        now = time.time() if now is None else now
        return int(float(expires_in) - (now - self.received_at))

    def as_text(self) -> str:
        from nbauth.notebook.render import token_text

        return token_text(self)

    def _repr_html_(self) -> str:
        from nbauth.notebook.render import token_html

        return token_html(self)


class ErrorResult(_SafeDict):
    """An error dict (from the provider, the transport, or the notebook layer), shown as an error table."""

    def as_text(self) -> str:
        from nbauth.notebook.render import error_text

        return error_text(self)

    def _repr_html_(self) -> str:
        from nbauth.notebook.render import error_html

        return error_html(self)


def wrap(
    result: Mapping[str, Any] | None,
    *,
    received_at: float | None = None,
    context: Mapping[str, Any] | None = None,
) -> TokenResult | ErrorResult:
    """The displayable form of any result dict (``None`` from a silent call becomes an error)."""
    if result is None:
        return ErrorResult(
            error="interaction_required",
            error_description="Nothing usable is cached for these scopes; sign in first.",
            received_at=received_at,
            context=context,
        )
    if isinstance(result, TokenResult | ErrorResult):
        return result
    cls = TokenResult if "access_token" in result and "error" not in result else ErrorResult
    return cls(result, received_at=received_at, context=context)
