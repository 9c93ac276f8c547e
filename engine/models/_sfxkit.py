"""Shared kit of the short effects: prototype synthesis (modes, bursts, grains,
oscillators) and the one-shot base class.

How effects stay exact across blocks: every event (a step, a beep, a ring, a door
slam) is synthesised once in ``setup`` as a short prototype waveform, and its
start time is a pure function of its index on the model's timeline (period,
jitter tables drawn from the layer generator). A block then adds the part of
every event that overlaps its absolute sample range, so tails ring on into the
next block without any carried buffer, and a block's samples depend only on
its position. Continuous beds (a lab's fan) use the block generator and filters
with kept state, like the ambience models.

Not a model module: the registry skips module names that start with ``_``.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from .base import SoundModel, Timeline, butter

_TABLE = 1024  # per-layer tables of random values, indexed by event number mod this


# --------------------------------------------------------------------------- helpers


def _add(out: np.ndarray, start: int, onset: int, ev: np.ndarray, gain=1.0) -> None:
    """Add the part of ``ev`` (mono (m,) or stereo (2, m)) that starts at absolute
    sample ``onset`` and overlaps the block [start, start + n) of ``out``."""
    n = out.shape[1]
    a = max(onset, start)
    b = min(onset + ev.shape[-1], start + n)
    if b <= a:
        return
    seg = ev[..., a - onset:b - onset]
    out[:, a - start:b - start] += seg * gain


def _t(sr: int, dur: float) -> np.ndarray:
    return np.arange(max(1, int(round(dur * sr)))) / sr


def _filt(x: np.ndarray, kind: str, freq, sr: int, order: int = 2) -> np.ndarray:
    return signal.sosfilt(butter(kind, freq, sr, order), x)


def _reson(x: np.ndarray, freq: float, q: float, sr: int) -> np.ndarray:
    """Resonant band-pass (a struck mode excited by ``x``)."""
    f = min(freq, 0.45 * sr)
    b, a = signal.iirpeak(f, q, fs=sr)
    return signal.lfilter(b, a, x)


def _modes(sr: int, dur: float, freqs, taus, amps) -> np.ndarray:
    """Sum of exponentially decaying sines (modal synthesis of an impact)."""
    t = _t(sr, dur)
    out = np.zeros(t.size)
    for f, tau, a in zip(freqs, taus, amps):
        if f >= 0.45 * sr:
            continue
        m = min(t.size, int(tau * 7 * sr) + 1)
        out[:m] += a * np.exp(-t[:m] / tau) * np.sin(2 * np.pi * f * t[:m])
    return out


def _burst(rng: np.random.Generator, sr: int, dur: float, tau: float, band, attack: float = 0.0005):
    """Noise burst with a fast attack and exponential decay, band-limited."""
    t = _t(sr, dur)
    env = np.exp(-t / tau) * np.clip(t / max(attack, 1e-5), 0, 1)
    return _filt(rng.standard_normal(t.size) * env, "bandpass", band, sr)


def _swell(rng: np.random.Generator, sr: int, dur: float, band, rise: float) -> np.ndarray:
    """Noise burst with a smooth rise and fall (scuffs, swishes, friction)."""
    t = _t(sr, dur)
    x = np.clip(t / rise, 0, 1)
    env = np.sin(np.pi / 2 * x) ** 2 * np.exp(-np.maximum(t - rise, 0) / (max(dur - rise, 1e-3) / 3))
    return _filt(rng.standard_normal(t.size) * env, "bandpass", band, sr)


def _grains(rng: np.random.Generator, sr: int, dur: float, rate: float, band, decay: float,
            grain: float = 0.0015) -> np.ndarray:
    """Granular crunch: many tiny clicks (gravel, dry grass) under a decaying envelope."""
    t = _t(sr, dur)
    count = max(1, rng.poisson(rate * dur))
    pos = np.sort(rng.integers(0, t.size, count))
    train = np.zeros(t.size)
    np.add.at(train, pos, rng.uniform(-1, 1, count) * np.exp(-t[pos] / decay))
    k = _t(sr, grain * 4)
    kernel = rng.standard_normal(k.size) * np.exp(-k / grain)
    return _filt(np.convolve(train, kernel)[:t.size], "bandpass", band, sr)


def _fade(x: np.ndarray, sr: int, attack: float = 0.002, release: float = 0.005) -> np.ndarray:
    """Raised-cosine edges so a prototype starts and ends at zero."""
    x = np.array(x, dtype=np.float64)
    na = min(x.shape[-1] // 2, max(1, int(attack * sr)))
    nr = min(x.shape[-1] // 2, max(1, int(release * sr)))
    x[..., :na] *= np.sin(np.linspace(0, np.pi / 2, na)) ** 2
    x[..., x.shape[-1] - nr:] *= np.cos(np.linspace(0, np.pi / 2, nr)) ** 2
    return x


def _mix(*parts: np.ndarray) -> np.ndarray:
    """Sum mono arrays of different lengths (aligned at their starts)."""
    out = np.zeros(max(p.size for p in parts))
    for p in parts:
        out[:p.size] += p
    return out


def _norm(x: np.ndarray, peak: float) -> np.ndarray:
    m = np.max(np.abs(x))
    return x * (peak / m) if m > 0 else x


def _wavetable(harmonics: np.ndarray, size: int = 4096) -> np.ndarray:
    """One cycle of a periodic wave from harmonic amplitudes (index 0 = fundamental)."""
    spec = np.zeros(size // 2 + 1, dtype=complex)
    spec[1:1 + harmonics.size] = harmonics * (size / 2) * -1j
    return np.fft.irfft(spec, size)


def _osc(sr: int, freq: np.ndarray, harmonics: np.ndarray, phase0: float = 0.0) -> np.ndarray:
    """Band-limited oscillator following an instantaneous frequency curve (Hz per sample).

    Harmonics above 0.45 * sr at the curve's highest frequency are dropped, and the
    one-cycle table is read with linear interpolation.
    """
    fmax = float(np.max(freq))
    keep = max(1, min(harmonics.size, int(0.45 * sr / max(fmax, 1.0))))
    table = _wavetable(harmonics[:keep])
    size = table.size
    table = np.append(table, table[0])
    phase = (phase0 + np.cumsum(freq) / sr) % 1.0 * size
    i0 = phase.astype(np.int64)
    frac = phase - i0
    return table[i0] * (1 - frac) + table[i0 + 1] * frac


def _times(options: dict, default: float) -> list[float]:
    times = options.get("times")
    if times is None:
        return [default]
    if np.isscalar(times):
        times = [times]
    return [max(0.0, float(x)) for x in times]


class _OneShot(Timeline, SoundModel):
    """Base of one-shot effects: one prototype event per requested time, then silence."""

    one_shot = True
    category = "sfx"

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        self._start_events([int(round(t * self.sr)) for t in _times(self.params.options, 0.5)], rng)

    def _start_events(self, onsets: list[int], rng: np.random.Generator) -> None:
        """Each requested time gets its own take (a slightly different knock, slam...), drawn from
        ``rng`` in the order the times were given. A take is made when the render reaches it and
        let go once it has rung out: made all at once, a dog barking every 2 s for an hour held
        1,800 barks (2-3 GB). Made in the same order from the same generator, every take is the
        one it always was."""
        self._onsets = onsets
        self._event_rng: np.random.Generator | None = rng
        self._next = 0
        self._live: list[tuple[int, np.ndarray]] = []
        # the earliest onset among the takes not made yet, from each position in the list on
        self._later_min = list(np.minimum.accumulate(onsets[::-1])[::-1]) if onsets else []

    def _make_until(self, end: int | None) -> None:
        """Make the takes due before sample ``end`` (all with None), and those listed before them."""
        while self._next < len(self._onsets) and (end is None or self._later_min[self._next] < end):
            self._live.append((self._onsets[self._next], self.make_event(self._event_rng)))
            self._next += 1
        if self._next == len(self._onsets):
            self._event_rng = None

    @property
    def events(self) -> list[tuple[int, np.ndarray]]:
        """The takes not yet rung out, as (onset sample, audio), every one made now: for analysis
        (tests look at a take); a render makes them as it goes."""
        self._make_until(None)
        return list(self._live)

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        self._make_until(start + n)
        for onset, ev in self._live:
            _add(out, start, onset, ev)
        self._live = [(onset, ev) for onset, ev in self._live if onset + ev.shape[-1] > start + n]
        return out



def grid_events(start: int, n: int, period: float, longest: int, jitter: np.ndarray | None = None):
    """Event indices k whose sound (onset ``k * period`` + ``jitter[k % len]`` samples, at most
    ``longest`` samples long) overlaps the block [start, start + n): a pure function of the
    block's position, so periodic events (ticks, tolls, claps) are prefix-stable with no state."""
    pad = 0 if jitter is None else float(np.max(np.abs(jitter)))
    k0 = max(0, int(np.floor((start - longest - pad) / period)))
    k1 = int(np.ceil((start + n + pad) / period))
    out = []
    for k in range(k0, k1 + 1):
        onset = int(round(k * period + (0.0 if jitter is None else jitter[k % jitter.size])))
        if onset < start + n and onset + longest > start and onset >= 0:
            out.append((k, onset))
    return out


def _panel(rng: np.random.Generator, sr: int, dur: float, band: tuple[float, float], count: int,
           tau: tuple[float, float], tilt: float = 1.0) -> np.ndarray:
    """Impulse response of a struck panel (a door, a floorboard, a table top): a plate has a
    near-constant modal density, so many modes spread over ``band`` (log-uniform), each damped
    in ``tau`` seconds (wood: tens of ms), lower modes louder by ``f ** -tilt``. A few modes
    make a wood block or a marimba; dozens make a surface."""
    lo, hi = band
    freqs = np.exp(rng.uniform(np.log(lo), np.log(hi), count))
    taus = rng.uniform(*tau, count) * (lo / freqs) ** 0.3   # higher modes die sooner
    amps = rng.uniform(0.5, 1.0, count) * (lo / freqs) ** tilt
    return _modes(sr, dur, freqs, taus, amps * rng.choice([-1, 1], count))


def _room(rng: np.random.Generator, sr: int, x: np.ndarray, rt60: float, wet: float) -> np.ndarray:
    """``x`` (mono) heard in a room: a few early reflections, then a diffuse tail decaying
    60 dB in ``rt60`` s, duller as it decays (air and soft surfaces take the highs first).
    ``wet`` is the tail's energy against the dry sound. Returns the dry sound plus the room,
    longer by the tail."""
    from scenefill.engine.fft import convolve  # scipy.signal's fftconvolve, without its 0.4 s import

    n = int(rt60 * sr)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60)
    # the highs decay faster: a crossfade from the bright tail to a low-passed copy of it
    dull = _filt(tail, "lowpass", 1500, sr, 2)
    tail = tail * np.exp(-t / (0.5 * rt60)) + dull * (1 - np.exp(-t / (0.5 * rt60)))
    tail[: int(0.004 * sr)] = 0.0  # the first reflection needs a few metres
    for _ in range(6):
        k = int(rng.uniform(0.004, 0.03) * sr)
        tail[k] += rng.uniform(-1, 1) * 8.0 / np.sqrt(sr * 0.01)
    tail *= np.sqrt(wet / max(np.sum(tail ** 2), 1e-12))
    return _mix(x, convolve(x, tail))


def _norm_energy(x: np.ndarray, sr: int, rms_over_10ms: float, peak_max: float = 0.95) -> np.ndarray:
    """Scale ``x`` so its energy equals that of ``rms_over_10ms`` held for 10 ms, peaks kept under
    ``peak_max``: takes of one impact with different crest factors then sound equally loud,
    which a peak normalisation does not give (a ringing take would sound louder)."""
    e = float(np.sum(np.asarray(x) ** 2))
    if e <= 0:
        return x
    y = x * (rms_over_10ms * np.sqrt(0.01 * sr) / np.sqrt(e))
    m = float(np.max(np.abs(y)))
    return y * (peak_max / m) if m > peak_max else y


def _wood(rng: np.random.Generator, sr: int, dur: float, band: tuple[float, float], count: int,
          tilt: float, loss: tuple[float, float] = (0.02, 0.04)) -> np.ndarray:
    """A struck wooden panel: ``count`` modes spread log-uniformly over ``band``, each decaying
    in ``1 / (pi f eta)`` s for a loss factor ``eta`` drawn from ``loss``."""
    lo, hi = band
    freqs = np.exp(rng.uniform(np.log(lo), np.log(hi), count))
    taus = 1.0 / (np.pi * freqs * rng.uniform(*loss, count))
    amps = rng.uniform(0.5, 1.0, count) * (lo / freqs) ** tilt * rng.choice([-1, 1], count)
    return _modes(sr, dur, freqs, taus, amps)
