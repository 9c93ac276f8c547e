"""Ocean waves on a beach: swells every 6-12 s that build as a dark rumble,
break in a bright crash and wash up and back as a long, fizzing hiss, over
the constant murmur of distant surf.

Every wave is a handful of analytic envelopes (body, crash, wash) evaluated
on a ~190 Hz control grid; they weight three noise bands, so the sound opens
up and closes down like a lowpass sweep as each wave builds, breaks and
recedes. The low band runs at ~1.5 kHz, the mid band at ~6 kHz (both
streamed through cubic splines), the bright wash is pre-filtered noise with a
granular fizz.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._amb import (ColoredNoise, Control, SplineUpsampler, Upsampler, Wander, factor_for, low_len, pan_pair,
                   to_output)
from .base import SoundModel, StatefulFilter, butter, noise


class Waves(SoundModel):
    name = "waves"
    category = "ambience"
    keywords = ("waves", "wave", "ocean", "surf", "beach", "seaside", "sea", "shore", "shoreline",
                "breakers", "crashing waves", "waves crashing", "lapping waves", "ocean waves", "sea waves",
                "coast", "tide", "surf on the beach")
    description = "ocean waves: swells every 6-12 s that rumble, crash and wash back over distant surf"
    outdoor = True
    option_words = {
        "calm": ("sea", "calm"), "gentle": ("sea", "calm"), "lapping": ("sea", "calm"),
        "lake": ("sea", "calm"), "rough": ("sea", "rough"), "crashing": ("sea", "rough"),
        "stormy": ("sea", "rough"), "storm": ("sea", "rough"), "pounding": ("sea", "rough"),
    }

    # a wave every 6-12 s, each its own size: 30 s holds only three or four of them, too few for
    # the calibration (engine/calibration.py) to read the sea's long-term level within a decibel
    calibration_seconds = 120.0
    #: and a clip of 8 s holds one or two of them: its level is read off the clip itself
    clip_level_s = 10.0

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sea = self.params.options.get("sea")
        if sea == "calm":
            i = min(i, 0.3)
        elif sea == "rough":
            i = max(i, 0.8)
        self.i = i
        sr = self.sr
        self.period = rng.uniform(7.0, 10.5) * (1.0 - 0.15 * i)
        self.size = 0.35 + 0.65 * i
        self.ctl = Control(sr)
        self.f_lo = factor_for(sr, 1500)
        self.f_mid = factor_for(sr, 6000)
        lo_sr, mid_sr = sr / self.f_lo, sr / self.f_mid
        self.low = StatefulFilter(np.vstack([butter("lowpass", 320, lo_sr, 2), butter("highpass", 30, lo_sr, 1)]),
                                  dtype=np.float32)
        self.mid = StatefulFilter(np.vstack([butter("bandpass", (300, 2400), mid_sr, 1)]), dtype=np.float32)
        self.high = ColoredNoise(sr, np.vstack([butter("highpass", 2200, sr, 2), butter("lowpass", 12000, sr, 1)]))
        self.fizz = StatefulFilter(butter("lowpass", 700, mid_sr, 1), channels=2, dtype=np.float32)
        self.fizz_norm = 1.0 / (700 * np.pi / 2 / (mid_sr / 2))  # mean of the squared filtered noise
        self.hi_up = Upsampler(self.f_mid, 2)
        self.low_up = SplineUpsampler(self.f_lo // self.f_mid, 2)
        self.mid_up = SplineUpsampler(self.f_mid, 2)
        self.ctl_lo = Upsampler(self.ctl.factor // self.f_lo, 2)
        self.ctl_mid = Upsampler(self.ctl.factor // self.f_mid, 2)
        self.ctl_hi = Upsampler(self.ctl.factor // self.f_mid, 4)
        self.drift = Wander(rng, 0.08, self.ctl.rate)
        self.waves: list[tuple] = []
        self.time = 0.0  # seconds rendered
        self.mix = np.array([[1.0, 0.4], [0.4, 1.0]], dtype=np.float32)
        self.norm = 0.9 / np.sqrt(self.f_lo)  # white noise at the low rate is denser per hertz
        self.bed_gain = 1.0  # the distant surf's murmur
        self.out_gain = 1.0
        self.started = False
        self.jit = 0.0  # the last wave's offset from its slot on the swell's grid, in periods

    def _open(self, rng: np.random.Generator) -> None:
        """The sea was breaking before the clip began: play its waves from well before zero (at
        the clip's own spacing), so the opening seconds hold as many waves, and as much of their
        draining wash, as any other stretch; a clip is not louder for starting on a fresh set."""
        at = -(32.0 + rng.uniform(0.0, 1.0) * self._spacing(rng))
        while at < 0.0:
            self._add_wave(rng, at)
            at += self._spacing(rng)
        self.next_wave = at

    def _add_wave(self, rng: np.random.Generator, start: float) -> None:
        amp = self.size * rng.uniform(0.7, 1.0)
        rise = rng.uniform(1.2, 2.6)
        body_decay = rng.uniform(1.2, 2.5)
        wash_decay = rng.uniform(2.2, 4.5) * (0.8 + 0.4 * self.i)
        crash = rng.uniform(0.6, 1.0) * (0.4 + 0.6 * self.i)
        gl, gr = pan_pair(rng.uniform(-0.6, 0.6))
        self.waves.append((start, amp, rise, body_decay, wash_decay, crash, float(gl), float(gr)))

    def _envelopes(self, t: np.ndarray) -> np.ndarray:
        """Rows: low L/R, mid L/R, high L/R, fizz L/R, at times t (s)."""
        env = np.zeros((8, t.size))
        keep = []
        for w in self.waves:
            start, amp, rise, body_decay, wash_decay, crash, gl, gr = w
            tau = t - start
            if tau[0] > rise + 6 * wash_decay:
                continue
            keep.append(w)
            pre = np.clip(tau / rise, 0, 1)
            after = np.clip(tau - rise, 0, None)
            broke = tau >= rise
            build = pre * pre * (3 - 2 * pre)  # smoothstep
            body = amp * np.where(broke, np.exp(-after / body_decay), build ** 1.5)
            hit = amp * crash * broke * (1 - np.exp(-after / 0.1)) * np.exp(-after / 0.8)
            wash = amp * broke * (1 - np.exp(-after / 0.5)) * np.exp(-after / wash_decay)
            low = body + 0.5 * hit
            mid = 0.6 * body * build + hit + 0.5 * wash
            high = 0.15 * body * build ** 3 + 0.8 * hit + wash
            env[0] += low * gl
            env[1] += low * gr
            env[2] += mid * gl
            env[3] += mid * gr
            env[4] += high * gl
            env[5] += high * gr
            fizz = 0.8 * wash * np.exp(-after / (0.7 * wash_decay))
            env[6] += fizz * gl
            env[7] += fizz * gr
        self.waves = keep
        return env

    def _spacing(self, rng: np.random.Generator) -> float:
        """Seconds from one wave to the next: a swell keeps its period, so the waves keep to a
        jittered grid of it (each up to 0.3 of a period early or late) rather than drifting
        into long lulls and bunches; any stretch of a clip holds its share of them."""
        jit = rng.uniform(-0.3, 0.3)
        gap = self.period * (1.0 + jit - self.jit)
        self.jit = jit
        return gap

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        n_c = self.ctl.length(n)
        dt = self.ctl.factor / sr
        t = self.time + dt * np.arange(1, n_c + 1)
        end = self.time + n / sr
        if not self.started:
            self.started = True
            self._open(rng)
        while self.next_wave < end:
            self._add_wave(rng, self.next_wave)
            self.next_wave += self._spacing(rng)
        self.time = end
        env = self._envelopes(t)
        # the constant murmur of distant surf, slowly breathing
        bed = (0.12 + 0.06 * self.drift(rng, n_c)) * (0.5 + 0.5 * self.i + 0.6 * self.i ** 2) * self.bed_gain
        env[:6] += bed
        n_lo = low_len(n, self.f_lo)
        n_mid = low_len(n, self.f_mid)
        f32 = np.float32
        env = env.astype(f32)
        low = self.low(self.mix @ noise(rng, 2, n_lo, dtype=f32))
        low *= self.ctl_lo(env[0:2], n_lo)
        low *= self.norm * 1.8
        mid = self.low_up(low, n_mid)
        mid_env = self.ctl_mid(env[2:4], n_mid)
        band = self.mid(self.mix @ noise(rng, 2, n_mid, dtype=f32))
        band *= mid_env
        band *= 0.55 / np.sqrt(self.f_mid)
        mid += band
        # fizz: while foam drains, the bright band crackles (a spiky gain at ~1 ms grains)
        fz = self.fizz(noise(rng, 2, n_mid, dtype=f32))
        fz *= fz
        hi_env = self.ctl_hi(env[4:8].reshape(2, 2, -1).transpose(1, 0, 2).reshape(4, -1), n_mid)
        gain = hi_env[0::2] - hi_env[1::2] + hi_env[1::2] * (fz * self.fizz_norm)
        gain *= 0.05
        out = self.mid_up(mid, n)
        out += self.high(rng, n, gain=self.hi_up(gain, n))
        if self.out_gain != 1.0:
            out *= np.float32(self.out_gain)
        return to_output(out)


class Surf(Waves):
    name = "surf"
    category = "ambience"
    keywords = ("surf", "pounding surf", "heavy surf", "breakers", "surf breaking", "crashing surf",
                "surf on the beach", "big waves", "rough sea", "stormy sea", "waves pounding")
    description = "surf: big breakers one over another, a continuous roar of white water"
    outdoor = True
    option_words = {}
    supersedes = ("waves",)

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.params = replace(self.params, intensity=0.55 + 0.45 * i,
                              options={k: v for k, v in self.params.options.items() if k != "sea"})
        super().setup(rng)
        self.period *= 0.6  # sets of breakers: the next comes before the last has drained
        self.bed_gain = 1.2 + 2.0 * i  # the white water never stops
        # a seed whose breakers come closer together is no louder for it: the breakers' power
        # goes as one over their period, so the output is scaled by its square root
        typical = 8.75 * 0.6 * (1.0 - 0.15 * self.i)
        self.out_gain = 0.5 * float(np.sqrt(self.period / typical))
        self.jit = 0.0
