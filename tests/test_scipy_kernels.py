"""The engine calls scipy's compiled FFT, window-filter and BLAS kernels directly, to start fast.

It must give scipy's numbers exactly, and a scipy that moved or changed a
kernel (a missing file, a new signature, different semantics) must only cost
start-up time: the public scipy functions take over and renders do not change.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import scipy.fft
import scipy.ndimage

from scenefill.engine import blas, fft, filters1d, scipy_ext
from scenefill.engine.api import render_array
from scenefill.engine.request import RenderRequest

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("x", [RNG.standard_normal((2, 1000)), RNG.standard_normal(777).astype(np.float32),
                               RNG.standard_normal((2, 3, 64)).astype(np.float32), [1, 2, 3, 4]],
                         ids=["stereo64", "mono32", "frames32", "ints"])
@pytest.mark.parametrize("n", [None, 1024, 500])
def test_rfft_and_irfft_are_scipys(x, n):
    ours, theirs = fft.rfft(x, n), scipy.fft.rfft(x, n)
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    back, theirs_back = fft.irfft(ours, n, axis=-1), scipy.fft.irfft(theirs, n, axis=-1)
    assert back.dtype == theirs_back.dtype and np.array_equal(back, theirs_back)


def test_next_fast_len_is_scipys():
    for target in (1, 11, 1000, 33001, 49151, 70000):
        assert fft.next_fast_len(target, real=True) == scipy.fft.next_fast_len(target, real=True)


@pytest.mark.parametrize("na, nb", [(1000, 48000), (48000, 777), (12345, 54321)])
def test_convolve_is_scipys_fftconvolve(na, nb):
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(na)
    a, b = rng.standard_normal(na), rng.standard_normal(nb)
    np.testing.assert_array_equal(fft.convolve(a, b), fftconvolve(a, b))


def test_convolve_takes_only_1d_arrays():
    with pytest.raises(ValueError):
        fft.convolve(np.zeros((2, 3)), np.zeros(3))
    assert fft.convolve(np.zeros(0), np.ones(3)).size == 0


@pytest.mark.parametrize("name", ["maximum_filter1d", "minimum_filter1d", "uniform_filter1d"])
@pytest.mark.parametrize("size,origin,mode", [(12, 5, "nearest"), (301, 150, "nearest"), (7, 0, "reflect"),
                                              (5, -2, "constant")])
def test_window_filters_are_ndimages(name, size, origin, mode):
    x = RNG.random(5000)
    assert np.array_equal(getattr(filters1d, name)(x, size=size, origin=origin, mode=mode),
                          getattr(scipy.ndimage, name)(x, size=size, origin=origin, mode=mode))


def test_window_filters_refuse_what_ndimage_refuses():
    with pytest.raises(ValueError, match="invalid origin"):
        filters1d.maximum_filter1d(np.ones(10), size=3, origin=5)
    with pytest.raises(RuntimeError, match="incorrect filter size"):
        filters1d.minimum_filter1d(np.ones(10), size=0)
    with pytest.raises(TypeError):
        filters1d.maximum_filter1d(np.ones(10, dtype=complex), size=3)


def test_saxpy_adds_in_place():
    y = np.ones(10000, dtype=np.float32)
    blas.saxpy(np.full(10000, 2.0, dtype=np.float32), y, a=0.5)
    assert np.all(y == 2.0)


def test_a_missing_extension_is_reported_as_none_and_leaves_nothing_behind():
    assert scipy_ext.load("fft._pocketfft", "no_such_kernel") is None
    assert "scipy.fft._pocketfft.no_such_kernel" not in sys.modules


# --------------------------------------------------------------------------- fallbacks

def _force(monkeypatch, module, loaded):
    """Pretend ``scipy_ext.load`` found ``loaded`` (None: nothing) for this module's kernel."""
    monkeypatch.setattr(module._kernel, "_done", False)
    monkeypatch.setattr(module._kernel, "_module", None)
    monkeypatch.setattr(scipy_ext, "load", lambda subpackage, name: loaded)


def _changed_signature() -> types.ModuleType:
    """What a scipy upgrade could ship: same names, other arguments."""
    mod = types.SimpleNamespace()

    def refuse(*args, **kwargs):
        raise TypeError("incompatible function arguments")

    mod.r2c = mod.c2r = mod.good_size = refuse
    mod.min_or_max_filter1d = mod.uniform_filter1d = refuse
    return mod


def _wrong_numbers() -> types.ModuleType:
    """Same signature, other semantics (say, a normalisation that moved): caught by the self-test."""
    mod = types.SimpleNamespace()
    mod.r2c = lambda x, axes, forward, norm, out, workers: np.fft.rfft(x) * 2
    mod.c2r = lambda x, axes, n, forward, norm, out, workers: np.fft.irfft(x, n)
    mod.good_size = lambda n, real: n
    mod.min_or_max_filter1d = lambda x, size, axis, out, mode, cval, origin, minimum: out.__setitem__(..., x)
    mod.uniform_filter1d = lambda x, size, axis, out, mode, cval, origin: out.__setitem__(..., x)
    return mod


@pytest.mark.parametrize("found", [None, "changed", "wrong"])
def test_the_fft_falls_back_to_scipy_fft(monkeypatch, found):
    _force(monkeypatch, fft, {None: None, "changed": _changed_signature(), "wrong": _wrong_numbers()}[found])
    x = RNG.standard_normal((2, 900))
    assert np.array_equal(fft.rfft(x, 1024), scipy.fft.rfft(x, 1024))
    assert np.array_equal(fft.irfft(fft.rfft(x), 900), scipy.fft.irfft(scipy.fft.rfft(x), 900))
    assert fft._kernel() is None


@pytest.mark.parametrize("found", [None, "changed", "wrong"])
def test_the_window_filters_fall_back_to_scipy_ndimage(monkeypatch, found):
    _force(monkeypatch, filters1d, {None: None, "changed": _changed_signature(), "wrong": _wrong_numbers()}[found])
    x = RNG.random(3000)
    for name in ("maximum_filter1d", "minimum_filter1d", "uniform_filter1d"):
        assert np.array_equal(getattr(filters1d, name)(x, 31, origin=15, mode="nearest"),
                              getattr(scipy.ndimage, name)(x, 31, origin=15, mode="nearest"))
    assert filters1d._kernel() is None


def test_saxpy_falls_back_to_scipy_linalg_then_to_none(monkeypatch):
    monkeypatch.setattr(scipy_ext, "load", lambda subpackage, name: None)
    assert blas._find() is not None  # scipy.linalg.blas's own
    monkeypatch.setattr(scipy_ext, "import_public", lambda name: _changed_signature())
    assert blas._find() is None  # callers then add with numpy


def test_a_render_is_bit_identical_through_the_fallbacks(monkeypatch):
    """The direct kernels change nothing audible or inaudible: same samples as through scipy's public API."""
    notes = ["heavy rain, gusty wind, city traffic, calm piano music", "thunder, a door slams at 1s in a large hall"]
    loud = -10.0  # hot enough that the limiter works (its windowed minimum and mean run)
    fast = [render_array(RenderRequest(note=n, n_samples=48000 * 2 + 7, loudness=loud)) for n in notes]
    _force(monkeypatch, fft, None)
    monkeypatch.setattr(filters1d._kernel, "_done", True)
    monkeypatch.setattr(filters1d._kernel, "_module", None)
    calls: list[str] = []
    for module, name in ((scipy.fft, "rfft"), (scipy.fft, "irfft"), (scipy.ndimage, "minimum_filter1d"),
                         (scipy.ndimage, "uniform_filter1d")):
        def spy(*args, _real=getattr(module, name), _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)
        monkeypatch.setattr(module, name, spy)
    slow = [render_array(RenderRequest(note=n, n_samples=48000 * 2 + 7, loudness=loud)) for n in notes]
    assert {"rfft", "irfft", "minimum_filter1d", "uniform_filter1d"} <= set(calls)  # the fallbacks ran
    for a, b in zip(fast, slow):
        assert a.shape == b.shape and np.array_equal(a, b)
