"""Applause: many people clapping, from a polite patter to an ovation.

A hand clap is a short burst of air squeezed out between the palms, coloured by
the cavity the hands form: a resonance between ~800 Hz (cupped) and ~2.5 kHz (flat,
"slap") with a Q of 3-8, over a broadband crack; the whole burst lasts 5-10 ms
(Repp 1987; Peltola et al. 2007, "Synthesis of hand-clapping sounds"). Every
clapper keeps one hand shape (so one resonance) and one tempo of 3-6 claps a
second, each clap off the beat by up to a fifth of a period and made with a hand shape
close to, not always exactly, the clapper's usual one. So: sixteen clap kernels
convolved with impulse trains (:class:`KernelBank32`), 20 to 500 clappers summed.
The audience spreads over the floor (density ~ r, level ~ 1/r, nobody closer than
a few metres), so no single pair of hands stands out of the grainy texture; the far
rows of an arena are heard mostly through its reverberation (:class:`~._hall.Wash`). The ovation swells
and settles over seconds within a couple of dB, so its long-term level holds.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import Control, KernelBank32, SplineUpsampler, Wander, factor_for, low_len, to_output
from ._hall import Wash
from .base import BLOCK, SoundModel, butter

_KERNELS = 16
_JITTER = 0.2  # the most a clap strays from its clapper's beat, in periods (std ~0.08)


def _hash_uniforms(k: np.ndarray, c: np.ndarray, salt: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three uniforms in [0, 1) per (clapper, clap): a counter-based hash (splitmix64), so
    a clap's jitter and hand shape do not depend on which block renders it."""
    x = (k.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (c.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9))
    x ^= np.uint64(salt)
    out = []
    for _ in range(3):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        out.append((z >> np.uint64(11)).astype(np.float64) / float(1 << 53))
    return out[0], out[1], out[2]


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
        self.phase = rng.random(people) + 1.0  # absolute beat count (>= 1: the jitter window stays positive)
        self.salt = int(rng.integers(1 << 62))
        self.kernel = rng.integers(0, _KERNELS, people)
        near = {"small": 3.0, "large": 8.0}.get(size, 5.0)
        # seats spread evenly over the floor (stratified, not drawn at random: the few nearest
        # clappers set much of the loudness, so it then varies little from seed to seed)
        u = rng.permutation((np.arange(people) + rng.uniform(0.2, 0.8, people)) / people)
        r = np.sqrt(near ** 2 + ((near * 5) ** 2 - near ** 2) * u)
        theta = (rng.uniform(-0.9, 0.9, people) + 1) * np.pi / 4
        self.amp_lr = np.vstack([np.cos(theta), np.sin(theta)]) * (np.sqrt(2) * 2.0 / r)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.25, self.ctl.rate)
        # level normalised to the crowd's clapping energy, then louder for a bigger, keener crowd
        # an arena: its diffuse field holds every clapper alike, whatever their distance (in a
        # theatre or a room the scene's own room reverberates the applause: nothing added here)
        self.hall = Wash(1.6, lo, seed=int(rng.integers(1 << 30))) if size == "large" else None
        self.wet = 0.35
        self.gain = 0.6 / np.sqrt(float(np.sum(self.amp_lr ** 2)) * 4.5 / 50) * (0.55 + 0.9 * i)

    def _trains(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Every clapper's claps in this block, as (kernel, channel, n) impulse trains.

        Clap c of clapper k is due where its phase reaches c, moved by its own jitter (up
        to a fifth of a period: nobody claps like a metronome) and made with a hand shape
        next to the clapper's usual one. Both come from a hash of (k, c), not from the
        block's random stream, so a clap jittered across a block boundary lands exactly
        once, in whichever block it falls: the texture has no seams and stays prefix-stable.
        """
        step = self.rate / self.lo_sr
        a = self.phase
        lo_c = np.ceil(a - _JITTER).astype(np.int64)
        hi_c = np.floor(a + step * n + _JITTER).astype(np.int64)
        count = hi_c - lo_c + 1
        most = int(count.max(initial=0))
        trains = self.bank.framed(n)  # straight into the convolution's FFT frames
        if most > 0:
            j = np.arange(most)
            who, col = np.nonzero(j[None, :] < count[:, None])
            c = lo_c[who] + col
            u1, u2, u3 = _hash_uniforms(who, c, self.salt)
            pos = (c + (u1 + u2 - 1.0) * _JITTER - a[who]) / step[who]
            keep = (pos >= 0) & (pos < n)
            who, pos, u3 = who[keep], pos[keep].astype(np.int64), u3[keep]
            kernel = np.clip(self.kernel[who] + np.floor(u3 * 3).astype(np.int64) - 1, 0, _KERNELS - 1)
            amp = 0.75 + 0.25 * u3[::-1] if u3.size else u3
            flat = trains.reshape(-1)
            row = trains.shape[2] * trains.shape[3]
            base = kernel * (2 * row) + self.bank.offsets(pos)
            np.add.at(flat, base, (amp * self.amp_lr[0, who]).astype(np.float32))
            np.add.at(flat, base + row, (amp * self.amp_lr[1, who]).astype(np.float32))
        self.phase = a + step * n
        return trains

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        direct = self.bank(self._trains(rng, n_l), n_l)
        if self.hall is not None:
            direct += self.hall(direct) * np.float32(self.wet)
        y = self.up(direct, n)
        sw = self.swell(rng, self.ctl.length(n))
        g = np.interp(np.arange(n), np.linspace(0, n, sw.size), 10 ** ((sw - 0.5) * 2.5 / 20))
        out = y * (g * self.gain).astype(np.float32)
        return to_output(out)
