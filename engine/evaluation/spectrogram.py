"""A spectrogram picture per render, as a PNG, with nothing but numpy and zlib.

Log-frequency (40 Hz to 20 kHz or Nyquist) against time, dB over a 80 dB
range with a perceptual colour map, faint grid lines at 100 Hz, 1 kHz and
10 kHz and each second. It is the picture an audio engineer checks a model
against ("are there drops, or just hiss?"), so it favours resolution over
decoration; the report's caption states the axes.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

HEIGHT = 256
PX_PER_SECOND = 60
MAX_WIDTH = 1200
F_LOW = 40.0
RANGE_DB = 80.0
GRID_HZ = (100.0, 1000.0, 10000.0)

# anchor colours of a magma-like map (black -> purple -> orange -> pale yellow)
_ANCHORS = np.array([
    [0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99],
    [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 253, 191],
], dtype=np.float64)


def _colormap(v: np.ndarray) -> np.ndarray:
    """v in 0..1 -> uint8 RGB."""
    pos = np.clip(v, 0, 1) * (len(_ANCHORS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_ANCHORS) - 2)
    t = (pos - lo)[..., None]
    return (_ANCHORS[lo] * (1 - t) + _ANCHORS[lo + 1] * t).astype(np.uint8)


def write_png(path: str | Path, rgb: np.ndarray) -> None:
    """Write an (h, w, 3) uint8 image as a PNG (8-bit truecolour, no filter)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    Path(path).write_bytes(png)


def spectrogram_image(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(HEIGHT, width, 3) uint8: time left to right, log frequency bottom to top."""
    x = np.atleast_2d(np.asarray(audio, dtype=np.float64)).mean(axis=0)
    seconds = len(x) / sample_rate
    width = int(np.clip(seconds * PX_PER_SECOND, 64, MAX_WIDTH))
    n_fft = 2048 if sample_rate > 24000 else 1024
    starts = np.linspace(0, max(0, len(x) - n_fft), width).astype(int)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.stack([x[s:s + n_fft] for s in starts]) * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    f_high = min(20000.0, sample_rate / 2)
    rows = np.geomspace(F_LOW, f_high, HEIGHT + 1)
    # average the FFT bins falling in each log-spaced row (at least the nearest bin)
    img = np.empty((HEIGHT, width))
    for r in range(HEIGHT):
        lo, hi = np.searchsorted(freqs, rows[r]), np.searchsorted(freqs, rows[r + 1])
        hi = max(hi, lo + 1)
        img[r] = power[:, lo:hi].mean(axis=1)
    db = 10 * np.log10(img + 1e-20)
    top = db.max()
    norm = (db - (top - RANGE_DB)) / RANGE_DB
    rgb = _colormap(norm[::-1])  # low frequencies at the bottom
    for f in GRID_HZ:
        if f < f_high:
            y = HEIGHT - 1 - int(np.searchsorted(rows, f))
            rgb[y] = (rgb[y].astype(int) * 0.5 + 100).astype(np.uint8)
    for s in range(1, int(seconds) + 1):
        col = int(s / seconds * (width - 1)) if seconds > 0 else 0
        rgb[::4, col] = 160
    return rgb


def write_spectrogram(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    path = Path(path)
    write_png(path, spectrogram_image(audio, sample_rate))
    return path
