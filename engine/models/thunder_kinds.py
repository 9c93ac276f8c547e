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

from .base import StatefulFilter, butter
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
    # the cell overhead rains: a scene of close thunder brings rain unless the note names its own
    # (or asks for "dry" thunder); see engine/scene.py _add_implied_beds
    implied_bed = "rain"
    implied_unless = ("rain", "drizzle", "downpour", "hail", "rain_car", "rain_puddles", "rain_tent",
                      "rain_umbrella", "thunderstorm")

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
    roll_rate_hz = 6000.0  # too far for any of the roll to reach past ~700 Hz

    def setup(self, rng: np.random.Generator) -> None:
        self.params = replace(self.params, options={**self.params.options, "closeness": "distant"})
        super().setup(rng)
        self.close_bias = 0.0
        self.mean_gap *= 0.35  # a storm far off: many strikes, each heard only as its long roll
        # and their grumble hardly stops: the strikes too far off to make out one by one merge
        # into a low growl (up to ~200 Hz, the air has the rest) that the rolls rise out of
        self.bed = StatefulFilter(np.vstack([butter("lowpass", 200, self.lo_sr, 2),
                                             butter("highpass", 30, self.lo_sr, 1)]))
        self.g_bed *= 4.0
        # a far storm is heard already rolling: its rolls last 9-16 s and overlap, so a clip opens
        # amid the tails of the strikes before it, as loud as the storm goes on (not a lone first
        # roll swelling out of silence, quieter than the rest of the scene)
        self.prelude = True
        self.level_by_energy = True
        self.first = False

    def _closeness(self, rng: np.random.Generator, opening: bool) -> float:
        """Every strike a few kilometres off: too far to crack, near enough to roll (0.1-0.35)."""
        return float(0.1 + 0.25 * super()._closeness(rng, opening))
