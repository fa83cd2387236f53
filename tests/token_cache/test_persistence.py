"""PersistedTokenCache: one file, atomic 0600 writes, a cross-process lock, fresh reads, corrupt files
kept."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import sys
from pathlib import Path

import msal
import pytest

from nbauth.core.persistence import CorruptCacheError, PersistedTokenCache, default_cache_path

from ._helpers import ENV, TENANT, app_response, event, user_response

NOW = 1_750_000_000
ADDS_PER_PROCESS = 50


def find_app_token(cache, scope, now=NOW):
    return cache.find_access_token(
        client_id="client-abc", environment=ENV, realm=TENANT, scopes=[scope], home_account_id=None, now=now
    )


def app_event(scope: str):
    return event(app_response(), [scope], grant_type="client_credentials")


def test_default_path_is_in_the_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_cache_path() == tmp_path / "nbauth" / "token_cache.json"
    assert default_cache_path().name == "token_cache.json"


def test_writes_create_a_0600_file_in_msal_format(tmp_path):
    path = tmp_path / "sub" / "cache.json"
    cache = PersistedTokenCache(path)
    assert not path.exists()  # nothing to write yet
    ev = app_event("s1")
    cache.add(ev, now=NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    theirs = msal.SerializableTokenCache()
    theirs.deserialize(path.read_text())
    (at,) = theirs.search("AccessToken", query={"client_id": "client-abc"}, now=NOW)
    assert at["secret"] == ev["response"]["access_token"]
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_lookups_do_not_write(tmp_path):
    path = tmp_path / "cache.json"
    cache = PersistedTokenCache(path)
    cache.add(app_event("s1"), now=NOW)
    before = path.stat()
    assert find_app_token(cache, "s1") is not None
    cache.find("AccessToken", now=NOW)
    cache.find_accounts()
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_second_instance_sees_changes_without_being_told(tmp_path):
    path = tmp_path / "cache.json"
    first, second = PersistedTokenCache(path), PersistedTokenCache(path)
    ev = app_event("s1")
    first.add(ev, now=NOW)
    assert find_app_token(second, "s1")["secret"] == ev["response"]["access_token"]
    second.add(app_event("s2"), now=NOW)  # merges with first's token instead of overwriting it
    assert find_app_token(first, "s1") is not None and find_app_token(first, "s2") is not None
    path.unlink()  # removed by hand: the file is the truth
    assert find_app_token(first, "s1") is None


def _worker(path: str, name: str, count: int) -> None:
    cache = PersistedTokenCache(path)
    for i in range(count):
        cache.add(event(user_response(f"{name}{i}", "t"), [f"scope-{name}-{i}"]), now=NOW)


def test_two_processes_adding_concurrently_lose_no_token(tmp_path):
    path = str(tmp_path / "cache.json")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(path, name, ADDS_PER_PROCESS)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    state = json.loads(Path(path).read_text())  # readable, valid JSON
    targets = {at["target"] for at in state["AccessToken"].values()}
    expected = {f"scope-{n}-{i}" for n in ("a", "b") for i in range(ADDS_PER_PROCESS)}
    assert targets == expected
    assert len(state["RefreshToken"]) == len(state["Account"]) == 2 * ADDS_PER_PROCESS
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_write_replaces_the_file_atomically(tmp_path, monkeypatch):
    path = tmp_path / "cache.json"
    cache = PersistedTokenCache(path)
    cache.add(app_event("s1"), now=NOW)
    old = path.read_bytes()
    seen = []
    real_replace = os.replace

    def replace_and_look(src, dst):
        # Just before the switch, the real file is still the complete old one and the new one is complete.
        seen.append((path.read_bytes(), json.loads(Path(src).read_bytes())))
        assert stat.S_IMODE(os.stat(src).st_mode) == 0o600
        real_replace(src, dst)

    monkeypatch.setattr("nbauth.core.persistence.os.replace", replace_and_look)
    cache.add(app_event("s2"), now=NOW)
    assert seen[0][0] == old
    assert {at["target"] for at in seen[0][1]["AccessToken"].values()} == {"s1", "s2"}


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "cache.json"
    cache = PersistedTokenCache(path)
    cache.add(app_event("s1"), now=NOW)
    old = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nbauth.core.persistence.os.fsync", broken_fsync)
    with pytest.raises(OSError):
        cache.add(app_event("s2"), now=NOW)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.json", "cache.json.lock"]


@pytest.mark.parametrize(
    "content", [b'{"AccessToken": {"k": {"secret": "top-secret-value"', b"\xff\xfe garbage", b"[]"]
)
def test_a_corrupt_file_is_reported_and_preserved_byte_for_byte(tmp_path, content):
    path = tmp_path / "cache.json"
    path.write_bytes(content)
    with pytest.raises(CorruptCacheError) as info:
        PersistedTokenCache(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert str(path) in str(error) and str(error.preserved_at) in str(error)
    assert "top-secret-value" not in str(error) and "top-secret-value" not in repr(error)
    assert error.preserved_at.read_bytes() == content
    assert error.preserved_at.name.startswith("cache.json.corrupt-")
    # The application can carry on: a new cache starts a fresh file and keeps the preserved one.
    cache = PersistedTokenCache(path)
    cache.add(app_event("s1"), now=NOW)
    assert find_app_token(PersistedTokenCache(path), "s1") is not None
    assert error.preserved_at.read_bytes() == content


def test_corruption_by_another_process_is_reported_by_the_next_operation(tmp_path):
    path = tmp_path / "cache.json"
    cache = PersistedTokenCache(path)
    ev = app_event("s1")
    cache.add(ev, now=NOW)
    path.write_text("not json")
    with pytest.raises(CorruptCacheError) as info:
        find_app_token(cache, "s1")
    assert info.value.preserved_at.read_text() == "not json"
    # What this process held is written back on the next change, so nothing it knew is lost.
    cache.add(app_event("s2"), now=NOW)
    fresh = PersistedTokenCache(path)
    assert find_app_token(fresh, "s1")["secret"] == ev["response"]["access_token"]


def test_an_unreadable_file_that_cannot_be_moved_is_never_overwritten(tmp_path, monkeypatch):
    path = tmp_path / "cache.json"
    cache = PersistedTokenCache(path)
    path.mkdir()  # something that cannot be read as a file (works even as root, unlike chmod)
    (path / "keep").write_text("precious")

    def no_rename(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("nbauth.core.persistence.os.rename", no_rename)
    with pytest.raises(CorruptCacheError) as info:
        PersistedTokenCache(path)
    assert info.value.preserved_at is None and "left in place" in str(info.value)
    with pytest.raises(CorruptCacheError):
        cache.add(app_event("s1"), now=NOW)  # never written over
    assert (path / "keep").read_text() == "precious"


def test_repr_names_the_file_but_no_secret(tmp_path):
    cache = PersistedTokenCache(tmp_path / "cache.json")
    ev = event(user_response(), ["s"])
    cache.add(ev, now=NOW)
    text = repr(cache)
    assert "cache.json" in text and "AccessToken=1" in text
    for field in ("access_token", "refresh_token", "id_token"):
        assert ev["response"][field] not in text
