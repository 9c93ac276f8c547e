"""The few scipy.signal pieces the sound models use, without paying for ``import scipy.signal``.

Why: importing scipy.signal pulls in scipy.stats and the window functions
(0.4-1.4 s here), which was most of the fixed cost of every ``scenefill render``.
The models need two compiled kernels (``sosfilt``'s and ``lfilter``'s) and a
handful of filter designs. The kernels are loaded straight from scipy's own
extension modules (no package ``__init__``), with scipy's argument handling
reproduced so results are bit-identical; designs are computed by scipy once
and kept in a small on-disk cache keyed by their arguments, so later
processes never import scipy.signal for them. Anything else is looked up on
scipy.signal itself, lazily.

Use it as ``from scenefill.engine import dsp as signal``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import scipy_ext
from .cache_paths import read_regular


def _kernel(name: str) -> ModuleType:
    """scipy.signal's compiled extension ``name``, loaded without scipy.signal's package import."""
    mod = scipy_ext.load("signal", name)
    if mod is None:  # an unusual scipy build: take the ordinary route
        mod = importlib.import_module(f"scipy.signal.{name}")
    return mod


def _scipy_signal() -> ModuleType:
    import scipy.signal

    return scipy.signal


def sosfilt(sos, x, axis: int = -1, zi=None):
    """scipy.signal.sosfilt (same argument handling, same kernel, same result)."""
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError("x must be at least 1-D")
    sos = np.atleast_2d(sos)
    if sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError("sos array must be shape (n_sections, 6)")
    if not (sos[:, 3] == 1).all():
        raise ValueError("sos[:, 3] should be all ones")
    n_sections = sos.shape[0]
    x_zi_shape = list(x.shape)
    x_zi_shape[axis] = 2
    x_zi_shape = tuple([n_sections] + x_zi_shape)
    inputs = [sos, x] + ([np.asarray(zi)] if zi is not None else [])
    dtype = np.result_type(*inputs)
    if dtype.char not in "fdgFDGO":
        raise NotImplementedError(f"input type '{dtype}' not supported")
    if zi is not None:
        zi = np.array(zi, dtype=dtype, copy=True)
        if zi.shape != x_zi_shape:
            raise ValueError(f"Invalid zi shape: expected {x_zi_shape!r}, got {zi.shape!r}.")
        return_zi = True
    else:
        zi = np.zeros(x_zi_shape, dtype=dtype)
        return_zi = False
    axis = axis % x.ndim
    x = np.moveaxis(x, axis, -1)
    zi = np.moveaxis(zi, (0, axis + 1), (-2, -1))
    x_shape, zi_shape = x.shape, zi.shape
    x = np.reshape(x, (-1, x.shape[-1]))
    x = np.array(x, dtype, order="C")
    zi = np.ascontiguousarray(np.reshape(zi, (-1, n_sections, 2)))
    sos = sos.astype(dtype, copy=False)
    _kernel("_sosfilt")._sosfilt(sos, x, zi)
    x = np.moveaxis(x.reshape(x_shape), -1, axis)
    if return_zi:
        return x, np.moveaxis(zi.reshape(zi_shape), (-2, -1), (0, axis + 1))
    return x


def lfilter(b, a, x, axis: int = -1, zi=None):
    """scipy.signal.lfilter; IIR filters run on its compiled kernel, FIR ones through scipy."""
    b = np.atleast_1d(b)
    a = np.atleast_1d(a)
    if b.ndim != 1 or a.ndim != 1 or b.size == 0 or a.size == 0 or len(a) == 1:
        return _scipy_signal().lfilter(b, a, x, axis=axis, zi=zi)
    x = np.asarray(x)
    linear = _kernel("_sigtools")._linear_filter
    if zi is None:
        return linear(b, a, x, axis)
    return linear(b, a, x, axis, np.asarray(zi))


# --------------------------------------------------------------------------- cached designs

_CACHE_VERSION = 2
#: designs kept on disk; those with drawn (random) parameters keep coming, so the least recently
#: used go first (a read refreshes a design's time)
_MAX_ENTRIES = 4096
_lock = threading.Lock()
#: designs this process has read or made, by key (None: looked for on disk and not there)
_designs: dict[str, Any] = {}


def _cache_folder() -> Path:
    base = os.environ.get("SCENEFILL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "scenefill")
    import scipy

    return Path(base) / f"filter-designs-v{_CACHE_VERSION}-scipy{scipy.__version__}"


def _file_for(key: str) -> Path:
    """One small file per design: a render reads the few dozen it uses, not every design the
    machine has ever made (one shared file grew to a megabyte, 20 ms of JSON per start)."""
    return _cache_folder() / (hashlib.sha1(key.encode()).hexdigest()[:20] + ".json")


def _read(key: str):
    path = _file_for(key)
    try:
        stored = json.loads(read_regular(path))  # a FIFO put there would wait for ever
        if stored.get("key") != key:  # a hash collision or a damaged file: design it again
            return None
        value = _decode(stored["value"])
        if not _plausible(value):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    try:
        os.utime(path)
    except OSError:
        pass
    return value


def _plausible(value) -> bool:
    """Whether a design read back can be a design: finite numbers, and second-order sections
    normalised (a0 == 1), as scipy makes them. A hand-edited or damaged file that parses is
    designed again rather than crash a render (sosfilt refuses a0 != 1) or play NaN."""
    if isinstance(value, tuple):
        return all(_plausible(v) for v in value)
    if value.dtype.kind not in "fciu" or not np.all(np.isfinite(value)):
        return False
    return not (value.ndim == 2 and value.shape[1] == 6) or bool(np.all(value[:, 3] == 1.0))


def _write(key: str, value) -> None:
    """Write one design atomically; a read-only or full disk only costs designing it again."""
    path = _file_for(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"key": key, "value": _encode(value)}))
        os.replace(tmp, path)
        _trim(path.parent, keep=path.name)
    except OSError:
        pass


def _trim(folder: Path, keep: str) -> None:
    try:
        names = [e for e in os.scandir(folder) if e.name.endswith(".json") and e.name != keep]
        if len(names) < _MAX_ENTRIES:
            return
        names.sort(key=lambda e: e.stat().st_mtime_ns)
    except OSError:
        return
    # down to nine tenths, so a full cache is not listed and sorted again on every new design
    for entry in names[:len(names) + 1 - int(0.9 * _MAX_ENTRIES)]:
        try:
            os.unlink(entry.path)
        except OSError:
            pass


def _encode(value):
    if isinstance(value, tuple):
        return {"t": [_encode(v) for v in value]}
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        return {"c": [arr.real.tolist(), arr.imag.tolist()], "s": list(arr.shape)}
    return {"a": arr.tolist(), "s": list(arr.shape), "d": arr.dtype.str}


def _decode(value):
    if "t" in value:
        return tuple(_decode(v) for v in value["t"])
    if "c" in value:
        re_, im = value["c"]
        return (np.asarray(re_) + 1j * np.asarray(im)).reshape(value["s"])
    return np.asarray(value["a"], dtype=np.dtype(value["d"])).reshape(value["s"])


def _key(name: str, args, kwargs) -> str | None:
    """A stable key for plain-number arguments; None (not cacheable) for anything else."""
    def plain(v):
        if isinstance(v, (bool, int, str)) or v is None:
            return v
        if isinstance(v, (float, np.floating)):
            return repr(float(v))
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.ndarray) and v.ndim == 1 and v.size <= 8 and v.dtype.kind in "fiu":
            return ["nd", v.dtype.str] + [repr(float(i)) for i in v]
        if isinstance(v, (list, tuple)) and len(v) <= 8:
            items = [plain(i) for i in v]
            return None if any(i is _NO for i in items) else items
        return _NO
    items = [plain(a) for a in args] + [[k, plain(v)] for k, v in sorted(kwargs.items())]
    if any(i is _NO or (isinstance(i, list) and _NO in i) for i in items):
        return None
    return json.dumps([name, items])


_NO = object()


def _designed(name: str):
    def design(*args, **kwargs):
        key = _key(name, args, kwargs)
        if key is not None:
            with _lock:
                if key not in _designs:
                    _designs[key] = _read(key)
                hit = _designs[key]
            if hit is not None:
                return _copy(hit)
        result = getattr(_scipy_signal(), name)(*args, **kwargs)
        if key is not None:
            with _lock:
                _designs[key] = result
                _write(key, result)
            return _copy(result)
        return result
    design.__name__ = name
    design.__doc__ = f"scipy.signal.{name}, cached on disk by its arguments."
    return design


def _copy(value):
    """A fresh copy each time, as scipy gives: callers may scale a design in place."""
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return np.array(value, copy=True)


butter = _designed("butter")
iirpeak = _designed("iirpeak")
firwin = _designed("firwin")
zpk2sos = _designed("zpk2sos")
bilinear_zpk = _designed("bilinear_zpk")
sosfreqz = _designed("sosfreqz")


def __getattr__(name: str):
    """Everything else (resample_poly, fftconvolve, ...) is scipy.signal's own, imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_scipy_signal(), name)
