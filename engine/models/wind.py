"""Wind: a low rumble and a whooshing mid band that swell with gusts, a gliding
howl in strong wind, and leaf rustle in a breeze.

Cheap by construction: the rumble lives at ~1.5 kHz sample rate, the whoosh and
the howl at ~6 kHz, and they are brought up to the output rate by streamed
linear interpolation; only the rustle is filtered at the full rate.
"""

from __future__ import annotations

import numpy as np

from ._amb import SplineUpsampler, ColoredNoise, Control, Oscillator, Upsampler, Wander, factor_for, low_len, sin_cycles, soft_limit
from .base import SoundModel, StatefulFilter, butter, noise

# style -> (gust rate Hz, gust depth, flutter depth, rumble, whoosh, howl, rustle)
_STYLES = {
    "breeze": (0.18, 0.55, 0.35, 0.55, 0.30, 0.00, 0.55),
    "gusty": (0.22, 0.95, 0.30, 1.00, 0.60, 0.25, 0.20),
    "storm": (0.35, 0.80, 0.45, 1.00, 0.85, 1.00, 0.25),
}


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
        self.gust = Wander(rng, rate * (0.8 + 0.6 * i), self.ctl.rate)
        self.flutter = Wander(rng, 2.0 + 2 * i, self.ctl.rate)
        self.depth = depth
        self.flutter_depth = flutter
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
        self.rumble_f = StatefulFilter(np.vstack([butter("lowpass", 180 + 220 * i, lo_sr, 2),
                                                  butter("highpass", 25, lo_sr, 1)]))
        self.rumble_up = SplineUpsampler(self.f_lo // self.f_mid, 2)
        self.ctl_lo = Upsampler(self.ctl.factor // self.f_lo, 1)
        self.ctl_mid = Upsampler(self.ctl.factor // self.f_mid, 3)
        # whoosh + howl at ~6 kHz
        self.mid_sr = mid_sr
        self.whoosh_f = StatefulFilter(butter("bandpass", (250, 1100 + 1400 * i), mid_sr, 1))
        self.howl_bw = StatefulFilter(butter("lowpass", 9 + 12 * i, mid_sr, 2), channels=4)
        self.howl_f0 = rng.uniform(380, 650) * (1.15 if style == "storm" else 1.0)
        self.howl_ratio = rng.uniform(1.3, 1.6)
        self.howl_osc = [Oscillator(mid_sr, rng.random()), Oscillator(mid_sr, rng.random())]
        self.mid_up = SplineUpsampler(self.f_mid, 2)
        # rustle at full rate: bright noise from a pre-filtered table, fluttering
        self.rustle = ColoredNoise(sr, np.vstack([butter("highpass", 1800, sr, 2),
                                                  butter("lowpass", 7000 + 4000 * round(i * 4) / 4, sr, 1)]))
        self.rustle_up = self.ctl.upsampler(1)
        self.mix = np.array([[1.0, 0.45], [0.45, 1.0]])
        self.out_gain = 0.38

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_c = self.ctl.length(n)
        g = self.gust(rng, n_c)
        fl = self.flutter(rng, n_c)
        gust = (1 - self.depth) * 0.45 + self.depth * g ** 1.6
        gust = gust * (1 - self.flutter_depth * 0.5 + self.flutter_depth * fl)
        n_lo = low_len(n, self.f_lo)
        n_mid = low_len(n, self.f_mid)

        # rumble: low rate, amplitude follows the gusts
        g_lo = self.ctl_lo((gust * (0.6 + 0.8 * gust) * (self.g_rumble * 0.9))[None], n_lo)[0]
        lo = self.rumble_f(self.mix @ noise(rng, 2, n_lo)) * g_lo
        mid = self.rumble_up(lo, n_mid)

        # whoosh and howl: mid rate, brightness and pitch follow the gusts
        ctl = self.ctl_mid(np.vstack([gust ** 2 * (self.g_whoosh * 1.6), gust,
                                      self.g_howl * np.clip(gust - 0.1, 0, None) ** 1.5]), n_mid)
        mid += self.whoosh_f(noise(rng, 2, n_mid)) * ctl[0]
        if self.g_howl > 0:
            nb = self.howl_bw(noise(rng, 4, n_mid)) * 12.0
            bend = 0.65 + 0.7 * np.clip(ctl[1], 0, 1.5)
            for k, osc in enumerate(self.howl_osc):
                ph = osc.phases(self.howl_f0 * (self.howl_ratio if k else 1.0) * bend, n_mid)
                tone = nb[2 * k] * sin_cycles(ph) + nb[2 * k + 1] * sin_cycles(ph + 0.25)
                tone *= ctl[2] * (1.0 if k == 0 else 0.6)
                mid[k] += tone
                mid[1 - k] += 0.35 * tone
        out = self.mid_up(mid, n)

        if self.g_rustle > 0:
            leaf = (0.25 + gust) * (0.3 + 0.7 * fl ** 2) * (self.g_rustle * 0.55)
            out += self.rustle(rng, n) * self.rustle_up(leaf[None], n)
        return soft_limit(out * self.out_gain)
