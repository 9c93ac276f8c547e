"""Where SceneFill keeps its caches (calibrated levels, the model manifest, ...)."""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def cache_dir() -> Path:
    """``$SCENEFILL_CACHE_DIR``, else ``~/.cache/scenefill``."""
    root = os.environ.get("SCENEFILL_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "scenefill"


def open_regular(path: str | os.PathLike) -> int:
    """A read-only descriptor of ``path`` if it is a regular file; OSError otherwise.

    Why: a cache directory is the user's, and anything can sit in it. Opening a FIFO for reading
    waits for a writer for ever (a render that hangs until killed); a device or a folder is no
    cache file either. Opened non-blocking, checked, then read as any file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike) -> bytes:
    """The bytes of a regular file (:func:`open_regular`); OSError for anything else."""
    with os.fdopen(open_regular(path), "rb") as fh:
        return fh.read()


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
