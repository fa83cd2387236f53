"""``nbauth.testing.demo``: the provider the example notebooks use, in this process or another one."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest
import requests

from nbauth import ConfidentialClientApplication
from nbauth.testing import Fault, LocalIdentityProvider
from nbauth.testing import demo as demo_module
from nbauth.testing.demo import DemoControl, RemoteProvider, demo_provider


@pytest.fixture
def remote(monkeypatch, tmp_path):
    """A provider with its control server, and the RemoteProvider a kernel would get from the environment."""
    with LocalIdentityProvider(auto_approve=0) as idp, DemoControl(idp) as control:
        monkeypatch.setenv("NBAUTH_DEMO_PROVIDER", json.dumps(control.description()))
        monkeypatch.setenv("NBAUTH_DEMO_DIR", str(tmp_path))
        monkeypatch.delenv("NBAUTH_DEMO_CLIENT_SECRET", raising=False)
        yield idp, control, demo_provider(quiet=True)


def test_remote_provider_describes_the_running_provider(remote):
    idp, _, provider = remote
    assert isinstance(provider, RemoteProvider)
    for name in ("authority", "issuer", "tenant_id", "base_url", "api_url", "api_scope", "public_client_id"):
        assert getattr(provider, name) == getattr(idp, name)
    assert provider.client_secret == idp.client_secret  # reachable, as on the provider itself...
    assert idp.client_secret not in repr(provider)  # ...but never shown


def test_faults_and_settings_reach_the_provider_process(remote):
    idp, _, provider = remote
    provider.faults.add("token", Fault.status(429, retry_after=5), times=2)
    provider.conditional_access = True
    provider.refresh_in = 7
    assert idp.faults.pending("token") == 2 and provider.faults.pending("token") == 2
    assert idp.conditional_access is True and provider.conditional_access is True and idp.refresh_in == 7

    app = ConfidentialClientApplication(
        idp.confidential_client_id, client_credential=provider.client_secret, authority=provider.authority
    )
    before = provider.requests_to("token")
    result = app.acquire_token_for_client([idp.api_app_scope])
    assert result.get("http_status") == 429  # the scripted fault answered
    assert provider.requests_to("token") == before + 1 and idp.faults.pending("token") == 1

    provider.reset()  # what every notebook's first cell does
    assert idp.faults.pending() == 0 and idp.conditional_access is False and idp.refresh_in is None


def test_remote_commands_that_fail_raise_in_the_kernel(remote):
    _, _, provider = remote
    with pytest.raises(LookupError):
        provider.approve_device_code()  # nothing pending
    with pytest.raises(AttributeError):
        provider.password = "x"  # only the settable attributes
    with pytest.raises(ValueError):
        provider.faults.add("nowhere", Fault.reset())


def test_control_server_refuses_a_caller_without_its_token(remote):
    idp, control, _ = remote
    request = urllib.request.Request(
        control.url, data=json.dumps({"op": "set", "name": "conditional_access", "value": True}).encode()
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403 and idp.conditional_access is False
    refused.value.close()


def test_settings_point_token_at_the_provider_and_a_scratch_cache(remote, tmp_path):
    idp, _, provider = remote
    settings = demo_module.notebook_settings(provider)
    assert settings["authority"] == idp.authority and settings["scopes"] == [idp.api_scope]
    assert settings["client_id"] == idp.public_client_id and settings["client_secret_env"] == ""
    assert settings["token_cache_path"].startswith(str(tmp_path))
    assert os.environ["NBAUTH_DEMO_CLIENT_SECRET"] == idp.client_secret  # for profiles' client_secret_env


def test_without_the_environment_a_provider_starts_here(monkeypatch, tmp_path):
    monkeypatch.delenv("NBAUTH_DEMO_PROVIDER", raising=False)
    monkeypatch.setenv("NBAUTH_DEMO_AUTO_APPROVE", "0.5")
    monkeypatch.setenv("NBAUTH_DEMO_DIR", str(tmp_path))
    monkeypatch.setattr(demo_module, "_local", None)
    idp = demo_provider(configure=False, quiet=True)
    try:
        assert isinstance(idp, LocalIdentityProvider) and idp.auto_approve == 0.5
        assert demo_provider(configure=False, quiet=True) is idp  # re-running the first cell reuses it
        reply = requests.get(f"{idp.issuer}/.well-known/openid-configuration", timeout=5)
        assert reply.json()["issuer"] == idp.issuer
    finally:
        idp.stop()
