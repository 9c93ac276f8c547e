"""engine.dsp stands in for scipy.signal so a render starts fast; it must give the same numbers.

An editor re-rendering a clip after a recut gets the approved samples back bit for bit,
so the stand-in is checked against scipy.signal itself, sample for sample.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import signal as scipy_signal

from scenefill.engine import dsp


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(dsp, "_designs", {})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((1000,), -1), ((2, 777), -1), ((3, 500), 1), ((640, 2), 0)])
def test_sosfilt_is_scipys(dtype, shape, axis):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    sos = scipy_signal.butter(4, [300, 3000], btype="bandpass", fs=48000, output="sos")
    assert np.array_equal(dsp.sosfilt(sos, x, axis=axis), scipy_signal.sosfilt(sos, x, axis=axis))
    zshape = list(x.shape)
    zshape[axis] = 2
    zi = rng.standard_normal([sos.shape[0]] + zshape)
    ours, ours_z = dsp.sosfilt(sos, x, axis=axis, zi=zi)
    theirs, theirs_z = scipy_signal.sosfilt(sos, x, axis=axis, zi=zi)
    assert np.array_equal(ours, theirs) and np.array_equal(ours_z, theirs_z)
    assert ours.dtype == theirs.dtype


def test_sosfilt_refuses_what_scipy_refuses():
    with pytest.raises(ValueError):
        dsp.sosfilt(np.ones((2, 5)), np.ones(10))
    with pytest.raises(ValueError):
        dsp.sosfilt(scipy_signal.butter(2, 0.1, output="sos"), np.ones(10), zi=np.zeros((1, 3)))


def test_lfilter_is_scipys_with_and_without_state():
    rng = np.random.default_rng(2)
    b, a = scipy_signal.butter(2, 0.05)
    x = rng.standard_normal((2, 900))
    assert np.array_equal(dsp.lfilter(b, a, x), scipy_signal.lfilter(b, a, x))
    zi = rng.standard_normal((2, 2))
    for o, t in zip(dsp.lfilter(b, a, x, zi=zi), scipy_signal.lfilter(b, a, x, zi=zi)):
        assert np.array_equal(o, t)
    fir = np.array([0.25, 0.5, 0.25])     # FIR goes through scipy itself
    assert np.array_equal(dsp.lfilter(fir, 1.0, x[0]), scipy_signal.lfilter(fir, 1.0, x[0]))


def test_designs_come_back_identical_from_the_disk_cache(tmp_path):
    first = dsp.butter(2, np.array([250.0, 1800.0]), btype="bandpass", fs=6000.0, output="sos")
    files = list(tmp_path.glob("filter-designs-*/*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["key"].startswith('["butter"')
    dsp._designs.clear()                                  # as a new process would
    again = dsp.butter(2, np.array([250.0, 1800.0]), btype="bandpass", fs=6000.0, output="sos")
    assert np.array_equal(first, again) and again.dtype == first.dtype
    again[0, 0] = 99.0                                    # a caller scaling its copy in place
    assert dsp.butter(2, np.array([250.0, 1800.0]), btype="bandpass", fs=6000.0, output="sos")[0, 0] != 99.0


def test_a_damaged_design_file_is_designed_again_not_used(tmp_path):
    good = dsp.iirpeak(1234.5, 7.0, fs=48000)
    (path,) = tmp_path.glob("filter-designs-*/*.json")
    path.write_text('{"key": "something else", "value": {"a": [1], "s": [1], "d": "<f8"}}')
    dsp._designs.clear()
    again = dsp.iirpeak(1234.5, 7.0, fs=48000)
    assert all(np.array_equal(g, a) for g, a in zip(good, again))
    path.write_text("{not json")
    dsp._designs.clear()
    assert all(np.array_equal(g, a) for g, a in zip(good, dsp.iirpeak(1234.5, 7.0, fs=48000)))


def test_the_design_cache_keeps_the_most_recently_used(tmp_path, monkeypatch):
    """Drawn filter frequencies keep making new designs: the oldest go, the cache keeps working."""
    monkeypatch.setattr(dsp, "_MAX_ENTRIES", 5)
    for i in range(12):
        dsp.butter(2, 1000.0 + i, fs=48000, output="sos")
        made = dsp._file_for(dsp._key("butter", (2, 1000.0 + i), {"fs": 48000, "output": "sos"}))
        os.utime(made, (1e9 + i, 1e9 + i))               # one a second, as a day's renders would
    files = list(tmp_path.glob("filter-designs-*/*.json"))
    assert 3 <= len(files) <= 5
    kept = {json.loads(f.read_text())["key"] for f in files}
    assert any('"1011.0"' in k for k in kept) and not any('"1000.0"' in k for k in kept)


def test_a_design_with_unusual_arguments_is_computed_not_cached(tmp_path):
    sos = dsp.butter(3, np.linspace(0.1, 0.2, 2).reshape(1, 2)[0] * 1.0, btype="bandpass", output="sos")
    assert np.array_equal(sos, scipy_signal.butter(3, [0.1, 0.2], btype="bandpass", output="sos"))
    big = dsp.firwin(31, np.linspace(0.05, 0.9, 10), pass_zero=False)   # too many values to key on
    assert np.array_equal(big, scipy_signal.firwin(31, np.linspace(0.05, 0.9, 10), pass_zero=False))


@pytest.mark.parametrize("note, module", [
    ("light rain", "scipy.signal"),                     # with scipy.stats: ~0.4 s, once designs are cached
    ("light rain, calm piano music", "numpy.ma"),       # np.unique imports it on first use: ~20 ms
])
def test_a_render_process_leaves_the_slow_modules_unloaded(tmp_path, note, module):
    """The fixed cost of `scenefill render`: a second render (designs and tables cached by the
    first) never imports what it does not need."""
    code = ("import sys\n"
            f"sys.argv = ['scenefill', 'render', {note!r}, '--seconds', '1', '-o', sys.argv[1]]\n"
            "from scenefill.cli import main\n"
            "main()\n"
            f"print('LOADED' if {module!r} in sys.modules else 'CLEAN')\n")
    env = dict(os.environ, SCENEFILL_CACHE_DIR=str(tmp_path), XDG_CACHE_HOME=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path / f"r{i}.wav")], env=env,
                           capture_output=True, text=True, timeout=300) for i in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-2000:]
    assert runs[1].stdout.strip().endswith("CLEAN"), runs[1].stdout


def test_unique_is_numpys():
    from scenefill.engine.models._amb import unique

    rng = np.random.default_rng(3)
    for values in (np.array([], dtype=int), np.array([4]), rng.integers(0, 9, 40), rng.standard_normal(7),
                   np.linspace(0, 5, 17).astype(int)):
        ours, theirs = unique(values), np.unique(values)
        assert np.array_equal(ours, theirs) and ours.dtype == theirs.dtype
