"""Resolve plugin, end to end on the fake Resolve, rendering on a real SceneFill daemon.

The story: an editor has a 23.976 timeline starting at 01:00:00:00 with scene
notes in markers. Fill From Markers puts audio of exactly each marker's range
on a stereo "SceneFill" track (a second one where ranges overlap), files in a
"SceneFill" bin; a second run changes nothing; after a recut, Conform moves and
extends the audio, keeping every approved sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fake_resolve import make_resolve
from scenefill.plugin.resolve import ResolveJobError, conform, fill_from_markers, render_selected_clip
from scenefill.server.testing import DaemonProcess

START = 86400            # 01:00:00:00 at 23.976 (counted at 24)
SPF = 2002               # samples per frame at 23.976 fps, 48 kHz: 48000 * 1001 / 24000
FADE = 480               # the engine's 10 ms end fade at 48 kHz


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with DaemonProcess(tmp_path_factory.mktemp("resolve-daemon") / "out", workers=2) as d:
        yield d


@pytest.fixture
def env(daemon, monkeypatch, tmp_path):
    monkeypatch.setenv("SCENEFILL_SERVER", daemon.address)
    monkeypatch.setenv("SCENEFILL_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.delenv("SCENEFILL_AUTOSTART", raising=False)
    return tmp_path


def cut(**kw):
    """Three shots; notes in timeline markers and in a clip marker; one marker without a note."""
    r, tl = make_resolve(**kw)
    tl.add_clip("sh010", 0, 96, left_offset=1000)
    tl.add_clip("sh020", 96, 144)
    tl.add_clip("sh030", 240, 120, left_offset=500)
    tl.add_marker(0, "light rain on a window")                        # point: runs to the next noted marker
    tl.add_marker(96, "quiet office room tone", duration=72, color="Green")
    tl.add_marker(200, "", name="Marker 3")                            # no note: skipped and reported
    sh030 = tl._tracks["video"][0].items[2]
    assert sh030.AddMarker(512, "Blue", "birds", "birdsong in a park", 1)   # source frame: record 240 + 12
    return r, tl


def scenefill_items(tl, name="SceneFill"):
    track = tl.audio_track(name)
    assert track is not None, f"no {name} track"
    return [(i._start, i._duration, Path(i._mpi._path)) for i in sorted(track.items, key=lambda i: i._start)]


def pcm(path: Path) -> np.ndarray:
    data, _ = sf.read(str(path), dtype="int32", always_2d=True)
    return data


def test_fill_from_markers_places_exact_audio_at_absolute_frames(env):
    r, tl = cut()
    report = fill_from_markers(r, quiet=True)
    assert report.ok, report.lines()
    items = scenefill_items(tl)
    assert [(s, d) for s, d, _ in items] == [
        (START + 0, 96),          # light rain: 0 -> the next noted marker at 96
        (START + 96, 72),         # room tone: its own 72 frames
        (START + 252, 108),       # birdsong: clip marker at source 512 = record 252, to sh030's end (360)
    ]
    for start, frames, path in items:
        info = sf.info(str(path))
        assert (info.frames, info.samplerate, info.channels) == (frames * SPF, 48000, 2)
        assert path.parent == env / "media" / "short-film"
    track = tl.audio_track("SceneFill")
    assert track.subtype == "stereo"
    # one import and one append for all markers, into the SceneFill bin, the editor's bin kept current
    pool = r._pm._project._pool
    assert (pool.import_calls, pool.append_calls) == (1, 1)
    bins = {f._name: f for f in pool._root._subs}
    assert {c._path for c in bins["SceneFill"]._clips} == {str(p) for _, _, p in items}
    assert pool._current is pool._root
    # provenance on the media pool items; the filled markers carry SceneFill's id
    prov = bins["SceneFill"]._clips[0]._third["scenefill"]
    assert '"note"' in prov and '"seed"' in prov
    assert all(m["customData"].startswith("scenefill:") for m in tl._markers.values() if m["note"])
    assert r._pm.saves == 1
    assert any("Marker 3" in s and "no note" in s for s in report.skipped)
    assert report.counts["placed"] == 3 and report.counts["rendered"] == 3
    row = report.rows[0]
    assert row["timecode"] == "01:00:00:00" and row["samples"] == 96 * SPF and row["placed"]


def test_second_run_changes_nothing(env):
    r, tl = cut()
    fill_from_markers(r, quiet=True)
    before = scenefill_items(tl)
    objs = [id(i) for i in tl.audio_track("SceneFill").items]
    pool = r._pm._project._pool
    calls = (pool.import_calls, pool.append_calls)
    report = fill_from_markers(r, quiet=True)
    assert report.ok
    assert scenefill_items(tl) == before
    assert [id(i) for i in tl.audio_track("SceneFill").items] == objs       # the very same items
    assert (pool.import_calls, pool.append_calls) == calls                   # no import, no append
    assert report.counts["kept"] == 3 and report.counts.get("placed", 0) == 0
    assert report.counts["cached"] == 3 and not report.counts.get("rendered")


def test_refill_after_a_note_change_replaces_only_that_clip(env):
    r, tl = cut()
    fill_from_markers(r, quiet=True)
    before = scenefill_items(tl)
    tl._markers[96.0]["note"] = "busy cafe crowd murmur"
    report = fill_from_markers(r, quiet=True)
    after = scenefill_items(tl)
    assert len(after) == 3 and after[0] == before[0] and after[2] == before[2]
    assert after[1][:2] == before[1][:2] and after[1][2] != before[1][2]
    assert report.counts == {"cached": 2, "rendered": 1, "placed": 1, "kept": 2, "deleted": 1}


def test_overlapping_markers_go_to_a_second_track(env):
    r, tl = cut()
    tl.add_marker(120, "distant traffic", duration=48, color="Yellow")   # inside the room tone's 96..168
    report = fill_from_markers(r, quiet=True)
    assert report.ok, report.lines()
    first = scenefill_items(tl)
    second = scenefill_items(tl, "SceneFill 2")
    assert [(s, d) for s, d, _ in second] == [(START + 120, 48)]
    assert (START + 96, 72) in [(s, d) for s, d, _ in first]
    assert tl.audio_track("SceneFill 2").subtype == "stereo"
    assert {row["track"] for row in report.rows} == {"SceneFill", "SceneFill 2"}
    # idempotent with two lanes too
    again = fill_from_markers(r, quiet=True)
    assert again.counts["kept"] == 4 and scenefill_items(tl, "SceneFill 2") == second


def test_only_some_colours(env):
    r, tl = cut(length=600)
    report = fill_from_markers(r, colors="green", quiet=True)
    assert [(s, d) for s, d, _ in scenefill_items(tl)] == [(START + 96, 72)]
    assert report.rows[0]["note"] == "quiet office room tone"
    green = scenefill_items(tl)
    # a Blue fill afterwards leaves the Green audio alone; with Green markers filtered out,
    # the Blue point marker at 0 runs to the timeline's end, over the Green audio: a second track
    report = fill_from_markers(r, colors=["Blue"], quiet=True)
    assert report.ok and green[0] in scenefill_items(tl)
    assert [(s, d) for s, d, _ in scenefill_items(tl, "SceneFill 2")] == [(START, tl._length)]
    assert (START + 252, 108) in [(s, d) for s, d, _ in scenefill_items(tl)]
    with pytest.raises(ResolveJobError, match="unknown marker colour 'Orange'"):
        fill_from_markers(r, colors="Orange", quiet=True)


def test_conform_after_moving_and_lengthening_markers(env):
    r, tl = cut()
    fill_from_markers(r, quiet=True)
    before = {Path(p).name.split("_")[0]: (s, d, p) for s, d, p in scenefill_items(tl)}
    approved = {k: pcm(v[2]) for k, v in before.items()}
    # the recut: the room-tone marker moves 24 frames later and grows to 96 frames;
    # sh030 (with its clip marker) slides 24 frames later too; a new note appears
    tl.move_marker(96, 120, duration=96)
    sh030 = tl._tracks["video"][0].items[2]
    sh030._start += 24
    tl.add_marker(400, "crackling fireplace", duration=48, color="Red")
    report = conform(r, quiet=True)
    assert report.ok, report.lines()
    after = {Path(p).name.split("_")[0]: (s, d, p) for s, d, p in scenefill_items(tl)}
    # rain: now runs to the moved marker (120 frames): extended, the approved 96 frames identical
    assert after["light-rain-on-a-window"][:2] == (START, 120)
    rain = pcm(after["light-rain-on-a-window"][2])
    old = approved["light-rain-on-a-window"]
    assert len(rain) == 120 * SPF and np.array_equal(rain[:len(old) - FADE], old[:-FADE])
    # room tone: moved and extended, prefix identical
    tone = pcm(after["quiet-office-room-tone"][2])
    old = approved["quiet-office-room-tone"]
    assert after["quiet-office-room-tone"][:2] == (START + 120, 96)
    assert np.array_equal(tone[:len(old) - FADE], old[:-FADE])
    # birdsong moved with its clip: same file, same samples, new place
    assert after["birdsong-in-a-park"][:2] == (START + 276, 108)
    assert after["birdsong-in-a-park"][2] == before["birdsong-in-a-park"][2]
    assert after["crackling-fireplace"][:2] == (START + 400, 48)
    assert report.changes == {"moved": 1, "extended": 2, "added": 1}
    details = {r_["note"]: r_["detail"] for r_ in report.rows}
    assert "+24 frames" in details["quiet office room tone"] and "moved +24 frames" in details["quiet office room tone"]
    # conforming again changes nothing
    again = conform(r, quiet=True)
    assert again.changes == {"kept": 4} and again.counts["kept"] == 4
    assert scenefill_items(tl) == [after[k] for k in sorted(after, key=lambda k: after[k][0])]


def test_conform_removes_the_audio_of_a_deleted_marker(env):
    r, tl = cut(length=600)
    fill_from_markers(r, quiet=True)
    del tl._markers[96.0]
    report = conform(r, quiet=True)
    assert report.ok and report.changes == {"kept": 1, "extended": 1, "removed": 1}
    removed = [row for row in report.rows if row["change"] == "removed"]
    assert removed[0]["note"] == "quiet office room tone" and removed[0]["timecode"] == "01:00:04:00"
    # the rain's point marker now runs to the timeline's end (no noted timeline marker after it),
    # over the birdsong: it moves to a second track
    assert [(s, d) for s, d, _ in scenefill_items(tl)] == [(START + 252, 108)]
    assert [(s, d) for s, d, _ in scenefill_items(tl, "SceneFill 2")] == [(START, 600)]


def test_a_new_marker_is_added_not_mistaken_for_a_deleted_one(env):
    """Resolve markers are mostly unnamed: the id SceneFill stamped on each decides, not the name."""
    r, tl = cut(length=600)
    fill_from_markers(r, quiet=True)
    del tl._markers[96.0]
    tl.add_marker(500, "crackling fireplace", duration=48, color="Green")
    report = conform(r, quiet=True)
    assert report.changes == {"kept": 1, "extended": 1, "added": 1, "removed": 1}
    rows = {row["note"]: row for row in report.rows}
    assert rows["quiet office room tone"]["change"] == "removed"
    assert rows["crackling fireplace"]["change"] == "added" and rows["crackling fireplace"]["timecode"] == "01:00:20:20"


def test_selected_clip_gets_audio_of_its_record_range(env):
    r, tl = make_resolve(version=(21, 0, 4, 5, ""))
    a = tl.add_clip("sh010", 0, 96)
    b = tl.add_clip("sh020", 96, 60, left_offset=30)
    b._mpi.SetMetadata("Comments", "wind through trees")
    tl._selected = [b]
    report = render_selected_clip(r, quiet=True)
    assert report.ok, report.lines()
    assert [(s, d) for s, d, _ in scenefill_items(tl)] == [(START + 96, 60)]
    assert report.rows[0]["note"] == "wind through trees"
    # before 21.0.4 (no selection call): the video item under the playhead, with an explicit note
    r2, tl2 = make_resolve(version=(20, 3, 2, 9, ""))
    tl2.add_clip("sh010", 0, 96)
    tl2._playhead = START + 10
    tl2._selected = ["must not be read"]
    report = render_selected_clip(r2, note="footsteps on gravel", quiet=True)
    assert [(s, d) for s, d, _ in scenefill_items(tl2)] == [(START, 96)]
    # running it again on the same clip replaces, never stacks
    report = render_selected_clip(r2, note="footsteps on wet gravel", quiet=True)
    assert len(scenefill_items(tl2)) == 1 and report.counts["deleted"] == 1
    del a


def test_selected_clip_without_a_note_says_how_to_add_one(env):
    r, tl = make_resolve()
    tl.add_clip("sh010", 0, 96)
    tl._playhead = START
    with pytest.raises(ResolveJobError, match="clip 'sh010' has no note: add a marker"):
        render_selected_clip(r, quiet=True)
    assert tl.audio_track("SceneFill") is None
    tl._playhead = None
    with pytest.raises(ResolveJobError, match="no clip is selected"):
        render_selected_clip(r, quiet=True)


def test_drop_frame_timeline(env):
    r, tl = make_resolve(fps="29.97", drop=True)
    tl.add_clip("sh010", 0, 300)
    tl.add_marker(0, "city street traffic", duration=150)
    report = fill_from_markers(r, quiet=True)
    assert report.rate == "29.97 DF"
    assert report.rows[0]["timecode"] == "01:00:00;00"
    (start, frames, path), = scenefill_items(tl)
    assert (start, frames) == (107892, 150)
    # samples by absolute position: 150 frames from frame 107892 at 30000/1001
    from fractions import Fraction
    exact = Fraction(48000 * 1001, 30000)
    n = round((107892 + 150) * exact) - round(107892 * exact)
    assert sf.info(str(path)).frames == n


def test_a_timeline_reporting_23_is_read_as_23976(env):
    r, tl = cut(timeline_fps="23")
    report = fill_from_markers(r, quiet=True)
    assert report.rate == "23.976"
    assert any("'23'" in w and "23.976" in w for w in report.warnings)
    assert [d for _, d, _ in scenefill_items(tl)] == [96, 72, 108]


def test_conform_follows_a_selected_clip_that_was_recut(env):
    r, tl = make_resolve(version=(21, 0, 4, 5, ""))
    shot = tl.add_clip("sh010", 48, 96)
    shot._mpi.SetMetadata("Comments", "night crickets and insects")
    tl._selected = [shot]
    render_selected_clip(r, quiet=True)
    (start, frames, path), = scenefill_items(tl)
    assert (start, frames) == (START + 48, 96)
    approved = pcm(path)
    shot._start += 24            # the shot slides later and is extended at its tail
    shot._duration += 24
    report = conform(r, quiet=True)
    assert report.ok and report.changes == {"extended": 1}
    (start, frames, path), = scenefill_items(tl)
    assert (start, frames) == (START + 72, 120)
    new = pcm(path)
    assert len(new) == 120 * SPF and np.array_equal(new[:len(approved) - FADE], approved[:-FADE])
