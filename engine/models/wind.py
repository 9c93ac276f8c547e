"""Wind: a low rumble and a whooshing mid band that swell with gusts, a gliding
howl in strong wind, and leaf rustle in a breeze.

Cheap by construction: the rumble lives at ~1.5 kHz sample rate, the whoosh and
the howl at ~6 kHz, and they are brought up to the output rate by streamed
cubic splines; the rustle reads a pre-filtered noise table. All in float32.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import (ColoredNoise, Control, Oscillator, SplineUpsampler, Upsampler, Wander, factor_for, low_len,
                   sin_cycles, to_output)
from .base import BLOCK, SoundModel, StatefulFilter, butter, noise

# style -> (gust rate Hz, gust depth, flutter depth, rumble, whoosh, howl, rustle)
_STYLES = {
    "breeze": (0.18, 0.55, 0.35, 0.55, 0.30, 0.00, 0.55),
    "gusty": (0.22, 0.95, 0.30, 1.00, 0.60, 0.25, 0.20),
    "storm": (0.35, 0.80, 0.45, 1.00, 0.85, 1.00, 0.25),
}


class _Dealt:
    """Stands in for a block's generator in :class:`Wander`: its knots (uniform in 0..1) are
    dealt from a shuffled deck of equal strata of 0..1, one value from each stratum per deck.

    The card dealt next leans towards the high or the low end of what is left in the deck,
    whichever brings a running sum back towards its long-run mean: ``debt`` (the mean minus
    what was delivered, in units of the mean) is kept by the caller, or here from ``power``
    (knot -> what it delivers) when given. The knots keep their uniform spread and a random
    order, but a strong gust tends to be followed by calmer air rather than another, and any
    half-minute holds its share of gusts and lulls.
    """

    def __init__(self, strata: int, power=None) -> None:
        self.strata = strata
        self.deck: list[int] = []
        self.rng: np.random.Generator | None = None
        self.power = power
        self.debt = 0.0
        if power is not None:
            self.mean = float(np.mean(power((np.arange(4096) + 0.5) / 4096)))

    def random(self, size: int) -> np.ndarray:
        out = np.empty(size)
        draws = self.rng.random((size, 3)).tolist()  # per knot: which card, whether to lean, offset
        for j, (pick, lean, offset) in enumerate(draws):
            if not self.deck:
                self.deck = sorted(self.rng.permutation(self.strata).tolist())
            m = len(self.deck)
            if m > 1 and lean < min(1.0, abs(self.debt)):  # lean: the upper or lower half of the deck
                upper = m // 2
                idx = m - upper + int(pick * upper) if self.debt > 0 else int(pick * (m - upper))
            else:  # near the mean: any card
                idx = int(pick * m)
            v = (self.deck.pop(idx) + offset) / self.strata
            out[j] = v
            if self.power is not None:
                self.debt += 1.0 - self.power(v) / self.mean
        return out


class _DealtWander(Wander):
    """A :class:`Wander` whose knots come from a :class:`_Dealt` deck, starting mid-range."""

    def __init__(self, rng: np.random.Generator, rate_hz: float, sr_c: float, strata: int = 8,
                 power=None) -> None:
        super().__init__(rng, rate_hz, sr_c)
        self.dealer = _Dealt(strata, power)
        # start in the middle third: a render opening on a full gust (or dead calm) would carry
        # it for a time constant, and the loud end of the gust curve weighs heavily in its level
        start = (1.0 + rng.random()) / 3
        self.state[0] = start
        self.zi = np.array([start * (1.0 - self.b[0])])  # the smoother's memory: a * y[-1], a = 1 - b

    def __call__(self, rng: np.random.Generator, n_c: int) -> np.ndarray:
        self.dealer.rng = rng
        return super().__call__(self.dealer, n_c)


_GUST_MEAN: dict[tuple, float] = {}


def _gust_mean(rate_hz: float, sr_c: float, n_c: int, depth: float, strata: int) -> float:
    """Long-run mean of the gust curve to the fourth (the whoosh's power) for a modulator
    like the model's: a fixed run of dealt knots (without leaning) through its smoother,
    vectorised; once per process and setting."""
    key = (rate_hz, sr_c, n_c, depth, strata)
    if key not in _GUST_MEAN:
        rng = np.random.default_rng(0x6057)
        w = Wander(rng, rate_hz, sr_c)
        per_block = max(2, int(np.ceil(n_c * rate_hz / sr_c)) + 1) - 1  # knots per block, as Wander
        knots = (np.argsort(rng.random((32, strata)), axis=1) + rng.random((32, strata))).ravel() / strata
        x = np.interp(np.arange(knots.size * n_c // per_block) * per_block / n_c, np.arange(knots.size), knots)
        g = signal.lfilter(w.b, w.a, x, zi=np.array([0.5 * (1.0 - w.b[0])]))[0][n_c * 4:]  # from mid-range
        _GUST_MEAN[key] = float(np.mean(((1 - depth) * 0.45 + depth * g ** 1.6) ** 4))
    return _GUST_MEAN[key]


class Wind(SoundModel):
    name = "wind"
    category = "ambience"
    keywords = ("wind", "windy", "breeze", "breezy", "gust", "gusts", "gusty", "blustery",
                "gale", "draught", "storm", "stormy", "howling wind", "wind storm", "windstorm", "whistling wind")
    description = "wind: low rumble and whoosh swelling in gusts; breeze rustles leaves, storm howls"
    outdoor = True
    option_words = {
        "breeze": ("style", "breeze"), "breezy": ("style", "breeze"), "gentle": ("style", "breeze"),
        "light": ("style", "breeze"), "leaves": ("style", "breeze"), "trees": ("style", "breeze"),
        "gust": ("style", "gusty"), "gusts": ("style", "gusty"), "gusty": ("style", "gusty"),
        "blustery": ("style", "gusty"), "storm": ("style", "storm"), "stormy": ("style", "storm"),
        "gale": ("style", "storm"), "howling": ("style", "storm"), "windstorm": ("style", "storm"),
        "hurricane": ("style", "storm"), "blizzard": ("style", "storm"), "whistling": ("style", "storm"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        style = self.params.options.get("style")
        if style not in _STYLES:
            style = "breeze" if i < 0.3 else "storm" if i > 0.85 else "gusty"
        self.style = style
        rate, depth, flutter, rumble, whoosh, howl, rustle = _STYLES[style]
        sr = self.sr
        self.ctl = Control(sr)
        self.depth = depth
        self.flutter_depth = flutter
        # gusts and flutter keep to their long-run power: the gust knots lean on what the
        # whoosh's power (the gust curve to the fourth) has delivered so far, the flutter's
        # on what its own knots gave
        self.gust = _DealtWander(rng, rate * (0.8 + 0.6 * i), self.ctl.rate)
        self.gust_mean = _gust_mean(self.gust.rate, self.ctl.rate, self.ctl.length(BLOCK), depth,
                                     self.gust.dealer.strata)
        self.flutter = _DealtWander(rng, 2.0 + 2 * i, self.ctl.rate,
                                    power=lambda k: (1 - 0.5 * flutter + flutter * k) ** 4)
        self.env_up = self.ctl.upsampler(3)
        # level and colour from intensity: stronger wind is louder and brighter
        self.g_rumble = rumble * (0.35 + 0.65 * i)
        self.g_whoosh = whoosh * (0.2 + 0.8 * i) ** 1.5
        self.g_howl = howl * (0.3 + 0.7 * i) ** 1.5
        self.g_rustle = rustle * (0.3 + 0.7 * i)
        # rumble at ~1.5 kHz, brought up to the mid rate and summed there
        self.f_lo = factor_for(sr, 1500)
        self.f_mid = factor_for(sr, 6000)
        lo_sr = sr / self.f_lo
        mid_sr = sr / self.f_mid
        self.out_gain = 0.38
        self.rumble_f = StatefulFilter(np.vstack([butter("lowpass", 180 + 220 * i, lo_sr, 2),
                                                  butter("highpass", 25, lo_sr, 1)]), dtype=np.float32)
        self.rumble_up = SplineUpsampler(self.f_lo // self.f_mid, 2)
        self.ctl_lo = Upsampler(self.ctl.factor // self.f_lo, 1)
        self.ctl_mid = Upsampler(self.ctl.factor // self.f_mid, 3)
        # whoosh + howl at ~6 kHz
        self.mid_sr = mid_sr
        self.whoosh_f = StatefulFilter(butter("bandpass", (250, 1100 + 1400 * i), mid_sr, 1), dtype=np.float32)
        # (a very low cutoff: its poles sit close to the unit circle, so it runs in float64)
        self.howl_bw = StatefulFilter(butter("lowpass", 9 + 12 * i, mid_sr, 2), channels=4)
        self.howl_f0 = rng.uniform(380, 650) * (1.15 if style == "storm" else 1.0)
        self.howl_ratio = rng.uniform(1.3, 1.6)
        self.howl_osc = [Oscillator(mid_sr, rng.random()), Oscillator(mid_sr, rng.random())]
        self.mid_up = SplineUpsampler(self.f_mid, 2)
        # rustle at full rate: bright noise from a pre-filtered table, fluttering
        self.rustle = ColoredNoise(sr, np.vstack([butter("highpass", 1800, sr, 2),
                                                  butter("lowpass", 7000 + 4000 * round(i * 4) / 4, sr, 1)]))
        self.rustle_up = self.ctl.upsampler(1)
        self.mix = np.array([[1.0, 0.45], [0.45, 1.0]], dtype=np.float32)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_c = self.ctl.length(n)
        g = self.gust(rng, n_c)
        fl = self.flutter(rng, n_c)
        gust = (1 - self.depth) * 0.45 + self.depth * g ** 1.6
        g2 = gust * gust
        power = float(np.einsum("i,i->", g2, g2)) / n_c  # the whoosh's: the gust curve^4
        self.gust.dealer.debt += n_c / self.ctl.length(BLOCK) * (1.0 - power / self.gust_mean)
        gust = gust * (1 - self.flutter_depth * 0.5 + self.flutter_depth * fl)
        self.last_gust = gust  # (control rate) for layers that follow the wind, e.g. a breeze's leaves
        n_lo = low_len(n, self.f_lo)
        n_mid = low_len(n, self.f_mid)
        og = self.out_gain

        # rumble: low rate, amplitude follows the gusts
        lo = self.rumble_f(self.mix @ noise(rng, 2, n_lo, dtype=np.float32))
        lo *= self.ctl_lo((gust * (0.6 + 0.8 * gust) * (self.g_rumble * 0.9 * og)).astype(np.float32)[None], n_lo)
        mid = self.rumble_up(lo, n_mid)

        # whoosh and howl: mid rate, brightness and pitch follow the gusts
        ctl = self.ctl_mid(np.vstack([gust ** 2 * (self.g_whoosh * 1.6 * og), gust,
                                      self.g_howl * np.maximum(gust - 0.1, 0) ** 1.5]).astype(np.float32), n_mid)
        whoosh = self.whoosh_f(noise(rng, 2, n_mid, dtype=np.float32))
        whoosh *= ctl[0]
        mid += whoosh
        if self.g_howl > 0:
            nb = self.howl_bw(noise(rng, 4, n_mid)).astype(np.float32)  # narrowband: ~15 Hz wide
            # two gliding tones, each narrowband noise around its pitch (sine and cosine carriers);
            # their pitches bend together, so one running sum of the bend serves both
            bend = 0.65 + 0.7 * np.minimum(np.maximum(ctl[1], 0), 1.5)
            run = np.empty(n_mid)
            run[0] = 0.0
            np.cumsum(bend[:-1], out=run[1:])
            total = run[-1] + float(bend[-1])
            tones = np.empty((2, n_mid), dtype=np.float32)
            for k, osc in enumerate(self.howl_osc):
                step = self.howl_f0 * (self.howl_ratio if k else 1.0) / osc.sr
                ph = run * step
                ph += osc.phase
                osc.phase = (osc.phase + total * step) % 1.0
                ph -= np.floor(ph)
                ph = (ph * (2 * np.pi)).astype(np.float32)
                tone = nb[2 * k] * np.sin(ph)
                tone += nb[2 * k + 1] * np.cos(ph)
                tone *= ctl[2] * np.float32(12.0 * og * (1.0 if k == 0 else 0.6))
                tones[k] = tone
            mid += tones
            mid += 0.35 * tones[::-1]
        out = self.mid_up(mid, n)

        if self.g_rustle > 0:
            leaf = (0.25 + gust) * (0.3 + 0.7 * fl ** 2) * (self.g_rustle * 0.55 * og)
            out += self.rustle(rng, n, gain=self.rustle_up(leaf.astype(np.float32)[None], n))
        return to_output(out)
