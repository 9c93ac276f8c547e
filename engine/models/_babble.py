"""Speech material for crowd babble: the bundled Piper voice reading everyday lines.

Not a model module: the registry skips module names that start with ``_``.

Why real speech: babble made of synthetic vowels has no real formant transitions,
consonants or prosody, and ear and classifier alike hear it as music or noise.
Here the bundled voice (``engine/speech.py``, noise scales zero, so deterministic)
reads a dozen ordinary sentences at three tempos; the crowd model plays many
overlapped readers of this material, each at its own offset, speed/pitch and
distance, so no line stays intelligible. The material is made once per process
(a few seconds of synthesis) and kept on disk beside the calibration cache, so
later processes only read a file. If Piper or the voice is missing, callers get
``None`` and fall back to their synthetic voices.
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

SENTENCES = (
    "Well, I told him we could meet on Tuesday, but he never called me back about it.",
    "So anyway, the weather was lovely and we walked down to the harbour for lunch.",
    "Did you see the match last night? I couldn't believe the second half.",
    "She said the new place on the corner does a really good breakfast.",
    "Honestly, I think we should just book the tickets now before the prices go up.",
    "My brother's moving house next month, so I'm helping him pack on Saturday.",
    "No, no, it was the other one, the one with the blue door near the station.",
    "They were talking about changing the schedule again, which is annoying.",
    "Can you pass me the sugar? Thanks. Anyway, what were you saying?",
    "I've been meaning to read that book for ages, everyone keeps recommending it.",
    "We got completely lost on the way there, the map was useless.",
    "Oh really? That's brilliant, I'm so happy for her, she deserves it.",
)
#: Piper length scales per reading: "slow" material is for readers played back faster (higher
#: voices), so that their syllable rate stays that of ordinary speech
_TEMPOS = {"normal": (1.0, 1.1, 1.2), "slow": (1.2, 1.3, 1.4)}
#: other speakers made from the "normal" reading by WORLD: (pitch scale, vocal-tract (formant) scale).
#: A room of people is many larynxes and vocal tracts: women's formants ~15-20 % above men's, a
#: big man's a little below; resampling alone moves pitch and formants together, as no voice does
SPEAKERS = {"woman": (1.3, 1.17), "deep": (0.78, 0.92)}
#: the same speakers talking over a crowd (the Lombard effect): (pitch scale, formant scale), both
#: relative to joe. Talkers in a noisy room raise their voices: the pitch goes up ~2-3 semitones,
#: the jaw opens wider (F1 up a little), the spectral tilt flattens (a sharper glottal closure:
#: :data:`RAISED_TILT` dB/octave more above 500 Hz) and vowels are held longer (:data:`RAISED_HOLD`).
RAISED = {"raised": (1.17, 1.02), "raised-woman": (1.3 * 1.15, 1.17 * 1.02), "raised-deep": (0.78 * 1.17, 0.92 * 1.02)}
RAISED_TILT = 2.0
RAISED_HOLD = 1.15
_VERSION = "babble-2"
_lock = threading.Lock()
_RAW: dict[str, tuple[np.ndarray, int]] = {}
_AT_RATE: dict[tuple[int, str], np.ndarray] = {}


def _cache_file(voice: Path, tempo: str) -> Path:
    root = os.environ.get("SCENEFILL_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "scenefill"
    key = hashlib.sha256(("|".join((_VERSION, tempo, str(voice), str(voice.stat().st_size)) + SENTENCES)).encode())
    return base / f"babble-{key.hexdigest()[:16]}.npy"


def _speaker(name: str) -> tuple[np.ndarray, int] | None:
    """The normal reading spoken by another speaker (WORLD: pitch and formants moved apart)."""
    def make(raw: np.ndarray, native: int) -> np.ndarray:
        from ..voices import Voice, reshape

        f0, formant = SPEAKERS[name]
        return reshape(raw, native, Voice(name, name, f0_scale=f0, formant_scale=formant))

    return _derived(name, f"{name}-{SPEAKERS[name]}", make)


def _raised(name: str) -> tuple[np.ndarray, int] | None:
    """The normal reading spoken over a crowd (see :data:`RAISED`)."""
    def make(raw: np.ndarray, native: int) -> np.ndarray:
        import pyworld

        from ._vocal import _reshape

        x = raw.astype(np.float64)
        f0, _ = pyworld.dio(x, native, frame_period=5.0)
        median = float(np.median(f0[f0 > 0]))
        f0_scale, formant = RAISED[name]
        return _reshape(x, native, f0_hz=median * f0_scale, contour="speech", formant=formant,
                        effort=RAISED_TILT, hold=RAISED_HOLD, breath=0.0,
                        rng=np.random.default_rng(sum(map(ord, name))))

    return _derived(name, f"{name}-{RAISED[name]}-{RAISED_TILT}-{RAISED_HOLD}", make)


def _derived(name: str, tag: str, make) -> tuple[np.ndarray, int] | None:
    """The normal reading turned into another speaker or effort by ``make(raw, rate)``, at the
    reading's level. WORLD takes seconds, so the result is cached on disk beside the reading
    (``tag`` names everything it depends on) and made by one process at a time; a warm cache
    reads the file alone, without loading the reading. None without a voice or without pyworld:
    the crowd then has fewer speakers."""
    try:
        from ..speech import resolve_voice

        path = _cache_file(resolve_voice("joe"), tag)
    except Exception:
        return None
    got = _load_take(path)
    if got is not None:
        return got
    with made_once(f"babble-speaker-{name}"):
        got = _load_take(path)  # another process may have made it while this one waited
        if got is not None:
            return got
        made = _synthesise("normal")
        if made is None:
            return None
        raw, native = made
        try:
            out = np.asarray(make(raw, native)).astype(np.float32)
        except Exception:  # no pyworld
            return None
        active = out[np.abs(out) > 0.05 * np.abs(out).max()]
        out *= np.float32(0.1 / max(1e-9, float(np.sqrt(np.mean(active ** 2)))))
        _save(path, out, native)
        return out, native


def _load_take(path: Path) -> tuple[np.ndarray, int] | None:
    """A cached reading: (samples, their rate), or None when missing or unreadable."""
    try:
        with os.fdopen(open_regular(path), "rb") as fh:  # not a FIFO: it would wait for ever
            data = np.load(fh)
        return data[1:].astype(np.float32), int(data[0])
    except (OSError, ValueError, IndexError):
        return None


def _save(path: Path, raw: np.ndarray, native: int) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, np.concatenate([[np.float32(native)], raw]))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs time


def _synthesise(tempo: str) -> tuple[np.ndarray, int] | None:
    if tempo in SPEAKERS:
        return _speaker(tempo)
    if tempo in RAISED:
        return _raised(tempo)
    with made_once(f"babble-{tempo}"):  # Piper reads minutes of text: one process at a time
        return _synthesise_unlocked(tempo)


def _synthesise_unlocked(tempo: str) -> tuple[np.ndarray, int] | None:
    try:
        from ..speech import _synthesize, resolve_voice

        voice = resolve_voice("joe")
    except Exception:
        return None
    path = _cache_file(voice, tempo)
    got = _load_take(path)
    if got is not None:
        return got
    gaps = np.random.default_rng(0xBABB1E).uniform(0.12, 0.45, len(SENTENCES))
    parts = []
    native = 22050
    try:
        for j, text in enumerate(SENTENCES):
            scales = _TEMPOS[tempo]
            audio, native = _synthesize(str(voice), text, scales[j % len(scales)])
            loud = np.flatnonzero(np.abs(audio) > 0.02 * np.abs(audio).max())
            audio = audio[loud[0]:loud[-1] + 1] if loud.size else audio
            active = audio[np.abs(audio) > 0.05 * np.abs(audio).max()]
            audio = audio * (0.1 / max(1e-9, float(np.sqrt(np.mean(active ** 2)))))
            parts += [audio, np.zeros(int(gaps[j] * native))]
    except Exception:
        return None
    raw = np.concatenate(parts).astype(np.float32)
    _save(path, raw, native)
    return raw, int(native)


def material(rate: int, tempo: str = "normal") -> np.ndarray | None:
    """The babble material (mono float32) resampled to ``rate``, or None without a voice;
    ``tempo`` "slow" is read more slowly (for readers played back faster); a name in
    :data:`SPEAKERS` is the normal reading by that (WORLD-derived) speaker."""
    with _lock:
        got = _AT_RATE.get((rate, tempo))
        if got is not None:
            return got
        if tempo not in _RAW:
            made = _synthesise(tempo)
            if made is None:
                return None
            _RAW[tempo] = made
        raw, native = _RAW[tempo]
        ratio = Fraction(int(rate), int(native))
        out = array_cache.resampled(f"babble-{tempo}", raw, ratio.numerator, ratio.denominator)
        _AT_RATE[(rate, tempo)] = out
        return out
