"""Who can answer: detection of an interactive front end, and the sign-in widget path."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nbauth.notebook.frontend import detect
from nbauth.testing import LocalIdentityProvider


def test_a_kernel_is_interactive_only_when_the_request_allowed_stdin(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    batch = detect(SimpleNamespace(kernel=SimpleNamespace(_allow_stdin=False)))
    assert not batch.interactive and not batch.widgets and "batch" in batch.reason
    lab = detect(SimpleNamespace(kernel=SimpleNamespace(_allow_stdin=True)))
    assert lab.interactive and lab.stdin and not lab.widgets  # not started by a Jupyter server
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/analysis.ipynb")
    assert detect(SimpleNamespace(kernel=SimpleNamespace(_allow_stdin=True))).widgets


def test_explicit_settings_override_the_detection():
    batch_kernel = SimpleNamespace(kernel=SimpleNamespace(_allow_stdin=False))
    forced = detect(batch_kernel, interactive=True, widgets=False)
    assert forced.interactive and not forced.stdin and "NbAuth.interactive" in forced.reason
    lab_kernel = SimpleNamespace(kernel=SimpleNamespace(_allow_stdin=True))
    assert not detect(lab_kernel, interactive=False).interactive


def test_a_plain_shell_without_a_terminal_is_not_interactive():
    shell = SimpleNamespace()  # no kernel; pytest's stdin is not a terminal
    assert not detect(shell).interactive


@pytest.mark.timeout(60)
def test_with_widgets_token_returns_the_sign_in_widget_which_fills_the_variable(shell):
    pytest.importorskip("nbauth.notebook.widgets.signin")
    with LocalIdentityProvider(auto_approve=0) as idp:
        shell.settings.authority, shell.settings.client_id = idp.authority, idp.public_client_id
        shell.settings.interactive, shell.settings.widgets = True, True
        widget = shell.line(f"%token {idp.api_scope} -o tok")
        assert type(widget).__name__ == "SignInWidget"
        result = widget.wait(30)
        assert result is not None and "access_token" in result
        assert shell.ip.user_ns["tok"]["access_token"] == result["access_token"]
        assert result["access_token"] not in repr(shell.ip.user_ns["tok"])
        assert shell.line(f"%token {idp.api_scope}")["token_source"] == "cache"


def test_a_throttled_token_shows_a_countdown_when_widgets_are_live(shell, monkeypatch):
    pytest.importorskip("nbauth.notebook.widgets.throttle")
    from nbauth.testing import Fault

    with LocalIdentityProvider() as idp:
        monkeypatch.setenv("DEMO_APP_SECRET", idp.client_secret)
        shell.settings.client_secret_env = "DEMO_APP_SECRET"
        shell.settings.interactive, shell.settings.widgets = True, True
        idp.faults.add("token", Fault.status(429, retry_after=90))
        line = (
            f"%token --client-id {idp.confidential_client_id} --authority {idp.authority} {idp.api_app_scope}"
        )
        assert "error" in shell.line(line)
        countdowns = [o for o in shell.outputs() if "application/vnd.jupyter.widget-view+json" in o["data"]]
        assert len(countdowns) == 1
        assert "429" in shell.all_text() or "throttl" in shell.all_text().lower()
        assert idp.client_secret not in shell.all_text()
