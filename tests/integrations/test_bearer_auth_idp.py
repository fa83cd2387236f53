"""BearerAuth over real HTTP: nbauth's application, the local identity provider and its demo API."""

from __future__ import annotations

import logging

import jwt
import pytest
import requests

from nbauth import PublicClientApplication
from nbauth.integrations import BearerAuth
from nbauth.testing import Fault, LocalIdentityProvider

LIFETIME = 3600


@pytest.fixture
def idp(fake_clock):
    with LocalIdentityProvider(clock=fake_clock, token_lifetime=LIFETIME) as provider:
        yield provider


@pytest.fixture
def app(idp, fake_clock):
    """A public client with the demo user signed in through the device code flow."""
    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=fake_clock, sleep=fake_clock.sleep
    )
    flow = app.initiate_device_flow([idp.api_scope])
    idp.approve_device_code(flow["user_code"])
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    return app


class Counts:
    """Requests each endpoint saw since the counter was made."""

    def __init__(self, idp):
        self.idp = idp
        self.start = {name: idp.requests_to(name) for name in ("api", "token")}

    def __call__(self, name: str) -> int:
        return self.idp.requests_to(name) - self.start[name]


def tls_session(idp) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides verify
    session.verify = idp.ca_cert_path
    return session


def claims_in(response: requests.Response) -> dict:
    token = response.request.headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})


def test_a_loop_across_token_expiry_keeps_working_with_one_refresh(idp, app, fake_clock):
    session = requests.Session()
    session.auth = BearerAuth(app, [idp.api_scope])
    counts = Counts(idp)
    expiries = set()
    for _ in range(10):  # 10 x 10 minutes: one expiry crossed
        response = session.get(idp.api_url)
        assert response.status_code == 200
        expiries.add(claims_in(response)["exp"])
        fake_clock.advance(600)
    assert counts("api") == 10
    assert counts("token") == 1
    assert len(expiries) == 2


def test_conditional_access_switched_on_mid_loop_is_met_with_one_retry(idp, app):
    session = requests.Session()
    session.auth = BearerAuth(app, [idp.api_scope])
    assert [session.get(idp.api_url).status_code for _ in range(3)] == [200, 200, 200]
    idp.conditional_access = True
    counts = Counts(idp)
    response = session.get(idp.api_url)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert claims_in(response).get("acrs") == ["c1"]
    assert (counts("api"), counts("token")) == (2, 1)
    # The compliant token is cached: the loop goes on without challenges or token requests.
    assert [session.get(idp.api_url).status_code for _ in range(3)] == [200, 200, 200]
    assert (counts("api"), counts("token")) == (5, 1)


def test_requests_in_flight_when_the_policy_starts_share_one_claims_token(idp, app):
    session = requests.Session()
    auth = BearerAuth(app, [idp.api_scope])
    # Both prepared with the same cached token, as concurrent requests in a thread pool would be.
    first, second = (session.prepare_request(requests.Request("GET", idp.api_url, auth=auth)) for _ in "12")
    idp.conditional_access = True
    counts = Counts(idp)
    assert session.send(first).status_code == 200
    response = session.send(second)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert (counts("api"), counts("token")) == (4, 1)


def test_an_unsatisfiable_challenge_returns_the_401_with_an_explanation_and_no_storm(idp, app, caplog):
    session = requests.Session()
    session.auth = BearerAuth(app, [idp.api_scope])
    assert session.get(idp.api_url).status_code == 200
    idp.conditional_access = True
    # The policy wants multi-factor sign-in: the refresh with the claims is refused.
    idp.faults.add("token", Fault.oauth_error("interaction_required", aadsts=50076), times=10)
    counts = Counts(idp)
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        statuses = [session.get(idp.api_url).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    assert counts("api") == 3  # never re-sent
    # One token request: the throttle replays the 400 for the same claims for 60 s (contract section 4).
    assert counts("token") == 1
    messages = [record.getMessage() for record in caplog.records if record.module == "requests_auth"]
    assert len(messages) == 3
    assert all("access_token.acrs = c1" in m and "interaction_required" in m for m in messages)
    secrets = idp.issued_secrets()
    assert not any(secret in caplog.text for secret in secrets)


def test_a_streaming_body_is_not_re_sent(idp, app, caplog):
    session = requests.Session()
    session.auth = BearerAuth(app, [idp.api_scope])
    idp.conditional_access = True
    counts = Counts(idp)
    body = (chunk for chunk in [b"one,", b"two"])  # sent chunked; consumed once sent
    # The provider does not read chunked bodies, so this connection must not be reused afterwards.
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        response = session.get(idp.api_url, data=body, headers={"Connection": "close"})
    assert response.status_code == 401
    assert response.history == []
    assert counts("api") == 1
    assert "cannot be replayed" in caplog.text
    # The compliant token was fetched meanwhile, so sending the request again succeeds at once.
    assert counts("token") == 1
    again = session.get(idp.api_url)
    assert again.status_code == 200
    assert again.history == []
    assert (counts("api"), counts("token")) == (2, 1)


def test_a_rewindable_file_body_is_re_sent_whole(idp, app, tmp_path):
    path = tmp_path / "query.json"
    path.write_bytes(b'{"select": ["name"]}')
    idp.conditional_access = True
    counts = Counts(idp)
    with path.open("rb") as body:
        response = requests.get(idp.api_url, data=body, auth=BearerAuth(app, [idp.api_scope]), timeout=10)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert (counts("api"), counts("token")) == (2, 1)


def test_the_notebook_prompt_meets_a_challenge_that_silent_cannot(idp, app):
    """on_claims_challenge gets the challenge; here it signs in again with it, as the notebook prompt does."""
    idp.conditional_access = True
    idp.faults.add("token", Fault.oauth_error("interaction_required", aadsts=50076))
    prompted = []

    def prompt(challenge):
        prompted.append(challenge)
        flow = app.initiate_device_flow([idp.api_scope], claims_challenge=challenge)
        idp.approve_device_code(flow["user_code"])
        return app.acquire_token_by_device_flow(flow, claims_challenge=challenge)

    counts = Counts(idp)
    session = requests.Session()
    session.auth = BearerAuth(app, [idp.api_scope], on_claims_challenge=prompt)
    response = session.get(idp.api_url)
    assert response.status_code == 200
    assert claims_in(response).get("acrs") == ["c1"]
    assert len(prompted) == 1
    assert counts("api") == 2
    assert session.get(idp.api_url).status_code == 200  # the prompt's token is cached for what follows
    assert (counts("api"), len(prompted)) == (3, 1)


def test_bearer_auth_accepts_msal_itself(local_idp_tls):
    """Any object with MSAL's API: msal 1.39's own application meets the challenge the same way."""
    msal = pytest.importorskip("msal")
    idp = local_idp_tls
    msal_session = tls_session(idp)
    app = msal.PublicClientApplication(
        idp.public_client_id, authority=idp.authority, http_client=msal_session, instance_discovery=False
    )
    flow = app.initiate_device_flow([idp.api_scope])
    idp.approve_device_code(flow["user_code"])
    assert "access_token" in app.acquire_token_by_device_flow(flow)
    session = tls_session(idp)
    session.auth = BearerAuth(app, [idp.api_scope])
    assert session.get(idp.api_url).status_code == 200
    idp.conditional_access = True
    counts = Counts(idp)
    response = session.get(idp.api_url)
    assert response.status_code == 200
    assert claims_in(response).get("acrs") == ["c1"]
    assert (counts("api"), counts("token")) == (2, 1)
