"""Content-addressed render cache with a size bound, LRU eviction and hash-verified hits.

Layout (everything under ``<cache-dir>/v1`` is ours)::

    v1/ab/abcdef...64hex.wav     the render, written by the engine (temp file + rename)
    v1/ab/abcdef...64hex.json    sidecar: sha256, size, sample count, provenance...

An entry exists only when both files do; the sidecar is written (atomically)
after the audio, so a crash between the two leaves an orphan that the next
start removes, along with any engine temp files. Recency is kept in memory and
persisted as the sidecar's mtime, so LRU order survives restarts.

A hit re-hashes the file and compares with the sidecar; a mismatch (bit rot, a
truncated copy, someone editing the file) drops the entry and the caller renders
again. Entries being published are pinned and never evicted under the caller.

Output files handed to clients live in the output directory, not here: they are
hard links to the cache entry when both directories share a filesystem (a copy
otherwise), so evicting an entry never removes a file an editor is using.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import threading
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scenefill.engine.errors import SceneFillError

log = logging.getLogger("scenefill.server")

_KEY = re.compile(r"^[0-9a-f]{64}$")
_FORMATS = ("wav", "flac")
PARTIAL_SUFFIX = ".partial"


class CacheLocked(SceneFillError):
    """Another daemon is using this cache directory."""


@dataclass
class CacheEntry:
    key: str
    fmt: str
    size: int
    sha256: str
    n_samples: int
    sample_rate: int
    channels: int
    provenance: dict = field(default_factory=dict)
    path: Path | None = None

    def sidecar(self) -> dict:
        data = asdict(self)
        data.pop("path")
        return data


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class RenderCache:
    def __init__(self, root: str | Path, max_bytes: int) -> None:
        self.root = Path(root).resolve()
        self.objects = self.root / "v1"
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._pins: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._lock_fd: int | None = None
        self.hits = self.misses = self.corrupt = self.evictions = 0

    # ------------------------------------------------------------ open / scan

    def open(self) -> None:
        """Take the directory lock, drop leftovers of a crash and load the index."""
        self.objects.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise CacheLocked(f"cache directory {self.root} is in use by another scenefill server") from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        self._scan()

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _scan(self) -> None:
        found: list[tuple[float, CacheEntry]] = []
        removed = 0
        for sub in self.objects.iterdir():
            if not sub.is_dir() or not re.fullmatch(r"[0-9a-f]{2}", sub.name):
                continue
            keep: set[str] = set()
            for side in sub.glob("*.json"):
                entry = self._load_sidecar(side)
                if entry is None:
                    continue
                keep.update({side.name, entry.path.name})
                found.append((side.stat().st_mtime, entry))
            for f in sub.iterdir():
                if f.name not in keep:
                    # engine temp files (.<name>.xxxx.part), orphans, stray sidecars
                    try:
                        shutil.rmtree(f) if f.is_dir() else f.unlink()
                        removed += 1
                    except OSError:
                        pass
        found.sort(key=lambda item: item[0])
        with self._lock:
            for _, entry in found:
                self._entries[entry.key] = entry
                self._bytes += entry.size
            self._evict_locked()
        if removed:
            log.info("cache: removed %d leftover file(s) from an earlier run", removed)

    def _load_sidecar(self, side: Path) -> CacheEntry | None:
        key = side.stem
        if not _KEY.match(key) or side.parent.name != key[:2]:
            return None
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
            entry = CacheEntry(**data)
        except (OSError, ValueError, TypeError):
            return None
        if entry.key != key or entry.fmt not in _FORMATS:
            return None
        entry.path = side.with_suffix("." + entry.fmt)
        try:
            if entry.path.stat().st_size != entry.size:
                return None
        except OSError:
            return None
        return entry

    # ------------------------------------------------------------ paths / stats

    def audio_path(self, key: str, fmt: str) -> Path:
        """Where a render for ``key`` is written (the directory is created)."""
        if not _KEY.match(key) or fmt not in _FORMATS:
            raise ValueError("bad cache key or format")
        directory = self.objects / key[:2]
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{key}.{fmt}"

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    # ------------------------------------------------------------ hits / inserts

    def lookup(self, key: str) -> CacheEntry | None:
        """A verified entry, pinned (call :meth:`unpin`), or None. Blocking: hashes the file."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._pins[key] += 1
        ok = False
        try:
            ok = entry.path.stat().st_size == entry.size and sha256_file(entry.path) == entry.sha256
        except OSError:
            ok = False
        with self._lock:
            if not ok:
                self._pins[key] -= 1
                if self._pins[key] <= 0:
                    del self._pins[key]
                if self._entries.get(key) is entry:
                    self._drop_locked(entry)
                self.corrupt += 1
                self.misses += 1
                log.warning("cache: entry %s failed hash verification; rendering it again", key[:16])
                return None
            if key in self._entries:
                self._entries.move_to_end(key)
            self.hits += 1
        try:
            os.utime(entry.path.with_suffix(".json"))
        except OSError:
            pass
        return entry

    def insert(self, key: str, fmt: str, *, sha256: str, n_samples: int, sample_rate: int,
               channels: int, provenance: dict) -> CacheEntry:
        """Record a finished render already at :meth:`audio_path`; returns it pinned."""
        path = self.audio_path(key, fmt)
        entry = CacheEntry(key=key, fmt=fmt, size=path.stat().st_size, sha256=sha256, n_samples=n_samples,
                           sample_rate=sample_rate, channels=channels, provenance=provenance, path=path)
        side = path.with_suffix(".json")
        tmp = side.with_name(f".{side.name}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_text(json.dumps(entry.sidecar(), sort_keys=True), encoding="utf-8")
            os.replace(tmp, side)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            self._pins[key] += 1
            self._evict_locked()
        return entry

    def unpin(self, key: str) -> None:
        with self._lock:
            self._pins[key] -= 1
            if self._pins[key] <= 0:
                del self._pins[key]
            self._evict_locked()

    def _drop_locked(self, entry: CacheEntry) -> None:
        self._entries.pop(entry.key, None)
        self._bytes -= entry.size
        for f in (entry.path.with_suffix(".json"), entry.path):  # sidecar first: no entry without audio
            try:
                f.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cache: could not remove %s: %s", f, exc)

    def _evict_locked(self) -> None:
        if self._bytes <= self.max_bytes:
            return
        for key in list(self._entries):
            if self._bytes <= self.max_bytes:
                break
            if self._pins.get(key):
                continue
            self._drop_locked(self._entries[key])
            self.evictions += 1


# ---------------------------------------------------------------- output directory


def output_name(note: str, key: str, fmt: str) -> str:
    """``<a-few-words-of-the-note>-<key prefix>.<fmt>``: readable, unique per render."""
    words = re.findall(r"[a-z0-9]+", note.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 40:
            break
        slug = f"{slug}-{word}" if slug else word
    return f"{slug or 'scene'}-{key[:16]}.{fmt}"


def publish(entry: CacheEntry, out_dir: Path, name: str) -> Path:
    """Make ``out_dir/name`` hold the entry's bytes, atomically; returns the path.

    A hard link when possible (instant, no extra space), else a copy. Never
    leaves a partial file under ``name``: the new file is made under a hidden
    temporary name in ``out_dir`` and renamed over.
    """
    final = out_dir / name
    try:
        st = final.stat()
        src = entry.path.stat()
        if (st.st_dev, st.st_ino) == (src.st_dev, src.st_ino):
            return final
        if st.st_size == entry.size and sha256_file(final) == entry.sha256:
            return final
    except FileNotFoundError:
        pass
    out_dir.mkdir(parents=True, exist_ok=True)  # someone may have removed it while we ran
    tmp = out_dir / f".{name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}"
    try:
        try:
            os.link(entry.path, tmp)
        except OSError:
            shutil.copyfile(entry.path, tmp)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


def clean_output_dir(out_dir: Path) -> int:
    """Remove our temporary files left by a crash (hidden ``*.partial`` names only)."""
    removed = 0
    for f in out_dir.glob(f".*{PARTIAL_SUFFIX}"):
        try:
            f.unlink()
            removed += 1
        except OSError:
            pass
    return removed
