"""Running maximum, minimum and mean along one axis: scipy.ndimage's kernels without scipy.ndimage.

Why: the limiter needs three 1-D window filters, and ``import scipy.ndimage``
costs ~0.1 s at start-up (its array-API layer, see
:mod:`scenefill.engine.scipy_ext`). These call the compiled ``_nd_image``
functions that scipy.ndimage's own ``maximum_filter1d`` and friends call,
with the same argument checks, so results are bit-identical. If the module is
missing or fails a self-test on load, scipy.ndimage's public functions are used.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from . import scipy_ext

_MODES = {"nearest": 0, "wrap": 1, "reflect": 2, "grid-mirror": 2, "mirror": 3, "constant": 4}


def _self_test(mod: ModuleType) -> bool:
    """Windows of 3 centred on each sample of [2, 8, 0, 4], edges repeated (mode 'nearest')."""
    x = np.array([2.0, 8.0, 0.0, 4.0])
    hi, lo, avg = np.zeros(4), np.zeros(4), np.zeros(4)
    mod.min_or_max_filter1d(x, 3, 0, hi, 0, 0.0, 0, 0)
    mod.min_or_max_filter1d(x, 3, 0, lo, 0, 0.0, 0, 1)
    mod.uniform_filter1d(x, 3, 0, avg, 0, 0.0, 0)
    return (hi.tolist() == [8.0, 8.0, 8.0, 4.0] and lo.tolist() == [2.0, 0.0, 0.0, 0.0]
            and np.allclose(avg, [4.0, 10 / 3, 4.0, 8 / 3]))


#: scipy.ndimage's _nd_image when it loads and passes the self-test, else None (scipy.ndimage's public route)
_kernel = scipy_ext.CheckedKernel("ndimage", "_nd_image", _self_test)


def _checked_args(x, size: int, axis: int, origin: int, mode: str) -> tuple[np.ndarray, int, int]:
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise TypeError("Complex type not supported")
    axis = axis + x.ndim if axis < 0 else axis
    if not 0 <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {x.ndim}")
    if size < 1:
        raise RuntimeError("incorrect filter size")
    if (size // 2 + origin < 0) or (size // 2 + origin >= size):
        raise ValueError("invalid origin")
    if mode not in _MODES:
        raise RuntimeError("boundary mode not supported")
    return x, axis, _MODES[mode]


def _min_or_max(x, size: int, axis: int, mode: str, cval: float, origin: int, minimum: int) -> np.ndarray:
    nd = _kernel()
    if nd is None:
        ndimage = scipy_ext.import_public("scipy.ndimage")
        public = ndimage.minimum_filter1d if minimum else ndimage.maximum_filter1d
        return public(x, size, axis=axis, mode=mode, cval=cval, origin=origin)
    x, axis, code = _checked_args(x, size, axis, origin, mode)
    out = np.zeros(x.shape, dtype=x.dtype.name)
    nd.min_or_max_filter1d(x, size, axis, out, code, cval, origin, minimum)
    return out


def maximum_filter1d(x, size: int, axis: int = -1, mode: str = "reflect", cval: float = 0.0,
                     origin: int = 0) -> np.ndarray:
    """scipy.ndimage.maximum_filter1d (real input, new output array)."""
    return _min_or_max(x, size, axis, mode, cval, origin, 0)


def minimum_filter1d(x, size: int, axis: int = -1, mode: str = "reflect", cval: float = 0.0,
                     origin: int = 0) -> np.ndarray:
    """scipy.ndimage.minimum_filter1d (real input, new output array)."""
    return _min_or_max(x, size, axis, mode, cval, origin, 1)


def uniform_filter1d(x, size: int, axis: int = -1, mode: str = "reflect", cval: float = 0.0,
                     origin: int = 0) -> np.ndarray:
    """scipy.ndimage.uniform_filter1d (real input, new output array)."""
    nd = _kernel()
    if nd is None:
        return scipy_ext.import_public("scipy.ndimage").uniform_filter1d(
            x, size, axis=axis, mode=mode, cval=cval, origin=origin)
    x, axis, code = _checked_args(x, size, axis, origin, mode)
    out = np.zeros(x.shape, dtype=x.dtype.name)
    nd.uniform_filter1d(x, size, axis, out, code, cval, origin)
    return out
