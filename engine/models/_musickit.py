"""Shared core of the music beds: moods, keys and chords (:class:`_Harmony`), the fast
sum-of-sinusoids synthesis, the reverb and the musical grid's tables.

Not a model module: the registry skips module names that start with ``_``.

Procedural music beds: a calm piano, an ambient pad and a tense drone.

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


import numpy as np

from ._amb import polyphase, unique
from .base import BLOCK

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
    "epic": ("minor", (76, 88), 0.75, (0, 2, 5, 7)),
    "playful": ("major", (92, 104), 0.8, (0, 5, 7, 2)),
}

_MOOD_WORDS = {
    "calm": "calm", "gentle": "calm", "peaceful": "calm", "soft": "calm", "relaxing": "calm",
    "relaxed": "calm", "serene": "calm", "quiet": "calm", "tranquil": "calm", "soothing": "calm",
    "happy": "happy", "cheerful": "happy", "uplifting": "happy", "joyful": "happy", "bright": "happy",
    "upbeat": "happy", "light": "happy", "sunny": "happy",
    "playful": "playful", "whimsical": "playful", "quirky": "playful", "bouncy": "playful", "fun": "playful",
    "cartoon": "playful", "mischievous": "playful", "comedic": "playful", "funny": "playful",
    "epic": "epic", "heroic": "epic", "triumphant": "epic", "cinematic": "epic", "orchestral": "epic",
    "grand": "epic", "battle": "epic", "adventure": "epic", "powerful": "epic", "majestic": "epic",
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
    bounds = unique(np.linspace(0, m, segs + 1).astype(int))
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
