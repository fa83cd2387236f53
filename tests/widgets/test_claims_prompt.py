"""The claims-challenge prompt: plain-words explanation and an in-place sign-in that sends the challenge."""

from __future__ import annotations

import base64
import json

from nbauth.notebook.widgets import ClaimsChallengePrompt
from nbauth.notebook.widgets.claims import decode_challenge, explain_claims
from nbauth.testing import FakeClock
from tests.widgets.fakes import FakeApp
from tests.widgets.helpers import assert_no_secret, body_text, wait_for

CLAIMS = {"access_token": {"acrs": {"essential": True, "value": "c1"}}}
CHALLENGE = json.dumps(CLAIMS)
ERROR = {
    "error": "interaction_required",
    "error_description": "AADSTS50076: Due to a configuration change <i>made by your admin</i>",
    "error_codes": [50076],
    "claims": CHALLENGE,
}


def test_decodes_json_and_base64url_challenges():
    encoded = base64.urlsafe_b64encode(CHALLENGE.encode()).decode().rstrip("=")
    assert decode_challenge(CHALLENGE) == CLAIMS == decode_challenge(encoded)
    assert decode_challenge("not a challenge") == {}


def test_explains_the_common_requirements():
    text = " ".join(
        explain_claims(
            {"access_token": {"acrs": {"values": ["c1", "c2"]}, "xms_cc": {"values": ["CP1"]}},
             "id_token": {"auth_time": {"essential": True}, "amr": {"values": ["mfa"]}}}
        )
    )  # fmt: skip
    assert "authentication context (c1, c2)" in text and "CP1" in text
    assert "recent sign-in" in text and "Multi-factor" in text
    assert "no details" in explain_claims({})[0]


def test_prompt_runs_the_sign_in_with_the_challenge_and_updates_in_place():
    clock = FakeClock()
    app = FakeApp(clock)
    prompt = ClaimsChallengePrompt(app, ["api://demo/Data.Read"], CHALLENGE, error=ERROR, clock=clock)
    text = body_text(prompt)
    assert "authentication context (c1)" in text and "AADSTS50076" in text
    assert "<i>" not in text
    assert "Additional sign-in required" in prompt._repr_mimebundle_()["text/plain"]
    prompt._button.click()
    assert prompt.status == "signing_in" and prompt.sign_in in prompt.children
    wait_for(lambda: prompt.sign_in.status == "waiting", "the device code")
    app.approved.set()
    result = prompt.result.get(timeout=10)
    assert "access_token" in result and prompt.status == "satisfied"
    assert {kw["claims_challenge"] for _name, kw in app.calls} == {CHALLENGE}
    assert "policy is satisfied" in body_text(prompt)
    assert_no_secret(prompt, app.issued_secrets())


def test_a_cancelled_prompt_offers_to_try_again():
    clock = FakeClock()
    app = FakeApp(clock)
    prompt = ClaimsChallengePrompt(app, ["api://demo/Data.Read"], CHALLENGE, clock=clock)
    sign_in = prompt.start()
    wait_for(lambda: sign_in.status == "waiting", "the device code")
    sign_in.cancel()
    assert prompt.result.get(timeout=10)["error"] == "authentication_cancelled"
    assert prompt.status == "cancelled" and not prompt._button.disabled and prompt._button in prompt.children
    second = prompt.start()
    assert second is not sign_in and not prompt.result.done()
    second.cancel()
