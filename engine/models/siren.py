"""Sirens: an emergency vehicle's electronic siren, wailing, yelping or two-tone.

An electronic siren drives a horn loudspeaker with a square-ish tone whose
pitch follows a pattern: the wail sweeps ~650-1500 Hz up and down over
seconds, the yelp does the same sweep several times a second, and the European
two-tone alternates two pitches a fourth apart (Farnell, *Designing Sound*,
"alarms and sirens"). The horn passes ~500 Hz-5 kHz. In the street the
vehicle drifts nearer and farther: a slow level and brightness wander and a
Doppler-like pitch drift of a few percent. The phase of the pattern is kept
across blocks; everything is computed at the output rate from a few sines.
"""

from __future__ import annotations

import numpy as np

from ._amb import Control, Oscillator, Wander, sin_cycles, to_output
from .base import SoundModel, StatefulFilter, butter, noise

_HARM = ((1, 1.0), (3, 0.42), (5, 0.22), (7, 0.13), (9, 0.08))  # square-ish: odd harmonics


class Siren(SoundModel):
    name = "siren"
    category = "ambience"
    keywords = ("siren", "sirens", "police siren", "ambulance", "ambulance siren", "fire engine", "fire truck",
                "emergency vehicle", "police car", "wailing siren", "sirens wailing", "nee naw")
    description = "an emergency siren in the street: US wail or yelp, or European two-tone ('ambulance in London')"
    outdoor = True
    option_words = {"yelp": ("style", "yelp"), "yelping": ("style", "yelp"), "police": ("style", "wail"),
                    "wail": ("style", "wail"), "wailing": ("style", "wail"),
                    "european": ("style", "hilo"), "uk": ("style", "hilo"), "british": ("style", "hilo"),
                    "london": ("style", "hilo"), "paris": ("style", "hilo"), "french": ("style", "hilo"),
                    "german": ("style", "hilo"), "two-tone": ("style", "hilo"), "nee": ("style", "hilo")}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        self.style = self.params.options.get("style", "wail")
        if self.style == "yelp":
            self.cycle, self.lo, self.hi = rng.uniform(0.28, 0.36), 700.0, 1550.0
        elif self.style == "hilo":
            self.cycle, self.lo, self.hi = rng.uniform(1.1, 1.4), rng.uniform(430, 470), 0.0
            self.hi = self.lo * 2 ** (5 / 12)
        else:
            self.cycle, self.lo, self.hi = rng.uniform(4.2, 5.6), 650.0, rng.uniform(1350, 1550)
        self.pat = rng.random()  # phase in the pattern's cycle
        self.osc = Oscillator(sr, rng.random())
        self.ctl = Control(sr)
        self.near = Wander(rng, 0.08, self.ctl.rate)
        self.horn = StatefulFilter(np.vstack([butter("bandpass", (480, 5000), sr, 2)]), channels=1)
        self.air = StatefulFilter(butter("lowpass", 6000, sr, 1), channels=2)
        i = float(np.clip(self.params.intensity, 0, 1))
        self.gain = 0.3 * (0.45 + 0.9 * i)  # a louder siren is a nearer one

    def _pitch(self, ph: np.ndarray) -> np.ndarray:
        frac = ph % 1.0
        if self.style == "hilo":
            return np.where(frac < 0.5, self.hi, self.lo)
        if self.style == "yelp":
            return self.lo + (self.hi - self.lo) * np.sin(np.pi * frac) ** 0.8
        # wail: slower rise (the motor spin-up of the old mechanical sirens), quicker fall
        up = np.clip(frac / 0.6, 0, 1)
        down = np.clip((1 - frac) / 0.4, 0, 1)
        return self.lo + (self.hi - self.lo) * np.sin(np.pi / 2 * np.minimum(up, down)) ** 1.5

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        ph = self.pat + np.arange(n) / (self.cycle * sr)
        self.pat = float(ph[-1] + 1 / (self.cycle * sr)) % 1.0
        near = self.near(rng, self.ctl.length(n))
        drift = np.interp(np.arange(n), np.linspace(0, n, near.size), near)
        f = self._pitch(ph) * (1 + 0.03 * (drift - 0.5))
        if self.style == "hilo":  # smooth the tone switch over ~5 ms
            k = int(0.005 * sr)
            f = np.convolve(np.concatenate([np.full(k, f[0]), f]), np.ones(k) / k, "valid")[:n]
        p = self.osc.phases(f, n)
        tone = np.zeros(n, dtype=np.float32)
        for h, a in _HARM:
            tone += np.float32(a) * sin_cycles(p * h)
        y = self.horn(tone[None, :])[0]
        g = self.gain * 10 ** ((drift - 0.5) * 6 / 20)
        out = np.vstack([y * g, y * g * 0.9]) + 0.002 * noise(rng, 2, n)
        return to_output(self.air(out))
