"""The reverberation a crowd model carries inside itself: the diffuse tail of a hall.

Not a model module (the registry skips names that start with ``_``). The mixer's
shared room reverberates a whole layer the same way; a crowd needs more: its far
members are heard mostly through the room (their direct sound is weak), while the
near ones stay dry. So crowd models (babble, applause, cheering) send their far
bus through a :class:`Wash` at their own low rate, and hand the mixer the sum.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import fft as sp_fft  # not scipy.fft: its import costs a render ~0.1 s
from scenefill.engine import dsp as signal

from .base import butter


class Wash:
    """The room's reverberation of the far voices: a mono send convolved with a stereo
    exponentially decaying noise tail (decorrelated channels, darker as it decays), carried
    causally across blocks by overlap-add. Runs at the crowd's low rate."""

    def __init__(self, rt60: float, sr: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        n = max(64, int(rt60 * sr))
        t = np.arange(n) / sr
        tail = rng.standard_normal((2, n)) * np.exp(-6.9 * t / rt60)
        dark = signal.sosfilt(butter("lowpass", 1500, sr, 1), tail, axis=-1)
        mix = np.clip(t / rt60 * 1.5, 0, 1)
        ir = tail * (1 - mix) + dark * mix * 1.8
        ir *= np.clip(t / 0.012, 0, 1)  # the first reflections arrive after ~10 ms
        ir /= np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))
        self.ir = ir.astype(np.float32)
        self.tail = np.zeros((2, n - 1), dtype=np.float32)
        self.spectra: dict[int, np.ndarray] = {}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mono = x.sum(axis=0) * np.float32(0.5)
        n = mono.size
        k = self.tail.shape[1]
        nfft = sp_fft.next_fast_len(n + k, real=True)
        h = self.spectra.get(nfft)
        if h is None:
            h = self.spectra[nfft] = sp_fft.rfft(self.ir, nfft, axis=-1)
        spec = sp_fft.rfft(mono, nfft)[None, :] * h
        y = sp_fft.irfft(spec, nfft, axis=-1)[:, :n + k].astype(np.float32)
        y[:, :k] += self.tail
        self.tail = y[:, n:n + k].copy()
        return y[:, :n]
