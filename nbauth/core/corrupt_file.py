"""What the persisted caches do with a file they cannot use: keep it, aside, and say so.

Both :class:`~nbauth.core.persistence.PersistedTokenCache` and
:class:`~nbauth.core.sqlite_cache.SQLiteHttpCache` follow one rule: an unusable file is never deleted nor
overwritten. It is renamed, byte for byte, to ``<file>.corrupt-<UTC timestamp>`` (a random suffix when that
name is taken) and :class:`CorruptCacheError` names both paths; the cache then starts a fresh file.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CorruptCacheError", "move_aside"]


class CorruptCacheError(ValueError):
    """A cache file could not be used. ``path``: the file; ``preserved_at``: where its bytes were kept
    (None when the file could not be moved and was left in place). Never contains file content."""

    def __init__(self, message: str, *, path: Path, preserved_at: Path | None) -> None:
        super().__init__(message)
        self.path = path
        self.preserved_at = preserved_at


def move_aside(path: Path, companion_suffixes: Sequence[str] = ()) -> Path:
    """Rename ``path`` to ``<path>.corrupt-<UTC timestamp>`` and return the new name.

    ``companion_suffixes`` (e.g. SQLite's ``-wal``, ``-shm``) name files that belong with it: each one that
    exists follows it under the new name plus the suffix, so the preserved copy stays whole and a stale
    companion never attaches itself to the fresh file. Raises ``OSError`` when the main file cannot be moved.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    if target.exists():
        target = target.with_name(f"{target.name}-{secrets.token_hex(3)}")
    os.rename(path, target)  # the same bytes and mode, just another name
    for suffix in companion_suffixes:
        companion = path.with_name(path.name + suffix)
        try:
            os.rename(companion, target.with_name(target.name + suffix))
        except FileNotFoundError:
            continue
    return target
