"""Large constant arrays (noise tables, filtered-noise tables) computed once per machine, not per process.

Why: a render draws its noise from shared tables (2 M Gaussian samples, and
1 M-sample filtered-noise tables for the beds) that are pure functions of a
seed and a filter. Computing them is 10-80 ms each at the start of every
``scenefill render``; mapping them back from the page cache costs about a
millisecond. Files live under ``<cache dir>/arrays/``, keyed by what the array
is made from plus the numpy and scipy versions that made it; each carries a
CRC of its bytes, so a damaged file is recomputed, never played. The folder
is kept under a size bound (least recently used go first), and a
cache that cannot be written only costs the computation.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .cache_paths import cache_dir, open_regular

_FORMAT = 1
#: bytes kept on disk (each bed's table is ~4.4 MB, the white-noise table 17 MB: ~40 tables)
MAX_BYTES = 192 << 20
_MAGIC = b"SCENEFILL-ARRAY\n"


def _versions() -> list[str]:
    import scipy  # the package alone (no subpackage): cheap

    return [np.__version__, scipy.__version__]


def folder() -> Path:
    return cache_dir() / "arrays"


def path_for(name: str, key: Any) -> Path:
    digest = hashlib.sha256(json.dumps([_FORMAT, name, key, _versions()], default=repr).encode()).hexdigest()
    return folder() / f"{name}-{digest[:24]}.arr"


def _read(path: Path) -> tuple[np.ndarray, dict] | None:
    """The array and its metadata, or None when the file is missing or damaged in any way.

    The file is mapped, not read: the page cache's own pages back the array, so a render
    does not copy the ~45 MB of tables it uses into fresh memory (about 30 ms of every
    start). Files are only ever replaced whole (``os.replace``), never rewritten in place,
    so a mapping stays valid for as long as the array lives.
    """
    try:
        with os.fdopen(open_regular(path), "rb") as fh:  # not a FIFO: it would wait for ever
            raw = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, unreadable, or empty
        return None
    try:
        if raw[:len(_MAGIC)] != _MAGIC:
            return None
        end = raw.find(b"\n", len(_MAGIC))
        if end < 0:
            return None
        head = json.loads(raw[len(_MAGIC):end])
        body = memoryview(raw)[end + 1:]
        dtype = np.dtype(head["dtype"])
        shape = tuple(int(n) for n in head["shape"])
        if dtype.hasobject or len(body) != dtype.itemsize * int(np.prod(shape)) \
                or zlib.crc32(body) != head["crc32"]:
            return None
        array = np.frombuffer(body, dtype=dtype).reshape(shape)
        array.flags.writeable = False  # shared by every user in the process (and mapped read-only)
        return array, dict(head.get("meta") or {})
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _write(path: Path, array: np.ndarray, meta: dict) -> None:
    try:
        array = np.ascontiguousarray(array)
        body = array.tobytes()
        head = json.dumps({"dtype": array.dtype.str, "shape": list(array.shape), "crc32": zlib.crc32(body),
                           "meta": meta}).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".array.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + head + b"\n")
                fh.write(body)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        _trim(path.parent)
    except OSError:
        pass  # read-only or full: the next process computes it again


def _trim(where: Path) -> None:
    """Keep the most recently used arrays within MAX_BYTES (a read refreshes a file's time)."""
    try:
        files = sorted(((p.stat().st_mtime_ns, p.stat().st_size, p) for p in where.glob("*.arr")), reverse=True)
    except OSError:
        return
    total = 0
    for _, size, path in files:
        total += size
        if total > MAX_BYTES:
            try:
                path.unlink()
            except OSError:
                pass


def cached(name: str, key: Any, make: Callable[[], tuple[np.ndarray, dict]]) -> tuple[np.ndarray, dict]:
    """``make()`` -> (array, small JSON-able metadata), computed once per machine and read back after.

    ``key`` (JSON-able, or anything with a faithful repr) must name everything the
    array depends on besides the numpy and scipy versions. The array returned is
    read-only.
    """
    path = path_for(name, key)
    got = _read(path)
    if got is not None:
        try:
            os.utime(path)
        except OSError:
            pass
        return got
    array, meta = make()
    _write(path, array, meta)
    array = np.asarray(array)
    array.flags.writeable = False
    return array, meta


def resampled(name: str, raw: np.ndarray, up: int, down: int) -> np.ndarray:
    """``scipy.signal.resample_poly(raw, up, down)`` as float32 (1-D ``raw``), computed once per
    machine: the crowd's speech material is minutes long, and the first resampling of a process
    also imports scipy.signal (~0.4 s), for every render of a cafe or a stadium."""
    raw = np.ascontiguousarray(raw, dtype=np.float32)
    key = [int(up), int(down), raw.size, zlib.crc32(raw.tobytes())]

    def make() -> tuple[np.ndarray, dict]:
        from scipy.signal import resample_poly

        return resample_poly(raw, up, down).astype(np.float32), {}

    return cached(f"resampled-{name}", key, make)[0]
