"""Streaming helpers shared by the ambience models (wind, traffic, crowd, birds...).

Not a model module: the registry skips module names that start with ``_``.

Everything here keeps its state causally between blocks, so models built on it
keep the engine's prefix-stability promise. Two ideas make the beds cheap:

* work at a lower rate where the content allows it (control signals at ~190 Hz,
  voice and bubble formants at ~12 kHz) and bring it up with :class:`Upsampler`,
  a streamed linear interpolator that costs a couple of array operations;
* compute sines in float32 (:func:`sin_cycles`): numpy's float32 sine is about
  twenty times faster than its float64 one and far more accurate than audio needs.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

from .base import BLOCK, smooth_noise

TWO_PI = 2.0 * np.pi


def factor_for(sr: int, target_hz: float) -> int:
    """A power-of-two decimation factor taking ``sr`` close to ``target_hz``.

    Powers of two divide ``BLOCK``, so every full block maps onto a whole number
    of low-rate samples and low-rate state lines up across blocks.
    """
    return int(2 ** max(0, round(math.log2(sr / target_hz))))


def low_len(n: int, factor: int) -> int:
    """Low-rate samples needed to cover ``n`` full-rate samples."""
    return -(-n // factor)


class Upsampler:
    """Linear interpolation by an integer factor, streamed.

    Low-rate sample ``i`` of a block lands on full-rate position ``(i + 1) * factor - 1``;
    the last sample of the previous block is the starting point of this one, so
    the curve is continuous across blocks (at the cost of ``factor`` samples of latency).
    """

    def __init__(self, factor: int, channels: int, start: float | np.ndarray | None = None) -> None:
        self.factor = factor
        # None: the first block starts flat at its own first value (no ramp from zero)
        self.last = None if start is None else np.zeros((channels, 1)) + np.reshape(start, (-1, 1))
        ramp = np.arange(1, factor + 1) / factor
        self.weights = np.vstack([1 - ramp, ramp])

    def __call__(self, low: np.ndarray, n: int) -> np.ndarray:
        rows, n_l = low.shape
        if self.last is None:
            self.last = low[:, :1].copy()
        if self.factor == 1:
            self.last = low[:, -1:].copy()
            return low[:, :n]
        ext = np.concatenate([self.last, low], axis=1)
        self.last = low[:, -1:].copy()
        win = np.lib.stride_tricks.sliding_window_view(ext, 2, axis=1)  # (rows, n_l, 2)
        out = win.reshape(rows * n_l, 2) @ self.weights
        return out.reshape(rows, n_l * self.factor)[:, :n]


class SplineUpsampler:
    """Cubic B-spline upsampling by an integer factor, streamed: one small matrix
    product per block. Images of the low rate are attenuated as sinc^4 (about
    -45 dB for content at a fifteenth of the low rate), enough to bring rumbles
    and formants up from a low rate without a buzz at multiples of that rate.
    The passband droops gently (-2.4 dB at a fifth of the low rate); the delay
    is two low-rate samples.
    """

    def __init__(self, factor: int, channels: int) -> None:
        self.factor = factor
        u = np.arange(factor) / factor
        self.weights = np.vstack([(1 - u) ** 3, 3 * u ** 3 - 6 * u ** 2 + 4,
                                  -3 * u ** 3 + 3 * u ** 2 + 3 * u + 1, u ** 3]) / 6.0
        self.hist = np.zeros((channels, 3))

    def __call__(self, low: np.ndarray, n: int) -> np.ndarray:
        rows, n_l = low.shape
        ext = np.concatenate([self.hist, low], axis=1)
        self.hist = ext[:, -3:].copy()
        if self.factor == 2:  # two phases: plain weighted sums beat the matrix product
            a, b, c, d = ext[:, :n_l], ext[:, 1:n_l + 1], ext[:, 2:n_l + 2], ext[:, 3:]
            w = self.weights
            out = np.empty((rows, n_l, 2))
            out[:, :, 0] = w[0, 0] * a + w[1, 0] * b + w[2, 0] * c
            out[:, :, 1] = w[0, 1] * a + w[1, 1] * b + w[2, 1] * c + w[3, 1] * d
            return out.reshape(rows, -1)[:, :n]
        win = np.lib.stride_tricks.sliding_window_view(ext, 4, axis=1)[:, :n_l]  # (rows, n_l, 4)
        out = win.reshape(rows * n_l, 4) @ self.weights
        return out.reshape(rows, n_l * self.factor)[:, :n]


class Wander:
    """A slow random modulator in 0..1 at control rate, smooth (no corners), streamed.

    Random knots at ``rate_hz`` (:func:`smooth_noise`) through a one-pole smoother
    whose time constant is about one knot interval.
    """

    def __init__(self, rng: np.random.Generator, rate_hz: float, sr_c: float, smooth: float = 1.0) -> None:
        start = float(rng.random())
        self.state = [start]
        self.rate = rate_hz
        self.sr_c = sr_c
        a = math.exp(-TWO_PI * rate_hz / (smooth * sr_c) * 0.5)
        self.b = [1 - a]
        self.a = [1, -a]
        self.zi = np.array([start * a])

    def __call__(self, rng: np.random.Generator, n_c: int) -> np.ndarray:
        x = smooth_noise(rng, n_c, self.sr_c, self.rate, self.state)
        y, self.zi = signal.lfilter(self.b, self.a, x, zi=self.zi)
        return y


class Control:
    """Control-rate clock of a model: low-rate length per block and upsampling to full rate."""

    def __init__(self, sr: int, target_hz: float = 190.0) -> None:
        self.factor = factor_for(sr, target_hz)
        self.rate = sr / self.factor

    def length(self, n: int) -> int:
        return low_len(n, self.factor)

    def upsampler(self, rows: int, start: float | np.ndarray | None = None) -> Upsampler:
        return Upsampler(self.factor, rows, start)


def sin_cycles(phase: np.ndarray) -> np.ndarray:
    """sin(2*pi*phase) for a phase in cycles, computed in float32 (fast)."""
    frac = phase - np.floor(phase)
    return np.sin((frac * TWO_PI).astype(np.float32))


class Oscillator:
    """Phase accumulator (cycles) continuous across blocks."""

    def __init__(self, sr: float, phase: float = 0.0) -> None:
        self.sr = sr
        self.phase = phase

    def phases(self, freq, n: int) -> np.ndarray:
        """Phase in cycles for the next n samples; ``freq`` a scalar or an array of n values."""
        if np.ndim(freq) == 0:
            ph = self.phase + float(freq) / self.sr * np.arange(n)
            self.phase = (self.phase + float(freq) / self.sr * n) % 1.0
        else:
            inc = np.asarray(freq, dtype=np.float64) / self.sr
            ph = np.empty(n)
            ph[0] = 0.0
            np.cumsum(inc[:-1], out=ph[1:])
            ph += self.phase
            self.phase = float(ph[-1] + inc[-1]) % 1.0
        return ph


class Sparse:
    """Schedules sparse events (thunder, pass-bys, bird phrases) across blocks.

    Holds the offset of the next event relative to the current block's start;
    gaps are drawn from the block's random stream when an event fires, so the
    schedule is deterministic and causal.
    """

    def __init__(self, first: int) -> None:
        self.next = int(first)

    def onsets(self, n: int, gap) -> list[int]:
        """Event offsets inside this block of n samples; ``gap()`` returns samples to the next."""
        out = []
        while self.next < n:
            out.append(self.next)
            self.next += max(1, int(gap()))
        self.next -= n
        return out


class KernelBank32:
    """Like :class:`~.base.KernelBank` (impulse trains convolved with kernels,
    streamed), but all trains go through one batched float32 FFT, which is
    several times cheaper than one FFT per train. ``trains`` is an array
    shaped (kernels, channels, n) with n up to ``block``.
    """

    def __init__(self, kernels: list[np.ndarray], block: int = BLOCK, channels: int = 2) -> None:
        longest = max(len(k) for k in kernels)
        self.block = block
        need = block + longest - 1
        self.nfft = min(f * 2 ** p for f in (1, 3, 9) for p in range(2, 24) if f * 2 ** p >= need)
        spectra = [sp_fft.rfft(np.asarray(k, dtype=np.float32), self.nfft) for k in kernels]
        self.spectra = np.stack(spectra)[:, None, :]  # (kernels, 1, bins)
        self.tail = np.zeros((channels, longest - 1))

    def __call__(self, trains: np.ndarray) -> np.ndarray:
        kern, channels, n = trains.shape
        if n > self.block:
            raise ValueError("KernelBank32 blocks must not exceed the block size it was built for")
        k = self.tail.shape[1]
        used = np.flatnonzero(trains.reshape(kern, -1).any(axis=1))
        if used.size == 0:
            y = np.zeros((channels, n + k))
        else:
            spec = sp_fft.rfft(trains[used].astype(np.float32), self.nfft, axis=-1)
            spec *= self.spectra[used]
            y = sp_fft.irfft(spec.sum(axis=0), self.nfft, axis=-1)[:, : n + k].astype(np.float64)
        y[:, :k] += self.tail
        self.tail = y[:, n:n + k].copy()
        return y[:, :n]


def pink_sos(sr: float) -> np.ndarray:
    """SOS of a -3 dB/octave (pink) slope from ~15 Hz to ~15 kHz (or near Nyquist), unity gain at 100 Hz."""
    poles = np.array([12.0, 120.0, 1200.0, 12000.0])
    zeros = poles[:3] * np.sqrt(10.0)
    nyq = sr / 2
    poles = np.minimum(poles, nyq * 0.9)
    z, p, k = signal.bilinear_zpk(-TWO_PI * zeros, -TWO_PI * poles, 1.0, sr)
    sos = signal.zpk2sos(z, p, k)
    w, h = signal.sosfreqz(sos, worN=[100.0], fs=sr)
    sos[0, :3] /= abs(h[0])
    return sos


def peak_sos(f0: float, gain_db: float, q: float, sr: float) -> np.ndarray:
    """RBJ peaking EQ as one SOS row (centre clipped below Nyquist)."""
    f0 = min(f0, sr * 0.45)
    a = 10 ** (gain_db / 40)
    w = TWO_PI * f0 / sr
    alpha = np.sin(w) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w), 1 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def pan_pair(pan) -> tuple[np.ndarray, np.ndarray]:
    """Equal-power gains (left, right) for pan in [-1, 1] (scalar or array), unity at centre."""
    theta = (np.clip(pan, -1, 1) + 1) * (np.pi / 4)
    return np.cos(theta) * np.sqrt(2), np.sin(theta) * np.sqrt(2)


def soft_limit(x: np.ndarray, ceiling: float = 0.95) -> np.ndarray:
    """Leave everything below ~0.7 of the ceiling alone and bend peaks under the ceiling."""
    knee = 0.7 * ceiling
    if x.max() <= knee and -x.min() <= knee:
        return x
    over = np.abs(x) > knee
    y = x.copy()
    a = np.abs(x[over]) - knee
    room = ceiling - knee
    y[over] = np.sign(x[over]) * (knee + room * np.tanh(a / room))
    return y


_TABLES: dict[tuple, tuple[np.ndarray, float]] = {}
_TABLE_LEN = 1 << 20  # ~22 s at 48 kHz
_TABLE_CACHE = 24  # tables kept (float32, ~4 MB each); the oldest goes first


def _table(sr: int, sos: np.ndarray) -> tuple[np.ndarray, float]:
    """A circular table of filtered noise (unit RMS, float32) and the RMS it had."""
    key = (sr, np.asarray(sos, dtype=np.float64).tobytes())
    got = _TABLES.pop(key, None)
    if got is None:
        white = np.random.default_rng(0xC0105ED).standard_normal(_TABLE_LEN)
        warm = 1 << 15
        # filtering the periodic extension makes the table wrap around without a seam
        tab = signal.sosfilt(sos, np.concatenate([white[-warm:], white]))[warm:]
        scale = float(np.sqrt(np.mean(tab ** 2)))
        tab = (tab / scale).astype(np.float32)
        got = (np.concatenate([tab, tab[: 2 * BLOCK]]), scale)
        while len(_TABLES) >= _TABLE_CACHE:
            _TABLES.pop(next(iter(_TABLES)))
    _TABLES[key] = got  # most recently used last
    return got


class ColoredNoise:
    """Fixed-colour noise (unit RMS) read from a shared, pre-filtered table.

    ``scale`` is the RMS white noise of unit variance would have through the
    same filter: multiply by it to match a filtered :func:`~.base.noise`.

    Like :func:`~.base.noise` but already filtered, so it costs a table read
    instead of a filter pass. Each block starts at a random offset (from the
    block's random stream) and the first ``fade`` samples crossfade from where
    the previous block's read would have continued, so there is no splice.
    Meant for colours without deep low-frequency content (highpassed or
    band-passed above a few hundred hertz), whose correlation time is short.
    """

    def __init__(self, sr: int, sos: np.ndarray, channels: int = 2, fade: int = 64) -> None:
        self.tab, self.scale = _table(sr, sos)
        self.channels = channels
        self.fade = fade
        self.cont = np.zeros(channels, dtype=np.int64)
        ramp = np.linspace(0, np.pi / 2, fade, endpoint=False)
        self.fade_in = np.sin(ramp)
        self.fade_out = np.cos(ramp)
        self.started = False

    def __call__(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = np.empty((self.channels, n))
        f = min(self.fade, n)
        for c in range(self.channels):
            off = int(rng.integers(0, _TABLE_LEN))
            if n <= 2 * BLOCK:
                out[c] = self.tab[off:off + n]
            else:
                out[c] = np.resize(self.tab[off:], n)
            if self.started:
                prev = int(self.cont[c])
                out[c, :f] = out[c, :f] * self.fade_in[:f] + self.tab[prev:prev + f] * self.fade_out[:f]
            self.cont[c] = (off + n) % _TABLE_LEN
        self.started = True
        return out


class GrainBus:
    """Scatters many short grains (bubbles, crackles) into consecutive blocks.

    One ``np.bincount`` per channel adds all grains of a block at once, each
    grain with its own waveform, so dense events need no Python loop and no
    fixed set of kernels; the part of a grain that runs past the block end
    rings on into the next block.
    """

    def __init__(self, length: int, channels: int = 2) -> None:
        self.length = length
        self.tail = np.zeros((channels, length))

    def __call__(self, n: int, onsets: np.ndarray, grains: np.ndarray, gains: np.ndarray) -> np.ndarray:
        """``onsets`` (g,) offsets in this block, ``grains`` (g, L<=length), ``gains`` (channels, g)."""
        channels, span = self.tail.shape[0], n + self.length
        out = np.zeros((channels, span))
        if onsets.size:
            idx = (onsets[:, None] + np.arange(grains.shape[1])).ravel()
            for c in range(channels):
                out[c] = np.bincount(idx, weights=(grains * gains[c][:, None]).ravel(), minlength=span)[:span]
        out[:, :self.length] += self.tail
        self.tail = out[:, n:].copy()
        return out[:, :n]
