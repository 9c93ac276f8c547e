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
from scenefill.engine import fft as sp_fft
from scenefill.engine import array_cache
from scenefill.engine import dsp as signal

from .base import BLOCK, _sosfilt_raw, smooth_noise

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


def row_windows(a: np.ndarray, r: int, count: int, width: int) -> np.ndarray:
    """Read-only (count, width) view of overlapping windows of row r of a 2-D array: window i
    is a[r, i:i + width]. (A plain ndarray over the same buffer: several times cheaper to
    make than ``as_strided``.)"""
    step = a.strides[1]
    if a.flags.c_contiguous:
        v = np.ndarray((count, width), a.dtype, buffer=a, offset=r * a.strides[0], strides=(step, step))
        v.flags.writeable = False
        return v
    return np.lib.stride_tricks.as_strided(a[r], (count, width), (step, step), writeable=False)


_POLY_ROWS = 4096  # rows per matrix product: small enough that OpenBLAS stays on one thread


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, as ``np.unique`` returns them.

    Why not ``np.unique``: on numpy 2 its first call imports ``numpy.ma`` to ask
    whether the array is masked, ~20 ms of every ``scenefill render``'s start-up.
    """
    v = np.sort(np.ravel(values))
    if v.size < 2:
        return v
    return v[np.concatenate(([True], v[1:] != v[:-1]))]


def polyphase(ext: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    """out[r, i, p] = sum_j ext[r, i + j] * weights[j, p] for i < count: interpolation of
    every row by the phase weights (taps, factor), as (rows, count * factor).

    The shifted copies of the rows are stacked (taps, rows * count) so that their transpose
    is a regular (column-major) matrix: BLAS products over pieces of it, several times
    faster than a product over overlapping windows, which numpy cannot hand to BLAS.
    """
    rows = ext.shape[0]
    taps, factor = weights.shape
    shifted = np.empty((taps, rows, count), dtype=ext.dtype)
    for j in range(taps):
        shifted[j] = ext[:, j:j + count]
    cols = shifted.reshape(taps, rows * count).T
    total = rows * count
    if total <= _POLY_ROWS:
        return (cols @ weights).reshape(rows, count * factor)
    out = np.empty((total, factor), dtype=ext.dtype)
    for i in range(0, total, _POLY_ROWS):
        np.matmul(cols[i:i + _POLY_ROWS], weights, out=out[i:i + _POLY_ROWS])
    return out.reshape(rows, count * factor)


class Upsampler:
    """Linear interpolation by an integer factor, streamed.

    Low-rate sample ``i`` of a block lands on full-rate position ``(i + 1) * factor - 1``;
    the last sample of the previous block is the starting point of this one, so
    the curve is continuous across blocks (at the cost of ``factor`` samples of latency).
    The output has the input's dtype (float32 in, float32 out: half the memory traffic).
    """

    def __init__(self, factor: int, channels: int, start: float | np.ndarray | None = None) -> None:
        self.factor = factor
        # None: the first block starts flat at its own first value (no ramp from zero)
        self.last = None if start is None else np.zeros((channels, 1)) + np.reshape(start, (-1, 1))
        ramp = np.arange(1, factor + 1) / factor
        self.weights = np.vstack([1 - ramp, ramp])
        self.weights32 = self.weights.astype(np.float32)

    def __call__(self, low: np.ndarray, n: int) -> np.ndarray:
        rows, n_l = low.shape
        dtype = np.float32 if low.dtype == np.float32 else np.float64
        if self.last is None:
            self.last = low[:, :1].copy()
        if self.factor == 1:
            self.last = low[:, -1:].copy()
            return low[:, :n]
        w = self.weights32 if dtype == np.float32 else self.weights
        ext = np.empty((rows, n_l + 1), dtype=dtype)
        ext[:, :1] = self.last
        ext[:, 1:] = low
        self.last = ext[:, -1:].copy()
        return polyphase(ext, w, n_l)[:, :n]


class SplineUpsampler:
    """Cubic B-spline upsampling by an integer factor, streamed: matrix products
    per block (see :func:`polyphase`). Images of the low rate are attenuated as sinc^4 (about
    -45 dB for content at a fifteenth of the low rate), enough to bring rumbles
    and formants up from a low rate without a buzz at multiples of that rate.
    The passband droops gently (-2.4 dB at a fifth of the low rate); the delay
    is two low-rate samples. The output has the input's dtype.
    """

    def __init__(self, factor: int, channels: int) -> None:
        self.factor = factor
        u = np.arange(factor) / factor
        self.weights = np.vstack([(1 - u) ** 3, 3 * u ** 3 - 6 * u ** 2 + 4,
                                  -3 * u ** 3 + 3 * u ** 2 + 3 * u + 1, u ** 3]) / 6.0
        self.weights32 = self.weights.astype(np.float32)
        self.hist = np.zeros((channels, 3))

    def extended(self, n_l: int, dtype=np.float32) -> np.ndarray:
        """A (rows, 3 + n_l) buffer starting with the carried history: write the next n_l
        low-rate samples into ``buf[:, 3:]`` and pass ``ext=buf`` (saves a copy)."""
        buf = np.empty((self.hist.shape[0], n_l + 3), dtype=dtype)
        buf[:, :3] = self.hist
        return buf

    def __call__(self, low: np.ndarray | None, n: int, add_to: np.ndarray | None = None,
                 ext: np.ndarray | None = None) -> np.ndarray:
        """Upsampled (rows, n). With ``add_to`` (rows, n), the result is added into that
        array, which is returned (at factor 2 without an intermediate array). ``ext`` is
        a buffer from :meth:`extended` holding the input (then ``low`` is ignored)."""
        if ext is None:
            rows, n_l = low.shape
            dtype = np.float32 if low.dtype == np.float32 else np.float64
            ext = np.empty((rows, n_l + 3), dtype=dtype)
            ext[:, :3] = self.hist
            ext[:, 3:] = low
        else:
            rows, n_l = ext.shape[0], ext.shape[1] - 3
            dtype = ext.dtype
        self.hist = ext[:, -3:].copy()
        y = polyphase(ext, self.weights32 if dtype == np.float32 else self.weights, n_l)[:, :n]
        if add_to is not None:
            add_to += y
            return add_to
        return y


class Wander:
    """A slow random modulator in 0..1 at control rate, smooth (no corners), streamed.

    Random knots at ``rate_hz`` (:func:`smooth_noise`) through a one-pole smoother
    whose time constant is about one knot interval. (Computed as :func:`smooth_noise`
    and ``lfilter`` would, with the interpolation grid kept between blocks and the
    smoother run by the compiled second-order-sections kernel.)
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
        self._sos = np.array([[1 - a, 0.0, 0.0, 1.0, -a, 0.0]])
        self._grid: tuple[int, int, np.ndarray] | None = None

    def __call__(self, rng: np.random.Generator, n_c: int) -> np.ndarray:
        steps = max(2, int(np.ceil(n_c * self.rate / self.sr_c)) + 1)  # as in base.smooth_noise
        knots = np.empty(steps)
        knots[0] = self.state[0]
        knots[1:] = rng.random(steps - 1)
        self.state[0] = float(knots[-1])  # the next block starts where this one was heading
        if self._grid is None or self._grid[:2] != (n_c, steps):
            self._grid = (n_c, steps, np.linspace(0, steps - 1, n_c, endpoint=False))
        x = np.interp(self._grid[2], np.arange(steps), knots)
        if _sosfilt_raw is None:
            y, self.zi = signal.lfilter(self.b, self.a, x, zi=self.zi)
            return y
        # one-pole y[i] = (1 - a) x[i] + a y[i-1]; lfilter's state zi = a * y[-1] is the
        # section's first state variable
        y = x[None, :]
        zi = np.array([[[self.zi[0], 0.0]]])
        _sosfilt_raw(self._sos, y, zi)
        self.zi = np.array([zi[0, 0, 0]])
        return y[0]


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


def blasts_envelope(t: np.ndarray, lengths: list[float], gap: float, attack: float, release: float) -> np.ndarray:
    """On/off envelope of a run of blasts (a horn's honks, a whistle's blows): each ``lengths[i]``
    seconds long, ``gap`` apart, with linear ramps of ``attack`` and ``release`` seconds."""
    env = np.zeros(t.size)
    t_on = 0.0
    for length in lengths:
        env += np.clip((t - t_on) / attack, 0, 1) * np.clip((t_on + length - t) / release, 0, 1)
        t_on += length + gap
    return env


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


def _ola_plan(longest: int) -> tuple[int, int]:
    """(segment, fft size) for overlap-add convolution with kernels of ``longest`` samples.

    Short FFTs over segments of the block beat one long FFT (they stay in cache);
    sizes are 2^a * (1, 3, 5, 9 or 15), the segment a power of two with the kernel
    tail fitting inside the next segment, chosen for the least time per sample
    (a transform's cost per sample, measured: flat up to ~1k points, growing
    slowly to 16k, doubling beyond, where it no longer fits in cache).
    """
    best = None
    for p in range(8, 18):
        seg = 1 << p
        need = seg + longest - 1
        nfft = min(m << q for m in (1, 3, 5, 9, 15) for q in range(0, 20) if (m << q) >= need)
        if nfft > 2 * seg:
            continue
        per_sample = 3.0 + 0.75 * max(0.0, math.log2(nfft / 1024))
        if nfft > 16384:
            per_sample *= 2
        cost = per_sample * nfft / seg
        if best is None or cost < best[0] - 1e-9:
            best = (cost, seg, nfft)
    return best[1], best[2]


class KernelBank32:
    """Like :class:`~.base.KernelBank` (impulse trains convolved with kernels,
    streamed), but all trains go through batched float32 FFTs, which is
    several times cheaper than one FFT per train. ``trains`` is an array
    shaped (kernels, channels, n) with n up to ``block``; the result is float32.

    The block is cut into short segments convolved by overlap-add (one batched
    FFT over all kernels, channels and segments), so the transforms stay small.
    """

    def __init__(self, kernels: list[np.ndarray], block: int = BLOCK, channels: int = 2) -> None:
        longest = max(len(k) for k in kernels)
        self.block = block
        self.seg, self.nfft = _ola_plan(longest)
        spectra = [sp_fft.rfft(np.asarray(k, dtype=np.float32), self.nfft) for k in kernels]
        self.spectra = np.stack(spectra)[:, None, None, :]  # (kernels, 1, 1, bins)
        self.tail = np.zeros((channels, longest - 1), dtype=np.float32)

    def framed(self, n: int) -> np.ndarray:
        """Zeroed trains for an n-sample block, already cut into FFT frames: shape
        (kernels, channels, segments, nfft). Sample i of a train lives at flat offset
        :meth:`offsets` (i) of its (segments * nfft) row; pass the result to ``__call__``
        with ``n``. Saves the transforms a copy into padded frames."""
        return np.zeros((self.spectra.shape[0], self.tail.shape[0], -(-n // self.seg), self.nfft),
                        dtype=np.float32)

    def offsets(self, pos: np.ndarray) -> np.ndarray:
        """Flat offsets in a framed train row of block positions ``pos``."""
        return (pos // self.seg) * self.nfft + pos % self.seg

    def __call__(self, trains: np.ndarray, n: int | None = None, used: np.ndarray | None = None,
                 out: np.ndarray | None = None) -> np.ndarray:
        """Convolve. ``trains`` is (kernels, channels, m) with m >= n (zero beyond n), or
        framed (see :meth:`framed`) with ``n`` given. ``used`` (indices of the kernels whose
        trains are not all zero) saves looking; ``out`` (channels, n) float32 receives the
        result (returned either way)."""
        seg, nfft = self.seg, self.nfft
        kern, channels = trains.shape[:2]
        n = trains.shape[-1] if n is None else n
        if n > self.block:
            raise ValueError("KernelBank32 blocks must not exceed the block size it was built for")
        segs = -(-n // seg)
        k = self.tail.shape[1]
        if used is None:
            used = np.flatnonzero(trains.reshape(kern, -1).any(axis=1))
        used = np.asarray(used, dtype=np.intp)
        parts = None
        if used.size:
            x = trains[used] if used.size < kern else trains
            if x.ndim == 4:
                spec = sp_fft.rfft(x, axis=-1)  # already in frames, zero-padded
            else:
                m = x.shape[-1]
                if m != segs * seg or x.dtype != np.float32:
                    pad = np.zeros((used.size, channels, segs * seg), dtype=np.float32)
                    w = min(m, segs * seg)
                    pad[:, :, :w] = x[:, :, :w]
                    x = pad
                spec = sp_fft.rfft(x.reshape(used.size, channels, segs, seg), nfft, axis=-1)
            spectra = self.spectra[used] if used.size < kern else self.spectra
            spec *= spectra
            acc = spec[0]
            for j in range(1, used.size):
                acc += spec[j]
            parts = sp_fft.irfft(acc, nfft, axis=-1)  # (channels, segs, nfft)
        if out is None:
            out = np.empty((channels, n), dtype=np.float32)
        if parts is not None and n == segs * seg:
            # overlap-add straight into out: each frame's head, plus the previous frame's tail
            frames = _split_last(out, segs, seg)
            frames[...] = parts[:, :, :seg]
            frames[:, 1:, :nfft - seg] += parts[:, :-1, seg:]
            new_tail = parts[:, -1, seg:seg + k].copy()
        else:
            y = np.zeros((channels, (segs + 1) * seg), dtype=np.float32)
            if parts is not None:
                _split_last(y[:, :segs * seg], segs, seg)[...] = parts[:, :, :seg]
                _split_last(y[:, seg:], segs, seg)[:, :, :nfft - seg] += parts[:, :, seg:]
            out[...] = y[:, :n]
            new_tail = y[:, n:n + k].copy()
        if n < k:  # a block shorter than the kernel tail: the older tail rings on past it
            new_tail[:, :k - n] += self.tail[:, n:]
        out[:, :min(n, k)] += self.tail[:, :min(n, k)]
        self.tail = new_tail
        return out


def _split_last(a: np.ndarray, parts: int, size: int) -> np.ndarray:
    """A view of (rows, parts * size) as (rows, parts, size), never a copy (rows may be strided)."""
    assert a.shape[1] == parts * size
    return np.lib.stride_tricks.as_strided(a, (a.shape[0], parts, size),
                                           (a.strides[0], size * a.strides[1], a.strides[1]))


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
    theta = (np.minimum(np.maximum(pan, -1), 1) + 1) * (np.pi / 4)
    return np.cos(theta) * np.sqrt(2), np.sin(theta) * np.sqrt(2)


def soft_limit(x: np.ndarray, ceiling: float = 0.95, in_place: bool = False) -> np.ndarray:
    """Leave everything below ~0.7 of the ceiling alone and bend peaks under the ceiling.
    ``in_place`` bends the peaks of ``x`` itself (else a copy is made when there are any)."""
    knee = 0.7 * ceiling
    if x.max() <= knee and -x.min() <= knee:
        return x
    y = x if in_place else x.copy()
    flat = y.reshape(-1)
    idx = np.flatnonzero(np.abs(flat) > knee)
    v = flat[idx]
    room = ceiling - knee
    flat[idx] = np.sign(v) * (knee + room * np.tanh((np.abs(v) - knee) / room))
    return y


_TABLES: dict[tuple, tuple[np.ndarray, float]] = {}
_TABLE_LEN = 1 << 20  # ~22 s at 48 kHz
_TABLE_CACHE = 24  # tables kept (float32, ~4 MB each); the oldest goes first


_WHITE: list[np.ndarray] = []  # the white noise every table is filtered from (made once)


def _table(sr: int, sos: np.ndarray) -> tuple[np.ndarray, float]:
    """A circular table of filtered noise (unit RMS, float32) and the RMS it had."""
    key = (sr, np.asarray(sos, dtype=np.float64).tobytes())
    got = _TABLES.pop(key, None)
    if got is None:  # a pure function of the filter: computed once per machine, then read back
        table, meta = array_cache.cached("colored", [sr, np.asarray(sos, dtype=np.float64).tolist(), _TABLE_LEN],
                                         lambda: _make_table(sos))
        got = (table, float(meta["scale"]))
        while len(_TABLES) >= _TABLE_CACHE:
            _TABLES.pop(next(iter(_TABLES)))
    _TABLES[key] = got  # most recently used last
    return got


def _make_table(sos: np.ndarray) -> tuple[np.ndarray, dict]:
    """The filtered periodic white noise behind :func:`_table`, and its RMS before normalising."""
    warm = 1 << 15
    if not _WHITE:
        white = np.random.default_rng(0xC0105ED).standard_normal(_TABLE_LEN)
        # the periodic extension: filtering it makes the table wrap around without a seam
        _WHITE.append(np.concatenate([white[-warm:], white]))
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    if _sosfilt_raw is not None:  # the compiled kernel behind signal.sosfilt, in place
        tab = _WHITE[0][None, :].copy()
        _sosfilt_raw(sos, tab, np.zeros((1, sos.shape[0], 2)))
        tab = tab[0, warm:]
    else:
        tab = signal.sosfilt(sos, _WHITE[0])[warm:]
    scale = float(np.sqrt(np.dot(tab, tab) / tab.size))
    tab = (tab / scale).astype(np.float32)
    return np.concatenate([tab, tab[: 2 * BLOCK]]), {"scale": scale}


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
        self.fade_in = np.sin(ramp).astype(np.float32)
        self.fade_out = np.cos(ramp).astype(np.float32)
        self.started = False

    def __call__(self, rng: np.random.Generator, n: int, gain: np.ndarray | float | None = None) -> np.ndarray:
        """(channels, n) float32; ``gain`` (scalar, (n,), (1, n) or (channels, n)) is applied on the way."""
        out = np.empty((self.channels, n), dtype=np.float32)
        f = min(self.fade, n)
        g = None if gain is None else np.broadcast_to(np.asarray(gain, dtype=np.float32), (self.channels, n))
        for c in range(self.channels):
            off = int(rng.integers(0, _TABLE_LEN))
            src = self.tab[off:off + n] if n <= 2 * BLOCK else np.resize(self.tab[off:], n)
            if g is None:
                out[c] = src
            else:
                np.multiply(src, g[c], out=out[c])
            if self.started:
                prev = int(self.cont[c])
                head = src[:f] * self.fade_in[:f] + self.tab[prev:prev + f] * self.fade_out[:f]
                out[c, :f] = head if g is None else head * g[c, :f]
            self.cont[c] = (off + n) % _TABLE_LEN
        self.started = True
        return out


class GrainBus:
    """Scatters many short grains (bubbles, crackles) into consecutive blocks.

    One ``np.bincount`` per channel adds all grains of a block at once, each
    grain with its own waveform, so dense events need no Python loop and no
    fixed set of kernels; the part of a grain that runs past the block end
    rings on into the next block. A handful of grains is added slice by slice
    instead (cheaper than a pass over the whole block).
    """

    SPARSE = 24  # up to this many grains per block are added one slice at a time

    def __init__(self, length: int, channels: int = 2, dtype=np.float64) -> None:
        self.length = length
        self.tail = np.zeros((channels, length), dtype=dtype)

    def __call__(self, n: int, onsets: np.ndarray, grains: np.ndarray, gains: np.ndarray) -> np.ndarray:
        """``onsets`` (g,) offsets in this block, ``grains`` (g, L<=length), ``gains`` (channels, g)."""
        out = np.zeros((self.tail.shape[0], n), dtype=self.tail.dtype)
        self.add_into(out, onsets, grains, gains)
        return out

    def add_into(self, out: np.ndarray, onsets: np.ndarray, grains: np.ndarray, gains: np.ndarray,
                 scale: float = 1.0) -> None:
        """Add this block's grains (times ``scale``) and the tails of earlier ones to ``out`` (channels, n)."""
        channels, n = out.shape
        length = self.length
        dtype = self.tail.dtype
        count = int(np.size(onsets))
        if count > self.SPARSE:
            span = n + length
            idx = (np.asarray(onsets)[:, None] + np.arange(grains.shape[1])).ravel()
            tail = np.empty((channels, length), dtype=dtype)
            for c in range(channels):
                acc = np.bincount(idx, weights=(grains * (gains[c] * scale)[:, None]).ravel(), minlength=span)
                out[c] += acc[:n]
                tail[c] = acc[n:span]
        else:
            tail = np.zeros((channels, length), dtype=dtype)
            if count:
                g = (np.asarray(gains, dtype=np.float64) * scale).tolist()
                width = grains.shape[1]
                rows = [out[c] for c in range(channels)]
                # (OpenBLAS spreads an axpy over 10000 elements across its threads, which spin: on a
                # busy machine one such call costs milliseconds; numpy's sum is single-threaded)
                blas = _saxpy is not None and width <= _BLAS_ONE_THREAD and dtype == np.float32 \
                    and grains.dtype == np.float32 \
                    and grains.flags.c_contiguous and all(r.flags.c_contiguous for r in rows)
                for j, o in enumerate(np.asarray(onsets).tolist()):
                    inside = min(n - o, width)
                    grain = grains[j]
                    for c in range(channels):
                        if blas:  # row += gain * grain in place, one BLAS call
                            _saxpy(grain[:inside], rows[c][o:o + inside], a=g[c][j])
                        else:
                            rows[c][o:o + inside] += grain[:inside] * dtype.type(g[c][j])
                        if inside < width:
                            tail[c, :width - inside] += grain[inside:] * dtype.type(g[c][j])
        k = min(n, length)
        out[:, :k] += self.tail[:, :k]
        if length > n:  # a short block: the older tail rings on past it
            tail[:, :length - n] += self.tail[:, n:]
        self.tail = tail


from scenefill.engine.blas import saxpy as _saxpy  # None where no BLAS loads: numpy does the sum
_BLAS_ONE_THREAD = 8192  # longest grain summed by BLAS: OpenBLAS threads an axpy over ~10000 elements


_F32 = np.dtype(np.float32)


def _axpy(y: np.ndarray, x: np.ndarray, a: float) -> None:
    """y += a * x in place for float32 vectors (one BLAS pass, no temporary; pieces of
    8192 keep OpenBLAS from splitting it over threads that then spin)."""
    size = y.size
    if _saxpy is not None and y.dtype == _F32 and x.dtype == _F32 and y.ndim == 1 \
            and y.flags.c_contiguous and x.flags.c_contiguous:
        if size <= 8192:
            if size:
                _saxpy(x, y, a=a)
        else:
            for i in range(0, size, 8192):
                _saxpy(x[i:i + 8192], y[i:i + 8192], a=a)
    else:
        y += x * y.dtype.type(a)


def to_output(x: np.ndarray, ceiling: float = 0.95) -> np.ndarray:
    """The engine's output format: float64, through :func:`soft_limit` (peaks bent in the
    float64 copy, so the limiter needs no copy of its own)."""
    if x.dtype == np.float64:
        return soft_limit(x, ceiling)
    knee = 0.7 * ceiling
    y = x.astype(np.float64)
    if x.max() <= knee and -x.min() <= knee:
        return y
    # find the peaks in the (narrower) input, bend them in the float64 copy
    idx = np.flatnonzero(np.abs(x.reshape(-1)) > knee)
    flat = y.reshape(-1)
    v = flat[idx]
    room = ceiling - knee
    flat[idx] = np.sign(v) * (knee + room * np.tanh((np.abs(v) - knee) / room))
    return y
