"""Dog barks: one-shot series of barks from a small, medium or big dog.

A bark is a short, loud, harsh vocalisation: the larynx buzzes at a pitch that
jumps up at the onset and falls through the call (Yin 2002; Pongrácz et al.
2005), rich in harmonics and roughness (period doubling, noise), shaped by a
short vocal tract whose formants sit higher the smaller the dog. So each bark
is a band-limited glottal buzz following that pitch contour, mixed with
aspiration noise, roughened by a subharmonic, passed through three formant
resonators, with a fast attack and a decay. A series is 1-4 barks, 0.25-0.5 s
apart, each a little different.
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _fade, _filt, _norm, _osc, _reson, _t

# size -> (f0 range Hz, formants Hz, bark duration range s)
_SIZES = {
    "small": ((650, 950), (1100, 2400, 3800), (0.07, 0.13)),
    "medium": ((380, 560), (800, 1700, 2900), (0.10, 0.18)),
    "big": ((200, 320), (500, 1150, 2300), (0.14, 0.26)),
}


def _bark(rng: np.random.Generator, sr: int, size: str, loud: float) -> np.ndarray:
    (f_lo, f_hi), formants, (d_lo, d_hi) = _SIZES[size]
    dur = rng.uniform(d_lo, d_hi)
    t = _t(sr, dur + 0.06)
    f0 = rng.uniform(f_lo, f_hi)
    # pitch: a jump up over the first 25 ms, then a fall through the call
    x = t / dur
    contour = f0 * (1 + 0.35 * (1 - np.exp(-t / 0.012))) * (1 - 0.35 * np.clip(x, 0, 1.2) ** 1.5)
    contour *= 1 + 0.02 * rng.standard_normal(t.size).cumsum() / np.sqrt(t.size)  # jitter drift
    k = np.arange(1, 48)
    buzz = _osc(sr, contour, 1.0 / k ** 0.9, rng.random())
    sub = _osc(sr, contour / 2, np.array([1.0, 0.0, 0.5]), rng.random())  # period doubling
    rough = buzz * (1 + 0.5 * rng.uniform(0.3, 1.0) * sub)
    breath = _filt(rng.standard_normal(t.size), "bandpass", (600, 6000), sr)
    src = rough + breath * (0.25 + 0.25 * loud)
    out = np.zeros(t.size)
    for j, (fm, gain) in enumerate(zip(formants, (1.0, 0.8, 0.45))):
        out += gain * _reson(src, fm * rng.uniform(0.92, 1.08), 4.0 + j, sr)
    env = np.clip(t / 0.008, 0, 1) * np.exp(-np.maximum(t - 0.35 * dur, 0) / (0.3 * dur))
    out *= env
    out = _filt(_filt(out, "highpass", 180, sr, 2), "lowpass", 5500, sr, 2)
    return _fade(out, sr, 0.001, 0.02)


class DogBark(_OneShot):
    name = "dog_bark"
    keywords = ("dog", "dogs", "dog bark", "dog barks", "dog barking", "dogs barking", "bark", "barks",
                "barking", "woof", "woofs", "yap", "yapping", "puppy", "hound")
    default_level_db = 2.0
    description = "a dog barking: a series of 1-4 barks (small, medium or big dog); one-shot at 0.5 s or given times"
    option_words = {
        "small": ("size", "small"), "little": ("size", "small"), "puppy": ("size", "small"),
        "yap": ("size", "small"), "yapping": ("size", "small"), "chihuahua": ("size", "small"),
        "terrier": ("size", "small"),
        "big": ("size", "big"), "large": ("size", "big"), "huge": ("size", "big"), "guard": ("size", "big"),
        "hound": ("size", "big"), "shepherd": ("size", "big"), "mastiff": ("size", "big"),
        "once": ("count", 1), "single": ("count", 1), "twice": ("count", 2),
        "barking": ("count", 4), "barks repeatedly": ("count", 5), "keeps barking": ("count", 6),
    }

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        size = self.params.options.get("size", "medium")
        size = size if size in _SIZES else "medium"
        count = int(self.params.options.get("count", rng.choice([2, 2, 3, 3, 4])))
        barks, pos = [], 0.0
        for _ in range(max(1, count)):
            b = _bark(rng, sr, size, i) * rng.uniform(0.75, 1.0)
            barks.append((int(pos * sr), b))
            pos += b.size / sr + rng.uniform(0.15, 0.4)
        ev = np.zeros(max(o + b.size for o, b in barks))
        for o, b in barks:
            ev[o:o + b.size] += b
        return _norm(np.vstack([ev, ev]), 0.5 + 0.4 * i)
