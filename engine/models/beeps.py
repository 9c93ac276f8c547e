"""Beeps: hospital monitors, lab electronics and alarm patterns, level-stable across seeds."""

from __future__ import annotations

import numpy as np

from ._sfxkit import _TABLE, _add, _fade, _osc, _t, grid_events
from .base import BLOCK, SoundModel, StatefulFilter, Timeline, butter, noise, pan_gains


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


_BEEP_LOUDNESS = -15.0  # LUFS (one channel) of the beeping pattern at level 1
_LAB_BEEP_POWER = 10 ** (-25.8 / 10)  # weighted mean square of a lab's patterned beeps at level 1
_CHIRP_POWER = 10 ** (-20.0 / 10)  # weighted energy per second of a lab's instruments' status pips


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
    steady_tones = True  # fixed pitches: each meets the room at its own frequency
    category = "sfx"
    keywords = ("beep", "beeps", "beeping", "monitor", "heart monitor", "hospital monitor",
                "ecg", "ekg", "lab", "laboratory", "electronics",
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
        # the instruments' own status pips: lab and medical electronics signal with a piezo or a
        # small transducer driven by a steady tone (1-3 kHz, where the ear is most sensitive), short
        # (50-200 ms) and flat in pitch, and they do it on a clock: an infusion pump, a timer, a
        # monitor repeat their one or two pips every second or few, as steady as their crystal.
        # Each instrument has its own pitch and period. (Swept chirps at random moments are birds
        # and turkeys, not machines.)
        count = int(rng.integers(1, 3))  # one or two instruments at a time (and the patterned beeps)
        pitches = rng.choice([1000.0, 1200.0, 1500.0, 1800.0, 2000.0, 2400.0, 2800.0, 3000.0], count,
                             replace=False)
        self.chirps, self.chirp_period, self.chirp_phase = [], [], []
        for f in pitches:
            pip = rng.uniform(0.05, 0.2)
            # driven from a microcontroller's pin: a square wave, its odd harmonics passed by a
            # magnetic transducer, or shaped by a piezo disc's own resonance
            b = _beep(sr, float(f), pip, "piezo" if rng.random() < 0.5 else "square", 0.004)
            pips = int(rng.integers(1, 3))
            gap = int((pip + rng.uniform(0.06, 0.12)) * sr)
            seq = np.zeros(gap * (pips - 1) + b.size)
            for k in range(pips):
                seq[k * gap:k * gap + b.size] += b
            self.chirps.append(seq * 0.25)
            period = rng.uniform(1.0, 3.0) * (1.25 - 0.5 * i)
            self.chirp_period.append(period * sr)
            self.chirp_phase.append(int(rng.uniform(0.1, 1.0) * period * sr))
        # their pitches, lengths and periods set how loud they are: bring the energy per second
        # of all of them together (what the meter hears) to a fixed value
        power = sum(np.sum(_weighted_square(c, sr)) / p for c, p in zip(self.chirps, self.chirp_period))
        self.chirps = [c * np.sqrt(_CHIRP_POWER / power) for c in self.chirps]
        # each instrument stands somewhere on the bench and stays there
        self.chirp_pan = [pan_gains(x) for x in rng.uniform(-0.6, 0.6, count)]
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
            for c, period, phase, pan in zip(self.chirps, self.chirp_period, self.chirp_phase, self.chirp_pan):
                for _, onset in grid_events(start - phase, n, period, c.size):
                    _add(out, start, onset + phase, c, self.level * pan)
            a = start % self.sr
            if n <= BLOCK:
                hum = self.hum[a:a + n]
            else:
                hum = np.resize(np.roll(self.hum[:self.sr], -a), n)
            fan = self.fan(noise(rng, 1, n))[0] * self.fan_gain
            out += hum + fan
        return out
