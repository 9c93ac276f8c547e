"""Resolve plugin: every refusal is one clear line, and leaves the timeline (and the disk) as they were."""

from __future__ import annotations

import socket

import pytest

from fake_resolve import FakeResolve, make_resolve
from scenefill.plugin.renderer import PlaceholderRenderer
from scenefill.plugin.resolve import ResolveJobError, conform, fill_from_markers, render_selected_clip

START = 86400


@pytest.fixture
def media(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENEFILL_MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path / "media"


def noted(**kw):
    r, tl = make_resolve(**kw)
    tl.add_clip("sh010", 0, 240)
    tl.add_marker(0, "light rain on a window", duration=96)
    tl.add_marker(120, "quiet office room tone", duration=72, color="Green")
    return r, tl


def untouched(r, tl, media) -> None:
    """Nothing rendered, imported, placed or saved."""
    assert tl.audio_track("SceneFill") is None
    assert [t.name for t in tl._tracks["audio"]] == ["Audio 1"]
    pool = r._pm._project._pool if r._pm._project else None
    if pool is not None:
        assert pool.import_calls == 0 and pool.append_calls == 0 and not pool._root._subs
    assert r._pm.saves == 0
    assert not media.exists() or not any(media.rglob("*.wav"))


def fill(r, **kw):
    return fill_from_markers(r, renderer=PlaceholderRenderer(), quiet=True, **kw)


def test_no_resolve_says_how_to_enable_external_scripting(media):
    with pytest.raises(ResolveJobError, match="External scripting using: Local.*needs DaVinci Resolve Studio"):
        fill(None)


def test_free_edition_21_1_refuses_python_and_names_the_lua_script(media):
    r, tl = noted(product="DaVinci Resolve", version=(21, 1, 0, 3, ""))
    with pytest.raises(ResolveJobError, match=r"runs only Lua scripts: use Workspace > Scripts > "
                                              r"SceneFill - Fill From Markers \(free\)"):
        fill(r)
    untouched(r, tl, media)


def test_free_edition_before_21_1_runs_without_touching_uimanager(media):
    r, tl = noted(product="DaVinci Resolve", version=(20, 3, 2, 9, ""))
    calls = []
    r.Fusion = lambda: calls.append("Fusion") or None            # the upsell dialog would open here

    class Bmd:
        def UIDispatcher(self, ui):
            calls.append("UIDispatcher")

    report = fill_from_markers(r, renderer=PlaceholderRenderer(), quiet=True, bmd=Bmd())
    assert report.ok and calls == []


def test_no_project_and_no_timeline(media):
    r = FakeResolve()
    with pytest.raises(ResolveJobError, match="no project is open"):
        fill(r)
    p = r.new_project("Doc")
    with pytest.raises(ResolveJobError, match="Doc has no current timeline: open a timeline"):
        fill(r)
    with pytest.raises(ResolveJobError, match="no current timeline"):
        conform(r, renderer=PlaceholderRenderer(), quiet=True)
    with pytest.raises(ResolveJobError, match="no current timeline"):
        render_selected_clip(r, note="x", renderer=PlaceholderRenderer(), quiet=True)
    assert p._pool.import_calls == 0


def test_a_locked_scenefill_track_stops_the_job_before_any_render(media):
    r, tl = noted()
    fill(r)
    track = tl.audio_track("SceneFill")
    before = list(track.items)
    track.locked = True
    tl._markers[0.0]["note"] = "heavy rain"
    files = set(media.rglob("*.wav"))
    with pytest.raises(ResolveJobError, match=r"the SceneFill track \(A2\) is locked: unlock it"):
        fill(r)
    assert track.items == before and set(media.rglob("*.wav")) == files


def test_markers_without_notes(media):
    r, tl = make_resolve()
    tl.add_clip("sh010", 0, 240)
    tl.add_marker(0, "", name="Marker 1")
    tl.add_marker(100, "", name="")
    with pytest.raises(ResolveJobError, match=r"no marker on timeline 'Cut 1' has a usable note \(skipped 2: "
                                              r"it has no note.*type the scene.*into its Notes"):
        fill(r)
    untouched(r, tl, media)
    with pytest.raises(ResolveJobError, match="no Green marker on timeline 'Cut 1' has a usable note"):
        fill(r, colors="Green")


def test_a_marker_named_but_without_a_note_uses_its_name(media):
    """As in the OTIO adapter: a name that is not Resolve's default label is a note."""
    r, tl = make_resolve()
    tl.add_clip("sh010", 0, 240)
    tl.add_marker(0, "", name="birdsong in a park", duration=48)
    report = fill(r)
    assert report.rows[0]["note"] == "birdsong in a park"


def test_truncated_rate_contradicted_by_the_project_is_refused(media):
    r, tl = noted(fps="25", timeline_fps="23", start_tc="01:00:00:00")
    with pytest.raises(ResolveJobError, match=r"reports the frame rate of timeline 'Cut 1' as '23' \(a truncated "
                                              r"23.976\?\) but the project as '25'"):
        fill(r)
    untouched(r, tl, media)


def test_unsupported_rate_and_inconsistent_start(media):
    r, tl = noted(timeline_fps="16")
    with pytest.raises(ResolveJobError, match="runs at '16' fps, which SceneFill does not support"):
        fill(r)
    r, tl = noted()
    tl._fps_reported = "25"               # the timeline claims 25 but its start frame counts 24 per second
    with pytest.raises(ResolveJobError, match=r"starts at 01:00:00:00 but Resolve puts its first frame at 86400, "
                                              r"which does not fit 25 fps \(expected 90000\)"):
        fill(r)
    untouched(r, tl, media)


def test_drop_frame_flag_on_a_rate_without_drop_frame(media):
    r, tl = noted(fps="25")
    r._pm._project._settings["timelineDropFrameTimecode"] = "1"
    tl._start_tc = "01:00:00:00"
    with pytest.raises(ResolveJobError, match="marked drop-frame at 25 fps; drop-frame timecode exists only at "
                                              "29.97 and 59.94"):
        fill(r)


def test_no_daemon_says_how_to_start_one(media, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SCENEFILL_SERVER", f"127.0.0.1:{port}")
    monkeypatch.delenv("SCENEFILL_AUTOSTART", raising=False)
    r, tl = noted()
    with pytest.raises(ResolveJobError, match=rf"no SceneFill server answers at 127.0.0.1:{port}: start one in a "
                                              r"terminal with `scenefill serve` \(or set SCENEFILL_AUTOSTART=1"):
        fill_from_markers(r, quiet=True)
    untouched(r, tl, media)


def test_resolve_refusing_the_whole_batch_leaves_the_timeline_as_it_was(media):
    r, tl = noted()
    fill(r)
    track = tl.audio_track("SceneFill")
    before = [(i._start, i._duration, i._mpi._path) for i in track.items]
    pool = r._pm._project._pool
    pool.AppendToTimeline = lambda infos, real=pool.AppendToTimeline: None if any(
        "startFrame" not in i for i in infos) else real(infos)          # refuses the new batch, allows the restore
    tl._markers[0.0]["note"] = "heavy rain"
    tl.add_marker(100, "distant traffic", duration=48)                  # would need a second track
    with pytest.raises(ResolveJobError, match="refused to place the SceneFill clips.*the timeline is as it was"):
        fill(r)
    assert sorted((i._start, i._duration, i._mpi._path) for i in track.items) == sorted(before)
    assert tl.audio_track("SceneFill 2") is None


def test_resolve_refusing_every_clip_is_taken_back(media):
    r, tl = noted()
    pool = r._pm._project._pool
    real = pool.AppendToTimeline

    def lock_then_append(infos):                   # the editor locked the track meanwhile
        tl.audio_track("SceneFill").locked = True
        return real(infos)

    pool.AppendToTimeline = lock_then_append
    with pytest.raises(ResolveJobError, match=r"refused every SceneFill clip .*refused it.*the timeline is as it was"):
        fill(r)
    assert tl.audio_track("SceneFill") is None


def test_an_item_resolve_drops_silently_is_reported(media):
    r, tl = noted()
    pool = r._pm._project._pool
    real = pool.AppendToTimeline
    pool.AppendToTimeline = lambda infos: real(infos[:1]) + [object()]   # drops the second, answers truthy
    report = fill(r)
    assert not report.ok
    assert len(report.problems) == 1 and "01:00:05:00 'quiet office room tone': Resolve refused it" in report.problems[0]
    assert [row["placed"] for row in report.rows] == [True, False]


def test_import_refused(media):
    r, tl = noted()
    r._pm._project._pool.ImportMedia = lambda paths: []
    with pytest.raises(ResolveJobError, match="would not import 2 file"):
        fill(r)
    assert tl.audio_track("SceneFill") is None


def test_conform_with_nothing_to_conform(media):
    r, tl = noted()
    with pytest.raises(ResolveJobError, match="has no SceneFill clips on a 'SceneFill' track to conform: run "
                                              "SceneFill - Fill From Markers first"):
        conform(r, renderer=PlaceholderRenderer(), quiet=True)


def test_before_third_party_metadata_a_second_run_still_replaces(media):
    """Resolve 18 has no third-party metadata: SceneFill recognises its files by name and content."""
    from scenefill.plugin.renderer import InProcessRenderer

    r, tl = noted(version=(18, 6, 6, 7, ""))
    fill_from_markers(r, renderer=InProcessRenderer(1), quiet=True)
    first = sorted((i._start, i._duration) for i in tl.audio_track("SceneFill").items)
    tl._markers[120.0]["note"] = "busy cafe crowd murmur"
    report = fill_from_markers(r, renderer=InProcessRenderer(1), quiet=True)
    assert report.counts["kept"] == 1 and report.counts["deleted"] == 1
    assert sorted((i._start, i._duration) for i in tl.audio_track("SceneFill").items) == first
    assert tl.audio_track("SceneFill 2") is None
