"""A tap: drips from a leaky one into the sink, or water running from an open one.

A drip (Farnell, *Designing Sound*, "water"; Minnaert 1933; Franz 1959): the
drop hits the water left in the sink with a soft click and traps a small air
bubble, which rings at its Minnaert frequency (about 3.3 kHz / radius in mm)
and rises in pitch as it is pushed back to the surface: the "plink" is a
short sine gliding upward as it decays in a few tens of milliseconds. Some
drops are followed by a smaller, higher plink from the droplet thrown back up
(the Worthington jet) falling again. A leaky tap drips regularly: the drop
grows at a constant flow until its weight beats surface tension, so the
interval wanders only by a few percent.

A running tap is a stream of water hitting the sink: broadband splash and
hundreds of bubbles a second (the :class:`~.water.Stream` model, close up,
its low roar left out), with the sink's metal ringing faintly under it.
"""

from __future__ import annotations

import numpy as np

from ._amb import to_output
from .base import EventBus, ModelParams, SoundModel, StatefulFilter, butter
from .water import Stream


class DrippingTap(SoundModel):
    name = "tap"
    category = "ambience"
    keywords = ("dripping tap", "dripping faucet", "leaky tap", "leaking tap", "leaky faucet", "leaking faucet",
                "tap dripping", "faucet dripping", "drip", "drips", "dripping", "water dripping", "dripping water",
                "drip drip", "running tap", "tap running", "faucet running", "running faucet", "tap", "faucet",
                "water tap", "kitchen tap", "kitchen sink", "sink", "washing up", "washing dishes")
    needs_floor = True
    description = ("a tap: drips plinking into the sink (each a bubble ringing up in pitch) at a steady "
                   "rate, or an open tap's water splashing into it")
    outdoor = False
    option_words = {"running": ("flow", "running"), "open": ("flow", "running"), "washing": ("flow", "running"),
                    "filling": ("flow", "running"), "drip": ("flow", "drip"), "dripping": ("flow", "drip"),
                    "leaky": ("flow", "drip"), "leaking": ("flow", "drip")}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.running = self.params.options.get("flow") == "running"
        # a leaky tap's period: 0.4-1.6 s, faster when it leaks more; each drop the same size,
        # so the same bubble, give or take
        self.period = rng.uniform(0.9, 1.6) * (1.0 - 0.6 * i)
        self.radius = rng.uniform(1.3, 2.6)  # mm: the bubble's radius sets the plink's pitch
        self.bus = EventBus()
        self.next = int(rng.uniform(0.05, 0.5) * sr)
        self.click = StatefulFilter(butter("bandpass", (1500, 9000), sr, 2), channels=1)
        self.pan = rng.uniform(-0.3, 0.3)
        self.stream = None
        if self.running:
            self.stream = Stream(sr, self.seed, int(rng.integers(1 << 30)) * 8 + 5,
                                 ModelParams(intensity=0.5 + 0.5 * i, options={"size": "brook"}))
            self.stream.g_roar = 0.0  # a tap has no river bed under it
            self.next = 1 << 62  # the stream covers the drips

    def _drop(self, rng: np.random.Generator) -> np.ndarray:
        """One drop: a click and a bubble's rising plink, maybe a smaller second one."""
        sr = self.sr
        dur = 0.12
        t = np.arange(int(dur * sr)) / sr
        y = np.zeros_like(t)
        parts = [(0.0, self.radius * rng.uniform(0.9, 1.1), 1.0)]
        if rng.random() < 0.4:  # the thrown-up droplet falls back: smaller, higher, later
            parts.append((rng.uniform(0.05, 0.08), self.radius * rng.uniform(0.45, 0.65), 0.35))
        for start, r, a in parts:
            f0 = 3300.0 / r
            tau = rng.uniform(0.006, 0.012) * r / 2  # bigger bubbles ring longer
            rise = rng.uniform(0.8, 2.0)  # the pitch climbs as the bubble surfaces
            u = np.maximum(t - start, 0.0)
            f = f0 * (1 + rise * (1 - np.exp(-u / (3 * tau))))
            ph = np.cumsum(f) / sr
            env = np.where(t >= start, np.exp(-u / tau) * (1 - np.exp(-u / 0.0004)), 0.0)
            y += a * np.sin(2 * np.pi * ph) * env
        # the impact: a millisecond of broadband click under the plink
        k = int(0.0015 * sr)
        y[:k] += rng.standard_normal(k) * np.hanning(2 * k)[k:] * 0.25
        g = rng.uniform(0.75, 1.0)
        left, right = np.sqrt(0.5 * (1 - self.pan)), np.sqrt(0.5 * (1 + self.pan))
        return np.vstack([y * left, y * right]) * (0.35 * g)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        out = self.bus.begin(n)
        while self.next < n:
            self.bus.add(self.next, self._drop(rng))
            self.next += max(1, int(self.period * sr * rng.normal(1.0, 0.04)))
        self.next -= n
        if self.stream is not None:
            out += self.stream.render_block(rng.spawn(1)[0], n)
        return to_output(out)
