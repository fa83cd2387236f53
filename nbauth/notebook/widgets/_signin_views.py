"""HTML for each state of the sign-in widget. Every server-supplied string is escaped; no token appears."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nbauth.notebook.widgets._common import duration, esc, mask

# The copy button writes to the clipboard where the page allows it and otherwise selects the code,
# so the person can press Ctrl+C; ``user-select: all`` makes one click select the whole code as well.
_COPY_JS = (
    "(function(b){var c=b.parentNode.querySelector('.nbauth-user-code');"
    "function sel(){var r=document.createRange();r.selectNodeContents(c);"
    "var s=window.getSelection();s.removeAllRanges();s.addRange(r);}"
    "function ok(){b.textContent='Copied';}"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(c.textContent)"
    ".then(ok,function(){sel();b.textContent='Press Ctrl+C';});}"
    "else{sel();try{document.execCommand('copy')?ok():b.textContent='Press Ctrl+C';}"
    "catch(e){b.textContent='Press Ctrl+C';}}})(this)"
)


def device_code_html(verification_uri: str, user_code: str) -> str:
    link = esc(verification_uri)
    return (
        "<div class='nbauth-device'>"
        "<div>1. Open <a class='nbauth-verification-link' "
        f"href='{link}' target='_blank' rel='noopener noreferrer'>"
        f"{link}</a> (opens a new tab)</div>"
        "<div style='margin:0.4em 0'>2. Enter this code: "
        "<code class='nbauth-user-code' style='font-size:1.8em;font-weight:bold;letter-spacing:0.12em;"
        f"user-select:all;padding:0 0.3em'>{esc(user_code)}</code> "
        f"<button class='nbauth-copy' type='button' onclick=\"{esc(_COPY_JS)}\">Copy</button></div>"
        "</div>"
    )


def countdown_html(label: str, seconds: float) -> str:
    return f"<span class='nbauth-countdown'>{esc(label)} <b>{esc(duration(seconds))}</b></span>"


def status_html(kind: str, message: str) -> str:
    colours = {"ok": "#1a7f37", "error": "#cf222e", "info": "#57606a", "warn": "#9a6700"}
    colour = colours.get(kind, colours["info"])
    return f"<div class='nbauth-status nbauth-status-{esc(kind)}' style='color:{colour}'>{esc(message)}</div>"


def browser_waiting_html() -> str:
    return status_html(
        "info",
        "A browser tab opened for sign-in; finish there. If none opened, use the paste-back flow "
        "(the kernel may run on another machine).",
    )


def paste_html(auth_uri: str) -> str:
    link = esc(auth_uri)
    return (
        "<div class='nbauth-paste'>"
        f"<div>1. <a class='nbauth-signin-link' href='{link}' target='_blank' rel='noopener noreferrer'>"
        "Open the sign-in page</a> (new tab) and sign in.</div>"
        "<div>2. The page then fails to load a <code>localhost</code> address: that is expected. "
        "Copy the whole address from the browser's address bar and paste it below.</div></div>"
    )


def signed_in_facts(result: Mapping[str, Any], scopes: list[str]) -> dict[str, str]:
    """Account, tenant and scopes of a success result, for display (never the token itself)."""
    claims = result.get("id_token_claims") or {}
    account = (
        claims.get("preferred_username") or claims.get("upn") or claims.get("email") or claims.get("sub")
    )
    granted = result.get("scope")
    granted_list = granted.split() if isinstance(granted, str) else list(granted or scopes)
    return {
        "account": str(account or "(unknown account)"),
        "tenant": str(claims.get("tid") or "(not stated)"),
        "scopes": " ".join(granted_list),
        "token": mask(result.get("access_token")),
    }


def signed_in_html(facts: Mapping[str, str]) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{esc(name)}</th><td>{esc(value)}</td></tr>"
        for name, value in (
            ("Account", facts["account"]),
            ("Tenant", facts["tenant"]),
            ("Scopes", facts["scopes"]),
            ("Access token", facts["token"]),
        )
    )
    return status_html("ok", "Signed in") + f"<table class='nbauth-signed-in'>{rows}</table>"


def sync_wait_note_html() -> str:
    return status_html(
        "warn",
        "This cell waits synchronously and this kernel does not deliver clicks to it, so Cancel cannot. "
        "Interrupt the kernel (■) to stop, or use `token = await widget` next time.",
    )
