"""Room tone and HVAC: the quiet noise floor of an interior, and the steady air
rush plus mains hum of air conditioning, fans and fridges."""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import (ColoredNoise, Control, Oscillator, SplineUpsampler, Upsampler, Wander, factor_for, low_len,
                   peak_sos, pink_sos, sin_cycles)
from .base import SoundModel, StatefulFilter, butter, noise


class RoomTone(SoundModel):
    name = "room_tone"
    category = "ambience"
    keywords = ("room tone", "roomtone", "room ambience", "room noise", "presence",
                "quiet room", "empty room", "silent room", "interior ambience", "noise floor")
    description = "room tone: the steady, pinkish noise floor of a quiet interior with a faint low rumble"
    outdoor = False
    option_words = {}

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
        bright = 3500 + 9000 * round(i * 4) / 4
        self.high = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("highpass", 400, sr, 2),
                                                butter("lowpass", bright, sr, 2)]), fade=256)
        self.g_high = self.high.scale
        # match the two pink slopes at 100 Hz; white noise at the low rate is denser per hertz
        self.g_low = 1.0 / np.sqrt(self.fac)
        self.ctl = Control(sr)
        self.drift = Wander(rng, 0.15, self.ctl.rate)
        self.up = self.ctl.upsampler(1)
        self.gain = 0.15 * (0.35 + 0.65 * i)
        # slight inter-channel correlation, as a real pair of mics picks up
        self.mix = np.array([[1.0, 0.35], [0.35, 1.0]]) / np.sqrt(1 + 0.35 ** 2)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        drift = self.drift(rng, self.ctl.length(n))
        g = self.up((self.gain * (0.9 + 0.2 * drift))[None], n)
        low = self.low(self.mix @ noise(rng, 2, low_len(n, self.fac))) * self.g_low
        out = self.low_up(low, n)
        high = self.high(rng, n)
        out += high * self.g_high
        out *= g
        return out


class HVAC(SoundModel):
    name = "hvac"
    category = "ambience"
    keywords = ("hvac", "aircon", "air con", "air conditioning", "air conditioner", "air-conditioning",
                "ac unit", "ventilation", "vent", "air vent", "fan noise", "fan hum", "fridge hum",
                "refrigerator hum", "fridge", "refrigerator", "server room", "machine hum", "hum",
                "electrical hum", "mains hum", "ducting", "extractor fan", "heating", "radiator")
    description = "air conditioning: steady air rush through vents plus mains hum (60 Hz, or 50 Hz for UK/Europe)"
    outdoor = False
    option_words = {
        "uk": ("mains", 50), "british": ("mains", 50), "europe": ("mains", 50), "european": ("mains", 50),
        "50hz": ("mains", 50), "50 hz": ("mains", 50), "60hz": ("mains", 60), "60 hz": ("mains", 60),
        "us": ("mains", 60), "usa": ("mains", 60), "american": ("mains", 60), "japan": ("mains", 60),
        "fridge": ("kind", "fridge"), "refrigerator": ("kind", "fridge"),
        "server": ("kind", "server"), "fan": ("kind", "fan"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        try:
            mains = float(self.params.options.get("mains", 60))
        except (TypeError, ValueError):
            mains = 60.0
        self.mains = 50.0 if abs(mains - 50) < abs(mains - 60) else 60.0
        kind = self.params.options.get("kind", "hvac")
        self.fac = factor_for(sr, 12000)
        lo_sr = sr / self.fac
        air_hi = {"fridge": 1800, "server": 7000, "fan": 3500}.get(kind, 4000)
        self.air = StatefulFilter(np.vstack([
            butter("bandpass", (90, (air_hi * (0.6 + 0.6 * i))), lo_sr, 2),
            peak_sos(rng.uniform(300, 700), 5.0, 0.8, lo_sr),  # duct resonance
            pink_sos(int(lo_sr)),
        ]))
        self.g_air = {"fridge": 0.15, "server": 1.0, "fan": 0.9}.get(kind, 0.8) * (0.35 + 0.65 * i)
        # mains hum: fundamental and harmonics, the even ones strong (magnetostriction)
        weights = np.array([1.0, 0.8, 0.35, 0.3, 0.12, 0.1, 0.05, 0.05])
        bright = 0.4 + 0.9 * i
        self.h_amp = weights * bright ** np.arange(len(weights))
        self.h_amp[0] = 1.0
        self.h_phase = rng.random(len(weights))
        self.g_hum = {"fridge": 0.012, "server": 0.003, "fan": 0.0025}.get(kind, 0.004) * (0.5 + 0.5 * i)
        # fan blade tone with a slow wobble
        self.fan_f = rng.uniform(85, 190)
        self.g_fan = 0.0015 * (0.5 + i) * (0.3 if kind == "fridge" else 1.0)
        self.osc = Oscillator(lo_sr)
        self.fan_osc = Oscillator(lo_sr, rng.random())
        self.ctl = Control(sr)
        self.wobble = Wander(rng, 0.3, self.ctl.rate)
        self.ctl_up = Upsampler(self.ctl.factor // self.fac, 1)
        self.up = SplineUpsampler(self.fac, 2)
        self.mix = np.array([[1.0, 0.5], [0.5, 1.0]]) / np.sqrt(1.25)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_lo = low_len(n, self.fac)
        wob = self.ctl_up(self.wobble(rng, self.ctl.length(n))[None], n_lo)[0]
        air = self.air(self.mix @ noise(rng, 2, n_lo)) * (self.g_air * 0.03)
        ph = self.osc.phases(self.mains, n_lo)
        hum = np.zeros(n_lo)
        for k, (a, p0) in enumerate(zip(self.h_amp, self.h_phase)):
            hum += a * sin_cycles(ph * (k + 1) + p0)
        hum *= self.g_hum
        fan = sin_cycles(self.fan_osc.phases(self.fan_f * (1 + 0.004 * wob), n_lo)) * (self.g_fan * (0.8 + 0.4 * wob))
        mono = hum + fan
        air[0] += mono
        air[1] += mono
        return self.up(air, n)
