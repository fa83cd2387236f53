"""The public API is explicit: this list changes only on purpose (as httpx pins its exported members)."""

import pytest

import nbauth
import nbauth.core
import nbauth.integrations
import nbauth.testing

CORE = [
    "AuthCodeFlow",
    "ConfidentialClientApplication",
    "CorruptCacheError",
    "DeviceFlow",
    "ErrorResult",
    "PersistedTokenCache",
    "PublicClientApplication",
    "RetryPolicy",
    "SQLiteHttpCache",
    "SerializableTokenCache",
    "ThrottleEntry",
    "TokenCache",
    "TokenResult",
    "claims_challenge_from_www_authenticate",
    "clear_throttle",
    "decode_claims",
    "is_error",
    "merge_client_capabilities",
    "throttle_entries",
]
EXTRAS = [
    "BearerAuth",
    "NbAuthCredential",
    "__version__",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def test_nbauth_exports():
    assert nbauth.__all__ == sorted([*CORE, *EXTRAS])


def test_core_exports():
    assert nbauth.core.__all__ == CORE


def test_every_export_resolves_to_the_same_object_everywhere():
    for name in CORE:
        assert getattr(nbauth, name) is getattr(nbauth.core, name)
    assert nbauth.BearerAuth is nbauth.integrations.BearerAuth
    assert nbauth.NbAuthCredential is nbauth.integrations.NbAuthCredential


def test_testing_exports_the_local_identity_provider():
    expected = {"LocalIdentityProvider", "Fault", "FakeClock", "sign_in", "enter_device_code"}
    assert expected <= set(nbauth.testing.__all__)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nbauth.nope  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nbauth.core.nope  # noqa: B018


def test_an_msal_snippet_runs_with_the_import_swapped(local_idp):
    from nbauth import ConfidentialClientApplication

    app = ConfidentialClientApplication(
        local_idp.confidential_client_id,
        authority=local_idp.authority,
        client_credential=local_idp.client_secret,
    )
    result = app.acquire_token_silent(scopes=[local_idp.api_app_scope], account=None)
    if not result:
        result = app.acquire_token_for_client(scopes=[local_idp.api_app_scope])
    assert "access_token" in result, result.get("error_description")
    assert result["token_source"] == "identity_provider"
