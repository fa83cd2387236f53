"""A scripted transport for unit tests: a fake adapter mounted on a real ``requests.Session``."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

TOKEN_URL = "https://login.test/tenant/oauth2/v2.0/token"
DISCOVERY_URL = "https://login.test/tenant/v2.0/.well-known/openid-configuration"


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    """A scripted HTTP reply; a dict body is sent as JSON, a str as HTML."""
    if isinstance(body, dict):
        content, kind = json.dumps(body).encode(), "application/json"
    else:
        content, kind = (body or "").encode(), "text/html"
    return status, content, {"Content-Type": kind, **(headers or {})}


def refused(url: str = TOKEN_URL) -> Exception:
    """What requests raises when nothing listens: no connection was ever made."""
    cause = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, url, cause))


def reset() -> Exception:
    """What requests raises when the server closed the connection after the request was sent."""
    cause = urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "reset by peer")
    )
    return requests.exceptions.ConnectionError(cause)


def read_timeout() -> Exception:
    return requests.exceptions.ReadTimeout("Read timed out. (read timeout=0.3)")


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next scripted reply or exception; records what was sent."""

    def __init__(self, *script: tuple[int, bytes, dict] | Exception) -> None:
        super().__init__()
        self.script: deque[tuple[int, bytes, dict] | Exception] = deque(script)
        self.sent: list[requests.PreparedRequest] = []

    def add(self, *script: tuple[int, bytes, dict] | Exception) -> None:
        self.script.extend(script)

    def send(self, request, **kwargs):  # type: ignore[override]
        self.sent.append(request)
        if not self.script:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        step = self.script.popleft()
        if isinstance(step, Exception):
            raise step
        status, content, headers = step
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def session_with(adapter: ScriptedAdapter) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
