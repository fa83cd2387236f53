"""The device authorization grant (RFC 8628): start a flow, then poll until the person has signed in.

Polling (section 3.5) sleeps ``interval`` seconds between polls, adds 5 seconds on ``slow_down``, keeps going
on ``authorization_pending`` and stops on a token, any other error, expiry, or when ``exit_condition(flow)``
is true. The wait is cut into one-second slices, each preceded by the checks, so a Cancel button that makes
``exit_condition`` true stops the loop within a second.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from nbauth.core.oauth2 import GRANT_DEVICE_CODE, TokenClient
from nbauth.core.results import error

DEFAULT_INTERVAL = 5
DEFAULT_EXPIRES_IN = 1800
_KEEP_POLLING = frozenset({"authorization_pending", "slow_down"})
CORRELATION_KEY = "_correlation_id"  # MSAL's key for the flow's correlation id


def initiate(client: TokenClient, scopes: list[str], claims: str | None) -> dict[str, Any]:
    """The provider's device authorization reply plus ``interval``, ``expires_in``, ``expires_at``.

    nbauth: an error reply stays an error dict (MSAL would hand it back as a "flow" without a user code).
    """
    reply = client.request_device_code(scopes, claims)
    if "error" in reply:
        return reply
    if not isinstance(reply.get("device_code"), str) or not reply.get("user_code"):
        return error("invalid_response", "The device authorization reply has no device_code or user_code.")
    flow = dict(reply)
    flow["interval"] = _int(flow.get("interval"), DEFAULT_INTERVAL)  # some providers send strings
    flow["expires_in"] = _int(flow.get("expires_in"), DEFAULT_EXPIRES_IN)
    flow["expires_at"] = client.clock() + flow["expires_in"]
    flow[CORRELATION_KEY] = str(uuid.uuid4())
    return flow


def poll(
    client: TokenClient,
    flow: dict[str, Any],
    *,
    claims: str | None,
    exit_condition: Callable[[dict[str, Any]], bool] | None,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Poll the token endpoint until the flow ends; the last reply (or an expiry error) comes back."""
    if isinstance(flow, dict) and "error" in flow and "device_code" not in flow:
        return dict(flow)  # initiate_device_flow failed: its error is the answer (errors are data)
    device_code = _device_code(flow)
    attempt = 0
    while True:
        attempt += 1
        result = client.obtain(
            GRANT_DEVICE_CODE,
            {"device_code": device_code, "code": device_code, "claims": claims},  # MSAL sends both names
            scopes=(),
            grant_secret=device_code,
            device_code_poll=True,
            attempt=attempt,
        )
        flow["latest_attempt_at"] = client.clock()
        if result.get("error") not in _KEEP_POLLING:
            return result
        if result["error"] == "slow_down":
            flow["interval"] = _int(flow.get("interval"), DEFAULT_INTERVAL) + 5  # RFC 8628 section 3.5
        stop = _wait(client, flow, exit_condition, sleep)
        if stop == "exit":
            return result
        if stop == "expired":
            return error(
                "expired_token",
                "The device code expired before the sign-in was completed; start a new device flow.",
            )


def _wait(
    client: TokenClient,
    flow: Mapping[str, Any],
    exit_condition: Callable[[dict[str, Any]], bool] | None,
    sleep: Callable[[float], None],
) -> str | None:
    for _ in range(max(1, _int(flow.get("interval"), DEFAULT_INTERVAL))):
        if exit_condition is not None and exit_condition(flow):  # type: ignore[arg-type]
            return "exit"
        if client.clock() >= flow.get("expires_at", 0):
            return "expired"
        sleep(1)
    return None


def _device_code(flow: Any) -> str:
    if not isinstance(flow, dict) or not isinstance(flow.get("device_code"), str):
        raise ValueError(
            "flow must be the dict returned by initiate_device_flow() (it has no 'device_code')."
        )
    return flow["device_code"]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
