"""Vocal material for crowds beyond talk: shouts and cheers, laughter, children at play.

Not a model module: the registry skips module names that start with ``_``.

Everything is real synthesised speech from the bundled Piper voice, reshaped with
the WORLD vocoder (``pyworld``) along the lines of what changes in the body:

- a *shout* ("yeah!", "woo!", "come on!") is the same words with raised vocal
  effort: the pitch goes up by a half to a whole octave and rises then falls over
  the call, the vowel is held longer, the first formant rises (a wider-open jaw)
  and the spectral tilt flattens (a sharper glottal closure puts more energy into
  the harmonics above 1 kHz);
- a *laugh* is voiced "ha" pulses (breathy /h/ onsets, the vowel /a/) at 4-6 a
  second, pitched well above speech and falling over the bout, breathier than talk;
- *children* have short vocal tracts (formants ~30 % up) and high voices (two to
  three times an adult man's pitch); at play they call and shout, and shriek (an open
  vowel held at 500-800 Hz, pressed: the flattest tilt of all).

Takes are made once (a few seconds of synthesis and analysis), kept on disk beside
the calibration cache, and resampled per rate in memory. Without Piper, the voice
or pyworld, every function returns ``None`` and callers fall back.

A *chorus* (:func:`chorus`) pre-mixes a dozen independent readers of some material
into one long loop: a model that reads a chorus with N readers sums ~12 N voices for
the cost of N, which is how a crowd of hundreds stays within the render budget.
"""

from __future__ import annotations

import hashlib
import os
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
from scenefill.engine import array_cache
from scenefill.engine.cache_paths import made_once, open_regular

from ._babble import SENTENCES

_VERSION = "vocal-5"
_FRAME_MS = 5.0
_lock = threading.Lock()
_RAW: dict[str, tuple[list[np.ndarray], int] | None] = {}
_AT_RATE: dict[tuple[str, int], list[np.ndarray] | None] = {}
_CHORUS: dict[tuple, np.ndarray] = {}

#: what crowds shout when something happens: open vowels that hold
CHEERS = ("Yeah!", "Woo!", "Yes!", "Come on!", "Go on!", "Ahh!", "Hey!", "Whoa!", "Yeah, yeah!", "Yay!",
          "Woo hoo!", "Oh yes!")
LAUGHS = ("Ha ha ha ha!", "Hahaha!", "Ha ha ha ha ha!", "Ha ha!", "Hee hee hee!", "Ha ha ha!")
CHILD_CALLS = ("Hey!", "Catch it!", "My turn!", "Over here!", "Wheee!", "You're it!", "Come on!", "Me, me!",
               "Ready or not!", "Got you!", "Throw it!", "Wait for me!")
#: children's shrieks at play: an open vowel held at the top of the voice
CHILD_SCREAMS = ("Aaaah!", "Eeeee!", "Wheee!", "Aaah!", "Yaaay!", "Nooo!")

#: (pitch scale, formant scale) of the speakers the takes are made for
_MAN, _WOMAN, _CHILD = (1.0, 1.0), (1.3, 1.17), (1.75, 1.3)


def _cache_file(kind: str, voice: Path) -> Path:
    root = os.environ.get("SCENEFILL_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "scenefill"
    key = hashlib.sha256("|".join((_VERSION, kind, str(voice), str(voice.stat().st_size))).encode())
    return base / f"vocal-{kind}-{key.hexdigest()[:16]}.npz"


def _warp(envelope: np.ndarray, scale: float) -> np.ndarray:
    """Stretch each frame's spectrum along frequency (bin k takes the value at k / scale)."""
    bins = envelope.shape[1]
    src = np.arange(bins) / scale
    lo = np.clip(np.floor(src).astype(int), 0, bins - 1)
    hi = np.clip(lo + 1, 0, bins - 1)
    frac = np.clip(src - lo, 0.0, 1.0)
    return np.ascontiguousarray(envelope[:, lo] * (1 - frac) + envelope[:, hi] * frac)


def _reshape(audio: np.ndarray, sr: int, *, f0_hz: float, contour: str, formant: float, effort: float,
             hold: float, breath: float, rng: np.random.Generator) -> np.ndarray:
    """One take resynthesised by WORLD with a new pitch (its median set to ``f0_hz`` and shaped
    by ``contour``: "rise-fall" for a call, "fall" for a laugh bout, "speech" keeps the line's own
    intonation), formants scaled, ``effort`` dB/octave more treble above 500 Hz, voiced frames
    held ``hold`` times longer and the aperiodicity raised by ``breath`` (0..1)."""
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = pyworld.dio(x, sr, frame_period=_FRAME_MS)
    f0 = pyworld.stonemask(x, f0, t, sr)
    sp = pyworld.cheaptrick(x, f0, t, sr)
    ap = pyworld.d4c(x, f0, t, sr)
    voiced = f0 > 0
    if not voiced.any():
        return audio
    # hold the voiced frames longer: a fractional repeat count per frame
    reps = np.where(voiced, hold, 1.0)
    edges = np.floor(np.concatenate([[0.0], np.cumsum(reps)])).astype(int)
    idx = np.repeat(np.arange(f0.size), np.diff(edges))
    f0, sp, ap = f0[idx], sp[idx], ap[idx]
    voiced = f0 > 0
    u = np.zeros(f0.size)
    vi = np.flatnonzero(voiced)
    u[vi] = (vi - vi[0]) / max(1, vi[-1] - vi[0])
    rel = np.ones(f0.size)
    med = float(np.median(f0[voiced]))
    if contour == "speech":
        rel = np.where(voiced, f0 / med, 1.0)
    elif contour == "rise-fall":  # a call: up to a peak a third of the way in, then down
        rel = np.where(voiced, (f0 / med) ** 0.3 * (1 + 0.22 * np.sin(np.pi * np.minimum(1, u * 1.5))
                                                    - 0.18 * u), 1.0)
    elif contour == "fall":  # a laugh: each pulse high, the bout sinking
        rel = np.where(voiced, (f0 / med) ** 0.25 * (1.2 - 0.45 * u), 1.0)
    frames = np.arange(f0.size) * _FRAME_MS / 1000
    vib = 1 + 0.012 * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * frames + rng.random() * 6.3)
    new_f0 = np.where(voiced, f0_hz * rel * vib, 0.0)
    freqs = np.linspace(0, sr / 2, sp.shape[1])
    tilt = np.maximum(1.0, freqs / 500.0) ** (effort / 6.02 * 2)  # power spectrum: dB/oct -> exponent
    sp = _warp(sp, formant) * tilt[None, :]
    ap = _warp(ap, formant)
    if breath:
        ap = np.clip(ap, 1e-6, 1.0) ** (1.0 - 0.6 * breath)
    y = pyworld.synthesize(new_f0, sp, ap, sr, _FRAME_MS)
    return y


def _trim_normalise(audio: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > 0.02 * np.abs(audio).max())
    audio = audio[loud[0]:loud[-1] + 1] if loud.size else audio
    active = audio[np.abs(audio) > 0.05 * np.abs(audio).max()]
    audio = audio * (0.1 / max(1e-9, float(np.sqrt(np.mean(active ** 2)))))
    fade = min(64, audio.size // 4)
    if fade:
        ramp = np.linspace(0, 1, fade)
        audio[:fade] *= ramp
        audio[-fade:] *= ramp[::-1]
    return audio.astype(np.float32)


def _make(kind: str, path: str) -> tuple[list[np.ndarray], int]:
    """The takes of one kind, synthesised and reshaped (deterministic)."""
    from ..speech import _synthesize

    rng = np.random.default_rng(sum(map(ord, kind)) * 7919)
    takes: list[np.ndarray] = []
    native = 22050
    if kind == "cheer":  # men and women calling out, a half to a whole octave over their speech
        for j, text in enumerate(CHEERS * 2):
            audio, native = _synthesize(path, text, 1.1)
            f0s, form = (_MAN if j % 2 == 0 else _WOMAN)
            base = 118 * f0s
            takes.append(_reshape(audio, native, f0_hz=base * rng.uniform(1.5, 2.1), contour="rise-fall",
                                  formant=form * 1.06, effort=3.0, hold=rng.uniform(2.5, 4.0), breath=0.2,
                                  rng=rng))
    elif kind == "laugh":  # men and women laughing
        for j, text in enumerate(LAUGHS * 2):
            audio, native = _synthesize(path, text, rng.uniform(0.75, 0.9))
            f0s, form = (_MAN if j % 2 == 0 else _WOMAN)
            takes.append(_reshape(audio, native, f0_hz=118 * f0s * rng.uniform(1.6, 2.2), contour="fall",
                                  formant=form * 1.04, effort=1.0, hold=1.0, breath=0.5, rng=rng))
    elif kind == "child-talk":  # children chatting: the babble lines in a child's voice
        for text in SENTENCES:
            audio, native = _synthesize(path, text, 1.0)
            takes.append(_reshape(audio, native, f0_hz=118 * _CHILD[0] * rng.uniform(0.95, 1.2),
                                  contour="speech", formant=_CHILD[1] * rng.uniform(0.97, 1.05), effort=0.0,
                                  hold=1.0, breath=0.0, rng=rng))
    elif kind == "child-call":  # children at play: calls, shouts, squeals
        for j, text in enumerate(CHILD_CALLS * 2):
            audio, native = _synthesize(path, text, rng.uniform(0.85, 1.0))
            squeal = j % 4 == 3
            takes.append(_reshape(audio, native, f0_hz=118 * _CHILD[0] * rng.uniform(1.5, 2.0) * (1.4 if squeal else 1),
                                  contour="rise-fall", formant=_CHILD[1] * rng.uniform(1.0, 1.08), effort=2.0,
                                  hold=rng.uniform(1.2, 1.9), breath=0.0, rng=rng))
    elif kind == "child-scream":  # shrieks: f0 500-800 Hz, the vowel held, pressed and bright
        for j, text in enumerate(CHILD_SCREAMS * 2):
            audio, native = _synthesize(path, text, rng.uniform(0.9, 1.1))
            takes.append(_reshape(audio, native, f0_hz=rng.uniform(500, 800), contour="rise-fall",
                                  formant=_CHILD[1] * rng.uniform(1.05, 1.12), effort=4.0,
                                  hold=rng.uniform(2.0, 3.2), breath=0.1, rng=rng))
    elif kind == "child-laugh":
        for j, text in enumerate(LAUGHS * 2):
            audio, native = _synthesize(path, text, rng.uniform(0.7, 0.85))
            takes.append(_reshape(audio, native, f0_hz=118 * _CHILD[0] * rng.uniform(1.5, 1.9), contour="fall",
                                  formant=_CHILD[1], effort=1.0, hold=1.0, breath=0.5, rng=rng))
    else:
        raise ValueError(f"no vocal material {kind!r}")
    return [_trim_normalise(a) for a in takes], int(native)


def _raw(kind: str) -> tuple[list[np.ndarray], int] | None:
    if kind in _RAW:
        return _RAW[kind]
    with made_once(f"vocal-{kind}"):  # WORLD takes seconds a kind: one process at a time
        return _raw_unlocked(kind)


def _raw_unlocked(kind: str) -> tuple[list[np.ndarray], int] | None:
    try:
        import pyworld  # noqa: F401
        from ..speech import resolve_voice

        voice = resolve_voice("joe")
    except Exception:
        _RAW[kind] = None
        return None
    path = _cache_file(kind, voice)
    try:
        with os.fdopen(open_regular(path), "rb") as fh, np.load(fh) as data:  # not a FIFO
            made = ([data[f"t{j}"] for j in range(int(data["count"]))], int(data["rate"]))
    except (OSError, ValueError, KeyError):
        try:
            made = _make(kind, str(voice))
        except Exception:
            _RAW[kind] = None
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, count=len(made[0]), rate=made[1], **{f"t{j}": a for j, a in enumerate(made[0])})
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs time
    _RAW[kind] = made
    return made


def takes(kind: str, rate: int) -> list[np.ndarray] | None:
    """The takes of ``kind`` ("cheer", "laugh", "child-talk", "child-call", "child-scream", "child-laugh") as
    mono float32 at ``rate``, each trimmed and at one active-speech level; None without a voice."""
    with _lock:
        key = (kind, int(rate))
        if key in _AT_RATE:
            return _AT_RATE[key]
        made = _raw(kind)
        out = None
        if made is not None:
            raw, native = made
            ratio = Fraction(int(rate), int(native))
            out = [array_cache.resampled(f"vocal-{kind}", a, ratio.numerator, ratio.denominator) for a in raw]
        _AT_RATE[key] = out
        return out


def reel(parts: list[np.ndarray], rate: int, gap: tuple[float, float], seed: int) -> np.ndarray:
    """Takes strung into one reading with silences between them (a loop: it wraps). Cached per
    process (the same takes give the same reel object, so choruses of it are cached too)."""
    key = ("reel", id(parts), rate, gap, seed)
    with _lock:
        got = _CHORUS.get(key)
    if got is not None:
        return got
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(parts))
    pieces = []
    for k in order:
        pieces += [parts[k], np.zeros(int(rng.uniform(*gap) * rate), dtype=np.float32)]
    out = np.concatenate(pieces)
    with _lock:
        _CHORUS[key] = out
    return out


def chorus(material: np.ndarray, voices: int, rates: tuple[float, float], seed: int,
           length: int | None = None) -> np.ndarray:
    """``voices`` independent readers of ``material`` (a loop), each at its own offset and speed
    (pitch and pace together) and level, summed into one loop of ``length`` samples at the
    material's rate and scaled back to one voice's RMS. The loop's two ends are cross-faded so
    it wraps without a click. Cached per process."""
    key = (id(material), material.size, voices, rates, seed, length)
    with _lock:
        got = _CHORUS.get(key)
    if got is not None:
        return got
    rng = np.random.default_rng(seed)
    size = material.size
    n = int(length or size)
    fade = min(n // 8, 4096)
    out = np.zeros(n + fade, dtype=np.float64)
    x = np.arange(n + fade, dtype=np.float64)
    ext = np.concatenate([material, material[:1]]).astype(np.float64)
    for _ in range(voices):
        rate = rng.uniform(*rates)
        pos = (rng.uniform(0, size) + rate * x) % size
        i0 = pos.astype(np.int64)
        fr = pos - i0
        out += rng.uniform(0.6, 1.0) * (ext[i0] * (1 - fr) + ext[i0 + 1] * fr)
    ramp = np.linspace(0.0, 1.0, fade)
    loop = out[:n].copy()
    loop[:fade] = out[:fade] * ramp + out[n:n + fade] * (1 - ramp)
    loop *= float(np.sqrt(np.mean(material.astype(np.float64) ** 2))) / max(1e-9, float(np.sqrt(np.mean(loop ** 2))))
    loop = loop.astype(np.float32)
    with _lock:
        _CHORUS[key] = loop
    return loop


def read_voices(reading: np.ndarray, rate: np.ndarray, start: np.ndarray, size: np.ndarray, base: np.ndarray,
                n: int) -> tuple[np.ndarray, np.ndarray]:
    """The next ``n`` samples (voices, n) float32 of every voice reading its own stretch of one
    long reading, each at its own speed (pitch and tempo together), and where each is now.

    Why one gather for all voices: a crowd is a hundred readers; reading them one by one costs
    a Python loop per voice per block. Voice ``k`` reads ``reading[base[k]:base[k] + size[k]]``
    from ``start[k]``, wrapping; a block reads far less than a stretch, so at most one wrap.
    """
    x = np.arange(n, dtype=np.float64)
    pos = rate[:, None] * x
    pos += start[:, None]
    pos -= (pos >= size[:, None]) * size[:, None]
    pos += base[:, None]
    i0 = pos.astype(np.int64)
    frac = (pos - i0).astype(np.float32)
    y = reading[i0]
    y += (reading[i0 + 1] - y) * frac
    return y, (start + rate * n) % size
