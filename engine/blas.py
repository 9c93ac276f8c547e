"""BLAS ``saxpy`` (y += a*x in place, float32) from scipy's compiled Fortran wrappers.

Why: ``scipy.linalg.blas`` imports all of scipy.linalg (~0.15 s at start-up);
the filtered-noise beds need this one routine. It is loaded from scipy's
``_fblas`` extension directly (see :mod:`scenefill.engine.scipy_ext`), checked
once, else taken from ``scipy.linalg.blas``; None when neither works, and
callers then do the same sum with numpy.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import scipy_ext


def _works(saxpy: Callable) -> bool:
    """saxpy must update y in place: the callers ignore its return value."""
    x = np.array([1.0, 2.0], dtype=np.float32)
    y = np.array([1.0, 1.0], dtype=np.float32)
    saxpy(x, y, a=2.0)
    return y.tolist() == [3.0, 5.0]


def _find() -> Callable | None:
    mod = scipy_ext.load("linalg", "_fblas")
    for source in (lambda: mod.saxpy, lambda: scipy_ext.import_public("scipy.linalg.blas").saxpy):
        try:
            saxpy = source()
            if _works(saxpy):
                return saxpy
        except Exception:
            continue
    return None


saxpy: Callable | None = _find()
