"""Room tone: the quiet noise floor of an interior, with the building's air
handling (engine/models/hvac.py) in it where the place is ventilated."""

from __future__ import annotations

import numpy as np

from ._amb import ColoredNoise, Control, SplineUpsampler, Wander, factor_for, low_len, peak_sos, pink_sos
from .base import ModelParams, SoundModel, StatefulFilter, butter, noise
from .hvac import HVAC


class RoomTone(SoundModel):
    name = "room_tone"
    steady_tones = True
    category = "ambience"
    keywords = ("room tone", "roomtone", "room ambience", "room noise", "presence",
                "quiet room", "empty room", "silent room", "interior ambience", "noise floor")
    description = ("room tone: the steady noise floor of a quiet interior with a faint low rumble; in an office, "
                   "hospital, lab or kitchen the building's air handling (fan whirr, duct air) sits in it")
    outdoor = False
    #: places whose room tone is mostly their ventilation: place -> HVAC kind
    _VENTILATED = {"office": "hvac", "hospital": "hvac", "lab": "hvac", "kitchen": "fridge",
                   "server": "server", "computer": "computer", "corridor": "hvac", "classroom": "hvac", "hotel": "hvac"}
    #: machines a place holds only one of (a kitchen's one fridge; an office has many air handlers)
    _SINGLE = frozenset({"fridge"})
    option_words = {"office": ("place", "office"), "offices": ("place", "office"), "workplace": ("place", "office"),
                    "cubicle": ("place", "office"), "hospital": ("place", "hospital"), "ward": ("place", "hospital"),
                    "lab": ("place", "lab"), "laboratory": ("place", "lab"), "kitchen": ("place", "kitchen"),
                    "corridor": ("place", "corridor"), "hallway": ("place", "corridor"),
                    "classroom": ("place", "classroom"), "hotel": ("place", "hotel"),
                    "computer": ("place", "computer"), "computers": ("place", "computer"),
                    "server": ("place", "server"), "servers": ("place", "server")}

    @classmethod
    def single_machine(cls, place: str) -> str | None:
        """The HVAC kind a place's room tone carries when the place holds only one of it."""
        kind = cls._VENTILATED.get(place)
        return kind if kind in cls._SINGLE else None

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        # Split at 400 Hz (Butterworth low/high pass are power complementary):
        # the low part is filtered at ~1.5 kHz with kept state, the high part is
        # read from a pre-filtered table, brighter when "louder".
        self.fac = factor_for(sr, 1500)
        lo_sr = sr / self.fac
        self.low = StatefulFilter(np.vstack([
            pink_sos(int(lo_sr)), butter("lowpass", 400, lo_sr, 2), butter("highpass", 18, lo_sr, 1),
            peak_sos(rng.uniform(45, 75), 6.0, 0.9, lo_sr),  # building rumble
            peak_sos(rng.uniform(220, 330), 2.0, 0.7, lo_sr),  # a touch of body
        ]))
        self.low_up = SplineUpsampler(self.fac, 2)
        # a quiet room's floor falls faster than pink above a few hundred hertz (NC curves)
        bright = 2500 + 6000 * round(i * 4) / 4
        self.high = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("highpass", 400, sr, 2),
                                                butter("lowpass", bright, sr, 2)]), fade=256)
        self.g_high = self.high.scale * 0.5
        # match the two pink slopes at 100 Hz; white noise at the low rate is denser per hertz
        self.g_low = 1.0 / np.sqrt(self.fac)
        self.ctl = Control(sr)
        self.drift = Wander(rng, 0.15, self.ctl.rate)
        self.up = self.ctl.upsampler(1)
        self.gain = 0.15 * (0.35 + 0.65 * i)
        # slight inter-channel correlation, as a real pair of mics picks up
        self.mix = np.array([[1.0, 0.35], [0.35, 1.0]]) / np.sqrt(1 + 0.35 ** 2)
        kind = self._VENTILATED.get(self.params.options.get("place", ""))
        self.vent = None
        if kind:  # the building's air handling, from this layer's seed
            self.vent = HVAC(sr, self.seed, int(rng.integers(1 << 30)) * 8 + 1,
                             ModelParams(intensity=0.3 + 0.4 * i, options={"kind": kind}))
            self.g_vent = 3.0

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        vent = None
        if self.vent is not None:
            vent = self.vent.render_block(rng.spawn(1)[0], n)
        drift = self.drift(rng, self.ctl.length(n))
        g = self.up((self.gain * (0.9 + 0.2 * drift))[None], n)
        low = self.low(self.mix @ noise(rng, 2, low_len(n, self.fac))) * self.g_low
        out = self.low_up(low, n)
        high = self.high(rng, n)
        out += high * self.g_high
        out *= g
        if vent is not None:
            out += vent * self.g_vent
        return out

