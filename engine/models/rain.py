"""Rain: a dense bed of filtered noise plus individual drop impacts whose colour
depends on the surface (tin roof rings, leaves patter, pavement hisses, glass ticks).

Three layers: the hiss of countless distant drops (pre-filtered noise, read
from a table), a dense patter of nearby drops (impulse trains convolved with a
few prototype drop sounds in one batched float32 FFT per block) and a sparse
sprinkle of close, distinct drops, each with its own pitch (scattered grains).
Everything runs in float32; the patter and the close drops share one
half-rate buffer and one upsampling pass.
"""

from __future__ import annotations

import numpy as np

from scenefill.engine import dsp as signal

from ._amb import (ColoredNoise, Control, GrainBus, KernelBank32, SplineUpsampler, Wander, factor_for, low_len,
                   to_output)
from .base import BLOCK, SoundModel, butter

# surface -> (bed band Hz, drop resonance range Hz, drop decay s, drops per s at intensity 1)
_SURFACES = {
    "roof": ((400, 9000), (2500, 5200), 0.030, 900),
    "tin": ((500, 10000), (3100, 6300), 0.060, 900),
    "window": ((1500, 12000), (4000, 8000), 0.012, 500),
    "leaves": ((300, 7000), (900, 2600), 0.020, 1200),
    "pavement": ((200, 11000), (1800, 7000), 0.008, 1400),
}
_KERNELS = 2  # prototype drop sounds; each has its own impulse train
_PARTIALS = 5  # pitches each prototype rings at
_OUT = 0.4  # output gain


class Rain(SoundModel):
    name = "rain"
    category = "ambience"
    keywords = ("rain", "raining", "rainfall", "downpour", "drizzle", "shower", "rainy")
    description = "rain bed with drop impacts; surface from the note (roof, tin, window, leaves, pavement)"
    outdoor = True
    option_words = {
        "roof": ("surface", "roof"), "tin": ("surface", "tin"), "metal": ("surface", "tin"),
        "window": ("surface", "window"), "glass": ("surface", "window"),
        "leaves": ("surface", "leaves"), "forest": ("surface", "leaves"), "trees": ("surface", "leaves"),
        "pavement": ("surface", "pavement"), "street": ("surface", "pavement"), "road": ("surface", "pavement"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        surface = self.params.options.get("surface", "pavement")
        band, res, decay, rate = _SURFACES.get(surface, _SURFACES["pavement"])
        self.res, self.decay = res, decay
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        self.drop_rate = rate * (0.15 + 0.85 * i) / _KERNELS
        self.bed = ColoredNoise(sr, np.vstack([butter("bandpass", band, sr, 2), butter("highpass", 150, sr, 1)]))
        self.bed_gain = 0.8 * (0.15 + 0.35 * i) * self.bed.scale
        # the patter runs at half rate (~24 kHz): its resonances sit below 8 kHz and the hiss
        # above comes from the bed; a cubic spline brings it up
        self.fac = factor_for(sr, 24000)
        self.half_sr = sr / self.fac
        # the output gain (0.4) and the patter's level (0.8) are folded into the kernels
        self.drops = KernelBank32([self._drop(rng, res, decay) * (0.8 * _OUT) for _ in range(_KERNELS)],
                                  block=BLOCK // self.fac + 1)
        self.drops_up = SplineUpsampler(self.fac, 2)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.2, self.ctl.rate)
        self.swell_up = self.ctl.upsampler(1)
        # close, distinct drops: a few per second, each with its own pitch
        self.close_rate = (4 + 16 * i) * (0.5 if surface == "window" else 1.0)
        self.close = GrainBus(int(min(0.08, 2.5 * decay + 0.01) * self.half_sr), dtype=np.float32)
        t = np.arange(self.close.length) / self.half_sr
        self.t_close = t.astype(np.float32)[None, :]
        # a drop's note glides up a little as its splash settles: phase = f * t * (1 + 0.15 t / decay)
        self.t_glide = (t * (1 + 0.15 * t / decay)).astype(np.float32)[None, :]

    def _drop(self, rng: np.random.Generator, res: tuple[float, float], decay: float) -> np.ndarray:
        sr = self.half_sr
        length = max(8, int(decay * sr))
        t = np.arange(length) / sr
        # Thousands of drops a second share these few prototypes, so a prototype with one pitch
        # would sound as a steady whistle. Each one rings at several pitches spread over the
        # surface's band, over a resonant noise burst: the sum is a bright patter, not a tone.
        lo, hi = res[0], min(res[1], 0.4 * sr)
        centres = np.geomspace(lo, hi, _PARTIALS) * rng.uniform(0.92, 1.08, _PARTIALS)
        env = np.exp(-t / (decay / 4))
        tone = np.zeros(length)
        for f in centres:
            glide = 1 - rng.uniform(0.1, 0.3) * t / decay
            tone += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * t * glide + rng.uniform(0, 2 * np.pi))
        tone /= np.sqrt(_PARTIALS)
        burst = signal.sosfilt(butter("bandpass", (lo * 0.8, hi), sr, 1), rng.standard_normal(length))
        burst /= max(np.std(burst[: max(8, length // 4)]), 1e-9)
        click = rng.standard_normal(length) * np.exp(-t / (decay / 12))
        body = env * (0.45 * tone + 0.35 * burst) + 0.4 * click
        return signal.sosfilt(butter("highpass", 150, sr, 1), body) * np.sqrt(self.fac)

    def _close_drops(self, rng: np.random.Generator, half: np.ndarray) -> None:
        """Add this block's close drops (and the tails of earlier ones) to ``half``."""
        n = half.shape[1]
        count = rng.poisson(self.close_rate * n / self.half_sr)
        onsets = rng.integers(0, n, count)
        if count == 0:
            self.close.add_into(half, onsets, np.zeros((0, 1), dtype=np.float32), np.zeros((2, 0)))
            return
        t = self.t_close
        lo, hi = self.res
        f = np.minimum(rng.uniform(lo * 0.7, hi, count), 0.4 * self.half_sr).astype(np.float32)[:, None]
        tau = (self.decay / 4 * rng.uniform(0.6, 1.6, count)).astype(np.float32)[:, None]
        ph = f * self.t_glide
        ph += rng.random((count, 1), dtype=np.float32)
        ph *= np.float32(2 * np.pi)
        grains = np.sin(ph, out=ph)  # float32: the phase (a few hundred cycles at most) stays accurate
        decay = t * (-1 / tau)
        grains *= np.exp(decay, out=decay)
        grains[:, :3] += rng.uniform(-0.5, 0.5, (count, 3)).astype(np.float32)  # the tick of the impact
        amp = rng.uniform(0.2, 1.0, count) ** 2
        theta = (rng.uniform(-0.9, 0.9, count) + 1) * (np.pi / 4)  # pan_pair, without its clip
        amp *= np.sqrt(2) * 0.45 * _OUT
        self.close.add_into(half, onsets, grains, np.vstack([np.cos(theta) * amp, np.sin(theta) * amp]))

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_h = low_len(n, self.fac)
        trains = self.drops.framed(n_h)
        rows = trains.reshape(_KERNELS, 2, -1)
        used = []
        for k in range(_KERNELS):
            # the draws of base.impulse_train (amplitudes and pans go with the sorted onsets)
            count = rng.poisson(self.drop_rate * n_h / self.half_sr)
            if count:
                at = self.drops.offsets(np.sort(rng.integers(0, n_h, size=count)))
                amp = rng.uniform(0.05, 1.0, count) ** 2
                p = rng.uniform(0, 1, count)
                np.add.at(rows[k, 0], at, (amp * np.sqrt(1 - p)).astype(np.float32))
                np.add.at(rows[k, 1], at, (amp * np.sqrt(p)).astype(np.float32))
                used.append(k)
        ext = self.drops_up.extended(n_h)  # the half-rate patter, after the upsampler's history
        self.drops(trains, n_h, used=used, out=ext[:, 3:])
        self._close_drops(rng, ext[:, 3:])
        swell = self.swell(rng, self.ctl.length(n))
        swell = self.swell_up((swell * (0.3 * self.bed_gain * _OUT) + 0.85 * self.bed_gain * _OUT)
                              .astype(np.float32)[None], n)
        out = self.bed(rng, n, gain=swell)
        self.drops_up(None, n, add_to=out, ext=ext)
        return to_output(out)
