"""The cache directory is the user's: whatever sits in it, a render finishes and sounds the same.

A FIFO where a cache file should be (opening it for reading would wait for ever), a design
file edited by hand, a calibration file full of NaN: each is treated as missing, measured or
designed again, and replaced. Nothing hangs, nothing crashes, nothing wrong is played.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

NOTE = "light rain"


def _render(cache: Path, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCENEFILL_CACHE_DIR=str(cache), XDG_CACHE_HOME=str(cache))
    return subprocess.run([sys.executable, "-m", "scenefill", "render", NOTE, "--seconds", "1", "-q", "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=240)


def _samples(path: Path) -> np.ndarray:
    import soundfile as sf

    return sf.read(str(path), dtype="int32")[0]


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A cache filled by one render, and that render's samples."""
    cache = tmp_path_factory.mktemp("cache")
    out = cache.parent / "reference.wav"
    done = _render(cache, out)
    assert done.returncode == 0, done.stderr
    return cache, _samples(out)


def _copy(cache: Path, where: Path) -> Path:
    import shutil

    shutil.copytree(cache, where, symlinks=True)
    return where


def test_fifos_in_place_of_cache_files_do_not_hang_a_render(warm, tmp_path):
    cache, reference = warm
    cache = _copy(cache, tmp_path / "c")
    victims = [next((cache / "arrays").glob("*.arr")), next(cache.glob("filter-designs-*/*.json")),
               cache / "calibration.json", next(cache.glob("model-manifest-*.json"))]
    for path in victims:
        path.unlink()
        os.mkfifo(path)
    done = _render(cache, tmp_path / "x.wav")  # the timeout fails the test if anything waits
    assert done.returncode == 0, done.stderr
    assert np.array_equal(_samples(tmp_path / "x.wav"), reference)


def test_a_hand_edited_design_is_designed_again_not_played(warm, tmp_path):
    cache, reference = warm
    cache = _copy(cache, tmp_path / "c")
    sos_files = []
    for path in cache.glob("filter-designs-*/*.json"):
        stored = json.loads(path.read_text())
        value = stored["value"]
        if "a" in value and len(value["s"]) == 2 and value["s"][1] == 6:
            sos_files.append((path, stored))
    assert sos_files
    damages = [lambda a: [[c * 1.01 for c in row] for row in a],          # a0 no longer 1
               lambda a: [[float("nan")] + row[1:] for row in a]]         # NaN
    for i, (path, stored) in enumerate(sos_files):
        stored["value"]["a"] = damages[i % 2](stored["value"]["a"])
        path.write_text(json.dumps(stored))
    first = sos_files[0][0]
    stored = json.loads(first.read_text())
    stored["value"]["d"] = "|O"                                           # not a number at all
    first.write_text(json.dumps(stored))
    done = _render(cache, tmp_path / "x.wav")
    assert done.returncode == 0, done.stderr
    assert np.array_equal(_samples(tmp_path / "x.wav"), reference)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "1e300", "true"])
def test_a_calibration_file_of_impossible_levels_is_measured_again(warm, tmp_path, bad):
    cache, reference = warm
    cache = _copy(cache, tmp_path / "c")
    levels = json.loads((cache / "calibration.json").read_text())
    text = json.dumps({key: 0.0 for key in levels}).replace("0.0", bad)
    (cache / "calibration.json").write_text(text)
    done = _render(cache, tmp_path / "x.wav")
    assert done.returncode == 0, done.stderr
    assert np.array_equal(_samples(tmp_path / "x.wav"), reference)
