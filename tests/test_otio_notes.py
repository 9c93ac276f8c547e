"""OTIO adapter: reading timelines and finding notes (real sample timelines + synthetic ones)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime as RT
from opentimelineio.opentime import TimeRange as TR

from scenefill.plugin.otio_common import OtioInputError, detect_rate
from scenefill.plugin.timeline_notes import (
    assign_lanes,
    extract_notes,
    load_sidecar,
    marker_note,
    read_timeline,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "otio-samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(),
                                   reason=f"sample timelines not found at {SAMPLES} (CI keeps shared/ beside the clone)")


def sample(fragment: str) -> Path:
    matches = sorted(SAMPLES.glob(f"*{fragment}*"))
    assert matches, fragment
    return matches[0]


def need_adapter(name: str):
    if name not in otio.adapters.available_adapter_names():
        pytest.skip(f"the {name} OTIO adapter is not installed (pip install otio-{name.replace('_', '-')}-adapter)")


# --------------------------------------------------------------------------- real samples

@needs_samples
def test_edl_loc_markers_are_record_timecode():
    tl = read_timeline(sample("screening_example.edl"))
    ex = extract_notes(tl)
    assert ex.rate.exact == 24 and ex.rate.start_frame == 86243  # 00:59:53:11, the first record TC
    [item] = ex.items
    assert item.note == "ANIM FIX NEEDED" and item.source_field == "name"
    assert ex.rate.timecode(item.start) == "01:00:01:14"          # LOC 01:00:01:14 (record TC)
    assert item.n_frames == 24                                     # up to the next LOC, 01:00:02:14
    # the second LOC spans 5 frames to its clip's end: under --min-seconds
    assert [s.reason for s in ex.skipped] == ["spans 0.21 s, under --min-seconds 0.5"]
    assert len(extract_notes(tl, min_seconds=0.1).items) == 2


@needs_samples
def test_premiere_xml_notes_from_fcp_comment():
    tl = read_timeline(sample("premiere_example.xml"))
    ex = extract_notes(tl)
    assert [(i.note, i.source_field, i.owner_kind, i.start, i.n_frames) for i in ex.items] == [
        ("so, this happened", "fcp_xml.comment", "timeline", 113, 492 - 113),
        ("fsfsfs", "fcp_xml.comment", "timeline", 492, 1271 - 492),
    ]


@needs_samples
def test_aaf_markers_on_gaps_and_clips_in_source_time():
    tl = read_timeline(sample("multiple_markers.aaf"))
    ex = extract_notes(tl)
    assert ex.rate.exact == 24 and ex.rate.start_frame == 86400
    by_note = {i.note: i for i in ex.items}
    assert len(ex.items) == 9
    # point markers span to the next marker on the same item: FX and BLUE share V2's filler
    assert by_note["FX"].n_frames == 518
    assert by_note["CYAN: V3: zts02_1030: f1212: seq.f1665"].n_frames == 2275 - 856
    assert all(i.id.startswith("aaf-") for i in ex.items)           # Avid's own marker ids
    # a clip marker at source frame 1104 of a clip whose source starts at 1001, placed at 192 + ...
    green = by_note["GREEN: V1: zts02_1010: f1104: seq.f1104"]
    assert green.owner_kind == "clip" and green.anchor == 1104
    assert green.start == 192 + (1104 - 1001)
    # a marker on a gap of V5, after a 192-frame gap
    assert by_note["RED: V5: zts02_1050: f1061: seq.f1885"].start == 192 + 884
    # a clip marker before its clip's source range is ignored, and said so
    assert any("Flow_07" in s.what and "outside" in s.reason for s in ex.skipped)


@needs_samples
def test_fcpx_markers_on_clips_and_compound_clips():
    need_adapter("fcpx_xml")
    ex = extract_notes(read_timeline(sample("fcpx_project.fcpxml")))
    kinds = {i.name: i.owner_kind for i in ex.items}
    assert kinds["Marker 7"] == "stack" and kinds["Marker 1"] == "clip"
    assert len(ex.items) == 6
    assert any(s.reason.startswith("outside") for s in ex.skipped)


@needs_samples
def test_kdenlive_bin_markers_repeated_on_instances_are_merged():
    need_adapter("kdenlive")
    ex = extract_notes(read_timeline(sample("kdenlive_mixes_markers")))
    assert ex.markers_seen == 64
    assert sorted(i.note for i in ex.items) == ["Lila", "Orange"]


@needs_samples
def test_resolve_note_holding_pipeline_json_is_skipped():
    tl = read_timeline(sample("qt_embedded_tc.json"))     # a single Resolve clip, .json
    [marker] = tl.find_clips()[0].markers
    note, field = marker_note(marker)
    assert field == "Resolve_OTIO.Note" and note.startswith("{")
    ex = extract_notes(tl)
    assert ex.items == [] and "pipeline data" in ex.skipped[0].reason


@needs_samples
@pytest.mark.parametrize("fragment", ["2997fps-DFTC.aaf", "timecode_rates.otio"])
def test_samples_without_notes(fragment):
    ex = extract_notes(read_timeline(sample(fragment)))
    assert ex.items == []


@needs_samples
def test_drop_frame_aaf_start():
    tl = read_timeline(sample("2997fps-DFTC.aaf"))
    rate = detect_rate(tl)
    assert rate.exact == Fraction(30000, 1001) and rate.drop_frame
    assert rate.timecode(0) == "05:00:00;00"


# --------------------------------------------------------------------------- synthetic

R24 = 24.0


def _timeline(rate=R24, gst=None):
    tl = otio.schema.Timeline("t", global_start_time=gst)
    v = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    for i in range(3):
        v.append(otio.schema.Clip(f"sh{i}", source_range=TR(RT(1000, rate), RT(48, rate))))
    tl.tracks.append(v)
    return tl


def test_clip_markers_are_source_time_and_points_span_to_next_or_item_end():
    tl = _timeline()
    c0, c1, _ = tl.tracks[0]
    c0.markers.append(otio.schema.Marker("a", TR(RT(1010, R24), RT(0, R24)), comment="rain"))
    c0.markers.append(otio.schema.Marker("b", TR(RT(1030, R24), RT(1, R24)), comment="wind"))
    c1.markers.append(otio.schema.Marker("c", TR(RT(1000, R24), RT(0, R24)), comment="birds"))
    ex = extract_notes(tl, min_seconds=0)
    assert [(i.note, i.start, i.n_frames) for i in ex.items] == [
        ("rain", 10, 20),      # to the next noted marker
        ("wind", 30, 18),      # to the end of its clip (48)
        ("birds", 48, 48),
    ]


def test_ranged_markers_clip_to_their_item_and_notes_in_every_field():
    tl = _timeline()
    clip = tl.tracks[0][1]
    clip.markers.append(otio.schema.Marker("x", TR(RT(990, R24), RT(30, R24)),
                                           metadata={"Resolve_OTIO": {"Note": "resolve note"}}))
    tl.tracks.markers.append(otio.schema.Marker("named only", TR(RT(100, R24), RT(20, R24))))
    tl.tracks[0].markers.append(otio.schema.Marker("", TR(RT(130, R24), RT(0, R24))))  # no note: ignored
    ex = extract_notes(tl, min_seconds=0)
    assert [(i.note, i.source_field, i.start, i.n_frames) for i in ex.items] == [
        ("resolve note", "Resolve_OTIO.Note", 48, 20),   # 990..1020 clipped to the clip's 1000..
        ("named only", "name", 100, 20),
    ]


def test_marker_colour_filter_and_disabled_items():
    tl = _timeline()
    tl.tracks.markers.append(otio.schema.Marker("g", TR(RT(0, R24), RT(24, R24)), color="GREEN", comment="a"))
    tl.tracks.markers.append(otio.schema.Marker("r", TR(RT(30, R24), RT(24, R24)), color="RED", comment="b"))
    tl.tracks[0][2].markers.append(otio.schema.Marker("d", TR(RT(1000, R24), RT(24, R24)), comment="c"))
    tl.tracks[0][2].enabled = False
    assert [i.note for i in extract_notes(tl, marker_colors=["green"]).items] == ["a"]
    assert [i.note for i in extract_notes(tl).items] == ["a", "b"]


def test_clip_notes_from_metadata_and_sidecar(tmp_path):
    tl = _timeline()
    tl.tracks[0][0].metadata["scenefill"] = {"note": "room tone"}
    csv = tmp_path / "notes.csv"
    csv.write_text("clip,note\nsh2,city traffic\nnope,unused\n")
    ex = extract_notes(tl, source="clips", sidecar=load_sidecar(csv))
    assert [(i.note, i.start, i.n_frames, i.source_field) for i in ex.items] == [
        ("room tone", 0, 48, "scenefill.note"), ("city traffic", 96, 48, "sidecar")]
    js = tmp_path / "notes.json"
    js.write_text('[{"clip": "sh1", "note": "wind"}]')
    assert [i.note for i in extract_notes(tl, source="clips", sidecar=load_sidecar(js)).items] == \
        ["room tone", "wind"]
    assert extract_notes(tl, source="markers").items == []


def test_nested_stack_markers_and_overlap_lanes():
    tl = _timeline()
    inner = otio.schema.Stack(name="compound", source_range=TR(RT(10, R24), RT(40, R24)))
    t = otio.schema.Track()
    t.append(otio.schema.Clip("in", source_range=TR(RT(0, R24), RT(100, R24))))
    inner.append(t)
    inner.markers.append(otio.schema.Marker("n", TR(RT(20, R24), RT(10, R24)), comment="nested"))
    tl.tracks[0].append(inner)                       # starts at 144
    tl.tracks.markers.append(otio.schema.Marker("o", TR(RT(150, R24), RT(20, R24)), comment="over"))
    ex = extract_notes(tl, min_seconds=0)
    nested = [i for i in ex.items if i.note == "nested"][0]
    assert (nested.start, nested.n_frames) == (144 + 10, 10)
    lanes = assign_lanes(ex.items)
    assert len(lanes) == 2


def test_unreadable_inputs_raise_one_line(tmp_path):
    with pytest.raises(OtioInputError, match="no such file"):
        read_timeline(tmp_path / "missing.otio")
    bad = tmp_path / "bad.otio"
    bad.write_text("{ not json")
    with pytest.raises(OtioInputError, match="cannot read"):
        read_timeline(bad)
    odd = tmp_path / "x.unknownext"
    odd.write_text("hello")
    with pytest.raises(OtioInputError, match="no OTIO adapter"):
        read_timeline(odd)


def test_unsupported_rate_is_refused():
    tl = _timeline(rate=15.0)
    with pytest.raises(OtioInputError, match="unsupported frame rate 15"):
        detect_rate(tl)
