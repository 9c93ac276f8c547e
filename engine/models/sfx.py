"""Short effects: footsteps, beeps and lab electronics, doors, phones, car horns.

How they stay exact across blocks: every event (a step, a beep, a ring, a door
slam) is synthesised once in :meth:`setup` as a short prototype waveform, and its
start time is a pure function of its index on the model's timeline (period,
jitter tables drawn from the layer generator). A block then adds the part of
every event that overlaps its absolute sample range, so tails ring on into the
next block without any carried buffer, and a block's samples depend only on
its position. Continuous beds (a lab's fan) use the block generator and filters
with kept state, like the ambience models.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from .base import BLOCK, SoundModel, StatefulFilter, Timeline, butter, noise, pan_gains

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
        times = _times(self.params.options, 0.5)
        # each requested time gets its own take (a slightly different knock, slam...)
        self.events = [(int(round(t * self.sr)), self.make_event(rng)) for t in times]

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        for onset, ev in self.events:
            _add(out, start, onset, ev)
        return out


# --------------------------------------------------------------------------- footsteps

_SURFACE_WORDS = {
    "concrete": "concrete", "pavement": "concrete", "sidewalk": "concrete", "street": "concrete",
    "tile": "concrete", "tiles": "concrete", "tiled": "concrete", "marble": "concrete",
    "stone": "concrete", "hallway": "concrete", "corridor": "concrete", "asphalt": "concrete",
    "parking": "concrete", "garage": "concrete",
    "wood": "wood", "wooden": "wood", "floorboards": "wood", "floorboard": "wood",
    "deck": "wood", "porch": "wood", "stairs": "wood", "parquet": "wood", "boards": "wood",
    "gravel": "gravel", "pebbles": "gravel", "stones": "gravel", "driveway": "gravel",
    "snow": "gravel", "path": "gravel",
    "grass": "grass", "lawn": "grass", "field": "grass", "meadow": "grass", "leaves": "grass",
    "forest": "grass", "dirt": "grass", "woods": "grass", "garden": "grass",
}


class Footsteps(Timeline, SoundModel):
    name = "footsteps"
    category = "sfx"
    # not bare "running" ("running water", "engine running") nor "walk" ("a walk in the park")
    keywords = ("footsteps", "footstep", "walking", "steps", "heels", "high heels", "walker", "pacing",
                "jogging", "jogger", "someone walking", "someone running", "running feet",
                "running footsteps", "people walking", "person walking", "man walking", "woman walking",
                "sprinting")
    default_level_db = 0.0
    description = "heel-toe footsteps at a walking (or running) cadence; surface: concrete, wood, gravel, grass"
    option_words = {
        **{w: ("surface", s) for w, s in _SURFACE_WORDS.items()},
        "walking": ("gait", "walk"), "walk": ("gait", "walk"), "walks": ("gait", "walk"),
        "strolling": ("gait", "walk"), "pacing": ("gait", "walk"),
        "running": ("gait", "run"), "run": ("gait", "run"), "runs": ("gait", "run"),
        "jogging": ("gait", "run"), "sprinting": ("gait", "run"), "sprint": ("gait", "run"),
        "heels": ("style", "heels"), "stilettos": ("style", "heels"), "high": ("style", "heels"),
        "boots": ("style", "boots"), "sneakers": ("style", "soft"), "barefoot": ("style", "soft"),
    }
    _VARIANTS = 8

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        opts = self.params.options
        i = float(np.clip(self.params.intensity, 0, 1))
        self.surface = opts.get("surface", "concrete")
        if self.surface not in ("concrete", "wood", "gravel", "grass"):
            self.surface = _SURFACE_WORDS.get(self.surface, "concrete")
        self.gait = opts.get("gait", "walk")
        self.style = opts.get("style", "shoes")
        if self.gait == "run":
            self.rate = rng.uniform(2.7, 3.1) + 0.3 * (i - 0.5)
        else:
            self.rate = rng.uniform(1.85, 2.1) + 0.2 * (i - 0.5)
        self.period = self.sr / self.rate  # samples per step
        self.offset = int(rng.uniform(0.08, 0.25) * self.sr)
        self.variants = [self._step(rng, i) for _ in range(self._VARIANTS)]
        self.maxlen = max(v.size for v in self.variants)
        # per-step tables: timing jitter, loudness, which take; feet alternate slightly
        self.jitter = rng.uniform(-0.025, 0.025, _TABLE) * self.period
        self.gain = rng.uniform(0.78, 1.0, _TABLE) * (0.45 + 0.55 * i)
        pick = rng.integers(0, self._VARIANTS - 1, _TABLE)
        self.pick = (np.arange(_TABLE) % 2 * (self._VARIANTS // 2) + pick % (self._VARIANTS // 2))
        self.pans = [pan_gains(-0.06), pan_gains(0.06)]

    # one footfall: heel strike then toe (or for heels: sole then heel click)
    def _step(self, rng: np.random.Generator, i: float) -> np.ndarray:
        sr = self.sr
        run = self.gait == "run"
        heavy = 0.7 + 0.6 * i + (0.3 if run or self.style == "boots" else 0.0)
        crisp = 0.6 + 0.8 * i  # harder steps have brighter impacts
        soft = self.style == "soft"
        gap = rng.uniform(0.025, 0.04) if run else rng.uniform(0.06, 0.095)
        s = self.surface
        if self.style == "heels" and s in ("concrete", "wood"):
            base = 2400 if s == "concrete" else 1500
            sole = _burst(rng, sr, 0.04, 0.004, (800, 6000)) * 0.25
            click = _modes(sr, 0.12, [base * rng.uniform(0.9, 1.15), base * rng.uniform(2.2, 2.6),
                                       rng.uniform(180, 260)],
                           [0.014, 0.006, 0.012], [0.8, 0.35, 0.4])
            click = _mix(click, _burst(rng, sr, 0.03, 0.0015, (2000, 12000)) * 0.5 * crisp)
            first, second = sole, click * heavy
        elif s == "concrete":
            heel = _modes(sr, 0.1, [rng.uniform(80, 115), rng.uniform(160, 240)], [0.018, 0.012],
                          [0.7 * heavy, 0.25 * heavy])
            click = _burst(rng, sr, 0.06, rng.uniform(0.004, 0.007), (1200, 7000))
            heel = _mix(heel, click * (0.3 if soft else 0.7) * crisp)
            heel = _mix(heel, _burst(rng, sr, 0.08, 0.02, (2500, 10000)) * 0.12)
            toe = _burst(rng, sr, 0.05, 0.004, (1500, 8000)) * (0.2 if soft else 0.4)
            toe = _mix(toe, _swell(rng, sr, rng.uniform(0.05, 0.09), (2000, 9000), 0.012) * (0.25 if run else 0.12))
            first, second = heel, toe
        elif s == "wood":
            f = rng.uniform(95, 135)
            heel = _modes(sr, 0.25, [f, f * rng.uniform(2.0, 2.4), f * rng.uniform(3.6, 4.4),
                                     rng.uniform(700, 1100)],
                          [0.06, 0.04, 0.025, 0.012], [0.8 * heavy, 0.45 * heavy, 0.25, 0.15])
            heel = _mix(heel, _burst(rng, sr, 0.05, 0.005, (600, 4500)) * (0.2 if soft else 0.45) * crisp)
            toe = _modes(sr, 0.15, [f * rng.uniform(1.8, 2.3), rng.uniform(400, 600)], [0.03, 0.015],
                         [0.3, 0.2])
            toe = _mix(toe, _burst(rng, sr, 0.04, 0.004, (800, 5000)) * 0.25)
            if rng.random() < 0.35:  # the occasional board creak
                t = _t(sr, 0.12)
                creak = np.sin(2 * np.pi * rng.uniform(300, 600) * t + 3 * np.sin(2 * np.pi * 35 * t))
                toe = np.pad(toe, (0, max(0, t.size - toe.size)))
                toe[:t.size] += creak * np.sin(np.pi * t / t[-1]) ** 2 * 0.08
            first, second = heel, toe
        elif s == "gravel":
            heel = _grains(rng, sr, 0.22, 900 * heavy, (700, 7500), 0.05) * crisp
            heel = _mix(heel, _modes(sr, 0.08, [rng.uniform(60, 90)], [0.02], [0.25 * heavy]))
            toe = _grains(rng, sr, 0.16, 700, (900, 8000), 0.04) * 0.7
            first, second = heel, toe
        else:  # grass, leaves, dirt
            heel = _swell(rng, sr, 0.2, (1200, 7500), 0.015) * 0.5 * crisp
            heel = _mix(heel, _grains(rng, sr, 0.18, 350, (1500, 9000), 0.05) * 0.6)
            heel = _mix(heel, _modes(sr, 0.08, [rng.uniform(55, 80)], [0.02], [0.3 * heavy]))
            toe = _swell(rng, sr, 0.14, (1800, 8000), 0.02) * 0.35
            first, second = heel, toe
        g = int(gap * sr)
        out = np.zeros(max(first.size, g + second.size))
        out[:first.size] += first
        out[g:g + second.size] += second * rng.uniform(0.8, 1.1)
        return _fade(_norm(out, 0.8), sr, 0.0005, 0.01)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        first = max(0, int((start - self.offset - self.maxlen) // self.period) - 1)
        last = int((start + n - self.offset) // self.period) + 1
        for k in range(first, last + 1):
            j = k % _TABLE
            onset = self.offset + int(round(k * self.period + self.jitter[j]))
            if onset < 0 or onset >= start + n:
                continue
            _add(out, start, onset, self.variants[self.pick[j]], self.gain[j] * self.pans[k % 2])
        return out


# --------------------------------------------------------------------------- beeps

def _beep(sr: int, freq: float, dur: float, wave: str = "sine", edge: float = 0.005) -> np.ndarray:
    k = np.arange(1, 41)
    if wave == "square":
        h = np.where(k % 2 == 1, 1.0 / k ** 1.15, 0.0)
    elif wave == "piezo":
        h = np.array([1.0, 0.15, 0.3, 0.06])
    else:
        h = np.array([1.0, 0.04, 0.02])
    x = _osc(sr, np.full(int(dur * sr), freq), h)
    return _fade(x, sr, edge, edge * 1.5)


def _chirp(sr: int, f1: float, f2: float, dur: float) -> np.ndarray:
    t = _t(sr, dur)
    f = f1 * (f2 / f1) ** (t / dur)
    x = np.sin(2 * np.pi * np.cumsum(f) / sr)
    return _fade(x * np.exp(-t / (dur * 0.7)), sr, 0.003, 0.01)


_BEEP_LOUDNESS = -15.0  # LUFS (one channel) of the beeping pattern at level 1
_LAB_BEEP_POWER = 10 ** (-25.8 / 10)  # weighted mean square of a lab's patterned beeps at level 1
_CHIRP_ENERGY = 10 ** (-29.0 / 10)  # weighted energy (per second) of a lab's average chirp


_K_FILTERS: dict[int, list] = {}


def _weighted_square(x: np.ndarray, sr: int) -> np.ndarray:
    """The K-weighted (BS.1770, the engine's meter) square of a short one-off sound, with
    50 ms of its filtered tail."""
    if sr not in _K_FILTERS:
        import pyloudnorm  # the engine's meter: its filters for this rate

        _K_FILTERS[sr] = list(pyloudnorm.Meter(sr)._filters.values())
    y = np.concatenate([x, np.zeros(int(0.05 * sr))])
    for f in _K_FILTERS[sr]:
        y = f.apply_filter(y)
    return y ** 2


def _loudness_periodic(y2: np.ndarray, sr: int) -> float:
    """Integrated loudness (400 ms blocks every 100 ms, absolute and relative gates) of a
    mono signal repeating endlessly, from its K-weighted square over a whole number of
    periods."""
    block, hop = int(0.4 * sr), int(0.1 * sr)
    c = np.concatenate([[0.0], np.cumsum(np.concatenate([y2, np.resize(y2, block)]))])
    starts = np.arange(0, y2.size, hop)
    z = (c[starts + block] - c[starts]) / block
    z = z[z >= 10 ** ((-70.0 + 0.691) / 10)]
    if not z.size:
        return float("-inf")
    z = z[z >= np.mean(z) / 10]  # the relative gate, 10 LU down
    return float(-0.691 + 10 * np.log10(np.mean(z)))


class Beeps(Timeline, SoundModel):
    name = "beeps"
    category = "sfx"
    keywords = ("beep", "beeps", "beeping", "monitor", "heart monitor", "hospital monitor",
                "ecg", "ekg", "lab", "laboratory", "electronics", "computer", "computers",
                "control room", "bleeps", "blips", "reversing beeper", "backup beeper")
    default_level_db = -4.0
    description = ("electronic beeps: regular or patterned beeps, a heart monitor, or lab electronics "
                   "with chirps and a fan")
    option_words = {
        "monitor": ("style", "monitor"), "heart": ("style", "monitor"), "hospital": ("style", "monitor"),
        "ecg": ("style", "monitor"), "ekg": ("style", "monitor"), "pulse": ("style", "monitor"),
        "lab": ("style", "lab"), "laboratory": ("style", "lab"), "electronics": ("style", "lab"),
        "computer": ("style", "lab"), "computers": ("style", "lab"), "machines": ("style", "lab"),
        "server": ("style", "lab"), "control": ("style", "lab"), "spaceship": ("style", "lab"),
        "reversing": ("style", "reversing"), "backing": ("style", "reversing"),
        "backup": ("style", "reversing"), "truck": ("style", "reversing"),
        "alarm": ("style", "alarm"), "urgent": ("style", "alarm"), "warning": ("style", "alarm"),
        "square": ("wave", "square"), "sine": ("wave", "sine"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        opts = self.params.options
        self.style = opts.get("style", "beep")
        self.offset = int(0.2 * sr)
        self.jitter_frac = 0.0
        lab = self.style == "lab"
        # pattern: list of (offset seconds, prototype index) repeated every `period` seconds
        if self.style == "monitor":
            rate = rng.uniform(62, 78) + 30 * (i - 0.5)  # heart rate, bpm
            period = 60 / rate
            self.protos = [_beep(sr, rng.choice([880.0, 960.0, 1000.0]), rng.uniform(0.09, 0.12),
                                 "piezo", 0.006) * 0.6]
            pattern = [(0.0, 0)]
            self.jitter_frac = 0.012
        elif self.style == "reversing":
            period = rng.uniform(0.95, 1.1)
            self.protos = [_beep(sr, rng.uniform(1000, 1250), period / 2, "square", 0.008) * 0.5]
            pattern = [(0.0, 0)]
        elif self.style == "alarm":
            period = rng.uniform(1.6, 2.2) - 0.4 * i
            f = rng.uniform(900, 1400)
            self.protos = [_beep(sr, f, 0.13, "square", 0.004) * 0.45]
            pattern = [(0.0, 0), (0.22, 0), (0.44, 0)]
        else:
            wave = opts.get("wave") or ("square" if rng.random() < 0.4 else "sine")
            f = self.freq = float(rng.choice([800.0, 1000.0, 1200.0, 1500.0, 2000.0]))
            dur = rng.uniform(0.08, 0.22)
            amp = 0.45 if wave == "square" else 0.6
            self.protos = [_beep(sr, f, dur, wave) * amp, _beep(sr, f * 0.75, dur, wave) * amp]
            kind = rng.integers(0, 4) if not lab else 1
            gap = dur + rng.uniform(0.06, 0.14)
            if kind == 0:
                period, pattern = rng.uniform(0.8, 1.4), [(0.0, 0)]
            elif kind == 1:
                period, pattern = rng.uniform(1.5, 2.5), [(0.0, 0), (gap, 0)]
            elif kind == 2:
                period, pattern = rng.uniform(2.0, 3.0), [(0.0, 0), (gap, 0), (2 * gap, 0)]
            else:
                period, pattern = rng.uniform(1.5, 2.5), [(0.0, 0), (gap, 1)]
            period *= 1.25 - 0.5 * i
            if lab:  # patterned beeps are occasional in a lab: every few seconds, quieter
                period *= rng.uniform(2.5, 4.0)
                self.protos = [p * 0.5 for p in self.protos]
        self.period = period * sr
        self.pattern = [(int(round(o * sr)), k) for o, k in pattern]
        self.jitter = rng.uniform(-1, 1, _TABLE) * self.jitter_frac * self.period
        self.level = 0.55 + 0.45 * i
        self.maxlen = max(p.size for p in self.protos) + max(o for o, _ in self.pattern)
        self.lab = lab
        if lab:
            # the occasional patterned beeps at a fixed average power (they were drawn with
            # their period, pitch and length like any beeping)
            power = sum(np.sum(_weighted_square(self.protos[p], sr)) for _, p in self.pattern) / self.period
            gain = np.sqrt(_LAB_BEEP_POWER / power)
            self.protos = [p * gain for p in self.protos]
            self._setup_lab(rng, i)
        else:
            # the pitch, wave, length and pattern drawn above set how loud the beeping is (a
            # 2 kHz square triplet every two seconds against a short 800 Hz sine once a second):
            # bring the repeating pattern to a loudness set by the intensity alone
            got = _loudness_periodic(self._pattern_square(), sr)  # at level 1
            peak = max(np.max(np.abs(p)) for p in self.protos)
            self.level = float(min(10 ** ((_BEEP_LOUDNESS - got) / 20) * self.level, 0.9 / peak))

    def _pattern_square(self) -> np.ndarray:
        """The K-weighted square of whole periods (4 s at least) of the beep pattern at level 1,
        wrapped around: a stretch of its endless repetition."""
        reps = max(2, int(np.ceil(4.0 * self.sr / self.period)))
        size = int(round(reps * self.period))
        squares = [_weighted_square(p, self.sr) for p in self.protos]
        y2 = np.zeros(size)
        for r in range(reps):
            base = int(round(r * self.period))
            for off, p in self.pattern:
                q = squares[p]
                at = (base + off) % size
                head = min(q.size, size - at)
                y2[at:at + head] += q[:head]
                y2[:q.size - head] += q[head:]  # wrapped round (beeps do not overlap themselves)
        return y2

    def _setup_lab(self, rng: np.random.Generator, i: float) -> None:
        sr = self.sr
        # soft electronic chirps and data blips on a slot grid
        self.chirps = []
        for _ in range(6):
            f1 = rng.uniform(1500, 4500)
            self.chirps.append(_chirp(sr, f1, f1 * rng.uniform(0.5, 2.0), rng.uniform(0.03, 0.09)) * 0.25)
        for _ in range(3):  # little blip pairs
            f = rng.uniform(2000, 4000)
            b = _beep(sr, f, 0.025, "sine", 0.003)
            pair = np.zeros(int(0.09 * sr))
            pair[:b.size] += b
            pair[int(0.06 * sr):int(0.06 * sr) + b.size] += b * 0.8
            self.chirps.append(pair * 0.18)
        # their pitches and lengths set how loud they are: bring their average energy (what the
        # meter hears) to a fixed value
        energy = np.mean([np.sum(_weighted_square(c, sr)) / sr for c in self.chirps])
        self.chirps = [c * np.sqrt(_CHIRP_ENERGY / energy) for c in self.chirps]
        self.slot = int(0.25 * sr)
        p = 0.12 + 0.25 * i  # chance of a chirp per quarter second
        # as many in every eight slots as the chance gives, carrying the fraction over (so any
        # few seconds hold their share), in random slots of the eight
        carry = np.floor(rng.uniform(0, 1) + 8 * p * np.arange(_TABLE // 8 + 1))
        counts = np.diff(carry).astype(int)
        self.chirp_on = np.zeros(_TABLE, dtype=bool)
        for g, c in enumerate(counts[:_TABLE // 8]):
            self.chirp_on[8 * g + rng.permutation(8)[:c]] = True
        self.chirp_at = (rng.random(_TABLE) * self.slot).astype(np.int64)
        self.chirp_pick = rng.integers(0, len(self.chirps), _TABLE)
        self.chirp_gain = rng.uniform(0.4, 1.0, _TABLE)
        self.chirp_pan = [pan_gains(x) for x in rng.uniform(-0.6, 0.6, 8)]
        self.chirp_max = max(c.size for c in self.chirps)
        # hum and fan: a one-second loop of integer-Hz tones (exactly periodic), plus fan noise
        mains = float(rng.choice([50.0, 60.0]))
        blade = float(rng.integers(90, 160))
        t = np.arange(sr) / sr
        hum = sum(a * np.sin(2 * np.pi * mains * h * t + rng.uniform(0, 6.28))
                  for h, a in ((1, 0.3), (2, 1.0), (3, 0.25), (4, 0.3), (6, 0.1)))
        hum = hum * 0.012 + 0.01 * np.sin(2 * np.pi * blade * t) + 0.004 * np.sin(2 * np.pi * 2 * blade * t)
        self.hum = np.concatenate([hum, hum[:BLOCK]])
        self.fan = StatefulFilter(butter("bandpass", (120, 2500), sr, 1), channels=1)
        self.fan_gain = 0.02 + 0.02 * i

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        end = start + n
        first = max(0, int((start - self.offset - self.maxlen) // self.period) - 1)
        last = int((end - self.offset) // self.period) + 1
        for k in range(first, last + 1):
            base = self.offset + int(round(k * self.period + self.jitter[k % _TABLE]))
            for off, p in self.pattern:
                _add(out, start, base + off, self.protos[p], self.level)
        if self.lab:
            s0 = max(0, (start - self.chirp_max) // self.slot)
            for s in range(s0, end // self.slot + 1):
                j = s % _TABLE
                if self.chirp_on[j]:
                    _add(out, start, s * self.slot + int(self.chirp_at[j]), self.chirps[self.chirp_pick[j]],
                         self.chirp_gain[j] * self.level * self.chirp_pan[s % 8])
            a = start % self.sr
            if n <= BLOCK:
                hum = self.hum[a:a + n]
            else:
                hum = np.resize(np.roll(self.hum[:self.sr], -a), n)
            fan = self.fan(noise(rng, 1, n))[0] * self.fan_gain
            out += hum + fan
        return out


# --------------------------------------------------------------------------- door

def _creak(rng: np.random.Generator, sr: int, dur: float, pitch: float) -> np.ndarray:
    """Stick-slip friction of a hinge: a pulse train with a wandering rate through wood modes."""
    t = _t(sr, dur)
    knots = rng.uniform(0.5, 1.5, 6)
    rate = pitch * np.interp(t, np.linspace(0, dur, knots.size), knots)
    # stick-slip is irregular: a fast random wobble on the pulse rate
    wobble = _filt(rng.standard_normal(t.size), "lowpass", 25, sr, 2)
    rate *= 1 + 0.25 * wobble / (np.std(wobble) + 1e-12)
    rate = np.maximum(rate, 3.0)
    phase = np.cumsum(rate) / sr
    pulses = np.zeros(t.size)
    idx = np.nonzero(np.diff(np.floor(phase)) > 0)[0] + 1
    pulses[idx] = rng.uniform(0.5, 1.0, idx.size)
    env = np.sin(np.pi * np.clip(t / dur, 0, 1)) ** 0.7
    x = np.zeros(t.size)
    base = rng.uniform(380, 700)
    for ratio, q, a in ((1.0, 12, 1.0), (1.9, 14, 0.6), (3.1, 16, 0.35), (4.6, 18, 0.2)):
        x += a * _reson(pulses, base * ratio, q, sr)
    x += _filt(rng.standard_normal(t.size), "bandpass", (1500, 5000), sr) * 0.02
    return x * env


class Door(_OneShot):
    name = "door"
    keywords = ("door", "doors", "door slam", "slam", "slams", "slammed", "knock", "knocks",
                "knocking", "knock on the door", "creak", "creaks", "creaking", "creaky door",
                "door opens", "door closes")
    default_level_db = 3.0
    description = "a door: open, close, slam, creak, or a knock (2-3 knocks); one-shot at 0.5 s or given times"
    option_words = {
        "open": ("action", "open"), "opens": ("action", "open"), "opening": ("action", "open"),
        "opened": ("action", "open"),
        "close": ("action", "close"), "closes": ("action", "close"), "closing": ("action", "close"),
        "closed": ("action", "close"), "shut": ("action", "close"), "shuts": ("action", "close"),
        "slam": ("action", "slam"), "slams": ("action", "slam"), "slammed": ("action", "slam"),
        "slamming": ("action", "slam"), "bang": ("action", "slam"),
        "knock": ("action", "knock"), "knocks": ("action", "knock"), "knocking": ("action", "knock"),
        "knocked": ("action", "knock"),
        "creak": ("action", "creak"), "creaks": ("action", "creak"), "creaking": ("action", "creak"),
        "creaky": ("action", "creak"),
        "metal": ("material", "metal"), "steel": ("material", "metal"), "iron": ("material", "metal"),
        "wooden": ("material", "wood"), "wood": ("material", "wood"),
    }

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        action = self.params.options.get("action", "close")
        metal = self.params.options.get("material") == "metal"
        if action == "knock":
            return self._knock(rng, i, metal)
        parts: list[tuple[float, np.ndarray]] = []
        if action in ("open", "creak"):
            parts.append((0.0, self._latch(rng, 0.5)))
            dur = rng.uniform(1.4, 2.4) if action == "creak" else rng.uniform(0.7, 1.3)
            parts.append((0.12, _norm(_creak(rng, sr, dur, rng.uniform(25, 60)), 0.35 + 0.25 * i)))
        elif action == "close":
            dur = rng.uniform(0.35, 0.7)
            parts.append((0.0, _norm(_creak(rng, sr, dur, rng.uniform(30, 60)), 0.2)))
            parts.append((dur, self._thud(rng, 0.55 + 0.25 * i, metal)))
            parts.append((dur + 0.01, self._latch(rng, 0.6)))
        else:  # slam
            parts.append((0.0, self._thud(rng, 1.0, metal, slam=True)))
            parts.append((0.004, self._latch(rng, 0.9)))
            for _ in range(int(rng.integers(3, 6))):  # frame and hardware rattle
                parts.append((rng.uniform(0.03, 0.25), self._latch(rng, rng.uniform(0.1, 0.3))))
        length = max(int(o * sr) + p.size for o, p in parts)
        ev = np.zeros(length)
        for o, p in parts:
            ev[int(o * sr):int(o * sr) + p.size] += p
        stereo = np.vstack([ev, np.roll(ev, int(0.0004 * sr))])  # a touch of width
        return _fade(_norm(stereo, 0.45 + 0.45 * i), sr, 0.0005, 0.02)

    def _latch(self, rng: np.random.Generator, amp: float) -> np.ndarray:
        sr = self.sr
        a = _modes(sr, 0.06, rng.uniform(2500, 3500) * np.array([1, 1.7, 2.9]), [0.008, 0.005, 0.003],
                   [1, 0.6, 0.4])
        a = _mix(a, _burst(rng, sr, 0.02, 0.001, (3000, 12000)) * 0.6)
        b = _modes(sr, 0.05, rng.uniform(1800, 2600) * np.array([1, 2.3]), [0.006, 0.003], [0.7, 0.4])
        gap = int(rng.uniform(0.012, 0.03) * sr)
        out = np.zeros(gap + b.size)
        out[:a.size] += a
        out[gap:] += b
        return _norm(out, amp * 0.5)

    def _thud(self, rng: np.random.Generator, amp: float, metal: bool, slam: bool = False) -> np.ndarray:
        sr = self.sr
        if metal:
            f = rng.uniform(140, 220)
            x = _modes(sr, 1.2, f * np.array([1, 2.71, 4.1, 6.3, 9.2]), [0.3, 0.2, 0.12, 0.08, 0.05],
                       [1, 0.6, 0.4, 0.3, 0.2])
        else:
            f = rng.uniform(65, 95)
            x = _modes(sr, 0.5, [f, f * 1.9, rng.uniform(220, 320), rng.uniform(500, 800)],
                       [0.09, 0.05, 0.03, 0.015], [1, 0.5, 0.4, 0.2])
        x = _mix(x, _burst(rng, sr, 0.15, 0.02 if slam else 0.012, (80, 2500)) * (0.9 if slam else 0.5))
        if slam:
            x = _mix(x, _burst(rng, sr, 0.3, 0.06, (300, 6000)) * 0.25)
        return _norm(x, amp)

    def _knock(self, rng: np.random.Generator, i: float, metal: bool) -> np.ndarray:
        sr = self.sr
        count = int(rng.integers(2, 4))
        gap = rng.uniform(0.16, 0.26)
        hits = []
        for _ in range(count):
            if metal:
                f = rng.uniform(300, 420)
                h = _modes(sr, 0.5, f * np.array([1, 2.4, 3.9, 5.6]), [0.12, 0.07, 0.05, 0.03], [1, .6, .4, .3])
            else:
                f = rng.uniform(170, 240)
                h = _modes(sr, 0.25, [f, f * rng.uniform(2.2, 2.6), rng.uniform(800, 1200)],
                           [0.05, 0.03, 0.012], [1, 0.55, 0.3])
            h = _mix(h, _burst(rng, sr, 0.03, 0.002, (600, 5000)) * 0.5)
            hits.append(_norm(h, rng.uniform(0.75, 1.0)))
        length = int((gap * (count - 1) + 0.02) * sr) + max(h.size for h in hits)
        ev = np.zeros(length)
        for k, h in enumerate(hits):
            o = int((k * gap + rng.uniform(-0.01, 0.01) * (k > 0)) * sr)
            ev[o:o + h.size] += h
        stereo = np.vstack([ev, ev])
        return _fade(_norm(stereo, 0.6 + 0.3 * i), sr, 0.0005, 0.02)


# --------------------------------------------------------------------------- phone

class Phone(Timeline, SoundModel):
    name = "phone"
    category = "sfx"
    # not bare "ringing": church bells and ears ring too
    keywords = ("phone", "phone ringing", "telephone", "cellphone", "cell phone", "mobile phone",
                "smartphone", "ringtone", "phone rings", "landline", "phone buzzing", "phone vibrating")
    default_level_db = 0.0
    description = "a ringing phone: classic bell ring (2 s on, 4 s off), electronic trill, mobile ringtone or vibration"
    option_words = {
        "classic": ("style", "bell"), "old": ("style", "bell"), "bell": ("style", "bell"),
        "rotary": ("style", "bell"), "vintage": ("style", "bell"), "landline": ("style", "bell"),
        "office": ("style", "electronic"), "desk": ("style", "electronic"),
        "electronic": ("style", "electronic"), "digital": ("style", "electronic"),
        "cellphone": ("style", "mobile"), "cell": ("style", "mobile"), "mobile": ("style", "mobile"),
        "smartphone": ("style", "mobile"), "ringtone": ("style", "mobile"), "iphone": ("style", "mobile"),
        "vibrate": ("style", "vibrate"), "vibrating": ("style", "vibrate"), "vibration": ("style", "vibrate"),
        "buzz": ("style", "vibrate"), "buzzing": ("style", "vibrate"), "silent": ("style", "vibrate"),
        "uk": ("cadence", "uk"), "british": ("cadence", "uk"), "english": ("cadence", "uk"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.style = self.params.options.get("style", "bell")
        uk = self.params.options.get("cadence") == "uk"
        if self.style == "mobile":
            ev, period = self._ringtone(rng)
        elif self.style == "vibrate":
            ev, period = self._vibrate(rng)
        else:
            # ring cadence: (on seconds, off seconds) segments
            cadence = [(0.4, 0.2), (0.4, 2.0)] if uk else [(2.0, 4.0)]
            period = sum(a + b for a, b in cadence)
            ring = self._bell if self.style == "bell" else self._trill
            parts, t = [], 0.0
            for on, off in cadence:
                parts.append((t, ring(rng, on)))
                t += on + off
            length = max(int(o * sr) + p.size for o, p in parts)
            ev = np.zeros(length)
            for o, p in parts:
                ev[int(o * sr):int(o * sr) + p.size] += p
        self.cadence_on = 2.0 if not uk else 0.4
        self.event = _fade(_norm(ev, 0.5 + 0.35 * i), sr, 0.001, 0.02)
        self.period = int(round(period * sr))
        times = self.params.options.get("times")
        self.offset = int(_times(self.params.options, 0.05)[0] * sr) if times is not None else int(0.05 * sr)

    def _bell(self, rng: np.random.Generator, on: float) -> np.ndarray:
        """Electromechanical ringer: a clapper at ~20 Hz alternately striking two gongs."""
        sr = self.sr
        tail = 0.9
        strike_rate = rng.uniform(18, 22)
        n = int((on + tail) * sr)
        trains = [np.zeros(n), np.zeros(n)]
        for k in range(int(on * strike_rate)):
            pos = int((k / strike_rate + rng.uniform(-0.002, 0.002)) * sr)
            trains[k % 2][max(0, pos)] += rng.uniform(0.8, 1.0)
        out = np.zeros(n)
        f0 = rng.uniform(1050, 1250)
        for train, f in zip(trains, (f0, f0 * rng.uniform(1.16, 1.26))):
            gong = _modes(sr, tail, f * np.array([1.0, 2.76, 5.40, 8.93]), [0.3, 0.1, 0.04, 0.02],
                          [1.0, 0.6, 0.45, 0.3])
            gong[:int(0.002 * sr)] += rng.standard_normal(int(0.002 * sr)) * 0.3
            out += signal.fftconvolve(train, gong)[:n]
        # the clapper's mechanical buzz under the bells
        t = np.arange(n) / sr
        buzz = _filt(rng.standard_normal(n), "bandpass", (300, 3000), sr) * \
            (np.sin(np.pi * strike_rate * t) ** 8) * (t < on) * 0.15
        return out + buzz * np.max(np.abs(out))

    def _trill(self, rng: np.random.Generator, on: float) -> np.ndarray:
        """Electronic ringer: two tones alternating at ~16-20 Hz."""
        sr = self.sr
        rate = rng.uniform(16, 20)
        f1 = rng.uniform(950, 1100)
        f2 = f1 * rng.uniform(1.2, 1.35)
        t = _t(sr, on)
        sel = (np.floor(t * rate * 2) % 2).astype(bool)
        h = np.array([1.0, 0.0, 0.3, 0.0, 0.12, 0.0, 0.05])
        freq = np.where(sel, f2, f1)
        x = _osc(sr, freq, h)
        return _fade(x, sr, 0.005, 0.01)

    def _ringtone(self, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """A marimba-like melody through a small loudspeaker, repeated."""
        sr = self.sr
        root = int(rng.integers(72, 80))
        scale = np.array([0, 2, 4, 7, 9, 12, 14, 16])
        step = 60 / rng.uniform(110, 130) / 2  # eighth notes
        count = int(rng.integers(6, 10))
        notes = [root + int(rng.choice(scale)) for _ in range(count)]
        rhythm = [1 if rng.random() < 0.7 else 2 for _ in range(count)]
        length = int((sum(rhythm) * step + 0.6) * sr)
        out = np.zeros(length)
        t0 = 0.0
        for note, r in zip(notes, rhythm):
            f = 440 * 2 ** ((note - 69) / 12)
            tone = _modes(sr, 0.6, [f, f * 3.93, f * 9.2], [0.22, 0.05, 0.015], [1, 0.25, 0.08])
            tone = _mix(tone, _burst(rng, sr, 0.01, 0.001, (2000, 8000)) * 0.1)
            o = int(t0 * sr)
            out[o:o + tone.size] += tone[:max(0, length - o)]
            t0 += r * step
        out = _filt(out, "highpass", 450, sr, 2)  # phone speaker
        period = sum(rhythm) * step + rng.uniform(0.4, 0.8)
        return out, period

    def _vibrate(self, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Vibration motor on a table: a buzz with rattle, two pulses then a pause."""
        sr = self.sr
        f = rng.uniform(140, 190)
        on = rng.uniform(0.5, 0.8)
        gap = rng.uniform(0.35, 0.55)
        t = _t(sr, on)
        wobble = f * (1 + 0.02 * np.sin(2 * np.pi * 7 * t))
        k = np.arange(1, 30)
        buzz = _osc(sr, wobble, 1.0 / k ** 1.3)
        rattle = _filt(rng.standard_normal(t.size), "bandpass", (800, 5000), sr) * \
            np.maximum(np.sin(2 * np.pi * f * t), 0) ** 6
        pulse = _fade(buzz + 0.6 * rattle, sr, 0.03, 0.04)
        pulse = _filt(pulse, "highpass", 90, sr, 1)
        out = np.zeros(int((2 * on + gap) * sr) + 10)
        out[:pulse.size] += pulse
        o = int((on + gap) * sr)
        out[o:o + pulse.size] += pulse
        return out, 2 * on + gap + rng.uniform(1.2, 1.8)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        first = max(0, (start - self.offset - self.event.size) // self.period)
        last = (start + n - self.offset) // self.period + 1
        for k in range(first, last + 1):
            _add(out, start, self.offset + k * self.period, self.event)
        return out


# --------------------------------------------------------------------------- horn

class Horn(_OneShot):
    name = "horn"
    keywords = ("horn", "horns", "honk", "honks", "honking", "car horn", "horn honk",
                "truck horn", "air horn", "beeping horn")
    default_level_db = 2.0
    description = "car horn honks (one or a few; 'long', 'honking', 'truck'); one-shot at 0.5 s or given times"
    option_words = {
        "honks": ("count", 3), "honking": ("count", 3), "several": ("count", 3), "repeatedly": ("count", 4),
        "impatient": ("count", 4), "angry": ("count", 4),
        "honk": ("count", 1), "single": ("count", 1), "once": ("count", 1), "twice": ("count", 2),
        "double": ("count", 2),
        # multi-word entries override single words ("honks twice" is two, not "honks")
        "honks twice": ("count", 2), "honk twice": ("count", 2), "honked twice": ("count", 2),
        "honking twice": ("count", 2), "two honks": ("count", 2), "three honks": ("count", 3),
        "honks once": ("count", 1), "honked once": ("count", 1),
        "long": ("length", "long"), "leaning": ("length", "long"), "blaring": ("length", "long"),
        "truck": ("kind", "truck"), "lorry": ("kind", "truck"), "bus": ("kind", "truck"),
        "air": ("kind", "truck"),
    }

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        opts = self.params.options
        truck = opts.get("kind") == "truck"
        count = int(opts.get("count", rng.choice([1, 1, 2, 3])))
        long_ = opts.get("length") == "long"
        if long_:
            durs = [rng.uniform(1.4, 2.4)] + [rng.uniform(0.3, 0.6) for _ in range(count - 1)]
        elif count == 1:
            durs = [rng.uniform(0.35, 0.7)]
        else:
            durs = [rng.uniform(0.12, 0.25) for _ in range(count - 1)] + [rng.uniform(0.3, 0.6)]
        f0 = rng.uniform(200, 280) if truck else rng.uniform(380, 460)
        ratios = [1.0, 1.25, 1.5] if truck else [1.0, rng.uniform(1.22, 1.28)]
        k = np.arange(1, 60)
        # rich buzzy diaphragm spectrum with a horn resonance around 2-3 kHz
        h_base = 1.0 / k ** (0.9 - 0.2 * i)
        parts, t0 = [], 0.0
        for d in durs:
            t = _t(sr, d)
            wob = 1 + 0.003 * np.sin(2 * np.pi * rng.uniform(25, 40) * t)
            droop = 1 - 0.015 * np.exp(-t / 0.03)  # pitch settles as the diaphragm starts
            x = np.zeros(t.size)
            for r in ratios:
                f = f0 * r
                h = h_base * (1 + 2.5 * np.exp(-((k * f - 2600) / 1300) ** 2))
                x += _osc(sr, f * wob * droop, h, rng.random())
            x = _fade(x, sr, 0.012, 0.04)
            parts.append((t0, x))
            t0 += d + rng.uniform(0.1, 0.18)
        length = max(int(o * sr) + p.size for o, p in parts)
        ev = np.zeros(length)
        for o, p in parts:
            ev[int(o * sr):int(o * sr) + p.size] += p
        ev = _filt(ev, "highpass", 150, sr, 2)
        return _norm(np.vstack([ev, ev]), 0.55 + 0.35 * i)
