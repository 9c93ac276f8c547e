"""Running water: a brook's bubbling and gurgling over a broadband wash, up to
a river's roar or a waterfall.

The bubbles are individual Minnaert resonances: a bubble of radius r rings
near 3.1 kHz/r(mm), decays in a few milliseconds and rises in pitch as it
nears the surface. Hundreds per second, each with its own pitch, are built
as one array per block and scattered into the output (:class:`GrainBus`) at
~12 kHz, with a density that gurgles irregularly. The wash is pre-filtered
noise; a river adds a low roar.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._amb import (ColoredNoise, Control, GrainBus, SplineUpsampler, Upsampler, Wander, factor_for, low_len,
                   pan_pair, peak_sos, sin_cycles, to_output)
from .base import SoundModel, butter

# size -> (bubbles per second at intensity 0 and 1, radius range mm, wash level, low roar level, gurgle depth)
_SIZES = {
    "brook": ((70, 330), (0.9, 5.5), 0.35, 0.08, 0.8),
    "river": ((180, 520), (1.2, 8.0), 0.8, 0.6, 0.55),
    "falls": ((250, 600), (1.0, 6.0), 1.4, 1.0, 0.3),
}


class Stream(SoundModel):
    name = "stream"
    category = "ambience"
    keywords = ("stream", "brook", "creek", "river", "babbling brook", "running water", "flowing water",
                "trickling water", "trickle", "rapids", "waterfall", "water flowing", "rill",
                "fountain", "stream water", "river water", "gurgling")
    description = "running water: a brook's bubbles and gurgles over a wash; river and waterfall roar more"
    outdoor = True
    option_words = {
        "brook": ("size", "brook"), "creek": ("size", "brook"), "trickle": ("size", "brook"),
        "trickling": ("size", "brook"), "babbling": ("size", "brook"), "stream": ("size", "brook"),
        "fountain": ("size", "brook"), "small": ("size", "brook"),
        "river": ("size", "river"), "rapids": ("size", "river"), "rushing": ("size", "river"),
        "waterfall": ("size", "falls"), "falls": ("size", "falls"), "cascade": ("size", "falls"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        size = self.params.options.get("size", "brook")
        if size not in _SIZES:
            size = "brook"
        (r0, r1), self.radius, wash, roar, depth = _SIZES[size]
        self.rate = r0 + (r1 - r0) * i
        self.depth = depth
        self.fac = factor_for(sr, 12000)
        self.lo_sr = lo = sr / self.fac
        self.glen = int(0.03 * lo)
        self.grains = GrainBus(self.glen, dtype=np.float32)
        self.t_grain = (np.arange(self.glen) / lo).astype(np.float32)[None, :]
        ramp = np.arange(self.glen) / self.glen
        fade = np.minimum(ramp * self.glen / 3.0, 1.0) * np.minimum((1 - ramp) / 0.25, 1.0)
        self.fade_grain = fade.astype(np.float32)[None, :]
        self.ctl = Control(sr)
        self.gurgle = Wander(rng, 6.0, self.ctl.rate, smooth=0.7)
        self.surge = Wander(rng, 0.3, self.ctl.rate)
        self.wash = ColoredNoise(sr, np.vstack([butter("highpass", 350, sr, 2), peak_sos(2500, 4.0, 0.8, sr),
                                                butter("lowpass", 9000 + 3000 * round(i * 4) / 4, sr, 1)]))
        self.g_wash = 0.032 * wash * (0.5 + 0.5 * i)
        self.roar = ColoredNoise(int(lo), np.vstack([butter("bandpass", (70, 900), lo, 1),
                                                     peak_sos(300, 3.0, 0.7, lo)]), fade=256)
        self.g_roar = 0.03 * roar * (0.5 + 0.5 * i)
        self.g_bub = 0.09 * (0.6 + 0.4 * i) / np.sqrt(self.rate / 200)
        self.up = SplineUpsampler(self.fac, 2)
        self.wash_up = self.ctl.upsampler(1)
        self.roar_up = Upsampler(self.ctl.factor // self.fac, 1)
        self.mix = np.array([[1.0, 0.3], [0.3, 1.0]], dtype=np.float32)

    def _bubbles(self, rng: np.random.Generator, out: np.ndarray, density: np.ndarray, scale: float) -> None:
        """Add this block's bubbles (times ``scale``) to ``out`` (2, n_l)."""
        lo = self.lo_sr
        n_l = out.shape[1]
        count = rng.poisson(self.rate * n_l / lo)
        onsets = rng.integers(0, n_l, count)
        # thinning by the gurgle: bubbles come in irregular bursts
        keep = rng.random(count) < density[onsets * len(density) // n_l]
        onsets = onsets[keep]
        g = onsets.size
        if g == 0:
            self.grains.add_into(out, onsets, np.zeros((0, 1), dtype=np.float32), np.zeros((2, 0)))
            return
        lo_r, hi_r = self.radius
        radius = lo_r * (hi_r / lo_r) ** (rng.random(g) ** 1.7)  # mostly small bubbles
        f0 = np.minimum(3100.0 / radius, 0.42 * lo)
        tau = np.clip(0.011 * (1000.0 / f0) ** 0.8, 0.0018, 0.03)
        rise = rng.uniform(0.15, 0.9, g) / tau * 0.5  # relative pitch rise per second
        f32 = np.float32
        t = self.t_grain
        ph = f0.astype(f32)[:, None] * (t + (0.5 * rise).astype(f32)[:, None] * (t * t))
        ph += rng.random((g, 1), dtype=f32)
        amp = (radius / hi_r) ** 0.6 * rng.uniform(0.25, 1.0, g) ** 2
        env = np.exp(t * (-1.0 / tau).astype(f32)[:, None])
        env *= self.fade_grain
        env *= amp.astype(f32)[:, None]
        grains = sin_cycles(ph) * env
        gl, gr = pan_pair(rng.uniform(-0.85, 0.85, g))
        self.grains.add_into(out, onsets, grains, np.vstack([gl, gr]), scale)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        n_c = self.ctl.length(n)
        f32 = np.float32
        gur = self.gurgle(rng, n_c)
        sur = self.surge(rng, n_c)
        density = np.clip(1 - self.depth + self.depth * 1.6 * (gur - 0.2), 0.02, 1.0)
        low = np.zeros((2, n_l), dtype=f32)
        self._bubbles(rng, low, density, self.g_bub)
        level = 0.85 + 0.3 * sur
        low += self.mix @ self.roar(rng, n_l, gain=self.roar_up((level * self.g_roar).astype(f32)[None], n_l))
        out = self.up(low, n)
        out += self.wash(rng, n, gain=self.wash_up(((0.9 + 0.2 * gur) * level * self.g_wash).astype(f32)[None], n))
        return to_output(out)


class River(Stream):
    name = "river"
    category = "ambience"
    keywords = ("river", "rushing river", "river flowing", "flowing river", "rapids", "river rapids",
                "riverbank", "river bank", "mountain river", "white water", "whitewater")
    description = "river: a rushing flow, deeper roar under a dense bed of gurgles and bubbles"
    outdoor = True
    option_words = {}
    supersedes = ("stream",)

    def setup(self, rng: np.random.Generator) -> None:
        self.params = replace(self.params, options={**self.params.options, "size": "river"})
        super().setup(rng)


class Waterfall(Stream):
    name = "waterfall"
    category = "ambience"
    keywords = ("waterfall", "waterfalls", "falls", "cascade", "cascading water", "plunge pool",
                "water falling", "falling water", "weir")
    description = "waterfall: a broad, steady roar of falling water with a thundering low end, bubbles lost in it"
    outdoor = True
    option_words = {}
    supersedes = ("stream", "river")

    def setup(self, rng: np.random.Generator) -> None:
        self.params = replace(self.params, options={**self.params.options, "size": "falls"})
        super().setup(rng)
