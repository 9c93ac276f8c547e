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
