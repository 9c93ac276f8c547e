"""A harbour: water slapping hulls and the quay, gulls crying, mooring lines and
wooden boats creaking as they ride the swell, a breeze off the water.

A creak is stick-slip friction (a rope on a bollard, a plank on a plank): the
surfaces catch and let go in a run of pulses whose rate climbs as the load builds
(here ~25 to ~70 per second over up to a second), each pulse knocking the wood's
modes. The rest is the lake (on a hull), seagulls and breeze models, mixed.
"""

from __future__ import annotations

import numpy as np

from ._amb import Sparse, soft_limit
from ._drops import Surface, impacts
from .base import EventBus
from .beds import _Composite
from .lake import Lake
from .seagulls import Seagulls
from .wind_kinds import Breeze

_PLANK = Surface(modes=((240, 0.014), (530, 0.011), (910, 0.008), (1450, 0.006), (2300, 0.004)), detune=0.04,
                 click_tau=2e-4, click=0.4, splash=0.0)


class Harbour(_Composite):
    name = "harbour"
    category = "ambience"
    keywords = ("harbour", "harbor", "marina", "docks", "dockside", "quay", "quayside", "wharf", "port",
                "fishing harbour", "fishing harbor", "boats moored", "moored boats", "seaport", "pier")
    description = "harbour: water slapping hulls, gulls crying, moored boats and ropes creaking, a sea breeze"
    outdoor = True
    option_words = {}
    supersedes = ("seagulls", "lake", "waves", "breeze")
    shares_parts = True  # "seagulls over a harbour": one flock, the named one
    creak_gap = 5.0  # mean seconds between creaks

    def _plan(self, i):
        # the swell in a harbour follows the sea outside, from a flat calm to a blustery day:
        # the water's intensity spans most of its range (0.6 at mid intensity, as before)
        return [(Lake, 0.3 + 0.6 * i, {"edge": "hull"}, 1.0), (Seagulls, 0.3 + 0.5 * i, {}, 0.45),
                (Breeze, 0.2 + 0.3 * i, {}, 0.5)]

    def setup(self, rng: np.random.Generator) -> None:
        super().setup(rng)
        self.creaks = Sparse(int(rng.uniform(0.5, 4.0) * self.sr))
        self.creak_bus = EventBus()

    def _creak(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        dur = rng.uniform(0.3, 1.0)
        r0, r1 = rng.uniform(20, 35), rng.uniform(45, 80)
        # pulse times: the rate glides from r0 to r1 (phase = integral of the rate)
        u = np.linspace(0, 1, 512)
        phase = np.cumsum(r0 + (r1 - r0) * u ** 1.5) * dur / 512
        times = np.interp(np.arange(1, int(phase[-1])), phase, u * dur)
        count = times.size
        klen = int(0.05 * sr)
        grains = impacts(rng, _PLANK, sr, max(count, 1), klen, 3)
        m = int((dur + 0.06) * sr)
        mono = np.zeros(m, dtype=np.float32)
        env = np.sin(np.pi * times / dur) ** 0.7
        for k, t0 in enumerate(times):
            s = int(t0 * sr)
            mono[s:s + klen] += grains[k] * np.float32(env[k] * rng.uniform(0.6, 1.0))
        pan = rng.uniform(-0.7, 0.7)
        return np.vstack([mono * np.sqrt((1 - pan) / 2), mono * np.sqrt((1 + pan) / 2)]) * 0.02

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = super().render_block(rng, n)
        bus = self.creak_bus.begin(n)
        for start in self.creaks.onsets(n, lambda: self.creak_gap * rng.uniform(0.5, 1.5) * self.sr):
            self.creak_bus.add(start, self._creak(rng))
        out += bus
        return soft_limit(out, in_place=True)
