"""Electrical sounds: the buzz of transformers, ballasts and neon, and radio static.

Buzz: magnetostriction makes transformer cores and ballasts vibrate at twice
the mains frequency (100 or 120 Hz) and its harmonics; a loose lamination or a
failing fluorescent ballast adds rattle, which is the same tone clipped, so the
harmonics reach several kilohertz; arcing adds hiss pulsing at that rate
(Farnell, *Designing Sound*, "electricity"). One cycle of that waveform is a
table read at the mains rate; the hiss is noise gated by the cycle.

Static: an untuned or weak AM/shortwave receiver: band-limited noise (the
audio passband, ~200 Hz-4.5 kHz) fading as the ionosphere moves, atmospheric
crackles (sferics: impulses from distant lightning), and a heterodyne whistle
where a carrier beats against the receiver's oscillator.
"""

from __future__ import annotations

import numpy as np

from ._amb import ColoredNoise, Control, Oscillator, Wander, sin_cycles, to_output
from .base import SoundModel, StatefulFilter, butter, impulse_train, noise

_MAINS_WORDS = {"uk": ("mains", 50), "british": ("mains", 50), "europe": ("mains", 50),
                "european": ("mains", 50), "50hz": ("mains", 50), "us": ("mains", 60), "american": ("mains", 60)}


class ElectricalBuzz(SoundModel):
    name = "electrical_buzz"
    category = "ambience"
    keywords = ("electrical buzz", "electric buzz", "buzzing", "buzz", "transformer", "transformer hum",
                "neon", "neon sign", "neon buzz", "fluorescent", "fluorescent light", "fluorescent lights",
                "ballast", "power lines", "high voltage", "electricity", "electric hum", "humming lights",
                "buzzing lights", "substation")
    description = "electrical buzz: transformer/ballast hum at twice the mains frequency with rattle and arcing hiss"
    outdoor = None
    option_words = {**_MAINS_WORDS, "neon": ("kind", "neon"), "fluorescent": ("kind", "neon"),
                    "ballast": ("kind", "neon"), "transformer": ("kind", "transformer"),
                    "substation": ("kind", "transformer"), "power": ("kind", "lines"), "lines": ("kind", "lines"),
                    "voltage": ("kind", "lines")}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        try:
            mains = 50.0 if abs(float(self.params.options.get("mains", 60)) - 50) < 5 else 60.0
        except (TypeError, ValueError):
            mains = 60.0
        self.f = 2 * mains
        kind = self.params.options.get("kind", "neon")
        clip = {"transformer": 1.2, "lines": 1.5}.get(kind, 3.0) * (0.7 + 0.6 * i)
        x = np.sin(2 * np.pi * np.arange(4096) / 4096) + 0.3 * np.sin(4 * np.pi * np.arange(4096) / 4096 + 0.7)
        wave = np.tanh(clip * x)
        # band-limit the table for the read rate: keep harmonics under ~0.4 sr
        spec = np.fft.rfft(wave)
        spec[int(0.4 * sr / self.f):] = 0
        self.table = np.fft.irfft(spec, 4096).astype(np.float32)
        self.table /= np.abs(self.table).max()
        self.osc = Oscillator(sr, rng.random())
        self.hiss = ColoredNoise(sr, np.vstack([butter("bandpass", (1500, 12000), sr, 2)]), fade=64)
        self.g_hiss = {"lines": 0.5, "transformer": 0.05}.get(kind, 0.15) * (0.5 + i)
        self.ctl = Control(sr)
        self.flutter = Wander(rng, 0.7, self.ctl.rate)
        self.crackle_rate = {"lines": 6.0, "neon": 1.2}.get(kind, 0.3)
        self.crackle = StatefulFilter(butter("bandpass", (800, 9000), sr, 2))
        self.gain = 0.2

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        ph = self.osc.phases(self.f, n)
        idx = ((ph % 1.0) * 4096).astype(np.int64)
        tone = self.table[idx]
        fl = self.flutter(rng, self.ctl.length(n))
        amp = np.interp(np.arange(n), np.linspace(0, n, fl.size), 0.85 + 0.3 * fl).astype(np.float32)
        gate = (0.5 + 0.5 * sin_cycles(ph)) ** 4  # arcing at the peaks of the cycle
        hiss = self.hiss(rng, n, gain=gate * self.g_hiss)
        crack = self.crackle(impulse_train(rng, self.crackle_rate, n, sr)) * 2.0
        out = hiss + crack.astype(np.float32)
        out += tone * amp
        return to_output(out * self.gain)


class RadioStatic(SoundModel):
    name = "radio_static"
    category = "ambience"
    keywords = ("radio static", "static", "white noise radio", "radio noise", "shortwave", "short wave",
                "untuned radio", "radio tuning", "tuning radio", "radio crackle", "interference",
                "radio interference", "walkie talkie static", "walkie-talkie", "crackling radio")
    description = "radio static: band-limited hiss fading in and out, crackles, and heterodyne whistles"
    outdoor = None
    option_words = {"tuning": ("whistle", 1.0), "shortwave": ("whistle", 0.7), "walkie": ("whistle", 0.0)}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        # a weaker signal: the receiver turns its gain up and the hiss gets louder and brighter
        self.band = StatefulFilter(np.vstack([butter("bandpass", (220, 2500 + 4000 * i), sr, 2)]))
        self.ctl = Control(sr)
        self.fade = Wander(rng, 0.6, self.ctl.rate)
        self.tune = Wander(rng, 0.12, self.ctl.rate)
        self.osc = Oscillator(sr, rng.random())
        self.crackle_rate = 3 + 12 * i
        self.crackle = StatefulFilter(butter("bandpass", (300, 4000), sr, 2))
        try:
            self.g_whistle = 0.05 * float(self.params.options.get("whistle", 0.5))
        except (TypeError, ValueError):
            self.g_whistle = 0.025
        self.gain = 0.25 * (0.5 + i)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        nc = self.ctl.length(n)
        x = np.arange(n)
        fade = np.interp(x, np.linspace(0, n, nc), self.fade(rng, nc))
        tune = np.interp(x, np.linspace(0, n, nc), self.tune(rng, nc))
        hiss = self.band(noise(rng, 2, n)) * (10 ** ((fade - 0.5) * 9 / 20))[None]
        whistle = sin_cycles(self.osc.phases(300 + 2600 * tune ** 2, n)) * self.g_whistle
        crack = self.crackle(impulse_train(rng, self.crackle_rate, n, sr) * rng.choice([-1.0, 1.0]))
        out = hiss * 0.5 + crack * 25.0
        out += whistle[None, :]
        return to_output(out * self.gain)
