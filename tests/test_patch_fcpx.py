"""FCPXML: SceneFill clips are connected to the editor's own project, nothing else changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from scenefill.plugin.conform import conform
from scenefill.plugin.otio_common import OtioInputError, TimelineRate, is_generated_track
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.patch import Lane, Placement, fcpx
from scenefill.plugin.patch.fcpx import format_time, parse_time
from scenefill.plugin.renderer import PlaceholderRenderer
from scenefill.plugin.timeline_notes import read_timeline

DATA = Path(__file__).resolve().parent / "data" / "timelines"
PROJECT = DATA / "fcpx_project.fcpxml"
R30 = TimelineRate(Fraction(30), 30.0, 0)

needs_fcpx = pytest.mark.skipif("fcpx_xml" not in otio.adapters.available_adapter_names(),
                                reason="otio-fcpx-xml-adapter is not installed")


def placement(start, frames, name, note=None, fps=30):
    return Placement(start=start, frames=frames, path=Path("/tmp/scene fill") / name, name=name.split("_")[0],
                     note=note or name, samples=frames * 48000 // fps, sample_rate=48000, channels=2,
                     bit_depth=24, provenance={"note": note or name})


def lanes():
    return [Lane("SceneFill", 0, [placement(10, 50, "rain_0123456789abcdef.wav", 'rain & "wind"'),
                                  placement(300, 30, "birds_fedcba9876543210.wav"),     # in a <gap/>
                                  placement(1200, 30, "late_1111111111111111.wav")]),
            Lane("SceneFill 2", 1, [placement(20, 60, "hum_2222222222222222.wav")])]


def shape(elem):
    return (elem.tag, sorted(elem.attrib.items()), (elem.text or "").strip(), [shape(c) for c in elem])


def without_ours(root):
    ours = {a.get("id") for a in root.iter("asset") if a.get("id", "").startswith("scenefill-")}
    for parent in root.iter():
        for child in list(parent):
            if child.get("id") in ours or (child.tag == "asset-clip" and child.get("ref") in ours):
                parent.remove(child)
    return root


def test_removing_our_clips_and_assets_gives_back_the_project_exactly():
    original = PROJECT.read_bytes()
    out = fcpx.patch(original, lanes(), R30)
    assert shape(without_ours(ET.fromstring(out))) == shape(ET.fromstring(original))
    assert fcpx.strip(out) == original                           # a <gap/> we opened is closed again
    assert fcpx.patch(out, lanes(), R30) == out                   # a second fill replaces, never stacks
    again = fcpx.patch(out, lanes()[:1], R30)
    assert fcpx.strip(again) == original and again.count(b"<asset-clip ref=\"scenefill-") == 3


def test_connected_clips_sit_below_every_lane_at_exact_rational_times():
    root = ET.fromstring(fcpx.patch(PROJECT.read_bytes(), lanes(), R30))
    clips = {c.get("name"): (c, parent) for parent in root.iter() for c in parent
             if c.tag == "asset-clip" and c.get("ref", "").startswith("scenefill-")}
    assert set(clips) == {"rain", "birds", "late", "hum"}
    rain, parent = clips["rain"]
    assert parent.get("name") == "IMG_0715" and parent.get("offset") == "0s"
    assert rain.get("lane") == "-2" and clips["hum"][0].get("lane") == "-3"     # the project uses -1
    assert rain.get("offset") == "1000/3000s" and rain.get("duration") == "5000/3000s"   # frameDuration 100/3000s
    assert rain.get("audioRole") == "effects" and rain.findtext("note") == 'rain & "wind"'
    birds, gap = clips["birds"]
    # the gap at 10 s starts at 3600 s in its own time: offset = start + (T - offset)
    assert gap.tag == "gap" and birds.get("offset") == "3600s"
    md = rain.find("metadata/md")
    assert md.get("key") == "com.scenefill.provenance" and '"note"' in md.get("value")
    # markers stay after the connected clips inside their parent (FCPXML element order)
    assert [c.tag for c in parent][-1] == "marker"
    asset = next(a for a in root.iter("asset") if a.get("id") == rain.get("ref"))
    assert asset.get("src") == "file:///tmp/scene%20fill/rain_0123456789abcdef.wav"
    assert asset.get("hasAudio") == "1" and asset.get("audioChannels") == "2" and asset.get("audioRate") == "48000"
    assert parse_time(asset.get("duration")) == Fraction(50, 30)


@needs_fcpx
def test_otio_reads_our_clips_back_at_their_frames(tmp_path):
    path = tmp_path / "p.fcpxml"
    path.write_bytes(fcpx.patch(PROJECT.read_bytes(), lanes(), R30))
    tl = otio.adapters.read_from_file(str(path))
    got = sorted((round(c.transformed_time_range(c.trimmed_range(), tl.tracks).start_time.value),
                  round(c.duration().value), c.name)
                 for t in tl.tracks if is_generated_track(t) for c in t.find_clips())
    assert got == [(10, 50, "rain"), (20, 60, "hum"), (300, 30, "birds"), (1200, 30, "late")]


def test_times_are_exact_at_23976_and_1_9_uses_media_rep():
    doc = PROJECT.read_bytes().replace(b'frameDuration="100/3000s"', b'frameDuration="1001/24000s"') \
        .replace(b'<fcpxml version="1.8">', b'<fcpxml version="1.9">')
    rate = TimelineRate(Fraction(24000, 1001), 23.976, 0)
    out = fcpx.patch(doc, [Lane("SceneFill", 0, [placement(1, 1, "a_0123456789abcdef.wav")])], rate)
    clip = next(c for c in ET.fromstring(out).iter("asset-clip") if c.get("ref", "").startswith("scenefill-"))
    assert clip.get("offset") == "1001/24000s" and clip.get("duration") == "1001/24000s"
    asset = next(a for a in ET.fromstring(out).iter("asset") if a.get("id", "").startswith("scenefill-"))
    assert asset.get("src") is None and asset.find("media-rep").get("src").startswith("file:///tmp/")
    assert fcpx.strip(out) == doc
    assert format_time(Fraction(2002, 24000), 24000) == "2002/24000s" and format_time(Fraction(3), 24000) == "3s"


def test_a_rate_that_does_not_match_the_project_is_refused():
    with pytest.raises(OtioInputError, match="frame duration"):
        fcpx.patch(PROJECT.read_bytes(), lanes(), TimelineRate(Fraction(25), 25.0, 0))


@needs_fcpx
def test_fill_and_conform_work_on_the_patched_project(tmp_path):
    out = tmp_path / "cut.fcpxml"
    report = fill(PROJECT, out, settings=FillSettings(placeholder=True), renderer=PlaceholderRenderer())
    assert "your FCPXML with the SceneFill track(s) added" in report.summary and not report.warnings
    assert fcpx.strip(out.read_bytes()) == PROJECT.read_bytes()
    back = read_timeline(out)
    n = sum(len(t.find_clips()) for t in back.tracks if is_generated_track(t))
    assert n == len(report.planned) > 0
    same = conform(out, tmp_path / "same.fcpxml", renderer=PlaceholderRenderer())
    assert {c.change for c in same.changes} == {"kept"} and same.renders == 0
    assert fcpx.strip((tmp_path / "same.fcpxml").read_bytes()) == PROJECT.read_bytes()


AUDITION = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.10">
    <resources>
        <format id="r1" frameDuration="1/25s" width="1920" height="1080"/>
        <asset id="r2" name="a" start="0s" duration="100s" hasVideo="1" format="r1"><media-rep kind="original-media" src="file:///a.mov"/></asset>
    </resources>
    <library>
        <event name="e">
            <project name="p">
                <sequence format="r1" duration="20s" tcStart="3600s" tcFormat="NDF">
                    <spine>
                        <audition offset="3600s" duration="10s">
                            <asset-clip ref="r2" offset="3600s" name="take 1" start="5s" duration="10s"/>
                            <asset-clip ref="r2" offset="3600s" name="take 2" start="20s" duration="10s"/>
                        </audition>
                        <sync-clip offset="3610s" duration="10s" start="0s"><asset-clip ref="r2" offset="0s" duration="10s"/><sync-source sourceID="storyline"/></sync-clip>
                    </spine>
                </sequence>
            </project>
        </event>
    </library>
</fcpxml>
"""


def test_auditions_and_sync_clips_get_our_clip_where_fcpxml_allows_it():
    """An audition's children are alternative takes: our clip goes inside the active take;
    inside a sync-clip it goes before <sync-source> (the DTD's order)."""
    rate = TimelineRate(Fraction(25), 25.0, 90000)                     # tcStart 3600s = 01:00:00:00
    lane = Lane("SceneFill", 0, [placement(25, 25, "a_0123456789abcdef.wav", fps=25),
                                 placement(300, 25, "b_fedcba9876543210.wav", fps=25)])
    out = fcpx.patch(AUDITION, [lane], rate)
    root = ET.fromstring(out)
    audition = root.find(".//audition")
    assert [c.get("name") for c in audition] == ["take 1", "take 2"]          # no third "take"
    ours = audition[0].find("asset-clip")
    assert ours.get("offset") == "6s"                  # take 1 starts at 5 s of its media; 1 s in
    sync = root.find(".//sync-clip")
    assert [c.tag for c in sync] == ["asset-clip", "asset-clip", "sync-source"]
    assert sync[1].get("offset") == "2s"               # 300 frames = 12 s into the timeline, 2 s into it
    assert ours.find("media-rep") is None and root.find("resources/asset[@id='scenefill-r1']/media-rep") is not None
    assert fcpx.strip(out) == AUDITION


@needs_fcpx
def test_an_fcp_re_export_with_renumbered_ids_still_strips_and_conforms(tmp_path):
    out = tmp_path / "cut.fcpxml"
    fill(PROJECT, out, settings=FillSettings(placeholder=True), renderer=PlaceholderRenderer())
    reexport = out.read_bytes().replace(b'"scenefill-r', b'"r9')
    recut = tmp_path / "reexport.fcpxml"
    recut.write_bytes(reexport)
    assert fcpx.strip(reexport) == PROJECT.read_bytes()
    result = conform(recut, tmp_path / "conformed.fcpxml", renderer=PlaceholderRenderer())
    assert {c.change for c in result.changes} == {"kept"} and result.renders == 0
    assert fcpx.strip((tmp_path / "conformed.fcpxml").read_bytes()) == PROJECT.read_bytes()
