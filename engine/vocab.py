"""Open vocabulary: the closest sound model for a phrase no keyword or scene word names.

"cups clinking", "a glass shatters", "applause": an editor writes what they
want to hear, not our keywords. Each sound model is described by its one-line
description, its keywords and the scene words that imply it (``CONCEPTS``);
all of these are embedded once with all-MiniLM-L6-v2 (:mod:`.vocab_model`) and
the vectors are cached on disk under the cache directory, keyed by a hash of
the texts, so they are recomputed only when the library of models changes. A
phrase is embedded and matched by cosine similarity; the best model and the
text it matched are returned with that similarity as the confidence, which
``scenefill parse`` shows. Below :data:`MIN_CONFIDENCE` nothing is claimed.

Without the optional ``vocab`` extra the matcher is absent (:func:`available`
is False) and the scene matcher keeps its keyword, scene-word and spelling
rules, which is the documented fallback.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import vocab_model
from .cache_paths import open_regular

#: below this cosine similarity a phrase is left unmatched (a generic bed covers it)
MIN_CONFIDENCE = 0.35
_lock = threading.Lock()
_memory: dict[str, tuple[list[str], list[str], np.ndarray]] = {}


@dataclass(frozen=True)
class VocabMatch:
    """The model a phrase is closest to, the text that was closest, and how close (cosine)."""

    model: str
    matched: str
    confidence: float


def available() -> bool:
    """True when the embedding model and its tokenizer are installed (the ``vocab`` extra)."""
    return vocab_model.available()


def _entries(registry: dict, concepts: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str]]:
    """(model, text) pairs that describe every model, in a stable order."""
    models: list[str] = []
    texts: list[str] = []
    seen: set[tuple[str, str]] = set()

    def add(model: str, text: str) -> None:
        key = (model, text.lower().strip())
        if key[1] and key not in seen:
            seen.add(key)
            models.append(model)
            texts.append(key[1])

    for name in sorted(registry):
        cls = registry[name]
        add(name, cls.description.split(";")[0])
        for kw in cls.keywords:
            add(name, kw.replace("+", " "))
    for word in sorted(concepts):
        for name in concepts[word]:
            if name in registry:
                add(name, word)
    return models, texts


def _cache_path(key: str) -> Path:
    from .calibration import cache_dir

    return cache_dir() / "vocab" / f"{vocab_model.MODEL_NAME}-{key}.npy"


def _index(registry: dict, concepts: dict) -> tuple[list[str], list[str], np.ndarray]:
    models, texts = _entries(registry, concepts)
    key = hashlib.sha256("\n".join(f"{m}\t{t}" for m, t in zip(models, texts)).encode()).hexdigest()[:16]
    with _lock:
        if key in _memory:
            return _memory[key]
        path = _cache_path(key)
        vectors = None
        try:
            with os.fdopen(open_regular(path), "rb") as fh:  # not a FIFO: it would wait for ever
                loaded = np.load(fh)
            if loaded.shape[0] == len(texts):
                vectors = loaded
        except (OSError, ValueError):
            pass
        if vectors is None:
            encoder = vocab_model.load()
            assert encoder is not None
            vectors = encoder.encode(texts)
            try:  # written atomically; a read-only cache only costs time
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".vocab.", suffix=".npy", dir=path.parent)
                with os.fdopen(fd, "wb") as fh:
                    np.save(fh, vectors)
                os.replace(tmp, path)
            except OSError:
                pass
        _memory[key] = (models, texts, vectors)
        return _memory[key]


def nearest(phrase: str, registry: dict, concepts: dict, category: str | None = None) -> VocabMatch | None:
    """The closest model to ``phrase`` (of ``category`` if given), or None below the threshold
    or without the extra."""
    if not available() or not phrase.strip():
        return None
    models, texts, vectors = _index(registry, concepts)
    encoder = vocab_model.load()
    query = encoder.encode([phrase.strip().lower()])[0]
    scores = vectors @ query
    if category is not None:
        allowed = np.array([registry[m].category == category for m in models])
        if allowed.any():
            scores = np.where(allowed, scores, -1.0)
    best = int(np.argmax(scores))
    confidence = float(scores[best])
    if confidence < MIN_CONFIDENCE:
        return None
    return VocabMatch(models[best], texts[best], round(confidence, 3))
