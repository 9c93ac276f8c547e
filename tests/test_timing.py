"""An editor's lengths become exact sample counts, at every rate, with no drift."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.timing import (
    frame_to_sample, frames_to_samples, parse_rate, seconds_to_samples, timecode_to_frames,
)

EDITOR_RATES = ["23.976", "24", "25", "29.97", "30", "48", "50", "59.94", "60"]
EXACT = {"23.976": Fraction(24000, 1001), "29.97": Fraction(30000, 1001), "59.94": Fraction(60000, 1001)}


@pytest.mark.parametrize("text", EDITOR_RATES)
def test_editor_rates_parse_to_exact_rationals(text):
    assert parse_rate(text) == EXACT.get(text, Fraction(text))


@pytest.mark.parametrize("spelling", ["23.976", "23.976023976", "23.976024627685547", "24000/1001",
                                      "23.98", Fraction(24000, 1001)])
def test_every_spelling_of_23976_is_the_same_rate(spelling):
    assert parse_rate(spelling) == Fraction(24000, 1001)


def test_drop_frame_suffix_is_accepted():
    assert parse_rate("29.97 DF") == Fraction(30000, 1001)


@pytest.mark.parametrize("bad", ["23.9", "17", "abc", "0", "-24", "1/0", ""])
def test_unknown_rates_are_refused_by_name(bad):
    with pytest.raises(InvalidRequest) as err:
        parse_rate(bad)
    assert err.value.field == "fps"


@settings(max_examples=300, deadline=None)
@given(frames=st.integers(min_value=1, max_value=24 * 3600 * 4),
       rate=st.sampled_from(EDITOR_RATES),
       sr=st.sampled_from([44100, 48000, 96000]))
def test_frame_counts_map_to_the_exact_rational_sample_count(frames, rate, sr):
    fps = parse_rate(rate)
    exact = Fraction(frames) * sr / fps
    n = frames_to_samples(0, frames, fps, sr)
    assert abs(n - exact) <= Fraction(1, 2)


@pytest.mark.parametrize("rate", EDITOR_RATES)
def test_consecutive_ranges_of_a_two_hour_timeline_tile_exactly(rate):
    import random

    fps = parse_rate(rate)
    rng = random.Random(rate)
    total_frames = int(round(2 * 3600 * fps))
    start, total = 0, 0
    while start < total_frames:
        length = min(rng.randint(1, 500), total_frames - start)
        total += frames_to_samples(start, length, fps, 48000)
        start += length
    assert total == frame_to_sample(total_frames, fps, 48000)


def test_2997_clip_lengths_alternate_rather_than_drift():
    fps = parse_rate("29.97")
    per_frame = [frames_to_samples(f, 1, fps, 48000) for f in range(10)]
    assert set(per_frame) == {1601, 1602}
    assert sum(per_frame[:5]) == 8008


def test_seconds_are_exact():
    assert seconds_to_samples("47", 48000) == 47 * 48000
    assert seconds_to_samples("0.5", 44100) == 22050


def test_timecodes_including_drop_frame():
    assert timecode_to_frames("01:00:00:00", parse_rate("24")) == 86400
    assert timecode_to_frames("01:00:00;00", parse_rate("29.97")) == 107892
    assert timecode_to_frames("01:00:00:00", parse_rate("29.97")) == 108000


@pytest.mark.parametrize("tc", ["1:00:00", "01:00:00:30", "aa:bb:cc:dd", "01:61:00:00"])
def test_bad_timecodes_are_refused(tc):
    with pytest.raises(InvalidRequest):
        timecode_to_frames(tc, parse_rate("25"))


def test_drop_frame_timecode_at_a_non_drop_rate_is_refused():
    with pytest.raises(InvalidRequest):
        timecode_to_frames("01:00:00;00", parse_rate("25"))
