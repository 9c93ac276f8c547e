"""Every kind of scene lands on its loudness target within 1 LU, and its gains never depend on its length.

The editor asks for -23 LUFS and gets it whatever the note: a lone event on room tone
(the relative gate of BS.1770 lets the event's tail in once the floor is there), a steady
tonal bed (a buzz's harmonics meet the room's response at their own frequencies), a short
piece of music, a dialogue scene. And the level model stays a function of the spec: a
longer render of the same request starts with the shorter one's samples.
"""

from __future__ import annotations

import json
import numpy as np
import pyloudnorm
import pytest

from scenefill.engine.api import render_array
from scenefill.engine.pipeline import FADE_OUT_S, plan_render
from scenefill.engine.request import RenderRequest

SR = 48000
TARGET = -23.0

#: (what the editor types, clip length in seconds): one row per kind of level problem
SCENES = [
    ("a dog barks at 3s", 8),                                    # events only: one take on room tone
    ("a car passes by at 4s", 8),                                # an event heard 4 s before it passes
    ("two glasses clink at 2s", 8),                              # a short ring, mostly floor around it
    ("the electrical buzz of a faulty neon light", 8),           # a tonal bed through the room
    ("calm piano music", 10),                                    # a piece with its closing cadence
    ('in a quiet office a woman says "Your three o\'clock is here."', 8),  # dialogue on a hum
    ("heavy rain, a door slams at 3s", 8),                       # an event on a bed
    ("ocean waves crashing on a beach", 8),                      # a sparse bed: one or two breakers
    ("a large empty church, quiet reverberant room tone", 8),    # a sparse bed: a walk, a door, a cough
]


def _loudness(audio: np.ndarray) -> float:
    return float(pyloudnorm.Meter(SR).integrated_loudness(audio.astype(np.float64).T))


def _request(note: str, seconds: float, seed: int = 0) -> RenderRequest:
    return RenderRequest(note=note, n_samples=int(seconds * SR), seed=seed)


@pytest.mark.parametrize("note, seconds", SCENES)
def test_the_scene_meets_its_loudness_target_within_one_lu(note, seconds):
    level = _loudness(render_array(_request(note, seconds)))
    assert abs(level - TARGET) <= 1.0, f"{note!r}: {level:.2f} LUFS"


@pytest.mark.parametrize("note", ["a dog barks at 3s", "the electrical buzz of a faulty neon light",
                                  "a large empty church, quiet reverberant room tone", "footsteps on a wooden floor"])
def test_another_seed_meets_the_target_too(note):
    level = _loudness(render_array(_request(note, 8, seed=3)))
    assert abs(level - TARGET) <= 1.0, f"{note!r} seed 3: {level:.2f} LUFS"


@pytest.mark.parametrize("note, seconds", SCENES)
def test_a_longer_render_keeps_the_gains_and_the_first_part(note, seconds):
    short, long = _request(note, seconds), _request(note, seconds + 4)
    a, b = plan_render(short), plan_render(long)
    assert a.layer_gains == b.layer_gains and a.master_gain == b.master_gain and a.speech_gain == b.speech_gain
    x, y = render_array(short), render_array(long)
    # a piece of music closes on a cadence before its end, so only its opening is shared
    keep = 3 * SR if "music" in note else x.shape[1] - int(FADE_OUT_S * SR)
    assert np.array_equal(x[:, :keep], y[:, :keep])


def test_a_noise_bed_s_room_response_is_measured_once_not_per_seed(monkeypatch):
    """A batch fill gives every marker its own seed; a rain bed meets the room's average
    response whatever the seed, so a new seed must not pay for measuring it again. A bed of
    steady tones (a mains hum) does: its tone meets the room's modes at one frequency."""
    from scenefill.engine import calibration
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.scene import build_scene

    seen = []
    real = calibration.room_excess

    def spy(layer, sr, ch, room, seed_index):
        seen.append((layer.model, tuple(seed_index)))
        return real(layer, sr, ch, room, seed_index)

    monkeypatch.setattr(calibration, "room_excess", spy)
    for note in ("heavy rain on a tin roof", "a buzzing neon sign"):
        layer = next(l for l in build_scene(parse_caption(note)).layers if l.via != "fallback")
        for seed in (11, 12):
            calibration.layer_loudness(layer, 48000, 2, "outdoor", seed_index=(seed, 0))
    rain = {s for m, s in seen if m == "rain"}
    buzz = {s for m, s in seen if m == "electrical_buzz"}
    assert len(rain) == 1 and rain != {(11, 0)} and rain != {(12, 0)}
    assert buzz == {(11, 0), (12, 0)}


def test_a_bed_s_limiter_make_up_is_measured_once_but_an_effect_s_on_its_own_take(monkeypatch):
    """The limiter takes a peaky layer's level back; how much depends on the take for an effect
    (each seed is a different slam) and a piece of music, not for a bed of noise."""
    from scenefill.engine import calibration

    assert calibration.seed_matters("door", "limiter") and not calibration.seed_matters("footsteps", "limiter")
    assert calibration.seed_matters("piano", "limiter") and calibration.seed_matters("piano", "room")
    assert not calibration.seed_matters("rain", "limiter") and not calibration.seed_matters("rain", "room")
    assert calibration.seed_matters("electrical_buzz", "room")
    with pytest.raises(ValueError):
        calibration.seed_matters("rain", "loudness")
    keys = []
    monkeypatch.setattr(calibration, "_cached", lambda key, measure: keys.append(key) or 0.0)
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.scene import build_scene

    layer = next(l for l in build_scene(parse_caption("heavy rain")).layers if l.via != "fallback")
    for seed in (11, 12):
        calibration.limiter_makeup(layer, 48000, 2, "outdoor", -10.0, -1.5, None, (seed, 0))
    assert keys[0] == keys[1]


def test_a_new_seed_s_effect_is_rendered_once_for_all_its_measurements(tmp_path, monkeypatch):
    """A batch fill gives every marker its own seed, so each marker's slam is measured on its own
    take: for its level, against the floor's gate and against the limiter. All three read the
    same seconds of the same take; planning renders it once, and a second plan reads the file."""
    from scenefill.engine import calibration
    from scenefill.engine.models import REGISTRY

    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibration, "_memory", {})
    monkeypatch.setattr(calibration, "_loaded_from", None)
    door = REGISTRY["door"]
    made = []
    real_init = door.__init__

    def counting_init(self, *args, **kwargs):
        made.append(args[1:3])  # (seed, layer index)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(door, "__init__", counting_init)
    request = _request("<|sfx|> a door slams at 3.5s", 8, seed=4242)
    plan_render(request)
    takes = [m for m in made if m[0] == 4242]
    assert len(takes) == 2, made       # one calibration take, plus the model the plan renders with
    assert calibration._renders.memo is None  # nothing kept past the plan
    made.clear()
    plan_render(request)
    assert len(made) == 1              # the levels come from the cache; only the render's own model


def test_the_calibration_file_keeps_its_newest_entries_within_bounds(tmp_path, monkeypatch):
    from scenefill.engine import calibration

    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibration, "MAX_ENTRIES", 10)
    monkeypatch.setattr(calibration, "_memory", {})
    monkeypatch.setattr(calibration, "_loaded_from", None)
    for i in range(25):
        calibration._cached(f"k{i}", lambda i=i: float(i))
    on_disk = json.loads((tmp_path / "calibration.json").read_text())
    assert list(on_disk) == [f"k{i}" for i in range(15, 25)]
    assert calibration._cached("k24", lambda: 99.0) == 24.0      # still answered from memory


def test_a_level_another_worker_measured_meanwhile_is_read_not_measured_again(tmp_path, monkeypatch):
    from scenefill.engine import calibration

    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibration, "_memory", {})
    monkeypatch.setattr(calibration, "_loaded_from", None)
    calibration._cached("mine", lambda: 1.0)                         # this process has read the file
    (tmp_path / "calibration.json").write_text(json.dumps({"mine": 1.0, "theirs": 2.0}))  # the other worker
    assert calibration._cached("theirs", lambda: pytest.fail("measured again")) == 2.0
