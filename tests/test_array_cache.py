"""Noise tables are computed once per machine and read back, bit for bit, by every later render.

A damaged or foreign file must be recomputed (never played), an unwritable
cache must only cost time, and the folder must not grow without bound.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from scenefill.engine import array_cache
from scenefill.engine.models import _amb, base
from scenefill.engine.models.base import butter


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    return tmp_path / "arrays"


def _make(calls: list):
    def make():
        calls.append(1)
        return np.random.default_rng(3).standard_normal(1000).astype(np.float32), {"scale": 0.1 + 0.2}
    return make


def test_computed_once_then_read_back_identically(cache):
    calls: list = []
    first, meta = array_cache.cached("t", [1, 2.5], _make(calls))
    second, meta2 = array_cache.cached("t", [1, 2.5], _make(calls))
    assert calls == [1] and np.array_equal(first, second) and second.dtype == np.float32
    assert meta2 == meta == {"scale": 0.1 + 0.2}  # floats survive exactly
    assert not second.flags.writeable  # shared tables cannot be scribbled on by one model
    other, _ = array_cache.cached("t", [1, 2.6], _make(calls))
    assert calls == [1, 1]  # another key is another array


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "header"])
def test_a_damaged_file_is_recomputed_never_played(cache, damage):
    calls: list = []
    good, _ = array_cache.cached("t", "k", _make(calls))
    path = array_cache.path_for("t", "k")
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[:-7]
    elif damage == "flip":
        raw[-100] ^= 0x10
    elif damage == "garbage":
        raw = bytearray(b"\x00\xff" * 500)
    elif damage == "empty":
        raw = bytearray()
    else:
        raw = raw.replace(b'"dtype": "<f4"', b'"dtype": "|O8"')
    path.write_bytes(bytes(raw))
    again, _ = array_cache.cached("t", "k", _make(calls))
    assert calls == [1, 1] and np.array_equal(again, good)
    assert array_cache._read(path) is not None  # and the file is sound again


def test_an_unwritable_cache_only_costs_the_computation(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(blocked))
    calls: list = []
    a, _ = array_cache.cached("t", "k", _make(calls))
    b, _ = array_cache.cached("t", "k", _make(calls))
    assert calls == [1, 1] and np.array_equal(a, b)


def test_the_folder_keeps_the_most_recently_used_within_its_bound(cache, monkeypatch):
    array_cache.cached("t", 0, _make([]))
    one = array_cache.path_for("t", 0).stat().st_size
    monkeypatch.setattr(array_cache, "MAX_BYTES", 3 * one + one // 2)  # room for three such arrays
    for i in range(1, 6):
        array_cache.cached("t", i, _make([]))
    kept = sorted(cache.glob("*.arr"))
    assert len(kept) == 3
    assert array_cache.path_for("t", 5) in kept and array_cache.path_for("t", 0) not in kept


def test_filtered_noise_tables_from_disk_equal_freshly_computed_ones(cache, monkeypatch):
    sos = np.vstack([butter("bandpass", (250, 3000), 48000, 1)])
    fresh_tab, fresh_meta = _amb._make_table(sos)
    monkeypatch.setattr(_amb, "_TABLES", {})
    computed = _amb._table(48000, sos)   # computed and stored
    monkeypatch.setattr(_amb, "_TABLES", {})
    monkeypatch.setattr(_amb, "_make_table", lambda sos: pytest.fail("recomputed a stored table"))
    stored = _amb._table(48000, sos)     # read back
    for tab, scale in (computed, stored):
        assert np.array_equal(tab, fresh_tab) and scale == fresh_meta["scale"]


def test_the_white_noise_table_from_disk_equals_a_fresh_one(cache, monkeypatch):
    monkeypatch.setattr(base, "_NOISE_TABLE", None)
    monkeypatch.setattr(base, "_NOISE_TABLE32", None)
    computed = base._noise_table(np.float64)
    monkeypatch.setattr(base, "_NOISE_TABLE", None)
    stored = base._noise_table(np.float64)
    fresh = np.random.default_rng(0x5CE2EF11).standard_normal(base._NOISE_LEN + base.BLOCK * 2)
    assert np.array_equal(computed, fresh) and np.array_equal(stored, fresh)


def test_resampled_speech_material_is_scipys_and_read_back_the_second_time(tmp_path, monkeypatch):
    from scipy.signal import resample_poly

    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    raw = np.random.default_rng(3).standard_normal(22050).astype(np.float32)
    first = array_cache.resampled("t", raw, 320, 147)
    np.testing.assert_array_equal(first, resample_poly(raw, 320, 147).astype(np.float32))
    monkeypatch.setitem(sys.modules, "scipy.signal", None)   # the second process never imports it
    np.testing.assert_array_equal(array_cache.resampled("t", raw, 320, 147), first)
