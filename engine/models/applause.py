"""Applause: many people clapping, from a polite patter to an ovation.

A hand clap is a short burst of air squeezed out between the palms, coloured by
the cavity the cupped hands form: a resonance between ~700 Hz (cupped, "pop")
and ~2.5 kHz (flat, "slap") with a Q of 3-10 (Repp 1987; Peltola et al. 2007,
"Synthesis of hand-clapping sounds"). Each clapper keeps a steady rate of
3-6 claps a second with a little jitter. So: a handful of clap kernels (noise
bursts through different hand resonances, a few milliseconds long) convolved
with impulse trains (:class:`KernelBank32`). Far clappers blur into a dense
Poisson rain of claps; a few near clappers are kept periodic, which is what
makes real applause read as hands rather than as hiss. The ovation swells and
settles slowly, within a couple of dB, so its long-term level holds.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import Control, KernelBank32, SplineUpsampler, Wander, factor_for, low_len, to_output
from .base import BLOCK, SoundModel, butter

_KERNELS = 5


def _clap_kernel(rng: np.random.Generator, sr: int, f: float, q: float) -> np.ndarray:
    """One hand-clap prototype: the air jet squeezed from between the palms (a noise puff of
    a few milliseconds) ringing the cavity of the hands, dulled by skin above ~5 kHz."""
    n = int(0.025 * sr)
    t = np.arange(n) / sr
    sr = int(round(sr))
    puff = rng.standard_normal(n) * (np.clip(t / 0.0004, 0, 1) * np.exp(-t / rng.uniform(0.0012, 0.0028)))
    b, a = signal.iirpeak(min(f, 0.4 * sr), q, fs=sr)
    y = signal.lfilter(b, a, puff) + 0.25 * puff
    y = signal.sosfilt(np.vstack([butter("highpass", 250, sr, 2), butter("lowpass", 5000, sr, 1)]), y)
    return y / np.sqrt(np.sum(y ** 2))


class Applause(SoundModel):
    name = "applause"
    category = "ambience"
    keywords = ("applause", "applauding", "applaud", "clapping", "claps", "clap", "hand clapping",
                "round of applause", "ovation", "standing ovation", "audience claps", "audience clapping",
                "people clapping", "crowd clapping", "handclaps", "hand claps")
    description = "applause: many people clapping, each at their own steady tempo, hand shape and seat"
    outdoor = None
    option_words = {"ovation": ("size", "large"), "standing": ("size", "large"), "stadium": ("size", "large"),
                    "arena": ("size", "large"), "polite": ("size", "small"), "few": ("size", "small"),
                    "small": ("size", "small"), "scattered": ("size", "small")}

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        size = self.params.options.get("size", "")
        people = int({"small": 6 + 14 * i, "large": 150 + 350 * i}.get(size, 12 + 90 * i))
        self.people = people
        # kernels span the hand shapes: cupped (low) to flat (high)
        freqs = np.geomspace(650, 2200, _KERNELS) * rng.uniform(0.93, 1.07, _KERNELS)
        qs = rng.uniform(2, 6, _KERNELS)
        # claps carry little above ~8 kHz: convolved at half the rate (~24 kHz), then a spline up
        self.fac = factor_for(sr, 24000)
        self.lo_sr = lo = sr / self.fac
        self.kernels = [_clap_kernel(rng, lo, f, q) for f, q in zip(freqs, qs)]
        self.bank = KernelBank32(self.kernels, block=BLOCK // self.fac + 1)
        self.up = SplineUpsampler(self.fac, 2)
        # every clapper keeps one hand shape, one tempo (3-6 claps/s) and one seat: distance r
        # with density ~ r over the audience's floor (level ~ 1/r), a few metres at the nearest
        self.rate = rng.uniform(3.2, 5.8, people)
        self.phase = rng.random(people)
        self.kernel = rng.integers(0, _KERNELS, people)
        r = np.sqrt(rng.uniform(6.0 ** 2, 25.0 ** 2, people))
        theta = (rng.uniform(-0.9, 0.9, people) + 1) * np.pi / 4
        self.amp_lr = np.vstack([np.cos(theta), np.sin(theta)]) * (np.sqrt(2) * 2.0 / r)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.25, self.ctl.rate)
        # level normalised to the crowd's clapping energy, then louder for a bigger, keener crowd
        self.gain = 0.6 / np.sqrt(float(np.sum(self.amp_lr ** 2)) * 4.5 / 50) * (0.55 + 0.9 * i)

    def _trains(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Every clapper's claps in this block, as (kernel, channel, n) impulse trains: clap j
        of a clapper lands where its phase crosses an integer, jittered by a few ms."""
        step = self.rate / self.lo_sr
        first = np.ceil(self.phase)
        count = (np.floor(self.phase + step * n - 1e-12) - first + 1).astype(np.int64)
        most = int(count.max(initial=0))
        trains = self.bank.framed(n)  # straight into the convolution's FFT frames
        if most > 0:
            j = np.arange(most)
            who, col = np.nonzero(j[None, :] < count[:, None])
            pos = (first[who] + col - self.phase[who]) / step[who]
            pos = np.clip(np.round(pos + rng.normal(0, 0.006 * self.lo_sr, pos.size)), 0, n - 1).astype(np.int64)
            amp = rng.uniform(0.75, 1.0, pos.size)
            flat = trains.reshape(-1)
            row = trains.shape[2] * trains.shape[3]
            base = self.kernel[who] * (2 * row) + self.bank.offsets(pos)
            np.add.at(flat, base, (amp * self.amp_lr[0, who]).astype(np.float32))
            np.add.at(flat, base + row, (amp * self.amp_lr[1, who]).astype(np.float32))
        self.phase = (self.phase + step * n) % 1.0
        return trains

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        y = self.up(self.bank(self._trains(rng, n_l), n_l), n)
        sw = self.swell(rng, self.ctl.length(n))
        g = np.interp(np.arange(n), np.linspace(0, n, sw.size), 10 ** ((sw - 0.5) * 2.5 / 20))
        out = y * (g * self.gain).astype(np.float32)
        return to_output(out)
