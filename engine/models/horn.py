"""Car horn: one-shot honks."""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _filt, _fade, _norm, _osc, _t


# --------------------------------------------------------------------------- horn

class Horn(_OneShot):
    name = "horn"
    keywords = ("horn", "horns", "honk", "honks", "honking", "car horn", "horn honk",
                "truck horn", "air horn", "beeping horn")
    default_level_db = 2.0
    description = "car horn honks (one or a few; 'long', 'honking', 'truck'); one-shot at 0.5 s or given times"
    option_words = {
        "honks": ("count", 3), "honking": ("count", 3), "several": ("count", 3), "repeatedly": ("count", 4),
        "impatient": ("count", 4), "angry": ("count", 4),
        "honk": ("count", 1), "single": ("count", 1), "once": ("count", 1), "twice": ("count", 2),
        "double": ("count", 2),
        # multi-word entries override single words ("honks twice" is two, not "honks")
        "honks twice": ("count", 2), "honk twice": ("count", 2), "honked twice": ("count", 2),
        "honking twice": ("count", 2), "two honks": ("count", 2), "three honks": ("count", 3),
        "honks once": ("count", 1), "honked once": ("count", 1),
        "long": ("length", "long"), "leaning": ("length", "long"), "blaring": ("length", "long"),
        "truck": ("kind", "truck"), "lorry": ("kind", "truck"), "bus": ("kind", "truck"),
        "air": ("kind", "truck"),
    }

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        opts = self.params.options
        truck = opts.get("kind") == "truck"
        count = int(opts.get("count", rng.choice([1, 1, 2, 3])))
        long_ = opts.get("length") == "long"
        if long_:
            durs = [rng.uniform(1.4, 2.4)] + [rng.uniform(0.3, 0.6) for _ in range(count - 1)]
        elif count == 1:
            durs = [rng.uniform(0.35, 0.7)]
        else:
            durs = [rng.uniform(0.12, 0.25) for _ in range(count - 1)] + [rng.uniform(0.3, 0.6)]
        f0 = rng.uniform(200, 280) if truck else rng.uniform(380, 460)
        ratios = [1.0, 1.25, 1.5] if truck else [1.0, rng.uniform(1.22, 1.28)]
        k = np.arange(1, 60)
        # rich buzzy diaphragm spectrum with a horn resonance around 2-3 kHz
        h_base = 1.0 / k ** (0.9 - 0.2 * i)
        parts, t0 = [], 0.0
        for d in durs:
            t = _t(sr, d)
            wob = 1 + 0.003 * np.sin(2 * np.pi * rng.uniform(25, 40) * t)
            droop = 1 - 0.015 * np.exp(-t / 0.03)  # pitch settles as the diaphragm starts
            x = np.zeros(t.size)
            for r in ratios:
                f = f0 * r
                h = h_base * (1 + 2.5 * np.exp(-((k * f - 2600) / 1300) ** 2))
                x += _osc(sr, f * wob * droop, h, rng.random())
            x = _fade(x, sr, 0.012, 0.04)
            parts.append((t0, x))
            t0 += d + rng.uniform(0.1, 0.18)
        length = max(int(o * sr) + p.size for o, p in parts)
        ev = np.zeros(length)
        for o, p in parts:
            ev[int(o * sr):int(o * sr) + p.size] += p
        ev = _filt(ev, "highpass", 150, sr, 2)
        return _norm(np.vstack([ev, ev]), 0.55 + 0.35 * i)
