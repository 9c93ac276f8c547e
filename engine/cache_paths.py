"""Where SceneFill keeps its caches (calibrated levels, the model manifest, ...)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def cache_dir() -> Path:
    """``$SCENEFILL_CACHE_DIR``, else ``~/.cache/scenefill``."""
    root = os.environ.get("SCENEFILL_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "scenefill"


@contextmanager
def made_once(name: str) -> Iterator[None]:
    """Hold an exclusive lock named ``name`` in the cache directory while checking for and
    making an expensive cached file, so two processes (a batch fill's workers, a daemon's pool)
    never make the same one at once: the second waits, then finds the first one's file.
    Without a writable cache it does not lock: the work is only done twice."""
    fh = None
    try:
        folder = cache_dir() / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / f"{name}.lock", "a+b")
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    except (OSError, ImportError):
        if fh is not None:
            fh.close()
        fh = None
    try:
        yield
    finally:
        if fh is not None:
            fh.close()  # closing releases the lock
