"""The library of procedural sound models, keyed by name.

Each module defines :class:`~scenefill.engine.models.base.SoundModel` subclasses;
this registry collects them so the note matcher and ``scenefill parse`` see
every model without a second list to keep in step.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import BLOCK, ModelParams, SoundModel


def _collect() -> dict[str, type[SoundModel]]:
    found: dict[str, type[SoundModel]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, SoundModel) and obj.name \
                    and obj.__module__ == module.__name__:
                if obj.name in found:
                    raise RuntimeError(f"two sound models are named {obj.name!r}")
                found[obj.name] = obj
    return dict(sorted(found.items()))


REGISTRY: dict[str, type[SoundModel]] = _collect()

__all__ = ["BLOCK", "ModelParams", "REGISTRY", "SoundModel"]
