"""Round trips with msal 1.39.0: a cache written by nbauth serves msal's ``acquire_token_silent`` without a
request, and a cache written by msal serves nbauth's lookups. First against a fake transport, then with real
tokens from the local identity provider over TLS."""

from __future__ import annotations

import json

import msal
import pytest
import requests

from nbauth.core.token_cache import SerializableTokenCache, environment_and_realm, home_account_id_of

from ._helpers import (
    AUTHORITY,
    CLIENT_ID,
    ENV,
    TENANT,
    FakeIdentityProvider,
    app_response,
    event,
    session_with,
    user_response,
)

API_SCOPES = ["api://x/Data.Read", "api://x/Data.Write"]


@pytest.fixture
def fake_idp():
    return FakeIdentityProvider()


def msal_public_app(cache, session, authority=AUTHORITY, client_id=CLIENT_ID):
    return msal.PublicClientApplication(
        client_id, authority=authority, token_cache=cache, http_client=session, instance_discovery=False
    )


def nbauth_written_user_cache(response):
    # What nbauth's application adds after a device-code sign-in whose reply carried more scopes than asked.
    cache = SerializableTokenCache()
    cache.add(
        event(
            response,
            [*API_SCOPES, "openid", "profile"],
            grant_type="urn:ietf:params:oauth:grant-type:device_code",
        )
    )
    return cache.serialize()


@pytest.mark.parametrize("requested", [API_SCOPES, API_SCOPES[:1]], ids=["exact", "superset"])
def test_msal_silently_uses_a_user_token_written_by_nbauth(fake_idp, requested):
    response = user_response("ada", "t1")
    theirs = msal.SerializableTokenCache()
    theirs.deserialize(nbauth_written_user_cache(response))
    app = msal_public_app(theirs, session_with(fake_idp))
    (account,) = app.get_accounts()
    assert account["username"] == "ada@contoso.example" and account["home_account_id"] == "ada.t1"
    result = app.acquire_token_silent(requested, account=account)
    assert result["access_token"] == response["access_token"]
    assert result["token_source"] == "cache"
    assert fake_idp.requests_to("token") == 0


def test_msal_refreshes_with_a_refresh_token_written_by_nbauth(fake_idp):
    response = user_response("ada", "t1")
    theirs = msal.SerializableTokenCache()
    theirs.deserialize(nbauth_written_user_cache(response))
    fake_idp.token_replies.append(user_response("ada", "t1", scopes=["api://y/Other"]))
    app = msal_public_app(theirs, session_with(fake_idp))
    result = app.acquire_token_silent(["api://y/Other"], account=app.get_accounts()[0])
    assert "access_token" in result
    assert fake_idp.token_requests[0]["refresh_token"] == [response["refresh_token"]]


def test_msal_confidential_client_uses_an_app_token_written_by_nbauth(fake_idp):
    response = app_response()
    ours = SerializableTokenCache()
    ours.add(event(response, ["api://x/.default"], grant_type="client_credentials"))
    theirs = msal.SerializableTokenCache()
    theirs.deserialize(ours.serialize())
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential="not-used",
        authority=AUTHORITY,
        token_cache=theirs,
        http_client=session_with(fake_idp),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(["api://x/.default"])
    assert result["access_token"] == response["access_token"] and result["token_source"] == "cache"
    assert fake_idp.requests_to("token") == 0


def test_nbauth_finds_what_msal_wrote_and_msal_still_reads_it_back(fake_idp):
    reply = user_response("ada", "t1", scopes=[*API_SCOPES, "openid", "profile"])
    fake_idp.token_replies.append(reply)
    theirs = msal.SerializableTokenCache()
    app = msal_public_app(theirs, session_with(fake_idp))
    result = app.acquire_token_by_device_flow(app.initiate_device_flow(API_SCOPES[:1]))
    assert "access_token" in result

    ours = SerializableTokenCache()
    ours.deserialize(theirs.serialize())
    at = ours.find_access_token(
        client_id=CLIENT_ID,
        environment=ENV,
        realm=TENANT,
        scopes=API_SCOPES[:1],
        home_account_id="ada.t1",
        now=_now(),
    )
    assert at["secret"] == reply["access_token"]
    rt = ours.find_refresh_token(client_id=CLIENT_ID, environment=ENV, home_account_id="ada.t1")
    assert rt["secret"] == reply["refresh_token"]
    assert [a["username"] for a in ours.find_accounts(environment=ENV)] == ["ada@contoso.example"]

    # and back again: nothing lost, msal still serves it from the cache
    again = msal.SerializableTokenCache()
    again.deserialize(ours.serialize())
    assert json.loads(again.serialize()) == json.loads(theirs.serialize())
    app = msal_public_app(again, session_with(fake_idp))
    result = app.acquire_token_silent(API_SCOPES, account=app.get_accounts()[0])
    assert result["access_token"] == reply["access_token"] and fake_idp.requests_to("token") == 1


def _now() -> float:
    import time

    return time.time()


# -- with the local identity provider over TLS -----------------------------------------------------


def tls_session(idp) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment would override verify
    session.verify = idp.ca_cert_path
    return session


def test_real_tokens_round_trip_between_msal_and_nbauth(local_idp_tls):
    idp = local_idp_tls
    theirs = msal.SerializableTokenCache()
    app = msal_public_app(theirs, tls_session(idp), authority=idp.authority, client_id=idp.public_client_id)
    flow = app.initiate_device_flow([idp.api_scope])
    idp.approve_device_code(flow["user_code"])
    first = app.acquire_token_by_device_flow(flow)
    assert "access_token" in first, first.get("error")
    token_requests = idp.requests_to("token")

    ours = SerializableTokenCache()
    ours.deserialize(theirs.serialize())
    environment, realm = environment_and_realm(f"{idp.authority}/oauth2/v2.0/token")
    (account,) = ours.find_accounts(environment=environment)
    at = ours.find_access_token(
        client_id=idp.public_client_id,
        environment=environment,
        realm=realm,
        scopes=[idp.api_scope],
        home_account_id=account["home_account_id"],
        now=_now(),
    )
    assert at["secret"] == first["access_token"]

    # nbauth's serialization of msal's cache serves msal's silent call: no new token request
    back = msal.SerializableTokenCache()
    back.deserialize(ours.serialize())
    app = msal_public_app(back, tls_session(idp), authority=idp.authority, client_id=idp.public_client_id)
    result = app.acquire_token_silent([idp.api_scope], account=app.get_accounts()[0])
    assert result["access_token"] == first["access_token"] and result["token_source"] == "cache"
    assert idp.requests_to("token") == token_requests


def test_real_token_added_by_nbauth_serves_msal_without_a_request(local_idp_tls):
    idp = local_idp_tls
    token_endpoint = f"{idp.authority}/oauth2/v2.0/token"
    # The token reply as nbauth's application receives it (ROPC, asking for client_info like MSAL does).
    reply = (
        tls_session(idp)
        .post(
            token_endpoint,
            data={
                "grant_type": "password",
                "client_id": idp.public_client_id,
                "username": idp.username,
                "password": idp.password,
                "scope": f"{idp.api_scope} openid profile offline_access",
                "client_info": "1",
            },
        )
        .json()
    )
    assert "access_token" in reply, reply.get("error")
    ours = SerializableTokenCache()
    ours.add(
        {
            "client_id": idp.public_client_id,
            "scope": reply["scope"].split(),
            "token_endpoint": token_endpoint,
            "response": reply,
            "data": {},
            "grant_type": "password",
        }
    )
    token_requests = idp.requests_to("token")

    theirs = msal.SerializableTokenCache()
    theirs.deserialize(ours.serialize())
    app = msal_public_app(theirs, tls_session(idp), authority=idp.authority, client_id=idp.public_client_id)
    (account,) = app.get_accounts(username=idp.username)
    assert account["home_account_id"] == home_account_id_of(reply)
    result = app.acquire_token_silent([idp.api_scope], account=account)
    assert result["access_token"] == reply["access_token"] and result["token_source"] == "cache"
    assert idp.requests_to("token") == token_requests


# -- nbauth's application on a cache msal wrote ------------------------------------------------------------


def test_nbauth_application_silently_uses_tokens_msal_wrote(fake_idp):
    from nbauth import ConfidentialClientApplication, PublicClientApplication

    reply = user_response("ada", "t1", scopes=[*API_SCOPES, "openid", "profile"])
    fake_idp.token_replies += [reply, app_response()]
    theirs = msal.SerializableTokenCache()
    app = msal_public_app(theirs, session_with(fake_idp))
    assert "access_token" in app.acquire_token_by_device_flow(app.initiate_device_flow(API_SCOPES[:1]))
    confidential = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential="s",
        authority=AUTHORITY,
        token_cache=theirs,
        http_client=session_with(fake_idp),
        instance_discovery=False,
    )
    app_token = confidential.acquire_token_for_client(["api://x/.default"])["access_token"]
    assert fake_idp.requests_to("token") == 2

    ours = SerializableTokenCache()
    ours.deserialize(theirs.serialize())
    public = PublicClientApplication(
        CLIENT_ID, authority=AUTHORITY, token_cache=ours, http_client=session_with(fake_idp)
    )
    (account,) = public.get_accounts()
    result = public.acquire_token_silent(API_SCOPES[:1], account=account)
    assert result["access_token"] == reply["access_token"] and result["token_source"] == "cache"
    ours_app = ConfidentialClientApplication(
        CLIENT_ID,
        client_credential="s",
        authority=AUTHORITY,
        token_cache=ours,
        http_client=session_with(fake_idp),
    )
    assert ours_app.acquire_token_for_client(["api://x/.default"])["access_token"] == app_token
    assert fake_idp.requests_to("token") == 2


def test_tokens_from_nbauth_application_serve_msal_without_a_request(local_idp_tls, fake_clock):
    from nbauth import PublicClientApplication

    idp = local_idp_tls
    ours = SerializableTokenCache()
    app = PublicClientApplication(
        idp.public_client_id,
        authority=idp.authority,
        token_cache=ours,
        http_client=tls_session(idp),
        verify=idp.ca_cert_path,
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )
    flow = app.initiate_device_flow([idp.api_scope])
    assert "user_code" in flow, flow
    idp.approve_device_code(flow["user_code"])
    got = app.acquire_token_by_device_flow(flow)
    assert "access_token" in got, got.get("error")
    token_requests = idp.requests_to("token")

    theirs = msal.SerializableTokenCache()
    theirs.deserialize(ours.serialize())
    msal_app = msal_public_app(
        theirs, tls_session(idp), authority=idp.authority, client_id=idp.public_client_id
    )
    (account,) = msal_app.get_accounts(username=idp.username)
    result = msal_app.acquire_token_silent([idp.api_scope], account=account)
    assert result["access_token"] == got["access_token"] and result["token_source"] == "cache"
    assert idp.requests_to("token") == token_requests
