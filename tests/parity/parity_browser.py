"""Completes the local identity provider's sign-in page with plain requests, for either library's flow.

The page (documented in nbauth/testing/pages.py) is ``<form id="signin">`` with ``request_id``, ``username``,
``password`` and a submit button ``action=accept``; the answer is a 302 to the redirect URI
(``response_mode=query``) or a page whose ``<form id="response">`` posts to it (``form_post``).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, tuple[str, dict[str, str]]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = a.get("id", "")
            self.forms[self._current] = (a.get("action", ""), {})
        elif tag == "input" and self._current is not None and a.get("name"):
            self.forms[self._current][1][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms(html: str) -> dict[str, tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def complete_sign_in(idp, auth_uri: str, redirect_uri: str, *, action: str = "accept") -> dict[str, str]:
    """Signs in as the demo user and returns the authorization response sent to ``redirect_uri``."""
    with requests.Session() as browser:
        browser.verify = idp.ca_cert_path
        page = browser.get(auth_uri, allow_redirects=False, timeout=10)
        assert page.status_code == 200, (page.status_code, page.text[:300])
        target, fields = forms(page.text)["signin"]
        fields.update(username=idp.username, password=idp.password, action=action)
        reply = browser.post(urljoin(page.url, target), data=fields, allow_redirects=False, timeout=10)
    if reply.is_redirect:
        location = reply.headers["location"]
        assert location.startswith(redirect_uri), location
        return dict(parse_qsl(urlsplit(location).query))
    target, fields = forms(reply.text)["response"]  # response_mode=form_post
    assert target.startswith(redirect_uri), target
    return fields
