"""Footsteps: heel-toe steps at a walking or running cadence on concrete, wood, gravel or grass.

A footfall is two impacts: the heel strikes, then the foot rolls and the ball
and toe come down 80-150 ms later (30-50 ms running), with a scuff of the sole
between. Under each impact the body's weight lands as a dull thump below
200 Hz; over it the surface speaks (Farnell, *Designing Sound*, "footsteps"):
a wooden floor is a panel whose dozens of damped board modes ring for tens of
milliseconds, with the odd creak of a board rubbing on its nail (stick-slip);
gravel is no single transient but a crunch of many tiny stone-on-stone clicks
whose density swells as the weight settles, heel then toe, 150-300 ms in all.
Walking is 1.8-2.1 steps a second with a few percent of jitter.
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _TABLE, _add, _burst, _fade, _filt, _grains, _mix, _modes, _norm, _norm_energy, _reson, _swell, _t
from .base import SoundModel, Timeline, pan_gains


# --------------------------------------------------------------------------- footsteps

#: a wooden floor's modal density: a plate's is constant, n = S/2 * sqrt(rho h / D) modes per Hz;
#: 12 m2 of 22 mm boards (E 10 GPa, 500 kg/m3): about 0.2
FLOOR_MODES_PER_HZ = 0.2

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


def _thump(rng: np.random.Generator, sr: int, weight: float, rise: float = 0.002) -> np.ndarray:
    """The body's weight landing through the leg and shoe: a dull, heavily damped low bump.
    ``rise``: how fast the surface takes the weight (a hard floor at once, gravel gives way)."""
    t = _t(sr, 0.08 + rise)
    env = np.exp(-np.maximum(t - rise, 0) / 0.015) * np.clip(t / rise, 0, 1) ** 2
    return weight * _norm(_filt(rng.standard_normal(t.size) * env, "lowpass", 180, sr, 2), 1.0)


def _floor(rng: np.random.Generator, sr: int, dur: float, band: tuple[float, float], tau: tuple[float, float],
           tilt: float) -> np.ndarray:
    """A wooden floor struck at one point: a large plate, whose modes are evenly spread in
    frequency (``FLOOR_MODES_PER_HZ``, several hundred in ``band``), not log-uniform as a door
    panel's or a wood block's few dozen. Damped in ``tau`` (higher modes sooner), hundreds of
    them overlap, and the floor answers with a dull thud instead of a set of pitches. Each mode
    is quieter by ``f ** -0.5`` than a log-uniform panel's (there are that many more of them up
    high), so the spectrum's envelope is the same as the panel's, ``f ** -tilt``.

    The modes (all under ``band[1]``) are summed at 2.5 times the top mode's frequency (see
    ``_mode_sum``) and brought up to ``sr`` through the spectrum."""
    lo, hi = band
    count = int(FLOOR_MODES_PER_HZ * (hi - lo))
    freqs = rng.uniform(lo, hi, count)
    taus = rng.uniform(*tau, count) * (lo / freqs) ** 0.3   # higher modes die sooner
    amps = rng.uniform(0.5, 1.0, count) * (lo / freqs) ** (tilt + 0.5)
    amps = amps * rng.choice([-1, 1], count)
    down = max(1, int(sr // (2.5 * hi)))
    low = _mode_sum(sr / down, _t(sr / down, dur).size, freqs, taus, amps)
    n = _t(sr, dur).size
    return np.fft.irfft(np.fft.rfft(low), n) * (n / low.size)


def _mode_sum(rate: float, n: int, freqs: np.ndarray, taus: np.ndarray, amps: np.ndarray,
              hop: int = 64) -> np.ndarray:
    """Sum of decaying sines a * exp(-t / tau) * sin(2 pi f t), t = 0 .. n - 1 samples at ``rate``,
    for hundreds of modes at once: each mode is a complex exponential z ** j, so the signal in
    every stretch of ``hop`` samples is one matrix product (the modes' state at the stretch's
    start times their next ``hop`` powers). A mode at a time would cost ~10x as much."""
    s = (-1.0 / taus + 2j * np.pi * freqs) / rate                    # log z per mode
    steps = np.exp(np.outer(s, np.arange(hop)))                       # (modes, hop)
    starts = amps * np.exp(np.outer(hop * np.arange(-(-n // hop)), s))  # (stretches, modes)
    return (starts @ steps).imag.reshape(-1)[:n]


def _soft_contact(x: np.ndarray, sr: int, contact: float) -> np.ndarray:
    """A sole is not a hammer: it presses for a few ms, which rolls off the highest modes."""
    m = max(2, int(contact * sr))
    press = np.sin(np.pi * np.arange(m) / m)
    return np.convolve(x, press / press.sum())[:x.size]


def _crunch(rng: np.random.Generator, sr: int, dur: float, clicks: float, band, settle: float) -> np.ndarray:
    """Stones pressed together: many tiny clicks whose rate swells as the weight comes down
    (peak at ``settle`` s) and then thins out; each click a small stone's short ring."""
    t = _t(sr, dur)
    rate = (t / settle) * np.exp(1 - t / settle)           # 0 -> 1 at ``settle`` -> decaying
    count = max(1, rng.poisson(clicks * dur * rate.mean()))
    pos = np.sort(rng.choice(t.size, count, p=rate / rate.sum()))
    train = np.zeros(t.size)
    np.add.at(train, pos, rng.uniform(-1, 1, count) * rng.pareto(3.0, count).clip(0, 4))
    # small stones ring high and briefly, bigger ones lower: a few resonances, low Q
    out = np.zeros(t.size)
    for centre, q, g in ((band[0] * 1.5, 2.0, 0.6), (np.sqrt(band[0] * band[1]), 2.5, 1.0), (band[1] * 0.6, 3.0, 0.7)):
        out += g * _reson(train, centre * rng.uniform(0.85, 1.15), q, sr)
    return _filt(out, "bandpass", band, sr)


def _board_creak(rng: np.random.Generator, sr: int, dur: float) -> np.ndarray:
    """A floorboard rubbing on its nail: stick-slip pulses at a wandering rate through board modes."""
    t = _t(sr, dur)
    rate = rng.uniform(60, 140) * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.random() * 6))
    phase = np.cumsum(rate) / sr
    pulses = np.zeros(t.size)
    idx = np.nonzero(np.diff(np.floor(phase)) > 0)[0] + 1
    pulses[idx] = rng.uniform(0.4, 1.0, idx.size)
    base = rng.uniform(350, 650)
    x = sum(a * _reson(pulses, base * r, 10, sr) for r, a in ((1.0, 1.0), (2.1, 0.5), (3.3, 0.3)))
    # (clipped: sin(pi * t / t[-1]) can round to -1e-16 near the end, and a negative
    # number to the power 0.8 is NaN, which made the FLAC writer fail)
    return x * np.maximum(np.sin(np.pi * t / t[-1]), 0.0) ** 0.8


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
    _VARIANTS = 16

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
        self.jitter = rng.normal(0, 0.02, _TABLE).clip(-0.05, 0.05) * self.period
        self.gain = rng.uniform(0.6, 1.0, _TABLE) * (0.45 + 0.55 * i)
        pick = rng.integers(0, self._VARIANTS - 1, _TABLE)
        self.pick = (np.arange(_TABLE) % 2 * (self._VARIANTS // 2) + pick % (self._VARIANTS // 2))
        self.pans = [pan_gains(-0.06), pan_gains(0.06)]
        # the walker moves about the room: crossing it and back every 10-20 steps, nearer (louder,
        # drier) then further; a pure function of the step index, so any block renders alone
        self.roam_steps = rng.uniform(10, 20)
        self.roam_phase = rng.uniform(0, 2 * np.pi)

    # one footfall: heel strike then toe (or for heels: sole then heel click)
    def _step(self, rng: np.random.Generator, i: float) -> np.ndarray:
        sr = self.sr
        run = self.gait == "run"
        heavy = 0.7 + 0.6 * i + (0.3 if run or self.style == "boots" else 0.0)
        crisp = 0.6 + 0.8 * i  # harder steps have brighter impacts
        soft = self.style == "soft"
        gap = rng.uniform(0.03, 0.05) if run else rng.uniform(0.08, 0.13)
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
            # one floor of a few boards: each step lands on one of them (their modes damped fast,
            # and so many that they overlap: a thud, not the pitches of a door panel or a wood block)
            boards = self.__dict__.setdefault("_boards", [])
            if len(boards) < 4:
                boards.append(_floor(rng, sr, 0.2, (90, 3000), (0.008, 0.025), tilt=0.15))
            floor = boards[int(rng.integers(len(boards)))]
            heel_floor = _soft_contact(floor, sr, rng.uniform(0.0003, 0.0006) if not soft else 0.0015)
            heel = _mix(_thump(rng, sr, 0.3 * heavy), _norm(heel_floor, 0.7 * heavy))
            if self.style == "boots":  # a hard leather heel's edge cracks on the boards; a
                # street shoe's rubber heel pad does not: its "clock" is the boards' own modes
                heel = _mix(heel, _burst(rng, sr, 0.03, 0.002, (1500, 7000)) * 0.4 * crisp)
            toe = _mix(_thump(rng, sr, 0.12 * heavy), _norm(_soft_contact(floor, sr, 0.0015), 0.35))
            toe = _mix(toe, _swell(rng, sr, rng.uniform(0.04, 0.08), (1500, 7000), 0.015) * 0.08)  # sole scuff
            if rng.random() < 0.3:  # the odd board creaking as the weight rolls over it
                creak = _norm(_board_creak(rng, sr, rng.uniform(0.12, 0.25)), 0.12)
                toe = _mix(toe, creak)
            first, second = heel, toe
        elif s == "gravel":
            # the weight pressing the stones together: a low "crump" as the bed gives way
            heel = _mix(_thump(rng, sr, 0.2 * heavy, rise=0.02),
                        _norm(_crunch(rng, sr, rng.uniform(0.16, 0.24), 5000 * heavy, (300, 6000), 0.05), 0.6 * crisp))
            toe = _norm(_crunch(rng, sr, rng.uniform(0.12, 0.18), 4000, (400, 7000), 0.04), 0.45)
            toe = _mix(toe, _thump(rng, sr, 0.08 * heavy, rise=0.02))
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
        if s in ("wood", "concrete") and self.style != "heels":
            # the sole slides a little as the foot rolls from heel to toe: a scuff between the two
            scuff = _swell(rng, sr, gap + 0.05, (1200, 8000), 0.6 * gap)
            scuff = _norm(scuff, np.max(np.abs(first)) * rng.uniform(0.08, 0.2) * (0.5 if soft else 1.0))
            out[int(0.01 * sr):int(0.01 * sr) + scuff.size] += scuff[:out.size - int(0.01 * sr)]
        return _fade(_norm_energy(out, sr, 0.12), sr, 0.0005, 0.01)  # takes of equal loudness

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
            near = 10 ** (-4.5 * (1 - np.cos(2 * np.pi * k / self.roam_steps + self.roam_phase)) / 20)  # 0 to -9 dB
            _add(out, start, onset, self.variants[self.pick[j]], self.gain[j] * near * self.pans[k % 2])
        return out
