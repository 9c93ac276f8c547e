"""Water lapping: small wind waves reaching a lake shore (or a boat's hull), one by one.

Each lap is a slap of water on stones (a short burst of mid-band noise; on a hull, a
hollow "clop" of the air under it), a handful of bubbles it traps ringing at their
Minnaert pitches (see ``_drops``) and the trickle of the water draining back between
the pebbles. Laps come every second or so (short fetch, short waves), stronger and
weaker in groups, over the faint ripple of the open water.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import ColoredNoise, SplineUpsampler, Sparse, Wander, factor_for, low_len, pan_pair, soft_limit
from ._drops import bubble_damping, minnaert_hz
from .base import EventBus, ModelParams, SoundModel, butter
from .water import Stream

_JITTER = 0.35  # how far (in mean gaps) a lap strays from its slot

# edge -> (slap band Hz, hollow resonance Hz or 0, bubbles per lap, bubble radii mm, drain level)
_EDGES = {
    "shore": ((150.0, 1200.0), 0.0, (8, 20), (0.9, 4.5), 0.35),
    "hull": ((120.0, 900.0), 240.0, (3, 9), (1.5, 5.0), 0.4),
}


class Lake(SoundModel):
    name = "lake"
    category = "ambience"
    keywords = ("lake", "lapping", "lapping water", "water lapping", "lake shore", "lakeshore", "lakeside",
                "pond", "lapping waves", "waves lapping", "water lapping against", "by the lake", "loch",
                "shoreline lapping", "gentle waves")
    description = "lake lapping: small waves slapping the stones a second apart, trapped bubbles, water draining back"
    outdoor = True
    option_words = {"hull": ("edge", "hull"), "boat": ("edge", "hull"), "jetty": ("edge", "hull"),
                    "dock": ("edge", "hull"), "pier": ("edge", "hull"), "rowboat": ("edge", "hull")}
    supersedes = ("waves", "stream")
    # laps come stronger and weaker in groups over ~15 s: 30 s holds two or three groups, too few
    # for the calibration (engine/calibration.py) to read the lake's long-term level
    calibration_seconds = 120.0
    #: and a clip of 8 s holds half a group: its level is read off the clip itself
    clip_level_s = 10.0

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        edge = self.params.options.get("edge", "shore")
        self.edge = _EDGES.get(edge, _EDGES["shore"])
        band, hollow, _, _, _ = self.edge
        self.gap = 1.4 - 0.6 * i  # mean seconds between laps
        self.jit = 0.0
        # the laps (nothing above ~4 kHz) are made at ~12 kHz and brought up in one pass
        self.fac = factor_for(sr, 12000)
        self.esr = esr = sr / self.fac
        self.up = SplineUpsampler(self.fac, 2)
        self.sched = Sparse(int(rng.uniform(0.05, 0.6) * esr))
        self.bus = EventBus()
        self.groups = Wander(rng, 0.08, 1.0 / self.gap)  # wave groups: a slow swell of lap strength
        self.slap_sos = butter("bandpass", band, esr, 2)
        self.hollow_sos = None
        if hollow:
            from ._amb import peak_sos
            self.hollow_sos = peak_sos(hollow, 12.0, 4.0, esr)
        self.drain_sos = butter("bandpass", (600.0, 3500.0), esr, 1)
        self.ripple = ColoredNoise(sr, np.vstack([butter("bandpass", (180.0, 3000.0), sr, 1)]), fade=128)
        self.g_ripple = 0.0015 * (0.5 + 0.5 * i)
        self.level = 0.6 * (0.5 + 0.5 * i)
        # between the laps the water never quite rests: it trickles and gurgles among the stones
        # (a faint brook's bubbles, from its own random stream derived from this layer's)
        self.trickle = Stream(sr, self.seed, int(rng.integers(1 << 30)) * 8 + 1,
                              ModelParams(intensity=0.1, distance=self.params.distance, options={"size": "brook"}))
        self.g_trickle = 0.5 if edge == "shore" else 0.2

    def _lap(self, rng: np.random.Generator, strength: float) -> np.ndarray:
        sr = self.esr
        _, _, (b0, b1), (r0, r1), drain = self.edge
        m = int(0.9 * sr)
        t = np.arange(m) / sr
        # the slap: the wave front runs up the stones, a soft ~30 ms swell and a ~0.2 s fall
        slap_len = rng.uniform(0.12, 0.25)
        env = (1 - np.exp(-t / 0.03)) ** 2 * np.exp(-t / slap_len)
        slap = signal.sosfilt(self.slap_sos, rng.standard_normal(m)) * env
        if self.hollow_sos is not None:
            slap = signal.sosfilt(self.hollow_sos, slap)
        slap /= np.sqrt(np.einsum("i,i->", slap, slap) / sr) + 1e-12  # (einsum: a long BLAS dot spins threads)
        mono = slap * 0.035
        # the bubbles it traps, each at its Minnaert pitch, rising as it surfaces
        count = int(rng.integers(b0, b1 + 1))
        r = r0 * (r1 / r0) ** rng.random(count)
        f0 = np.minimum(minnaert_hz(r), 0.45 * sr)
        d = bubble_damping(f0)
        at = rng.uniform(0.01, 0.35, count) ** 1.3
        for k in range(count):
            s = int(at[k] * sr)
            w = min(m - s, int(5.0 / d[k] * sr) + 1)
            tt = t[:w]
            ring = np.sin(2 * np.pi * f0[k] * (tt + 0.5 * 0.1 * d[k] * tt * tt)) * np.exp(-d[k] * tt)
            mono[s:s + w] += ring * (0.5 * rng.uniform(0.3, 1.0) * np.sqrt(1000.0 / f0[k]))
        # the water draining back through the pebbles
        x = np.clip(t - rng.uniform(0.12, 0.25), 0, None)
        denv = (1 - np.exp(-x / 0.05)) * np.exp(-x / rng.uniform(0.15, 0.3)) * (x > 0)
        mono += drain * 0.35 * signal.sosfilt(self.drain_sos, rng.standard_normal(m)) * denv
        mono *= np.minimum((m - np.arange(m)) / (0.05 * sr), 1.0)  # clean end
        gl, gr = pan_pair(rng.uniform(-0.7, 0.7))
        return np.vstack([mono * gl, mono * gr]) * (self.level * strength)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        low = self.bus.begin(n_l)
        starts = self.sched.onsets(n_l, lambda: self._gap(rng))
        if starts:
            swell = self.groups(rng, len(starts) + 1)
            for k, start in enumerate(starts):
                self.bus.add(start, self._lap(rng, (0.55 + 0.45 * swell[k]) * rng.uniform(0.7, 1.0)))
        out = self.up(low, n)
        out += self.ripple(rng, n, gain=self.g_ripple)
        out += self.trickle.render_block(rng.spawn(1)[0], n) * self.g_trickle
        return soft_limit(out)

    def _gap(self, rng: np.random.Generator) -> float:
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = self.gap * (1.0 + jit - self.jit)
        self.jit = jit
        return self.esr * gap
