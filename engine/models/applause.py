"""Applause: many people clapping, from a polite patter to an ovation.

A hand clap is a short burst of air squeezed out between the palms, coloured by
the cavity the hands form: a resonance between ~800 Hz (cupped) and ~2.5 kHz (flat,
"slap") with a Q of 3-8, over a broadband crack; the whole burst lasts 5-10 ms
(Repp 1987; Peltola et al. 2007, "Synthesis of hand-clapping sounds"). Every
clapper keeps one hand shape (so one resonance) and one tempo of 3-6 claps a
second, with a jitter of a few per cent of the period. So: a dozen clap kernels
convolved with impulse trains (:class:`KernelBank32`), 20 to 500 clappers summed.
The audience spreads over the floor (density ~ r, level ~ 1/r, nobody closer than
a few metres), so no single pair of hands stands out of the grainy texture; the far
rows of an arena are heard mostly through its reverberation (:class:`~._hall.Wash`). The ovation swells
and settles over seconds within a few dB, so its long-term level holds.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import Control, KernelBank32, SplineUpsampler, Wander, factor_for, low_len, to_output
from ._hall import Wash
from .base import BLOCK, SoundModel, butter

_KERNELS = 12


def _clap_kernel(rng: np.random.Generator, sr: int, f: float, q: float) -> np.ndarray:
    """One hand-clap prototype: the air jet squeezed from between the palms (a noise puff of
    a millisecond or two) plus the ring of the hands' cavity at ``f``, 5-10 ms in all,
    dulled by skin above ~8 kHz."""
    n = int(0.02 * sr)
    t = np.arange(n) / sr
    sr = int(round(sr))
    puff = rng.standard_normal(n) * (np.clip(t / 0.0003, 0, 1) * np.exp(-t / rng.uniform(0.0012, 0.0022)))
    b, a = signal.iirpeak(min(f, 0.4 * sr), q, fs=sr)
    y = 0.8 * signal.lfilter(b, a, puff) + 0.35 * puff
    y = signal.sosfilt(np.vstack([butter("highpass", 500, sr, 2), butter("lowpass", 8000, sr, 1)]), y)
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
        people = int({"small": 8 + 22 * i, "large": 200 + 300 * i}.get(size, 20 + 160 * i))
        self.people = people
        # kernels span the hand shapes: cupped (low) to flat (high)
        freqs = np.geomspace(800, 2500, _KERNELS) * rng.uniform(0.95, 1.05, _KERNELS)
        qs = rng.uniform(3, 8, _KERNELS)
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
        near = {"small": 3.0, "large": 8.0}.get(size, 5.0)
        r = np.sqrt(rng.uniform(near ** 2, (near * 5) ** 2, people))
        theta = (rng.uniform(-0.9, 0.9, people) + 1) * np.pi / 4
        self.amp_lr = np.vstack([np.cos(theta), np.sin(theta)]) * (np.sqrt(2) * 2.0 / r)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.25, self.ctl.rate)
        # level normalised to the crowd's clapping energy, then louder for a bigger, keener crowd
        # an arena: its diffuse field holds every clapper alike, whatever their distance (in a
        # theatre or a room the scene's own room reverberates the applause: nothing added here)
        self.hall = Wash(2.0, lo, seed=int(rng.integers(1 << 30))) if size == "large" else None
        self.wet = 0.35
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
        direct = self.bank(self._trains(rng, n_l), n_l)
        if self.hall is not None:
            direct += self.hall(direct) * np.float32(self.wet)
        y = self.up(direct, n)
        sw = self.swell(rng, self.ctl.length(n))
        g = np.interp(np.arange(n), np.linspace(0, n, sw.size), 10 ** ((sw - 0.5) * 4.0 / 20))
        out = y * (g * self.gain).astype(np.float32)
        return to_output(out)
