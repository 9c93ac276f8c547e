"""Rain: a dense bed of filtered noise plus individual drop impacts whose colour
depends on the surface (tin roof rings, leaves patter, pavement hisses, glass ticks)."""

from __future__ import annotations

import numpy as np

from .base import KernelBank, SoundModel, StatefulFilter, butter, impulse_train, noise, smooth_noise

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
        i = self.params.intensity
        self.drop_rate = rate * (0.15 + 0.85 * i) / _KERNELS
        self.bed = StatefulFilter(butter("bandpass", band, self.sr, 2))
        self.tilt = StatefulFilter(butter("highpass", 150, self.sr, 1))
        self.drops = KernelBank([self._drop(rng, res, decay) for _ in range(_KERNELS)])
        self.mod_state = [0.5]
        self.bed_gain = 0.15 + 0.35 * i

    def _drop(self, rng: np.random.Generator, res: tuple[float, float], decay: float) -> np.ndarray:
        length = max(8, int(decay * self.sr))
        t = np.arange(length) / self.sr
        f = rng.uniform(*res)
        env = np.exp(-t / (decay / 4))
        tone = np.sin(2 * np.pi * f * t * (1 - 0.2 * t / decay))
        click = rng.standard_normal(length) * np.exp(-t / (decay / 12))
        return env * (0.6 * tone + 0.4 * click)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        drops = self.drops([impulse_train(rng, self.drop_rate, n, self.sr) for _ in range(_KERNELS)])
        swell = 0.85 + 0.3 * smooth_noise(rng, n, self.sr, 0.2, self.mod_state)
        bed = self.bed(noise(rng, 2, n)) * self.bed_gain * swell
        return self.tilt(bed + 0.5 * drops)
