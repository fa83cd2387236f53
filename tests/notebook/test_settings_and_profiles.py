"""Settings through %config and the environment, %%token profiles, and UsageError for bad input."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from traitlets import TraitError

from nbauth.notebook.settings import NbAuth


def test_config_sets_and_validates_settings(shell):
    shell.line("%config NbAuth.client_id = 'client-1'")
    shell.line("%config NbAuth.scopes = 'api://x/Read offline_access'")
    assert shell.settings.client_id == "client-1"
    assert shell.settings.scopes == ["api://x/Read", "offline_access"]
    with pytest.raises(TraitError):
        shell.settings.authority = "http://login.example.com/tenant"  # http only for loopback
    with pytest.raises(TraitError):
        shell.settings.flow = "magic"
    with pytest.raises(TraitError, match="NAME of an environment variable") as caught:
        shell.settings.client_secret_env = "s3cr3t~value"
    assert "s3cr3t~value" not in str(caught.value)
    shell.settings.authority = "http://127.0.0.1:9/tenant/"
    assert shell.settings.authority == "http://127.0.0.1:9/tenant"


def test_defaults_come_from_the_azure_identity_variables(monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_ID", "from-env")
    monkeypatch.setenv("AZURE_TENANT_ID", "contoso.example")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
    monkeypatch.delenv("NBAUTH_CLIENT_ID", raising=False)
    monkeypatch.delenv("NBAUTH_AUTHORITY", raising=False)
    settings = NbAuth()
    assert settings.client_id == "from-env"
    assert settings.effective_authority() == "https://login.microsoftonline.us/contoso.example"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "the-secret")
    assert settings.client_secret() == "the-secret"
    monkeypatch.setenv("NBAUTH_INTERACTIVE", "sometimes")
    with pytest.raises(TraitError):
        NbAuth().interactive  # noqa: B018


def test_settings_view_lists_every_setting_with_help(shell):
    view = shell.line("%nbauth settings")
    for name in ("client_id", "authority", "flow", "client_secret_env", "wait_timeout", "interactive"):
        assert name in view.text and name in view._repr_html_()


PROFILE = """
# analytics workspace
client_id = 11111111-2222-3333-4444-555555555555
authority: https://login.microsoftonline.com/contoso.example
scopes = [api://analytics/Data.Read, offline_access]
flow = device_code
client_capabilities = CP1
client_secret_env = ANALYTICS_SECRET   # a variable's name
"""


def test_a_profile_is_parsed_and_stored(shell, capsys):
    shell.cell("%%token analytics", PROFILE)
    profile = shell.session.profiles["analytics"]
    assert profile["client_id"] == "11111111-2222-3333-4444-555555555555"
    assert profile["authority"] == "https://login.microsoftonline.com/contoso.example"
    assert profile["scopes"] == ["api://analytics/Data.Read", "offline_access"]
    assert profile["client_capabilities"] == ["CP1"]
    assert profile["client_secret_env"] == "ANALYTICS_SECRET"
    assert "analytics" in capsys.readouterr().out
    assert "analytics" in shell.line("%nbauth profiles").text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("client_secret = hunter2-very-secret", "secrets are never written"),
        ("password: hunter2-very-secret", "secrets are never written"),
        ("colour = blue", "unknown key"),
        ("just some words", "expected 'key = value'"),
        ("flow = telepathy", "flow must be one of"),
        ("authority = http://evil.example/tenant", "https://"),
        ("client_secret_env = not a name", "NAME of an environment variable"),
    ],
)
def test_bad_profiles_are_usage_errors_that_never_echo_a_secret(shell, body, message):
    with pytest.raises(UsageError, match=message) as caught:
        shell.cell("%%token broken", body)
    assert "hunter2" not in str(caught.value)
    assert "broken" not in shell.session.profiles


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%token --flow telepathy", "invalid choice"),
        ("%token api://x/Read", "no client id"),
        ("%token --client-id c", "no scopes"),
        ("%token --client-id c api://x/Read -o 1bad", "Python identifier"),
        ("%token --profile missing", "no profile 'missing'"),
        ("%token --app nothing_here api://x/Read", "no variable 'nothing_here'"),
        ("%token --client-id c --authority http://evil.example/t api://x/Read", "cannot build|https"),
        ("%token --client-id c --flow client_credentials api://x/.default", "confidential client"),
        ("%nbauth dance", "invalid choice"),
        ("%nbauth signout", "signout USERNAME"),
        ("%nbauth use", "use VAR"),
        ("%nbauth throttle clear", "throttle clear ID"),
        ("%nbauth throttle purge", "throttle \\[list\\]"),
    ],
)
def test_bad_input_is_a_usage_error(shell, line, message):
    with pytest.raises(UsageError, match=message):
        shell.line(line)


def test_an_object_without_msal_api_is_refused(shell):
    shell.ip.user_ns["app"] = object()
    with pytest.raises(UsageError, match="MSAL's API"):
        shell.line("%token --app app api://x/Read")
    with pytest.raises(UsageError, match="MSAL's API"):
        shell.line("%nbauth use app")


def test_token_documents_itself(shell):
    doc = shell.ip.find_line_magic("token").__doc__
    for option in ("--client-id", "--tenant", "--authority", "--flow", "--account", "--claims-challenge",
                   "--force-refresh", "--profile", "-o", "--wait", "--timeout", "--as"):  # fmt: skip
        assert option in doc
    assert "--var" in shell.ip.find_cell_magic("with_token").__doc__
    assert "signout" in shell.ip.find_line_magic("nbauth").__doc__
