"""Procedural music beds: a calm piano, an ambient pad and a tense drone.

Everything sits on a musical grid computed from the absolute sample position:
bar ``b`` starts at ``b * bar_samples`` and what it plays (chord, arpeggio,
melody, timing nudges, velocities) is a pure function of ``b`` and tables drawn
once from the layer generator. A block therefore renders knowing only its
position, notes that started in earlier blocks are simply read on from their
cached waveforms, and rendering never depends on how a clip is split. The only
carried state is the reverb (a feedback delay network with kept buffers) and,
in the drone, a filtered-noise swell.

How it stays fast. A sum of sinusoids sampled in chunks of ``C`` samples is a
product of two small matrices: with n = m*C + r,

    a*exp(-d*n)*sin(w*n) = [a*exp(-d*m*C)*sin(w*m*C), a*exp(-d*m*C)*cos(w*m*C)]
                           . [exp(-d*r)*cos(w*r), exp(-d*r)*sin(w*r)]

so a block of many partials is one BLAS matrix product instead of a sin() per
partial per sample. Piano notes (decaying, inharmonic partials) are rendered
that way once per pitch and cached; pad and drone partials are sustained and
rendered per block with per-chunk amplitudes (chord cross-fades and a moving
low-pass filter applied as per-partial gains).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import _axpy, polyphase
from .base import BLOCK, SoundModel, StatefulFilter, Timeline, butter, noise, pan_gains

_TABLE = 512  # per-layer random tables indexed by bar number mod this (~30 minutes of bars)
_TWO_PI = 2 * np.pi

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)

# mood -> (mode, tempo range bpm, brightness 0..1, candidate keys as pitch classes)
_MOODS: dict[str, tuple[str, tuple[float, float], float, tuple[int, ...]]] = {
    "calm": ("major", (64, 74), 0.45, (0, 2, 3, 5, 7, 10)),
    "happy": ("major", (82, 90), 0.7, (0, 2, 4, 7, 9)),
    "hopeful": ("major", (72, 82), 0.6, (0, 2, 5, 7)),
    "romantic": ("major", (62, 70), 0.5, (0, 3, 5, 8, 10)),
    "dreamy": ("major", (60, 68), 0.4, (2, 4, 7, 9)),
    "sad": ("minor", (60, 68), 0.3, (0, 2, 4, 7, 9)),
    "mysterious": ("minor", (60, 70), 0.35, (2, 4, 9, 11)),
    "tense": ("minor", (60, 72), 0.25, (0, 2, 4, 5, 9)),
}

_MOOD_WORDS = {
    "calm": "calm", "gentle": "calm", "peaceful": "calm", "soft": "calm", "relaxing": "calm",
    "relaxed": "calm", "serene": "calm", "quiet": "calm", "tranquil": "calm", "soothing": "calm",
    "happy": "happy", "cheerful": "happy", "uplifting": "happy", "joyful": "happy", "bright": "happy",
    "upbeat": "happy", "playful": "happy", "light": "happy", "sunny": "happy",
    "hopeful": "hopeful", "warm": "hopeful", "inspiring": "hopeful", "inspirational": "hopeful",
    "sad": "sad", "melancholy": "sad", "melancholic": "sad", "somber": "sad", "sombre": "sad",
    "nostalgic": "sad", "wistful": "sad", "grief": "sad", "lonely": "sad", "mournful": "sad",
    "emotional": "sad", "bittersweet": "sad", "reflective": "sad",
    "romantic": "romantic", "tender": "romantic", "love": "romantic", "intimate": "romantic",
    "dreamy": "dreamy", "ethereal": "dreamy", "floating": "dreamy", "spacey": "dreamy", "airy": "dreamy",
    "mysterious": "mysterious", "mystery": "mysterious", "curious": "mysterious", "strange": "mysterious",
    "tense": "tense", "suspense": "tense", "suspenseful": "tense", "ominous": "tense", "dark": "tense",
    "horror": "tense", "scary": "tense", "eerie": "tense", "creepy": "tense", "menacing": "tense",
    "dread": "tense", "thriller": "tense", "sinister": "tense", "tension": "tense",
}
_MOOD_OPTIONS = {w: ("mood", m) for w, m in _MOOD_WORDS.items()}

# chord progressions as scale degrees (0 = tonic), one chord per bar (piano) or per 2 bars (pad)
_PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 5, 4), (5, 3, 0, 4), (0, 3, 0, 4), (3, 0, 4, 5),
              (0, 2, 3, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 5, 3, 4), (0, 6, 5, 6), (0, 3, 6, 2), (0, 5, 6, 4)),
}
_SECTIONS = (0, 0, 1, 0)  # 4-bar phrases: A A B A


def _midi_hz(m) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(m, dtype=np.float64) - 69) / 12)


def _mood(params) -> str:
    mood = params.options.get("mood", "")
    return mood if mood in _MOODS else ""



class _Harmony:
    """Key, mode and chord spelling shared by the three beds."""

    def __init__(self, mood: str, rng: np.random.Generator, harmonic_minor: bool) -> None:
        self.mode, self.tempo_range, self.brightness, keys = _MOODS[mood]
        self.root = int(rng.choice(keys))  # pitch class of the tonic
        self.scale = _MAJOR if self.mode == "major" else _MINOR
        self.harmonic = harmonic_minor and self.mode == "minor"

    def degree(self, k: int) -> int:
        """Semitones above the tonic of scale step k (k may exceed 6)."""
        return self.scale[k % 7] + 12 * (k // 7)

    def chord(self, d: int) -> tuple[int, int, int, int, int]:
        """(root, third, fifth, seventh, ninth) of the diatonic chord on degree d, semitones above tonic."""
        root, third, fifth = self.degree(d), self.degree(d + 2), self.degree(d + 4)
        if self.harmonic and d % 7 == 4:
            third += 1  # major V in minor
        return root, third, fifth, self.degree(d + 6), self.degree(d + 8)

    def place(self, semis: int, low: int) -> int:
        """MIDI note of (tonic + semis) in the octave starting at ``low``."""
        return low + (self.root + semis - low) % 12


# --------------------------------------------------------------------------- synthesis core

class _OneBlasThread:
    """Run OpenBLAS single-threaded for the duration of a matrix product, then restore.

    The products here are mid-sized (tens of millions of multiply-adds); OpenBLAS
    would split them over both cores, which on a loaded 2-core machine costs several
    times more CPU than it saves in wall time. A no-op when numpy uses another BLAS.
    """

    _api: tuple | None | bool = None

    @classmethod
    def _load(cls):
        if cls._api is None:
            cls._api = False
            try:
                import ctypes
                import glob
                import os
                libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
                for path in glob.glob(os.path.join(libdir, "*openblas*")):
                    lib = ctypes.CDLL(path)
                    for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", "")):
                        get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                        put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                        if get is not None and put is not None:
                            get.restype = ctypes.c_int
                            cls._api = (get, put)
                            return cls._api
            except Exception:  # pragma: no cover - exotic installs
                cls._api = False
        return cls._api

    def __enter__(self) -> "_OneBlasThread":
        self.old = 0
        api = self._load()
        if api:
            self.old = api[0]()
            if self.old > 1:
                api[1](1)
        return self

    def __exit__(self, *exc) -> None:
        if self.old > 1:
            self._api[1](self.old)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with _OneBlasThread():
        return a @ b


def _powers(q: np.ndarray, count: int) -> np.ndarray:
    """q ** k for k < count, shaped (count, q.size): running products over two short
    ranges (k = hi * B + lo) and one broadcast product, instead of a long cumprod."""
    b = max(1, int(np.ceil(np.sqrt(count))))
    h = -(-count // b)
    lo = np.empty((b, q.size), dtype=np.complex128)
    lo[0] = 1.0
    lo[1:] = q
    np.cumprod(lo, axis=0, out=lo)
    hi = np.empty((h, q.size), dtype=np.complex128)
    hi[0] = 1.0
    hi[1:] = lo[-1] * q  # q ** b
    np.cumprod(hi, axis=0, out=hi)
    return (hi[:, None, :] * lo[None, :, :]).reshape(h * b, q.size)[:count]


def _decaying_partials(sr: int, freqs, amps, t60s, length: int, chunk: int = 256,
                       floor: float = 1e-6) -> np.ndarray:
    """Sum of exponentially decaying sines from t=0, via matrix products (float32).

    A partial is dropped from the chunk rows after it has decayed below ``floor`` times
    the summed amplitude of all partials (-120 dB by default: far below audibility and
    near float32 resolution), so the fast-dying high partials of a long note cost only
    their lifetime. Partials are sorted longest-lived first; each segment of rows
    multiplies only the leading (still audible) columns.
    """
    w = _TWO_PI * np.asarray(freqs, dtype=np.float64) / sr
    d = 6.91 / (np.asarray(t60s, dtype=np.float64) * sr)  # per-sample decay
    a = np.asarray(amps, dtype=np.float64)
    m = -(-length // chunk)
    # samples until each partial falls below the floor
    total = float(np.sum(np.abs(a))) or 1.0
    life = np.log(np.maximum(np.abs(a), 1e-300) / (floor * total)) / d
    order = np.argsort(-life, kind="stable")
    w, d, a, life = w[order], d[order], a[order], life[order]
    p = w.size
    # complex decaying phasors as powers (no transcendental per element): within a chunk,
    # exp((-d + iw) r), r < chunk; at chunk starts, a * exp((-d + iw) * m * chunk)
    z = _powers(np.exp(-d + 1j * w), chunk)
    right = np.empty((2 * p, chunk), dtype=np.float32)  # rows: cos, sin of partial 0, then partial 1...
    right[0::2] = z.real.T
    right[1::2] = z.imag.T
    zc = _powers(np.exp((-d + 1j * w) * chunk), m)
    zc *= a
    out = np.zeros((m, chunk), dtype=np.float32)
    segs = 16
    bounds = np.unique(np.linspace(0, m, segs + 1).astype(int))
    with _OneBlasThread():
        for r0, r1 in zip(bounds[:-1], bounds[1:]):
            k = int(np.count_nonzero(life > r0 * chunk))  # still audible at the segment's start
            if k == 0:
                break
            left = np.empty((r1 - r0, 2 * k), dtype=np.float32)
            left[:, 0::2] = zc[r0:r1, :k].imag  # a * env * sin(phase at the chunk start)
            left[:, 1::2] = zc[r0:r1, :k].real  # a * env * cos(...)
            np.matmul(left, right[:2 * k], out=out[r0:r1])
    return out.ravel()[:length]


class _Bank:
    """Sustained partials rendered on the absolute sample grid by chunked matrix products.

    ``freqs`` Hz; ``amp_l``/``amp_r`` per-partial channel gains. For a block starting
    at ``start``, chunk m covers samples start + m*C ... and partial p contributes
    weight[m, p] * sin(w_p * n); the phases of the chunk starts come from rotation
    tables, so no transcendental is evaluated per sample.
    """

    def __init__(self, sr: int, freqs, amp_l, amp_r, chunk: int) -> None:
        self.freqs = np.asarray(freqs, dtype=np.float64)
        self.size = self.freqs.size
        self.w = _TWO_PI * self.freqs / sr
        self.amp = (np.asarray(amp_l, dtype=np.float64), np.asarray(amp_r, dtype=np.float64))
        r = np.arange(chunk)[None, :]
        self.right = np.vstack([np.cos(self.w[:, None] * r), np.sin(self.w[:, None] * r)]).astype(np.float32)
        mb = -(-(BLOCK + 2) // chunk)  # enough chunk rows for any block (full or half rate)
        th = (np.arange(mb) * chunk)[:, None] * self.w[None, :]  # (mb, P)
        self.tc, self.ts = np.cos(th), np.sin(th)
        self.stacks: dict = {}

    def fill(self, left: np.ndarray, col: int, start: int, weights: np.ndarray) -> None:
        """Write this bank's columns of the (2*mb, 2P_total) left factor; weights (mb, P)."""
        mb = weights.shape[0]
        ph = (self.w * start) % _TWO_PI
        s0, c0 = np.sin(ph), np.cos(ph)
        tc, ts = self.tc[:mb], self.ts[:mb]
        ws = weights * (s0 * tc + c0 * ts)  # a * sin(w * n_m)
        wc = weights * (c0 * tc - s0 * ts)  # a * cos(w * n_m)
        p = self.size
        for ch, g in enumerate(self.amp):
            rows = slice(ch * mb, (ch + 1) * mb)
            np.multiply(ws, g, out=left[rows, col:col + p], casting="unsafe")
            np.multiply(wc, g, out=left[rows, col + p:col + 2 * p], casting="unsafe")


def _stacked_right(banks: tuple) -> np.ndarray:
    """Right factors of several banks stacked. The same few combinations recur (one
    chord fading into the next), so the stack is kept on the first bank."""
    cache = banks[0].stacks
    key = tuple(id(b) for b in banks[1:])
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 8:
            cache.clear()
        hit = cache[key] = (banks, np.vstack([b.right for b in banks]))  # holds the banks: ids stay valid
    return hit[1]


def _render_banks(items: list[tuple[_Bank, np.ndarray]], start: int, n: int, chunk: int) -> np.ndarray:
    """Stereo (2, n) float32 sum of banks with per-chunk weights (mb, P)."""
    mb = -(-n // chunk)
    if not items:
        return np.zeros((2, n), dtype=np.float32)
    cols = sum(2 * b.size for b, _ in items)
    left = np.empty((2 * mb, cols), dtype=np.float32)
    col = 0
    for b, w in items:
        b.fill(left, col, start, w)
        col += 2 * b.size
    right = items[0][0].right if len(items) == 1 else _stacked_right(tuple(b for b, _ in items))
    return _matmul(left, right).reshape(2, mb * chunk)[:, :n]


def _lowpass_gain(freqs: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
    """Magnitude of a 2nd-order Butterworth low-pass: per chunk cutoff (mb, 1) -> (mb, P)."""
    x = freqs[None, :] / cutoff
    x *= x
    x *= x
    x += 1.0
    return 1.0 / np.sqrt(x)


class _Reverb:
    """A stereo feedback-delay-network hall run at about 6 kHz (the tail is warm anyway).

    Mono in, stereo out. Decimates by block means, runs eight delay lines with a
    Householder feedback matrix in chunks no longer than the shortest line (so
    each chunk is a couple of vector operations), and interpolates back up with a
    latency of a few samples. All state is kept, so it streams across blocks of
    any size.
    """

    def __init__(self, rate: float, rt60: float, rng: np.random.Generator) -> None:
        self.D = 4 if rate < 30000 else 8 if rate < 60000 else 16  # runs at 5.5-6 kHz
        fs = rate / self.D
        ms = np.array([53.0, 59.3, 64.9, 71.1, 76.3, 83.9, 89.7, 97.1]) * rng.uniform(0.97, 1.03, 8)
        d = np.round(ms * fs / 1000).astype(int)
        self.d = [int(x) for x in d]
        self.c = int(d.min())
        n = d.size
        g = 10.0 ** (-3.0 * d / (rt60 * fs))
        self.A = (np.eye(n) - 2.0 / n) * g[None, :]
        self.b = rng.choice([-1.0, 1.0], n) / np.sqrt(n)
        h = np.array([[1, 1, 1, 1, 1, 1, 1, 1], [1, -1, 1, -1, 1, -1, 1, -1]], dtype=float)
        self.C = h * rng.choice([-1.0, 1.0], n)[None, :] / np.sqrt(n)
        self.pend = np.zeros((n, int(d.max())))
        self.rem = np.zeros(0)
        self.prev = np.zeros((2, 1))
        self.queue = np.zeros((2, self.D))
        frac = np.arange(self.D) / self.D
        self.lerp = np.vstack([1 - frac, frac])  # (2, D): previous and next low-rate sample
        self.avg = np.full(self.D, 1.0 / self.D)

    def _fdn(self, x: np.ndarray) -> np.ndarray:
        m = x.size
        n, dmax, c = len(self.d), self.pend.shape[1], self.c
        buf = np.zeros((n, m + dmax))
        buf[:, :dmax] = self.pend
        bx = self.b[:, None] * x[None, :]
        A, d = self.A, self.d
        for p0 in range(0, m, c):
            p1 = min(p0 + c, m)
            s = A @ buf[:, p0:p1]  # line outputs for this chunk are complete: every delay >= c
            s += bx[:, p0:p1]
            for i in range(n):  # line i's input at p lands in its output at p + d_i
                buf[i, p0 + d[i]:p1 + d[i]] = s[i]
        self.pend = buf[:, m:].copy()
        return self.C @ buf[:, :m]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Stereo wet signal (2, n) for mono input x (n,), in x's precision (float32 or float64)."""
        n, D = x.size, self.D
        dtype = np.float32 if x.dtype == np.float32 else np.float64
        xx = np.concatenate([self.rem, x]) if self.rem.size else x
        g = xx.size // D
        self.rem = xx[g * D:].astype(np.float64)
        q = self.queue.shape[1]
        out = np.empty((2, q + g * D), dtype=dtype)
        out[:, :q] = self.queue
        if g:
            wet = self._fdn(xx[:g * D].reshape(g, D) @ self.avg.astype(xx.dtype))
            seq = np.empty((2, g + 1), dtype=dtype)
            seq[:, :1] = self.prev
            seq[:, 1:] = wet
            self.prev = wet[:, -1:]
            out[:, q:] = polyphase(seq, self.lerp.astype(dtype), g)  # linear interpolation
        self.queue = out[:, n:].copy()
        return out[:, :n]


def _fade_in_start(out: np.ndarray, start: int, sr: int, ms: float = 8.0) -> None:
    """A few-ms fade at absolute sample 0 (the bed starts mid-music, so avoid a click)."""
    f = int(ms * sr / 1000)
    if start < f:
        k = min(f - start, out.shape[1])
        out[:, :k] *= (np.arange(start, start + k) / f) ** 2


# --------------------------------------------------------------------------- piano

_NOTE_CACHE: OrderedDict = OrderedDict()
_NOTE_CACHE_LIMIT = 64 << 20  # bytes of cached note waveforms across all layers
_note_cache_bytes = [0]


def _piano_note(sr: int, midi: int, hard: float, length: float, voice: int = 0) -> np.ndarray:
    """One struck piano string (float32, mono): inharmonic partials with per-partial
    decay, a slightly detuned second string on the low partials (beating and a slower
    'aftersound'), hammer noise and a soundboard knock. ``voice`` (drawn once per layer
    from its setup generator) seeds the small per-note variations. Cached by its parameters."""
    key = (sr, midi, round(hard, 2), round(length, 2), voice)
    hit = _NOTE_CACHE.get(key)
    if hit is not None:
        _NOTE_CACHE.move_to_end(key)
        return hit
    f0 = float(_midi_hz(midi))
    n = int(length * sr)
    rng = np.random.default_rng([voice, sr, midi, int(hard * 100)])  # a child of the layer's stream
    fmax = min(0.45 * sr, 2500 + 8000 * hard)
    inharm = 3.5e-4 * 2 ** ((midi - 60) / 19)
    t60_1 = float(np.clip(14 * (f0 / 65) ** -0.6, 1.0, 16))
    slope = 1.7 - 0.9 * hard
    fc = 600 + 3500 * hard
    k = np.arange(1, 48, dtype=np.float64)
    fk = k * f0 * np.sqrt(1 + inharm * k * k)
    a = np.abs(np.sin(np.pi * k / 7.3)) / k ** slope / (1 + (fk / fc) ** 2)  # hammer at ~1/7 of the string
    keep = (fk <= fmax) & (a >= 1e-3)  # fk grows with k: the first partial above fmax ends the series
    k, fk, a = k[keep], fk[keep], a[keep]
    total = float(a.sum())
    t60 = t60_1 / (1 + 0.3 * (k - 1) * (f0 / 262) ** 0.25)
    low = k <= 8  # the low partials have a second, slightly detuned string
    det = 2 ** (rng.uniform(0.3, 1.5, int(low.sum())) / 1200)
    freqs = np.concatenate([fk[low], fk[low] * det, fk[~low]])
    amps = np.concatenate([0.7 * a[low], 0.3 * a[low], a[~low]])
    t60s = np.concatenate([t60[low], t60[low] * 2.5, t60[~low]])
    x = _decaying_partials(sr, freqs, amps / total, t60s, n)
    nh = int(0.05 * sr)
    th = np.arange(nh) / sr
    hammer = StatefulFilter(butter("lowpass", 1200 + 5000 * hard, sr, 2), channels=1)(
        rng.standard_normal(nh)[None])[0] * np.exp(-th / 0.004)
    knock = np.sin(_TWO_PI * rng.uniform(80, 110) * th) * np.exp(-th / 0.012)
    x[:nh] += (0.10 * hard * hammer + 0.05 * knock).astype(np.float32)
    na = max(1, int(0.001 * sr))
    x[:na] *= np.linspace(0, 1, na, dtype=np.float32)
    _NOTE_CACHE[key] = x
    _note_cache_bytes[0] += x.nbytes
    while _note_cache_bytes[0] > _NOTE_CACHE_LIMIT and len(_NOTE_CACHE) > 1:
        _, old = _NOTE_CACHE.popitem(last=False)
        _note_cache_bytes[0] -= old.nbytes
    return x


# arpeggio patterns over 8 eighth notes: index into the voicing (low root, fifth, root,
# third, fifth above); None is a rest (slot 0 belongs to the bass note)
_PATTERNS = (
    (None, 1, 2, 3, 4, 3, 2, 1),
    (None, 2, 1, 3, 2, 4, 3, 2),
    (None, 1, 2, 4, 3, 2, 1, 2),
    (None, 1, 3, 2, 4, 2, 3, 1),
    (None, 2, 3, 4, None, 2, 3, 4),
)
_BUS_MATRIX = np.hstack([pan_gains(-0.35), pan_gains(0.0), pan_gains(0.35)]).astype(np.float32)  # (2, 3)


class Piano(Timeline, SoundModel):
    name = "piano"
    category = "music"
    keywords = ("piano", "piano music", "music", "score", "soundtrack", "underscore", "background music",
                "calm music", "gentle music", "soft music", "sad music", "happy music",
                "melancholy", "melancholic", "melancholy music", "emotional music", "romantic music",
                "hopeful music", "uplifting music", "sad piano", "gentle piano", "nostalgic music")
    default_level_db = -8.0
    description = "calm piano: arpeggiated chord progression with a sparse melody; mood sets key, mode and tempo"
    option_words = _MOOD_OPTIONS

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.mood = _mood(self.params) or "calm"
        self.harmony = h = _Harmony(self.mood, rng, rng.random() < 0.6)
        self.voice = int(rng.integers(1 << 30))  # seeds the notes' small variations (string detune, hammer noise)
        lo, hi = h.tempo_range
        self.bpm = float(np.clip(rng.uniform(lo, hi) + 6 * (i - 0.5), 60, 90))
        self.beat = 60.0 / self.bpm
        self.bar_samples = 4 * self.beat * sr
        self.eighth_samples = self.beat * sr / 2
        progs = _PROGRESSIONS[h.mode]
        a, b = rng.choice(len(progs), 2, replace=False)
        self.progressions = (progs[a], progs[b])
        p1, p2 = rng.choice(len(_PATTERNS), 2, replace=False)
        self.patterns = (_PATTERNS[p1], _PATTERNS[p2])
        self.sevenths = rng.random() < (0.6 if self.mood in ("romantic", "dreamy", "calm") else 0.25)
        self.bright = float(np.clip(h.brightness + 0.3 * (i - 0.5), 0.05, 1.0))
        self.level = 0.45 + 0.45 * i
        self.note_len = 4 * self.beat + 0.45  # a note rings at most to the next bar plus its release
        self.release = int(0.35 * sr)
        self.fade = (np.cos(np.linspace(0, np.pi / 2, self.release)) ** 2).astype(np.float32)
        self.hardness = [float(np.clip(0.2 + 0.22 * k + 0.35 * self.bright, 0.05, 1.0)) for k in range(3)]
        # per-bar tables: timing nudges (s), velocities, rests, melody choices
        self.t_jit = rng.uniform(-0.008, 0.008, (_TABLE, 11)) * sr
        self.t_jit[:, 0] = rng.uniform(-0.004, 0.004, _TABLE) * sr
        self.vel = rng.uniform(0.8, 1.0, (_TABLE, 11))
        self.rest = rng.random((_TABLE, 8)) < 0.22 * (1 - i)
        self.mel_on = rng.random((_TABLE, 2)) < (0.2 + 0.55 * i)
        self.mel_pick = rng.integers(0, 3, _TABLE)
        self.mel_step = rng.choice([-2, -1, 1, 2], _TABLE)
        self._bars: dict[int, list] = {}
        self._notes: dict[int, list] = {}
        self.maxlen = int(self.note_len * sr) + self.release
        self.verb = _Reverb(sr, 2.2, rng)
        self.wet = 0.55

    def _bar_events(self, b: int) -> list:
        ev = self._bars.get(b)
        if ev is not None:
            return ev
        h, sr = self.harmony, self.sr
        j = b % _TABLE
        sec = _SECTIONS[(b // 4) % 4]
        deg = self.progressions[sec][b % 4]
        root, third, fifth, seventh, _ = h.chord(deg)
        start = b * self.bar_samples
        stop = int(round(start + self.bar_samples + 0.06 * sr))
        ev = []
        bass = h.place(root, 36)
        ev.append((int(round(start + self.t_jit[j, 0])), bass, 1, 0.85 * self.vel[j, 0], 0, stop))
        r3 = h.place(root, 48)
        top = seventh - root + 12 if self.sevenths and sec == 1 else fifth - root + 12
        voicing = (r3, r3 + fifth - root, r3 + 12, r3 + 12 + third - root, r3 + top)
        arp_bucket = 0 if self.params.intensity < 0.6 else 1
        for slot, idx in enumerate(self.patterns[sec]):
            if idx is None or self.rest[j, slot]:
                continue
            onset = int(round(start + slot * self.eighth_samples + self.t_jit[j, slot + 1]))
            gain = 0.55 * self.vel[j, slot + 1] * (1 - 0.02 * slot)
            m = voicing[idx]
            ev.append((onset, m, arp_bucket, gain, 1 if m < 67 else 2, stop))
        # sparse melody: a chord tone on beat 1, sometimes a step away on beat 3
        if self.mel_on[j, 0]:
            tone = (root, third, fifth)[self.mel_pick[j]]
            m1 = h.place(tone, 69)
            ev.append((int(round(start + self.t_jit[j, 9])), m1, 1, 0.7 * self.vel[j, 9], 2, stop))
            if self.mel_on[j, 1]:
                k = h.scale.index(tone % 12) if tone % 12 in h.scale else 0
                m2 = m1 + h.degree(k + self.mel_step[j]) - h.degree(k)
                onset = int(round(start + 4 * self.eighth_samples + self.t_jit[j, 10]))
                ev.append((onset, m2, 1, 0.6 * self.vel[j, 10], 2, stop))
        if len(self._bars) > 16:
            self._bars.clear()
        self._bars[b] = ev
        return ev

    def _bar_notes(self, b: int) -> list:
        """Bar b's events with their note waveforms looked up: (onset, note, gain, bus, stop)."""
        got = self._notes.get(b)
        if got is None:
            got = [(onset, _piano_note(self.sr, midi, self.hardness[bucket], self.note_len, self.voice),
                    gain, bus, stop) for onset, midi, bucket, gain, bus, stop in self._bar_events(b)]
            if len(self._notes) > 8:
                self._notes.clear()
            self._notes[b] = got
        return got

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        end = start + n
        buses = np.zeros((3, n), dtype=np.float32)
        first = int(np.floor((start - self.maxlen) / self.bar_samples)) - 1
        last = int(np.floor(end / self.bar_samples))
        R = self.release
        for b in range(max(first, -2), last + 1):
            for onset, note, gain, bus, stop in self._bar_notes(b):
                if onset >= end or stop + R <= start:
                    continue
                a = max(onset, start)
                z = min(end, onset + note.size, stop + R)
                if z <= a:
                    continue
                y = buses[bus]
                s1 = min(z, stop)
                if s1 > a:
                    _axpy(y[a - start:s1 - start], note[a - onset:s1 - onset], gain)
                f0 = max(a, stop)
                if z > f0:
                    fade = self.fade[f0 - stop:z - stop]
                    y[f0 - start:z - start] += note[f0 - onset:z - onset] * (np.float32(gain) * fade)
        # dry buses panned, plus the reverb of their sum; level applied on the way (float32)
        scale = self.level * 0.5
        out = (_BUS_MATRIX * np.float32(scale)) @ buses
        wet = self.verb(buses.sum(axis=0))
        for ch in range(2):
            _axpy(out[ch], wet[ch], self.wet * scale)
        _fade_in_start(out, start, self.sr)
        return out.astype(np.float64)


# --------------------------------------------------------------------------- pad and drone

def _upsample2(xh: np.ndarray, start: int, n: int) -> np.ndarray:
    """Full-rate (2, n) from half-rate samples x_j (j from (start+1)//2 - 1), where x_j sits
    at full-rate time 2j+1: odd positions take x_j, even ones the mean of two neighbours."""
    if start % 2 == 0 and n % 2 == 0:  # float64 out, whatever the input
        y = np.empty((2, n))
        np.add(xh[:, :-1], xh[:, 1:], out=y[:, 0::2])
        y[:, 0::2] *= 0.5
        y[:, 1::2] = xh[:, 1:]
        return y
    p = np.arange(start, start + n)
    j_lo = (start + 1) // 2 - 1
    odd = (p % 2) == 1
    ia = np.where(odd, (p - 1) // 2, p // 2 - 1) - j_lo
    ib = np.where(odd, (p - 1) // 2, p // 2) - j_lo
    return 0.5 * (xh[:, ia].astype(np.float64) + xh[:, ib])


class _HalfRateBed(Timeline, SoundModel):
    """Sustained beds synthesised at half the sample rate (their content stays well
    below a quarter of the rate), then interpolated up. Tonal parts are pure functions
    of the absolute position; stateful parts (noise, reverb) see each half-rate sample
    once, in order, and the one sample a block shares with the previous one is kept."""

    category = "music"

    def _half_setup(self, rt60: float, rng: np.random.Generator) -> None:
        self._clock_reset()
        self.hr = self.sr / 2
        self.chunk = 256 if self.sr <= 50000 else 512  # ~10 ms of half-rate samples
        self.verb = _Reverb(self.hr, rt60, rng)
        self._fed = -1  # last half-rate index the stateful parts have produced
        self._last = np.zeros((2, 1))

    def _half_block(self, n: int):
        start = self._block_start(n)
        j_lo = (start + 1) // 2 - 1
        j_hi = (start + n - 1) // 2
        length = j_hi - j_lo + 1
        mb = -(-length // self.chunk)
        pos = 2 * (j_lo + (np.arange(mb) + 0.5) * self.chunk) + 1  # chunk centres, full-rate samples
        return start, j_lo, j_hi, length, mb, pos

    def _stateful(self, j_lo: int, j_hi: int, make) -> np.ndarray:
        """Run ``make(k)`` -> (2, k) for the half-rate samples not produced yet and return
        (2, j_hi - j_lo + 1) covering the whole block."""
        k = j_hi - self._fed
        new = make(k) if k > 0 else np.zeros((2, 0), dtype=self._last.dtype)
        have = np.concatenate([self._last.astype(new.dtype), new], axis=1)  # covers [fed, j_hi]
        self._fed = j_hi
        if have.shape[1]:
            self._last = have[:, -1:]
        return have[:, have.shape[1] - (j_hi - j_lo + 1):]

    def _finish(self, dry: np.ndarray, j_lo: int, j_hi: int, start: int, n: int,
                extra=None) -> np.ndarray:
        """Add the stateful parts (``extra(k)`` mono for new samples, then reverb) and go up."""
        def make(k: int) -> np.ndarray:  # float32
            fresh = dry[:, dry.shape[1] - k:].astype(np.float32)
            if extra is not None:
                fresh += extra(k)[None, :]
            wet = self.verb(fresh.sum(axis=0))
            wet *= np.float32(self.wet)
            wet += fresh
            return wet
        mix = self._stateful(j_lo, j_hi, make)
        out = _upsample2(mix, start, n)
        out *= self.level
        _fade_in_start(out, start, self.sr)
        return out

    @staticmethod
    def _env(k: int, span: float, attack: float, release: float, pos: np.ndarray) -> np.ndarray:
        """Amplitude of section k (k*span ... (k+1)*span) at positions: slow rise, hold, slow release."""
        on = k * span - attack / 2
        off = (k + 1) * span - attack / 2
        rise = np.clip((pos - on) / attack, 0, 1)
        fall = np.clip((pos - off) / release, 0, 1)
        return np.sin(np.pi / 2 * rise) ** 2 * np.cos(np.pi / 2 * fall) ** 2


class Pad(_HalfRateBed):
    name = "pad"
    keywords = ("pad", "synth pad", "ambient music", "synth", "synthesizer", "ambient pad",
                "dreamy music", "ethereal music", "atmospheric music", "electronic music", "space music",
                "synth music", "ambient score", "warm pad")
    default_level_db = -8.0
    description = "ambient pad: slow detuned chords through a gently moving low-pass, long attack and release"
    option_words = _MOOD_OPTIONS

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.mood = _mood(self.params) or "dreamy"
        self.harmony = h = _Harmony(self.mood, rng, rng.random() < 0.5)
        lo, hi = h.tempo_range
        self.bpm = float(rng.uniform(lo, hi))
        bar = 4 * 60.0 / self.bpm
        self.chord_samples = 2 * bar * sr  # a chord lasts two bars (~7 s)
        self.attack = 0.35 * self.chord_samples
        self.release_len = 0.6 * self.chord_samples
        progs = _PROGRESSIONS[h.mode]
        a, b = rng.choice(len(progs), 2, replace=False)
        self.progressions = (progs[a], progs[b])
        bright = float(np.clip(h.brightness + 0.35 * (i - 0.5), 0.05, 1.0))
        self.cut_lo = 250 + 500 * bright
        self.cut_hi = 900 + 2600 * bright
        self.mod_rates = rng.uniform(1 / 23, 1 / 9, 2)
        self.mod_phase = rng.uniform(0, _TWO_PI, 2)
        self.detune = rng.uniform(4, 9)  # cents
        self._half_setup(3.5, rng)
        self.wet = 0.35
        extension = 4 if self.mood in ("dreamy", "calm", "hopeful", "happy") else 3  # add9 or 7th
        # one bank of partials per distinct chord (8 at most: two 4-chord progressions)
        self.banks: dict[tuple[int, int], _Bank] = {}
        for sec in (0, 1):
            for d in self.progressions[sec]:
                if (sec, d) not in self.banks:
                    self.banks[(sec, d)] = self._chord_bank(h, d, extension, rng)
        # level: the incoherent partials' rms at the middle cutoff, aimed at ~0.12 per chord
        mid = np.sqrt(self.cut_lo * self.cut_hi)
        rms = max(np.sqrt(0.5 * np.sum((b.amp[0] ** 2 + b.amp[1] ** 2)
                                       * _lowpass_gain(b.freqs, np.array([[mid]]))[0] ** 2))
                  for b in self.banks.values())
        self.level = (0.4 + 0.5 * i) * 0.12 / rms

    def _chord_bank(self, h: _Harmony, d: int, ext: int, rng: np.random.Generator) -> _Bank:
        tones = h.chord(d)
        root = tones[0]
        # upper voices placed around E4 so chord changes move little (smooth voice leading)
        upper = sorted(60 + ((h.root + t - 60 + 6) % 12) - 6 for t in (tones[1], tones[2], tones[ext]))
        notes = [(h.place(root, 36), 1.0, 16)] + [(m, 0.5, 10) for m in upper]
        fcap = min(0.42 * self.hr, 2.5 * self.cut_hi)
        freqs, al, ar = [], [], []
        for midi, gain, kmax in notes:
            f0 = float(_midi_hz(midi))
            det = self.detune * (0.35 if midi < 48 else 1.0)  # the bass beats slowly, or it wobbles
            for side, share in ((-1, 0.6), (1, 0.4)):
                f = f0 * 2 ** ((side * det + rng.uniform(-0.5, 0.5)) / 1200)
                pl, pr = pan_gains(0.55 * side)[:, 0] / np.sqrt(2)
                k = np.arange(1, max(1, int(min(kmax, fcap / f))) + 1)
                freqs.append(k * f)
                amp = 2 * share * gain / k  # sawtooth
                al.append(amp * pl)
                ar.append(amp * pr)
            if midi < 48:  # a sine sub an octave below the bass for warmth
                freqs.append(np.array([f0 / 2]))
                al.append(np.array([0.35 * gain]))
                ar.append(np.array([0.35 * gain]))
        return _Bank(self.hr, np.concatenate(freqs), np.concatenate(al), np.concatenate(ar), self.chunk)

    def _cutoff(self, pos: np.ndarray) -> np.ndarray:
        t = pos / self.sr
        m = 0.5 + 0.3 * np.sin(_TWO_PI * self.mod_rates[0] * t + self.mod_phase[0]) \
            + 0.2 * np.sin(_TWO_PI * self.mod_rates[1] * t + self.mod_phase[1])
        return self.cut_lo * (self.cut_hi / self.cut_lo) ** m

    def chord_at(self, c: int) -> tuple[int, int]:
        """(section, scale degree) of chord number c (chords last two bars; phrases A A B A)."""
        sec = _SECTIONS[(c // 4) % 4]
        return sec, self.progressions[sec][c % 4]

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start, j_lo, j_hi, length, mb, pos = self._half_block(n)
        cutoff = self._cutoff(pos)[:, None]
        items = []
        span = self.chord_samples
        c0 = int(np.floor((pos[0] - self.release_len) / span)) - 1
        c1 = int(np.floor((pos[-1] + self.attack) / span)) + 1
        for c in range(c0, c1 + 1):
            env = self._env(c, span, self.attack, self.release_len, pos)
            if env.any():
                bank = self.banks[self.chord_at(c)]
                items.append((bank, _lowpass_gain(bank.freqs, cutoff) * env[:, None]))
        dry = _render_banks(items, j_lo, length, self.chunk)
        return self._finish(dry, j_lo, j_hi, start, n)


class Drone(_HalfRateBed):
    name = "drone"
    keywords = ("drone", "tense", "suspense", "suspenseful", "ominous", "dark music", "tension",
                "tense music", "suspense music", "horror music", "dread", "menacing", "eerie music",
                "creepy music", "thriller music", "scary music", "dark drone", "ominous music")
    default_level_db = -8.0
    description = "tense drone: low dissonant cluster, slow pulse, filtered-noise swells and occasional low hits"
    option_words = _MOOD_OPTIONS

    _UPPER = (1, 6, 13, 8, 11, 1, 7, 13)  # dissonant intervals over the root, semitones

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.mood = _mood(self.params) or "tense"
        if _MOODS[self.mood][0] == "major":
            self.mood = "mysterious"  # a drone is never cheerful
        self.harmony = h = _Harmony(self.mood, rng, False)
        lo, hi = h.tempo_range
        self.bpm = float(rng.uniform(lo, hi))
        self.bar_samples = 4 * 60.0 / self.bpm * sr
        self.state_samples = 2 * self.bar_samples
        self.attack = 0.5 * self.state_samples
        self.release_len = 0.7 * self.state_samples
        self._half_setup(4.0, rng)
        self.wet = 0.4
        self.root = h.place(0, 31)  # G1..F#2
        bright = float(np.clip(h.brightness + 0.3 * (i - 0.5), 0.05, 1.0))
        self.cut = 180 + 700 * bright
        order = rng.permutation(len(self._UPPER))
        self.uppers = [self._UPPER[k] for k in order]
        self.banks = {u: self._bank(u, rng, i) for u in sorted(set(self.uppers))}
        self.core = self._core_bank(rng)
        # slow pulse at half the beat rate, on the grid
        self.pulse_w = _TWO_PI * (self.bpm / 60 / 2) / sr
        self.pulse_depth = 0.25 + 0.4 * i
        # filtered noise swells (filtered at the half rate)
        self.noise_filter = StatefulFilter(butter("bandpass", (90, 160 + 900 * bright), int(self.hr), 1),
                                           channels=1, dtype=np.float32)
        # (the main swell comes round at least twice in half a minute, so no render sits in one
        # long trough; the slower one only shades it)
        self.swell_rates = np.array([rng.uniform(1 / 17, 1 / 9), rng.uniform(1 / 31, 1 / 11)])
        self.swell_phase = rng.uniform(0, _TWO_PI, 2)
        imp = np.zeros(int(self.hr))
        imp[0] = 1.0
        noise_rms = np.sqrt(np.sum(signal.sosfilt(self.noise_filter.sos, imp) ** 2))
        self.noise_gain = (0.3 + 0.4 * i) / noise_rms  # relative to the tones' rms of 1
        # occasional low hits on bar lines (never in bar 0: the bed should not open with a bang)
        self.hits = [self._hit(rng) for _ in range(3)]
        # on a jittered grid of bars (every 1/p bars, each up to 0.3 of that early or late), so
        # half a minute holds its share of them whatever the seed
        p = 0.12 + 0.3 * i
        k = np.arange(int(np.ceil(_TABLE * p)) + 1)
        at = np.round((k + rng.uniform(0, 1) + rng.uniform(-0.3, 0.3, k.size)) / p).astype(int)
        self.hit_on = np.zeros(_TABLE, dtype=bool)
        self.hit_on[at[(at > 0) & (at < _TABLE)]] = True
        self.hit_pick = rng.integers(0, len(self.hits), _TABLE)
        self.hit_gain = rng.uniform(0.6, 1.0, _TABLE)
        self.hit_len = max(x.size for x in self.hits)
        # the tones are scaled to an rms of about 1, hits and hiss sit relative to that
        def rms(b):
            return np.sum(b.amp[0] ** 2 + b.amp[1] ** 2) / 2
        est = np.sqrt(rms(self.core) + np.mean([rms(b) for b in self.banks.values()]))
        for b in [self.core, *self.banks.values()]:
            b.amp = (b.amp[0] / est, b.amp[1] / est)
        # ...then to the same loudness whatever the seed: the reverb's answer to a sustained
        # partial is coherent with it and, from one seed's delay lines to another's, can double
        # it or cancel it, and the meter weighs the low partials down
        est = np.sqrt(self._tone_power() / 0.75)
        for b in [self.core, *self.banks.values()]:
            b.amp = (b.amp[0] / est, b.amp[1] / est)
        self.hit_gain *= 2.5 + 1.5 * i
        self.level = 0.075 * (0.8 + 0.4 * i)

    # BS.1770's K-weighting (pre-filter shelf and RLB high-pass) at 48 kHz
    _K_SOS = np.array([[1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241,
                        0.73248077421585],
                       [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621]])

    def _wet_response(self, freqs: np.ndarray) -> np.ndarray:
        """Complex steady-state gain (freqs, 2) of the reverb, as run on the half-rate dry
        signal (block-mean decimation, delay-line network, linear interpolation back up)."""
        verb = self.verb
        D = verb.D
        w = _TWO_PI * np.asarray(freqs, dtype=np.float64) / self.hr  # radians per half-rate sample
        d = np.array(verb.d)
        zd = np.exp(-1j * (w * D)[:, None] * d[None, :])  # each line's delay at the network's rate
        lines = np.linalg.solve(np.eye(d.size)[None] - zd[:, :, None] * verb.A[None],
                                (zd * verb.b[None, :])[:, :, None])[:, :, 0]
        r = np.arange(D)
        dec = np.mean(np.exp(-1j * w[:, None] * (r - (D - 1) / 2)), axis=1)
        up = np.mean((1 - r / D) * np.exp(-1j * w[:, None] * (2 * D + r - (D - 1) / 2))
                     + (r / D) * np.exp(-1j * w[:, None] * (D + r - (D - 1) / 2)), axis=1)
        return (lines @ verb.C.T) * (dec * up)[:, None]

    def _tone_power(self) -> float:
        """Loudness-weighted power of the tones with their reverb: the core plus an average
        cluster state, each partial summed with its (coherent) reverberation."""
        def power(b: _Bank) -> float:
            h = self._wet_response(b.freqs)
            mono = (b.amp[0] + b.amp[1]) * self.wet
            _, k = signal.sosfreqz(self._K_SOS, worN=b.freqs, fs=48000)
            return float(np.sum(np.abs(k) ** 2 * (np.abs(b.amp[0] + mono * h[:, 0]) ** 2
                                                  + np.abs(b.amp[1] + mono * h[:, 1]) ** 2)) / 2)
        return power(self.core) + float(np.mean([power(b) for b in self.banks.values()]))

    def _voice(self, midi: float, gain: float, kmax: int, spread: float, rng, freqs, al, ar) -> None:
        f0 = float(_midi_hz(midi))
        for side, share in ((-1, 0.65), (1, 0.35)):
            f = f0 * 2 ** ((side * rng.uniform(3, 8)) / 1200)  # slow beating between the pair
            pl, pr = pan_gains(spread * side)[:, 0] / np.sqrt(2)
            k = np.arange(1, int(min(kmax, 0.42 * self.hr / f)) + 1)
            amp = 2 * share * gain / k ** 1.3 / np.sqrt(1 + (k * f / self.cut) ** 4)
            freqs.append(k * f)
            al.append(amp * pl)
            ar.append(amp * pr)

    def _core_bank(self, rng) -> _Bank:
        freqs, al, ar = [], [], []
        self._voice(self.root, 1.0, 12, 0.2, rng, freqs, al, ar)
        self._voice(self.root + 12, 0.4, 8, 0.4, rng, freqs, al, ar)
        freqs.append(np.array([float(_midi_hz(self.root - 12))]))  # sub
        al.append(np.array([0.5]))
        ar.append(np.array([0.5]))
        return _Bank(self.hr, np.concatenate(freqs), np.concatenate(al), np.concatenate(ar), self.chunk)

    def _bank(self, upper: int, rng, i: float) -> _Bank:
        freqs, al, ar = [], [], []
        self._voice(self.root + 12 + upper, 0.35, 6, 0.6, rng, freqs, al, ar)
        if upper != 1:  # keep the semitone rub over the root's octave in every state
            self._voice(self.root + 13, 0.2, 4, 0.7, rng, freqs, al, ar)
        # high, thin, beating pair of sines: the eerie part
        for m, g in ((self.root + 36 + upper % 12, 0.03 + 0.05 * i), (self.root + 37 + upper % 12, 0.025 + 0.04 * i)):
            f = float(_midi_hz(m))
            if f < 0.42 * self.hr:
                freqs.append(np.array([f]))
                p = rng.uniform(-0.7, 0.7)
                pl, pr = pan_gains(p)[:, 0] / np.sqrt(2)
                al.append(np.array([g * pl]))
                ar.append(np.array([g * pr]))
        return _Bank(self.hr, np.concatenate(freqs), np.concatenate(al), np.concatenate(ar), self.chunk)

    def _hit(self, rng) -> np.ndarray:
        """A low boom at the half rate: a falling sine, a dull noise thud, a faint metallic ring."""
        hr = int(self.hr)
        n = int(3.0 * hr)
        t = np.arange(n) / hr
        f = 30 + rng.uniform(25, 45) * np.exp(-t / 0.25)
        boom = np.sin(_TWO_PI * np.cumsum(f) / hr) * np.exp(-t / 0.9)
        thud = signal.sosfilt(butter("lowpass", 250, hr, 2), rng.standard_normal(n)) * np.exp(-t / 0.08) * 0.6
        ring = _decaying_partials(hr, float(_midi_hz(self.root + 24)) * np.array([1, 2.76, 5.4]),
                                  [0.05, 0.03, 0.02], [2.0, 1.2, 0.7], n).astype(np.float64)
        x = boom + thud + ring
        x[:int(0.002 * hr)] *= np.linspace(0, 1, int(0.002 * hr))
        x[-int(0.2 * hr):] *= np.linspace(1, 0, int(0.2 * hr))
        return x / np.max(np.abs(x)) * 0.9

    def state_at(self, s: int) -> int:
        """Upper interval (semitones over the root) of cluster state s (states last two bars)."""
        return self.uppers[s % len(self.uppers)]

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start, j_lo, j_hi, length, mb, pos = self._half_block(n)
        items = [(self.core, np.ones((mb, self.core.size)))]
        span = self.state_samples
        s0 = int(np.floor((pos[0] - self.release_len) / span)) - 1
        s1 = int(np.floor((pos[-1] + self.attack) / span)) + 1
        for s in range(s0, s1 + 1):
            env = self._env(s, span, self.attack, self.release_len, pos)
            if env.any():
                bank = self.banks[self.state_at(s)]
                items.append((bank, np.broadcast_to(env[:, None], (mb, bank.size))))
        dry = _render_banks(items, j_lo, length, self.chunk)
        # slow pulse from the absolute position (half-rate sample j sits at full-rate 2j+1)
        w = 2 * self.pulse_w
        ph = np.float32((self.pulse_w * (2 * j_lo + 1)) % _TWO_PI) + np.arange(length, dtype=np.float32) * np.float32(w)
        dry *= 1.0 - self.pulse_depth * (0.5 - 0.5 * np.cos(ph))
        # low hits on bar lines (a pure function of the position, like the tones)
        hits = np.zeros(length)
        b0 = max(1, int((2 * j_lo - 2 * self.hit_len) // self.bar_samples))
        for b in range(b0, int((2 * j_hi + 1) // self.bar_samples) + 1):
            k = b % _TABLE
            if self.hit_on[k]:
                onset = int(round(b * self.bar_samples / 2))  # half-rate index
                x = self.hits[self.hit_pick[k]]
                a, z = max(onset, j_lo), min(j_hi + 1, onset + x.size)
                if z > a:
                    hits[a - j_lo:z - j_lo] += x[a - onset:z - onset] * self.hit_gain[k]
        dry += hits[None, :]

        def hiss(k: int) -> np.ndarray:  # noise swells for the k new half-rate samples
            t = (2 * (j_hi - k + 1) + 1 + 2 * np.arange(k)) / self.sr
            t_ends = np.array([t[0], t[-1]])
            sw = (0.5 + 0.5 * np.sin(_TWO_PI * self.swell_rates[0] * t_ends + self.swell_phase[0])) ** 2 \
                * (0.7 + 0.3 * np.sin(_TWO_PI * self.swell_rates[1] * t_ends + self.swell_phase[1]))
            ramp = (np.linspace(sw[0], sw[1], k) * self.noise_gain).astype(np.float32)
            return self.noise_filter(noise(rng, 1, k, dtype=np.float32))[0] * ramp
        return self._finish(dry, j_lo, j_hi, start, n, extra=hiss)
