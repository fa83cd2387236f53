"""Test helpers: sign a user in through the device flow, and drive the provider's HTML pages with requests."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from nbauth import PublicClientApplication
from nbauth.testing import LocalIdentityProvider


def sign_in_by_device_flow(
    pca: PublicClientApplication, idp: LocalIdentityProvider, scopes: list[str]
) -> dict:
    flow = pca.initiate_device_flow(scopes)
    assert "user_code" in flow, flow
    idp.approve_device_code(flow["user_code"])
    result = pca.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    return result


class _Forms(HTMLParser):
    """Collects every <form>: its action, method and input fields (the submit button chosen separately)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"id": a.get("id"), "action": a.get("action", ""), "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))


def forms_of(page: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def complete_sign_in(
    auth_uri: str, username: str, password: str, *, action: str = "accept"
) -> requests.Response:
    """Act as the person at the browser: fill the sign-in form, then deliver the response to redirect_uri.

    form_post: the provider answers a self-submitting form; we post it like the browser script would.
    query: the provider redirects; we follow to the redirect_uri. Returns the redirect_uri's answer.
    """
    with requests.Session() as browser:
        page = browser.get(auth_uri, timeout=10)
        page.raise_for_status()
        form = next(f for f in forms_of(page.text) if f["id"] == "signin")
        fields = dict(form["fields"], username=username, password=password, action=action)
        reply = browser.post(
            urljoin(page.url, form["action"]), data=fields, allow_redirects=False, timeout=10
        )
        if reply.is_redirect:
            return browser.get(reply.headers["Location"], allow_redirects=False, timeout=10)
        response_form = next(f for f in forms_of(reply.text) if f["id"] == "response")
        return browser.post(response_form["action"], data=response_form["fields"], timeout=10)


def redirect_params(auth_uri: str, username: str, password: str, *, action: str = "accept") -> dict[str, str]:
    """The parameters the provider sends to redirect_uri in response_mode=query, without following it."""
    with requests.Session() as browser:
        page = browser.get(auth_uri, timeout=10)
        form = next(f for f in forms_of(page.text) if f["id"] == "signin")
        fields = dict(form["fields"], username=username, password=password, action=action)
        reply = browser.post(
            urljoin(page.url, form["action"]), data=fields, allow_redirects=False, timeout=10
        )
        assert reply.is_redirect, reply.text[:300]
        return {k: v[0] for k, v in parse_qs(urlsplit(reply.headers["Location"]).query).items()}
