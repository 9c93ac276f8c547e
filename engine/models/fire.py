"""Fire: the soft, flickering roar of flames, a faint sizzle, bursts of small
sharp crackles and now and then a louder pop of a burning knot.

The roar is noise at ~1.5 kHz (plus a flame "breath" band at ~6 kHz) under a
flicker modulator, brought up by cubic splines; crackles and pops are
individual grains, each with its own length, colour and strength, scattered
into the output in one pass per block (:class:`GrainBus`). Float32 throughout.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import (ColoredNoise, Control, GrainBus, SplineUpsampler, Upsampler, Wander, factor_for, low_len,
                   Sparse, pan_pair, sin_cycles, soft_limit, to_output)
from ._drops import Surface, impacts
from .base import EventBus, SoundModel, StatefulFilter, butter, noise

# kind -> (roar level, crackles per second at intensity 0 and 1, pops per second at 0 and 1, stereo width)
_KINDS = {
    "campfire": (1.0, (15, 90), (0.15, 0.9), 0.6),
    "fireplace": (0.6, (8, 45), (0.12, 0.6), 0.4),
    "bonfire": (1.8, (25, 120), (0.3, 1.6), 0.9),
}


class Fire(SoundModel):
    name = "fire"
    category = "ambience"
    keywords = ("fire", "campfire", "camp fire", "fireplace", "bonfire", "crackling fire", "fire crackle",
                "fire crackling", "log fire", "wood fire", "flames", "burning", "hearth",
                "wood stove", "woodstove", "open fire", "burning logs")
    description = "fire: flickering low roar with bursts of sharp crackles and the odd pop (campfire, fireplace, bonfire)"
    outdoor = None
    option_words = {
        "campfire": ("kind", "campfire"), "camp": ("kind", "campfire"), "fireplace": ("kind", "fireplace"),
        "hearth": ("kind", "fireplace"), "stove": ("kind", "fireplace"), "woodstove": ("kind", "fireplace"),
        "bonfire": ("kind", "bonfire"), "blaze": ("kind", "bonfire"), "burning": ("kind", "bonfire"),
        "raging": ("kind", "bonfire"), "roaring": ("kind", "bonfire"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        kind = self.params.options.get("kind", "campfire")
        roar, (c0, c1), (p0, p1), width = _KINDS.get(kind, _KINDS["campfire"])
        self.crackle_rate = c0 + (c1 - c0) * i
        self.pop_rate = p0 + (p1 - p0) * i
        self.width = width
        self.ctl = Control(sr)
        self.f_lo = factor_for(sr, 1500)
        self.f_mid = factor_for(sr, 6000)
        lo_sr, mid_sr = sr / self.f_lo, sr / self.f_mid
        self.roar = StatefulFilter(np.vstack([butter("lowpass", 180 + 120 * i, lo_sr, 2),
                                              butter("highpass", 35, lo_sr, 1)]), dtype=np.float32)
        self.breath = StatefulFilter(np.vstack([butter("bandpass", (300, 1400), mid_sr, 1)]), dtype=np.float32)
        self.sizzle = ColoredNoise(sr, np.vstack([butter("highpass", 3000, sr, 2), butter("lowpass", 10000, sr, 1)]))
        self.flicker = Wander(rng, 5.0, self.ctl.rate, smooth=0.8)
        self.sway = Wander(rng, 0.25, self.ctl.rate)
        self.burst = Wander(rng, 1.2, self.ctl.rate, smooth=0.8)
        self.ctl_lo = Upsampler(self.ctl.factor // self.f_lo, 1)
        self.ctl_mid = Upsampler(self.ctl.factor // self.f_mid, 1)
        self.ctl_hi = self.ctl.upsampler(1)
        self.lo_up = SplineUpsampler(self.f_lo // self.f_mid, 2)
        self.mid_up = SplineUpsampler(self.f_mid, 2)
        self.g_roar = 0.16 * roar * (0.5 + 0.5 * i) / np.sqrt(self.f_lo)
        self.g_breath = 0.05 * roar * (0.3 + 0.7 * i) / np.sqrt(self.f_mid)
        self.g_sizzle = 0.004 * (0.5 + 0.5 * i)
        self.crackles = GrainBus(int(0.006 * sr), dtype=np.float32)
        self.crackle_sos = butter("bandpass", (1500, 7000), sr, 1).astype(np.float32)
        self.snap_sos = butter("bandpass", (800, 6000), sr, 1)
        self.pops = GrainBus(int(0.08 * sr), dtype=np.float32)
        self.mix = np.array([[1.0, 0.5], [0.5, 1.0]], dtype=np.float32)

    def _crackles(self, rng: np.random.Generator, out: np.ndarray, burst: np.ndarray, scale: float) -> None:
        """Add this block's crackles (times ``scale``) to ``out``."""
        sr = self.sr
        n = out.shape[1]
        count = rng.poisson(self.crackle_rate * 2.2 * n / sr)
        onsets = rng.integers(0, n, count)
        # they come in bursts: thin them by a fast random "activity" curve
        keep = rng.random(count) < burst[onsets * len(burst) // n]
        onsets = onsets[keep]
        g = onsets.size
        length = self.crackles.length
        if g == 0:
            self.crackles.add_into(out, onsets, np.zeros((0, 1), dtype=np.float32), np.zeros((2, 0)))
            return
        t = np.arange(length, dtype=np.float32)[None, :] / np.float32(sr)
        tau = rng.uniform(0.00012, 0.0009, g).astype(np.float32)
        # bright noise bursts: most energy between 1.5 and 7 kHz
        grains = signal.sosfilt(self.crackle_sos, rng.standard_normal((g, length), dtype=np.float32), axis=1)
        grains *= np.exp(t * (-1.0 / tau)[:, None])
        amp = np.minimum(rng.pareto(2.2, g) * 0.25 + 0.05, 1.2)  # mostly small, a few loud
        gl, gr = pan_pair(rng.uniform(-self.width, self.width, g))
        self.crackles.add_into(out, onsets, grains, np.vstack([gl * amp, gr * amp]), scale)

    def _pops(self, rng: np.random.Generator, out: np.ndarray, scale: float) -> None:
        """Add this block's pops (times ``scale``) to ``out``."""
        sr = self.sr
        n = out.shape[1]
        count = rng.poisson(self.pop_rate * n / sr)
        onsets = np.sort(rng.integers(0, n, count))
        length = self.pops.length
        if count == 0:
            self.pops.add_into(out, onsets, np.zeros((0, 1), dtype=np.float32), np.zeros((2, 0)))
            return
        t = (np.arange(length) / sr)[None, :]
        f = rng.uniform(350, 1600, count)[:, None]
        tau = rng.uniform(0.004, 0.018, count)[:, None]
        body = sin_cycles(f * t + rng.random((count, 1))) * np.exp(-t / tau)
        snap = signal.sosfilt(self.snap_sos, rng.standard_normal((count, length)) * np.exp(-t / 0.0008), axis=1)
        grains = 0.6 * body + 2.0 * snap
        # a little sizzle after the pop: sap boiling off
        hiss = rng.standard_normal((count, length)) * np.exp(-t / rng.uniform(0.01, 0.03, (count, 1)))
        grains += 0.12 * np.diff(hiss, axis=1, prepend=0.0)
        grains *= np.minimum(t * sr / 3.0, 1.0)
        amp = rng.uniform(0.35, 1.0, count)
        gl, gr = pan_pair(rng.uniform(-self.width, self.width, count))
        self.pops.add_into(out, onsets, grains.astype(np.float32), np.vstack([gl * amp, gr * amp]), scale)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_c = self.ctl.length(n)
        n_lo, n_mid = low_len(n, self.f_lo), low_len(n, self.f_mid)
        f32 = np.float32
        fl = self.flicker(rng, n_c)
        sway = self.sway(rng, n_c)
        burst = self.burst(rng, n_c)
        level = (0.75 + 0.5 * sway) * (0.7 + 0.6 * fl)
        low = self.roar(self.mix @ noise(rng, 2, n_lo, dtype=f32))
        low *= self.ctl_lo((level * self.g_roar).astype(f32)[None], n_lo)
        mid = self.lo_up(low, n_mid)
        breath = self.breath(self.mix @ noise(rng, 2, n_mid, dtype=f32))
        breath *= self.ctl_mid((level ** 2 * self.g_breath).astype(f32)[None], n_mid)
        mid += breath
        out = self.mid_up(mid, n)
        activity = np.clip(burst * 1.7 - 0.45, 0.03, 1.0) ** 1.5
        self._crackles(rng, out, activity, 0.22)
        self._pops(rng, out, 0.18)
        out += self.sizzle(rng, n, gain=self.ctl_hi(((0.6 + 0.6 * activity) * self.g_sizzle).astype(f32)[None], n))
        return to_output(out)


# a log settling in the grate: wood on wood and iron, a dull knock of a few low modes
_LOG = Surface(modes=((160, 0.05), (310, 0.04), (520, 0.03), (880, 0.02), (1500, 0.012)), detune=0.1,
               click_tau=6e-4, click=0.3, ring=1.0, splash=0.0)
# embers and charcoal tumbling after it: light, glassy ticks
_EMBER = Surface(modes=((3100, 0.004), (4700, 0.003), (6900, 0.002)), detune=0.2, click_tau=6e-5, click=1.0,
                 splash=0.0)


class Fireplace(Fire):
    name = "fireplace"
    category = "ambience"
    keywords = ("fireplace", "hearth", "log fire", "wood stove", "woodstove", "wood burner", "fire in the grate",
                "crackling fireplace", "fireside", "open fire", "burning logs")
    description = "fireplace indoors: a soft roar, fine crackles and hiss of sap, now and then a log settling"
    outdoor = False
    option_words = {}
    supersedes = ("fire",)
    settle_gap = 14.0  # mean seconds between logs settling

    def setup(self, rng: np.random.Generator) -> None:
        self.params = replace(self.params, options={**self.params.options, "kind": "fireplace"})
        super().setup(rng)
        self.crackle_rate *= 1.8  # dry, split logs: fine crackles close by
        self.settles = Sparse(int(rng.uniform(2.0, 8.0) * self.sr))
        self.settle_bus = EventBus()

    def _settle(self, rng: np.random.Generator) -> np.ndarray:
        """A log shifts: one or two knocks, then a trickle of embers."""
        sr = self.sr
        m = int(0.9 * sr)
        out = np.zeros((2, m), dtype=np.float32)
        knocks = int(rng.integers(1, 3))
        klen = int(0.3 * sr)
        grains = impacts(rng, _LOG, sr, knocks, klen, 4)
        pan = rng.uniform(-0.4, 0.4)
        for j in range(knocks):
            at = int(j * rng.uniform(0.06, 0.2) * sr)
            a = rng.uniform(0.5, 1.0) * 0.12
            out[0, at:at + klen] += grains[j] * np.float32(a * (1 - pan))
            out[1, at:at + klen] += grains[j] * np.float32(a * (1 + pan))
        count = int(rng.integers(5, 16))
        elen = int(0.02 * sr)
        ticks = impacts(rng, _EMBER, sr, count, elen, 3)
        at = (rng.uniform(0.03, 0.7, count) ** 1.5 * sr).astype(int)
        for j in range(count):
            a = np.float32(0.02 * rng.uniform(0.2, 1.0))
            p = rng.uniform(-0.5, 0.5)
            out[0, at[j]:at[j] + elen] += ticks[j] * a * np.float32(1 - p)
            out[1, at[j]:at[j] + elen] += ticks[j] * a * np.float32(1 + p)
        return out

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = super().render_block(rng, n)
        bus = self.settle_bus.begin(n)
        for start in self.settles.onsets(n, lambda: self.settle_gap * rng.uniform(0.6, 1.4) * self.sr):
            self.settle_bus.add(start, self._settle(rng))
        out += bus
        return soft_limit(out, in_place=True)
