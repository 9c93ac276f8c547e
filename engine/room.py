"""The one acoustic space every layer of a scene shares.

A synthetic impulse response (early reflections plus an exponentially decaying,
darkening diffuse tail; decorrelated left and right) is convolved with the sum
of the layers' sends. Because all layers go through the same response, dialogue,
effects and beds sound as if they were recorded in the same place.
"""

from __future__ import annotations

import functools

import numpy as np

from scenefill.engine import fft as sp_fft
from scenefill.engine import dsp as signal

from .models.base import BLOCK, butter
from .rooms import ROOMS


def _band_weights(freqs: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(bands, bins) amplitude weights that sum to one at every frequency: raised-cosine
    crossovers halfway between octave centres on a log-frequency axis, the lowest and highest
    bands open-ended. Filtering one noise with each and summing gives the noise back."""
    x = np.log2(np.maximum(freqs, 1.0))
    c = np.log2(centres)
    w = np.zeros((c.size, freqs.size))
    for b in range(c.size):
        lo = np.ones_like(x) if b == 0 else np.clip((x - c[b - 1]) / (c[b] - c[b - 1]), 0, 1)
        hi = np.ones_like(x) if b == c.size - 1 else np.clip((c[b + 1] - x) / (c[b + 1] - c[b]), 0, 1)
        w[b] = np.sin(0.5 * np.pi * lo) ** 2 * np.sin(0.5 * np.pi * hi) ** 2
    # a band's rise and the next band's fall are sin^2 and cos^2 of one angle: they sum to one
    return w


def _banded_tail(noise: np.ndarray, t: np.ndarray, rt60: float, sample_rate: int,
                 ratios: tuple[tuple[float, float], ...]) -> np.ndarray:
    """The diffuse tail with its own decay per octave band: one noise split into bands whose
    weights sum to one (so the onset is the noise itself), each band decaying at its RT60."""
    n = noise.shape[-1]
    spectrum = sp_fft.rfft(noise, n, axis=-1)
    freqs = np.arange(spectrum.shape[-1]) * sample_rate / n
    centres = np.array([f for f, _ in ratios])
    weights = _band_weights(freqs, centres)
    tail = np.zeros_like(noise)
    for w, (_, ratio) in zip(weights, ratios):
        tail += sp_fft.irfft(spectrum * w, n, axis=-1) * np.exp(-6.9 * t / (rt60 * ratio))
    return tail


@functools.lru_cache(maxsize=8)
def impulse_response(room: str, rt60: float, sample_rate: int, seed: int = 7) -> np.ndarray:
    """Stereo IR (2, n) for a room type; deterministic for a given room and rate.

    Kept (read-only) for the next mixer or calibration render of the same room: the church's
    banded tail costs a few tens of milliseconds to build.
    """
    rng = np.random.default_rng([seed, int(rt60 * 1000), sample_rate])
    n = max(64, int(rt60 * sample_rate))
    t = np.arange(n) / sample_rate
    ir = np.zeros((2, n))
    # Diffuse tail: noise with -60 dB at rt60, high frequencies dying faster.
    bands = ROOMS[room].band_rt60 if room in ROOMS else ()
    if bands:
        # each octave decays at its own rate; the response is cut where the mid band has
        # died by 60 dB, the longer bass faded out over the last quarter (it is 45 dB down there)
        tail = _banded_tail(rng.standard_normal((2, n)), t, rt60, sample_rate, bands)
        fade = np.clip((t[-1] - t) / (0.25 * rt60), 0, 1)
        tail *= np.sin(0.5 * np.pi * fade) ** 2
    else:
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
    ir.flags.writeable = False
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
        active = bool(mono.any())
        if not active and not self.tail.any() and not self.last.any():
            return np.zeros((2, n))
        if active:
            half = (mono[0::2] + mono[1::2]).astype(np.float32)
            half *= np.float32(0.5)
            spec = sp_fft.rfft(half, self.nfft)[None, :] * self.spectrum
            y = sp_fft.irfft(spec, self.nfft, axis=-1)[:, :h + k].astype(np.float64)
        else:
            y = np.zeros((2, h + k))
        y[:, :k] += self.tail
        self.tail = y[:, h:h + k].copy()
        y = y[:, :h]
        out = np.empty((2, n))
        out[:, 1::2] = y
        even = out[:, 0::2]  # the midpoints, 0.5 * (previous + this), built in place
        even[:, :1] = self.last
        even[:, 1:] = y[:, :-1]
        even += y
        even *= 0.5
        self.last = y[:, -1:].copy()
        return out
