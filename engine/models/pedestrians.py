"""Pedestrians on a pavement: people walking past the listener, their footsteps and snatches of talk.

On a busy street heard from the pavement, people are not a standing crowd of
talkers: each one walks past (1.1-1.7 m/s) a metre or a few away, their steps
(~2 a second) and, for some, a few seconds of conversation or a phone call
coming up, passing and going, level as 1/distance and the image panning across
with them. Most of the time nobody near is talking; the traffic is the bed.
Each passer is made whole when they appear (at ~12 kHz, brought up by a cubic
spline): footsteps from a set of made takes (hard heels: a click of 1-4.5 kHz
over a low knock; soft soles: a duller scuff), and talk read from the crowd's
babble material (the bundled voice, and the WORLD-derived women and deeper men
where they are there) at a random place. Arrivals keep to a jittered grid at
the mean rate, so the count per minute does not depend on the seed. The
facades across the street return a faint, dull slap ~30-60 ms later.
"""

from __future__ import annotations

import numpy as np

from ._amb import Sparse, SplineUpsampler, factor_for, low_len, pan_pair, to_output
from ._babble import material
from .base import EventBus, SoundModel, StatefulFilter, butter

SPAN = 4.5  # seconds a passer is heard either side of passing the listener
_JITTER = 0.45  # how far (in mean gaps) a passer strays from their slot on the grid
_BANDS = ((1.2, 2.0), (2.0, 3.0), (3.0, 4.5))  # lateral distance bands, m
REF_M = 1.5
#: bands (Hz) of a hard heel's click and a soft sole's scuff: a few fixed shapes (filter designs
#: are cached by their arguments), the takes differ by their noise, decay and weight
_HEEL = ((1000, 3500), (1300, 4000), (1700, 4500))
_SOLE = ((300, 1800), (450, 2400), (600, 3000))
TALK_RMS = 0.1  # a line's level at REF_M: conversational effort, well over a footstep's


def _step_take(rng: np.random.Generator, sr: float, hard: bool) -> np.ndarray:
    """One footfall on paving: a hard heel is a sharp click (the heel's edge on stone, 1-4.5 kHz,
    a few ms) on a low knock (the body's weight, ~100-250 Hz); a soft sole is a duller scuff."""
    n = int(0.06 * sr)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    if hard:
        band = butter("bandpass", _HEEL[int(rng.integers(len(_HEEL)))], sr, 2)
        click = StatefulFilter(band, channels=1)(noise[None])[0] * np.exp(-t / rng.uniform(0.003, 0.007))
        f = rng.uniform(110, 240)
        knock = np.sin(2 * np.pi * f * t) * np.exp(-t / 0.012) * rng.uniform(0.3, 0.6)
        out = click * 1.5 + knock
    else:
        band = butter("bandpass", _SOLE[int(rng.integers(len(_SOLE)))], sr, 2)
        scuff = StatefulFilter(band, channels=1)(noise[None])[0]
        out = scuff * np.clip(t / 0.004, 0, 1) * np.exp(-t / rng.uniform(0.015, 0.03))
    return (out / (np.sqrt(np.mean(out[: n // 3] ** 2)) + 1e-12) * 0.1).astype(np.float32)


class Pedestrians(SoundModel):
    name = "pedestrians"
    category = "ambience"
    keywords = ("pedestrians", "passers-by", "passersby", "people walking by", "people walking past",
                "people passing", "foot traffic", "busy pavement", "busy sidewalk")
    needs_floor = True
    description = ("pedestrians walking past on the pavement: footsteps and brief snatches of talk, "
                   "coming up, passing and gone")
    outdoor = True
    default_level_db = -6.0  # sparse: when someone passes they are near, so the layer sits well under the bed
    option_words = {"night": ("time", "night"), "midnight": ("time", "night"), "nighttime": ("time", "night")}

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.fac = factor_for(self.sr, 12000)  # talk and heel clicks carry little above 6 kHz
        self.lo = lo = self.sr / self.fac
        night = self.params.options.get("time") == "night"
        # passers within a few metres, per second: a busy day pavement ~ one every 2 s
        self.rate = (0.2 + 0.45 * i) * (0.35 if night else 1.0)
        # lines spoken per passer, dealt from a shuffled deck (one friend talking, two friends,
        # nobody, nobody): any few passers hold the same mix, so no seed is all talk or all steps
        self.talk_deck_of = (1, 0, 0) if night else (1, 2, 0, 0)
        self.deck: list[tuple[int, int]] = []
        self.hard = [_step_take(rng, lo, True) for _ in range(10)]
        self.soft = [_step_take(rng, lo, False) for _ in range(8)]
        rate = int(round(lo))
        speech = material(rate)
        self.voices = [m for m in (speech, material(rate, "woman"), material(rate, "deep")) if m is not None] \
            if speech is not None else []
        self.bus = EventBus()
        self.up = SplineUpsampler(self.fac, 2)
        # the facades opposite: one dull, late reflection of everyone passing
        self.slap = int(rng.uniform(0.03, 0.06) * lo)
        self.jit = rng.uniform(-_JITTER, _JITTER)
        # the pavement is already busy: passers who started up to 2 * SPAN s ago are on their way
        self.pending: list[tuple[int, np.ndarray]] = []
        s = -2 * SPAN + rng.uniform(0.0, 1.0) / self.rate
        while s < 0:
            ev = self._passer(rng)
            cut = int(-s * lo)
            if cut < ev.shape[1]:
                self.pending.append((0, ev[:, cut:]))
            s += self._gap(rng)
        self.sched = Sparse(int(s * self.sr))

    def _gap(self, rng: np.random.Generator) -> float:
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = (1.0 + jit - self.jit) / self.rate
        self.jit = jit
        return gap

    def _deal(self, rng: np.random.Generator) -> tuple[float, int, float]:
        """Where the next passer walks (by the kerb, mid-pavement, by the shops) and how many
        lines they speak, dealt from a shuffled deck of every pairing of the two: any dozen
        passers hold the same mix, so a run of near talkers (or of silent far walkers) cannot
        set a render's level. Returns (distance m, lines spoken, the band's middle distance)."""
        if not self.deck:
            pairs = [(b, t) for b in range(len(_BANDS)) for t in self.talk_deck_of]
            self.deck = [pairs[k] for k in rng.permutation(len(pairs))]
        band, lines = self.deck.pop()
        lo, hi = _BANDS[band]
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), int(lines), float(np.sqrt(lo * hi))

    def _passer(self, rng: np.random.Generator) -> np.ndarray:
        """One person walking past, whole: (2, m) at the low rate, starting SPAN s before they
        pass closest."""
        lo = self.lo
        m = int(2 * SPAN * lo)
        v = rng.uniform(1.1, 1.7)
        d, lines, d_mid = self._deal(rng)
        side = 1.0 if rng.random() < 0.5 else -1.0
        mono = np.zeros(m, dtype=np.float32)
        # footsteps: a cadence of 1.7-2.1 steps a second, each a little early or late
        hard = rng.random() < 0.5
        takes = self.hard if hard else self.soft
        cadence = rng.uniform(1.7, 2.1)
        t = rng.uniform(0, 1 / cadence)
        step_g = rng.uniform(0.35, 0.6) * (1.0 if hard else 0.7)  # a heel at 1.5 m: ~10 dB under talk
        while t < 2 * SPAN - 0.07:
            k = int(t * lo)
            take = takes[int(rng.integers(len(takes)))]
            mono[k:k + take.size] += take[: m - k] * np.float32(step_g * rng.uniform(0.7, 1.0))
            t += (1 + rng.uniform(-0.04, 0.04)) / cadence
        # talk: a snatch of conversation or a phone call as they pass
        talk = np.zeros(m, dtype=np.float32)
        if self.voices and lines:
            start = int((SPAN + rng.uniform(-1.5, -0.6)) * lo)  # heard as they come up and pass
            for _ in range(lines):  # two friends: a line each, the second answering the first
                src = self.voices[int(rng.integers(len(self.voices)))]
                length = min(int(rng.uniform(1.3, 2.4) * lo), m - start)
                if length < int(0.3 * lo):
                    break
                at = int(rng.integers(0, src.size - length))
                line = src[at:at + length].astype(np.float32)
                line *= np.float32(TALK_RMS / max(1e-4, float(np.sqrt(np.mean(line ** 2)))))
                fade = int(0.05 * lo)
                line[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
                line[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
                talk[start:start + length] += line
                start += length + int(rng.uniform(0.1, 0.4) * lo)
        # the walk past: level as 1/distance, faded in and out at the edges of hearing, the image
        # panning across; the geometry on a 5 ms grid, interpolated
        step = max(1, int(0.005 * lo))
        knots = np.arange(0, m + step, step)
        s = knots / lo - SPAN
        x = v * s * side
        r = np.sqrt(x * x + d * d)
        g = (REF_M / np.maximum(r, REF_M * 0.7)) * np.clip((SPAN - np.abs(s)) / 1.0, 0, 1)
        gl, gr = pan_pair(x / (r + 0.5) * 0.9)
        at = np.arange(m)
        out = np.empty((2, m), dtype=np.float32)
        out[0] = np.interp(at, knots, g * gl)
        out[1] = np.interp(at, knots, g * gr)
        if lines and self.voices:
            # what reaches the listener of a talker's lines is set by the band they walk in (a
            # talker just nearer or further, or talking a moment earlier, changes the swell, not
            # the layer's level: seed to seed, a few talkers must land at the same loudness)
            heard = float(np.sum(talk ** 2 * (out[0] ** 2 + out[1] ** 2)))
            want = lines * TALK_RMS ** 2 * 1.85 * lo * 2.0 * (REF_M / d_mid) ** 2
            mono += talk * np.float32(np.sqrt(want / max(heard, 1e-12)))
        # the slap off the facades across the street: late, dulled (a 4-point average), ~-12 dB
        dull = np.cumsum(mono, dtype=np.float32)
        dull[4:] -= dull[:-4].copy()
        mono[self.slap:] += dull[:-self.slap] * np.float32(0.25 / 4)
        out *= mono
        return out

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        buf = self.bus.begin(n_l)
        for start, ev in self.pending:
            self.bus.add(start, ev)
        self.pending = []
        for start in self.sched.onsets(n, lambda: self.sr * self._gap(rng)):
            self.bus.add(start // self.fac, self._passer(rng))
        return to_output(self.up(buf.astype(np.float32), n))
