"""An editor writes when an effect happens, in seconds, timecode or words, and it lands on that sample."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from scenefill.engine.api import parse_note, render_array
from scenefill.engine.errors import InvalidRequest
from scenefill.engine.events import Timeline, find_times, mask_times, resolve, unmask_times
from scenefill.engine.pipeline import plan_render
from scenefill.engine.request import RenderRequest
from scenefill.engine.scene import describe_note
from scenefill.engine.timing import frame_to_sample, timecode_to_frames

SR = 48000
NTSC_FILM = Fraction(24000, 1001)
NTSC_VIDEO = Fraction(30000, 1001)


def onsets(plan, model: str) -> list[int]:
    index = [layer.model for layer in plan.scene.layers].index(model)
    return [onset for onset, _ in plan.models[index].events]


def request(note: str, seconds: float = 10.0, sr: int = SR, **kw) -> RenderRequest:
    return RenderRequest(note=note, n_samples=int(round(seconds * sr)), sample_rate=sr, **kw)


# ---------------------------------------------------------------- reading times


@pytest.mark.parametrize("text, kinds", [
    ("a door slams at 3.5s", ["seconds"]),
    ("the phone rings at 00:00:07:12", ["timecode"]),
    ("a door slams at 00:00:07;12", ["timecode"]),
    ("a knock halfway", ["fraction"]),
    ("a knock half-way through", ["fraction"]),
    ("a knock in the middle", ["fraction"]),
    ("a horn at the end", ["end"]),
    ("a beep every 10 seconds", ["every"]),
    ("a horn twice", ["count"]),
    ("a horn three times", ["count"]),
    ("a horn at 2s and 5s", ["seconds", "seconds"]),
    ("a horn at 2, 5 and 8 seconds", ["seconds", "seconds", "seconds"]),
    ("a door at 1:30", ["seconds"]),
    ("a door at 1 minute 30 seconds", ["seconds"]),
    ("a door slams after 4 seconds", ["seconds"]),
    ("a door at 25%", ["fraction"]),
    ("a door at frame 48", ["frame"]),
])
def test_time_phrases_are_recognised(text, kinds):
    rest, specs = find_times(text)
    assert [s.kind for s in specs] == kinds
    assert any(w in rest for w in ("door", "phone", "knock", "horn", "beep"))


def test_words_that_are_not_times_are_left_alone():
    assert find_times("a cafe at 3 tables")[1] == []
    assert find_times("rain on a tin roof")[1] == []


def test_lists_of_times_survive_splitting_on_commas_and_full_stops():
    masked, pieces = mask_times("a horn at 2, 5 and 8 seconds, a door at 3.5s")
    parts = [unmask_times(p, pieces).strip() for p in masked.split(",")]
    assert parts == ["a horn at 2, 5 and 8 seconds", "a door at 3.5s"]


# ---------------------------------------------------------------- exact samples


def test_seconds_place_a_door_slam_on_the_exact_sample():
    plan = plan_render(request("<|sfx|> a door slams at 3.5s"))
    assert onsets(plan, "door") == [168000]


def test_handles_shift_events_by_exactly_the_handle():
    handle = 12345
    plan = plan_render(request("<|sfx|> a door slams at 3.5s", handle_samples=handle))
    assert onsets(plan, "door") == [168000 + handle]


def test_several_times_give_several_takes_in_order():
    plan = plan_render(request("<|sfx|> a car horn at 5s and 2s"))
    assert onsets(plan, "horn") == [2 * SR, 5 * SR]


def test_timecode_is_timeline_timecode_when_the_range_has_a_start_timecode_at_23_976():
    start = timecode_to_frames("01:00:00:00", NTSC_FILM)
    extra = {"fps": "24000/1001", "start_frame": start}
    plan = plan_render(request("<|sfx|> the phone rings at 01:00:07:12; a door slams at 01:00:03:01",
                               extra=extra))
    frame = timecode_to_frames("01:00:03:01", NTSC_FILM)
    expected = frame_to_sample(frame, NTSC_FILM, SR) - frame_to_sample(start, NTSC_FILM, SR)
    assert onsets(plan, "door") == [expected]
    phone = [e for e in plan.scene.layers if e.model == "phone"][0].events[0]
    assert phone.basis == "timeline timecode" and phone.timecode == "01:00:07:12"
    assert phone.sample == (7 * 24 + 12) * 2002  # 48 kHz at 23.976: exactly 2002 samples a frame


def test_drop_frame_timecode_at_29_97_lands_on_its_frame_at_44_1_khz():
    sr = 44100
    start = timecode_to_frames("00:59:59;00", NTSC_VIDEO)
    extra = {"fps": "30000/1001", "start_frame": start, "drop_frame": True}
    plan = plan_render(request("<|sfx|> a door slams at 01:00:05;02", seconds=10, sr=sr, extra=extra))
    frame = timecode_to_frames("01:00:05;02", NTSC_VIDEO)
    assert frame - start == 6 * 30 + 2  # 00:59:59;00 -> 01:00:05;02: no frames dropped at minute 0
    expected = frame_to_sample(frame, NTSC_VIDEO, sr) - frame_to_sample(start, NTSC_VIDEO, sr)
    assert onsets(plan, "door") == [expected]
    event = plan.scene.layers[-1].events[0]
    assert event.timecode == "01:00:05;02"


def test_timecode_without_a_start_timecode_is_an_offset_from_the_range_start():
    plan = plan_render(request("<|sfx|> a door slams at 00:00:02:12", extra={"fps": "25"}))
    assert onsets(plan, "door") == [int(2.48 * SR)]
    assert "offset from the range start" in plan.scene.layers[-1].events[0].basis


def test_a_timecode_without_a_frame_rate_is_refused_at_render():
    with pytest.raises(InvalidRequest) as err:
        plan_render(request("<|sfx|> a door slams at 00:00:02:12"))
    assert err.value.field == "fps"


@pytest.mark.parametrize("words, expected", [
    ("halfway", [5 * SR]),
    ("at the end", [9 * SR]),
    ("twice", [round(10 * SR / 3), round(20 * SR / 3)]),
    ("every 3 seconds", [int(0.5 * SR), int(3.5 * SR), int(6.5 * SR), int(9.5 * SR)]),
    ("at the start", [0]),
    ("at 25%", [int(2.5 * SR)]),
])
def test_relative_times_follow_the_range_length(words, expected):
    plan = plan_render(request(f"a door slams {words}", seconds=10))
    assert onsets(plan, "door") == expected


def test_halfway_in_an_odd_length_range_is_the_middle_sample():
    plan = plan_render(RenderRequest(note="a door slams halfway", n_samples=100_001))
    assert onsets(plan, "door") == [50_001]


def test_events_outside_the_range_are_reported_not_dropped_silently():
    result = parse_note("<|sfx|> a door slams at 12s; a car horn at 2s",
                        request("x", seconds=10))
    assert [(e["model"], e["text"], e["status"]) for e in result["events_outside"]] == \
        [("door", "at 12s", "outside")]
    assert [e["model"] for e in result["events"]] == ["horn"]


def test_an_event_before_the_range_start_timecode_is_outside():
    tl = Timeline(fps=NTSC_FILM, start_frame=timecode_to_frames("01:00:00:00", NTSC_FILM),
                  length=Fraction(10), length_samples=10 * SR)
    out = describe_note("<|sfx|> a door slams at 00:59:59:00", tl)
    assert out["events_outside"][0]["status"] == "outside" and out["events"] == []


def test_a_door_slam_is_heard_from_its_sample_on():
    """The audio itself: with and without the slam, the renders part within a millisecond of 1.5 s
    (or, where the slam's crack reaches the true-peak ceiling, no earlier than the limiter's
    look-ahead before it: the bed dips under the coming crack, the slam starts on its sample).
    The clip with the slam is a little quieter throughout (its master gain takes the slam's share
    of the clip's loudness out): that scale is taken out before comparing."""
    from scenefill.engine.limiter import TruePeakLimiter
    from scenefill.engine.pipeline import plan_render

    base_request, slam_request = request("room tone", seconds=3, channels=1), \
        request("room tone, a door slams at 1.5s", seconds=3, channels=1)
    scale = plan_render(slam_request).master_gain / plan_render(base_request).master_gain
    base = render_array(base_request) * scale
    slam = render_array(slam_request)
    diff = np.flatnonzero(np.abs(slam - base)[0] > 1e-4)
    look = TruePeakLimiter(SR, 1, -1.5).look
    assert diff.size and -look - SR // 1000 <= int(diff[0]) - int(1.5 * SR) <= SR // 1000


def test_the_time_of_a_phrase_belongs_to_its_effect_not_the_bed():
    result = parse_note("a door slams at 3.5s in the rain")
    assert [e["model"] for e in result["events"]] == ["door"]
    assert result["notes"] == []


def test_a_time_on_a_continuous_bed_is_explained():
    result = parse_note("rain at 3s")
    assert result["events"] == [] and "rain plays throughout" in result["notes"][0]


# ---------------------------------------------------------------- scenefill parse


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenefill", *args], capture_output=True, text=True,
                          timeout=120)


def test_parse_shows_where_each_event_lands_in_seconds_samples_and_timecode():
    out = run_cli("parse", "<|sfx|> a door slams at 3.5s; the phone rings at 00:00:07:12; a knock halfway",
                  "--fps", "29.97", "--tc-in", "00:00:05;00", "--tc-out", "00:00:15;00")
    assert out.returncode == 0, out.stderr
    events = {e["text"]: e for e in json.loads(out.stdout)["events"]}
    assert events["at 3.5s"]["sample"] == 168000 and events["at 3.5s"]["timecode"] == "00:00:08;14"
    phone = events["at 00:00:07:12"]
    assert phone["basis"] == "timeline timecode" and phone["seconds"] == pytest.approx(2.4024)
    assert events["halfway"]["timecode"] == "00:00:10;00"


def test_parse_without_a_length_says_relative_times_wait_for_it():
    out = run_cli("parse", "a door slams halfway")
    pending = json.loads(out.stdout)["events_outside"]
    assert pending[0]["status"] == "needs_length"


def test_render_refuses_a_timecode_without_fps_with_a_one_line_error(tmp_path):
    out = run_cli("render", "<|sfx|> a door at 00:00:01:00", "--seconds", "2", "-o", str(tmp_path / "a.wav"))
    assert out.returncode == 2 and "fps" in out.stderr and not list(tmp_path.iterdir())


def test_resolve_is_pure_and_repeatable():
    tl = Timeline(fps=Fraction(25), start_frame=0, length=Fraction(4), length_samples=4 * SR)
    specs = find_times("a horn every 1 second")[1]
    assert resolve(specs, tl) == resolve(specs, tl)
    assert [e.sample for e in resolve(specs, tl)] == [24000, 72000, 120000, 168000]


def test_a_daemon_frame_range_carries_the_timeline_for_event_timecodes():
    from scenefill.server import scenefill_pb2 as pb
    from scenefill.server.convert import request_from_proto

    start = timecode_to_frames("01:00:00:00", NTSC_FILM)
    msg = pb.RenderRequest(note="<|sfx|> a door slams at 01:00:02:00",
                           frames=pb.FrameRange(start_frame=start, n_frames=240, rate="23.976"))
    req = request_from_proto(msg, 3600)
    assert req.extra == {"fps": "24000/1001", "start_frame": start}
    assert onsets(plan_render(req), "door") == [48 * 2002]


def test_a_looped_render_places_events_after_its_pre_roll_like_its_lines():
    from scenefill.engine.pipeline import _loop_samples

    req = request("<|sfx|> a door slams at 3.5s", loop=True, handle_samples=480)
    assert onsets(plan_render(req), "door") == [168000 + 480 + _loop_samples(req)]


def test_render_says_which_events_fell_outside_the_range(tmp_path):
    out = run_cli("render", "<|sfx|> a door slams at 12s", "--seconds", "2", "-o", str(tmp_path / "a.wav"))
    assert out.returncode == 0 and "outside the range" in out.stderr and "at 12s" in out.stderr


def test_a_dialogue_line_can_start_at_a_timecode_or_halfway():
    start = timecode_to_frames("01:00:00:00", NTSC_FILM)
    extra = {"fps": "24000/1001", "start_frame": start}
    plan = plan_render(request("<|caption|>office<|asr|>[01:00:02:00] Hello?<|asr|>[halfway] Anyone there?",
                               extra=extra))
    assert [line.start for line in plan.lines] == [48 * 2002, 5 * SR]
    assert [line.text for line in plan.lines] == ["Hello?", "Anyone there?"]


def test_a_line_before_the_range_keeps_its_default_place_and_is_reported():
    start = timecode_to_frames("01:00:00:00", NTSC_FILM)
    tl = Timeline(fps=NTSC_FILM, start_frame=start, length=Fraction(10), length_samples=10 * SR)
    out = describe_note("<|caption|>office<|asr|>[00:59:00:00] Too early.", tl)
    assert out["events_outside"][0]["model"] == "speech" and out["speech"][0]["start"] is None
