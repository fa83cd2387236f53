"""SQLiteHttpCache: a MutableMapping that survives restarts and is shared safely by several processes."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest

from nbauth.core import throttle
from nbauth.core.application import ConfidentialClientApplication
from nbauth.core.sqlite_cache import SQLiteHttpCache, default_path
from nbauth.core.throttle import throttle_entries
from nbauth.testing import FakeClock
from nbauth.testing.faults import Fault


@pytest.fixture
def path(tmp_path):
    return tmp_path / "cache" / "http_cache.sqlite3"


def test_is_a_mutable_mapping_that_survives_reopen(path):
    with SQLiteHttpCache(path) as cache:
        cache["a"] = {"status": 429, "result": {"error": "x"}}
        cache["b"] = (1, 2.5, "three")
        cache["b"] = ("replaced",)
        assert len(cache) == 2 and "a" in cache and "zzz" not in cache
        assert sorted(cache) == ["a", "b"]
        assert cache.pop("missing", None) is None
        with pytest.raises(KeyError):
            del cache["missing"]
    with SQLiteHttpCache(path) as again:
        assert again["a"] == {"status": 429, "result": {"error": "x"}}
        assert again.pop("b") == ("replaced",)
        assert dict(again.items()) == {"a": {"status": 429, "result": {"error": "x"}}}
        again.clear()
        assert len(again) == 0
        with pytest.raises(TypeError):
            again[1] = "keys are strings"  # type: ignore[index]


def test_files_are_private(path):
    with SQLiteHttpCache(path) as cache:
        cache["a"] = 1
        for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if name.exists():
                assert stat.S_IMODE(name.stat().st_mode) == 0o600, name
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert cache._execute("PRAGMA journal_mode")[0][0] == "wal"


def test_default_path_is_in_the_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "nbauth" / "http_cache.sqlite3"
    with SQLiteHttpCache() as cache:
        assert cache.path == default_path() and cache.path.exists()


def test_expiry_index_prunes_and_evicts_the_soonest_expiring(path):
    with SQLiteHttpCache(path) as cache:
        cache["plain"] = "never expires"
        for n, expires in enumerate([50, 10, 40, 30]):
            cache.set_expiring(f"p {n}", {"n": n}, 1000 + expires)
        assert [k for k, _ in cache.expiring_items(1000, "p ")] == ["p 1", "p 3", "p 2", "p 0"]
        assert cache.prune(1020, capacity=2, prefix="p ") == 2  # p 1 expired, p 3 evicted
        assert sorted(cache) == ["p 0", "p 2", "plain"]
        assert cache.prune(5000) == 2 and list(cache) == ["plain"]


def test_the_throttle_uses_the_index_and_keeps_capacity(path):
    clock = FakeClock()
    with SQLiteHttpCache(path) as cache:
        small = throttle.Throttle(cache, clock=clock, capacity=3)
        for n, seconds in enumerate([40, 10, 30, 20]):
            request = throttle.Request(
                "POST", "https://x/token", {}, "token", "c1", True, ("s",), f"rt-{n}", False
            )
            small.record(request, 429, {"Retry-After": str(seconds)}, {"error": "temporarily_unavailable"})
        remaining = [round(e.remaining(clock())) for e in throttle_entries(cache, now=clock())]
        assert remaining == [20, 30, 40]
        assert throttle.clear_throttle(cache) == 3 and len(cache) == 0


WRITER = textwrap.dedent(
    """
    import sys
    from nbauth.core.sqlite_cache import SQLiteHttpCache
    path, me, other, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cache = SQLiteHttpCache(path)
    seen = 0
    for n in range(count):
        cache[f"{me}-{n}"] = {"writer": me, "n": n, "pad": "x" * 200}
        assert cache[f"{me}-{n}"]["n"] == n
        cache.set_expiring(f"shared-{n % 7}", {"writer": me}, 2e9)  # both write the same keys too
        seen = max(seen, sum(1 for key in cache if key.startswith(other)))
    print(seen)
    """
)


def test_two_processes_writing_at_once_lose_nothing_and_corrupt_nothing(path):
    count = 150
    SQLiteHttpCache(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), me, other, str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for me, other in (("a", "b"), ("b", "a"))
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    with SQLiteHttpCache(path) as cache:
        for me in "ab":
            assert [cache[f"{me}-{n}"]["n"] for n in range(count)] == list(range(count))
        assert len(cache) == 2 * count + 7
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


SECOND_PROCESS = textwrap.dedent(
    """
    import json, sys
    from nbauth.core.application import ConfidentialClientApplication
    from nbauth.core.sqlite_cache import SQLiteHttpCache
    args = json.load(sys.stdin)
    cache = SQLiteHttpCache(args["path"])
    app = ConfidentialClientApplication(
        args["client_id"], args["secret"], authority=args["authority"], http_cache=cache
    )
    print(json.dumps(app.acquire_token_for_client([args["scope"]])))
    """
)


def test_a_second_process_replays_a_429_recorded_by_the_first(path, local_idp):
    def app():
        return ConfidentialClientApplication(
            local_idp.confidential_client_id, local_idp.client_secret, authority=local_idp.authority,
            http_cache=SQLiteHttpCache(path),
        )  # fmt: skip

    local_idp.faults.add("token", Fault.status(429, retry_after=600))
    first = app().acquire_token_for_client([local_idp.api_app_scope])
    assert first["error"] == "temporarily_unavailable" and local_idp.requests_to("token") == 1
    args = {
        "client_id": local_idp.confidential_client_id, "secret": local_idp.client_secret,
        "authority": local_idp.authority, "scope": local_idp.api_app_scope, "path": str(path),
    }  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == first
    assert local_idp.requests_to("token") == 1  # the second process sent nothing
    assert local_idp.requests_to("discovery") == 1  # its metadata came from the shared cache too


def test_after_a_restart_the_remaining_window_is_intact(path, local_idp, fake_clock):
    def app(cache):
        return ConfidentialClientApplication(
            local_idp.confidential_client_id, local_idp.client_secret, authority=local_idp.authority,
            http_cache=cache, clock=fake_clock, sleep=fake_clock.sleep,
        )  # fmt: skip

    local_idp.faults.add("token", Fault.status(503, retry_after=100))
    cache = SQLiteHttpCache(path)
    first = app(cache).acquire_token_for_client([local_idp.api_app_scope])
    cache.close()  # the kernel goes away
    fake_clock.advance(40)
    cache = SQLiteHttpCache(path)  # a new kernel
    (entry,) = throttle_entries(cache, now=fake_clock())
    assert entry.remaining(fake_clock()) == 60 and entry.error == first
    assert app(cache).acquire_token_for_client([local_idp.api_app_scope]) == first
    assert local_idp.requests_to("token") == 1
    fake_clock.advance(60)
    assert "access_token" in app(cache).acquire_token_for_client([local_idp.api_app_scope])
    assert local_idp.requests_to("token") == 2
    cache.close()


def test_pickles_as_its_path(path):
    import pickle

    with SQLiteHttpCache(path) as cache:
        cache["k"] = "v"
        clone = pickle.loads(pickle.dumps(cache))  # noqa: S301 (our own object)
        assert clone["k"] == "v" and clone.path == cache.path
        clone.close()
    assert os.path.exists(path)
