"""Composite beds: a city (traffic with a distant crowd) and nature (birds over a
breeze), each a ready-made mix of the single-source models."""

from __future__ import annotations

import numpy as np

from ._amb import soft_limit
from .base import ModelParams, SoundModel
from .applause import Applause
from .birds import Birds
from .cheering import Cheering
from .crowd import Crowd
from .insects import Insects
from .traffic import Traffic
from .wind import Wind


class _Composite(SoundModel):
    """Sums a few sub-models; each draws its block randomness from this layer's stream."""

    parts: tuple = ()
    #: whether the scene may ask it to leave out parts the note names as layers of their own
    #: (option ``without``: model names; engine/scene.py ``_share_parts``). Opt-in: a setting
    #: all of whose parts can be named (forest: birds, breeze) would be left empty.
    shares_parts = False

    def _plan(self, i: float) -> list[tuple[type[SoundModel], float, dict, float]]:
        raise NotImplementedError

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.subs = []
        self.gains = []
        without = set(self.params.options.get("without", ()))
        for k, (cls, intensity, options, gain) in enumerate(self._plan(i)):
            if cls.name in without:  # named in the note as a layer of its own
                continue
            params = ModelParams(intensity=intensity, distance=self.params.distance, options=options)
            # sub-layers get their own constants, derived from this layer's seed
            sub_layer = int(rng.integers(1 << 30)) * 8 + k
            self.subs.append(cls(self.sr, self.seed, sub_layer, params))
            self.gains.append(gain)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = np.zeros((2, n))
        for sub, gain, child in zip(self.subs, self.gains, rng.spawn(len(self.subs))):
            out += sub.render_block(child, n) * gain
        return soft_limit(out)


class City(_Composite):
    name = "city"
    category = "ambience"
    keywords = ("city ambience", "city ambiance", "city sounds", "city noise", "urban", "urban ambience",
                "cityscape", "town centre", "town center", "city centre", "city center")
    description = "city bed: traffic passing with occasional horns under a distant crowd murmur"
    outdoor = True
    option_words = {}

    def _plan(self, i):
        return [
            (Traffic, 0.3 + 0.6 * i, {"road": "city"}, 1.0),
            (Crowd, 0.25 + 0.4 * i, {"place": "outdoor"}, 0.6),  # the crowd spreads its power over more talkers
        ]


class Nature(_Composite):
    name = "nature"
    category = "ambience"
    keywords = ("nature", "nature ambience", "nature sounds", "wilderness", "wildlife", "natural ambience",
                "countryside ambience", "outdoor ambience")
    description = "nature bed: birdsong over a light breeze in the leaves, crickets at night"
    outdoor = True
    option_words = {"night": ("time", "night"), "evening": ("time", "night"), "dusk": ("time", "night")}

    def _plan(self, i):
        if self.params.options.get("time") == "night":
            return [
                (Insects, 0.3 + 0.4 * i, {"kind": "cricket"}, 1.0),
                (Wind, 0.15 + 0.25 * i, {"style": "breeze"}, 0.5),
            ]
        return [
            (Birds, 0.35 + 0.5 * i, {}, 1.0),
            (Wind, 0.15 + 0.3 * i, {"style": "breeze"}, 0.6),
        ]


class Stadium(_Composite):
    name = "stadium"
    category = "ambience"
    keywords = ("stadium", "stadium crowd", "arena crowd", "sports crowd", "cheering crowd", "crowd cheering",
                "cheering", "football crowd", "soccer crowd", "fans cheering", "roaring crowd", "crowd roar")
    description = "stadium: hundreds of fans cheering and whistling in a huge space, with waves of clapping"
    outdoor = True
    option_words = {}
    supersedes = ("crowd", "cheering")

    def _plan(self, i):
        return [
            (Cheering, 0.5 + 0.5 * i, {}, 1.0),
            (Applause, 0.2 + 0.8 * i, {"size": "large"}, 0.15 + 0.15 * i),
        ]
