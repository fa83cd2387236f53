"""The provider's HTML pages. Every server-supplied string is escaped.

Driving them with plain ``requests`` (no browser needed; :mod:`nbauth.testing.forms` does this for you):

**Sign-in and consent** (``GET {authority}/oauth2/v2.0/authorize?...``) answers 200 with ``<form id="signin"
method="post" action="{authority}/oauth2/v2.0/authorize">`` whose fields are ``request_id`` (hidden; send it
back), ``username`` (pre-filled from ``login_hint``), ``password``, and two submit buttons named ``action``:
``accept`` signs in and consents, ``cancel`` declines. A wrong password answers the page again (200) with the
AADSTS50126 message. The result goes to the client's ``redirect_uri``:

* ``response_mode=query`` (default): 302 to ``redirect_uri?code=...&state=...&session_state=...`` (or
  ``error``, ``error_description``, ``error_subcode=cancel``, ``state``);
* ``prompt=none`` answers without the page when the browser has the session cookie a sign-in set (the
  same ``requests.Session``), else with ``error=login_required``;
* ``response_mode=form_post``: 200 with ``<form id="response" method="post" action="{redirect_uri}">`` holding
  the same values as hidden inputs, submitted by a script.

**Device-code verification** (``GET {base_url}/devicelogin``): ``<form id="devicecode" method="post">`` with
field ``user_code``; posting it answers ``<form id="consent" method="post">`` with hidden ``user_code``,
fields ``username`` and ``password``, and submit buttons named ``action``: ``approve`` or ``decline``. The
final page says "You have signed in" or "declined". Both forms post to ``{base_url}/devicelogin``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}"
    "main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem 2.5rem;box-shadow:0 2px 6px #0003}"
    "h1{font-size:1.4rem;font-weight:600}label{display:block;margin:.8rem 0 .2rem}"
    "input[type=text],input[type=password],input[type=email]{width:100%;padding:.4rem;box-sizing:border-box}"
    "button{margin:1rem .5rem 0 0;padding:.4rem 1.4rem}.error{color:#a4262c}"
    "ul{padding-left:1.2rem}.note{color:#555;font-size:.9rem}"
)


def page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head>'
        f"<body><main>{body}</main></body></html>"
    )


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def _scope_list(scopes: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in scopes) + "</ul>"


def sign_in_page(
    *,
    action: str,
    request_id: str,
    client_name: str,
    scopes: Iterable[str],
    login_hint: str,
    error: str | None,
) -> str:
    body = (
        "<h1>Sign in</h1>"
        f"<p><strong>{escape(client_name)}</strong> wants to sign you in and to:</p>{_scope_list(scopes)}"
        f"{_error(error)}"
        f'<form id="signin" method="post" action="{escape(action)}">{_hidden({"request_id": request_id})}'
        '<label for="username">Email or username</label>'
        '<input type="email" id="username" name="username" autocomplete="username" '
        f'value="{escape(login_hint)}">'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password">'
        '<button type="submit" name="action" value="accept">Accept</button>'
        '<button type="submit" name="action" value="cancel">Cancel</button></form>'
        '<p class="note">nbauth local identity provider: a test double, not Microsoft.</p>'
    )
    return page("Sign in to your account", body)


def form_post_page(redirect_uri: str, fields: Mapping[str, str]) -> str:
    # OAuth 2.0 Form Post Response Mode: the browser posts the values to the client by script.
    body = (
        f'<form id="response" method="post" action="{escape(redirect_uri)}">{_hidden(fields)}'
        '<noscript><button type="submit">Continue</button></noscript></form>'
        "<script>document.getElementById('response').submit()</script>"
    )
    return page("Working...", body)


def error_page(code: int, message: str) -> str:
    body = f"<h1>Sorry, but we're having trouble signing you in.</h1>{_error(f'AADSTS{code}: {message}')}"
    return page("Sign in error", body)


def device_code_page(*, action: str, error: str | None, user_code: str = "") -> str:
    body = (
        "<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>"
        f"{_error(error)}"
        f'<form id="devicecode" method="post" action="{escape(action)}">'
        '<label for="user_code">Code</label>'
        f'<input type="text" id="user_code" name="user_code" value="{escape(user_code)}" autocomplete="off">'
        '<button type="submit">Next</button></form>'
    )
    return page("Enter code", body)


def device_consent_page(
    *, action: str, user_code: str, client_name: str, scopes: Iterable[str], error: str | None
) -> str:
    body = (
        f"<h1>Are you trying to sign in to {escape(client_name)}?</h1>"
        f"<p>It will be able to:</p>{_scope_list(scopes)}"
        "<p>Only continue if you downloaded the app from a store or website that you trust.</p>"
        f"{_error(error)}"
        f'<form id="consent" method="post" action="{escape(action)}">{_hidden({"user_code": user_code})}'
        '<label for="username">Email or username</label>'
        '<input type="email" id="username" name="username" autocomplete="username">'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password">'
        '<button type="submit" name="action" value="approve">Continue</button>'
        '<button type="submit" name="action" value="decline">Cancel</button></form>'
    )
    return page("Sign in", body)


def device_done_page(*, approved: bool, client_name: str) -> str:
    if approved:
        text = f"You have signed in to {escape(client_name)} on your device. You may now close this window."
    else:
        text = "You declined to sign in to the application. You may now close this window."
    return page("Done", f"<h1>{'You have signed in' if approved else 'Sign-in declined'}</h1><p>{text}</p>")
