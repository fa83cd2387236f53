"""A scripted person for oidc-provider's ``devInteractions`` pages, using plain HTTP requests.

The pages are simple HTML forms (device code confirmation, login, consent; some auto-submitting), so the
driver submits the first form of each page with its own fields, fills ``login``/``password`` when asked,
and follows redirects by hand until the flow ends: a success page (device code) or a redirect to the
client's ``redirect_uri`` (authorization code, ``response_mode`` query or form_post).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

MAX_STEPS = 12  # the longest path (device: confirm, confirm, login, consent, success) takes 6


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = Form(attributes.get("action", ""), attributes.get("method", "get").lower())
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and attributes.get("name"):
            self._current.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class DevInteractionsBrowser:
    """One person with one cookie jar; ``login`` becomes the account id (``sub``) at oidc-provider."""

    def __init__(self, login: str, password: str = "any password") -> None:
        self.login = login
        self.password = password
        self.session = requests.Session()
        self.pages: list[str] = []  # the URLs visited, for failure messages

    def approve_device_code(self, verification_uri_complete: str) -> str:
        """Confirms the code, signs in, consents; returns the final page's HTML (the success page)."""
        reply = self._get(verification_uri_complete)
        for _ in range(MAX_STEPS):
            forms = parse_forms(reply.text)
            if not forms:
                return reply.text
            reply = self._submit(reply.url, forms[0])
        raise AssertionError(f"device flow did not finish; pages: {self.pages}")

    def authorize(self, auth_uri: str, redirect_uri: str) -> dict[str, str]:
        """Signs in and consents; returns the authorization response the redirect_uri would receive."""
        reply = self._get(auth_uri)
        for _ in range(MAX_STEPS):
            location = _redirect_target(reply)
            if location is not None:  # _follow stops only at a redirect that leaves the provider
                assert location.startswith(redirect_uri), f"redirected to {location}; pages: {self.pages}"
                return dict(parse_qsl(urlsplit(location).query))
            forms = parse_forms(reply.text)
            assert forms, f"page without a form at {reply.url}: {reply.text[:300]!r}"
            if urljoin(reply.url, forms[0].action).startswith(redirect_uri):
                return dict(forms[0].fields)  # response_mode=form_post: the page posts to the client
            reply = self._submit(reply.url, forms[0])
        raise AssertionError(f"authorization did not reach {redirect_uri}; pages: {self.pages}")

    def _get(self, url: str) -> requests.Response:
        self.pages.append(url)
        return self._follow(self.session.get(url, allow_redirects=False, timeout=10))

    def _submit(self, page_url: str, form: Form) -> requests.Response:
        data = dict(form.fields)
        if "login" in data:
            data.update(login=self.login, password=self.password)
        url = urljoin(page_url, form.action)
        self.pages.append(url)
        if form.method == "post":
            return self._follow(self.session.post(url, data=data, allow_redirects=False, timeout=10))
        return self._follow(self.session.get(url, params=data, allow_redirects=False, timeout=10))

    def _follow(self, reply: requests.Response) -> requests.Response:
        """Follows redirects that stay on the provider; stops at a page or at a redirect elsewhere."""
        for _ in range(MAX_STEPS):
            location = _redirect_target(reply)
            if location is None or _origin(location) != _origin(reply.url):
                return reply
            self.pages.append(location)
            reply = self.session.get(location, allow_redirects=False, timeout=10)
        raise AssertionError(f"redirect loop; pages: {self.pages}")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _redirect_target(reply: requests.Response) -> str | None:
    if reply.is_redirect and "location" in reply.headers:
        return urljoin(reply.url, reply.headers["location"])
    return None
