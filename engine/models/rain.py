"""Rain: a dense bed of filtered noise plus individual drop impacts whose colour
depends on the surface (tin roof rings, leaves patter, pavement hisses, glass ticks).

Three layers: the hiss of countless distant drops (pre-filtered noise, read
from a table), a dense patter of nearby drops (impulse trains convolved with a
few prototype drop sounds in one batched float32 FFT per block) and a sparse
sprinkle of close, distinct drops, each with its own pitch (scattered grains).
"""

from __future__ import annotations

import numpy as np

from scipy import signal

from ._amb import (ColoredNoise, Control, GrainBus, KernelBank32, SplineUpsampler, Wander, factor_for, low_len,
                   pan_pair, sin_cycles, soft_limit)
from .base import BLOCK, SoundModel, butter, impulse_train

# surface -> (bed band Hz, drop resonance range Hz, drop decay s, drops per s at intensity 1)
_SURFACES = {
    "roof": ((400, 9000), (2500, 5200), 0.030, 900),
    "tin": ((500, 10000), (3100, 6300), 0.060, 900),
    "window": ((1500, 12000), (4000, 8000), 0.012, 500),
    "leaves": ((300, 7000), (900, 2600), 0.020, 1200),
    "pavement": ((200, 11000), (1800, 7000), 0.008, 1400),
}
_KERNELS = 2  # prototype drop sounds; each has its own impulse train


class Rain(SoundModel):
    name = "rain"
    category = "ambience"
    keywords = ("rain", "raining", "rainfall", "downpour", "drizzle", "shower", "rainy")
    description = "rain bed with drop impacts; surface from the note (roof, tin, window, leaves, pavement)"
    outdoor = True
    option_words = {
        "roof": ("surface", "roof"), "tin": ("surface", "tin"), "metal": ("surface", "tin"),
        "window": ("surface", "window"), "glass": ("surface", "window"),
        "leaves": ("surface", "leaves"), "forest": ("surface", "leaves"), "trees": ("surface", "leaves"),
        "pavement": ("surface", "pavement"), "street": ("surface", "pavement"), "road": ("surface", "pavement"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        surface = self.params.options.get("surface", "pavement")
        band, res, decay, rate = _SURFACES.get(surface, _SURFACES["pavement"])
        self.res, self.decay = res, decay
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        self.drop_rate = rate * (0.15 + 0.85 * i) / _KERNELS
        self.bed = ColoredNoise(sr, np.vstack([butter("bandpass", band, sr, 2), butter("highpass", 150, sr, 1)]))
        self.bed_gain = 0.8 * (0.15 + 0.35 * i) * self.bed.scale
        # the patter runs at half rate (~24 kHz): its resonances sit below 8 kHz and the hiss
        # above comes from the bed; a cubic spline brings it up
        self.fac = factor_for(sr, 24000)
        self.half_sr = sr / self.fac
        self.drops = KernelBank32([self._drop(rng, res, decay) for _ in range(_KERNELS)],
                                  block=BLOCK // self.fac + 1)
        self.drops_up = SplineUpsampler(self.fac, 2)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.2, self.ctl.rate)
        self.swell_up = self.ctl.upsampler(1)
        # close, distinct drops: a few per second, each with its own pitch
        self.close_rate = (4 + 16 * i) * (0.5 if surface == "window" else 1.0)
        self.close = GrainBus(int(min(0.08, 2.5 * decay + 0.01) * self.half_sr))
        self.t_close = (np.arange(self.close.length) / self.half_sr).astype(np.float32)[None, :]

    def _drop(self, rng: np.random.Generator, res: tuple[float, float], decay: float) -> np.ndarray:
        sr = self.half_sr
        length = max(8, int(decay * sr))
        t = np.arange(length) / sr
        f = min(rng.uniform(*res), 0.4 * sr)
        env = np.exp(-t / (decay / 4))
        tone = np.sin(2 * np.pi * f * t * (1 - 0.2 * t / decay))
        click = rng.standard_normal(length) * np.exp(-t / (decay / 12))
        return signal.sosfilt(butter("highpass", 150, sr, 1), env * (0.6 * tone + 0.4 * click)) * np.sqrt(self.fac)

    def _close_drops(self, rng: np.random.Generator, n: int) -> np.ndarray:
        count = rng.poisson(self.close_rate * n / self.half_sr)
        onsets = rng.integers(0, n, count)
        if count == 0:
            return self.close(n, onsets, np.zeros((0, 1)), np.zeros((2, 0)))
        t = self.t_close
        lo, hi = self.res
        f = np.minimum(rng.uniform(lo * 0.7, hi, count), 0.4 * self.half_sr).astype(np.float32)[:, None]
        tau = (self.decay / 4 * rng.uniform(0.6, 1.6, count)).astype(np.float32)[:, None]
        # a drop's note glides up a little as its splash settles
        ph = f * t * (1 + np.float32(0.15) * t / np.float32(self.decay)) + rng.random((count, 1), dtype=np.float32)
        grains = sin_cycles(ph) * np.exp(-t / tau)
        grains[:, :3] += rng.uniform(-0.5, 0.5, (count, 3)).astype(np.float32)  # the tick of the impact
        amp = rng.uniform(0.2, 1.0, count) ** 2
        gl, gr = pan_pair(rng.uniform(-0.9, 0.9, count))
        return self.close(n, onsets, grains, np.vstack([gl * amp, gr * amp]))

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_h = low_len(n, self.fac)
        trains = np.stack([impulse_train(rng, self.drop_rate, n_h, self.half_sr) for _ in range(_KERNELS)])
        half = self.drops(trains) * 0.8
        half += 0.45 * self._close_drops(rng, n_h)
        drops = self.drops_up(half, n)
        swell = self.swell_up((self.bed_gain * (0.85 + 0.3 * self.swell(rng, self.ctl.length(n))))[None], n)
        out = self.bed(rng, n) * swell
        out += drops
        out *= 0.4
        return soft_limit(out)
