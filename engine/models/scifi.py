"""Sci-fi interiors: the hum of a spaceship.

Film spaceships are built from machinery we know (Ben Burtt's Star Wars
ambiences: projector motors, refrigeration; Farnell, *Designing Sound*,
"sci-fi"): a deep engine drone of a few harmonics whose detuned pairs beat
slowly, life-support air (broadband noise dark above 1 kHz, its colour slowly
breathing), a mid electronic tone wavering with a slow LFO, and now and then a
soft servo or relay chirp. All of it is steady, so the bed loops and holds
its level; the events are drawn causally per block.
"""

from __future__ import annotations

import numpy as np

from ._amb import ColoredNoise, Control, Oscillator, Wander, pink_sos, sin_cycles, to_output
from .base import EventBus, SoundModel, butter


class SpaceshipHum(SoundModel):
    name = "spaceship_hum"
    steady_tones = True
    category = "ambience"
    keywords = ("spaceship", "space ship", "starship", "spacecraft", "space station", "spaceship hum",
                "engine room hum", "sci-fi ambience", "scifi ambience", "sci-fi hum", "bridge of a starship",
                "spaceship interior", "space station interior", "futuristic hum")
    description = "spaceship interior: deep engine drone with slow beating, life-support air, wavering electronics"
    outdoor = False
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
        breath = np.interp(x, np.linspace(0, n, nc), self.breath(rng, nc)).astype(np.float32)
        waver = np.interp(x, np.linspace(0, n, nc), self.waver(rng, nc))
        drone = np.zeros(n, dtype=np.float32)
        for (f, a), osc in zip(self.partials, self.oscs):
            drone += np.float32(a) * sin_cycles(osc.phases(f, n))
        tone = sin_cycles(self.tone.phases(self.tone_f * (1 + 0.01 * (waver - 0.5)), n)) * \
            (0.015 * (0.5 + waver)).astype(np.float32)
        out = self.air(rng, n, gain=self.g_air * (0.75 + 0.5 * breath))
        out += drone * np.float32(self.g_drone) + tone
        buf = self.bus.begin(n)
        while self.next < n:
            self.bus.add(self.next, self._chirp(rng))
            self.next += int(sr * rng.exponential(1 / self.chirp_rate)) + 1
        self.next -= n
        return to_output(out + buf)
