"""The HTTP layer: one place where requests go out and replies become result dicts.

Every reply, whatever went wrong on the wire, comes back as a ``dict``:

- a JSON object body is returned as-is (success, or an OAuth error such as ``invalid_grant``);
- a JSON error body from a 5xx or 429 gets ``http_status`` added;
- anything else becomes an error dict (contract section 2):

  ============================================  ===========================  ==========================
  condition                                     ``error``                    extra keys
  ============================================  ===========================  ==========================
  5xx/429 whose body is not an OAuth JSON error ``server_error`` (500),      ``http_status``,
                                                ``temporarily_unavailable``  ``retry_after``
  non-JSON or malformed JSON, other status      ``invalid_response``         ``http_status``
  refused/reset, DNS, TLS, timeout              ``network_error``
  ============================================  ===========================  ==========================

``requests`` is imported here only, and only when the first request is sent, so that ``import nbauth``
stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

Clock = Callable[[], float]


@dataclass(frozen=True)
class RequestContext:
    """What the retry and the throttle need to know about a request beyond its bytes."""

    endpoint: str = ""  # "token", "devicecode", "discovery", "userinfo": for logs and the throttle read API
    client_id: str = ""
    public_client: bool = True
    scopes: tuple[str, ...] = ()
    # The grant's identifying secret (refresh token, device code, auth code, username). Only its hash is kept.
    grant_secret: str | None = field(default=None, repr=False)
    device_code_poll: bool = False  # polls are never replayed on 400 (authorization_pending is normal)
    single_use: bool = False  # an authorization code: never sent a second time


@dataclass(frozen=True)
class HttpReply:
    """One HTTP exchange, reduced to what the layers above need."""

    status: int  # 0 when no response arrived
    headers: Mapping[str, str]
    result: dict[str, Any]


class HttpPipeline:
    """Sends requests for one application: throttle -> one retry -> a single request -> result dict."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: float | None = None,
        verify: bool | str = True,
        http_cache: MutableMapping[str, Any] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._session = session
        self.timeout = timeout
        self.verify = verify
        self.http_cache = http_cache
        self.clock = clock

    def get(self, url: str, *, context: RequestContext = RequestContext()) -> dict[str, Any]:
        return self.send("GET", url, context=context).result

    def post(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        context: RequestContext = RequestContext(),
    ) -> dict[str, Any]:
        return self.send("POST", url, data=data, headers=headers, context=context).result

    def send(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        context: RequestContext = RequestContext(),
    ) -> HttpReply:
        return self._send_single(method, url, data=data, headers=headers)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def _send_single(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> HttpReply:
        import requests

        try:
            response = self.session.request(
                method,
                url,
                data=data,
                headers=dict(headers or {}),
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return HttpReply(0, {}, network_error(url, exc))
        return HttpReply(response.status_code, response.headers, reply_to_result(url, response))


def reply_to_result(url: str, response: requests.Response) -> dict[str, Any]:
    """Turn an HTTP response into a result dict (see the module docstring)."""
    status = response.status_code
    body = _json_object(response)
    if body is not None:
        if status == 429 or status >= 500:
            return {**body, "http_status": status} if "error" in body else _unavailable(url, response)
        return body
    if status == 429 or status >= 500:
        return _unavailable(url, response)
    return {
        "error": "invalid_response",
        "error_description": f"{_host(url)} answered HTTP {status} with a body that is not a JSON object: "
        f"{_excerpt(response)}",
        "http_status": status,
    }


def network_error(url: str, exc: BaseException) -> dict[str, Any]:
    kind = _network_failure_kind(exc)
    return {
        "error": "network_error",
        "error_description": f"Could not reach {_host(url)}: {kind} ({type(exc).__name__}).",
    }


def _unavailable(url: str, response: requests.Response) -> dict[str, Any]:
    status = response.status_code
    result: dict[str, Any] = {
        "error": "server_error" if status == 500 else "temporarily_unavailable",
        "error_description": f"{_host(url)} answered HTTP {status}: {_excerpt(response)}",
        "http_status": status,
    }
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now=time.time())
    if retry_after is not None:
        result["retry_after"] = retry_after
    return result


def parse_retry_after(value: str | None, *, now: float) -> int | None:
    """Seconds from a ``Retry-After`` header, either delta-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0, round(when.timestamp() - now))


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _excerpt(response: requests.Response, limit: int = 120) -> str:
    """A short, single-line excerpt of a body, for a readable error_description."""
    text = " ".join((response.text or "").split())
    if not text:
        return "(empty body)"
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url


def _network_failure_kind(exc: BaseException) -> str:
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "the connection failed or was reset"
    return "the request failed"
