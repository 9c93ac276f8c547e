"""FCP7 / Premiere XML: the SceneFill track is added to the editor's own document, nothing else changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from scenefill.plugin.conform import conform
from scenefill.plugin.otio_common import OtioInputError, TimelineRate, is_generated_track
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.patch import Lane, Placement, fcp7
from scenefill.plugin.renderer import PlaceholderRenderer
from scenefill.plugin.timeline_notes import read_timeline

DATA = Path(__file__).resolve().parent / "data" / "timelines"
PREMIERE = DATA / "premiere_example.xml"
R30 = TimelineRate(Fraction(30), 30.0, 0)


def placement(start, frames, name, note=None, channels=2, folder="/tmp/scene fill/media"):
    return Placement(start=start, frames=frames, path=Path(folder) / name, name=name.split("_")[0],
                     note=note or name, samples=frames * 1600, sample_rate=48000, channels=channels,
                     bit_depth=24, provenance={"note": note or name, "key": name})


def lanes():
    return [Lane("SceneFill", 0, [placement(10, 50, "rain_0123456789abcdef.wav", "rain on a tin roof & wind"),
                                  placement(100, 30, "bird é#1_fedcba9876543210.wav")]),
            Lane("SceneFill 2", 1, [placement(20, 40, "hum_00000000000000aa.wav")])]


def shape(elem: ET.Element):
    """An element as comparable data: tag, attributes, text, children (whitespace between elements ignored)."""
    return (elem.tag, sorted(elem.attrib.items()), (elem.text or "").strip(), [shape(c) for c in elem])


def without_ours(root: ET.Element) -> ET.Element:
    for parent in root.iter():
        for child in list(parent):
            if child.tag in ("track", "audio") and "scenefill" in child.attrib:
                parent.remove(child)
    return root


def ours(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter("track") if "scenefill" in t.attrib]


# --------------------------------------------------------------------------- the document is kept

def test_removing_our_tracks_gives_back_the_premiere_export_exactly():
    original = PREMIERE.read_bytes()
    out = fcp7.patch(original, lanes(), R30)
    assert out != original
    # structurally: the output's tree minus our tracks is the original's tree
    assert shape(without_ours(ET.fromstring(out))) == shape(ET.fromstring(original))
    # and byte for byte
    assert fcp7.strip(out) == original
    # every A/V link the editor made is still there, untouched (57 <link> elements: 114 "<link" in grep)
    assert len(ET.fromstring(original).findall(".//link")) == 57 and original.count(b"<link") == 114
    kept = [e for e in ET.fromstring(out).iter("link")
            if not e.findtext("linkclipref", "").startswith("scenefill-")]
    assert len(kept) == 57
    assert out.startswith(original[:original.index(b"<track")])      # the header, DOCTYPE and all


def test_a_second_fill_replaces_the_scenefill_tracks_instead_of_stacking():
    original = PREMIERE.read_bytes()
    once = fcp7.patch(original, lanes(), R30)
    assert fcp7.patch(once, lanes(), R30) == once
    moved = [Lane("SceneFill", 0, [placement(200, 10, "x_1111111111111111.wav")])]
    twice = fcp7.patch(once, moved, R30)
    assert len(ours(ET.fromstring(twice))) == 2 and fcp7.strip(twice) == original


# --------------------------------------------------------------------------- what an importer sees

def test_our_track_is_a_named_linked_stereo_pair_at_exact_frames():
    out = ET.fromstring(fcp7.patch(PREMIERE.read_bytes(), lanes(), R30))
    audio = out.find("sequence/media/audio")
    tracks = audio.findall("track")
    assert len(tracks) == 8 + 4                     # 2 lanes x L/R after Premiere's 8 exploded tracks
    first, second = tracks[8], tracks[9]
    for t, index in ((first, "1"), (second, "2")):
        assert t.get("premiereTrackType") == "Stereo" and t.get("MZ.TrackName") == "SceneFill"
        assert t.get("totalExplodedTrackCount") == "2"
        assert t.findtext("outputchannelindex") == index
        assert [c.findtext("sourcetrack/trackindex") for c in t.findall("clipitem")] == [index, index]
    rain = first.find("clipitem")
    assert (rain.findtext("start"), rain.findtext("end"), rain.findtext("in"), rain.findtext("out")) == \
        ("10", "60", "0", "50")
    assert rain.findtext("rate/timebase") == "30" and rain.findtext("rate/ntsc") == "FALSE"
    f = rain.find("file")
    assert f.findtext("pathurl") == "file://localhost/tmp/scene%20fill/media/rain_0123456789abcdef.wav"
    assert f.findtext("media/audio/samplecharacteristics/samplerate") == "48000"
    assert f.findtext("media/audio/samplecharacteristics/depth") == "24"
    assert f.findtext("media/audio/channelcount") == "2"
    assert f.findtext("duration") == "50"
    # the right channel's clip refers to the same file and both clips link to each other
    assert second.find("clipitem/file").get("id") == f.get("id") and not list(second.find("clipitem/file"))
    refs = [lk.findtext("linkclipref") for lk in rain.findall("link")]
    assert refs == [rain.get("id"), second.find("clipitem").get("id")]
    assert [lk.findtext("trackindex") for lk in rain.findall("link")] == ["9", "10"]
    assert rain.findtext("comments/mastercomment1") == "rain on a tin roof & wind"
    # the path is percent-encoded (space, '#', non-ASCII)
    bird = first.findall("clipitem")[1].find("file/pathurl").text
    assert bird == "file://localhost/tmp/scene%20fill/media/bird%20%C3%A9%231_fedcba9876543210.wav"
    # every id in the document is still unique
    ids = [e.get("id") for e in out.iter() if e.get("id") and e.tag in ("clipitem", "file") and list(e)]
    assert len(ids) == len(set(ids))


def test_otio_reads_our_pair_back_as_one_track_at_the_exact_frames(tmp_path):
    path = tmp_path / "patched.xml"
    path.write_bytes(fcp7.patch(PREMIERE.read_bytes(), lanes(), R30))
    tl = otio.adapters.read_from_file(str(path))
    mine = [t for t in tl.tracks if is_generated_track(t)]
    assert len(mine) == 2
    got = [[(round(c.range_in_parent().start_time.value), round(c.duration().value),
             otio.url_utils.filepath_from_url(c.media_reference.target_url)) for c in t.find_clips()]
           for t in mine]
    assert got[0] == [(10, 50, "/tmp/scene fill/media/rain_0123456789abcdef.wav"),
                      (100, 30, "/tmp/scene fill/media/bird é#1_fedcba9876543210.wav")]
    assert got[1] == [(20, 40, "/tmp/scene fill/media/hum_00000000000000aa.wav")]
    prov = fcp7.provenance(path.read_bytes())
    assert prov["/tmp/scene fill/media/rain_0123456789abcdef.wav"]["note"] == "rain on a tin roof & wind"


NTSC = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="5">
  <sequence id="seq">
    <name>ntsc</name>
    <duration>500</duration>
    <rate><timebase>24</timebase><ntsc>TRUE</ntsc></rate>
    <timecode><rate><timebase>24</timebase><ntsc>TRUE</ntsc></rate><string>01:00:00:00</string>
      <frame>86400</frame><displayformat>NDF</displayformat></timecode>
    <media>
      <video>
        <track><enabled>TRUE</enabled></track>
      </video>
    </media>
  </sequence>
</xmeml>
"""


def test_ntsc_sequence_without_audio_gets_an_audio_section_we_can_take_back_out():
    rate = TimelineRate(Fraction(24000, 1001), 23.976, 86400)
    out = fcp7.patch(NTSC, [Lane("SceneFill", 0, [placement(5, 48, "a_0123456789abcdef.wav", channels=1)])], rate)
    root = ET.fromstring(out)
    tracks = root.findall("sequence/media/audio/track")
    assert len(tracks) == 1 and tracks[0].get("premiereTrackType") == "Mono"       # mono: one track
    clip = tracks[0].find("clipitem")
    assert clip.findtext("rate/ntsc") == "TRUE" and clip.findtext("rate/timebase") == "24"
    assert clip.find("link") is None
    assert b"\n      <audio scenefill" in out and b"  " in out.split(b"<clipitem")[1][:40]   # the doc's own indent
    assert fcp7.strip(out) == NTSC


def test_documents_we_cannot_patch_are_refused_in_one_line():
    with pytest.raises(OtioInputError, match="not an FCP7 XML"):
        fcp7.patch(b"<fcpxml version='1.8'/>", lanes(), R30)
    with pytest.raises(OtioInputError, match="not well-formed"):
        fcp7.patch(b"<xmeml><sequence>", lanes(), R30)
    with pytest.raises(OtioInputError, match="<media>"):
        fcp7.patch(b"<xmeml><sequence><name>x</name></sequence></xmeml>", lanes(), R30)


# --------------------------------------------------------------------------- the whole command

def test_fill_patches_the_premiere_export_and_conform_follows_a_moved_marker(tmp_path):
    out = tmp_path / "cut.xml"
    report = fill(PREMIERE, out, settings=FillSettings(placeholder=True), renderer=PlaceholderRenderer())
    assert "your FCP7 XML with the SceneFill track(s) added" in report.summary
    original = PREMIERE.read_bytes()
    assert fcp7.strip(out.read_bytes()) == original and not report.warnings
    back = read_timeline(out)          # keep a reference: OTIO frees a temporary timeline's tracks
    gen = {c.name: round(c.range_in_parent().start_time.value)
           for t in back.tracks if is_generated_track(t) for c in t.find_clips()}
    assert gen == {"so, this happened": 113, "fsfsfs": 492}

    # a conform of the untouched patched document keeps everything and renders nothing
    same = conform(out, tmp_path / "same.xml", renderer=PlaceholderRenderer())
    assert [c.change for c in same.changes] == ["kept", "kept"] and same.renders == 0

    # the editor moves the first marker 40 frames later in their NLE and exports again
    moved = out.read_bytes().replace(b"<in>113</in>", b"<in>153</in>", 1)
    recut = tmp_path / "recut.xml"
    recut.write_bytes(moved)
    result = conform(recut, tmp_path / "conformed.xml", renderer=PlaceholderRenderer())
    changes = {c.note: c.change for c in result.changes}
    assert changes["so, this happened"] in ("moved", "trimmed")
    conformed = (tmp_path / "conformed.xml").read_bytes()
    # the editor's document (with their move) is kept; only our tracks were replaced
    assert fcp7.strip(conformed) == fcp7.strip(moved)
    back = read_timeline(tmp_path / "conformed.xml")
    starts = sorted(round(c.range_in_parent().start_time.value) for t in back.tracks
                    if is_generated_track(t) for c in t.find_clips())
    assert starts == [153, 492]


def test_a_rate_that_does_not_match_the_sequence_is_refused():
    with pytest.raises(OtioInputError, match="runs at 30.000 fps"):
        fcp7.patch(PREMIERE.read_bytes(), lanes(), TimelineRate(Fraction(25), 25.0, 0))


def test_a_premiere_re_export_of_the_patched_file_still_conforms_and_replaces_our_tracks(tmp_path):
    """Premiere drops our marker attribute and renumbers ids when it exports again; our tracks are
    still ours (SceneFill media names) and the provenance comes back from the lognote."""
    out = tmp_path / "cut.xml"
    fill(PREMIERE, out, settings=FillSettings(placeholder=True), renderer=PlaceholderRenderer())
    reexport = out.read_bytes()
    import re

    reexport = re.sub(rb' scenefill="[^"]*"', b"", reexport)
    reexport = reexport.replace(b"scenefill-clipitem-", b"clipitem-9").replace(b"scenefill-file-", b"file-9")
    recut = tmp_path / "reexport.xml"
    recut.write_bytes(reexport)
    assert fcp7.strip(reexport) == PREMIERE.read_bytes()          # recognised by the media names
    result = conform(recut, tmp_path / "conformed.xml", renderer=PlaceholderRenderer())
    assert [c.change for c in result.changes] == ["kept", "kept"] and result.renders == 0
    conformed = (tmp_path / "conformed.xml").read_bytes()
    assert fcp7.strip(conformed) == PREMIERE.read_bytes()
    assert conformed.count(b"<clipitem id=\"scenefill-") == 4      # replaced, not stacked


def test_a_scenefill_file_the_editor_reused_in_their_own_track_stays_defined():
    """The editor copied one of our clips into a track of their own: stripping our track must not
    leave their clip pointing at a <file> that no longer exists."""
    original = PREMIERE.read_bytes()
    out = fcp7.patch(original, lanes(), R30)
    root = ET.fromstring(out)
    file_id = root.find(".//track[@scenefill]/clipitem/file").get("id")
    theirs = (b'<track><clipitem id="editor-copy"><name>copy</name><start>700</start><end>750</end>'
              b'<in>0</in><out>50</out><file id="' + file_id.encode() + b'"/></clipitem>'
              b'<clipitem id="editor-own"><name>own</name><start>750</start><end>800</end>'
              b'<in>0</in><out>50</out><file id="file-1"/></clipitem></track>')
    at = out.rindex(b"</audio>")
    edited = out[:at] + theirs + out[at:]
    stripped = fcp7.strip(edited)
    copy = ET.fromstring(stripped).find(".//clipitem[@id='editor-copy']/file")
    assert copy.findtext("pathurl").endswith("rain_0123456789abcdef.wav")
    assert not ET.fromstring(stripped).findall(".//track[@scenefill]")
