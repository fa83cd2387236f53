"""Side by side with MSAL Python 1.39.0: the same scenario, the same local identity provider (TLS on).

Each scenario runs once with ``msal`` and once with ``nbauth`` (in that order) against one fresh
``LocalIdentityProvider(tls=True)``; the observations (result dicts, flows, accounts, serialized caches,
and what the provider received) are compared key by key under the rules in parity_compare.py: same keys,
equal values, clock values within 1 s, per-issuance values (tokens, ids, state, nonce) by shape. Departure
scenarios assert how nbauth deliberately differs (parity_departures.py).

| id | scenario |
| --- | --- |
| auth_code | auth code + PKCE: sign-in page driven by requests, code redeemed |
| auth_code_flow_dict | auth code + PKCE: the flow dict from initiate_auth_code_flow |
| claims_challenge_bypasses_cache | a claims challenge bypasses the access-token cache in silent |
| claims_challenge_client_credentials | claims_challenge on client credentials reaches the provider |
| client_capabilities | client capabilities CP1: xms_cc sent on client credentials |
| client_capabilities_device_code | CP1 on a user's device code sign-in (devicecode and token requests) |
| client_capabilities_with_challenge | client capabilities CP1 merged with a claims challenge |
| client_credentials | client credentials: token from the provider |
| client_credentials_cache | client credentials: the serialized cache |
| client_credentials_from_cache | client credentials twice: the second from the cache, no request |
| conditional_access | refresh refused with interaction_required + claims, then a sign-in with them |
| consent_required_65001 | consent_required AADSTS65001 on a silent refresh |
| device_code | device code: approved by the user, then redeemed |
| device_code_cache | device code: the serialized cache after a user sign-in |
| device_code_declined | device code poll: authorization_declined |
| device_code_expired_70020 | device code poll: expired_token AADSTS70020 |
| device_flow_dict | device code: the flow dict from initiate_device_flow |
| expired_code_70008 | invalid_grant AADSTS70008 (expired code) when redeeming an authorization code |
| get_accounts | get_accounts: all, by username, by an unknown username |
| interaction_required_50076 | interaction_required AADSTS50076 with claims, on a silent refresh |
| invalid_client_7000215 | invalid_client AADSTS7000215 (401) on client credentials |
| invalid_grant_70000 | invalid_grant AADSTS70000 on the refresh token grant |
| invalid_grant_9002313 | invalid_grant AADSTS9002313 (malformed request) on the refresh token grant |
| invalid_grant_bad_token | invalid_grant AADSTS700082 with suberror bad_token on the refresh token grant |
| invalid_scope_70011 | invalid_scope AADSTS70011 on client credentials |
| refresh_on | refresh_in from the provider: refresh_on in the result and in the cache hit |
| refresh_token | refresh token grant: acquire_token_by_refresh_token |
| remove_account | remove_account: accounts, silent result and cache afterwards |
| silent_aging_refresh_fails | aging token whose refresh fails: the cached token is returned |
| silent_aging_token | aging token (refresh_on passed, still valid): refreshed |
| silent_cached | silent with a fresh cached token: served from the cache |
| silent_expired_refresh_fails | expired token whose refresh fails: None / the error dict |
| silent_expired_token | silent with an expired token: refreshed with the refresh token |
| silent_expiring_soon | silent with a token expiring in under 5 minutes: refreshed |
| silent_force_refresh | silent with force_refresh=True: a new token from the provider |
| silent_no_account | silent with no account: None from both silent variants |
| silent_revoked_refresh_token | refresh token revoked, token expired: invalid_grant |
| unauthorized_client_700016 | unauthorized_client AADSTS700016 on client credentials |
| wrong_client_secret | invalid_client for real: a wrong client secret, judged by the provider |
| **departures** | |
| device_flow_initiate_error | device-code endpoint error: MSAL returns a "flow"; nbauth the bare error dict |
| discovery_unreachable | MSAL's constructor raises; nbauth's first acquire returns network_error |
| transport_400_html | 400 HTML page: MSAL raises JSONDecodeError; nbauth returns invalid_response |
| transport_429_json | 429 JSON error: both return it; nbauth adds http_status (and retry_after) |
| transport_500_html | 500 HTML page: MSAL raises MsalServiceError; nbauth returns server_error |
| transport_503_json | 503 JSON error: MSAL raises MsalServiceError; nbauth returns it plus http_status |
| transport_connection_reset | connection reset: MSAL raises requests.ConnectionError; nbauth network_error |
| transport_malformed_json | 200 malformed JSON: MSAL raises JSONDecodeError; nbauth: invalid_response |
"""

from __future__ import annotations

import re
import time

import parity_departures  # noqa: F401  (registers scenarios)
import parity_errors  # noqa: F401
import parity_grants  # noqa: F401
import parity_silent  # noqa: F401
import pytest
from parity_compare import Side, differences
from parity_libs import msal_library, nbauth_library
from parity_registry import SCENARIOS

from nbauth.testing import LocalIdentityProvider

MIN_SCENARIOS = 30


def _run(scenario, lib, idp):
    """One library's run: ("returned", observations) or, for departures only, ("raised", exception)."""
    try:
        return "returned", scenario.run(lib, idp)
    except Exception as exc:
        if scenario.check is None:
            raise
        return "raised", exc
    finally:
        idp.faults.clear()  # leftovers (e.g. a fault nbauth's retry did not need) must not leak


@pytest.fixture
def msal_honours_verify(monkeypatch):
    """requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override ``Session.verify`` (psf/requests#3829), and
    MSAL sets its CA only there; without this, MSAL would not trust the provider's CA on machines (like CI)
    that export those variables. nbauth passes ``verify`` with each request, so it is unaffected."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_parity_with_msal(scenario_id, msal_honours_verify):
    scenario = SCENARIOS[scenario_id]
    outcomes = {}
    with LocalIdentityProvider(tls=True, **scenario.idp_options) as idp:
        for lib in (msal_library(), nbauth_library()):
            started = time.time()
            outcomes[lib.name] = (started, _run(scenario, lib, idp))
    (msal_started, msal_outcome), (nbauth_started, nbauth_outcome) = outcomes["msal"], outcomes["nbauth"]
    if scenario.check is not None:
        scenario.check(msal_outcome, nbauth_outcome)
        return
    found = differences(
        Side("msal", msal_outcome[1], msal_started), Side("nbauth", nbauth_outcome[1], nbauth_started)
    )
    assert not found, f"nbauth differs from MSAL in {scenario_id}:\n" + "\n".join(found)


def test_at_least_thirty_comparisons_and_the_table_lists_every_scenario():
    compared = [s for s in SCENARIOS.values() if s.check is None]
    assert len(compared) >= MIN_SCENARIOS
    table_ids = set(re.findall(r"^\| ([a-z0-9_]+) \|", __doc__ or "", re.MULTILINE)) - {"id"}
    assert table_ids == set(SCENARIOS)
