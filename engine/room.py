"""The one acoustic space every layer of a scene shares.

A synthetic impulse response (early reflections plus an exponentially decaying,
darkening diffuse tail; decorrelated left and right) is convolved with the sum
of the layers' sends. Because all layers go through the same response, dialogue,
effects and beds sound as if they were recorded in the same place.
"""

from __future__ import annotations

import numpy as np

from scenefill.engine import fft as sp_fft
from scenefill.engine import dsp as signal

from .models.base import BLOCK, butter


def impulse_response(room: str, rt60: float, sample_rate: int, seed: int = 7) -> np.ndarray:
    """Stereo IR (2, n) for a room type; deterministic for a given room and rate."""
    rng = np.random.default_rng([seed, int(rt60 * 1000), sample_rate])
    n = max(64, int(rt60 * sample_rate))
    t = np.arange(n) / sample_rate
    ir = np.zeros((2, n))
    # Diffuse tail: noise with -60 dB at rt60, high frequencies dying faster.
    decay = np.exp(-6.9 * t / rt60)
    tail = rng.standard_normal((2, n)) * decay
    dark = signal.sosfilt(butter("lowpass", 6000 if room != "outdoor" else 3500, sample_rate, 1), tail)
    mix = np.clip(t / rt60 * 1.5, 0, 1)  # the tail gets darker as it decays
    tail = tail * (1 - mix) + dark * mix
    onset = int(0.006 * sample_rate) if room == "small" else int(0.012 * sample_rate)
    tail[:, :onset] = 0.0
    ir += tail * (0.5 if room == "outdoor" else 1.0)
    # Early reflections: a few discrete taps, sparser and later outdoors (buildings, ground).
    count = 6 if room == "outdoor" else 14
    span = (0.015, 0.12) if room == "outdoor" else (0.002, min(0.08, rt60 / 3))
    times = np.sort(rng.uniform(*span, size=(2, count)), axis=1)
    for ch in range(2):
        idx = (times[ch] * sample_rate).astype(int)
        idx = idx[idx < n]
        ir[ch, idx] += rng.choice([-1, 1], idx.size) * np.exp(-times[ch][: idx.size] / (rt60 / 4)) * 0.7
    # Unit energy per channel: the wet level is set by the send, not the IR.
    ir /= np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))
    return ir


class Room:
    """Streaming stereo reverb: mono send in, stereo wet out.

    The response runs at half the sample rate: its tail is darker than 6 kHz
    anyway, and half the rate halves the cost of the largest FFT in a render.
    The send is averaged in pairs on the way down and the wet signal linearly
    interpolated on the way up (both causal, one sample of memory).
    """

    def __init__(self, room: str, rt60: float, sample_rate: int, block: int = BLOCK) -> None:
        ir = impulse_response(room, rt60, sample_rate // 2)
        self.half_block = block // 2
        self.nfft = sp_fft.next_fast_len(self.half_block + ir.shape[1] - 1, real=True)
        # float32 FFTs: twice as fast, and a reverb tail needs no more than 24 bits
        self.spectrum = sp_fft.rfft(ir.astype(np.float32), self.nfft, axis=-1)
        self.tail = np.zeros((2, ir.shape[1] - 1))
        self.last = np.zeros((2, 1))  # the previous half-rate output sample, for interpolation

    def __call__(self, send: np.ndarray) -> np.ndarray:
        mono = send.mean(axis=0) if send.ndim == 2 else send
        n = mono.shape[0]
        if n % 2:
            raise ValueError("the room works on even block lengths")
        h = n // 2
        k = self.tail.shape[1]
        if not mono.any() and not self.tail.any() and not self.last.any():
            return np.zeros((2, n))
        if mono.any():
            half = (mono[0::2] + mono[1::2]).astype(np.float32) * np.float32(0.5)
            spec = sp_fft.rfft(half, self.nfft)[None, :] * self.spectrum
            y = sp_fft.irfft(spec, self.nfft, axis=-1)[:, :h + k].astype(np.float64)
        else:
            y = np.zeros((2, h + k))
        y[:, :k] += self.tail
        self.tail = y[:, h:h + k].copy()
        y = y[:, :h]
        out = np.empty((2, n))
        out[:, 1::2] = y
        out[:, 0::2] = 0.5 * (np.concatenate([self.last, y[:, :-1]], axis=1) + y)
        self.last = y[:, -1:].copy()
        return out
