"""Thunder named by how near it is: a close crack, a distant roll.

A strike close by is heard first as the crack (the shock of the nearest stretch of
the channel: a ripping burst of clicks and a broadband blast), then as the roll,
arrivals from ever farther parts of the channel, darker as they come. Far away only
the roll reaches the listener: low, slow to swell, no crack (the air has taken the
highs). Both are the thunder model with its strikes held near or far.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._amb import Sparse
from .thunder import Thunder


class ThunderCrack(Thunder):
    name = "thunder_crack"
    category = "ambience"
    keywords = ("thunder crack", "crack of thunder", "thunderclap", "thunder clap", "clap of thunder",
                "close thunder", "thunder+close", "thunder+overhead", "thunder+near", "lightning strike",
                "thunder+crack", "lightning crack", "thunderbolt")
    description = "close thunder: a ripping crack and blast, then the roll, strike after strike"
    outdoor = True
    option_words = {}
    supersedes = ("thunder", "thunder_roll")

    def setup(self, rng: np.random.Generator) -> None:
        self.params = replace(self.params, options={**self.params.options, "closeness": "close"})
        super().setup(rng)
        self.close_bias = 0.6  # every strike is near enough to crack
        self.first = False  # and the first one too
        self.mean_gap *= 0.6  # a storm overhead: strikes come thick and fast


class ThunderRoll(Thunder):
    name = "thunder_roll"
    category = "ambience"
    keywords = ("rolling thunder", "thunder rolling", "roll of thunder", "rolls of thunder", "thunder roll",
                "rumble of thunder", "rumbling thunder", "thunder rumbling", "thunder rumble",
                "far-off thunder", "faraway thunder", "thunder in the distance")
    description = "distant thunder: low rolls that swell and fade, no crack"
    outdoor = True
    option_words = {}
    supersedes = ("thunder",)

    def setup(self, rng: np.random.Generator) -> None:
        self.params = replace(self.params, options={**self.params.options, "closeness": "distant"})
        super().setup(rng)
        self.close_bias = 0.0
        self.mean_gap *= 0.35  # a storm far off: many strikes, each heard only as its long roll
        self.g_bed *= 2.0  # and their grumble hardly stops
        # a far storm is heard already rolling: its rolls swell slowly (seconds), so the first
        # one starts with the clip rather than after a silence an editor would hear as a gap
        self.sched = Sparse(int(rng.uniform(0.0, 0.6) * self.sr))

    def _closeness(self, rng: np.random.Generator, opening: bool) -> float:
        """Every strike a few kilometres off: too far to crack, near enough to roll (0.1-0.35)."""
        return float(0.1 + 0.25 * super()._closeness(rng, opening))
