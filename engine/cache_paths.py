"""Where SceneFill keeps its caches (calibrated levels, the model manifest, ...)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$SCENEFILL_CACHE_DIR``, else ``~/.cache/scenefill``."""
    root = os.environ.get("SCENEFILL_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "scenefill"
