"""Insects: crickets chirping in a steady rhythm, or cicadas buzzing in swells.

Crickets of one species at one temperature chirp at nearly the same rate:
each chirp is a few pulses (~30 per second) of an almost pure tone near
4-5 kHz. Cicadas are a buzz of fast tymbal clicks on a noisy 4-7 kHz band that
swells in and out over seconds. Everything is built as a complex baseband
signal around the species' carrier at ~3 kHz sample rate (cheap, whatever the
number of insects), brought up by a cubic spline and shifted to the carrier
with one float32 oscillator.
"""

from __future__ import annotations

import numpy as np

from ._amb import Oscillator, SplineUpsampler, Wander, factor_for, low_len, pan_pair, sin_cycles, soft_limit
from .base import BLOCK, SoundModel, StatefulFilter, butter, noise

_PERIOD = 4096  # samples after which the carrier repeats (its pitch resolution is sr / _PERIOD)


class Insects(SoundModel):
    name = "insects"
    category = "ambience"
    keywords = ("insects", "insect", "crickets", "cricket", "cicadas", "cicada", "chirping crickets",
                "grasshoppers", "katydids", "night insects", "summer night", "bugs", "crickets chirping")
    description = "insects: crickets chirping in a steady rhythm near 4-5 kHz; cicadas buzz in swells"
    outdoor = True
    # "insects buzzing" is the insects' own buzz (a cicada's tymbals), not a transformer's hum
    supersedes = ("electrical_buzz",)
    option_words = {
        "cicada": ("kind", "cicada"), "cicadas": ("kind", "cicada"), "buzzing": ("kind", "cicada"),
        "crickets": ("kind", "cricket"), "cricket": ("kind", "cricket"), "night": ("kind", "cricket"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        self.kind = "cicada" if self.params.options.get("kind") == "cicada" else "cricket"
        self.fac = factor_for(sr, 3000)
        self.lo_sr = lo = sr / self.fac
        carrier = rng.uniform(4300, 4900) if self.kind == "cricket" else rng.uniform(5000, 6200)
        # the carrier repeats exactly every _PERIOD samples: read it from a table
        cycles = max(1, round(carrier * _PERIOD / sr))
        self.carrier = cycles * sr / _PERIOD
        ph = cycles * np.arange(_PERIOD + BLOCK) / _PERIOD
        self.cos_tab = np.cos(2 * np.pi * ph)
        self.sin_tab = np.sin(2 * np.pi * ph)
        self.full_pos = 0
        self.up = SplineUpsampler(self.fac, 4)  # left re/im, right re/im
        self.pos = 0  # low-rate samples rendered
        if self.kind == "cricket":
            count = int(round(2 + 7 * i))
            rate = rng.uniform(1.8, 3.0)  # chirps per second, shared by the species
            self.chirp_rate = rate * rng.uniform(0.96, 1.04, count)
            self.pulse_rate = rng.uniform(26, 34) * rng.uniform(0.97, 1.03, count)
            self.pulses = rng.integers(3, 6, count)
            self.chirp_ph = rng.random(count)
            self.offset = rng.uniform(-300, 300, count)  # each one's pitch around the carrier
            dist = rng.random(count) ** 0.7
            dist[0] = min(dist[0], 0.2)  # one cricket close by
            self.amp = (1 - 0.8 * dist) * rng.uniform(0.7, 1.0, count)
            self.pan = rng.uniform(-0.9, 0.9, count)
            self.phase = rng.random(count)
            # a faint chorus of many far crickets: narrow noise, shimmering at the pulse rate
            self.chorus_f = StatefulFilter(butter("lowpass", 120, lo, 2), channels=4)
            self.g_chorus = 0.12 * (0.3 + 0.7 * i)
            self.level = 0.18 * (0.5 + 0.5 * i) / np.sqrt(max(1.0, np.sum(self.amp ** 2)))
        else:
            count = int(round(1 + 3 * i))
            self.count = count
            self.click_rate = rng.uniform(110, 220, count)
            self.pan = rng.uniform(-0.8, 0.8, count)
            self.amp = rng.uniform(0.5, 1.0, count)
            self.amp[0] = 1.0
            self.swell = [Wander(rng, 0.12, lo / 16) for _ in range(count)]
            self.swell_up = [SplineUpsampler(16, 1) for _ in range(count)]
            self.band = StatefulFilter(butter("lowpass", 700, lo, 2), channels=2 * count)
            self.click_osc = [Oscillator(lo, rng.random()) for _ in range(count)]
            self.level = 0.1 * (0.5 + 0.5 * i) / np.sqrt(count)

    def _crickets(self, rng: np.random.Generator, n_l: int) -> np.ndarray:
        lo = self.lo_sr
        t = (self.pos + np.arange(n_l)) / lo  # seconds
        # chirp clocks (rows: crickets)
        ph = self.chirp_ph[:, None] + self.chirp_rate[:, None] * t
        tau = (ph - np.floor(ph)) / self.chirp_rate[:, None]  # seconds into the chirp
        q = tau * self.pulse_rate[:, None]
        k = np.floor(q)
        frac = q - k
        duty = 0.62
        pulse = sin_cycles(np.minimum(frac * (0.5 / duty), 0.5))
        pulse *= pulse
        pulse *= k < self.pulses[:, None]
        # pulses within a chirp fade in a little; chirps vary a little in strength
        pulse *= 0.8 + 0.2 * np.minimum(k / 2.0, 1.0)
        chirp_no = np.floor(ph)
        pulse *= 0.88 + 0.12 * sin_cycles(chirp_no * 0.61803 + np.arange(len(ph))[:, None] * 0.2718)
        env = pulse * (self.amp[:, None] * self.level)
        # each cricket's pitch offset from the carrier, falling slightly through each pulse
        rot = self.phase[:, None] + self.offset[:, None] * t - 6.0 * frac / self.pulse_rate[:, None]
        re = env * sin_cycles(rot + 0.25)
        im = env * sin_cycles(rot)
        gl, gr = pan_pair(self.pan)
        base = np.vstack([gl @ re, gl @ im, gr @ re, gr @ im])
        # the far chorus: narrowband noise with a loose pulse-rate shimmer
        chorus = self.chorus_f(noise(rng, 4, n_l)) * (self.g_chorus * 9.0 * self.level)
        shimmer = 0.6 + 0.4 * sin_cycles(np.mean(self.pulse_rate) * t * 0.98)
        base += chorus * shimmer
        return base

    def _cicadas(self, rng: np.random.Generator, n_l: int) -> np.ndarray:
        lo = self.lo_sr
        band = self.band(noise(rng, 2 * self.count, n_l)) * 4.0
        base = np.zeros((4, n_l))
        for c in range(self.count):
            sw = self.swell_up[c](self.swell[c](rng, low_len(n_l, 16))[None], n_l)[0]
            swell = np.clip(0.3 + sw * 1.1, 0, 1) ** 1.5  # rises and falls, rarely stops
            clicks = sin_cycles(self.click_osc[c].phases(self.click_rate[c], n_l))
            am = (0.5 + 0.5 * clicks) ** 3  # sharp tymbal pulses
            env = swell * am * (self.amp[c] * self.level)
            gl, gr = pan_pair(self.pan[c])
            re, im = band[2 * c] * env, band[2 * c + 1] * env
            base[0] += gl * re
            base[1] += gl * im
            base[2] += gr * re
            base[3] += gr * im
        return base

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        base = self._crickets(rng, n_l) if self.kind == "cricket" else self._cicadas(rng, n_l)
        self.pos += n_l
        up = self.up(base, n)
        k = self.full_pos
        cos, sin = self.cos_tab[k:k + n], self.sin_tab[k:k + n]
        self.full_pos = (k + n) % _PERIOD
        out = up[0::2] * cos
        out -= up[1::2] * sin
        return soft_limit(out)
