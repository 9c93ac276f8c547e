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
    steady_tones = True
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
                    "voltage": ("kind", "lines"), "flickering": ("fault", 1.0),
                    "failing": ("fault", 1.0), "broken": ("fault", 1.0), "dying": ("fault", 1.0)}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        try:
            mains = 50.0 if abs(float(self.params.options.get("mains", 60)) - 50) < 5 else 60.0
        except (TypeError, ValueError):
            mains = 60.0
        self.f = mains
        kind = self.params.options.get("kind", "neon")
        clip = {"transformer": 1.2, "lines": 1.5}.get(kind, 5.0) * (0.7 + 0.6 * i)
        # one mains cycle: the core's magnetostriction at twice mains, a little of the mains
        # itself (a DC bias, a tube conducting unevenly), driven into the rattle's hard limit
        t = np.arange(4096) / 4096
        x = 0.0 * np.sin(2 * np.pi * t) + np.sin(4 * np.pi * t) + 0.3 * np.sin(8 * np.pi * t + 0.7)
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
        # a failing tube: the arc goes out now and then and restrikes with a tick
        try:
            self.fault = float(self.params.options.get("fault", 0.0))
        except (TypeError, ValueError):
            self.fault = 0.0
        self.next_out = int(rng.uniform(0.5, 2.0) * sr)
        self.out_left = 0
        self.ramp = int(0.002 * sr)

    def _arc(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(arc level, restrike clicks) for this block: 1 while the tube is lit, dropping to 0
        for 40-250 ms when it goes out (the ballast hums on at a quarter), causally across blocks."""
        arc = np.ones(n, dtype=np.float32)
        clicks = np.zeros((2, n))
        pos = 0
        while pos < n:
            if self.out_left > 0:
                end = min(n, pos + self.out_left)
                arc[pos:end] = 0.0
                self.out_left -= end - pos
                if self.out_left == 0 and end < n:
                    clicks[:, end] = 0.6 * rng.uniform(0.5, 1.0)
                pos = end
                continue
            if self.next_out >= n - pos:
                self.next_out -= n - pos
                break
            pos += self.next_out
            self.out_left = int(rng.uniform(0.04, 0.25) * self.sr)
            self.next_out = int(rng.exponential(1.0 / (0.6 * self.fault)) * self.sr) + 1
        if self.ramp > 1 and not arc.all():  # 2 ms edges, not a step
            k = np.ones(self.ramp, dtype=np.float32) / self.ramp
            arc = np.convolve(np.concatenate([np.full(self.ramp - 1, arc[0]), arc]), k, "valid").astype(np.float32)
        return arc, clicks

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        ph = self.osc.phases(self.f, n)
        idx = ((ph % 1.0) * 4096).astype(np.int64)
        tone = self.table[idx]
        fl = self.flutter(rng, self.ctl.length(n))
        amp = np.interp(np.arange(n), np.linspace(0, n, fl.size), 0.85 + 0.3 * fl).astype(np.float32)
        gate = (0.5 + 0.5 * sin_cycles(2 * ph)) ** 4  # arcing at both peaks of the mains cycle
        hiss = self.hiss(rng, n, gain=gate * self.g_hiss)
        crack = self.crackle(impulse_train(rng, self.crackle_rate, n, sr)) * 2.0
        if self.fault > 0:
            arc, clicks = self._arc(rng, n)
            hiss *= arc
            amp = amp * (0.25 + 0.75 * arc)
            crack += self.crackle(clicks) * 4.0
        out = hiss + crack.astype(np.float32)
        out += tone * amp
        return to_output(out * self.gain)


class RadioStatic(SoundModel):
    """A receiver tuned between stations.

    FM (the default: "static between stations" on a household radio): with no
    carrier the discriminator's output noise rises 6 dB per octave, and the
    de-emphasis network (75 us in the Americas, 50 us elsewhere) flattens it
    above ~2-3 kHz: a bright, steady hiss reaching the 15 kHz audio limit.

    AM and shortwave (``band=am``): with no carrier to lock on, the receiver's AGC turns the gain all the way
    up: what comes out is its own noise (white, shaped by the IF and audio
    passband, ~150 Hz-5 kHz) fading slowly as the ionosphere moves (QSB:
    seconds, a few dB), atmospherics (sferics: clicks from lightning
    thousands of kilometres away, many faint and a few loud, each as sharp as
    the passband allows), heterodyne whistles where a neighbouring carrier
    beats with the local oscillator (steady, pitch = the frequency offset),
    and now and then a turn of the dial sweeping a whistle through zero beat.
    The receiver is mono: both channels carry the same signal.
    """

    name = "radio_static"
    category = "ambience"
    keywords = ("radio static", "static", "white noise radio", "radio noise", "shortwave", "short wave",
                "untuned radio", "radio tuning", "tuning radio", "radio crackle", "interference",
                "radio interference", "walkie talkie static", "walkie-talkie", "crackling radio")
    description = ("radio static: a receiver between stations: passband hiss fading slowly, sferic "
                   "crackles, heterodyne whistles and a dial sweeping through them")
    outdoor = None
    option_words = {"tuning": ("whistle", 1.0), "shortwave": ("band", "am"), "am": ("band", "am"),
                    "walkie": ("band", "am"), "cb": ("band", "am"), "ham": ("band", "am"),
                    "crackling": ("band", "am"), "crackle": ("band", "am"), "fm": ("band", "fm"),
                    **{k: v for k, v in _MAINS_WORDS.items()}}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        opts = self.params.options
        self.fm = opts.get("band", "fm") != "am"
        # the receiver's passband: the IF filter's skirts are steep
        top = 4000 + 2000 * i
        if self.fm:  # discriminator noise (+6 dB/oct) through de-emphasis (a 1st-order corner), to 15 kHz
            tau = 75e-6 if str(opts.get("mains", 60)) != "50" else 50e-6
            colour = np.vstack([butter("highpass", 1 / (2 * np.pi * tau), sr, 1), butter("lowpass", 15000, sr, 8)])
        else:
            colour = butter("bandpass", (150, top), sr, 4)
        self.hiss = ColoredNoise(sr, colour, channels=1, fade=64)
        self.band = StatefulFilter(butter("bandpass", (150, top), sr, 4), channels=1)
        self.ctl = Control(sr)
        self.fade = Wander(rng, 0.15, self.ctl.rate)  # QSB: slow, a few dB
        self.up = self.ctl.upsampler(2)
        self.dial = Wander(rng, 0.05, self.ctl.rate)
        self.osc = [Oscillator(sr, rng.random()) for _ in range(2)]
        self.whistle_f = rng.uniform(600, 3200, 2)
        self.crackle_rate = (25 + 50 * i) if not self.fm else 0.0  # FM's limiter takes the clicks out
        try:
            self.g_whistle = 0.04 * float(opts.get("whistle", 0.0 if self.fm else 0.5))
        except (TypeError, ValueError):
            self.g_whistle = 0.02
        self.gain = 0.25 * (0.5 + i)  # a weaker signal: the AGC turns the receiver's noise up

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        nc = self.ctl.length(n)
        ctl = self.up(np.vstack([self.fade(rng, nc), self.dial(rng, nc)]), n)
        fade = (10 ** ((ctl[0] - 0.5) * 5 / 20)).astype(np.float32)
        # sferics: Poisson clicks with a heavy-tailed size (many faint, a few loud)
        out = self.hiss(rng, n, gain=fade[None] * np.float32(0.35))[0].astype(np.float64)
        if self.crackle_rate:
            clicks = np.zeros((1, n))
            count = rng.poisson(self.crackle_rate * n / sr)
            at = rng.integers(0, n, count)
            size = rng.pareto(1.6, count) * 0.15 * rng.choice([-1.0, 1.0], count)
            np.add.at(clicks[0], at, np.minimum(size, 8.0))
            out += self.band(clicks)[0] * 6.0
        # heterodynes: one steady, one swept by the dial through zero beat
        sweep = np.abs(self.whistle_f[1] * (2 * ctl[1] - 1.0)) + 40
        if self.g_whistle:
            out += self.g_whistle * (sin_cycles(self.osc[0].phases(self.whistle_f[0], n)) * 0.5
                                     + sin_cycles(self.osc[1].phases(sweep, n)))
        return to_output(np.vstack([out, out]) * self.gain)
