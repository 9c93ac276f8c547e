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
from scipy import signal

from ._amb import Control, KernelBank32, Wander, to_output
from .base import BLOCK, SoundModel, butter, impulse_train

_KERNELS = 8


def _clap_kernel(rng: np.random.Generator, sr: int, f: float, q: float) -> np.ndarray:
    """One hand-clap prototype: a ~1 ms noise puff ringing the hand cavity resonance."""
    n = int(0.03 * sr)
    t = np.arange(n) / sr
    puff = rng.standard_normal(n) * np.exp(-t / rng.uniform(0.0008, 0.0018))
    b, a = signal.iirpeak(min(f, 0.4 * sr), q, fs=sr)
    edge = signal.sosfilt(butter("lowpass", 6000, sr, 1), puff)  # the slap's broadband edge, dulled by skin
    y = signal.lfilter(b, a, puff) * 0.8 + 0.2 * edge
    y = signal.sosfilt(butter("highpass", 300, sr, 2), y)
    y *= np.exp(-t / 0.006)
    return y / np.sqrt(np.sum(y ** 2))


class Applause(SoundModel):
    name = "applause"
    category = "ambience"
    keywords = ("applause", "applauding", "applaud", "clapping", "claps", "clap", "hand clapping",
                "round of applause", "ovation", "standing ovation", "audience claps", "audience clapping",
                "people clapping", "crowd clapping", "handclaps", "hand claps")
    description = "applause: many hands clapping (dense claps with a few near, distinct clappers)"
    outdoor = None
    option_words = {"ovation": ("size", "large"), "standing": ("size", "large"), "stadium": ("size", "large"),
                    "arena": ("size", "large"), "polite": ("size", "small"), "few": ("size", "small"),
                    "small": ("size", "small"), "scattered": ("size", "small")}

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        size = self.params.options.get("size", "")
        people = {"small": 8 + 20 * i, "large": 250 + 600 * i}.get(size, 25 + 220 * i)
        self.rate = people * 4.2 / _KERNELS  # claps per second per kernel, far clappers
        # kernels span the hand shapes: cupped (low) to flat (high)
        freqs = np.geomspace(750, 2600, _KERNELS) * rng.uniform(0.93, 1.07, _KERNELS)
        qs = rng.uniform(3, 9, _KERNELS)
        self.kernels = [_clap_kernel(rng, sr, f, q) for f, q in zip(freqs, qs)]
        self.bank = KernelBank32(self.kernels, block=BLOCK)
        # near clappers: periodic, each with its own hand shape, rate and position
        self.near = int(2 + 3 * i) if size != "small" else 2
        self.near_rate = rng.uniform(3.4, 5.6, self.near)
        self.near_phase = rng.random(self.near)
        self.near_kernel = rng.integers(0, _KERNELS, self.near)
        self.near_pan = rng.uniform(-0.8, 0.8, self.near)
        # a near clap carries about as much as 1/3 of the whole far crowd per second, shared out
        self.near_amp = np.sqrt(max(people, 8) * 4.2 * 0.33 / 4.2 / self.near) * 0.55
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.25, self.ctl.rate)
        self.gain = 0.6 / np.sqrt(people * 4.2 / 100)

    def _near_train(self, rng: np.random.Generator, n: int, trains: np.ndarray) -> None:
        sr = self.sr
        for k in range(self.near):
            step = self.near_rate[k] / sr
            ph0 = self.near_phase[k]
            # clap j lands where the phase crosses an integer; jitter +-8 ms
            first = int(np.ceil(ph0))
            last = int(np.floor(ph0 + step * n - 1e-12))
            if last >= first:
                idx = (np.arange(first, last + 1) - ph0) / step
                idx = np.clip(np.round(idx + rng.normal(0, 0.008 * sr, idx.size)), 0, n - 1).astype(np.int64)
                amp = self.near_amp * rng.uniform(0.7, 1.0, idx.size)
                theta = (self.near_pan[k] + 1) * np.pi / 4
                kern = self.near_kernel[k]
                np.add.at(trains[kern, 0], idx, amp * np.cos(theta) * np.sqrt(2))
                np.add.at(trains[kern, 1], idx, amp * np.sin(theta) * np.sqrt(2))
            self.near_phase[k] = (ph0 + step * n) % 1.0

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        trains = np.zeros((_KERNELS, 2, n), dtype=np.float32)
        for k in range(_KERNELS):
            impulse_train(rng, self.rate, n, self.sr, out=trains[k], dtype=np.float32)
        self._near_train(rng, n, trains)
        y = self.bank(trains, n)
        sw = self.swell(rng, self.ctl.length(n))
        g = np.interp(np.arange(n), np.linspace(0, n, sw.size), 10 ** ((sw - 0.5) * 2.5 / 20))
        out = y * (g * self.gain).astype(np.float32)
        return to_output(out)
