"""A file-backed ``http_cache``: a ``MutableMapping`` on SQLite, shared by kernels and processes, kept across
restarts.

Why SQLite: it is in the standard library, and its own locking makes concurrent writers from several
processes safe without a lock file. Each operation is one short transaction; WAL mode lets readers proceed
while another process writes, and ``busy_timeout`` makes a writer wait for the lock instead of failing.
Values are pickled (the throttle stores plain dicts); the file is created with mode 0600 in a 0700
directory, because a throttle entry shows which endpoints a user called and how they failed.

Besides the mapping interface it keeps an ``expires_at`` column, indexed, for what the throttle stores
through :meth:`SQLiteHttpCache.set_expiring`: pruning expired entries and evicting the soonest-expiring ones
are single ``DELETE`` statements, and listing the live entries reads only those rows
(``nbauth.core.throttle`` uses these when present and falls back to scanning for any other mapping).

A file that is not a usable SQLite database (garbage, a truncated or damaged database; an empty file is a new
database) is never overwritten: like the token cache it is moved aside, byte for byte, to
``<file>.corrupt-<UTC timestamp>`` (its ``-wal``/``-shm`` companions follow it under that name), a warning
naming both paths is logged, and :class:`~nbauth.core.corrupt_file.CorruptCacheError` is raised. The
constructor raises it when the file is bad from the start (it opens and checks the file eagerly, with
``PRAGMA quick_check``); an operation raises it when it meets damage done later (another process wrote
garbage). Either way the cache then starts a fresh, empty file: a second ``SQLiteHttpCache(path)``, or the
same instance's next operation, works. The throttle treats a failing cache as a miss (the request is sent,
without the throttle), so corruption never makes an acquire call fail. A file that cannot be moved is left in
place and every operation raises until it is fixed.

Security note: unpickling runs code chosen by whoever wrote the file. The file lives in the user's own cache
directory with mode 0600; only pass a path that no other user can write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any, TypeVar

from nbauth.core.corrupt_file import CorruptCacheError, move_aside

logger = logging.getLogger("nbauth.sqlite_cache")
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB (primary result codes)
_COMPANIONS = ("-wal", "-shm")  # belong to the database file: they move with it
# Statements over the rows stored with an expiry whose key starts with a prefix (``substr(key, 1, len) =
# prefix``: exact, where LIKE would ignore case). Parameters: len(prefix), prefix, then the rest.
_DELETE_EXPIRED = (
    "DELETE FROM entries WHERE expires_at IS NOT NULL AND substr(key, 1, ?) = ? AND expires_at <= ?"
)
_SELECT_LIVE = (
    "SELECT key, value FROM entries WHERE expires_at IS NOT NULL AND substr(key, 1, ?) = ?"
    " AND expires_at > ? ORDER BY expires_at"
)
_COUNT_EXPIRING = "SELECT COUNT(*) FROM entries WHERE expires_at IS NOT NULL AND substr(key, 1, ?) = ?"
_EVICT_SOONEST = (
    "DELETE FROM entries WHERE key IN (SELECT key FROM entries WHERE expires_at IS NOT NULL"
    " AND substr(key, 1, ?) = ? ORDER BY expires_at LIMIT ?)"
)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries ("
    " key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires_at REAL)",
    "CREATE INDEX IF NOT EXISTS entries_expires_at ON entries (expires_at) WHERE expires_at IS NOT NULL",
)


def default_path() -> Path:
    """``<user cache dir>/nbauth/http_cache.sqlite3`` (platformdirs decides the platform's cache dir)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("nbauth", appauthor=False)) / "http_cache.sqlite3"


class SQLiteHttpCache(MutableMapping[str, Any]):
    """``http_cache`` for applications, safe for several processes at once; survives restarts.

    >>> app = PublicClientApplication(client_id, http_cache=SQLiteHttpCache())  # doctest: +SKIP
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout_ms: int = BUSY_TIMEOUT_MS
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._timeout_ms = timeout_ms
        self._lock = threading.RLock()  # one connection per instance, shared by threads one at a time
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._identity: tuple[int, int] | None = None  # the file the connection was opened on
        self._run(lambda conn: None)  # open and check the file now: fail early on an unusable path

    # -- connection ---------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross fork(): a child opens its own.
        if self._conn is None or self._pid != os.getpid():
            self._conn = None
            self._conn = self._open()
            self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        _create_private_file(self.path)
        self._identity = _identity(self.path)
        conn = sqlite3.connect(
            str(self.path), timeout=self._timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across crashes of the process
            for statement in _SCHEMA:
                conn.execute(statement)
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:  # a damaged database that still opens: reads would fail or lie later
                raise _Damaged(f"fails SQLite's integrity check ({len(problems)} problems)")
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """``operation`` on the connection; a corrupt file is moved aside and reported (module docstring)."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    return operation(self._connection())
                except (sqlite3.DatabaseError, _Damaged) as exc:
                    problem = _corruption(exc)
                    if problem is None:
                        raise
                    self._drop_connection()
                    if attempt == 1 and _identity(self.path) != self._identity:
                        continue  # another process already set the file aside and started a new one
                    self._set_aside(problem)
            raise AssertionError("unreachable")  # pragma: no cover

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def _drop_connection(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def _set_aside(self, problem: str) -> None:
        """Move the unusable file aside and raise; never delete or overwrite it."""
        try:
            target = move_aside(self.path, _COMPANIONS)
        except OSError:
            message = (
                f"The throttle cache file {self.path} {problem}; it was left in place and will not be "
                "overwritten. Fix or remove it to use the cache again."
            )
            logger.warning("%s", message)
            raise CorruptCacheError(message, path=self.path, preserved_at=None) from None
        message = (
            f"The throttle cache file {self.path} {problem}; it was moved to {target} (unchanged) and a "
            "new cache file will be started."
        )
        logger.warning("%s", message)
        raise CorruptCacheError(message, path=self.path, preserved_at=target)

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def __enter__(self) -> SQLiteHttpCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": str(self.path), "timeout_ms": self._timeout_ms}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], timeout_ms=state["timeout_ms"])  # type: ignore[misc]

    # -- MutableMapping -----------------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        rows = self._execute("SELECT value FROM entries WHERE key = ?", (key,))
        if not rows:
            raise KeyError(key)
        return pickle.loads(rows[0][0])  # noqa: S301 (our own 0600 file; see the module docstring)

    def __setitem__(self, key: str, value: Any) -> None:
        self._store(key, value, None)

    def __delitem__(self, key: str) -> None:
        removed = self._run(lambda conn: conn.execute("DELETE FROM entries WHERE key = ?", (key,)).rowcount)
        if removed == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter([row[0] for row in self._execute("SELECT key FROM entries ORDER BY key")])

    def __len__(self) -> int:
        return int(self._execute("SELECT COUNT(*) FROM entries")[0][0])

    def __contains__(self, key: object) -> bool:
        return bool(self._execute("SELECT 1 FROM entries WHERE key = ?", (key,)))

    def pop(self, key: str, *default: Any) -> Any:
        # One statement, so two processes popping the same key cannot both see it.
        rows = self._execute("DELETE FROM entries WHERE key = ? RETURNING value", (key,))
        if rows:
            return pickle.loads(rows[0][0])  # noqa: S301
        if default:
            return default[0]
        raise KeyError(key)

    def clear(self) -> None:
        self._execute("DELETE FROM entries")

    # -- expiry (used by nbauth.core.throttle) ------------------------------------------------------------

    def set_expiring(self, key: str, value: Any, expires_at: float) -> None:
        """Store ``value`` and remember when it expires, so :meth:`prune` can drop it without unpickling."""
        self._store(key, value, float(expires_at))

    def prune(self, now: float, capacity: int | None = None, prefix: str = "") -> int:
        """Drop expired entries, then the soonest-expiring beyond ``capacity`` (among expiring entries)."""
        return self._run(lambda conn: _prune(conn, now, capacity, prefix))

    def expiring_items(self, now: float, prefix: str = "") -> list[tuple[str, Any]]:
        """The unexpired entries stored with an expiry, soonest-expiring first."""
        rows = self._execute(
            _SELECT_LIVE,
            (len(prefix), prefix, now),
        )
        items = []
        for key, blob in rows:
            try:
                items.append((key, pickle.loads(blob)))  # noqa: S301
            except Exception:  # noqa: S112 (written by an incompatible version: not ours to show)
                continue
        return items

    def _store(self, key: str, value: Any, expires_at: float | None) -> None:
        if not isinstance(key, str):
            raise TypeError(f"SQLiteHttpCache keys are str, not {type(key).__name__}")
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._execute(
            "INSERT INTO entries (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            (key, blob, expires_at),
        )

    def __repr__(self) -> str:
        return f"SQLiteHttpCache({str(self.path)!r})"


def _prune(conn: sqlite3.Connection, now: float, capacity: int | None, prefix: str) -> int:
    conn.execute("BEGIN IMMEDIATE")  # count and delete in one write transaction
    try:
        removed = conn.execute(_DELETE_EXPIRED, (len(prefix), prefix, now)).rowcount
        if capacity is not None:
            removed += _evict_beyond(conn, max(0, capacity), prefix)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
                conn.execute("ROLLBACK")
        raise
    return removed


def _evict_beyond(conn: sqlite3.Connection, capacity: int, prefix: str) -> int:
    count = conn.execute(_COUNT_EXPIRING, (len(prefix), prefix)).fetchone()[0]
    excess = count - capacity
    if excess <= 0:
        return 0
    return conn.execute(
        _EVICT_SOONEST,
        (len(prefix), prefix, excess),
    ).rowcount


def _create_private_file(path: Path) -> None:
    """Create the database file (and its directory) readable by the user only, before SQLite opens it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


class _Damaged(Exception):
    """A database that opens but fails its integrity check."""


def _corruption(exc: BaseException) -> str | None:
    """What is wrong with the file when ``exc`` says it is damaged; None for other errors (locked, I/O)."""
    if isinstance(exc, _Damaged):
        return str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _CORRUPT_CODES:
        return f"is not a usable SQLite database ({exc})"  # SQLite's own words: no file content
    return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
