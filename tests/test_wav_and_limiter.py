"""The file writer and the true-peak limiter, on their own."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from scenefill.engine.limiter import TruePeakLimiter
from scenefill.engine.wavio import BwfWriter, bext_chunk, ixml_document, read_chunks

SR = 48000


def _write(path, audio, rf64_above=0xFFFFFFFF, bits=24):
    import time

    with open(path, "w+b") as fh:
        w = BwfWriter(fh, SR, audio.shape[0], bits, bext_chunk("a note", "SceneFill", "seed=1",
                                                             time.gmtime(0), 12345, "A=PCM\r\n"),
                      ixml_document({"note": "a note", "options": {"sample_rate": SR}}), rf64_above=rf64_above)
        for i in range(0, audio.shape[1], 1000):
            w.write(audio[:, i:i + 1000])
        w.close()


def test_24_bit_samples_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(1)
    ints = rng.integers(-2**23, 2**23, size=(2, 4801))
    _write(tmp_path / "a.wav", ints / 8388607.0)
    back, sr = sf.read(str(tmp_path / "a.wav"), dtype="int32", always_2d=True)
    assert sr == SR and np.array_equal(back.T >> 8, np.clip(ints, -2**23 + 1, 2**23 - 1))


def test_a_file_past_the_riff_limit_becomes_rf64_and_still_reads(tmp_path):
    audio = np.sin(np.linspace(0, 200, 9000))[None].repeat(2, 0) * 0.5
    _write(tmp_path / "big.wav", audio, rf64_above=1000)
    assert (tmp_path / "big.wav").read_bytes()[:4] == b"RF64"
    chunks = read_chunks(tmp_path / "big.wav")
    assert chunks["frames"] == 9000 and chunks["bext"]["time_reference"] == 12345
    data, _ = sf.read(str(tmp_path / "big.wav"), always_2d=True)
    assert data.shape == (9000, 2)


def test_bext_and_ixml_are_readable(tmp_path):
    _write(tmp_path / "m.wav", np.zeros((1, 10)))
    chunks = read_chunks(tmp_path / "m.wav")
    assert chunks["bext"]["description"] == "a note" and chunks["bext"]["version"] == 1
    assert "<NOTE>a note</NOTE>" in chunks["iXML"]


def test_limiter_holds_inter_sample_peaks_under_the_ceiling():
    t = np.arange(SR * 3) / SR
    x = np.vstack([np.sin(2 * np.pi * 11990 * t + 0.3), np.sin(2 * np.pi * 997 * t)]) * 1.6
    x[:, :SR] *= 0.05  # quiet first second: the limiter must pass it untouched
    lim = TruePeakLimiter(SR, 2, ceiling_dbtp=-1.5)
    out = np.concatenate([lim(x[:, i:i + 32768]) for i in range(0, x.shape[1], 32768)], axis=1)
    delayed = out[:, lim.latency:]
    tp = 20 * np.log10(np.abs(resample_poly(delayed, 4, 1, axis=1)).max())
    assert tp <= -1.0
    quiet = SR - lim.latency - 2000
    assert np.allclose(delayed[:, :quiet], x[:, :quiet])


def _whole_block_true_peak(limiter: TruePeakLimiter, x: np.ndarray) -> np.ndarray:
    """The detector as first written: every sample of the block oversampled."""
    ext = np.concatenate([limiter.tail, x], axis=1)
    limiter.tail = ext[:, -(limiter.taps - 1):]
    tp = np.zeros(x.shape[1])
    for row in ext:
        for phase in limiter.phases:
            np.maximum(tp, np.abs(np.convolve(row, phase, mode="valid")), out=tp)
    return np.maximum(tp, np.abs(x).max(axis=0))


def test_limiter_oversampling_only_near_peaks_gives_the_same_samples():
    """The limiter oversamples only where a peak could reach the ceiling; the gain it applies,
    and so every output sample, is the same as oversampling the whole block -- for a bed with
    a few hot drops, for one loud throughout and for a quiet one."""
    rng = np.random.default_rng(3)
    n = 8192
    quiet = 0.05 * rng.standard_normal((2, 6 * n))
    sparse = quiet.copy()
    for at in rng.integers(0, 6 * n, 40):
        sparse[:, at:at + 30] += rng.uniform(0.5, 1.5) * np.hanning(30)
    loud = 0.6 * rng.standard_normal((2, 6 * n))
    for signal in (sparse, loud, quiet):
        fast = TruePeakLimiter(48000, 2, -1.5)
        reference = TruePeakLimiter(48000, 2, -1.5)
        reference._true_peak = lambda x, lim=reference: _whole_block_true_peak(lim, x)
        for k in range(6):
            block = signal[:, k * n:(k + 1) * n]
            assert np.array_equal(fast(block.copy()), reference(block.copy()))
