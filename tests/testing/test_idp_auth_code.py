"""Authorization code + PKCE through the HTML sign-in page, in both response modes, and the refresh grant."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from idp_helpers import (
    REDIRECT,
    assert_aadsts,
    authorize_url,
    call_api,
    claims_of,
    pkce_pair,
    redeem_code,
    token_request,
)

from nbauth.testing import LocalIdentityProvider, PageError, read_form, sign_in


@pytest.mark.parametrize("mode", ["query", "form_post"])
def test_sign_in_page_then_code_redemption(local_idp, mode):
    verifier, challenge = pkce_pair()
    result = sign_in(
        authorize_url(local_idp, challenge, response_mode=mode),
        username=local_idp.username,
        password=local_idp.password,
    )
    assert result.response_mode == mode
    assert result.redirect_uri == REDIRECT
    assert result.params["state"] == "state-123"
    reply = redeem_code(local_idp, result.params["code"], verifier)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    id_claims = claims_of(body["id_token"])
    assert id_claims["nonce"] == "nonce-456"
    assert id_claims["aud"] == local_idp.public_client_id
    assert id_claims["iss"] == local_idp.issuer
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=="))
    assert info == {"uid": id_claims["oid"], "utid": local_idp.tenant_id}
    assert call_api(local_idp, body["access_token"]).status_code == 200


def test_the_sign_in_page_is_a_real_form_with_login_hint(local_idp):
    _, challenge = pkce_pair()
    page = requests.get(authorize_url(local_idp, challenge, login_hint="ada@contoso.example"), timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    form = read_form(page.text, "signin")
    assert form.method == "post"
    assert form.fields["username"] == "ada@contoso.example"
    assert set(form.buttons["action"]) == {"accept", "cancel"}


def test_html_is_escaped(local_idp):
    _, challenge = pkce_pair()
    page = requests.get(authorize_url(local_idp, challenge, login_hint='"><script>x</script>'), timeout=10)
    assert "<script>x</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_pkce_mismatch_and_missing_verifier_are_refused(local_idp):
    verifier, challenge = pkce_pair()
    result = sign_in(
        authorize_url(local_idp, challenge), username=local_idp.username, password=local_idp.password
    )
    code = result.params["code"]
    assert_aadsts(redeem_code(local_idp, code, "not-the-verifier-" + "x" * 30), 400, "invalid_grant", 501481)
    assert_aadsts(redeem_code(local_idp, code, ""), 400, "invalid_grant", 50148)
    assert redeem_code(local_idp, code, verifier).status_code == 200
    assert_aadsts(redeem_code(local_idp, code, verifier), 400, "invalid_grant", 54005)  # single use


def test_redirect_uri_must_match_and_unknown_code_is_refused(local_idp):
    verifier, challenge = pkce_pair()
    result = sign_in(
        authorize_url(local_idp, challenge), username=local_idp.username, password=local_idp.password
    )
    other = redeem_code(local_idp, result.params["code"], verifier, redirect_uri="http://localhost:1/other")
    assert_aadsts(other, 400, "invalid_grant", 70000)
    assert_aadsts(redeem_code(local_idp, "garbage", verifier), 400, "invalid_grant", 9002313)


def test_expired_code(local_idp, fake_clock):
    verifier, challenge = pkce_pair()
    result = sign_in(
        authorize_url(local_idp, challenge), username=local_idp.username, password=local_idp.password
    )
    fake_clock.advance(local_idp.code_lifetime)
    assert_aadsts(redeem_code(local_idp, result.params["code"], verifier), 400, "invalid_grant", 70008)


def test_cancel_wrong_password_and_bad_redirect(local_idp):
    _, challenge = pkce_pair()
    cancelled = sign_in(authorize_url(local_idp, challenge), username="", password="", accept=False)
    assert cancelled.params["error"] == "access_denied"
    assert cancelled.params["error_subcode"] == "cancel"
    assert cancelled.params["state"] == "state-123"
    with pytest.raises(PageError, match="AADSTS50126"):
        sign_in(authorize_url(local_idp, challenge), username=local_idp.username, password="wrong")
    bad = requests.get(
        authorize_url(local_idp, challenge, redirect_uri="https://evil.example/cb"), timeout=10
    )
    assert bad.status_code == 400 and "AADSTS50011" in bad.text


def test_authorize_errors_go_back_to_the_redirect_uri(local_idp):
    _, challenge = pkce_pair()
    reply = requests.get(
        authorize_url(local_idp, challenge, scope="api://nbauth-demo/Nope"), allow_redirects=False, timeout=10
    )
    query = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert query["error"] == ["invalid_scope"] and query["error_description"][0].startswith("AADSTS70011:")
    none = requests.get(authorize_url(local_idp, challenge, prompt="none"), allow_redirects=False, timeout=10)
    assert parse_qs(urlsplit(none.headers["Location"]).query)["error"] == ["login_required"]


def test_claims_parameter_gives_an_acrs_token(local_idp):
    verifier, challenge = pkce_pair()
    claims = json.dumps(
        {"access_token": {"acrs": {"essential": True, "value": "c1"}, "xms_cc": {"values": ["CP1"]}}}
    )
    url = authorize_url(local_idp, challenge, claims=claims)
    result = sign_in(url, username=local_idp.username, password=local_idp.password)
    access = claims_of(redeem_code(local_idp, result.params["code"], verifier).json()["access_token"])
    assert access["acrs"] == ["c1"] and access["xms_cc"] == ["CP1"]


def test_auto_approve_skips_the_page():
    with LocalIdentityProvider(auto_approve=0) as idp:
        verifier, challenge = pkce_pair()
        reply = requests.get(authorize_url(idp, challenge), allow_redirects=False, timeout=10)
        assert reply.status_code == 302
        code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
        assert redeem_code(idp, code, verifier).status_code == 200
        posted = requests.get(authorize_url(idp, challenge, response_mode="form_post"), timeout=10)
        assert read_form(posted.text, "response").fields["state"] == "state-123"


def test_refresh_grant_rotates_and_revocation_stops_it(local_idp):
    verifier, challenge = pkce_pair()
    result = sign_in(
        authorize_url(local_idp, challenge), username=local_idp.username, password=local_idp.password
    )
    first = redeem_code(local_idp, result.params["code"], verifier).json()
    data = {"grant_type": "refresh_token", "client_id": local_idp.public_client_id, "client_info": "1"}
    second = token_request(
        local_idp, **data, refresh_token=first["refresh_token"], scope="User.Read openid"
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        claims_of(second["access_token"])["aud"] == "https://graph.microsoft.com"
    )  # another resource, same RT
    assert {"User.Read", "openid", "profile", "offline_access"} <= set(second["scope"].split())
    local_idp.revoke_refresh_tokens()
    revoked = token_request(
        local_idp, **data, refresh_token=second["refresh_token"], scope=local_idp.api_scope
    )
    assert_aadsts(revoked, 400, "invalid_grant", 50173)
    assert_aadsts(
        token_request(local_idp, **data, refresh_token="x", scope="openid"), 400, "invalid_grant", 9002313
    )


def test_refresh_and_expiry_on_the_providers_clock(local_idp, fake_clock):
    local_idp.refresh_in = 1800
    verifier, challenge = pkce_pair()
    result = sign_in(
        authorize_url(local_idp, challenge), username=local_idp.username, password=local_idp.password
    )
    body = redeem_code(local_idp, result.params["code"], verifier).json()
    assert body["refresh_in"] == 1800
    assert call_api(local_idp, body["access_token"]).status_code == 200
    fake_clock.advance(body["expires_in"])
    expired = call_api(local_idp, body["access_token"])
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


def test_prompt_none_uses_the_browser_session_from_a_sign_in(local_idp):
    verifier, challenge = pkce_pair()
    browser = requests.Session()
    sign_in(authorize_url(local_idp, challenge), username=local_idp.username, password=local_idp.password,
            session=browser)  # fmt: skip
    silent = browser.get(
        authorize_url(local_idp, challenge, prompt="none"), allow_redirects=False, timeout=10
    )
    code = parse_qs(urlsplit(silent.headers["Location"]).query)["code"][0]
    assert redeem_code(local_idp, code, verifier).status_code == 200
    stranger = requests.get(
        authorize_url(local_idp, challenge, prompt="none"), allow_redirects=False, timeout=10
    )
    assert parse_qs(urlsplit(stranger.headers["Location"]).query)["error"] == ["login_required"]
