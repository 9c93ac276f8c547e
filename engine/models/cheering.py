"""Cheering: hundreds of voices shouting "yeah!", "woo!", "come on!" in a big open space.

A cheer is sustained, open-vowel shouting: every voice calls out a half to a whole
octave above its speaking pitch, the pitch rising then falling over each call, held
longer than speech, with the bright spectrum of raised vocal effort (the takes come
from the bundled voice through WORLD, see ``_vocal``). A few shouters near the
microphone stand out; behind them hundreds more, each a reader of a pre-mixed chorus
(two dozen shouters per reader), dulled by distance and heard through the arena's long
reverberation, which fuses them into a roar. Whistles (a finger whistle: a pure tone
at 2-3.5 kHz swooping up and down) ride on top, and the crowd's excitement swells and
settles over seconds. Without a voice installed the roar is band-limited noise shaped
by vowel formants: a crowd far off.
"""

from __future__ import annotations

import numpy as np

from . import _vocal
from ._amb import (Control, SplineUpsampler, Sparse, Wander, _axpy, factor_for, low_len, pan_pair, sin_cycles,
                   to_output)
from ._hall import Wash
from .base import BLOCK, EventBus, SoundModel, StatefulFilter, butter, noise


class Cheering(SoundModel):
    name = "cheering"
    category = "ambience"
    keywords = ("cheering", "cheer", "cheers", "crowd cheering", "cheering crowd", "fans cheering", "whooping",
                "crowd roar", "roaring crowd", "crowd roaring", "crowd goes wild", "people cheering")
    description = ("cheering: hundreds of shouted 'yeah!'/'woo!' calls with rising and falling pitch, "
                   "whistles, in a big reverberant space")
    outdoor = None

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        self.fac = factor_for(sr, 12000)
        self.lo_sr = lo = sr / self.fac
        rate = int(round(lo))
        cheers = _vocal.takes("cheer", rate)
        self.up = SplineUpsampler(self.fac, 2)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.3, self.ctl.rate)
        self.depth_db = 5.0
        self.gain = 1.2 * (0.5 + 0.8 * i)  # a keener crowd: more of them, and louder
        self.hall = Wash(1.5, lo, seed=int(rng.integers(1 << 30)))
        self.wet = 0.2
        self.far_filter = StatefulFilter(np.vstack([butter("lowpass", 3500, lo, 1), butter("highpass", 250, lo, 1)]),
                                         dtype=np.float32)
        self.whistle_rate = 0.25 + 0.6 * i
        self.whistles = EventBus()
        self.whistle_sched = Sparse(int(rng.uniform(0.2, 2.0) * lo))
        if cheers is None:  # no voice: a formant-shaped roar
            self.reading = None
            self.roar = StatefulFilter(np.vstack([butter("bandpass", (300, 900), lo, 1),
                                                  butter("bandpass", (900, 2600), lo, 1)]), dtype=np.float32)
            return
        reel = _vocal.reel(cheers, rate, (0.05, 0.5), seed=int(rng.integers(1 << 30)))
        wash = _vocal.chorus(reel, 24, (0.88, 1.15), seed=0xC4EE, length=reel.size)
        near_n = int(round(3 + 4 * i))
        far_n = int(round(5 + 5 * i))  # each reads two dozen shouters
        v = near_n + far_n
        self.reading = np.concatenate([reel, wash, reel[:1], wash[:1]])
        self.read_base = np.where(np.arange(v) < near_n, 0, reel.size).astype(np.float64)
        self.read_size = np.where(np.arange(v) < near_n, reel.size, wash.size).astype(np.float64)
        self.read_rate = np.where(np.arange(v) < near_n, rng.uniform(0.9, 1.12, v), rng.uniform(0.95, 1.05, v))
        self.read_pos = rng.uniform(0, 1, v) * self.read_size
        level = np.where(np.arange(v) < near_n, rng.uniform(0.4, 1.0, v), rng.uniform(0.7, 1.0, v))
        near_share, far_share = 1.0, 3.0
        level[:near_n] *= np.sqrt(near_share / np.sum(level[:near_n] ** 2))
        level[near_n:] *= np.sqrt(far_share / np.sum(level[near_n:] ** 2))
        level /= np.sqrt(near_share + far_share)
        pl, pr = pan_pair(rng.uniform(-0.9, 0.9, v))
        self.gains = [(k >= near_n, float(level[k] * pl[k]), float(level[k] * pr[k])) for k in range(v)]

    def _whistle(self, rng: np.random.Generator) -> np.ndarray:
        """A two-finger whistle: a near-pure tone at 2-3.5 kHz that swoops up and falls away,
        with a breathy edge (mono, low rate)."""
        lo = self.lo_sr
        dur = rng.uniform(0.35, 1.0)
        n = int(dur * lo)
        u = np.arange(n) / n
        f0 = rng.uniform(2000, 3200)
        f = f0 * (1 + 0.18 * np.sin(np.pi * np.minimum(1, u * 1.6)) - 0.12 * u * (rng.random() < 0.5))
        phase = np.cumsum(f) / lo
        env = np.minimum(1, u * dur / 0.04) * np.minimum(1, (1 - u) * dur / 0.08)
        tone = sin_cycles(phase) + 0.12 * sin_cycles(2 * phase)
        breath = rng.standard_normal(n) * 0.08
        return ((tone + breath) * env).astype(np.float32)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        near = np.zeros((2, n_l), dtype=np.float32)
        far = np.zeros((2, n_l), dtype=np.float32)
        if self.reading is not None:
            y, self.read_pos = _vocal.read_voices(self.reading, self.read_rate, self.read_pos, self.read_size,
                                                  self.read_base, n_l)
            for k, (is_far, gl, gr) in enumerate(self.gains):
                bus = far if is_far else near
                _axpy(bus[0], y[k], gl)
                _axpy(bus[1], y[k], gr)
        else:
            far += self.roar(noise(rng, 2, n_l, dtype=np.float32)) * np.float32(0.5)
        ev = self.whistles.begin(n_l)
        for s in self.whistle_sched.onsets(n_l, lambda: self.lo_sr * rng.exponential(1.0 / self.whistle_rate)):
            w = self._whistle(rng)
            gl, gr = pan_pair(rng.uniform(-0.8, 0.8))
            g = 0.05 * rng.uniform(0.3, 1.0)
            self.whistles.add(s, np.vstack([w * (gl * g), w * (gr * g)]))
        near += ev.astype(np.float32)
        far = self.far_filter(far)
        near += far * np.float32(1 - 0.5 * self.wet)
        near += self.hall(far) * np.float32(2.0 * self.wet)
        sw = self.swell(rng, self.ctl.length(n))
        out = self.up(near * np.float32(self.gain), n)
        g = np.interp(np.arange(n), np.linspace(0, n, sw.size), 10 ** ((sw - 0.5) * self.depth_db / 20))
        out *= g.astype(np.float32)
        return to_output(out)
