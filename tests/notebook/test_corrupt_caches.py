"""Corrupt persisted caches in a real IPython shell: a clear message naming the file and its preserved copy,
no traceback, the bytes kept, and the next ``%token`` works against the local identity provider."""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError

from nbauth.notebook.results import TokenResult

GARBAGE = b"\x00\x01 not json, not sqlite \xff\xfe" * 40


@pytest.fixture
def configured(shell, local_idp, tmp_path, monkeypatch):
    """The shell as NBAUTH_* variables configure it: the provider's daemon app, caches in tmp_path."""
    monkeypatch.setenv("NBAUTH_CLIENT_ID", local_idp.confidential_client_id)
    monkeypatch.setenv("NBAUTH_AUTHORITY", local_idp.authority)
    monkeypatch.setenv("NBAUTH_SCOPES", local_idp.api_app_scope)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", local_idp.client_secret)
    monkeypatch.setenv("NBAUTH_TOKEN_CACHE", str(tmp_path / "tokens.json"))
    monkeypatch.setenv("NBAUTH_HTTP_CACHE", str(tmp_path / "throttle.sqlite3"))
    shell.line("%unload_ext nbauth")
    shell.line("%load_ext nbauth")  # a new session reads the variables
    return shell


def preserved(path):
    copies = sorted(path.parent.glob(f"{path.name}.corrupt-*"))
    assert len(copies) == 1, copies
    return copies[0]


def assert_reported(error, path):
    copy = preserved(path)
    message = str(error)
    assert str(path) in message and str(copy) in message
    assert copy.read_bytes() == GARBAGE  # byte for byte
    return copy


@pytest.mark.parametrize("name", ["tokens.json", "throttle.sqlite3"])
def test_token_reports_a_corrupt_cache_file_and_the_next_call_signs_in(configured, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(GARBAGE)
    with pytest.raises(UsageError) as caught:
        configured.line("%token")
    copy = assert_reported(caught.value, path)
    result = configured.line("%token")
    assert isinstance(result, TokenResult) and result["token_source"] == "identity_provider"
    assert configured.line("%token")["token_source"] == "cache"
    assert copy.read_bytes() == GARBAGE and path.read_bytes() != GARBAGE  # a fresh file, the copy untouched
    if name == "tokens.json":
        assert json.loads(path.read_text())["AccessToken"]  # the fresh file holds the new token


@pytest.mark.parametrize("name", ["tokens.json", "throttle.sqlite3"])
def test_status_reports_a_corrupt_cache_file_then_shows_the_fresh_one(configured, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(GARBAGE)
    with pytest.raises(UsageError) as caught:
        configured.line("%nbauth status")
    assert_reported(caught.value, path)
    status = configured.line("%nbauth status").text
    assert str(tmp_path / "tokens.json") in status and str(tmp_path / "throttle.sqlite3") in status


def test_the_shell_shows_the_message_without_a_traceback(configured, tmp_path, capsys):
    path = tmp_path / "tokens.json"
    path.write_bytes(GARBAGE)
    outcome = configured.ip.run_cell("%token")
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert isinstance(outcome.error_in_exec, UsageError)
    assert "UsageError" in text and str(preserved(path)) in text
    assert "Traceback" not in text and "sqlite3" not in text and "File " not in text


def test_a_token_cache_corrupted_by_another_process_later(configured, tmp_path):
    assert configured.line("%token")["token_source"] == "identity_provider"
    path = tmp_path / "tokens.json"
    path.write_bytes(GARBAGE)  # another program wrote over it while the kernel runs
    with pytest.raises(UsageError) as caught:
        configured.line("%nbauth status")
    assert_reported(caught.value, path)
    # The session carries on with what it held: the token is still there, and written to a fresh file.
    assert configured.line("%token")["token_source"] == "cache"
    assert configured.line("%token --force-refresh")["token_source"] == "identity_provider"
    assert json.loads(path.read_text())["AccessToken"]


def test_a_throttle_cache_corrupted_later_never_fails_token(configured, tmp_path, local_idp):
    assert configured.line("%token")["token_source"] == "identity_provider"
    path = tmp_path / "throttle.sqlite3"
    configured.session.http_cache().close()  # the next use reconnects, as another kernel would
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(GARBAGE)
    before = local_idp.requests_to("token")
    result = configured.line("%token --force-refresh")
    assert isinstance(result, TokenResult) and result["token_source"] == "identity_provider"
    assert local_idp.requests_to("token") == before + 1
    assert preserved(path).read_bytes() == GARBAGE
    assert "(none)" in configured.line("%nbauth throttle").text  # the fresh cache works
