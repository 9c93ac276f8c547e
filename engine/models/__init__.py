"""The library of procedural sound models, keyed by name.

Each module defines :class:`~scenefill.engine.models.base.SoundModel` subclasses;
this registry finds them so the note matcher and ``scenefill parse`` see
every model without a second list to keep in step. What the matcher needs
(keywords, category, ...) comes from a manifest cached on disk
(:mod:`scenefill.engine.model_manifest`), so a render imports only the modules
of the models it plays: ``CATALOG[name]`` is that data, ``REGISTRY[name]``
the class (its module imported on first use).
"""

from __future__ import annotations

from ..model_manifest import Catalog, LazyRegistry, ModelInfo
from .base import BLOCK, ModelParams, SoundModel

#: name -> ModelInfo (class-level data of every model, no model module imported)
CATALOG = Catalog()
#: name -> SoundModel subclass (a mapping; the class's module is imported when it is looked up)
REGISTRY = LazyRegistry()

__all__ = ["BLOCK", "CATALOG", "ModelInfo", "ModelParams", "REGISTRY", "SoundModel"]
