"""Drive the provider's HTML pages with plain ``requests``, as a person in a browser would.

>>> result = sign_in(auth_uri, username=idp.username, password=idp.password)   # query or form_post
>>> result.params["code"], result.params["state"]
>>> enter_device_code(idp.device_verification_uri, flow["user_code"], username=..., password=...)

``sign_in(..., deliver=True)`` also hands the result to the client's ``redirect_uri`` (GET for ``query``,
POST for ``form_post``), so an application's loopback listener receives it: use it as ``open_browser``
in a thread. The form field names are documented in :mod:`nbauth.testing.pages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit


@dataclass
class HtmlForm:
    id: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # inputs with a name (not the submit buttons)
    buttons: dict[str, list[str]] = field(default_factory=dict)  # submit button name -> its values


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self.alerts: list[str] = []
        self._in_alert = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(a.get("id", ""), a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1].buttons.setdefault(a["name"], []).append(a.get("value", ""))
        self._in_alert = a.get("role") == "alert"

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alerts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_alert = False


def read_forms(html: str) -> tuple[list[HtmlForm], list[str]]:
    """The page's forms and its error messages (``role="alert"`` elements), unescaped."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms, parser.alerts


def read_form(html: str, form_id: str) -> HtmlForm:
    forms, alerts = read_forms(html)
    for form in forms:
        if form.id == form_id:
            return form
    raise LookupError(f"no form {form_id!r} on the page" + (f": {' '.join(alerts)}" if alerts else ""))


@dataclass
class SignInResult:
    """Where the provider sent the browser, and with what."""

    redirect_uri: str
    params: dict[str, str]
    response_mode: str  # "query" or "form_post"


class PageError(Exception):
    """The page showed an error instead of moving on (wrong password, unknown code, ...)."""


def sign_in(
    authorize_url: str,
    *,
    username: str,
    password: str,
    accept: bool = True,
    deliver: bool = False,
    session: Any = None,
    verify: bool | str = True,
    timeout: float = 10,
) -> SignInResult:
    """Open ``authorize_url``, fill in the sign-in form (unless auto-approve skipped it), read the answer."""
    import requests

    http = session or requests.Session()
    reply = http.get(authorize_url, allow_redirects=False, verify=verify, timeout=timeout)
    if reply.status_code == 200 and 'id="signin"' in reply.text:
        form = read_form(reply.text, "signin")
        data = {
            **form.fields,
            "username": username,
            "password": password,
            "action": "accept" if accept else "cancel",
        }
        reply = http.post(
            urljoin(reply.url, form.action), data=data, allow_redirects=False, verify=verify, timeout=timeout
        )
    result = _result(reply)
    if deliver:
        _deliver(http, result, verify=verify, timeout=timeout)
    return result


def _result(reply: Any) -> SignInResult:
    if reply.status_code in (301, 302, 303):
        location = reply.headers["Location"]
        parts = urlsplit(location)
        return SignInResult(location.split("?")[0], dict(parse_qsl(parts.query)), "query")
    if reply.status_code == 200 and 'id="response"' in reply.text:
        form = read_form(reply.text, "response")
        return SignInResult(form.action, form.fields, "form_post")
    _, alerts = read_forms(reply.text)
    raise PageError(" ".join(alerts) or f"unexpected page (HTTP {reply.status_code})")


def _deliver(http: Any, result: SignInResult, *, verify: bool | str, timeout: float) -> None:
    if result.response_mode == "form_post":
        http.post(result.redirect_uri, data=result.params, verify=verify, timeout=timeout)
    else:
        http.get(result.redirect_uri, params=result.params, verify=verify, timeout=timeout)


def enter_device_code(
    verification_uri: str,
    user_code: str,
    *,
    username: str,
    password: str,
    approve: bool = True,
    session: Any = None,
    verify: bool | str = True,
    timeout: float = 10,
) -> str:
    """Type the code on the verification page, sign in, approve or decline; returns the final page's HTML."""
    import requests

    http = session or requests.Session()
    page = http.get(verification_uri, verify=verify, timeout=timeout)
    form = read_form(page.text, "devicecode")
    page = http.post(
        urljoin(page.url, form.action), data={"user_code": user_code}, verify=verify, timeout=timeout
    )
    consent = read_form(page.text, "consent")
    data = {
        **consent.fields,
        "username": username,
        "password": password,
        "action": "approve" if approve else "decline",
    }
    page = http.post(urljoin(page.url, consent.action), data=data, verify=verify, timeout=timeout)
    forms, alerts = read_forms(page.text)
    if forms:
        raise PageError(" ".join(alerts) or "the verification page did not accept the sign-in")
    return page.text
