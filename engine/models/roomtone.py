"""Room tone and HVAC: the quiet noise floor of an interior, and the steady air
rush plus mains hum of air conditioning, fans and fridges."""

from __future__ import annotations

import numpy as np

from ._amb import (ColoredNoise, Control, Oscillator, SplineUpsampler, Upsampler, Wander, factor_for,
                   low_len, peak_sos, pink_sos, sin_cycles)
from .base import ModelParams, SoundModel, StatefulFilter, butter, noise


class RoomTone(SoundModel):
    name = "room_tone"
    category = "ambience"
    keywords = ("room tone", "roomtone", "room ambience", "room noise", "presence",
                "quiet room", "empty room", "silent room", "interior ambience", "noise floor")
    description = ("room tone: the steady noise floor of a quiet interior with a faint low rumble; in an office, "
                   "hospital, lab or kitchen the building's air handling (fan whirr, duct air) sits in it")
    outdoor = False
    #: places whose room tone is mostly their ventilation: place -> HVAC kind
    _VENTILATED = {"office": "hvac", "hospital": "hvac", "lab": "hvac", "kitchen": "fridge",
                   "server": "server", "corridor": "hvac", "classroom": "hvac", "hotel": "hvac"}
    option_words = {"office": ("place", "office"), "offices": ("place", "office"), "workplace": ("place", "office"),
                    "cubicle": ("place", "office"), "hospital": ("place", "hospital"), "ward": ("place", "hospital"),
                    "lab": ("place", "lab"), "laboratory": ("place", "lab"), "kitchen": ("place", "kitchen"),
                    "corridor": ("place", "corridor"), "hallway": ("place", "corridor"),
                    "classroom": ("place", "classroom"), "hotel": ("place", "hotel")}

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


class HVAC(SoundModel):
    """Air handling as it is built: fans and ducts.

    A fan's blades pass any point rpm/60 x blades times a second, pushing a
    pressure pulse each time: the blade-pass frequency (BPF) and its harmonics
    are the tonal whirr of every fan, wavering as turbulence varies the load
    (Farnell, *Designing Sound*, "fans"; ASHRAE, *Sound and Vibration Control*).
    The air itself is broadband turbulence falling ~5 dB per octave, coloured by
    the duct's standing waves (peaks at multiples of c/2L) and hissing out of the
    diffusers. A fridge adds its compressor's hum at the mains frequency; a
    server room is a rack of small fast fans, detuned so they beat.
    """

    name = "hvac"
    category = "ambience"
    keywords = ("hvac", "aircon", "air con", "air conditioning", "air conditioner", "air-conditioning",
                "ac unit", "ventilation", "vent", "air vent", "fan noise", "fan hum", "fridge hum",
                "refrigerator hum", "fridge", "refrigerator", "server room", "machine hum", "hum",
                "electrical hum", "mains hum", "ducting", "extractor fan", "heating", "radiator",
                "computer room", "data center", "data centre", "server rack", "servers", "ceiling fan",
                "desk fan", "fan whirring", "air handling", "fans whirring", "cooling fans", "fans", "whirring",
                "humming", "humming equipment", "humming machines", "whir", "whirr")
    description = ("air conditioning: fan blade-pass whirr (rpm x blades / 60) and harmonics over duct air "
                   "rush; fridge adds compressor hum, server room a rack of beating fans")
    outdoor = False
    option_words = {
        "uk": ("mains", 50), "british": ("mains", 50), "europe": ("mains", 50), "european": ("mains", 50),
        "50hz": ("mains", 50), "50 hz": ("mains", 50), "60hz": ("mains", 60), "60 hz": ("mains", 60),
        "us": ("mains", 60), "usa": ("mains", 60), "american": ("mains", 60), "japan": ("mains", 60),
        "fridge": ("kind", "fridge"), "refrigerator": ("kind", "fridge"), "kitchen": ("kind", "fridge"),
        "server": ("kind", "server"), "servers": ("kind", "server"), "computer": ("kind", "server"),
        "computers": ("kind", "server"),
        "data": ("kind", "server"), "fan": ("kind", "fan"), "ceiling": ("kind", "fan"), "desk": ("kind", "fan"),
    }

    # kind -> (fans, rpm range, blades, air band top Hz, air gain, hum gain, tone gain)
    _KINDS = {
        "hvac": (1, (700, 1200), (6, 9), 5000, 0.8, 0.004, 0.004),
        "fan": (1, (900, 1400), (3, 5), 3500, 0.7, 0.0025, 0.010),
        "fridge": (1, (1800, 2400), (4, 5), 1800, 0.15, 0.012, 0.004),
        "server": (6, (3600, 6000), (7, 7), 9000, 1.4, 0.003, 0.005),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        opts = self.params.options
        try:
            mains = float(opts.get("mains", 60))
        except (TypeError, ValueError):
            mains = 60.0
        self.mains = 50.0 if abs(mains - 50) < abs(mains - 60) else 60.0
        kind = opts.get("kind", "hvac")
        kind = kind if kind in self._KINDS else "hvac"
        fans, (r_lo, r_hi), (b_lo, b_hi), air_hi, g_air, g_hum, g_tone = self._KINDS[kind]
        self.fac = factor_for(sr, 12000)
        lo_sr = sr / self.fac
        # fans: the first one's rpm and blades may be given; the rest are its detuned siblings
        base_rpm = float(opts.get("rpm", rng.uniform(r_lo, r_hi) * (0.85 + 0.3 * i)))
        blades = int(opts.get("blades", rng.integers(b_lo, b_hi + 1)))
        self.rpm = base_rpm
        self.blades = blades
        self.bpf = base_rpm * blades / 60.0
        self.fans = [self.bpf * (1.0 if k == 0 else rng.uniform(0.97, 1.03)) for k in range(fans)]
        self.fan_osc = [Oscillator(lo_sr, rng.random()) for _ in self.fans]
        self.fan_harm = ((1, 1.0), (2, 0.45), (3, 0.2), (4, 0.08))
        self.g_tone = g_tone * (0.5 + i) / np.sqrt(fans)
        # duct air: -5 dB/oct turbulence, two duct modes, diffuser hiss
        duct = rng.uniform(3.0, 7.0)  # metres between the fan and the grille
        self.air = StatefulFilter(np.vstack([
            butter("bandpass", (70, air_hi * (0.6 + 0.6 * i)), lo_sr, 2),
            peak_sos(343 / (2 * duct), 5.0, 3.0, lo_sr), peak_sos(343 / duct, 3.0, 3.0, lo_sr),
            peak_sos(rng.uniform(300, 700), 4.0, 0.8, lo_sr),
            peak_sos(rng.uniform(1000, 1800), 6.0, 0.6, lo_sr),  # the diffuser's hiss
            pink_sos(int(lo_sr)),
        ]))
        self.g_air = g_air * (0.35 + 0.65 * i)
        weights = np.array([1.0, 0.8, 0.35, 0.3, 0.12, 0.1])
        self.h_amp = weights * (0.4 + 0.9 * i) ** np.arange(len(weights))
        self.h_amp[0] = 1.0
        self.h_phase = rng.random(len(weights))
        self.g_hum = g_hum * (0.5 + 0.5 * i)
        self.osc = Oscillator(lo_sr)
        self.ctl = Control(sr)
        self.wobble = Wander(rng, 0.3, self.ctl.rate)
        self.turb = Wander(rng, 2.0, self.ctl.rate)  # load turbulence: the whirr wavers
        self.ctl_up = Upsampler(self.ctl.factor // self.fac, 2)
        self.up = SplineUpsampler(self.fac, 2)
        self.mix = np.array([[1.0, 0.5], [0.5, 1.0]]) / np.sqrt(1.25)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_lo = low_len(n, self.fac)
        nc = self.ctl.length(n)
        mod = self.ctl_up(np.vstack([self.wobble(rng, nc), self.turb(rng, nc)]), n_lo)
        wob, turb = mod[0], mod[1]
        air = self.air(self.mix @ noise(rng, 2, n_lo)) * (self.g_air * 0.03)
        mono = np.zeros(n_lo)
        if self.g_hum:
            ph = self.osc.phases(self.mains, n_lo)
            for k, (a, p0) in enumerate(zip(self.h_amp, self.h_phase)):
                mono += a * sin_cycles(ph * (k + 1) + p0)
            mono *= self.g_hum
        amp = self.g_tone * (0.9 + 0.2 * turb)
        for f, osc in zip(self.fans, self.fan_osc):
            ph = osc.phases(f * (1 + 0.003 * (wob - 0.5)), n_lo)
            tone = np.zeros(n_lo)
            for h, a in self.fan_harm:
                tone += a * sin_cycles(ph * h)
            mono += tone * amp
        air[0] += mono
        air[1] += mono
        return self.up(air, n)
