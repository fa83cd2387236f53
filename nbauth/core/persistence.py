"""A token cache kept in a file, shared safely by notebooks, kernels and scripts of one user.

:class:`PersistedTokenCache` is a :class:`~nbauth.core.token_cache.SerializableTokenCache` whose content
lives in a JSON file (MSAL's format), by default ``<user cache dir>/token_cache.json`` (``platformdirs``, app
``nbauth``):

- **Atomic writes.** The new content goes to a temporary file in the same directory, is fsynced, then
  ``os.replace``-d over the old file: a reader sees the old file or the new one, never a partial one.
- **Mode 0600.** The temporary file is created by ``os.open(..., 0o600)``, so no other user can ever read it
  (no chmod after the fact); the directory is created 0700.
- **Cross-process lock.** Every change runs under a ``filelock`` lock (``<file>.lock``) as
  re-read -> modify -> write, so two processes adding tokens at the same time never lose each other's tokens.
- **Fresh reads.** Before each read the file's identity (inode, size, mtime) is compared with what was last
  loaded; when another process changed it, it is re-read under the lock.
- **Written only when the state changed.** Lookups never write.
- **A corrupt or unreadable file is never discarded or overwritten.** It is moved aside, byte for byte, to
  ``<file>.corrupt-<UTC timestamp>`` and :class:`CorruptCacheError` is raised, naming both paths. The error is
  raised by the constructor (the file is loaded eagerly) or by the operation that found another process's
  corrupt write. The cache then carries on with what it held in memory (empty after the constructor) and
  writes a fresh file on the next change; a second ``PersistedTokenCache(path)`` works. A file that can be
  neither read nor moved is left in place and every operation raises until it is fixed; it is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nbauth.core.cache_entries import parse_state
from nbauth.core.corrupt_file import CorruptCacheError, move_aside
from nbauth.core.token_cache import SerializableTokenCache

__all__ = ["CorruptCacheError", "PersistedTokenCache", "default_cache_path"]

_NEVER_LOADED: tuple[Any, ...] = ("never loaded",)
_UNREADABLE: tuple[Any, ...] = ("unreadable",)


def default_cache_path() -> Path:
    """``<user cache dir>/token_cache.json``, e.g. ``~/.cache/nbauth/token_cache.json`` on Linux."""
    import platformdirs  # only when a default path is needed

    return Path(platformdirs.user_cache_dir("nbauth", appauthor=False)) / "token_cache.json"


class PersistedTokenCache(SerializableTokenCache):
    """A token cache stored in a file: atomic 0600 writes under a cross-process lock (see module doc)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, lock_timeout: float = 60.0) -> None:
        import filelock  # only persisted caches need it

        super().__init__()
        self.path = Path(path) if path is not None else default_cache_path()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._file_lock = filelock.FileLock(
            f"{self.path}.lock", timeout=lock_timeout, mode=0o600, thread_local=False
        )
        self._stamp: tuple[Any, ...] | None = _NEVER_LOADED
        with self._lock, self._file_lock:
            self._reload_if_changed()

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, path={str(self.path)!r})"

    # -- the hooks of TokenCache -------------------------------------------------------------------

    def _sync_for_read(self) -> None:
        if self._file_stamp() != self._stamp:
            with self._file_lock:
                self._reload_if_changed()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock, self._file_lock:
            self._reload_if_changed()  # merge: apply the change to what other processes wrote
            yield
            if self.has_state_changed:
                self._write()

    def deserialize(self, state: str | bytes | None) -> None:
        """Replace the content and write it to the file."""
        loaded = parse_state(state)
        with self._writing():
            self._reset(loaded)
            self.has_state_changed = True

    # -- the file ----------------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[Any, ...] | None:
        """The file's identity: None when it does not exist. A new inode on every write (os.replace)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError:
            return _UNREADABLE
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _reload_if_changed(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp and stamp is not _UNREADABLE:
            return
        if stamp is None:  # deleted (e.g. a sign-out by hand): the file is the truth
            self._reset({})
            self._stamp = None
            return
        try:
            with open(self.path, "rb") as f:
                data = f.read()
                st = os.fstat(f.fileno())
        except FileNotFoundError:
            self._reset({})
            self._stamp = None
            return
        except OSError as exc:
            self._set_aside(None, f"cannot be read ({type(exc).__name__})")
            return
        try:
            state = parse_state(data)
        except ValueError as exc:
            self._set_aside(data, str(exc).removeprefix("the token cache "))
            return
        self._reset(state)
        self.has_state_changed = False
        self._stamp = (st.st_ino, st.st_size, st.st_mtime_ns)

    def _set_aside(self, data: bytes | None, problem: str) -> None:
        """Move the unusable file aside and raise; never delete or overwrite it."""
        try:
            target = move_aside(self.path)
        except OSError:
            raise CorruptCacheError(
                f"The token cache file {self.path} {problem}; it was left in place and will not be "
                "overwritten. Fix or remove it to use the cache again.",
                path=self.path,
                preserved_at=None,
            ) from None
        self._stamp = None  # no file now; the next change writes a fresh one
        self.has_state_changed = bool(self._cache)
        raise CorruptCacheError(
            f"The token cache file {self.path} {problem}; it was moved to {target} (unchanged) and a new "
            "cache file will be started. Sign in again, or inspect the preserved file.",
            path=self.path,
            preserved_at=target,
        )

    def _write(self) -> None:
        data = self._dump().encode("utf-8")
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        # 0o600 at creation: the file is never readable by anyone else, not even for a moment.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_directory(self.path.parent)
        self._stamp = self._file_stamp()
        self.has_state_changed = False


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
