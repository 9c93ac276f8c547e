"""Dog barks: one-shot series of barks from a small, medium or big dog.

A bark is a short, loud, harsh vocalisation: the larynx is driven hard, so
it buzzes at a pitch that jumps up at the onset and falls through the call
(Yin 2002; Pongrácz et al. 2005), with irregular periods (jitter), uneven
pulses (shimmer), period doubling (a subharmonic) and much noise: a low
harmonics-to-noise ratio is what makes it a bark and not a whistle. A short
vocal tract shapes it with broad formants that sit higher the smaller the dog.
So each bark is a glottal pulse train with per-pulse jitter and shimmer, mixed
with turbulence noise, through four broad formant resonators, with a fast
attack and a decay. A series is 2-4 barks, 0.15-0.4 s apart, each a little
different.
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _fade, _filt, _norm_energy, _reson, _t

# size -> (f0 range Hz, formants Hz, bark duration range s). Formant spacing follows the vocal
# tract length (Riede & Fitch 1999: dispersion ~1 kHz for a medium dog, wider for a small one).
_SIZES = {
    "small": ((650, 850), (900, 2100, 3400, 4600), (0.12, 0.18)),
    "medium": ((420, 620), (600, 1500, 2500, 3500), (0.15, 0.25)),
    "big": ((260, 380), (450, 1150, 1900, 2700), (0.2, 0.3)),
}
#: formant bandwidths, Hz: an open, wet mouth damps them (broad), the higher ones more
_BANDWIDTHS = (180.0, 260.0, 360.0, 480.0)


def _glottal_pulses(rng: np.random.Generator, sr: int, contour: np.ndarray, jitter: float,
                    shimmer: float) -> np.ndarray:
    """A train of glottal pulses whose every period and height wobble (jitter, shimmer):
    a forced, high-pressure call drives the folds irregularly, smearing the upper harmonics."""
    out = np.zeros(contour.size)
    pos, k = 0.0, 0
    # the pulse: a sharp closure (a derivative-of-Gaussian click of ~0.3 ms), rich up to ~6 kHz
    w = np.arange(-int(0.0012 * sr), int(0.0012 * sr) + 1) / sr
    pulse = -w * np.exp(-(w / 0.00025) ** 2)
    pulse /= np.max(np.abs(pulse))
    while pos < contour.size - pulse.size:
        i = int(pos)
        amp = 1.0 + shimmer * rng.standard_normal()
        if k % 2 and rng.random() < 0.6:  # period doubling: every other pulse weaker
            amp *= 0.55
        out[i:i + pulse.size] += amp * pulse
        period = sr / contour[i] * (1.0 + jitter * rng.standard_normal())
        pos += max(period, sr / 2000)
        k += 1
    return out


def _formant_filter(sr: int, src: np.ndarray, centres: np.ndarray, bandwidths, gains) -> np.ndarray:
    """Pass ``src`` through formants whose centres move (``centres``: (formants, n) Hz per sample),
    frame by frame in the STFT domain: a mouth that opens and closes during the call."""
    from scipy.signal import istft, stft

    nper, hop = 512, 128
    f, times, spec = stft(src, sr, nperseg=nper, noverlap=nper - hop, boundary="even", padded=True)
    idx = np.clip((times * sr).astype(int), 0, src.size - 1)
    shape = np.zeros((f.size, times.size))
    for c, bw, g in zip(centres, bandwidths, gains):
        fc = c[idx][None, :]
        shape += g / (1 + ((f[:, None] - fc) / (bw / 2)) ** 2)  # a resonance's magnitude (Lorentzian)
    _, out = istft(spec * shape, sr, nperseg=nper, noverlap=nper - hop, boundary=True)
    return out[:src.size]


def _bark(rng: np.random.Generator, sr: int, size: str, loud: float) -> np.ndarray:
    """One bark ("wuf"): a rough voiced burst while the mouth snaps open and closes again."""
    (f_lo, f_hi), formants, (d_lo, d_hi) = _SIZES[size]
    dur = rng.uniform(d_lo, d_hi)
    t = _t(sr, dur + 0.04)
    f0 = rng.uniform(f_lo, f_hi)
    # pitch: up by a few semitones in the first 30 ms (the forced onset), then a fall
    x = np.clip(t / dur, 0, 1.2)
    contour = f0 * (1 + 0.15 * (1 - np.exp(-t / 0.01))) * (1 - 0.1 * x ** 1.5)
    src = _glottal_pulses(rng, sr, contour, jitter=0.02 + 0.01 * loud, shimmer=0.3)
    # turbulent air through the glottis and the open mouth
    breath = _filt(rng.standard_normal(t.size), "bandpass", (400, 7000), sr)
    breath *= np.std(src) / (np.std(breath) + 1e-12)
    src = src + (0.45 + 0.2 * loud) * breath
    # the jaw: nearly closed (formants low, the "w"), wide open within ~30 ms, closing at the end
    opening = np.clip(t / rng.uniform(0.02, 0.04), 0, 1) * np.clip((dur - t) / (0.35 * dur) + 0.3, 0.3, 1)
    centres = np.array([fm * rng.uniform(0.92, 1.08) * (0.55 + 0.45 * opening) for fm in formants])
    out = _formant_filter(sr, src, centres, _BANDWIDTHS, (1.0, 0.8, 0.45, 0.25))
    env = np.clip(t / 0.006, 0, 1) * np.exp(-np.maximum(t - 0.35 * dur, 0) / (0.25 * dur))
    out = _filt(_filt(out * env, "highpass", 200, sr, 2), "lowpass", 7000, sr, 2)
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
        count = int(self.params.options.get("count", rng.choice([2, 3, 3, 4, 4, 5])))
        barks, pos = [], 0.0
        for _ in range(max(1, count)):
            b = _norm_energy(_bark(rng, sr, size, i), sr, rng.uniform(0.75, 1.0))  # equal takes, not equal peaks
            barks.append((int(pos * sr), b))
            pos += b.size / sr + rng.uniform(0.15, 0.4)
        ev = np.zeros(max(o + b.size for o, b in barks))
        for o, b in barks:
            ev[o:o + b.size] += b
        return _norm_energy(np.vstack([ev, ev]), sr, 0.3 * (0.5 + 0.4 * i) * np.sqrt(len(barks)))
