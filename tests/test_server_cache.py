"""The render cache on its own: verified hits, LRU under a size bound, pins, crash leftovers, the lock."""

from __future__ import annotations

import hashlib
import os

import pytest

from scenefill.server.cache import CacheLocked, RenderCache, clean_output_dir, output_name, publish


def key_of(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def put(cache: RenderCache, i: int, size: int = 1000):
    key = key_of(i)
    data = bytes([i % 256]) * size
    cache.audio_path(key, "wav").write_bytes(data)
    entry = cache.insert(key, "wav", sha256=hashlib.sha256(data).hexdigest(), n_samples=size, sample_rate=48000,
                         channels=2, provenance={"i": i})
    cache.unpin(key)
    return entry


def test_hit_is_verified_and_a_corrupt_entry_is_dropped(tmp_path):
    cache = RenderCache(tmp_path / "c", 10_000)
    cache.open()
    entry = put(cache, 1)
    hit = cache.lookup(entry.key)
    assert hit is not None and hit.provenance == {"i": 1}
    cache.unpin(entry.key)
    entry.path.write_bytes(b"\x00" * 1000)  # same size, different bytes
    assert cache.lookup(entry.key) is None
    assert not entry.path.exists() and not entry.path.with_suffix(".json").exists()
    assert cache.corrupt == 1 and len(cache) == 0 and cache.total_bytes == 0
    put(cache, 2)
    os.truncate(cache.audio_path(key_of(2), "wav"), 10)
    assert cache.lookup(key_of(2)) is None


def test_size_bound_evicts_least_recently_used_but_not_pinned(tmp_path):
    cache = RenderCache(tmp_path / "c", 3000)
    cache.open()
    for i in range(3):
        put(cache, i)
    assert cache.lookup(key_of(0)) is not None  # 0 is now the most recently used
    cache.unpin(key_of(0))
    put(cache, 3)  # over the bound: 1 (least recently used) goes
    assert key_of(1) not in cache and {key_of(0), key_of(2), key_of(3)} <= set(cache._entries)
    assert cache.total_bytes <= 3000 and cache.evictions == 1
    pinned = cache.lookup(key_of(2))
    assert pinned is not None  # pinned while a caller publishes it
    put(cache, 4)  # would evict 2 (oldest) but it is pinned: 0 goes instead
    assert key_of(2) in cache and key_of(0) not in cache
    cache.unpin(key_of(2))
    big = put(cache, 5, size=5000)  # bigger than the whole bound: kept only while pinned
    assert big.key not in cache and cache.total_bytes <= 3000


def test_restart_keeps_entries_and_removes_crash_leftovers(tmp_path):
    cache = RenderCache(tmp_path / "c", 10_000)
    cache.open()
    keep = put(cache, 1)
    temp = keep.path.parent / f".{keep.key}.wav.abc123.part"  # an engine temp file
    temp.write_bytes(b"partial")
    orphan = cache.audio_path(key_of(2), "wav")  # audio without sidecar: killed before the insert
    orphan.write_bytes(b"x" * 10)
    cache.close()

    again = RenderCache(tmp_path / "c", 10_000)
    again.open()
    assert keep.key in again and len(again) == 1
    assert not temp.exists() and not orphan.exists()
    assert again.lookup(keep.key) is not None
    again.close()


def test_one_daemon_per_cache_directory(tmp_path):
    first = RenderCache(tmp_path / "c", 1000)
    first.open()
    with pytest.raises(CacheLocked):
        RenderCache(tmp_path / "c", 1000).open()
    first.close()
    RenderCache(tmp_path / "c", 1000).open()


def test_publish_links_atomically_and_repairs(tmp_path):
    cache = RenderCache(tmp_path / "c", 10_000)
    cache.open()
    entry = put(cache, 7)
    out = tmp_path / "out"
    out.mkdir()
    path = publish(entry, out, output_name("Rain, on a TIN roof!", entry.key, "wav"))
    assert path.name == f"rain-on-a-tin-roof-{entry.key[:16]}.wav"
    assert path.read_bytes() == entry.path.read_bytes()
    assert os.stat(path).st_ino == os.stat(entry.path).st_ino  # same filesystem: a hard link
    path.unlink()
    path.write_bytes(b"not audio")  # a user's damage
    assert publish(entry, out, path.name).read_bytes() == entry.path.read_bytes()
    (out / f".{path.name}.deadbeef.partial").write_bytes(b"half")
    assert clean_output_dir(out) == 1 and sorted(p.name for p in out.iterdir()) == [path.name]


def test_output_names():
    key = "ab" * 32
    assert output_name("", key, "flac") == f"scene-{key[:16]}.flac"
    assert output_name("<|caption|>wind", key, "wav").startswith("caption-wind-")
    assert len(output_name("word " * 100, key, "wav")) < 64
    assert "/" not in output_name("../../etc/passwd", key, "wav")
