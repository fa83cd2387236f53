"""Every transport failure becomes an error dict from every acquire call; nothing raises."""

from __future__ import annotations

import json

import pytest
import requests
from requests.adapters import BaseAdapter

from nbauth import ConfidentialClientApplication, PublicClientApplication
from nbauth.testing import Fault

AUTHORITY = "https://login.example.com/tenant"
DISCOVERY = {
    "issuer": AUTHORITY + "/v2.0",
    "token_endpoint": AUTHORITY + "/oauth2/v2.0/token",
    "authorization_endpoint": AUTHORITY + "/oauth2/v2.0/authorize",
    "device_authorization_endpoint": AUTHORITY + "/oauth2/v2.0/devicecode",
}


class FakeAdapter(BaseAdapter):
    """Answers discovery; every other request fails as scripted."""

    def __init__(self, failure):
        super().__init__()
        self.failure, self.sent = failure, []

    def send(self, request, **kwargs):
        self.sent.append(request.url)
        if request.url.endswith("openid-configuration"):
            return _response(request, 200, json.dumps(DISCOVERY), "application/json")
        if isinstance(self.failure, Exception):
            raise self.failure
        status, body, content_type = self.failure
        return _response(request, status, body, content_type)

    def close(self):
        pass


def _response(request, status, body, content_type):
    response = requests.Response()
    response.status_code, response._content, response.url, response.request = (
        status,
        body.encode(),
        request.url,
        request,
    )
    response.headers["Content-Type"] = content_type
    return response


FAILURES = {
    "connection": (requests.ConnectionError("refused"), "network_error"),
    "timeout": (requests.Timeout("slow"), "network_error"),
    "tls": (requests.exceptions.SSLError("bad cert"), "network_error"),
    "html500": ((500, "<html><body>Oops</body></html>", "text/html"), "server_error"),
    "malformed": ((200, '{"access_token": ', "application/json"), "invalid_response"),
}


def _apps(failure):
    session = requests.Session()
    adapter = FakeAdapter(failure)
    session.mount("https://", adapter)
    options = {"authority": AUTHORITY, "http_client": session, "sleep": lambda s: None}
    return PublicClientApplication("pub", **options), ConfidentialClientApplication(
        "conf", "secret", **options
    )


def _every_acquire_call(pca, cca):
    account = {"home_account_id": "u.t", "environment": "login.example.com"}
    flow = {"device_code": "dc", "user_code": "U", "interval": 1, "expires_in": 60, "expires_at": 0}
    auth_flow = {
        "state": "s",
        "nonce": "n",
        "code_verifier": "v",
        "redirect_uri": "http://localhost:1",
        "scope": [],
    }
    yield "for_client", cca.acquire_token_for_client(["api://x/.default"])
    yield "refresh_token", pca.acquire_token_by_refresh_token("rt", ["api://x/read"])
    yield "initiate_device_flow", pca.initiate_device_flow(["api://x/read"])
    yield "device_flow", pca.acquire_token_by_device_flow(dict(flow, expires_at=2**40))
    yield "auth_code", pca.acquire_token_by_auth_code_flow(auth_flow, {"code": "c", "state": "s"})
    yield "silent_with_error", pca.acquire_token_silent_with_error(["api://x/read"], account)
    yield "silent", pca.acquire_token_silent(["api://x/read"], account) or {"error": "none"}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_failure_is_an_error_dict_everywhere(name):
    failure, expected = FAILURES[name]
    pca, cca = _apps(failure)
    # Seed the cache with a refresh token so the silent calls actually reach the network.
    pca.token_cache.add(
        {
            "client_id": "pub",
            "scope": ["api://x/read"],
            "token_endpoint": DISCOVERY["token_endpoint"],
            "environment": "login.example.com",
            "grant_type": "refresh_token",
            "data": {},
            "response": {"refresh_token": "seeded-rt", "client_info": "eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ"},
        }
    )
    for call, result in _every_acquire_call(pca, cca):
        if call == "silent":
            assert result == {"error": "none"}, call  # silent turns a failed refresh into None
            continue
        assert result["error"] == expected, (call, result)
        assert result["error_description"], call
        assert "secret" not in result["error_description"]


def test_discovery_failure_is_an_error_dict_and_retried_later(idp, clock):
    idp.faults.add("discovery", Fault.status(404, body="html"))
    app = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, authority=idp.authority
    )
    first = app.acquire_token_for_client([idp.api_app_scope])
    assert first["error"] == "invalid_response" and first["http_status"] == 404
    assert "access_token" in app.acquire_token_for_client([idp.api_app_scope])


@pytest.mark.parametrize(
    "fault",
    [Fault.status(500, body="html"), Fault.malformed_json(), Fault.truncated_json(), Fault.reset()],
    ids=["html500", "malformed", "truncated", "reset"],
)
def test_provider_faults_on_the_token_endpoint(idp, clock, fault):
    idp.faults.add("token", fault, times=2)  # twice: the one automatic retry may fire
    app = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, authority=idp.authority, clock=clock, sleep=clock.sleep
    )
    result = app.acquire_token_for_client([idp.api_app_scope])
    assert result["error"] in {"server_error", "invalid_response", "network_error"}
    assert "access_token" not in result


def test_oidc_authority(idp, clock):
    app = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, oidc_authority=idp.issuer, clock=clock
    )
    result = app.acquire_token_for_client([idp.api_app_scope])
    assert "access_token" in result
    discovery = next(r for r in idp.request_log if r.endpoint == "discovery")
    assert discovery.path.endswith("/v2.0/.well-known/openid-configuration")
    assert "client_info" not in next(r for r in idp.request_log if r.endpoint == "token").params


def test_oidc_issuer_mismatch_is_an_error_dict(idp, clock):
    app = ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, oidc_authority=idp.authority + "/v2.0/", clock=clock
    )
    assert "access_token" in app.acquire_token_for_client([idp.api_app_scope])  # trailing slash is fine
    session = requests.Session()
    session.mount("https://", FakeAdapter((200, "{}", "application/json")))
    other = ConfidentialClientApplication("conf", "secret", oidc_authority=AUTHORITY, http_client=session)
    result = other.acquire_token_for_client(["api://x/.default"])
    assert result["error"] == "invalid_issuer" and AUTHORITY + "/v2.0" in result["error_description"]
    assert not any(url.endswith("/token") for url in session.get_adapter("https://x").sent)
