"""Two winds named for what they do: a breeze stirring leaves, a storm howling.

A breeze is mostly what it moves: thousands of leaves ticking against each other,
their rate following the gusts (a gust of twice the speed flaps them far more
often), over a soft low air. A howling storm is the wind model at its strongest:
deep gusts, the whistle of air across edges and wires gliding with the gust speed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._amb import KernelBank32, soft_limit
from ._drops import Surface, impacts
from .base import BLOCK
from .wind import Wind

# a leaf: a small, light plate, high modes that die in a couple of milliseconds
_LEAF = Surface(modes=((2300, 0.0015), (3600, 0.0012), (5200, 0.001), (7400, 0.0008)), detune=0.25,
                click_tau=8e-4, click=1.0, ring=0.3, splash=0.0)
_LEAF_LEN = 0.012  # s
_LEAF_KERNELS = 3


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
        # a gentle breeze is heard as what it moves, not as air: the foliage's flutter (the
        # bright, fluttering rustle band) and the leaves' ticks below carry it, while the
        # whoosh of turbulence at edges and at the ear (which grows as the speed to the 6th or
        # so) is faint at 2-4 m/s: with it at full weight the slow gust swells of mid-band
        # noise read as surf
        self.g_rustle *= 0.8
        self.g_whoosh *= 0.5
        self.g_rumble *= 0.35  # a breeze barely moves the air near the ground
        self.leaf_rate = 500.0 + 1500.0 * i  # leaf ticks per second in a mean gust
        # thousands of ticks a second: impulse trains convolved with a few prototype leaves
        kern = impacts(rng, _LEAF, self.sr, _LEAF_KERNELS, int(_LEAF_LEN * self.sr), 4, copies=2)
        self.leaves = KernelBank32([k * 0.12 for k in kern], block=BLOCK)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = super().render_block(rng, n)
        gust = self.last_gust
        n_c = gust.size
        trains = self.leaves.framed(n)
        rows = trains.reshape(_LEAF_KERNELS, 2, -1)
        used = []
        for k in range(_LEAF_KERNELS):
            count = int(rng.poisson(self.leaf_rate * 1.5 / _LEAF_KERNELS * n / self.sr))
            pos = np.sort(rng.integers(0, n, count))
            # ticks thinned by the gusts: the rate goes as the gust level squared (its mean ~0.45)
            g = gust[np.minimum(pos * n_c // n, n_c - 1)]
            pos = pos[rng.random(count) < np.minimum((g / 0.55) ** 2, 1.0)]
            if pos.size:
                at = self.leaves.offsets(pos)
                amp = rng.uniform(0.1, 1.0, pos.size) ** 2
                p = rng.random(pos.size)
                np.add.at(rows[k, 0], at, (amp * np.sqrt(1 - p)).astype(np.float32))
                np.add.at(rows[k, 1], at, (amp * np.sqrt(p)).astype(np.float32))
                used.append(k)
        out += self.leaves(trains, n, used=used)
        return soft_limit(out, in_place=True)


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
        # a storm is heard as rushing air more than rumble: the whoosh and the turbulent hiss of
        # air torn at every edge carry it; the howl rides on top, not a steady drone under it
        self.g_rumble *= 0.5
        self.g_whoosh *= 2.0
        self.g_howl *= 0.5
        self.g_rustle = 0.7 * (0.3 + 0.7 * i)
