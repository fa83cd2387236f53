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

:meth:`HttpPipeline.send` is the only way out: the throttle (:mod:`nbauth.core.throttle`) answers from
``http_cache`` while a window lasts; otherwise the request goes out, is retried once when the failure is
transient (:mod:`nbauth.core.retry`), and the final reply is offered to the throttle to record.

``requests`` is imported here only, and only when the first request is sent, so that ``import nbauth``
stays cheap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbauth.core.retry import DEFAULT_RETRY_POLICY, Failure, RetryPolicy
from nbauth.core.throttle import Request, Throttle, parse_retry_after, safe_url

if TYPE_CHECKING:
    import requests

__all__ = [
    "HttpPipeline",
    "HttpReply",
    "RequestContext",
    "network_error",
    "parse_retry_after",
    "reply_to_result",
]

Clock = Callable[[], float]
logger = logging.getLogger("nbauth.http")


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
    replayed: bool = False  # True: the throttle answered from http_cache, no request was sent


@dataclass(frozen=True)
class _Attempt:
    reply: HttpReply
    failure: Failure | None = None  # how it failed when no response arrived


class HttpPipeline:
    """Sends requests for one application: throttle -> one retry -> a single request -> result dict.

    ``http_cache`` holds the throttle's windows (``nbauth.core.throttle``; a new dict when not given),
    ``retry_policy`` says when to send again (``nbauth.core.retry``), ``clock`` and ``sleep`` let tests move
    time instead of waiting.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: float | None = None,
        verify: bool | str = True,
        http_cache: MutableMapping[str, Any] | None = None,
        clock: Clock = time.time,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session
        self.timeout = timeout
        self.verify = verify
        self.http_cache: MutableMapping[str, Any] = {} if http_cache is None else http_cache
        self.clock = clock
        self.retry_policy = DEFAULT_RETRY_POLICY if retry_policy is None else retry_policy
        self.sleep = sleep

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
        """The throttle's replay while a window lasts; otherwise the request, retried once when transient."""
        method = method.upper()
        throttle = Throttle(self.http_cache, clock=self.clock)
        request = _throttle_request(method, url, data, context)
        replay = throttle.replay(request)
        if replay is not None:
            return HttpReply(replay.status, _Headers(replay.headers), replay.result, replayed=True)
        reply = self._send_with_retry(method, url, data=data, headers=headers, context=context)
        try:
            throttle.record(request, reply.status, reply.headers, reply.result)
        except Exception as exc:  # a full disk or a locked cache file must not cost the caller the reply
            logger.warning("could not record the reply in the http cache: %s", type(exc).__name__)
        return reply

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def _send_with_retry(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        context: RequestContext,
    ) -> HttpReply:
        attempt = 1
        while True:
            outcome = self._send_single(method, url, data=data, headers=headers)
            status = outcome.reply.status
            retry_after = parse_retry_after(
                _get_header(outcome.reply.headers, "retry-after"), now=self.clock()
            )
            delay = self.retry_policy.delay_before_retry(
                attempt=attempt,
                status=status,
                failure=outcome.failure,
                retry_after=retry_after,
                single_use=context.single_use,
            )
            what = outcome.failure or f"HTTP {status}"
            logger.debug(
                "%s %s (%s): attempt %d -> %s", method, safe_url(url), context.endpoint, attempt, what
            )
            if delay is None:
                return outcome.reply
            logger.info(
                "%s %s: %s, retrying once in %.1f s", method, safe_url(url), _describe(outcome), delay
            )
            if delay > 0:
                self.sleep(delay)
            attempt += 1

    def _send_single(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> _Attempt:
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
            return _Attempt(HttpReply(0, {}, network_error(url, exc)), _failure_kind(exc))
        result = reply_to_result(url, response, now=self.clock())
        return _Attempt(HttpReply(response.status_code, response.headers, result))


def _throttle_request(
    method: str, url: str, data: Mapping[str, str] | None, context: RequestContext
) -> Request:
    return Request(
        method=method,
        url=url,
        data=data,
        endpoint=context.endpoint,
        client_id=context.client_id,
        public_client=context.public_client,
        scopes=tuple(context.scopes),
        grant_secret=context.grant_secret,
        device_code_poll=context.device_code_poll,
    )


class _Headers(Mapping[str, str]):
    """Case-insensitive read-only headers for a replayed reply (stored lower-cased)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = {k.lower(): v for k, v in headers.items()}

    def __getitem__(self, key: str) -> str:
        return self._headers[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


def _get_header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _describe(outcome: _Attempt) -> str:
    if outcome.failure == "connect":
        return "could not connect"
    if outcome.failure is not None:
        return "no complete reply (timeout or reset)"
    return f"HTTP {outcome.reply.status}"


def reply_to_result(url: str, response: requests.Response, *, now: float | None = None) -> dict[str, Any]:
    """Turn an HTTP response into a result dict (see the module docstring)."""
    now = time.time() if now is None else now
    status = response.status_code
    body = _json_object(response)
    if body is not None:
        if status == 429 or status >= 500:
            return {**body, "http_status": status} if "error" in body else _unavailable(url, response, now)
        return body
    if status == 429 or status >= 500:
        return _unavailable(url, response, now)
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


def _unavailable(url: str, response: requests.Response, now: float) -> dict[str, Any]:
    status = response.status_code
    result: dict[str, Any] = {
        "error": "server_error" if status == 500 else "temporarily_unavailable",
        "error_description": f"{_host(url)} answered HTTP {status}: {_excerpt(response)}",
        "http_status": status,
    }
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now=now)
    if retry_after is not None:
        result["retry_after"] = retry_after
    return result


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
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the connection timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _never_connected(exc):
            return "the connection could not be established"
        return "the connection was closed or reset before a complete reply"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the reply was cut short"
    return "the request failed"


def _failure_kind(exc: BaseException) -> Failure:
    """Whether the request may have reached the server: that decides if a single-use request may be resent."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect"
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return "connect"
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return "read"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return "read"
    return "other"


def _never_connected(exc: BaseException) -> bool:
    """True when urllib3 says no connection was made (refused, DNS, connect timeout)."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectTimeoutError):
            return True
        todo.extend([*item.args, getattr(item, "reason", None), item.__cause__, item.__context__])
    return False
