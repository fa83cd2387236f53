"""SQLiteHttpCache on a file that is not a usable database: preserved aside, reported, never replaced
silently; the throttle carries on without it, so an acquire call never fails because of it."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from nbauth.core import CorruptCacheError
from nbauth.core.application import ConfidentialClientApplication
from nbauth.core.sqlite_cache import SQLiteHttpCache
from nbauth.testing.faults import Fault

GARBAGE = b"this is not an SQLite database\x00\xff" * 64


@pytest.fixture
def path(tmp_path):
    return tmp_path / "cache" / "http_cache.sqlite3"


def preserved_files(path):
    return sorted(p for p in path.parent.iterdir() if ".corrupt-" in p.name)


def test_garbage_is_moved_aside_byte_for_byte_and_named_in_the_error(path):
    path.parent.mkdir(mode=0o700)
    path.write_bytes(GARBAGE)
    with pytest.raises(CorruptCacheError) as caught:
        SQLiteHttpCache(path)
    error = caught.value
    assert isinstance(error, ValueError) and not isinstance(error, sqlite3.Error)
    assert error.path == path and error.preserved_at is not None
    assert error.preserved_at.name.startswith(f"{path.name}.corrupt-")
    assert error.preserved_at.read_bytes() == GARBAGE
    assert str(path) in str(error) and str(error.preserved_at) in str(error)
    assert "not a usable SQLite database" in str(error)
    assert preserved_files(path) == [error.preserved_at]
    # Afterwards: a fresh, empty cache in the same place; the preserved copy is left alone.
    with SQLiteHttpCache(path) as fresh:
        assert len(fresh) == 0
        fresh["k"] = "v"
        assert fresh["k"] == "v"
    assert error.preserved_at.read_bytes() == GARBAGE


def test_a_truncated_database_is_caught_when_opened(path):
    with SQLiteHttpCache(path) as cache:
        for i in range(200):
            cache[f"key {i}"] = "x" * 400
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CorruptCacheError) as caught:
        SQLiteHttpCache(path)
    assert caught.value.preserved_at.read_bytes() == whole[: len(whole) // 2]
    assert len(SQLiteHttpCache(path)) == 0


def test_an_empty_file_is_a_new_database(path):
    path.parent.mkdir(mode=0o700)
    path.write_bytes(b"")
    with SQLiteHttpCache(path) as cache:
        cache["a"] = 1
        assert dict(cache) == {"a": 1}
    assert preserved_files(path) == []


def test_damage_found_later_is_reported_by_that_operation_and_the_next_one_works(path, caplog):
    cache = SQLiteHttpCache(path)
    cache["a"] = 1
    cache.close()  # as a new process (or this one, reconnecting) would find it
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(GARBAGE)  # another program wrote over the file
    with (
        caplog.at_level(logging.WARNING, logger="nbauth.sqlite_cache"),
        pytest.raises(CorruptCacheError) as caught,
    ):
        cache.get("a")
    assert caught.value.preserved_at.read_bytes() == GARBAGE
    assert str(caught.value.preserved_at) in caplog.text and str(path) in caplog.text
    assert "a" not in cache and len(cache) == 0  # the same instance goes on with a fresh file
    cache["b"] = 2
    assert SQLiteHttpCache(path)["b"] == 2


def test_a_file_that_cannot_be_moved_is_left_in_place_and_keeps_failing(path, monkeypatch):
    path.parent.mkdir(mode=0o700)
    path.write_bytes(GARBAGE)

    def no_rename(src, dst):
        raise PermissionError("read-only directory")

    monkeypatch.setattr("nbauth.core.corrupt_file.os.rename", no_rename)
    for _ in range(2):
        with pytest.raises(CorruptCacheError) as caught:
            SQLiteHttpCache(path)
        assert caught.value.preserved_at is None and "left in place" in str(caught.value)
    assert path.read_bytes() == GARBAGE


def test_a_locked_database_is_not_mistaken_for_corruption(path):
    with SQLiteHttpCache(path) as cache:
        cache["a"] = 1
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError):
            SQLiteHttpCache(path, timeout_ms=50)["b"] = 2
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert preserved_files(path) == [] and SQLiteHttpCache(path)["a"] == 1


def test_acquire_goes_on_without_the_throttle_when_the_cache_file_is_damaged(path, local_idp, caplog):
    cache = SQLiteHttpCache(path)
    app = ConfidentialClientApplication(
        local_idp.confidential_client_id, local_idp.client_secret, authority=local_idp.authority,
        http_cache=cache,
    )  # fmt: skip
    local_idp.faults.add("token", Fault.status(429, retry_after=600))
    first = app.acquire_token_for_client([local_idp.api_app_scope])
    assert first["error"] == "temporarily_unavailable"
    assert app.acquire_token_for_client([local_idp.api_app_scope]) == first  # replayed from the file
    assert local_idp.requests_to("token") == 1
    cache.close()  # the next operation reconnects, as a new kernel would
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(GARBAGE)
    with caplog.at_level(logging.WARNING):
        second = app.acquire_token_for_client([local_idp.api_app_scope])
    # The window was lost with the file: the request is sent, and succeeds; nothing was raised.
    assert "access_token" in second, second.get("error")
    assert local_idp.requests_to("token") == 2
    (preserved,) = preserved_files(path)
    assert preserved.read_bytes() == GARBAGE
    assert str(path) in caplog.text and str(preserved) in caplog.text
    assert local_idp.client_secret not in caplog.text
