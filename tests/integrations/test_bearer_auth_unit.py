"""BearerAuth against a fake MSAL-API app and a fake API adapter: the decisions, one by one."""

from __future__ import annotations

import io
import json
import logging

import pytest
import requests

from nbauth.integrations import as_requests_auth
from nbauth.integrations.requests_auth import BearerAuth, TokenAcquisitionError

from .fakes import ACRS_CLAIMS, FakeAPI, FakeApp, FakeConfidentialApp, session_with

URL = "https://api.test/me?sig=query-secret"


def claims_of(call) -> dict:
    return json.loads(call[2])


def test_each_request_acquires_silently_and_attaches_the_bearer_token():
    app, api = FakeApp(), FakeAPI(require_claims=False)
    session = session_with(api)
    session.auth = BearerAuth(app, ["api://x/Read"])
    statuses = [session.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert [call[0] for call in app.calls] == ["silent"] * 3
    assert [auth for auth, _ in api.seen] == ["Bearer plain-secret-1"] * 3


def test_claims_challenge_met_silently_is_retried_once_with_the_compliant_token():
    app, api = FakeApp(), FakeAPI()
    response = session_with(api).get(URL, auth=BearerAuth(app, ["api://x/Read"]))
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert len(api.seen) == 2
    assert api.seen[1][0] == "Bearer compliant-secret-2"
    # First a look at the cache (another request may have met the challenge), then the claims.
    assert [call[2] is None for call in app.calls] == [True, True, False]
    assert claims_of(app.calls[2]) == ACRS_CLAIMS
    assert response.request.headers["Authorization"] == "Bearer compliant-secret-2"


def test_unmet_challenge_returns_the_401_once_and_explains_without_secrets(caplog):
    app, api = FakeApp(claims_ok=False), FakeAPI()
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        response = session_with(api).get(URL, auth=BearerAuth(app, ["api://x/Read"]))
    assert response.status_code == 401
    assert len(api.seen) == 1
    assert [call[0] for call in app.calls] == ["silent", "silent", "silent"]
    [record] = caplog.records
    message = record.getMessage()
    assert "access_token.acrs = c1" in message
    assert "interaction_required: AADSTS50076: MFA required." in message
    assert "https://api.test/me" in message
    assert "secret" not in message  # neither the token nor the query string


def test_claims_prompt_is_used_when_silent_fails():
    app, api = FakeApp(claims_ok=False), FakeAPI()
    prompts = []

    def prompt(challenge):
        prompts.append(json.loads(challenge))
        return {"access_token": "compliant-from-prompt", "token_type": "Bearer"}

    response = session_with(api).get(URL, auth=BearerAuth(app, ["api://x/Read"], on_claims_challenge=prompt))
    assert response.status_code == 200
    assert prompts == [ACRS_CLAIMS]
    assert api.seen[1][0] == "Bearer compliant-from-prompt"


def test_cancelled_prompt_returns_the_401(caplog):
    app, api = FakeApp(claims_ok=False), FakeAPI()
    auth = BearerAuth(app, ["api://x/Read"], on_claims_challenge=lambda challenge: None)
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        response = session_with(api).get(URL, auth=auth)
    assert response.status_code == 401
    assert len(api.seen) == 1
    assert "through the prompt: cancelled" in caplog.text


def test_a_second_401_after_the_retry_is_returned_not_retried_again(caplog):
    app, api = FakeApp(), FakeAPI(always_401=True)
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        response = session_with(api).get(URL, auth=BearerAuth(app, ["api://x/Read"]))
    assert response.status_code == 401
    assert len(api.seen) == 2
    assert len(app.calls) == 3
    assert "still answered 401 after one retry" in caplog.text


def test_a_401_without_claims_challenge_is_returned_as_is():
    app, api = FakeApp(), FakeAPI(challenge=False)
    response = session_with(api).get(URL, auth=BearerAuth(app, ["api://x/Read"]))
    assert response.status_code == 401
    assert len(api.seen) == 1
    assert len(app.calls) == 1


def test_a_challenge_met_meanwhile_by_another_request_reuses_its_token():
    app, api = FakeApp(), FakeAPI()
    session = session_with(api)
    auth = BearerAuth(app, ["api://x/Read"])
    first, second = (session.prepare_request(requests.Request("GET", URL, auth=auth)) for _ in range(2))
    assert session.send(first).status_code == 200
    claims_calls = sum(call[2] is not None for call in app.calls)
    response = session.send(second)  # sent with the old token, as a concurrent request would be
    assert response.status_code == 200
    assert [auth for auth, _ in api.seen] == ["Bearer plain-secret-1", "Bearer compliant-secret-2"] * 2
    assert sum(call[2] is not None for call in app.calls) == claims_calls == 1


def test_a_generator_body_is_not_replayed(caplog):
    app, api = FakeApp(), FakeAPI()
    body = (chunk for chunk in [b"a", b"b"])
    with caplog.at_level(logging.WARNING, logger="nbauth"):
        response = session_with(api).post(URL, data=body, auth=BearerAuth(app, ["api://x/Read"]))
    assert response.status_code == 401
    assert api.seen == [("Bearer plain-secret-1", b"ab")]
    assert "cannot be replayed" in caplog.text
    assert app.calls[-1][2] is not None  # the compliant token was still fetched, ready for the re-send


def test_a_seekable_file_body_is_rewound_and_replayed_whole():
    app, api = FakeApp(), FakeAPI()
    body = io.BytesIO(b"header;payload")
    body.read(7)  # requests replays from where the caller left the file, as it does for redirects
    response = session_with(api).post(URL, data=body, auth=BearerAuth(app, ["api://x/Read"]))
    assert response.status_code == 200
    assert [data for _, data in api.seen] == [b"payload", b"payload"]


def test_no_token_raises_a_requests_exception_with_the_error_dict():
    app, api = FakeApp(silent=False), FakeAPI()
    with pytest.raises(TokenAcquisitionError) as caught:
        session_with(api).get(URL, auth=BearerAuth(app, ["api://x/Read"]))
    assert isinstance(caught.value, requests.RequestException)
    assert caught.value.result["error"] == "interaction_required"
    assert "sign in" in str(caught.value)
    assert api.seen == []


def test_account_is_resolved_by_username_and_ambiguity_is_an_error():
    accounts = [{"username": "ada@contoso.example"}, {"username": "bob@contoso.example"}]
    app, api = FakeApp(accounts=accounts), FakeAPI(challenge=False)
    session_with(api).get(URL, auth=BearerAuth(app, ["s"], account="bob@contoso.example"))
    assert app.calls[0][1] == accounts[1]
    with pytest.raises(TokenAcquisitionError) as caught:
        session_with(api).get(URL, auth=BearerAuth(app, ["s"]))
    assert caught.value.result["error"] == "account_ambiguous"
    assert "bob@contoso.example" in caught.value.result["error_description"]


def test_confidential_client_without_account_uses_client_credentials_also_for_claims():
    app, api = FakeConfidentialApp(), FakeAPI()
    response = session_with(api).get(URL, auth=as_requests_auth(app, ["api://x/.default"]))
    assert response.status_code == 200
    assert [(kind, claims is not None) for kind, _, claims in app.calls] == [
        ("silent", False),
        ("for_client", False),
        ("silent", False),
        ("for_client", False),
        ("for_client", True),
    ]


def test_scopes_must_be_a_list_and_repr_shows_no_secret():
    with pytest.raises(ValueError):
        BearerAuth(FakeApp(), "api://x/Read")
    auth = BearerAuth(FakeApp(), ["api://x/Read"], account="ada@contoso.example")
    assert repr(auth) == (
        "BearerAuth(client_id='fake-client', scopes=['api://x/Read'], account='ada@contoso.example')"
    )


def test_live_integrations_lists_objects_and_usage_without_secrets():
    from nbauth.integrations import as_azure_credential, live_integrations

    app, api = FakeApp(claims_ok=False), FakeAPI()
    app.client_id = "live-client"  # other tests' objects may still be alive, awaiting garbage collection
    auth = BearerAuth(app, ["api://x/Read"], account="ada@contoso.example")
    credential = as_azure_credential(app)
    session_with(api).get(URL, auth=auth)
    entries = {entry["kind"]: entry for entry in live_integrations() if entry["client_id"] == "live-client"}
    assert entries["requests"]["scopes"] == ["api://x/Read"]
    assert entries["requests"]["claims_challenges"] == 1
    assert entries["requests"]["retries"] == 0
    assert entries["requests"]["failures"] == 1
    assert entries["requests"]["last_error"].startswith("interaction_required: AADSTS50076")
    assert entries["azure"]["tokens_acquired"] == 0
    assert "secret" not in repr(live_integrations())
    del auth, credential
    import gc

    gc.collect()
    assert not [e for e in live_integrations() if e["client_id"] == "live-client"]


def test_importing_the_package_loads_neither_requests_nor_azure():
    import subprocess
    import sys

    code = "import sys, nbauth.integrations; print('requests' in sys.modules, 'azure.core' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
