"""Load one of scipy's compiled extension modules without running its package's ``__init__``.

Why: ``import scipy.fft`` (or ndimage, linalg, special, signal) executes the
package's Python layer, and since scipy 1.14 that layer wraps every public
function for the array API and re-parses its docstring at import: 0.1-0.4 s
of every ``scenefill render``, for kernels the engine calls with plain float
arrays. The compiled modules themselves are self-contained, so we load the
shared library straight from its file. Callers keep a fallback to scipy's
public function for when a module is missing (an unusual build) or no longer
behaves as expected (a scipy upgrade): see :func:`load`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Callable

_LOADED: dict[str, ModuleType | None] = {}


def load(subpackage: str, name: str) -> ModuleType | None:
    """``scipy.<subpackage>.<name>`` (a compiled module), or None when it cannot be loaded.

    Already-imported modules are reused, so loading never makes a second copy
    of one scipy has imported itself.
    """
    full = f"scipy.{subpackage}.{name}"
    if full in _LOADED:
        return _LOADED[full]
    mod = sys.modules.get(full)
    if mod is None:
        try:
            import scipy

            folder = Path(scipy.__file__).parent.joinpath(*subpackage.split("."))
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = folder / (name + suffix)
                if path.exists():
                    loader = importlib.machinery.ExtensionFileLoader(full, str(path))
                    spec = importlib.util.spec_from_file_location(full, str(path), loader=loader)
                    mod = importlib.util.module_from_spec(spec)
                    loader.exec_module(mod)
                    sys.modules[full] = mod  # scipy's own import of it later finds this one
                    break
        except Exception:  # a layout we do not know: the caller takes scipy's public route
            sys.modules.pop(full, None)  # never leave a half-initialised module behind
            mod = None
    _LOADED[full] = mod
    return mod


def import_public(module: str) -> ModuleType:
    """A public scipy module, imported the ordinary (slow) way: every fallback goes through here."""
    return importlib.import_module(module)


def checked(subpackage: str, name: str, self_test: Callable[[ModuleType], bool]) -> ModuleType | None:
    """``load(subpackage, name)`` when the module passes ``self_test`` (a few known numbers),
    else None: a kernel whose meaning changed in a new scipy must never be used."""
    mod = load(subpackage, name)
    try:
        return mod if mod is not None and self_test(mod) else None
    except Exception:
        return None


class CheckedKernel:
    """A compiled module loaded by :func:`checked` on first use, then kept (None: use scipy's public
    route). Calling it returns the module. Thread-safe: a render's two threads may both ask first,
    and neither may see "already loaded" before the module is there."""

    def __init__(self, subpackage: str, name: str, self_test: Callable[[ModuleType], bool]) -> None:
        self._where = (subpackage, name)
        self._self_test = self_test
        self._module: ModuleType | None = None
        self._done = False
        self._lock = threading.Lock()

    def __call__(self) -> ModuleType | None:
        if not self._done:
            with self._lock:
                if not self._done:
                    self._module = checked(*self._where, self._self_test)
                    self._done = True
        return self._module
