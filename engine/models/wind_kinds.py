"""Two winds named for what they do: a breeze stirring leaves, a storm howling.

A breeze is mostly what it moves: thousands of leaves ticking against each other,
their rate following the gusts (a gust of twice the speed flaps them far more
often), over a soft low air. A howling storm is the wind model at its strongest:
deep gusts, the whistle of air across edges and wires gliding with the gust speed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._amb import GrainBus
from ._drops import Surface, impacts
from .wind import Wind

# a leaf: a small, light plate, high modes that die in a couple of milliseconds
_LEAF = Surface(modes=((2300, 0.0015), (3600, 0.0012), (5200, 0.001), (7400, 0.0008)), detune=0.25,
                click_tau=8e-4, click=1.0, ring=0.3, splash=0.0)
_LEAF_LEN = 0.012  # s


class Breeze(Wind):
    name = "breeze"
    category = "ambience"
    keywords = ("breeze", "breezy", "light breeze", "gentle breeze", "wind in the trees", "wind in the leaves",
                "rustling leaves", "leaves rustling", "rustle of leaves", "leaves in the wind", "soft wind")
    description = "breeze: leaves ticking and rustling in the gusts over a soft low air"
    outdoor = True
    option_words = {}
    supersedes = ("wind",)

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.params = replace(self.params, intensity=0.1 + 0.35 * i,
                              options={**self.params.options, "style": "breeze"})
        super().setup(rng)
        self.g_rustle *= 0.5  # the leaves below carry the rustle
        self.g_rumble *= 0.35  # a breeze barely moves the air near the ground
        self.leaf_rate = 500.0 + 1500.0 * i  # leaf ticks per second in a mean gust
        self.leaves = GrainBus(int(_LEAF_LEN * self.sr), dtype=np.float32)
        self.g_leaf = 0.12

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = super().render_block(rng, n)
        gust = self.last_gust
        n_c = gust.size
        count = int(rng.poisson(self.leaf_rate * 1.5 * n / self.sr))
        onsets = rng.integers(0, n, count)
        # ticks thinned by the gusts: the rate goes as the gust level squared (its mean ~0.45)
        g = gust[np.minimum(onsets * n_c // n, n_c - 1)]
        keep = rng.random(count) < np.minimum((g / 0.55) ** 2, 1.0)
        onsets = onsets[keep]
        k = onsets.size
        grains = impacts(rng, _LEAF, self.sr, k, self.leaves.length, 2)
        amp = rng.uniform(0.1, 1.0, k) ** 2 * self.g_leaf
        theta = (rng.uniform(-0.95, 0.95, k) + 1) * (np.pi / 4)
        leaf = np.zeros((2, n), dtype=np.float32)
        self.leaves.add_into(leaf, onsets, grains, np.vstack([np.cos(theta) * amp, np.sin(theta) * amp]))
        out += leaf
        return out


class HowlingStorm(Wind):
    name = "storm_wind"
    category = "ambience"
    keywords = ("howling storm", "howling wind", "storm wind", "gale", "gale force", "windstorm", "wind storm",
                "hurricane", "hurricane wind", "blizzard", "screaming wind", "raging wind", "stormy wind",
                "gale-force winds")
    description = "howling storm: deep, violent gusts, the wind whistling and moaning across edges"
    outdoor = True
    option_words = {}
    supersedes = ("wind", "breeze")

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.params = replace(self.params, intensity=0.8 + 0.2 * i,
                              options={**self.params.options, "style": "storm"})
        super().setup(rng)
