"""Frogs calling at night: a chorus of several species, each frog with its own voice.

Frog calls are trains of pulses: each pulse a burst of the vocal sac's carrier that
dies in a few milliseconds, the pulse rate and the carrier set by the species.

* tree frog "rib-bit": two short bursts of pulses (~100 per second) on a ~1.2-2.4 kHz carrier;
* spring peeper: a pure whistle near 2.9 kHz sliding up over ~0.15 s;
* toad: a long, even trill (~40 pulses per second, ~1.8 kHz) lasting seconds;
* bullfrog: a deep "jug-o-rum", glottal pulses at ~110 Hz through resonances near
  250 and 600 Hz, now and then, farther off.

Each frog calls in bouts on a jittered grid of its own pace (so any half-minute holds
its share of calls); nearer frogs are louder and brighter.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import ColoredNoise, SplineUpsampler, Sparse, factor_for, low_len, pan_pair, soft_limit
from .base import EventBus, SoundModel, butter

_JITTER = 0.4
# species -> (share of the frogs, mean seconds between calls, relative level)
_SPECIES = {"treefrog": (0.45, 1.6, 1.0), "peeper": (0.3, 1.1, 0.7), "toad": (0.1, 9.0, 0.8),
            "bullfrog": (0.15, 7.0, 0.6)}


# mean seconds a call of each species lasts
_CALL_LEN = {"treefrog": 0.25, "peeper": 0.15, "toad": 4.5, "bullfrog": 0.65}


class _Frog:
    def __init__(self, rng: np.random.Generator, species: str) -> None:
        self.species = species
        self.pitch = rng.uniform(0.9, 1.1)
        self.pan = rng.uniform(-0.9, 0.9)
        self.dist = rng.random() ** 0.8
        self.gap = _SPECIES[species][1] * rng.uniform(0.8, 1.25)
        self.jit = 0.0


class Frogs(SoundModel):
    name = "frogs"
    category = "ambience"
    keywords = ("frogs", "frog", "croaking", "croaking frogs", "frogs croaking", "toads", "toad", "peepers",
                "bullfrog", "bullfrogs", "tree frogs", "treefrogs", "ribbit", "frog chorus", "frogs at night",
                "pond at night", "swamp", "marsh", "bayou", "wetland")
    description = "frogs at night: tree frogs' rib-bits, peepers' whistles, a toad's trill, a distant bullfrog"
    outdoor = True
    option_words = {}
    supersedes = ("lake",)

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        count = int(round(4 + 8 * i))
        names = list(_SPECIES)
        shares = np.array([_SPECIES[s][0] for s in names])
        # deal the species so each chorus holds its share (one bullfrog at most nearby)
        deck = np.repeat(names, np.maximum(1, np.round(shares * count).astype(int)))
        self.frogs = [_Frog(rng, str(s)) for s in rng.permutation(deck)[:count]]
        for f in self.frogs:
            if f.species == "bullfrog":
                f.dist = max(f.dist, 0.5)
        # the calls (nothing much above ~4 kHz) are made at ~12 kHz and brought up in one pass
        self.fac = factor_for(sr, 12000)
        self.esr = esr = sr / self.fac
        self.up = SplineUpsampler(self.fac, 2)
        self.sched = [Sparse(int(rng.uniform(0.05, 1.0 + 0.3 * k) * esr)) for k in range(len(self.frogs))]
        self.bus = EventBus()
        self.air = ColoredNoise(sr, np.vstack([butter("bandpass", (150, 4000), sr, 1)]), fade=128)
        self.g_air = 0.002
        # which species, how near and how busy the frogs drawn are sets how loud the chorus is:
        # bring their summed power (level^2 x call length / gap) to a fixed figure per frog, so
        # every seed's chorus is as loud while near and far frogs keep their difference
        power = sum((_SPECIES[f.species][2] * (1 - 0.75 * f.dist)) ** 2 * _CALL_LEN[f.species] / f.gap
                    for f in self.frogs)
        self.level = 0.05 * np.sqrt(0.05 * len(self.frogs) / power) / np.sqrt(len(self.frogs) / 8.0)
        self.bull_sos = np.vstack([butter("bandpass", (180, 320), esr, 1), butter("lowpass", 900, esr, 4)])
        self.bull_sos2 = butter("bandpass", (480, 750), esr, 1)

    # -- calls ----------------------------------------------------------------------------
    def _pulses(self, rng: np.random.Generator, times: np.ndarray, carrier: float, tau: float,
                length: int) -> np.ndarray:
        """A pulse train: at each time (s) a burst of the carrier dying at ``tau``."""
        sr = self.esr
        w = int(6 * tau * sr)
        t = np.arange(w) / sr
        burst = np.sin(2 * np.pi * carrier * t) * (1 - np.exp(-t / 0.0006)) * np.exp(-t / tau)
        out = np.zeros(length + w)
        for s in (times * sr).astype(int):
            out[s:s + w] += burst * rng.uniform(0.8, 1.0)
        return out[:length]

    def _call(self, rng: np.random.Generator, f: _Frog) -> np.ndarray:
        sr = self.esr
        p = f.pitch
        if f.species == "treefrog":  # rib-bit: two pulsed syllables
            rate = rng.uniform(85, 110)
            syl = [rng.uniform(0.06, 0.09), rng.uniform(0.09, 0.13)]
            gap = rng.uniform(0.05, 0.08)
            times = np.concatenate([np.arange(0, syl[0], 1 / rate), syl[0] + gap + np.arange(0, syl[1], 1 / rate)])
            length = int((syl[0] + gap + syl[1] + 0.03) * sr)
            mono = self._pulses(rng, times, 1700 * p, 0.0025, length)
            mono += 0.5 * self._pulses(rng, times + 0.0004, 3300 * p, 0.0015, length)
        elif f.species == "peeper":  # a rising whistle
            d = rng.uniform(0.12, 0.18)
            m = int(d * sr)
            u = np.arange(m) / m
            ph = np.cumsum(2900 * p * (0.9 + 0.12 * u)) / sr
            env = np.sin(np.pi * np.minimum(u * 1.6, 1.0) / 2) * np.minimum((1 - u) * 6, 1)
            mono = np.sin(2 * np.pi * ph) * env
        elif f.species == "toad":  # a long, even trill
            d = rng.uniform(3.0, 6.0)
            rate = rng.uniform(35, 45)
            times = np.arange(0, d, 1 / rate)
            mono = self._pulses(rng, times, 1800 * p, 0.006, int((d + 0.05) * sr))
            u = np.arange(mono.size) / mono.size
            mono *= np.minimum(u * 8, 1) * np.minimum((1 - u) * 12, 1)
            mono *= 0.6
        else:  # bullfrog: jug-o-rum, low glottal pulses through two resonances
            d = rng.uniform(0.5, 0.8)
            m = int(d * sr)
            f0 = 110 * p
            train = np.zeros(m)
            train[(np.arange(0, d, 1 / f0) * sr).astype(int)] = 1.0
            body = signal.sosfilt(self.bull_sos, train) + 0.6 * signal.sosfilt(self.bull_sos2, train)
            u = np.arange(m) / m
            mono = body * np.minimum(u * 10, 1) * np.minimum((1 - u) * 4, 1) * (0.8 + 0.2 * np.sin(2 * np.pi * 3 * u))
        cut = min(9000 - 6500 * f.dist, 0.4 * sr)
        mono = signal.sosfilt(butter("lowpass", cut, sr, 1), mono)
        mono /= np.sqrt(np.mean(mono ** 2)) + 1e-12
        level = self.level * _SPECIES[f.species][2] * (1 - 0.75 * f.dist) * rng.uniform(0.8, 1.0)
        gl, gr = pan_pair(f.pan)
        return np.vstack([mono * gl, mono * gr]) * level

    def _gap(self, rng: np.random.Generator, f: _Frog) -> float:
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = f.gap * (1.0 + jit - f.jit) / (0.7 + 0.6 * self.i)
        f.jit = jit
        return self.esr * gap

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        low = self.bus.begin(n_l)
        for f, sched in zip(self.frogs, self.sched):
            for start in sched.onsets(n_l, lambda f=f: self._gap(rng, f)):
                self.bus.add(start, self._call(rng, f))
        out = self.up(low, n)
        out += self.air(rng, n, gain=self.g_air)
        return soft_limit(out)
