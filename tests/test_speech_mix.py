"""A line shouted in the rain is heard over the rain, and a dialogue scene is as loud as any other."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from scenefill.engine.api import render_array
from scenefill.engine.mixer import CARVE_DB, DUCK_DB, SceneMixer, duck_curve
from scenefill.engine.request import RenderRequest
from scenefill.engine.scene import LayerSpec

SR = 48000


def loudness(audio: np.ndarray, sr: int = SR) -> float:
    return pyloudnorm.Meter(sr).integrated_loudness(audio.T.astype(np.float64))


def band_db(x: np.ndarray, lo: float, hi: float, sr: int = SR) -> float:
    sos = signal.butter(4, [lo, hi], btype="bandpass", fs=sr, output="sos")
    return 10 * np.log10(np.mean(signal.sosfilt(sos, x, axis=-1) ** 2))


# ---------------------------------------------------------------- the duck curve


def test_the_bed_is_fully_down_when_the_line_starts_and_back_after_its_release():
    spans = [(10_000, 20_000)]
    curve = duck_curve(spans, 0, 40_000, attack=1_000, release=3_000)
    assert curve[:9_000].max() == 0.0           # untouched well before the line
    assert 0.0 < curve[9_500] < 1.0              # ramping down just before it
    assert np.all(curve[10_000:20_000] == 1.0)   # fully down for the whole line
    assert 0.0 < curve[21_000] < 1.0 and curve[23_000:].max() == 0.0


def test_the_duck_curve_is_the_same_whatever_block_it_is_computed_in():
    spans = [(5_000, 9_000), (9_500, 15_000)]
    whole = duck_curve(spans, 0, 20_000, 800, 2_000)
    pieces = np.concatenate([duck_curve(spans, a, 1_000, 800, 2_000) for a in range(0, 20_000, 1_000)])
    assert np.array_equal(whole, pieces)
    assert whole[9_000:9_500].min() > 0.5       # a short gap between lines stays mostly down


# ---------------------------------------------------------------- the carve


def _mix_noise(spans, n=4 * SR, distance=0.1):
    layer = LayerSpec(model="rain", category="ambience", phrase="rain", via="keyword", distance=distance)
    mixer = SceneMixer([layer], "outdoor", SR, [1.0], 1.0, spans)
    bed = np.random.default_rng(1).standard_normal((2, n)) * 0.05
    out = [mixer.process([bed[:, a:a + 8192]], np.zeros(min(8192, n - a)), min(8192, n - a))
           for a in range(0, n, 8192)]
    return np.concatenate(out, axis=1)


def test_under_a_line_the_bed_dips_and_the_speech_band_dips_further():
    line = (2 * SR, 3 * SR)
    mixed = _mix_noise([line])
    before = mixed[:, int(0.5 * SR):int(1.5 * SR)]
    during = mixed[:, int(2.3 * SR):int(2.9 * SR)]
    low_drop = band_db(before, 100, 300) - band_db(during, 100, 300)
    speech_drop = band_db(before, 1500, 3000) - band_db(during, 1500, 3000)
    assert low_drop == pytest.approx(DUCK_DB["ambience"], abs=1.5)
    assert speech_drop >= DUCK_DB["ambience"] + CARVE_DB["ambience"] - 3.0
    after = mixed[:, int(3.6 * SR):int(3.95 * SR)]
    assert band_db(after, 1500, 3000) == pytest.approx(band_db(before, 1500, 3000), abs=1.0)


def test_without_lines_the_bed_is_not_touched():
    plain = _mix_noise([])
    layer = LayerSpec(model="rain", category="ambience", phrase="rain", via="keyword", distance=0.1)
    assert SceneMixer([layer], "outdoor", SR, [1.0], 1.0).carve == {}
    assert band_db(plain[:, :SR], 1500, 3000) == pytest.approx(band_db(plain[:, 2 * SR:3 * SR], 1500, 3000),
                                                                abs=1.0)


# ---------------------------------------------------------------- loudness


@pytest.mark.parametrize("note, seconds", [
    ('a man shouts in heavy rain: "Get back to the car, now!"', 8),
    ('a man shouts in heavy rain: "Get back to the car, now!"', 30),
    ('in a quiet office a woman says "Your three o\'clock is here."', 8),
    ('<|caption|>steady rain on a window<|asr|>Meet me at the north gate at midnight.'
     '<|asr|>[4s] And bring the map.<|music|>tense strings', 10),
])
def test_a_dialogue_scene_meets_its_loudness_target_within_one_lu(note, seconds):
    audio = render_array(RenderRequest(note=note, n_samples=seconds * SR))
    assert loudness(audio) == pytest.approx(-23.0, abs=1.0)


def test_the_streaming_preset_is_met_with_dialogue_too():
    note = 'air conditioning hum, a woman says "Tell me the one about the lighthouse again."'
    audio = render_array(RenderRequest(note=note, n_samples=8 * SR, loudness=-16.0))
    assert loudness(audio) == pytest.approx(-16.0, abs=1.0)


def _line_and_bed(note: str, seconds: float, monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    """The scene as rendered, and the same scene with the voice silenced (the bed ducked and
    carved exactly as under the voice): their difference is the voice as it sits in the mix."""
    import scenefill.engine.pipeline as pipeline

    request = RenderRequest(note=note, n_samples=int(seconds * SR), channels=1)
    full = render_array(request)[0].astype(np.float64)
    real = pipeline.place_lines

    def silent(*args, **kwargs):
        lines = real(*args, **kwargs)
        for line in lines:
            line.audio = np.zeros_like(line.audio)
        return lines

    monkeypatch.setattr(pipeline, "place_lines", silent)
    bed = render_array(request)[0].astype(np.float64)
    return full - bed, bed


def test_the_line_stands_clear_of_the_rain_in_the_speech_band(monkeypatch):
    """Signal-to-bed ratio under a line shouted in heavy rain, broadband and in the 1-4 kHz band."""
    voice, bed = _line_and_bed('a man shouts in heavy rain: "Get back to the car, now!"', 8, monkeypatch)
    line = slice(int(0.6 * SR), int(1.8 * SR))  # the line starts at 0.5 s and lasts about 1.5 s
    assert band_db(voice[line], 1000, 4000) - band_db(bed[line], 1000, 4000) >= 14.0
    assert 10 * np.log10(np.mean(voice[line] ** 2) / np.mean(bed[line] ** 2)) >= 9.0
    # between lines the rain is back at full level: the scene is rain with a voice, not a voice alone
    assert 10 * np.log10(np.mean(bed[7 * SR:] ** 2) / np.mean(bed[line] ** 2)) >= DUCK_DB["ambience"] - 1
