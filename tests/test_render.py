"""A render is exact, repeatable, extendable, loud enough and no louder, and labelled."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest

from conftest import read, true_peak_db
from scenefill.engine.api import read_provenance, render_array, render_to_file
from scenefill.engine.pipeline import FADE_OUT_S
from scenefill.engine.request import RenderRequest

SR = 48000


def req(note="light rain on leaves, gentle wind", seconds=3.0, **kw) -> RenderRequest:
    return RenderRequest(note=note, n_samples=int(round(seconds * kw.get("sample_rate", SR))), **kw)


@pytest.mark.parametrize("n", [1, 2, 801, 1601, 2002, 32767, 32768, 32769, 100_001])
def test_output_has_exactly_the_requested_samples(tmp_path, n):
    result = render_to_file(RenderRequest(note="room tone", n_samples=n), tmp_path / "a.wav")
    audio, sr = read(result.path)
    assert audio.shape == (2, n) and sr == SR and result.n_samples == n


@pytest.mark.parametrize("sr", [44100, 96000])
def test_other_sample_rates_and_mono(tmp_path, sr):
    r = req(seconds=1.5, sample_rate=sr, channels=1)
    audio, got_sr = read(render_to_file(r, tmp_path / "m.wav").path)
    assert got_sr == sr and audio.shape == (1, r.n_samples)


def test_same_request_gives_a_bit_identical_file(tmp_path):
    a = render_to_file(req(seed=7), tmp_path / "a.wav")
    b = render_to_file(req(seed=7), tmp_path / "b.wav")
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert a.sha256 == b.sha256


def test_another_seed_gives_another_take():
    a = render_array(req(seed=1, seconds=1))
    b = render_array(req(seed=2, seconds=1))
    assert not np.array_equal(a, b)


def test_extending_a_clip_keeps_the_approved_audio():
    ten = render_array(req("heavy rain, city traffic, calm piano", seconds=10))
    twelve = render_array(req("heavy rain, city traffic, calm piano", seconds=12))
    keep = ten.shape[1] - int(FADE_OUT_S * SR)
    assert np.array_equal(ten[:, :keep], twelve[:, :keep])
    assert not np.array_equal(ten[:, keep:], twelve[:, keep:ten.shape[1]])  # only the end fade differs


@pytest.mark.parametrize("note", ["heavy rain on a tin roof, distant thunder",
                                  "city traffic, crowd murmur",
                                  "quiet office, air conditioning hum"])
def test_loudness_meets_the_target_and_true_peak_stays_under_minus_one(note):
    audio = render_array(req(note, seconds=20)).astype(np.float64)
    loudness = pyloudnorm.Meter(SR).integrated_loudness(audio.T)
    assert abs(loudness - (-23.0)) <= 1.0, loudness
    assert true_peak_db(audio) <= -1.0


def test_streaming_preset_is_louder():
    audio = render_array(req("gentle wind", seconds=16, loudness=-16.0)).astype(np.float64)
    assert abs(pyloudnorm.Meter(SR).integrated_loudness(audio.T) + 16.0) <= 1.0
    assert true_peak_db(audio) <= -1.0


def test_gain_does_not_depend_on_length():
    short = render_array(req("heavy rain", seconds=4))
    long = render_array(req("heavy rain", seconds=30))
    head = short.shape[1] - int(FADE_OUT_S * SR)
    assert np.array_equal(short[:, :head], long[:, :head])


def test_loop_seam_is_continuous():
    audio = render_array(req("heavy rain, gusty wind", seconds=6, loop=True)).astype(np.float64)
    steps = np.abs(np.diff(audio, axis=1))
    seam = np.abs(audio[:, 0] - audio[:, -1])
    assert seam.max() <= np.percentile(steps, 99.9)
    # and the end is not a fade to silence
    tail_rms = np.sqrt(np.mean(audio[:, -4800:] ** 2))
    body_rms = np.sqrt(np.mean(audio ** 2))
    assert tail_rms > 0.3 * body_rms


def test_default_render_fades_in_and_out_to_avoid_clicks():
    audio = render_array(req("heavy rain", seconds=2))
    assert np.abs(audio[:, 0]).max() < 1e-3 and np.abs(audio[:, -1]).max() < 1e-3


def test_handles_add_audio_each_side_and_are_recorded(tmp_path):
    r = req(seconds=2, handle_samples=SR // 2)
    result = render_to_file(r, tmp_path / "h.wav")
    audio, _ = read(result.path)
    assert audio.shape[1] == 3 * SR
    assert read_provenance(result.path)["options"]["handle_samples"] == SR // 2


def test_provenance_round_trips_through_bwf_and_ixml(tmp_path):
    r = req("<|caption|>rain on a window<|sfx|>distant thunder", seconds=1, seed=42)
    path = render_to_file(r, tmp_path / "p.wav").path
    info = read_provenance(path)
    assert info["note"] == r.note and info["seed"] == 42
    assert info["caption"]["sfx"] == ["distant thunder"]
    assert info["engine_version"].startswith("scenefill-engine/")
    assert info["bext"]["originator"] == "SceneFill"
    assert info["bext"]["origination_date"] == "2023-11-14"  # SOURCE_DATE_EPOCH in tests
    assert info["bext"]["description"].startswith("<|caption|>rain")


def test_flac_output_carries_provenance(tmp_path):
    path = render_to_file(req(seconds=1, fmt="flac"), tmp_path / "p.flac").path
    audio, _ = read(path)
    assert audio.shape[1] == SR
    assert read_provenance(path)["options"]["format"] == "flac"


def test_speech_is_spoken_and_the_bed_ducks_under_it():
    r = req('<|caption|>heavy rain<|asr|>We need to get inside right now.', seconds=8)
    audio = render_array(r).astype(np.float64).mean(axis=0)
    from scenefill.engine.speech import FIRST_LINE_AT

    def rms(a, b):
        seg = audio[int(a * SR):int(b * SR)]
        return float(np.sqrt(np.mean(seg ** 2)))

    bed = render_array(req('<|caption|>heavy rain', seconds=8)).astype(np.float64).mean(axis=0)
    during = slice(int((FIRST_LINE_AT + 0.3) * SR), int((FIRST_LINE_AT + 1.3) * SR))
    # the rain ducks under the line (its signal-to-bed ratio is measured in test_speech_mix.py)
    assert np.sqrt(np.mean((audio[during] - bed[during]) ** 2)) > 0.5 * rms(FIRST_LINE_AT + 0.3, FIRST_LINE_AT + 1.3)
    assert rms(0.05, FIRST_LINE_AT - 0.2) > 0.5 * float(np.sqrt(np.mean(bed[int(0.05 * SR):int(0.3 * SR)] ** 2)))


def test_dialogue_is_the_loudness_anchor():
    from scenefill.engine.speech import FIRST_LINE_AT

    r = req('<|caption|>quiet room<|asr|>This is the line the whole scene is built around.', seconds=5)
    audio = render_array(r).astype(np.float64)
    line = audio[:, int(FIRST_LINE_AT * SR):int((FIRST_LINE_AT + 2.3) * SR)]
    assert abs(pyloudnorm.Meter(SR).integrated_loudness(line.T) + 23.0) <= 1.0
    assert true_peak_db(audio) <= -1.0


def test_cancelled_render_leaves_nothing(tmp_path):
    from scenefill.engine.errors import Cancelled

    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        render_to_file(req(seconds=20), tmp_path / "c.wav", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_provenance_json_is_plain_data(tmp_path):
    info = read_provenance(render_to_file(req(seconds=1), tmp_path / "j.wav").path)
    json.dumps(info)
