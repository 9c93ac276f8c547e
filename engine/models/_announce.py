"""A station's public-address announcement, heard across a busy hall.

Not a model module (the registry skips names that start with ``_``). What an
editor hears in a station or an airport when the note says "announcements":

- a chime first: two or three struck metal bars (a vibraphone-like tone: the
  fundamental, the bar's tuned fourth partial at 4x, a faint 10x) a few hundred
  milliseconds apart, falling, each ringing out over about a second;
- then a voice read through horn loudspeakers: nothing below ~300 Hz or above
  ~3.5 kHz survives the horns, and their drivers round off the peaks (a little
  saturation);
- from many loudspeakers along the hall at once, so the listener hears several
  copies 20-120 ms apart (the nearest first and loudest) smeared into the hall's
  long reverberation: loud, but not intelligible.

:func:`announcement` returns one mono take at the crowd's low rate; the crowd
model schedules it and sends it through its far (dulled, reverberant) bus.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from .base import butter

#: chime notes (Hz): a falling major triad an octave above middle C, as many stations use
_CHIME = (1046.5, 830.6, 698.5)


def chime(rng: np.random.Generator, sr: float) -> np.ndarray:
    """Two or three struck bar tones, falling, ~0.45 s apart, each dying over ~1 s."""
    notes = _CHIME[: int(rng.integers(2, 4))]
    gap = rng.uniform(0.38, 0.5)
    n = int((gap * len(notes) + 1.4) * sr)
    out = np.zeros(n)
    t = np.arange(int(1.4 * sr)) / sr
    for j, f in enumerate(notes):
        tone = np.zeros(t.size)
        for ratio, amp, decay in ((1.0, 1.0, 0.9), (4.0, 0.25, 0.25), (10.0, 0.06, 0.08)):
            if f * ratio < 0.45 * sr:
                tone += amp * np.exp(-t / decay) * np.sin(2 * np.pi * f * ratio * t)
        tone *= np.clip(t / 0.002, 0, 1)
        s0 = int(j * gap * sr)
        out[s0:s0 + t.size] += tone[: n - s0]
    return out


def horn(x: np.ndarray, sr: float) -> np.ndarray:
    """Through a horn loudspeaker: band-limited to ~300-3500 Hz and a little saturated."""
    sos = np.vstack([butter("highpass", 300, sr, 2), butter("lowpass", min(3500, 0.45 * sr), sr, 2)])
    y = signal.sosfilt(sos, x)
    peak = max(1e-9, float(np.abs(y).max()))
    return np.tanh(1.5 * y / peak) / np.tanh(1.5)


def loudspeakers(x: np.ndarray, rng: np.random.Generator, sr: float) -> np.ndarray:
    """The same signal from several loudspeakers along the hall: copies 20-120 ms apart,
    each further one quieter (inverse distance), summed."""
    delays = np.concatenate([[0.0], np.sort(rng.uniform(0.02, 0.12, 3))])
    gains = 1.0 / (1.0 + delays * 343 / 6.0)  # metres beyond the nearest, against ~6 m to it
    out = np.zeros(x.size + int(0.13 * sr))
    for d, g in zip(delays, gains):
        s0 = int(d * sr)
        out[s0:s0 + x.size] += g * x
    return out


def announcement(rng: np.random.Generator, speech: np.ndarray, sr: float) -> np.ndarray:
    """Chime, a short pause, then 3-5 s of the voice (``speech``: the babble reading at ``sr``),
    all through the horns and the hall's loudspeakers; unit peak."""
    ding = chime(rng, sr)
    length = int(rng.uniform(3.0, 5.0) * sr)
    start = int(rng.uniform(0, max(1, speech.size - length)))
    voice = speech[start:start + length].astype(np.float64)
    voice *= np.clip(np.minimum(np.arange(voice.size), voice.size - np.arange(voice.size)) / (0.02 * sr), 0, 1)
    pause = int(rng.uniform(0.3, 0.6) * sr)
    dry = np.concatenate([0.6 * ding / max(1e-9, float(np.abs(ding).max())), np.zeros(pause),
                          horn(voice, sr)])
    out = loudspeakers(dry, rng, sr)
    return out / max(1e-9, float(np.abs(out).max()))
