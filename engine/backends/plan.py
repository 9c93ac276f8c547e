"""A render plan for a neural backend: views -> stems -> the same mixer, limiter and stream.

The engine's streaming tail (mixer, true-peak limiter, fades, loop, handles,
file writing) is shared with the procedural backend; only the sources differ.
Gains are set from the start of the first window (the model always renders it whole),
so a 10 s and a 2 h render of the same note get the same gains and a longer
render starts with the samples of a shorter one.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from ..caption import Caption, parse_caption
from ..loudness import db_to_gain, integrated_loudness
from ..models import BLOCK
from ..request import RenderRequest
from ..scene import LEVEL_BED_UNDER_SPEECH, LEVEL_MUSIC_UNDER_SPEECH, LEVEL_SPEECH, LayerSpec, build_scene
from . import View, load_backend
from .base import Backend, ViewStream, WindowRunner
from .weights import ENV_VAR, parse_model_dirs

#: a view's level (LU from the target) without and with dialogue over it
VIEW_LEVELS = {"ambience": (0.0, LEVEL_BED_UNDER_SPEECH), "sfx": (-3.0, LEVEL_BED_UNDER_SPEECH + 2.0),
               "music": (-6.0, LEVEL_MUSIC_UNDER_SPEECH), "scene": (0.0, 0.0)}

_configured: dict[str, Path] = {}
_device: str | None = None
_config_lock = threading.Lock()


def configure(model_dirs: dict[str, Path] | None = None, device: str | None = None) -> None:
    """Set this process's model directories (CLI --model-dir, serve --model-dir) and device."""
    global _device
    with _config_lock:
        if model_dirs is not None:
            _configured.clear()
            _configured.update(model_dirs)
        if device is not None:
            _device = device


def model_dirs() -> dict[str, Path]:
    """Configured directories over ``SCENEFILL_MODEL_DIRS``."""
    dirs = parse_model_dirs(env=os.environ.get(ENV_VAR, ""))
    dirs.update(_configured)
    return dirs


def stable_audio_views(caption: Caption) -> list[View]:
    """What Stable Audio renders of a caption: the bed, the effects, the music -- not the words."""
    bed = "; ".join(p for p in (" ".join(caption.caption.split()), caption.env) if p)
    views = []
    if bed:
        views.append(View("ambience", bed))
    if caption.sfx:
        views.append(View("sfx", ", ".join(caption.sfx)))
    if caption.music:
        views.append(View("music", caption.music))
    if not views:  # only speech: a quiet room under it
        views.append(View("ambience", "quiet room tone"))
    return views


class StemSource:
    """A view's stream served block by block, like a procedural sound model (stereo).

    Its first samples are read ahead, at plan time, to set the gain; the rest is
    rendered as the mix reads it, so memory stays flat with length.
    """

    def __init__(self, stream: ViewStream, first: int) -> None:
        self.stream = stream
        self.head = self._stereo(stream.read(first))
        self.pos = 0

    @staticmethod
    def _stereo(x: np.ndarray) -> np.ndarray:
        return x if x.shape[0] == 2 else np.repeat(x[:1], 2, axis=0)

    def next_block(self, n: int) -> np.ndarray:
        parts = []
        if self.pos < self.head.shape[1]:
            parts.append(self.head[:, self.pos:self.pos + n])
        rest = n - sum(p.shape[1] for p in parts)
        if rest:
            parts.append(self._stereo(self.stream.read(rest)))
            self.head = self.head[:, :0]
        self.pos += n
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


class DirectMixer:
    """The model's own mix, gained: Dasheng already places its sources in one space."""

    def __init__(self, gains: list[float]) -> None:
        self.gains = gains

    def process(self, layer_blocks, speech, n):
        out = np.zeros((2, n))
        for gain, block in zip(self.gains, layer_blocks):
            out += block * gain
        return out


def _stem_length(request: RenderRequest, lead: int) -> int:
    """Output samples the mix will pull: range, handles, loop pre-roll, limiter delay, a block."""
    from ..limiter import TruePeakLimiter
    from ..pipeline import TRUE_PEAK_CEILING

    latency = TruePeakLimiter(request.sample_rate, request.channels, TRUE_PEAK_CEILING).latency
    return lead + request.total_samples + latency + BLOCK


#: seconds at the start of a view the gain is measured on (fixed, so gains do not depend on length)
LEVEL_SPAN_S = 10.0


def _level_span(backend: Backend, sr: int) -> int:
    """The output samples the gain is measured on: the first 10 s, within what the first window alone
    makes (at least 0.5 s). Short enough that a 10 s request reads no more than it needs."""
    return max(int(0.5 * sr), min(int(LEVEL_SPAN_S * sr), backend.one_window_samples(sr)))


def plan_neural(request: RenderRequest, cancel: Callable[[], bool] | None = None,
                runner: WindowRunner | None = None, progress: Callable[[float, str], None] | None = None):
    """The RenderPlan for a stable-audio or dasheng request (see :func:`..pipeline.plan_render`)."""
    from ..mixer import SceneMixer
    from ..pipeline import RenderPlan, _loop_samples
    from ..speech import SpeechStem, place_lines
    from .dasheng import scene_view

    caption = parse_caption(request.note)
    scene = build_scene(caption)
    backend = getattr(runner, "backend", None)  # the daemon's runner: the model instance it batches on
    if backend is None or backend.name != request.backend:
        backend = load_backend(request.backend, model_dirs().get(request.backend), _device)
    sr = request.sample_rate
    lead = request.handle_samples + (_loop_samples(request) if request.loop else 0)
    # the voice as the procedural backend chooses it: the request's, else the speakers the note names
    lines = [] if backend.speech_from_model else place_lines(
        scene.speech, scene.speech_style, request.voice or scene.voice, sr, offset_samples=lead,
        voices=None if request.voice else scene.line_voices)
    views = [scene_view(caption)] if backend.speech_from_model else stable_audio_views(caption)
    n_out = _stem_length(request, lead)
    span = _level_span(backend, sr)
    layers, sources, gains, wanted_levels = [], [], [], []
    for i, view in enumerate(views):
        source = StemSource(backend.stream(view, request.seed, sample_rate=sr, runner=runner, cancel=cancel,
                                           expected=n_out), span)
        if progress is not None:
            progress(0.0, f"generating {i + 1}/{len(views)}")
        level = integrated_loudness(source.head, sr)
        wanted = request.loudness + VIEW_LEVELS[view.kind][1 if lines else 0]
        gain = db_to_gain(wanted - level) if math.isfinite(level) else 1.0
        layer = LayerSpec(model=f"{backend.name}:{view.kind}", category="ambience" if view.kind == "scene"
                          else view.kind, phrase=view.prompt, via="neural", distance=0.0)
        layers.append(layer)
        sources.append(source)
        gains.append(gain)
        wanted_levels.append(wanted if math.isfinite(level) else None)
    speech_gain, master = 1.0, 1.0
    if lines:
        voice = np.concatenate([line.audio for line in lines])[None]
        level = integrated_loudness(np.repeat(voice, request.channels, axis=0), sr)
        if math.isfinite(level):
            speech_gain = db_to_gain(request.loudness + LEVEL_SPEECH - level)
    if backend.speech_from_model:  # the model's own mix: no room added
        mixer = DirectMixer(gains)
        factors = [1.0] * len(layers)
    else:
        mixer = SceneMixer(layers, scene.room, sr, gains, speech_gain)
        factors = SceneMixer.power_factors(layers, scene.room)
    # as the procedural backend: the master gain brings the summed view levels (dry + room) to target
    mix_power = sum(10 ** (w / 10) * f for w, f in zip(wanted_levels, factors) if w is not None)
    if not lines and mix_power > 0:
        master = db_to_gain(request.loudness - 10 * math.log10(mix_power))
    scene.layers = layers
    info = backend.provenance()
    info["views"] = [{"kind": v.kind, "prompt": v.prompt, **({"continuation": v.continuation}
                                                              if v.continuation else {})} for v in views]
    return RenderPlan(request, scene, sources, mixer, SpeechStem(lines), lines, gains, speech_gain, master,
                      backend_info=info)


def check_backend_request(request: RenderRequest) -> None:
    """Refuse an unknown backend up front (before any work), naming the choices."""
    from . import check_name

    check_name(request.backend)
