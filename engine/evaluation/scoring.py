"""Score one clip with every scorer; each runs on its own and may be skipped with a reason.

A scorecard is plain data (``to_dict`` is what the JSON report stores). A
missing extra or model skips that scorer only, so the loudness and seam checks
still run on a machine without the eval extra.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import ScorerUnavailable
from .signal_checks import LoudnessCheck, SeamCheck, loudness_check, seam_check
from .wer import WordErrors, word_errors
from .yamnet import YamnetResult

SCORERS = ("yamnet", "aed", "whisper", "loudness", "seam")


@dataclass
class Scorecard:
    """Everything measured on one clip; ``skipped`` maps a scorer to why it did not run."""

    seconds: float
    yamnet: YamnetResult | None = None
    aed: dict[str, float] | None = None
    transcript: str | None = None
    expected_text: str | None = None
    word_errors: WordErrors | None = None
    loudness: LoudnessCheck | None = None
    seam: SeamCheck | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def wer(self) -> float | None:
        return None if self.word_errors is None else self.word_errors.rate

    def to_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 3),
            "yamnet": self.yamnet.to_dict() if self.yamnet else None,
            "aed_seconds": self.aed,
            "transcript": self.transcript,
            "expected_text": self.expected_text,
            "wer": None if self.wer is None else round(self.wer, 4),
            "loudness": self.loudness.to_dict() if self.loudness else None,
            "seam": self.seam.to_dict() if self.seam else None,
            "skipped": self.skipped,
        }


def _run(card: Scorecard, name: str, fn: Callable[[], object]) -> object | None:
    try:
        return fn()
    except ScorerUnavailable as exc:
        card.skipped[name] = str(exc)
        return None


def score_audio(audio: np.ndarray, sample_rate: int, *, expect: list[str] = (), text: str | None = None,
                loudness_target: float | None = None, loop: bool = False,
                event_spans: list[tuple[float, float]] | None = None, scorers: tuple[str, ...] = SCORERS) -> Scorecard:
    """Score (channels, n) or (n,) float audio against what it should be.

    ``expect``: AudioSet labels, the main one first; ``text``: the words that
    should be heard (Whisper runs only when given); ``loudness_target``: LUFS; ``event_spans``: (start, end) seconds of
    the clip's timed events, which YAMNet then scores over (see :mod:`.event_spans`).
    """
    from . import aed, asr, yamnet

    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    card = Scorecard(seconds=audio.shape[1] / sample_rate, expected_text=text)
    if "yamnet" in scorers:
        card.yamnet = _run(card, "yamnet", lambda: yamnet.classify(audio, sample_rate, list(expect), event_spans))
    if "aed" in scorers:
        card.aed = _run(card, "aed", lambda: aed.event_seconds(audio, sample_rate))
    if "whisper" in scorers and text:
        card.transcript = _run(card, "whisper", lambda: asr.transcribe(audio, sample_rate))
        if card.transcript is not None:
            card.word_errors = word_errors(text, card.transcript)
    if "loudness" in scorers:
        card.loudness = loudness_check(audio, sample_rate, loudness_target)
    if "seam" in scorers and loop:
        card.seam = seam_check(audio, sample_rate)
    return card


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """(channels, n) float32 and the rate, from any file soundfile reads."""
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if data.shape[0] == 0:
        raise ValueError(f"{path} holds no audio")
    return data.T.copy(), int(rate)


def score_file(path: str | Path, **kwargs) -> Scorecard:
    audio, rate = read_audio(path)
    return score_audio(audio, rate, **kwargs)
