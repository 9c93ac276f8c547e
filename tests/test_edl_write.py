"""The audio-only EDL: one reel per file, FCM lines, record timecode from the start, source file named."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from scenefill.plugin import edl_write
from scenefill.plugin.edl_write import edl_text, read_events, reel_names, write_edls
from scenefill.plugin.otio_common import OtioInputError, TimelineRate
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.patch import Lane, Placement
from scenefill.plugin.renderer import PlaceholderRenderer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def placement(start, frames, path, channels=2, note="rain"):
    return Placement(start=start, frames=frames, path=Path(path), name=Path(path).stem, note=note,
                     samples=frames * 2000, sample_rate=48000, channels=channels, bit_depth=24)


def test_every_file_gets_its_own_reel_within_eight_characters():
    # the files OTIO's writer put on one reel "animfixn": same first 8 characters
    paths = [Path(f"/m/animfixneeded_{i:016x}.wav") for i in range(3000)]
    reels = reel_names(paths)
    assert len(set(reels.values())) == 3000
    assert all(len(r) <= 8 and r.isalnum() and r.isupper() for r in reels.values())
    assert reel_names(list(reversed(paths))) == reels            # deterministic for the set
    assert reel_names(paths * 2) == reels                        # one reel per file, however often used


def test_reel_names_stay_unique_when_every_hash_window_collides(monkeypatch):
    class Same:
        def hexdigest(self):
            return "0" * 40

    monkeypatch.setattr(edl_write.hashlib, "sha1", lambda data: Same())
    reels = reel_names([Path(f"/m/{i}.wav") for i in range(50)])
    assert len(set(reels.values())) == 50 and all(len(r) <= 8 for r in reels.values())


def test_fcm_and_record_timecode_from_the_timeline_start():
    rate = TimelineRate(Fraction(24), 24.0, 86400)                        # 01:00:00:00
    lane = Lane("SceneFill", 0, [placement(48, 24, "/a/rain_0123456789abcdef.wav"),
                                 placement(0, 12, "/a/mono hum_fedcba9876543210.wav", channels=1, note="hum")])
    text = edl_text("Reel test", lane, rate, reel_names([p.path for p in lane.placements]))
    lines = text.splitlines()
    assert lines[:2] == ["TITLE: Reel test", "FCM: NON-DROP FRAME"]
    ev = read_events(text)
    assert [(e["channels"], e["src_in"], e["src_out"], e["rec_in"], e["rec_out"]) for e in ev] == [
        ("A", "00:00:00:00", "00:00:00:12", "01:00:00:00", "01:00:00:12"),
        ("AA", "00:00:00:00", "00:00:01:00", "01:00:02:00", "01:00:03:00")]
    assert ev[1]["clip_name"] == "rain_0123456789abcdef.wav"
    assert ev[1]["source_file"] == "/a/rain_0123456789abcdef.wav" and ev[0]["note"] == "hum"
    assert ev[0]["reel"] != ev[1]["reel"]


def test_drop_frame_timelines_say_so_and_use_semicolons():
    rate = TimelineRate(Fraction(30000, 1001), 29.97, 107892, drop_frame=True)   # 01:00:00;00 DF
    lane = Lane("SceneFill", 0, [placement(1800, 30, "/a/x_0123456789abcdef.wav")])
    text = edl_text("DF", lane, rate, reel_names([lane.placements[0].path]))
    assert "FCM: DROP FRAME" in text
    ev = read_events(text)[0]
    assert ev["rec_in"] == "01:01:00;02" and ev["src_out"] == "00:00:01;00"     # 1800 frames later, DF count


def test_otio_reads_our_edl_back_at_the_same_record_frames(tmp_path):
    rate = TimelineRate(Fraction(25), 25.0, 90000)                                # 01:00:00:00 at 25
    lane = Lane("SceneFill", 0, [placement(10, 50, "/a/a_0123456789abcdef.wav"),
                                 placement(100, 25, "/a/b_fedcba9876543210.wav")])
    [(path, data)] = write_edls("t", [lane], rate, tmp_path / "x.edl")
    path.write_bytes(data)
    tl = otio.adapters.read_from_file(str(path), rate=25)
    a1 = [t for t in tl.tracks if t.name == "A1"][0]
    got = [(round(c.transformed_time_range(c.trimmed_range(), tl.tracks).start_time.value),
            round(c.duration().value), c.name) for c in a1.find_clips()]
    # OTIO's reader starts its timeline at the first record timecode
    assert [(s - got[0][0], n, name) for s, n, name in got] == [
        (0, 50, "a_0123456789abcdef.wav"), (90, 25, "b_fedcba9876543210.wav")]


def test_a_second_lane_gets_its_own_edl_and_reels_never_repeat_across_them(tmp_path):
    rate = TimelineRate(Fraction(24), 24.0, 0)
    lanes = [Lane("SceneFill", 0, [placement(0, 48, "/a/a_0123456789abcdef.wav")]),
             Lane("SceneFill 2", 1, [placement(24, 48, "/a/b_fedcba9876543210.wav")])]
    outs = write_edls("t", lanes, rate, tmp_path / "cut.edl")
    assert [p.name for p, _ in outs] == ["cut.edl", "cut-A2.edl"]
    reels = [read_events(d.decode())[0]["reel"] for _, d in outs]
    assert reels[0] != reels[1]


def test_rates_without_timecode_are_refused_in_one_line():
    rate = TimelineRate(Fraction(120), 120.0, 0)
    with pytest.raises(OtioInputError, match="SMPTE timecode"):
        write_edls("t", [Lane("S", 0, [placement(0, 10, "/a/a_0123456789abcdef.wav")])], rate, Path("x.edl"))


def test_fill_to_edl_puts_each_file_on_its_own_reel(tmp_path):
    out = tmp_path / "film.edl"
    report = fill(EXAMPLES / "short_film.otio", out, settings=FillSettings(placeholder=True),
                  renderer=PlaceholderRenderer())
    assert "audio-only EDL" in report.summary
    events = [e for p in report.written for e in read_events(p.read_text())]
    assert len(events) == len(report.planned)
    by_file = {e["source_file"]: e["reel"] for e in events}
    assert len(set(by_file.values())) == len(by_file)
    for e in events:
        assert Path(e["source_file"]).is_file() and e["clip_name"] == Path(e["source_file"]).name
    assert all(p.read_text().splitlines()[1] == "FCM: NON-DROP FRAME" for p in report.written)
