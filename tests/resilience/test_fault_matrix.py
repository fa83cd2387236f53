"""Acceptance: every scripted fault crossed with every acquire API, over real HTTP to the local provider.

For each cell: the dict returned, how many requests the provider's endpoint saw (1, or 2 with the retry),
that an identical call inside the throttle window sends no request and returns an identical dict, and that
one after the window reaches the provider. Provider and applications share one FakeClock, so windows end
by advancing it; the only real waiting is the timeout fault (client timeout 0.4 s, provider delay 0.6 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from nbauth.core.application import ConfidentialClientApplication, PublicClientApplication
from nbauth.core.throttle import throttle_entries
from nbauth.testing import FakeClock
from nbauth.testing.faults import Fault
from nbauth.testing.provider import LocalIdentityProvider

CLIENT_TIMEOUT = 0.4
PROVIDER_DELAY = 0.6
BUSY = "temporarily_unavailable"
DEFAULT = -1  # the window when no usable Retry-After came: 60 s public, 5 s confidential


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def idp(clock):
    # One provider for the module (its signing key takes a while to make); each test uses fresh apps and
    # caches, clears the fault queues, and counts requests as differences.
    with LocalIdentityProvider(clock=clock, auto_approve=0) as provider:
        yield provider


# -- the acquire APIs -----------------------------------------------------------------------------------


@dataclass
class Api:
    name: str
    endpoint: str  # where the fault is injected and requests are counted
    public: bool = True
    single_use: bool = False  # auth code: never re-sent once it may have reached the server
    device_poll: bool = False  # 400 replies are not replayed
    silent: bool = False


def public_app(idp, clock, timeout):
    return PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, sleep=clock.sleep, timeout=timeout
    )


def signed_in_app(idp, clock, timeout):
    app = public_app(idp, clock, timeout)
    result = app.acquire_token_by_device_flow(app.initiate_device_flow([idp.api_scope]))
    assert "refresh_token" in result, result
    return app, result


def prepare(api: Api, idp, clock, timeout: float) -> tuple[Any, Callable[[], dict[str, Any]]]:
    """Set the scene (sign in first where the API needs it): the application and the call under test."""
    if api.name == "acquire_token_for_client":
        app = ConfidentialClientApplication(
            idp.confidential_client_id, idp.client_secret, authority=idp.authority,
            clock=clock, sleep=clock.sleep, timeout=timeout,
        )  # fmt: skip
        return app, lambda: app.acquire_token_for_client([idp.api_app_scope])
    if api.name == "initiate_device_flow":
        app = public_app(idp, clock, timeout)
        return app, lambda: app.initiate_device_flow([idp.api_scope])
    if api.name == "acquire_token_by_device_flow":
        app = public_app(idp, clock, timeout)
        flow = app.initiate_device_flow([idp.api_scope])
        return app, lambda: app.acquire_token_by_device_flow(flow)
    if api.name == "acquire_token_by_auth_code_flow":
        app = public_app(idp, clock, timeout)
        flow = app.initiate_auth_code_flow(
            [idp.api_scope], redirect_uri="http://localhost:8400/", response_mode="query"
        )
        location = requests.get(flow["auth_uri"], allow_redirects=False, timeout=10).headers["Location"]
        auth_response = dict(parse_qsl(urlsplit(location).query))
        return app, lambda: app.acquire_token_by_auth_code_flow(flow, auth_response)
    app, signed_in = signed_in_app(idp, clock, timeout)
    if api.name == "acquire_token_by_refresh_token":
        return app, lambda: app.acquire_token_by_refresh_token(signed_in["refresh_token"], [idp.api_scope])
    (account,) = app.get_accounts()
    clock.advance(3600)  # the access token has expired: silent must refresh
    return app, lambda: app.acquire_token_silent_with_error([idp.api_scope], account)


APIS = [
    Api("acquire_token_for_client", "token", public=False),
    Api("acquire_token_by_refresh_token", "token"),
    Api("initiate_device_flow", "devicecode"),
    Api("acquire_token_by_device_flow", "token", device_poll=True),
    Api("acquire_token_by_auth_code_flow", "token", single_use=True),
    Api("acquire_token_silent_with_error", "token", silent=True),
]


# -- the faults -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A fault and what the pipeline must make of it (for a request that is safe to repeat)."""

    name: str
    faults: tuple[Fault, ...]  # queued in order
    requests: int  # requests the provider sees for the first call
    error: str | None  # None: the call succeeds
    http_status: int | None = None
    window: int | None = None  # seconds of replay; DEFAULT; None: nothing replayed
    transient: bool = False  # a retry would turn it into success (so a single-use code sees the error)
    timeout: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # more keys the result must have


def _status_cases() -> list[Case]:
    cases = []
    for code in (500, 502, 503):
        error = "server_error" if code == 500 else "temporarily_unavailable"
        for body in ("json", "html"):
            twice = (Fault.status(code, body=body),) * 2
            cases += [
                Case(f"{code}-{body}-twice", twice, 2, error, code, DEFAULT),
                Case(f"{code}-{body}-once", twice[:1], 2, None, transient=True),
                Case(
                    f"{code}-{body}-retry-after-30", (Fault.status(code, retry_after=30, body=body),), 1,
                    error, code, 30, extra={"retry_after": 30} if body == "html" else {},
                ),
            ]  # fmt: skip
    return cases


def _later(clock: FakeClock, seconds: int) -> datetime:
    return datetime.fromtimestamp(clock() + seconds, UTC)


CASES = [
    Case("429-seconds", (Fault.status(429, retry_after=30),), 1, BUSY, 429, 30),
    Case("429-http-date", (), 1, BUSY, 429, 45),  # the fault is made with the clock, in the test
    Case("429-html-no-retry-after", (Fault.status(429, body="html"),), 1, BUSY, 429, DEFAULT),
    *_status_cases(),
    Case("503-retry-after-2-twice", (Fault.status(503, retry_after=2),) * 2, 2, BUSY, 503, 2),
    Case("400-invalid_grant", (Fault.oauth_error(),), 1, "invalid_grant", None, 60),
    Case(
        "400-interaction_required",
        (Fault.oauth_error("interaction_required", 50076, suberror="basic_action", claims='{"a":1}'),),
        1, "interaction_required", None, 60, extra={"suberror": "basic_action", "claims": '{"a":1}'},
    ),
    Case("401-invalid_client", (Fault.oauth_error("invalid_client", 7000215, status=401),), 1, "invalid_client"),  # noqa: E501
    Case("reset-once", (Fault.reset(),), 2, None, transient=True),
    Case("reset-twice", (Fault.reset(),) * 2, 2, "network_error"),
    Case("timeout-once", (Fault.delay(PROVIDER_DELAY),), 2, None, transient=True, timeout=True),
    Case("malformed-json", (Fault.malformed_json(),), 1, "invalid_response", 200),
    Case("truncated-json", (Fault.truncated_json(),), 1, "invalid_response", 200),
]  # fmt: skip


def expected_for(case: Case, api: Api) -> Case:
    """The case for this API: a single-use code is never re-sent; a device poll's 400 is not replayed."""
    if api.single_use and case.requests == 2:
        if case.faults and case.faults[0].kind in ("reset", "delay"):
            return replace(case, requests=1, error="network_error", http_status=None, window=None)
        if case.transient or case.faults:
            code = case.faults[0].status_code
            error = "server_error" if code == 500 else "temporarily_unavailable"
            window = case.window if case.window is not None else DEFAULT
            return replace(case, requests=1, error=error, http_status=code, window=window)
    if api.device_poll and case.window == 60 and case.http_status is None:
        return replace(case, window=None)
    return case


# -- the matrix -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("api", APIS, ids=lambda a: a.name)
def test_fault_matrix(idp, clock, api: Api, case: Case):
    idp.faults.clear()
    app, call = prepare(api, idp, clock, CLIENT_TIMEOUT if case.timeout else 10)
    if case.name == "429-http-date":
        clock.advance(math.ceil(clock()) - clock())  # an HTTP-date counts whole seconds
        case = replace(case, faults=(Fault.status(429, retry_after=_later(clock, 45)),))
    case = expected_for(case, api)
    for fault in case.faults:
        idp.faults.add(api.endpoint, fault)
    before = idp.requests_to(api.endpoint)

    first = call()
    idp.faults.clear()  # a fault the call did not consume must not meet the calls below
    assert idp.requests_to(api.endpoint) - before == case.requests
    assert_result(first, case, api)

    window = case.window
    if window == DEFAULT:
        window = 60 if api.public else 5
    sent = idp.requests_to(api.endpoint)
    if window is None:
        assert throttle_entries(app.http_cache, now=clock()) == []
        if case.error is not None:  # nothing replayed: the same call asks the provider again
            again = call()
            assert idp.requests_to(api.endpoint) == sent + 1
            if not (api.single_use and case.timeout):  # then the delayed first redemption races this one
                assert "error" not in again, again
        return
    (entry,) = throttle_entries(app.http_cache, now=clock())
    # What the throttle replays is what the pipeline returned; silent adds MSAL's "classification" on top.
    assert {key: first[key] for key in entry.error} == entry.error
    assert round(entry.remaining(clock())) == window
    clock.advance(window - 1)
    assert call() == first  # inside the window: the identical dict, and no request
    assert idp.requests_to(api.endpoint) == sent
    clock.advance(1)
    after = call()  # the window has passed: the provider is asked again, and now answers normally
    assert idp.requests_to(api.endpoint) == sent + 1
    assert "error" not in after, after


def assert_result(result: dict[str, Any], case: Case, api: Api) -> None:
    if case.error is None:
        assert "error" not in result, result
        assert ("user_code" in result) if api.endpoint == "devicecode" else ("access_token" in result)
        return
    assert result["error"] == case.error, result
    assert isinstance(result.get("error_description"), str) and result["error_description"]
    if case.http_status is not None:
        assert result["http_status"] == case.http_status
    else:
        assert "http_status" not in result
    for key, value in case.extra.items():
        assert result[key] == value
    assert "access_token" not in result and "refresh_token" not in result
