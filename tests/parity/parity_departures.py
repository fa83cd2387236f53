"""Departure scenarios: where the contract says nbauth deliberately differs from MSAL, the test asserts how.

MSAL raises ``MsalServiceError`` on any 5xx, ``JSONDecodeError`` (a ``ValueError``) on a non-JSON body and raw
``requests`` exceptions on network failures; nbauth returns an error dict (contract section 2). MSAL turns
an error reply from the device-code endpoint into a "flow" (adding interval/expires_in/expires_at); nbauth
returns the error dict (section 6). MSAL fetches metadata in its constructor; nbauth on first use (section 1).
Faults are queued three times so nbauth's one automatic retry meets the same failure.
"""

from __future__ import annotations

import json

import requests
from parity_compare import Side, differences
from parity_registry import departure

from nbauth.testing import Fault

FLOW_KEYS_MSAL_INVENTS = {"interval", "expires_in", "expires_at", "_correlation_id"}


def _msal_raised(outcome, kinds):
    how, value = outcome
    assert how == "raised", f"MSAL was expected to raise {kinds}, it returned {value!r}"
    assert isinstance(value, kinds), repr(value)


def _nbauth_error(outcome, error, http_status):
    how, value = outcome
    assert how == "returned", f"nbauth raised {value!r} instead of returning an error dict"
    result = value["result"]
    assert result["error"] == error, result
    assert result.get("http_status") == http_status, result
    assert "access_token" not in result
    assert isinstance(result.get("error_description"), str) and result["error_description"], result
    return result


def _expect(msal_kinds, error, http_status=None):
    def check(msal_outcome, nbauth_outcome):
        import msal

        kinds = tuple(msal.exceptions.MsalServiceError if k == "MsalServiceError" else k for k in msal_kinds)
        _msal_raised(msal_outcome, kinds)
        _nbauth_error(nbauth_outcome, error, http_status)

    return check


def _client_credentials_with(fault):
    def run(lib, idp):
        app = lib.confidential(idp)
        idp.faults.add("token", fault, times=3)
        return {"result": app.acquire_token_for_client(scopes=[idp.api_app_scope])}

    return run


def _register(name, summary, check, fault):
    run = _client_credentials_with(fault)
    run.__name__ = f"scenario_{name}"
    departure(summary, check)(run)


_register(
    "transport_500_html",
    "500 with an HTML page: MSAL raises MsalServiceError; nbauth returns server_error",
    _expect(["MsalServiceError"], "server_error", 500),
    Fault.status(500, body="html"),
)
_register(
    "transport_503_json",
    "503 with Entra's JSON error: MSAL raises MsalServiceError; nbauth returns that JSON plus http_status",
    _expect(["MsalServiceError"], "temporarily_unavailable", 503),
    Fault.status(503),
)
_register(
    "transport_connection_reset",
    "connection reset: MSAL raises requests.ConnectionError; nbauth returns network_error",
    _expect([requests.exceptions.ConnectionError], "network_error"),
    Fault.reset(),
)
_register(
    "transport_malformed_json",
    "200 with malformed JSON: MSAL raises JSONDecodeError; nbauth returns invalid_response",
    _expect([json.JSONDecodeError], "invalid_response", 200),
    Fault.malformed_json(),
)
_register(
    "transport_400_html",
    "400 with an HTML page: MSAL raises JSONDecodeError; nbauth returns invalid_response",
    _expect([json.JSONDecodeError], "invalid_response", 400),
    Fault.status(400, body="html"),
)


def _429_check(msal_outcome, nbauth_outcome):
    assert msal_outcome[0] == nbauth_outcome[0] == "returned", (msal_outcome, nbauth_outcome)
    msal_result, nbauth_result = msal_outcome[1]["result"], dict(nbauth_outcome[1]["result"])
    assert nbauth_result.pop("http_status") == 429
    assert nbauth_result.pop("retry_after", 7) == 7
    assert differences(Side("msal", msal_result, 0), Side("nbauth", nbauth_result, 0)) == []


_register(
    "transport_429_json",
    "429 with Entra's JSON error: both return it; nbauth adds http_status (and retry_after)",
    _429_check,
    Fault.status(429, retry_after=7),
)


def _device_flow_error_check(msal_outcome, nbauth_outcome):
    assert msal_outcome[0] == nbauth_outcome[0] == "returned", (msal_outcome, nbauth_outcome)
    msal_flow, nbauth_flow = msal_outcome[1]["flow"], nbauth_outcome[1]["flow"]
    assert set(msal_flow) >= FLOW_KEYS_MSAL_INVENTS, msal_flow  # MSAL's "flow" made of an error
    assert not FLOW_KEYS_MSAL_INVENTS & set(nbauth_flow), nbauth_flow
    stripped = {k: v for k, v in msal_flow.items() if k not in FLOW_KEYS_MSAL_INVENTS}
    assert differences(Side("msal", stripped, 0), Side("nbauth", nbauth_flow, 0)) == []


@departure(
    "device-code endpoint error: MSAL returns a 'flow'; nbauth the bare error dict", _device_flow_error_check
)
def scenario_device_flow_initiate_error(lib, idp):
    app = lib.public(idp)
    idp.faults.add("devicecode", Fault.oauth_error("unauthorized_client", 700016))
    return {"flow": app.initiate_device_flow(scopes=[idp.api_scope])}


def _constructor_check(msal_outcome, nbauth_outcome):
    _msal_raised(msal_outcome, (requests.exceptions.ConnectionError,))
    _nbauth_error(nbauth_outcome, "network_error", None)


@departure("discovery unreachable: MSAL's constructor raises; nbauth's first acquire returns network_error",
           _constructor_check)  # fmt: skip
def scenario_discovery_unreachable(lib, idp):
    idp.faults.add("discovery", Fault.reset(), times=3)
    app = lib.confidential(idp)
    return {"result": app.acquire_token_for_client(scopes=[idp.api_app_scope])}
