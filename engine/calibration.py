"""Per-layer level calibration: the long-term loudness of a sound model as the mixer will hear it.

Why: a scene's gains must come from its spec, not from the audio a particular
render happens to contain. Otherwise a 10 s and a 2 h render of the same note
get different gains, and a stretch of 15 s with one passing truck sets the
level for an hour of traffic. So each layer configuration (model, options,
intensity, distance, rate, channels) is rendered once, 30 s at a fixed seed,
through its distance filter, and its integrated loudness is remembered: in
memory, and in a small JSON file under the cache directory
(``$SCENEFILL_CACHE_DIR``, else ``~/.cache/scenefill``) so later processes
skip the work. The value is a pure function of the key, so the cache never
changes what a render sounds like, only how soon it starts.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from scenefill import ENGINE_VERSION

from .cache_paths import cache_dir
from .loudness import integrated_loudness
from .models import BLOCK, CATALOG, REGISTRY, ModelParams
from .models.base import StatefulFilter, butter
from .scene import LayerSpec

CALIBRATION_SECONDS = 30.0
CALIBRATION_SEED = 0x5CE4E
ONE_SHOT_AT = 0.5  # seconds into the range where an untimed one-shot effect plays

_memory: dict[str, float | None] = {}
_loaded_from: Path | None = None
_lock = threading.Lock()


def _cache_file() -> Path:
    return cache_dir() / "calibration.json"


def _key(layer: LayerSpec, sample_rate: int, channels: int) -> str:
    """The level's cache key: the layer's configuration and the model's source (its fingerprint), so an
    edited model is measured again even before the engine version is bumped."""
    options = {k: v for k, v in layer.options.items() if k != "times"}
    info = CATALOG.get(layer.model)
    return json.dumps([ENGINE_VERSION, layer.model, info.fingerprint if info is not None else None,
                       sorted(options.items()), round(layer.intensity, 3),
                       round(layer.distance, 3), sample_rate, channels], default=str)


def distance_filter(distance: float, sample_rate: int) -> StatefulFilter | None:
    """Air absorption for a source at ``distance``: far sources lose their top end."""
    if distance <= 0.2:
        return None
    cutoff = float(18000.0 * (0.16 ** min(max(distance, 0.0), 1.0)))
    return StatefulFilter(butter("lowpass", cutoff, sample_rate, 2))


def _measure(layer: LayerSpec, sample_rate: int, channels: int) -> float | None:
    cls = REGISTRY[layer.model]
    options = dict(layer.options)
    if cls.one_shot:
        options["times"] = [ONE_SHOT_AT]
    else:
        options.pop("times", None)
    model = cls(sample_rate, CALIBRATION_SEED, 0,
                ModelParams(intensity=layer.intensity, distance=layer.distance, options=options))
    filt = distance_filter(layer.distance, sample_rate)
    blocks = []
    # a model of sparse events (thunder's strikes) states how long its level takes to settle
    seconds = float(getattr(cls, "calibration_seconds", CALIBRATION_SECONDS))
    for _ in range(math.ceil(seconds * sample_rate / BLOCK)):
        block = model.next_block(BLOCK)
        blocks.append(filt(block) if filt is not None else block)
    audio = np.concatenate(blocks, axis=1)
    if channels == 1:
        audio = audio.mean(axis=0, keepdims=True)
    level = integrated_loudness(audio, sample_rate)
    return level if math.isfinite(level) and level > -70.0 else None


def _load() -> None:
    global _loaded_from
    path = _cache_file()
    if _loaded_from == path:
        return
    _loaded_from = path
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            for k, v in data.items():
                if v is None or isinstance(v, (int, float)):
                    _memory.setdefault(k, v)
    except (OSError, ValueError):
        pass


def _save() -> None:
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            merged = json.loads(path.read_text())
            if not isinstance(merged, dict):
                merged = {}
        except (OSError, ValueError):
            merged = {}
        merged.update(_memory)
        fd, tmp = tempfile.mkstemp(prefix=".calibration.", dir=path.parent)
        with os.fdopen(fd, "w") as fh:
            json.dump(merged, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs time, never correctness


def layer_loudness(layer: LayerSpec, sample_rate: int, channels: int) -> float | None:
    """Long-term integrated loudness (LUFS) of a layer at unit gain; None if it is silent."""
    key = _key(layer, sample_rate, channels)
    with _lock:
        _load()
        if key in _memory:
            return _memory[key]
    value = _measure(layer, sample_rate, channels)
    with _lock:
        _memory[key] = value
        _save()
    return value
