"""Real FFTs for the engine: scipy.fft's pocketfft kernel, without importing scipy.fft.

Why: ``import scipy.fft`` costs ~0.14 s (its array-API layer, see
:mod:`scenefill.engine.scipy_ext`); the convolution reverb and the kernel
banks need only ``rfft``, ``irfft`` and ``next_fast_len`` on float arrays.
These call the same compiled ``pypocketfft`` functions scipy.fft calls, with
the same argument handling, so results are bit-identical to ``scipy.fft``.
If the kernel is missing or fails a small self-test on load (a scipy
upgrade that changed it), everything goes through ``scipy.fft`` instead.

Use it as ``from scenefill.engine import fft as sp_fft``.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from . import scipy_ext


def _public() -> ModuleType:
    return scipy_ext.import_public("scipy.fft")


def _self_test(mod: ModuleType) -> bool:
    """A unit impulse has a flat spectrum and comes back from it; 12 and 15 are the next
    fast real lengths from 11 and 13."""
    x = np.zeros(8)
    x[1] = 1.0
    spec = mod.r2c(x, (0,), True, 0, None, 1)
    want = np.exp(-2j * np.pi * np.arange(5) / 8)
    back = mod.c2r(spec, (0,), 8, False, 2, None, 1)
    return (spec.shape == (5,) and np.allclose(spec, want) and np.allclose(back, x)
            and mod.good_size(11, True) == 12 and mod.good_size(13, True) == 15)


#: pypocketfft when it loads and passes the self-test, else None (scipy.fft's public route)
_kernel = scipy_ext.CheckedKernel("fft._pocketfft", "pypocketfft", _self_test)


def _prepare(x) -> np.ndarray:
    """scipy.fft's ``_asfarray``: a float (or complex) array in native byte order, aligned."""
    if not hasattr(x, "dtype"):
        x = np.asarray(x)
    if x.dtype == np.float16:
        return np.asarray(x, np.float32)
    if x.dtype.kind not in "fc":
        return np.asarray(x, np.float64)
    dtype = x.dtype.newbyteorder("=")
    return np.array(x, dtype=dtype, copy=None if x.flags["ALIGNED"] else True)


def _fix_length(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Crop or zero-pad ``x`` to ``n`` along ``axis`` (scipy.fft's ``_fix_shape_1d``)."""
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    index = [slice(None)] * x.ndim
    if x.shape[axis] >= n:
        index[axis] = slice(0, n)
        return x[tuple(index)]
    index[axis] = slice(0, x.shape[axis])
    shape = list(x.shape)
    shape[axis] = n
    z = np.zeros(shape, x.dtype)
    z[tuple(index)] = x[tuple(index)]
    return z


def rfft(x, n: int | None = None, axis: int = -1) -> np.ndarray:
    """scipy.fft.rfft(x, n, axis) (default norm, one worker)."""
    pfft = _kernel()
    if pfft is None:
        return _public().rfft(x, n, axis=axis)
    tmp = _prepare(x)
    if not np.isrealobj(tmp):
        raise TypeError("x must be a real sequence")
    if n is not None:
        tmp = _fix_length(tmp, n, axis)
    elif tmp.shape[axis] < 1:
        raise ValueError(f"invalid number of data points ({tmp.shape[axis]}) specified")
    return pfft.r2c(tmp, (axis,), True, 0, None, 1)


def irfft(x, n: int | None = None, axis: int = -1) -> np.ndarray:
    """scipy.fft.irfft(x, n, axis) (default norm, one worker)."""
    pfft = _kernel()
    if pfft is None:
        return _public().irfft(x, n, axis=axis)
    tmp = _prepare(x)
    if np.isrealobj(tmp):
        tmp = tmp + 0.0j
    if n is None:
        n = (tmp.shape[axis] - 1) * 2
        if n < 1:
            raise ValueError(f"Invalid number of data points ({n}) specified")
    else:
        tmp = _fix_length(tmp, n // 2 + 1, axis)
    return pfft.c2r(tmp, (axis,), n, False, 2, None, 1)


_FAST_LEN: dict[tuple[int, bool], int] = {}


def next_fast_len(target: int, real: bool = False) -> int:
    """scipy.fft.next_fast_len: the smallest length >= target that pocketfft transforms fast."""
    key = (int(target), bool(real))
    size = _FAST_LEN.get(key)
    if size is None:
        pfft = _kernel()
        size = pfft.good_size(*key) if pfft is not None else _public().next_fast_len(*key)
        _FAST_LEN[key] = size
    return size


def convolve(a, b) -> np.ndarray:
    """scipy.signal.fftconvolve(a, b) for two real 1-D arrays ("full" output), without importing
    scipy.signal (its import costs a render ~0.4 s): the same transform length and products."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError("convolve takes two 1-D arrays")
    if a.size == 0 or b.size == 0:
        return np.zeros(0)
    full = a.size + b.size - 1
    n = next_fast_len(full, real=True)
    return irfft(rfft(a, n) * rfft(b, n), n)[:full].copy()
