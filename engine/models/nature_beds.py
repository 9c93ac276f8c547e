"""Places in nature, each a ready mix of the single-source models plus what marks it:
a forest by day (birds, leaves in a breeze, a woodpecker drumming now and then), a
jungle (cicadas, a chorus of birds, tree frogs) and a night outdoors (crickets and
frogs over a faint breeze).
"""

from __future__ import annotations

import numpy as np

from ._amb import Sparse, soft_limit
from ._drops import Surface, impacts
from .base import EventBus
from .beds import _Composite
from .birds import Birds, DawnChorus
from .frogs import Frogs
from .insects import Insects
from .wind_kinds import Breeze

# a dead trunk or branch struck by a beak: wood modes a few kilohertz down, short
_TRUNK = Surface(modes=((480, 0.012), (900, 0.01), (1500, 0.007), (2400, 0.005), (3600, 0.003)), detune=0.05,
                 click_tau=1.5e-4, click=0.8, splash=0.0)


class Forest(_Composite):
    name = "forest"
    category = "ambience"
    keywords = ("forest", "woods", "woodland", "in the woods", "forest ambience", "forest day",
                "woodpecker", "forest clearing", "deciduous forest", "pine forest", "the woods")
    description = "forest by day: a few birds, leaves in a breeze, a woodpecker drumming in the distance"
    outdoor = True
    option_words = {}
    supersedes = ("birds", "breeze")
    drum_gap = 22.0  # mean seconds between a woodpecker's drums

    def _plan(self, i):
        return [(Birds, 0.3 + 0.4 * i, {}, 1.0), (Breeze, 0.3 + 0.4 * i, {}, 0.8)]

    def setup(self, rng: np.random.Generator) -> None:
        super().setup(rng)
        self.drums = Sparse(int(rng.uniform(3.0, 12.0) * self.sr))
        self.drum_bus = EventBus()
        self.pecker_pan = rng.uniform(-0.8, 0.8)
        self.pecker_rate = rng.uniform(14.0, 22.0)  # strikes per second, the bird's own

    def _drum(self, rng: np.random.Generator) -> np.ndarray:
        """A burst of strikes, speeding up a little and fading at the end."""
        sr = self.sr
        count = int(rng.integers(12, 28))
        gaps = 1.0 / (self.pecker_rate * np.linspace(1.0, 1.15, count))
        times = np.concatenate([[0.0], np.cumsum(gaps[:-1])])
        klen = int(0.04 * sr)
        grains = impacts(rng, _TRUNK, sr, count, klen, 3)
        m = int((times[-1] + 0.06) * sr)
        mono = np.zeros(m, dtype=np.float32)
        amp = np.minimum(1.0, (count - np.arange(count)) / 6.0) * rng.uniform(0.8, 1.0, count)
        for k, t0 in enumerate(times):
            s = int(t0 * sr)
            mono[s:s + klen] += grains[k] * np.float32(amp[k])
        gl, gr = np.sqrt(1 - (self.pecker_pan + 1) / 2), np.sqrt((self.pecker_pan + 1) / 2)
        return np.vstack([mono * gl, mono * gr]) * 0.05  # distant: well under the birds

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = super().render_block(rng, n)
        bus = self.drum_bus.begin(n)
        for start in self.drums.onsets(n, lambda: self.drum_gap * rng.uniform(0.6, 1.4) * self.sr):
            self.drum_bus.add(start, self._drum(rng))
        out += bus
        return soft_limit(out, in_place=True)


class Jungle(_Composite):
    name = "jungle"
    category = "ambience"
    keywords = ("jungle", "rainforest", "rain forest", "tropical forest", "tropics", "amazon", "tropical jungle",
                "jungle ambience", "jungle at night")
    description = "jungle: cicadas buzzing in swells, a dense chorus of birds, tree frogs calling"
    outdoor = True
    option_words = {}
    supersedes = ("birds", "insects", "frogs", "forest", "rain")

    def _plan(self, i):
        # a quiet jungle is mostly birds; in a loud one the cicadas swell over everything
        return [(Insects, 0.2 + 0.8 * i, {"kind": "cicada"}, 0.25 + 0.9 * i), (DawnChorus, 0.2 + 0.8 * i, {}, 0.9),
                (Frogs, 0.1 + 0.8 * i, {}, 0.6)]


class NightAmbience(_Composite):
    name = "night"
    category = "ambience"
    keywords = ("night ambience", "night sounds", "night+crickets", "night+frogs", "night+insects",
                "summer night", "countryside at night", "night in the countryside", "field at night",
                "forest at night", "woods at night", "night crickets", "warm night")
    description = "night outdoors: crickets chirping, frogs calling from the water, a faint breeze"
    outdoor = True
    option_words = {}
    supersedes = ("insects", "frogs", "forest", "nature", "breeze")

    def _plan(self, i):
        return [(Insects, 0.3 + 0.5 * i, {"kind": "cricket"}, 1.0), (Frogs, 0.3 + 0.5 * i, {}, 0.8),
                (Breeze, 0.1 + 0.2 * i, {}, 0.4)]
