"""Kdenlive output is the editor's own project with SceneFill tracks added, nothing else changed.

The story: an editor fills a Kdenlive project (crossfades, dissolves, groups, bin
names, guides), opens the result, fills again after changing a note, conforms
after a recut. Each time the project must be the original plus our tracks: a
structural diff (an independent parser, element by element) shows every
difference is an element we added or a track number moved up by our lanes, and
stripping our additions gives back the original bytes.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from difflib import SequenceMatcher
from pathlib import Path

import opentimelineio as otio
import pytest

from scenefill.cli import main as scenefill_main
from scenefill.plugin.conform import conform
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.patch import kdenlive
from scenefill.plugin.renderer import PlaceholderRenderer
from scenefill.plugin.timeline_notes import read_timeline

DATA = Path(__file__).parent / "data" / "kdenlive"
SAMPLE = (Path(__file__).resolve().parents[2] / "shared" / "otio-samples"
          / "kdenlive-opentimelineio__tests__sample_data__kdenlive_mixes_markers.kdenlive")
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/otio-samples") / SAMPLE.name
PROJECTS = [DATA / "crossfade_dissolve_22.12.kdenlive", DATA / "crossfade_dissolve_23.08.kdenlive"]
if SAMPLE.exists():
    PROJECTS.append(SAMPLE)
FAST = FillSettings(placeholder=True)

pytestmark = pytest.mark.skipif("kdenlive" not in otio.adapters.available_adapter_names(),
                                reason="otio-kdenlive-adapter is not installed")


@pytest.fixture(params=PROJECTS, ids=lambda p: p.name)
def project(request, tmp_path) -> Path:
    dest = tmp_path / "project" / request.param.name
    dest.parent.mkdir()
    shutil.copy(request.param, dest)
    return dest


def filled(project: Path, tmp_path: Path, name="filled.kdenlive", **kw) -> tuple[Path, object]:
    out = tmp_path / "exports" / name
    report = fill(project, out, settings=kw.pop("settings", FAST), renderer=PlaceholderRenderer(),
                  media_dir=tmp_path / "media", **kw)
    return out, report


# --------------------------------------------------------------------------- an independent structural diff

def elements(doc: bytes) -> list[tuple]:
    """Every element in document order as (depth, tag, attributes, text), via ElementTree."""
    out = []

    def walk(el, depth):
        out.append((depth, el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip()))
        for c in el:
            walk(c, depth + 1)

    walk(ET.fromstring(doc), 0)
    return out


def generated_ids(doc: bytes) -> set[str]:
    root = ET.fromstring(doc)
    return {el.get("id") for el in root if el.find("property[@name='scenefill:generated']") is not None}


def structural_diff(original: bytes, output: bytes, lanes: int):
    """Check, element by element, that ``output`` is ``original`` plus our elements.

    Returns (number of elements added, number of track numbers shifted).
    Every inserted run of elements must be one of ours (a top-level element carrying
    scenefill:generated with its subtree, a <track>/<entry> pointing at one of ours, our bin
    folder); every changed element must be a track number shifted up by ``lanes``.
    """
    a, b = elements(original), elements(output)
    ours = generated_ids(output)
    added = shifted = 0
    sm = SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        assert op in ("insert", "replace"), (op, a[i1:i2])          # nothing of the original removed
        if op == "replace":
            assert i2 - i1 == j2 - j1, (a[i1:i2], b[j1:j2])
            for old, new in zip(a[i1:i2], b[j1:j2]):
                assert old[:3] == new[:3], (old, new)                 # same element, only its text
                name = dict(old[2]).get("name", "")
                if name.endswith(".groups"):
                    nums_old = re.findall(r'"data": "(\d+):', old[3])
                    nums_new = re.findall(r'"data": "(\d+):', new[3])
                    assert len(nums_old) == len(nums_new)
                    assert all(int(n) in (int(o), int(o) + lanes) for o, n in zip(nums_old, nums_new))
                    assert re.sub(r'"data": "\d+:', "", old[3]) == re.sub(r'"data": "\d+:', "", new[3])
                else:
                    assert name in ("a_track", "b_track") or name.endswith(
                        ("activeTrack", "audioTarget", "videoTarget")), (old, new)
                    assert int(new[3]) == int(old[3]) + lanes, (old, new)
                shifted += 1
            continue
        k = j1
        while k < j2:                                                 # an inserted run: ours, subtree by subtree
            depth, tag, attrs, text = b[k]
            attrs = dict(attrs)
            mine = (attrs.get("id") in ours or attrs.get("producer") in ours
                    or (tag == "property" and attrs.get("name", "").startswith("kdenlive:folder.")
                        and text == "SceneFill")
                    or (tag == "transition" and attrs.get("id", "").startswith("scenefill_")))
            assert mine, b[k]
            k += 1
            while k < j2 and b[k][0] > depth:
                k += 1
            added += 1
    return added, shifted


# --------------------------------------------------------------------------- the round trip

def test_the_filled_project_is_the_original_plus_our_tracks(project, tmp_path):
    original = project.read_bytes()
    out, report = filled(project, tmp_path)
    output = out.read_bytes()
    lanes = len({p.lane for p in report.planned})
    added, shifted = structural_diff(original, output, lanes)
    assert added > 0
    assert kdenlive.strip(output) == original                       # byte for byte
    assert kdenlive.strip(original) == original                     # nothing to strip in a plain project
    # every video track moved up by the number of lanes: its internal compositing transition followed
    lay = kdenlive.layout(kdenlive.parse(output))
    n_video = sum(1 for t in lay.tracks[1:] if not lay.is_audio(t))
    assert shifted >= n_video


def test_every_audio_track_is_mixed_and_ours_sit_below_the_video(project, tmp_path):
    out, report = filled(project, tmp_path)
    lay = kdenlive.layout(kdenlive.parse(out.read_bytes()))
    kinds = []
    for t in lay.tracks[1:]:
        sub = lay.track_tractor(t)
        kinds.append("ours" if sub.generated else "audio" if lay.is_audio(t) else "video")
    first_video = kinds.index("video") if "video" in kinds else len(kinds)
    assert set(kinds[:first_video]) <= {"audio", "ours"} and "ours" in kinds[:first_video]
    assert "ours" not in kinds[first_video:]
    mixed = set()
    for tr in lay.timeline.findall("transition"):
        if tr.prop("mlt_service") == "mix" and tr.prop("a_track") == "0":
            mixed.add(int(tr.prop("b_track")))
    audio_idx = {i + 1 for i, k in enumerate(kinds) if k in ("audio", "ours")}
    assert audio_idx <= mixed                                      # melt mixes every audio track
    for i, t in enumerate(lay.tracks):
        sub = lay.track_tractor(t)
        if sub is not None and sub.generated:
            assert sub.prop("kdenlive:track_name").startswith("SceneFill")
            assert [x.attrs.get("hide") for x in sub.findall("track")] == ["video", "video"]


def test_our_clips_are_at_the_planned_frames_with_provenance(project, tmp_path):
    out, report = filled(project, tmp_path)
    want = sorted((p.item.start, p.item.n_frames, p.item.note) for p in report.planned)
    lanes = kdenlive.read_lanes(out.read_bytes())
    got = sorted((c["start"], c["frames"], c["provenance"]["note"]) for ln in lanes for c in ln["clips"])
    assert got == want
    for ln in lanes:
        assert ln["settings"]["sample_rate"] == 48000
        for c in ln["clips"]:
            prov = c["provenance"]
            assert prov["key"] and isinstance(prov["seed"], int) and prov["record"]["frames"] == c["frames"]
            assert Path(c["resource"]).is_absolute() and Path(c["resource"]).exists()
    # the OTIO reader (what fill and conform read with) sees our track with the same clips
    tl = read_timeline(out)
    ours = [t for t in tl.tracks if t.name.startswith("SceneFill")]
    assert len(ours) == len(lanes) and all(t.kind == otio.schema.TrackKind.Audio for t in ours)
    seen = sorted((round(c.range_in_parent().start_time.value), round(c.source_range.duration.value))
                  for t in ours for c in t.find_clips())
    assert seen == sorted((s, n) for s, n, _ in want)


def test_bin_clips_are_named_in_a_scenefill_folder(project, tmp_path):
    out, report = filled(project, tmp_path)
    root = ET.fromstring(out.read_bytes())
    main_bin = root.find("playlist[@id='main_bin']")
    folders = {p.get("name").rsplit(".", 1)[-1]: p.text for p in main_bin.findall("property")
               if p.get("name", "").startswith("kdenlive:folder.")}
    entries = {e.get("producer") for e in main_bin.findall("entry")}
    bins = [el for el in root if el.tag == "producer" and el.get("id") in entries
            and el.find("property[@name='scenefill:generated']") is not None]
    assert len(bins) == len({p.dest for p in report.planned})
    ids = [b.findtext("property[@name='kdenlive:id']") for b in bins]
    assert len(set(ids)) == len(ids)
    others = {el.findtext("property[@name='kdenlive:id']") for el in root.iter("producer")
              if el.find("property[@name='scenefill:generated']") is None}
    assert not set(ids) & others                                   # no clash with the editor's clips
    for b in bins:
        assert folders[b.findtext("property[@name='kdenlive:folderid']")] == "SceneFill"
        assert b.findtext("property[@name='kdenlive:clipname']")
        assert b.findtext("property[@name='kdenlive:clip_type']") == "1"


def test_filling_again_replaces_our_tracks(project, tmp_path):
    out, _ = filled(project, tmp_path)
    again, report = filled(out, tmp_path, name="again.kdenlive")
    assert {p.status for p in report.planned} == {"cached"}
    assert again.read_bytes() == out.read_bytes()                  # idempotent: nothing stacked
    assert kdenlive.strip(again.read_bytes()) == project.read_bytes()


def test_a_changed_setting_replaces_the_track_not_the_project(project, tmp_path):
    out, _ = filled(project, tmp_path)
    again, _ = filled(out, tmp_path, name="again.kdenlive",
                      settings=FillSettings(placeholder=True, track_name="Atmos", sample_rate=44100))
    doc = again.read_bytes()
    assert kdenlive.strip(doc) == project.read_bytes()
    names = [ln["name"] for ln in kdenlive.read_lanes(doc)]
    assert names and all(n.startswith("Atmos") for n in names)


# --------------------------------------------------------------------------- conform

def test_conform_keeps_an_unchanged_project(project, tmp_path):
    out, report = filled(project, tmp_path)
    conf = tmp_path / "exports" / "conformed.kdenlive"
    rep = conform(out, conf, renderer=PlaceholderRenderer())
    assert rep.count("kept") == len(report.planned) and not rep.failures
    assert kdenlive.strip(conf.read_bytes()) == project.read_bytes()
    before = sorted((c["start"], c["frames"]) for ln in kdenlive.read_lanes(out.read_bytes()) for c in ln["clips"])
    after = sorted((c["start"], c["frames"]) for ln in kdenlive.read_lanes(conf.read_bytes()) for c in ln["clips"])
    assert before == after


def test_conform_follows_a_moved_guide(tmp_path):
    """The editor moves the "door" guide 25 frames later: rain gets longer, the door shorter."""
    project = tmp_path / "project" / "p.kdenlive"
    project.parent.mkdir()
    shutil.copy(PROJECTS[0], project)
    out, report = filled(project, tmp_path)
    recut = tmp_path / "exports" / "recut.kdenlive"
    text = out.read_bytes()
    moved = text.replace(b'"pos": 150,', b'"pos": 175,', 1)
    assert moved != text
    recut.write_bytes(moved)
    conf = tmp_path / "exports" / "conformed.kdenlive"
    rep = conform(recut, conf, renderer=PlaceholderRenderer())
    changes = {c.note: c.change for c in rep.changes}
    assert changes == {"rain on the window": "extended", "a door creaks open": "trimmed",
                       "distant thunder rolling": "kept"}, changes
    lanes = kdenlive.read_lanes(conf.read_bytes())
    got = {c["provenance"]["note"]: (c["start"], c["frames"]) for ln in lanes for c in ln["clips"]}
    assert got["rain on the window"] == (25, 150) and got["a door creaks open"] == (175, 75)
    # the editor's own change is kept; only our tracks differ from the recut
    assert kdenlive.strip(conf.read_bytes()) == kdenlive.strip(moved)


def test_conform_cli_on_a_kdenlive_project(tmp_path, capsys):
    project = tmp_path / "project" / "p.kdenlive"
    project.parent.mkdir()
    shutil.copy(PROJECTS[1], project)
    out, report = filled(project, tmp_path)
    conf = tmp_path / "exports" / "conformed.kdenlive"
    code = scenefill_main(["otio", "conform", str(out), "-o", str(conf), "--quiet"])
    capsys.readouterr()
    assert code == 0 and kdenlive.strip(conf.read_bytes()) == project.read_bytes()


# --------------------------------------------------------------------------- the text edits themselves

def test_values_with_line_breaks_and_markup_survive(tmp_path):
    from scenefill.plugin.otio_common import TimelineRate
    from scenefill.plugin.patch import Lane, Placement
    from fractions import Fraction

    doc = PROJECTS[0].read_bytes()
    note = 'rain <heavy> & "loud"\non two lines'
    wav = tmp_path / "x_0123456789abcdef.wav"
    wav.write_bytes(b"")
    lane = Lane("SceneFill", 0, [Placement(10, 20, wav, "rain", note, 38400, 48000, 2, 24,
                                           {"note": note, "key": "k" * 64, "seed": 1})])
    out = kdenlive.patch(doc, [lane], TimelineRate(Fraction(25), 25.0, 0))
    assert kdenlive.strip(out) == doc
    clip = kdenlive.read_lanes(out)[0]["clips"][0]
    assert clip["provenance"]["note"] == note and (clip["start"], clip["frames"]) == (10, 20)
    prod = [el for el in ET.fromstring(out).iter("producer")
            if el.findtext("property[@name='scenefill:note']")]
    assert prod and all(el.findtext("property[@name='scenefill:note']") == note for el in prod)


def test_a_rate_mismatch_is_refused(tmp_path):
    from scenefill.plugin.otio_common import TimelineRate
    from scenefill.plugin.patch import Lane, Placement
    from fractions import Fraction

    lane = Lane("SceneFill", 0, [Placement(0, 24, tmp_path / "a.wav", "a", "a", 48000, 48000, 2, 24, {})])
    with pytest.raises(kdenlive.KdenliveDocumentError, match="25 fps"):
        kdenlive.patch(PROJECTS[0].read_bytes(), [lane], TimelineRate(Fraction(24), 24.0, 0))


def test_not_a_kdenlive_project_is_refused():
    with pytest.raises(kdenlive.KdenliveDocumentError):
        kdenlive.strip(b"<mlt><producer id='a'/></mlt>")
    with pytest.raises(kdenlive.KdenliveDocumentError):
        kdenlive.strip(b"<mlt><playlist id='main_bin'>")


def resaved_by_kdenlive(doc: bytes) -> bytes:
    """What Kdenlive's save does to our additions: tracks, playlists, entries and transitions rebuilt
    without our marks, ids renumbered, times as clock strings; clips keep their properties."""
    text = doc.decode()

    def clock(m):
        f = int(m.group(2))
        return f'{m.group(1)}="00:00:{f / 25:06.3f}"'

    out = []
    skip_depth = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("<tractor") or stripped.startswith("<playlist") \
                or stripped.startswith("<transition") or stripped.startswith("<entry"):
            skip_depth = line
        if skip_depth is not None and any(f'name="{n}"' in line for n in
                                          ("scenefill:generated", "scenefill:lane", "scenefill:key", "scenefill:settings")) \
                and "<producer" not in skip_depth:
            continue
        if stripped.startswith("<producer"):
            skip_depth = None
        if "scenefill_" in line and "<producer" not in line and "kdenlive:folder" not in line:
            line = re.sub(r'(in|out|length)="(\d+)"', clock, line)
        out.append(line)
    text = "\n".join(out)
    for kind in ("tractor", "playlist", "transition", "filter"):
        text = re.sub(rf"scenefill_{kind}(\d+)", rf"kd{kind}\1", text)
    return text.encode()


def test_a_project_kdenlive_saved_again_is_still_stripped_and_conformed(tmp_path):
    """After the editor opens the filled project in Kdenlive and saves, our tracks carry no marks;
    they are still found (every clip on them is ours), replaced on the next fill, read by conform."""
    project = tmp_path / "project" / "p.kdenlive"
    project.parent.mkdir()
    shutil.copy(PROJECTS[0], project)
    out, report = filled(project, tmp_path)
    resaved = resaved_by_kdenlive(out.read_bytes())
    assert b'"kdtractor' in resaved and b'name="scenefill:lane"' not in resaved
    assert all(el.find("property[@name='scenefill:settings']") is None
               for el in ET.fromstring(resaved) if el.tag == "tractor")
    assert kdenlive.strip(resaved) == project.read_bytes()
    lanes = kdenlive.read_lanes(resaved)
    assert sorted((c["start"], c["frames"], c["provenance"]["note"]) for ln in lanes for c in ln["clips"]) \
        == sorted((p.item.start, p.item.n_frames, p.item.note) for p in report.planned)
    assert all(ln["settings"]["track_name"] == "SceneFill" for ln in lanes)   # kept on the bin clips
    again_in = tmp_path / "exports" / "resaved.kdenlive"
    again_in.write_bytes(resaved)
    again, rep = filled(again_in, tmp_path, name="again.kdenlive")
    assert again.read_bytes() == out.read_bytes()               # replaced, not stacked
    conf = tmp_path / "exports" / "conformed.kdenlive"
    crep = conform(again_in, conf, renderer=PlaceholderRenderer())
    assert crep.count("kept") == len(report.planned)


def test_a_scenefill_clip_the_editor_moved_to_their_own_track_stays(tmp_path):
    project = tmp_path / "project" / "p.kdenlive"
    project.parent.mkdir()
    shutil.copy(PROJECTS[0], project)
    out, _ = filled(project, tmp_path)
    doc = out.read_bytes()
    # the editor drags the first SceneFill clip onto the (empty) second playlist of the music track
    moved = doc.replace(b' <playlist id="playlist1">\n  <property name="kdenlive:audio_track">1</property>\n </playlist>',
                        b' <playlist id="playlist1">\n  <property name="kdenlive:audio_track">1</property>\n'
                        b'  <entry producer="scenefill_producer0" in="0" out="24"/>\n </playlist>', 1)
    assert moved != doc
    stripped = kdenlive.strip(moved)
    assert b'<entry producer="scenefill_producer0"' in stripped       # still referenced ...
    assert b'<producer id="scenefill_producer0"' in stripped          # ... and still defined
    ET.fromstring(stripped)
    ids = {el.get("id") for el in ET.fromstring(stripped)}
    refs = {el.get("producer") for el in ET.fromstring(stripped).iter() if el.get("producer")}
    assert refs - {"main_bin"} <= ids                                   # no dangling reference


def test_an_editors_track_holding_only_moved_scenefill_clips_is_theirs(tmp_path):
    """After a Kdenlive re-save (no marks on tracks), a track the editor named keeps the
    SceneFill clip they moved onto it; only the lanes named like ours are replaced."""
    project = tmp_path / "project" / "p.kdenlive"
    project.parent.mkdir()
    shutil.copy(PROJECTS[0], project)
    out, _ = filled(project, tmp_path)
    resaved = resaved_by_kdenlive(out.read_bytes())
    theirs = resaved.replace(b'<property name="kdenlive:track_name">SceneFill 2</property>',
                             b'<property name="kdenlive:track_name">Thunder FX</property>', 1)
    assert theirs != resaved
    stripped = kdenlive.strip(theirs)
    names = [el.findtext("property[@name='kdenlive:track_name']") for el in ET.fromstring(stripped)
             if el.tag == "tractor"]
    assert "Thunder FX" in names and "SceneFill" not in names
    refs = {el.get("producer") for el in ET.fromstring(stripped).iter() if el.get("producer")}
    assert refs <= {el.get("id") for el in ET.fromstring(stripped)}


def test_windows_line_ends_and_a_minified_project_round_trip(tmp_path):
    from fractions import Fraction

    from scenefill.plugin.otio_common import TimelineRate
    from scenefill.plugin.patch import Lane, Placement

    lane = Lane("SceneFill", 0, [Placement(30, 40, tmp_path / "a_0123456789abcdef.wav", "a", "rain", 76800,
                                           48000, 2, 24, {"note": "rain", "key": "k", "seed": 3})])
    rate = TimelineRate(Fraction(25), 25.0, 0)
    crlf = PROJECTS[0].read_bytes().replace(b"\n", b"\r\n")
    minified = re.sub(rb">\s+<", b"><", PROJECTS[0].read_bytes())
    for doc in (crlf, minified):
        out = kdenlive.patch(doc, [lane], rate)
        assert kdenlive.strip(out) == doc
        assert [(c["start"], c["frames"]) for c in kdenlive.read_lanes(out)[0]["clips"]] == [(30, 40)]
        if doc is crlf:
            assert b"\n" not in out.replace(b"\r\n", b"")           # no bare line feeds added
