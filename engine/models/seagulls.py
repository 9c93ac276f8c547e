"""Seagulls: a few gulls wheeling about, each calling now and then.

A gull's call is a harsh, harmonic-rich cry: a fundamental of ~0.8-1.6 kHz whose pitch
rises steeply and falls ("kee-ow"), many harmonics shaped by a broad vocal-tract
resonance near 2-3 kHz, a little irregularity of pitch and a rasp (a few per cent
of breath noise and a fast flutter of the level). Calls come as a long "kee-ow", a
series of short "kyow"s (the herring gull's "laugh"), or a single mew. Each gull has
its own voice (pitch, resonance, pace), place and distance.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import ColoredNoise, SplineUpsampler, Sparse, factor_for, low_len, pan_pair, sin_cycles, soft_limit
from .base import EventBus, SoundModel, butter

_JITTER = 0.45  # how far (in its mean gaps) a gull's call strays from its slot


class _Gull:
    def __init__(self, rng: np.random.Generator, small: bool = False) -> None:
        # a smaller gull (black-headed, laughing gull, kittiwake: in harbours alongside the
        # herring gulls) has a smaller syrinx and a shorter neck: its voice sits about half
        # an octave higher, its resonance higher, its calls quicker
        scale = rng.uniform(1.45, 1.7) if small else 1.0
        self.f0 = rng.uniform(850, 1400) * scale        # voice pitch, Hz
        self.formant = rng.uniform(2000, 3000) * np.sqrt(scale)  # vocal-tract resonance, Hz
        self.pace = rng.uniform(0.85, 1.2) * (1.15 if small else 1.0)
        self.pan = rng.uniform(-0.9, 0.9)
        self.dist = rng.random() ** 0.7
        self.gap = rng.uniform(4.0, 9.0)        # mean seconds between calls
        self.jit = 0.0
        self.gain = 1.0


class Seagulls(SoundModel):
    name = "seagulls"
    category = "ambience"
    keywords = ("seagulls", "seagull", "gulls", "gull", "sea gulls", "gulls crying", "gulls calling",
                "gulls screeching", "seabirds", "sea birds")
    description = "seagulls: harsh kee-ow cries and laughing calls from several gulls, near and far"
    outdoor = True
    option_words = {}
    supersedes = ("birds",)

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        count = int(round(3 + 5 * i))
        self.gulls = [_Gull(rng, small=k % 2 == 1) for k in range(count)]  # a mixed flock, half small gulls
        for g in self.gulls:
            g.gap /= 0.6 + 0.8 * i
        # the cries (nothing above ~9 kHz) are made at ~24 kHz and brought up in one pass
        self.fac = factor_for(sr, 24000)
        self.lsr = sr / self.fac
        self.up = SplineUpsampler(self.fac, 2)
        # breath noise through the syrinx: one table of it, read at random places
        self.rasp = signal.sosfilt(butter("bandpass", (1500, 6000), self.lsr, 1),
                                   rng.standard_normal(int(3 * self.lsr))).astype(np.float32)
        self.sched = [Sparse(int(rng.uniform(0.1, 1.5 + k) * self.lsr)) for k in range(count)]
        self.bus = EventBus()
        self.air = ColoredNoise(sr, np.vstack([butter("bandpass", (200, 5000), sr, 1)]), fade=128)
        self.g_air = 0.003
        # bring the gulls' summed power (level^2 / gap: every call is as loud and about as long)
        # to a fixed figure per gull, so no seed's flock is louder for having its gulls nearer
        # and, as with the birds, a gull much louder than the rest (near and busy) is held back
        # a little: one gull must not set the loudness of the flock (a loudness meter's gate
        # hears the loud calls, not the mean)
        mean = float(np.mean([(1 - 0.7 * g.dist) ** 2 / g.gap for g in self.gulls]))
        for g in self.gulls:
            g.gain = min(1.0, ((1 - 0.7 * g.dist) ** 2 / g.gap / mean) ** -0.25)
        power = sum((g.gain * (1 - 0.7 * g.dist)) ** 2 / g.gap for g in self.gulls)
        self.level = 0.06 * np.sqrt(0.06 * count / power) / np.sqrt(count / 5.0)

    def _note(self, rng: np.random.Generator, g: _Gull, dur: float, rise: float, fall: float,
              peak_at: float) -> np.ndarray:
        """One cry: pitch from f0 up by ``rise`` at ``peak_at`` of the note, then down by ``fall``."""
        sr = self.lsr
        m = int(dur * sr)
        u = np.arange(m) / m
        up = np.clip(u / peak_at, 0, 1)
        down = np.clip((u - peak_at) / (1 - peak_at), 0, 1)
        contour = 1 + rise * np.sin(0.5 * np.pi * up) - (rise + fall) * down ** 1.5 * (u > peak_at)
        knots = max(2, int(dur * 25) + 2)  # a slow random wobble of the pitch (~25 Hz knots)
        wobble = np.interp(u * (knots - 1), np.arange(knots), rng.standard_normal(knots)) * 0.3
        f = g.f0 * contour * (1 + 0.025 * wobble) * rng.uniform(0.95, 1.05)
        ph = np.cumsum(f) / sr + rng.random()
        fmean = float(np.mean(f))
        top = int(min(10, 0.45 * sr / (fmean * (1 + rise))))
        # the harmonics by complex rotation: z^k is the k-th harmonic's phasor (one exp for all)
        z = np.exp(1j * (2 * np.pi) * (ph - np.floor(ph))).astype(np.complex64)
        zk = z.copy()
        tone = np.zeros(m, dtype=np.float32)
        for k in range(1, top + 1):
            # a broad resonance over a shallow tilt: a raucous, buzzy cry, not a whistle or a meow
            a = 1.0 / (1 + ((k * fmean - g.formant) / 1400.0) ** 2) + 0.5 / np.sqrt(k)
            tone += np.float32(a) * zk.imag
            zk *= z
        # the syrinx's irregular vibration: a subharmonic (period doubling) under the cry
        tone += 0.35 * sin_cycles(0.5 * ph) * (z * z * z).imag
        off = int(rng.integers(0, self.rasp.size - m)) if m < self.rasp.size else 0
        tone[:min(m, self.rasp.size)] += 0.9 * self.rasp[off:off + m]
        tone *= 1 + 0.3 * sin_cycles(rng.uniform(55, 85) * np.arange(m) / sr)  # the rasp's flutter
        att = max(1, int(0.015 * sr))
        env = np.minimum(np.arange(m) / att, 1.0) * np.minimum((m - np.arange(m)) / (0.3 * m), 1.0) ** 1.5
        return tone * env

    def _call(self, rng: np.random.Generator, g: _Gull) -> np.ndarray:
        sr = self.lsr
        kind = rng.choice(3, p=[0.45, 0.35, 0.2])
        notes: list[tuple[float, np.ndarray]] = []
        at = 0.0
        p = g.pace
        if kind == 0:  # long call: one or two kee-ows, then a run of short kyows
            for _ in range(int(rng.integers(1, 3))):
                d = rng.uniform(0.22, 0.32) / p
                notes.append((at, self._note(rng, g, d, rng.uniform(0.3, 0.5), rng.uniform(0.2, 0.35), 0.3)))
                at += d + rng.uniform(0.08, 0.15) / p
            for k in range(int(rng.integers(3, 8))):
                d = rng.uniform(0.1, 0.15) / p
                notes.append((at, self._note(rng, g, d, 0.2, 0.15, 0.4) * (0.9 - 0.06 * k)))
                at += d + rng.uniform(0.05, 0.09) / p
        elif kind == 1:  # a laugh: ha-ha-ha
            for k in range(int(rng.integers(3, 7))):
                d = rng.uniform(0.09, 0.13) / p
                notes.append((at, self._note(rng, g, d, 0.12, 0.1, 0.35) * (1.0 - 0.08 * k)))
                at += d + rng.uniform(0.06, 0.1) / p
        else:  # a mew: one drawn-out, plaintive cry
            d = rng.uniform(0.45, 0.7) / p
            notes.append((at, self._note(rng, g, d, 0.15, 0.3, 0.2)))
        length = int(at * sr) + max(len(x) for _, x in notes) + 8
        mono = np.zeros(length)
        for start, x in notes:
            k = int(start * sr)
            mono[k:k + len(x)] += x
        # distance: quieter and duller
        cut = 9000 - 6500 * g.dist
        mono = signal.sosfilt(butter("lowpass", cut, sr, 1), mono)
        # a call's energy grows as the square root of its length (a long call is louder overall
        # than a mew, but each moment of it softer): between holding every call's power (a run
        # of long calls then sets a half-minute's loudness) and every call's energy (a run of
        # mews, as a loudness meter's gate hears them, does)
        dur = length / sr
        mono *= np.sqrt(0.8 * sr * np.sqrt(dur / 0.8) / (np.einsum("i,i->", mono, mono) + 1e-12))
        level = self.level * g.gain * (1 - 0.7 * g.dist) * rng.uniform(0.75, 1.0)
        gl, gr = pan_pair(g.pan + rng.uniform(-0.1, 0.1))
        return np.vstack([mono * gl, mono * gr]) * level

    def _gap(self, rng: np.random.Generator, g: _Gull) -> float:
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = g.gap * (1.0 + jit - g.jit)
        g.jit = jit
        return self.lsr * gap

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        low = self.bus.begin(n_l)
        for g, sched in zip(self.gulls, self.sched):
            for start in sched.onsets(n_l, lambda g=g: self._gap(rng, g)):
                self.bus.add(start, self._call(rng, g))
        out = self.up(low, n)
        out += self.air(rng, n, gain=self.g_air)
        return soft_limit(out)
