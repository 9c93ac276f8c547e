"""Sci-fi interiors: the hum of a spaceship.

Film spaceships are built from machinery we know (Ben Burtt's Star Wars
ambiences: projector motors, refrigeration; Farnell, *Designing Sound*,
"sci-fi"): a deep engine drone of a few harmonics whose detuned pairs beat
slowly, life-support air (broadband noise dark above 1 kHz, its colour slowly
breathing), a mid electronic tone wavering with a slow LFO, and now and then a
soft servo or relay chirp. All of it is steady, so the bed loops and holds
its level; the events are drawn causally per block.

An engine room ("a spaceship engine room hum") is the plant itself rather than
a wash of air: a main drive's shaft harmonics, the electrical plant's
transformer hum, the air handler's whirr and a turbine's whine (``_EngineDeck``).
"""

from __future__ import annotations

import numpy as np

from ._amb import (ColoredNoise, Control, Oscillator, SplineUpsampler, Wander, factor_for, low_len, pink_sos,
                   sin_cycles, to_output)
from .base import EventBus, ModelParams, SoundModel, butter
from .hvac import HVAC, _cycle_table, _read


class SpaceshipHum(SoundModel):
    name = "spaceship_hum"
    steady_tones = True
    category = "ambience"
    keywords = ("spaceship", "space ship", "starship", "spacecraft", "space station", "spaceship hum",
                "engine room hum", "sci-fi ambience", "scifi ambience", "sci-fi hum", "bridge of a starship",
                "spaceship interior", "space station interior", "futuristic hum")
    description = ("spaceship interior: deep engine drone with slow beating, life-support air, wavering electronics; "
                   "the engine room: drive harmonics, transformer hum, air handler and turbine whine")
    outdoor = False
    #: "an engine room hum" is the ship's own plant, its ventilation included: not an office's
    #: air conditioning as well
    supersedes = ("hvac",)
    option_words = {"engine": ("deck", "engine"), "bridge": ("deck", "bridge"), "station": ("deck", "bridge")}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        engine = self.params.options.get("deck") == "engine"
        f0 = rng.uniform(38, 52) * (0.85 if engine else 1.0)
        # (frequency, amplitude): harmonic pairs detuned by a fraction of a hertz
        self.partials = []
        for h, a in ((1, 1.0), (2, 0.55), (3, 0.35), (4, 0.18), (6, 0.1)):
            beat = rng.uniform(0.15, 0.7)
            self.partials += [(f0 * h, a), (f0 * h + beat, a * 0.7)]
        self.oscs = [Oscillator(sr, rng.random()) for _ in self.partials]
        self.g_drone = 0.06 * (0.6 + 0.8 * i) * (1.5 if engine else 1.0)
        self.air = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("bandpass", (60, 1100), sr, 2)]), fade=256)
        self.g_air = 0.35 * (0.5 + 0.5 * i)
        self.tone_f = rng.uniform(180, 320)
        self.tone = Oscillator(sr, rng.random())
        self.ctl = Control(sr)
        self.breath = Wander(rng, 0.1, self.ctl.rate)
        self.waver = Wander(rng, 0.4, self.ctl.rate)
        self.bus = EventBus()
        self.chirp_rate = 0.08 + 0.12 * i
        self.next = int(rng.uniform(1, 8) * sr)
        # the engine deck is the plant itself (_EngineDeck); its life-support air is the plant's
        # air handler, not a wash of noise, and the drone joins the plant at its low rate,
        # under the drive's harmonics
        self.machinery = None
        if engine:
            drone = [(f, a * 0.2 * self.g_drone, osc.phase) for (f, a), osc in zip(self.partials, self.oscs)]
            self.machinery = _EngineDeck(sr, self.seed, rng, i, drone)

    def _chirp(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        dur = rng.uniform(0.15, 0.5)
        t = np.arange(int(dur * sr)) / sr
        f = rng.uniform(600, 1800) * np.exp2(rng.uniform(-1, 1) * t / dur)
        y = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.sin(np.pi * t / dur) ** 2 * 0.03
        th = rng.uniform(0.2, 1.35)
        return np.vstack([y * np.cos(th), y * np.sin(th)]) * np.sqrt(2)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        nc = self.ctl.length(n)
        x = np.arange(n)
        breath = self.breath(rng, nc)  # drawn on every deck: the random stream stays the same
        waver = np.interp(x, np.linspace(0, n, nc), self.waver(rng, nc))
        tone = sin_cycles(self.tone.phases(self.tone_f * (1 + 0.01 * (waver - 0.5)), n)) * \
            (0.015 * (0.5 + waver)).astype(np.float32)
        if self.machinery is None:
            breath = np.interp(x, np.linspace(0, n, nc), breath).astype(np.float32)
            out = self.air(rng, n, gain=self.g_air * (0.75 + 0.5 * breath))
            for (f, a), osc in zip(self.partials, self.oscs):
                out += np.float32(a * self.g_drone) * sin_cycles(osc.phases(f, n))
        else:
            out = self.machinery.render(rng, n, waver)
        out += tone
        buf = self.bus.begin(n)
        while self.next < n:
            self.bus.add(self.next, self._chirp(rng))
            self.next += int(sr * rng.exponential(1 / self.chirp_rate)) + 1
        self.next -= n
        return to_output(out + buf)


class _EngineDeck:
    """The machinery of an engine room, built as real plant is (Farnell, *Designing Sound*,
    "motors", "fans"): a main drive turning at a fixed rate whose shaft harmonics reach up a
    couple of kilohertz (a rotating machine's forces are short pulses per turn, so its
    harmonics fall slowly), twinned with a smaller second unit a fraction of a hertz off so the
    two beat gently; the electrical plant's transformer hum (twice the supply and its
    harmonics), which is what the room's "hum" is; the ventilation (the air-handling model:
    blade-pass whirr and duct air) under it; the ship's drone; and a turbine's faint whine.
    Nothing here is a wash of noise: an engine room is tonal and mechanical."""

    def __init__(self, sr: int, seed: int, rng: np.random.Generator, i: float,
                 drone: list[tuple[float, float, float]]) -> None:
        """``drone``: the ship's drone partials as (Hz, gain, starting phase in cycles)."""
        self.fac = factor_for(sr, 12000)
        lo = sr / self.fac
        self.f_drive = rng.uniform(30, 45)
        h = np.arange(1, int(0.4 * lo / self.f_drive) + 1)
        amps = h ** -0.9 * (h <= 60)
        self.drive = _cycle_table(amps, rng.random(len(h)))
        self.beat = rng.uniform(0.2, 0.6)
        self.osc_drive = (Oscillator(lo, rng.random()), Oscillator(lo, rng.random()))
        self.g_drive = 0.025 * (0.6 + 0.8 * i)
        self.mains = 60.0  # the ship's supply
        # the core's magnetostriction: twice the supply and its harmonics falling ~1/order
        em = np.array([0.06 if k % 2 else 0.6 * 2.0 / k for k in range(1, 17)])
        self.em = _cycle_table(em, rng.random(len(em)))
        self.osc_em = Oscillator(lo, rng.random())
        self.g_em = 0.15 * (0.6 + 0.8 * i)
        self.up = SplineUpsampler(self.fac, 2)
        self.vent = HVAC(sr, seed, int(rng.integers(1 << 30)) * 8 + 6,
                         ModelParams(intensity=0.4 + 0.4 * i, options={"kind": "hvac", "mains": self.mains}))
        self.g_vent = 0.3
        self.f_whine = rng.uniform(2500, 4000)
        self.osc_whine = Oscillator(sr, rng.random())
        self.g_whine = 0.004
        self.drone = [(f, g) for f, g, _ in drone]
        self.drone_osc = [Oscillator(lo, phase) for _, _, phase in drone]

    def render(self, rng: np.random.Generator, n: int, waver: np.ndarray) -> np.ndarray:
        n_lo = low_len(n, self.fac)
        a = _read(self.drive, self.osc_drive[0].phases(self.f_drive, n_lo))
        b = _read(self.drive, self.osc_drive[1].phases(self.f_drive + self.beat, n_lo))
        e = _read(self.em, self.osc_em.phases(self.mains, n_lo)) * np.float32(self.g_em)
        low = np.vstack([a + 0.3 * b, 0.3 * a + b]) * np.float32(self.g_drive) + e
        for (f, g), osc in zip(self.drone, self.drone_osc):
            low += np.float32(g) * sin_cycles(osc.phases(f, n_lo))
        out = self.up(low.astype(np.float32), n).astype(np.float32)
        out += self.vent.render_block(rng.spawn(1)[0], n).astype(np.float32) * np.float32(self.g_vent)
        whine = sin_cycles(self.osc_whine.phases(self.f_whine * (1 + 0.004 * (waver - 0.5)), n))
        out += whine * np.float32(self.g_whine)
        return out
