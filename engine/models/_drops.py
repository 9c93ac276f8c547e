"""Falling water and ice as individual impacts on a resonant surface (shared engine).

Not a model module (the registry skips names that start with ``_``): the rain,
rain-on-a-surface and hail models are built on :class:`ImpactRain`.

The physics (after Farnell, *Designing Sound*, "Rain", and van den Doel, "Physically
based models for liquid sounds", 2005): a drop striking a surface makes

* an impact: a short force pulse whose length (drop size over speed, ~0.05-0.4 ms)
  sets how bright the click is (hail is shorter and brighter than rain);
* the ring of the struck body: a few of the surface's modes (a tin sheet's long,
  dense pings, a tent membrane's low thud, a window's high tick), excited in a
  different mix wherever the drop lands;
* the splash: a few secondary droplets ticking down over tens of milliseconds;
* on water, a bubble: the entrained air rings at its Minnaert frequency
  f = 3.26 m/s / r (a 1 mm bubble sings near 3.3 kHz), damped at
  d = 0.043 f + 0.0014 f^1.5 per second, its pitch rising as it nears the surface.

Three distances of the same process make a rain: a few close drops a second, each
rendered on its own (distinct, full-band transients); a dense patter of mid-distance
drops (Poisson impulse trains convolved with a few prototype impacts, one batched
FFT per block); and the wash of countless far drops, which by the central limit is
noise coloured like the surface (read from a pre-filtered table).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import (ColoredNoise, Control, GrainBus, KernelBank32, SplineUpsampler, Wander, factor_for,
                   low_len, to_output)
from .base import BLOCK, SoundModel, butter

MINNAERT = 3.26  # m/s: bubble frequency times radius (air in water at 1 atm)


def minnaert_hz(radius_mm: np.ndarray | float) -> np.ndarray | float:
    """Resonance of an air bubble in water (Hz) for its radius in millimetres."""
    return MINNAERT / (np.asarray(radius_mm) * 1e-3)


def bubble_damping(f: np.ndarray | float) -> np.ndarray | float:
    """Amplitude decay rate (1/s) of a bubble ringing at f Hz (van den Doel 2005)."""
    f = np.asarray(f, dtype=float)
    return 0.043 * f + 0.0014 * f ** 1.5


def bubble(radius_mm: float, sr: float, rise: float = 0.1, seconds: float = 0.05) -> np.ndarray:
    """One bubble's ring: f(t) = f0 (1 + rise * d * t), decaying at d (van den Doel)."""
    f0 = float(minnaert_hz(radius_mm))
    d = float(bubble_damping(f0))
    t = np.arange(int(seconds * sr)) / sr
    return np.sin(2 * np.pi * f0 * (t + 0.5 * rise * d * t * t)) * np.exp(-d * t)


@dataclass(frozen=True)
class Surface:
    """What a drop hits: its modes and how the impact sounds on it."""

    modes: tuple[tuple[float, float], ...]  # (frequency Hz, decay time constant s) of the struck body
    detune: float = 0.08        # spread of each mode between strikes (where the drop lands)
    click_tau: float = 2e-4     # impact pulse length, s
    click: float = 1.0          # energy of the impact pulse ...
    ring: float = 0.5           # ... and of the struck body's ring (the rest is splash and bubble)
    splash: float = 0.3         # weight of the secondary droplets
    bubble: float = 0.0         # chance a drop entrains a ringing bubble
    radius: tuple[float, float] = (0.8, 2.2)  # bubble radii, mm
    lowpass: float = 0.0        # the kernel heard through something (a car's headliner), Hz; 0 = none
    wash_band: tuple[float, float] = (300.0, 9000.0)
    wash_db: float = -6.0       # the far wash against the patter, dB of power
    near_db: float = 0.0        # a close drop against a patter drop, dB of energy
    rate: float = 900.0         # patter drops per second at intensity 1
    near: tuple[float, float] = (4.0, 20.0)  # distinct close drops per second at intensity 0 and 1
    bounce: float = 0.0         # restitution of a bouncing stone (hail); 0 = drops stick
    # a thin plate radiates its modes below the coincidence frequency poorly (the bending wave
    # is slower than sound: neighbouring half-waves cancel), so a window's low pane mode is
    # felt more than heard; modes are weighted by 1/sqrt(1 + (radiate_hz/f)^2). 0 = all alike
    radiate_hz: float = 0.0


def impacts(rng: np.random.Generator, s: Surface, sr: float, count: int, length: int, modes: int,
            size: np.ndarray | None = None, copies: int = 1, ring: float = 1.0,
            ring_gain: float = 1.0) -> np.ndarray:
    """``count`` impact sounds (count, length) float32, each of unit energy.

    Each rings ``modes`` of the surface's modes (all of them when ``modes`` is larger),
    detuned and weighted at random (where it struck); ``size`` (count,) scales the
    impact pulse length (bigger drops thud, smaller ones tick). ``copies`` > 1 rings each
    mode at that many pitches, spread twice as wide: a prototype standing for drops all
    over a roof (a handful of fixed pitches repeated a thousand times a second would whistle);
    ``ring`` scales the modes' decay (the farther drops of the patter ring shorter, through air
    and the clutter of everything else falling) and ``ring_gain`` its share of the energy.
    """
    f32 = np.float32
    t = (np.arange(length) / sr).astype(f32)
    table = np.asarray(s.modes, dtype=float)
    detune = s.detune
    if copies > 1:
        table = np.repeat(table, copies, axis=0)
        detune = 2.0 * s.detune
    k = min(modes, len(table))
    size = np.ones(count) if size is None else size
    out = np.zeros((count, length), dtype=f32)
    if count == 0:
        return out
    pick = np.argsort(rng.random((count, len(table))), axis=1)[:, :k]
    f = np.minimum(table[pick, 0] * np.exp(detune * rng.standard_normal((count, k))), 0.45 * sr)
    tau = ring * table[pick, 1] * rng.uniform(0.7, 1.3, (count, k))
    amp = rng.uniform(0.3, 1.0, (count, k))
    if s.radiate_hz:
        amp /= np.sqrt(1.0 + (s.radiate_hz / f) ** 2)
    ph = rng.random((count, k))
    body = np.zeros((count, length), dtype=f32)
    for j in range(k):
        cyc = f[:, j:j + 1].astype(f32) * t + ph[:, j:j + 1].astype(f32)
        wave = np.sin(f32(2 * np.pi) * (cyc - np.floor(cyc)))
        wave *= np.exp(t * (-1.0 / tau[:, j:j + 1]).astype(f32))
        body += wave * amp[:, j:j + 1].astype(f32)
    _unit(body)
    out += body * f32(np.sqrt(s.ring * ring_gain))
    # the impact: a one-sided pulse of noise, as long as the drop takes to flatten
    width = int(min(length, max(4, 8 * s.click_tau * sr * size.max())))
    ctau = (s.click_tau * size).astype(f32)[:, None]
    click = np.diff(rng.standard_normal((count, width + 1)).astype(f32), axis=1)  # no rumble from it
    click *= np.exp(t[:width] * (-1.0 / ctau))
    if s.radiate_hz:  # the pane under its coincidence frequency hardly radiates the pulse's lows
        click = signal.sosfilt(butter("highpass", 0.5 * s.radiate_hz, sr, 2), click, axis=1).astype(f32)
    _unit(click)
    out[:, :width] += click * f32(np.sqrt(s.click))
    if s.splash > 0:  # secondary droplets: a couple of small ticks over the next ~30 ms
        drops = rng.poisson(2.0, count)
        total = int(drops.sum())
        if total:
            row = np.repeat(np.arange(count), drops)
            at = np.minimum((rng.exponential(0.012, total) * sr).astype(int) + 8, length - 2)
            a = np.sqrt(s.splash) * rng.uniform(-1, 1, total) * 0.3
            np.add.at(out, (row, at), a.astype(f32))
            np.add.at(out, (row, at + 1), (-0.6 * a).astype(f32))
    if s.bubble > 0:  # the entrained bubble: Minnaert pitch, rising, after the crater closes
        has = np.flatnonzero(rng.random(count) < s.bubble)
        if has.size:
            lo, hi = s.radius
            r = lo * (hi / lo) ** rng.random(has.size)
            f0 = np.minimum(minnaert_hz(r), 0.42 * sr)
            d = bubble_damping(f0)
            delay = rng.uniform(0.002, 0.012, has.size)
            tt = np.maximum(t[None, :] - delay[:, None].astype(f32), 0)
            cyc = f0[:, None].astype(f32) * (tt + (0.5 * 0.12 * d)[:, None].astype(f32) * tt * tt)
            wave = np.sin(f32(2 * np.pi) * (cyc - np.floor(cyc))) * np.exp(tt * (-d)[:, None].astype(f32))
            wave *= tt > 0
            _unit(wave)
            out[has] += wave * f32(np.sqrt(1.5))
    if s.lowpass:
        out = signal.sosfilt(butter("lowpass", s.lowpass, sr, 2), out, axis=1).astype(f32)
    # a short ring decays below float32's normal range within the kernel (e^-200 in a hail stone's
    # 0.3 s): those denormal samples, inaudible, would make every later sum of them ~10x slower
    out[np.abs(out) < 1e-30] = 0.0
    return _unit(out)


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit energy, in place (silent rows stay silent)."""
    x /= np.sqrt(np.einsum("ij,ij->i", x, x))[:, None] + np.float32(1e-9)
    return x


def heard_energy(x: np.ndarray, sr: float) -> np.ndarray:
    """Energy of each row (count, n) as a loudness meter weighs it: K-weighting's shelf gives the
    band above ~1.5 kHz about 4 dB (2.5 times the power)."""
    hi = signal.sosfilt(butter("highpass", 1500.0, sr, 2), x, axis=1)
    return np.einsum("ij,ij->i", x, x) + 1.5 * np.einsum("ij,ij->i", hi, hi)


_KERNELS = 3  # prototype impacts of the patter, each with its own impulse train
_PROTOS = 48  # distinct close drops
def _amp_power(floor: float) -> float:
    """E[u^4], u ~ U(floor, 1): the mean power of a patter drop whose amplitude is u^2."""
    return (1 - floor ** 5) / (5 * (1 - floor))




class ImpactRain(SoundModel):
    """Rain as drops on a surface (see the module docstring); subclasses pick the surface."""

    surfaces: dict[str, Surface] = {}
    default_surface = ""
    rate_hz = 24000.0       # the impacts' sample rate: rain's rings sit below ~9 kHz
    size = 1.0              # drop size: scales the impact pulse (drizzle < 1 < downpour)
    intensity_range = (0.0, 1.0)  # the part of 0..1 this kind of rain covers
    level = 0.05            # RMS of the patter at intensity 1, before the output stage
    # the spread of patter drop sizes: amplitudes are u^2, u ~ U(drop_floor, 1); a drizzle's fine
    # drops are all much alike (no big drop among them to crack out of the patter)
    drop_floor = 0.05
    rate_scale = 1.0        # drops per second against the surface's figure (fine drops are many)

    def surface(self) -> Surface:
        name = self.params.options.get("surface", self.default_surface)
        return self.surfaces.get(name, self.surfaces[self.default_surface])

    def setup(self, rng: np.random.Generator) -> None:
        s = self.s = self.surface()
        lo, hi = self.intensity_range
        i = self.i = lo + (hi - lo) * float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        self.fac = factor_for(sr, self.rate_hz)
        self.hsr = hsr = sr / self.fac
        longest = max(tau for _, tau in s.modes)
        self.klen = int(min(0.4, 5 * longest + 0.03) * hsr)
        rate = s.rate * self.rate_scale
        self.rate = rate * (0.08 + 0.92 * i) / _KERNELS  # per kernel
        # the patter's prototypes belong to the surface, not to the take: drawn from a stream fixed
        # by the surface (three noise bursts repeated thousands of times a second colour the whole
        # patter with their spectral bumps; a seed must change the rain, not the roof)
        name = repr(s).replace(", radiate_hz=0.0", "")  # (the surfaces named before that field keep their draw)
        own = np.random.default_rng([0x5EED, zlib.crc32(name.encode()), int(self.size * 1000)])
        kern = impacts(own, s, hsr, _KERNELS, self.klen, 99, np.full(_KERNELS, self.size), copies=5,
                       ring=0.5, ring_gain=0.35)
        kern /= np.sqrt(heard_energy(kern, hsr))[:, None]  # the same loudness whichever seed drew them
        # a patter drop's gain, so that the patter's RMS is ``level`` at intensity 1
        self.g_pat = self.level / np.sqrt(rate * _amp_power(self.drop_floor) * 0.5 / hsr)
        self.bank = KernelBank32([k * self.g_pat for k in kern], block=BLOCK // self.fac + 1)
        self.up = SplineUpsampler(self.fac, 2)
        p_pat = (self.level ** 2) * (0.08 + 0.92 * i)  # patter power at this intensity
        self.near_rate = s.near[0] + (s.near[1] - s.near[0]) * i
        # close drops: each one of a bank of distinct impacts (sizes, strike points, bubbles, for
        # hail their bounces) drawn once, at its own level and place (a round robin: drawing a
        # fresh impact per drop costs more than the rest of the rain together)
        near_len = max(self.klen, int(0.32 * hsr)) if s.bounce > 0 else self.klen  # room for the hops
        protos = impacts(rng, s, hsr, _PROTOS, near_len, 3, self.size * rng.uniform(0.6, 1.5, _PROTOS))
        if s.bounce > 0:
            protos = self._bounces(rng, protos)
        # the impact's noise pulse peaks several times over its own RMS: round those few
        # samples off (a rounder pulse, as a drop's force on the surface is), so close drops
        # keep their energy without peaks that would send the mix's true-peak limiter to work
        head = max(8, int(0.002 * hsr))
        knee = 3.0 * np.sqrt(np.mean(protos[:, :head] ** 2, axis=1, keepdims=True))
        protos = (knee * np.tanh(protos / knee)).astype(np.float32)
        protos /= np.sqrt(np.mean(np.einsum("ij,ij->i", protos, protos)))  # unit energy on average
        self.protos = protos
        self.near = GrainBus(near_len, dtype=np.float32)
        # a close drop carries near_db more energy than the average patter drop at mid intensity;
        # heavier rain falls in bigger drops (the median diameter grows with the rain rate), so
        # the close ones keep standing out of the denser patter
        self.g_near = self.g_pat * np.sqrt(_amp_power(self.drop_floor) * 0.5 / 0.45) * 10 ** (s.near_db / 20) \
            * np.sqrt((0.08 + 0.92 * i) / 0.54) * (0.6 + 0.8 * i) ** 0.5
        self.wash = ColoredNoise(sr, np.vstack([butter("bandpass", s.wash_band, sr, 2),
                                                butter("highpass", 120, sr, 1)]))
        self.g_wash = float(np.sqrt(p_pat * 10 ** (s.wash_db / 10)))
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.15, self.ctl.rate)
        self.swell_up = self.ctl.upsampler(1)
        self.out = 1.0

    # -- close drops -------------------------------------------------------------------
    def _near(self, rng: np.random.Generator, out: np.ndarray) -> None:
        n = out.shape[1]
        count = int(rng.poisson(self.near_rate * n / self.hsr))
        onsets = rng.integers(0, n, count)
        if count == 0:
            self.near.add_into(out, onsets, np.zeros((0, 1), dtype=np.float32), np.zeros((2, 0)))
            return
        grains = self.protos[rng.integers(0, _PROTOS, count)]
        amp = rng.uniform(0.35, 1.0, count) * self.g_near
        theta = (rng.uniform(-0.85, 0.85, count) + 1) * (np.pi / 4)
        gains = np.vstack([np.cos(theta) * amp, np.sin(theta) * amp]) * np.sqrt(2)
        self.near.add_into(out, onsets, grains, gains)

    def _bounces(self, rng: np.random.Generator, grains: np.ndarray) -> np.ndarray:
        """A hailstone bounces: each rebound after e times the previous flight, e times as hard."""
        count, length = grains.shape
        e = self.s.bounce
        # a stone striking at ~10-20 m/s leaves the (pitched) roof at e times that and lands a hop
        # further down: its first flight lasts 50-200 ms, each later one e times the last (a flight
        # is proportional to the take-off speed); after two rebounds it is too slow to be heard
        flight = rng.uniform(0.05, 0.2, count) * self.hsr  # first rebound's flight, samples
        out = grains.copy()
        at = np.zeros(count)
        strength = np.ones(count)
        for _ in range(2):
            at += flight
            flight *= e
            strength *= e * rng.uniform(0.7, 1.0, count)
            for j in np.flatnonzero(at < length - 16):
                k = int(at[j])
                out[j, k:] += grains[(j + 1) % count, :length - k] * np.float32(strength[j])
        return out

    # -- one block -----------------------------------------------------------------------
    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_h = low_len(n, self.fac)
        n_c = self.ctl.length(n)
        swell = self.swell(rng, n_c)
        trains = self.bank.framed(n_h)
        rows = trains.reshape(_KERNELS, 2, -1)
        used = []
        # the rain comes in waves: drops thinned by a slow swell (75-100 % of the rate)
        dens = 0.75 + 0.25 * swell
        for k in range(_KERNELS):
            count = int(rng.poisson(self.rate * n_h / self.hsr))
            if count:
                pos = np.sort(rng.integers(0, n_h, size=count))
                keep = rng.random(count) < dens[pos * n_c // n_h] / 0.8
                pos = pos[keep]
                at = self.bank.offsets(pos)
                amp = rng.uniform(self.drop_floor, 1.0, pos.size) ** 2
                p = rng.random(pos.size)
                np.add.at(rows[k, 0], at, (amp * np.sqrt(1 - p)).astype(np.float32))
                np.add.at(rows[k, 1], at, (amp * np.sqrt(p)).astype(np.float32))
                used.append(k)
        ext = self.up.extended(n_h)
        self.bank(trains, n_h, used=used, out=ext[:, 3:])
        self._near(rng, ext[:, 3:])
        gain = self.swell_up(((0.85 + 0.3 * swell) * self.g_wash).astype(np.float32)[None], n)
        out = self.wash(rng, n, gain=gain)
        self.up(None, n, add_to=out, ext=ext)
        return to_output(out)
