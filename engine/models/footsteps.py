"""Footsteps: heel-toe steps at a walking or running cadence on concrete, wood, gravel or grass."""

from __future__ import annotations

import numpy as np

from ._sfxkit import _TABLE, _add, _burst, _fade, _grains, _mix, _modes, _norm, _swell, _t
from .base import SoundModel, Timeline, pan_gains


# --------------------------------------------------------------------------- footsteps

_SURFACE_WORDS = {
    "concrete": "concrete", "pavement": "concrete", "sidewalk": "concrete", "street": "concrete",
    "tile": "concrete", "tiles": "concrete", "tiled": "concrete", "marble": "concrete",
    "stone": "concrete", "hallway": "concrete", "corridor": "concrete", "asphalt": "concrete",
    "parking": "concrete", "garage": "concrete",
    "wood": "wood", "wooden": "wood", "floorboards": "wood", "floorboard": "wood",
    "deck": "wood", "porch": "wood", "stairs": "wood", "parquet": "wood", "boards": "wood",
    "gravel": "gravel", "pebbles": "gravel", "stones": "gravel", "driveway": "gravel",
    "snow": "gravel", "path": "gravel",
    "grass": "grass", "lawn": "grass", "field": "grass", "meadow": "grass", "leaves": "grass",
    "forest": "grass", "dirt": "grass", "woods": "grass", "garden": "grass",
}


class Footsteps(Timeline, SoundModel):
    name = "footsteps"
    category = "sfx"
    # not bare "running" ("running water", "engine running") nor "walk" ("a walk in the park")
    keywords = ("footsteps", "footstep", "walking", "steps", "heels", "high heels", "walker", "pacing",
                "jogging", "jogger", "someone walking", "someone running", "running feet",
                "running footsteps", "people walking", "person walking", "man walking", "woman walking",
                "sprinting")
    default_level_db = 0.0
    description = "heel-toe footsteps at a walking (or running) cadence; surface: concrete, wood, gravel, grass"
    option_words = {
        **{w: ("surface", s) for w, s in _SURFACE_WORDS.items()},
        "walking": ("gait", "walk"), "walk": ("gait", "walk"), "walks": ("gait", "walk"),
        "strolling": ("gait", "walk"), "pacing": ("gait", "walk"),
        "running": ("gait", "run"), "run": ("gait", "run"), "runs": ("gait", "run"),
        "jogging": ("gait", "run"), "sprinting": ("gait", "run"), "sprint": ("gait", "run"),
        "heels": ("style", "heels"), "stilettos": ("style", "heels"), "high": ("style", "heels"),
        "boots": ("style", "boots"), "sneakers": ("style", "soft"), "barefoot": ("style", "soft"),
    }
    _VARIANTS = 8

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        opts = self.params.options
        i = float(np.clip(self.params.intensity, 0, 1))
        self.surface = opts.get("surface", "concrete")
        if self.surface not in ("concrete", "wood", "gravel", "grass"):
            self.surface = _SURFACE_WORDS.get(self.surface, "concrete")
        self.gait = opts.get("gait", "walk")
        self.style = opts.get("style", "shoes")
        if self.gait == "run":
            self.rate = rng.uniform(2.7, 3.1) + 0.3 * (i - 0.5)
        else:
            self.rate = rng.uniform(1.85, 2.1) + 0.2 * (i - 0.5)
        self.period = self.sr / self.rate  # samples per step
        self.offset = int(rng.uniform(0.08, 0.25) * self.sr)
        self.variants = [self._step(rng, i) for _ in range(self._VARIANTS)]
        self.maxlen = max(v.size for v in self.variants)
        # per-step tables: timing jitter, loudness, which take; feet alternate slightly
        self.jitter = rng.uniform(-0.025, 0.025, _TABLE) * self.period
        self.gain = rng.uniform(0.78, 1.0, _TABLE) * (0.45 + 0.55 * i)
        pick = rng.integers(0, self._VARIANTS - 1, _TABLE)
        self.pick = (np.arange(_TABLE) % 2 * (self._VARIANTS // 2) + pick % (self._VARIANTS // 2))
        self.pans = [pan_gains(-0.06), pan_gains(0.06)]

    # one footfall: heel strike then toe (or for heels: sole then heel click)
    def _step(self, rng: np.random.Generator, i: float) -> np.ndarray:
        sr = self.sr
        run = self.gait == "run"
        heavy = 0.7 + 0.6 * i + (0.3 if run or self.style == "boots" else 0.0)
        crisp = 0.6 + 0.8 * i  # harder steps have brighter impacts
        soft = self.style == "soft"
        gap = rng.uniform(0.025, 0.04) if run else rng.uniform(0.06, 0.095)
        s = self.surface
        if self.style == "heels" and s in ("concrete", "wood"):
            base = 2400 if s == "concrete" else 1500
            sole = _burst(rng, sr, 0.04, 0.004, (800, 6000)) * 0.25
            click = _modes(sr, 0.12, [base * rng.uniform(0.9, 1.15), base * rng.uniform(2.2, 2.6),
                                       rng.uniform(180, 260)],
                           [0.014, 0.006, 0.012], [0.8, 0.35, 0.4])
            click = _mix(click, _burst(rng, sr, 0.03, 0.0015, (2000, 12000)) * 0.5 * crisp)
            first, second = sole, click * heavy
        elif s == "concrete":
            heel = _modes(sr, 0.1, [rng.uniform(80, 115), rng.uniform(160, 240)], [0.018, 0.012],
                          [0.7 * heavy, 0.25 * heavy])
            click = _burst(rng, sr, 0.06, rng.uniform(0.004, 0.007), (1200, 7000))
            heel = _mix(heel, click * (0.3 if soft else 0.7) * crisp)
            heel = _mix(heel, _burst(rng, sr, 0.08, 0.02, (2500, 10000)) * 0.12)
            toe = _burst(rng, sr, 0.05, 0.004, (1500, 8000)) * (0.2 if soft else 0.4)
            toe = _mix(toe, _swell(rng, sr, rng.uniform(0.05, 0.09), (2000, 9000), 0.012) * (0.25 if run else 0.12))
            first, second = heel, toe
        elif s == "wood":
            f = rng.uniform(95, 135)
            heel = _modes(sr, 0.25, [f, f * rng.uniform(2.0, 2.4), f * rng.uniform(3.6, 4.4),
                                     rng.uniform(700, 1100)],
                          [0.06, 0.04, 0.025, 0.012], [0.8 * heavy, 0.45 * heavy, 0.25, 0.15])
            heel = _mix(heel, _burst(rng, sr, 0.05, 0.005, (600, 4500)) * (0.2 if soft else 0.45) * crisp)
            toe = _modes(sr, 0.15, [f * rng.uniform(1.8, 2.3), rng.uniform(400, 600)], [0.03, 0.015],
                         [0.3, 0.2])
            toe = _mix(toe, _burst(rng, sr, 0.04, 0.004, (800, 5000)) * 0.25)
            if rng.random() < 0.35:  # the occasional board creak
                t = _t(sr, 0.12)
                creak = np.sin(2 * np.pi * rng.uniform(300, 600) * t + 3 * np.sin(2 * np.pi * 35 * t))
                toe = np.pad(toe, (0, max(0, t.size - toe.size)))
                toe[:t.size] += creak * np.sin(np.pi * t / t[-1]) ** 2 * 0.08
            first, second = heel, toe
        elif s == "gravel":
            heel = _grains(rng, sr, 0.22, 900 * heavy, (700, 7500), 0.05) * crisp
            heel = _mix(heel, _modes(sr, 0.08, [rng.uniform(60, 90)], [0.02], [0.25 * heavy]))
            toe = _grains(rng, sr, 0.16, 700, (900, 8000), 0.04) * 0.7
            first, second = heel, toe
        else:  # grass, leaves, dirt
            heel = _swell(rng, sr, 0.2, (1200, 7500), 0.015) * 0.5 * crisp
            heel = _mix(heel, _grains(rng, sr, 0.18, 350, (1500, 9000), 0.05) * 0.6)
            heel = _mix(heel, _modes(sr, 0.08, [rng.uniform(55, 80)], [0.02], [0.3 * heavy]))
            toe = _swell(rng, sr, 0.14, (1800, 8000), 0.02) * 0.35
            first, second = heel, toe
        g = int(gap * sr)
        out = np.zeros(max(first.size, g + second.size))
        out[:first.size] += first
        out[g:g + second.size] += second * rng.uniform(0.8, 1.1)
        return _fade(_norm(out, 0.8), sr, 0.0005, 0.01)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        first = max(0, int((start - self.offset - self.maxlen) // self.period) - 1)
        last = int((start + n - self.offset) // self.period) + 1
        for k in range(first, last + 1):
            j = k % _TABLE
            onset = self.offset + int(round(k * self.period + self.jitter[j]))
            if onset < 0 or onset >= start + n:
                continue
            _add(out, start, onset, self.variants[self.pick[j]], self.gain[j] * self.pans[k % 2])
        return out
