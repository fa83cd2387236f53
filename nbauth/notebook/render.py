"""Views of results: a success card, a structured error table, and small tables for ``%nbauth``.

Every view has a plain-text form (terminals, nbconvert, logs) and an HTML form. Every value shown goes through
:func:`html.escape` (server strings such as ``error_description`` included); secrets are masked before they
reach a view (:func:`nbauth.notebook.results.masked`).
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nbauth.core.claims import decode_claims
from nbauth.notebook import aadsts
from nbauth.notebook.results import mask

Row = tuple[str, Any]

_STYLE = (
    "border-collapse:collapse;font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;"
    "text-align:left;margin:4px 0"
)
_CELL = "border:1px solid #ccc;padding:2px 8px;vertical-align:top;text-align:left"


# -- generic tables -----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, Link):
        return value.html()
    if isinstance(value, Pre):
        return f'<pre style="margin:0;white-space:pre-wrap">{html.escape(value.text)}</pre>'
    return html.escape("" if value is None else str(value))


class Link:
    """A hyperlink shown only when it is http(s): a server-supplied ``javascript:`` URI stays text."""

    def __init__(self, url: str, text: str | None = None) -> None:
        self.url, self.text = str(url), text or str(url)

    def html(self) -> str:
        if not self.url.lower().startswith(("https://", "http://")):
            return html.escape(self.url)
        return (
            f'<a href="{html.escape(self.url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(self.text)}</a>"
        )

    def __str__(self) -> str:
        return self.url


class Pre:
    """Multi-line text kept as is (escaped)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def rows_html(title: str, rows: Iterable[Row], *, css_class: str) -> str:
    body = "".join(
        f'<tr><th style="{_CELL}">{html.escape(k)}</th><td style="{_CELL}">{_cell(v)}</td></tr>'
        for k, v in rows
    )
    caption = f'<caption style="text-align:left;font-weight:bold">{html.escape(title)}</caption>'
    return f'<table class="{css_class}" style="{_STYLE}">{caption}{body}</table>'


def rows_text(title: str, rows: Iterable[Row]) -> str:
    pairs = [(k, str(v) if v is not None else "") for k, v in rows]
    width = max((len(k) for k, _ in pairs), default=0)
    lines = [title]
    for key, value in pairs:
        first, *rest = value.splitlines() or [""]
        lines.append(f"  {key.ljust(width)}  {first}")
        lines.extend(f"  {'':{width}}  {line}" for line in rest)
    return "\n".join(lines)


def grid_html(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, css_class: str) -> str:
    head = "".join(f'<th style="{_CELL}">{html.escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{_cell(v)}</td>' for v in row) + "</tr>" for row in rows
    )
    caption = f'<caption style="text-align:left;font-weight:bold">{html.escape(title)}</caption>'
    return f'<table class="{css_class}" style="{_STYLE}">{caption}<tr>{head}</tr>{body}</table>'


def grid_text(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    table = [list(header), *([str(v) if v is not None else "" for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [title] + [
        "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in table
    ]
    return "\n".join(lines) if len(table) > 1 else f"{title}\n  (none)"


class View:
    """Something displayable built from rows: ``IPython.display.display(View(...))`` shows text or HTML."""

    def __init__(self, text: str, html_text: str) -> None:
        self.text, self.html_text = text, html_text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)

    def _repr_html_(self) -> str:
        return self.html_text


def view_rows(title: str, rows: Sequence[Row], css_class: str) -> View:
    return View(rows_text(title, rows), rows_html(title, rows, css_class=css_class))


def view_grid(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], css_class: str) -> View:
    return View(grid_text(title, header, rows), grid_html(title, header, rows, css_class=css_class))


# -- token results ------------------------------------------------------------------------------------------


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def token_rows(result: Any, now: float | None = None, *, live: bool = False) -> list[Row]:
    """The success view's rows; ``live``: a countdown widget shows the time left, so just the moment here."""
    claims = result.get("id_token_claims") or {}
    asked = getattr(result, "context", {})
    rows: list[Row] = []
    account = (
        claims.get("preferred_username") or claims.get("name") or claims.get("sub") or asked.get("account")
    )
    if account:
        rows.append(("account", account))
    if claims.get("tid"):
        rows.append(("tenant", claims["tid"]))
    scopes = result.get("scope") or " ".join(asked.get("scopes") or ())
    if scopes:
        rows.append(("scopes", scopes))
    remaining = result.remaining(now) if hasattr(result, "remaining") else result.get("expires_in")
    if remaining is not None:
        received = getattr(result, "received_at", time.time())
        expiry = received + float(result.get("expires_in", 0))
        left = f"at {_when(expiry)}" if live else f"in {max(int(remaining), 0)} s (at {_when(expiry)})"
        rows.append(("expires", left))
    rows.append(("source", result.get("token_source", "")))
    rows.append(("token type", result.get("token_type", "")))
    rows.append(("access_token", mask(result.get("access_token", ""))))
    if result.get("refresh_token"):
        rows.append(("refresh_token", mask(result["refresh_token"])))
    return rows


def token_text(result: Any) -> str:
    return rows_text("Signed in: access token acquired", token_rows(result))


def token_html(result: Any, *, live: bool = False) -> str:
    rows = token_rows(result, live=live)
    return rows_html("Signed in: access token acquired", rows, css_class="nbauth-token")


# -- error results ------------------------------------------------------------------------------------------


def decoded_claims(challenge: str) -> str:
    """A claims challenge as readable JSON (Entra sends it base64url-encoded in headers, JSON in bodies)."""
    try:
        return json.dumps(decode_claims(challenge), indent=1)
    except ValueError:
        return challenge


_PLAIN_KEYS = ("suberror", "correlation_id", "trace_id", "timestamp", "http_status", "retry_after")


def error_rows(result: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = [("error", result.get("error", "unknown_error"))]
    code = aadsts.code_of(result)
    if code is not None:
        known = aadsts.lookup(code)
        rows.append(("AADSTS code", f"AADSTS{code}" + (f" ({known.name})" if known else "")))
        if known:
            rows += [("meaning", known.meaning), ("what to do", known.action)]
        rows.append(("lookup", Link(aadsts.lookup_url(code))))
    if result.get("error_description"):
        rows.append(("description", Pre(str(result["error_description"]))))
    if result.get("error_codes"):
        rows.append(("error_codes", ", ".join(map(str, result["error_codes"]))))
    rows += [(key, result[key]) for key in _PLAIN_KEYS if result.get(key) not in (None, "")]
    if result.get("claims"):
        rows.append(("claims (decoded)", Pre(decoded_claims(str(result["claims"])))))
    if result.get("error_uri"):
        rows.append(("error_uri", Link(str(result["error_uri"]))))
    return rows


def error_text(result: Mapping[str, Any]) -> str:
    return rows_text("No token: the request failed", error_rows(result))


def error_html(result: Mapping[str, Any]) -> str:
    return rows_html("No token: the request failed", error_rows(result), css_class="nbauth-error")


# -- device code message ------------------------------------------------------------------------------------


def device_code_view(flow: Mapping[str, Any]) -> View:
    """The verification URL and user code (the user code is replaced by the outcome once the flow ends)."""
    url = str(flow.get("verification_uri") or flow.get("verification_url") or "")
    code = str(flow.get("user_code", ""))
    rows: list[Row] = [("open", Link(url)), ("enter the code", code)]
    if flow.get("expires_in"):
        rows.append(("expires in", f"{int(flow['expires_in'])} s"))
    return view_rows("Sign in with a device code", rows, "nbauth-device-code")


def auth_link_view(url: str, *, paste: bool) -> View:
    hint = "then paste the address your browser ends on below" if paste else "complete the sign-in there"
    return view_rows(
        "Sign in in your browser", [("open", Link(url, "sign-in page")), ("then", hint)], "nbauth-link"
    )


def outcome_view(result: Mapping[str, Any]) -> View:
    if "access_token" in result and "error" not in result:
        return View(token_text(result), token_html(result))
    return View(error_text(result), error_html(result))


def progress_outcome_view(result: Mapping[str, Any]) -> View:
    """One line replacing a flow's progress display when it ends.

    ``%token`` returns the result, and the cell's output shows it in full; repeating the full view in the
    progress display would show every outcome twice.
    """
    if "access_token" in result and "error" not in result:
        claims = result.get("id_token_claims") or {}
        who = claims.get("preferred_username") or claims.get("name") or claims.get("sub")
        text = f"Signed in as {who}" if who else "Signed in"
    else:
        text = f"Sign-in ended: {result.get('error') or 'no token'}"
    return View(text, f"<div class='nbauth-progress'>{html.escape(str(text))}</div>")
