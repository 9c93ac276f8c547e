"""The fake Resolve itself: it must show the quirks the reference documents, or the other tests prove nothing."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fake_resolve import FakeResolve, install, make_resolve
from scenefill.plugin.resolve.api import call, has_call


@pytest.mark.parametrize("fps,drop,tc,start", [
    ("24", False, "01:00:00:00", 86400), ("23.976", False, "01:00:00:00", 86400), ("25", False, "01:00:00:00", 90000),
    ("29.97", False, "01:00:00:00", 108000), ("29.97", True, "01:00:00:00", 107892)])
def test_start_frames_are_absolute(fps, drop, tc, start):
    _, tl = make_resolve(fps=fps, drop=drop, start_tc=tc)
    assert tl.GetStartFrame() == start
    assert tl.GetStartTimecode() == ("01:00:00;00" if drop else "01:00:00:00")


def test_undocumented_calls_answer_none_and_hasattr_lies():
    r, tl = make_resolve(version=(20, 3, 2, 9, ""))
    assert hasattr(tl, "GetSelectedClips") and hasattr(tl, "NoSuchCall")
    assert tl.NoSuchCall(1, 2) is None and tl.GetSelectedClips() is None
    assert not has_call(tl, "GetSelectedClips") and has_call(tl, "GetMarkers")
    r21, tl21 = make_resolve(version=(21, 0, 4, 5, ""))
    assert has_call(tl21, "GetSelectedClips") and tl21.GetSelectedClips() == []
    old, _ = make_resolve(version=(18, 6, 6, 7, ""))
    mpi = old._pm._project._timelines[0].add_clip("a", 0, 10)._mpi
    assert not has_call(mpi, "SetThirdPartyMetadata") and mpi.SetThirdPartyMetadata("k", "v") is None
    assert call(tl, "NoSuchCall", default="fallback") == "fallback"


def test_markers_are_keyed_relative_to_the_start_and_echoed_unchecked():
    _, tl = make_resolve()
    assert tl.AddMarker(86400, "Blue", "", "an hour late", 1, "")     # an absolute frame: accepted as-is
    assert 86400.0 in tl.GetMarkers()


def write_wav(path, samples, sr=48000):
    sf.write(str(path), np.zeros((samples, 2), dtype=np.float32), sr, subtype="PCM_24")
    return str(path)


def test_import_goes_into_the_current_bin_only(tmp_path):
    r, tl = make_resolve()
    pool = r._pm._project._pool
    b = pool.AddSubFolder(pool.GetRootFolder(), "SceneFill")
    a = write_wav(tmp_path / "a.wav", 96 * 2002)
    assert [m.GetClipProperty("Frames") for m in pool.ImportMedia([a])] == ["96"]
    assert pool.GetRootFolder().GetClipList()[0].GetClipProperty("File Path") == a and b.GetClipList() == []
    assert pool.ImportMedia([a]) == [] and pool.ImportMedia([str(tmp_path / "missing.wav")]) == []


def test_append_quirks(tmp_path):
    r, tl = make_resolve()
    pool = r._pm._project._pool
    tl.AddTrack("audio", "stereo")
    mpi = pool.ImportMedia([write_wav(tmp_path / "a.wav", 48 * 2002)])[0]
    # a fractional frame anywhere refuses the whole batch
    assert pool.AppendToTimeline([{"mediaPoolItem": mpi, "trackIndex": 2, "recordFrame": 86400},
                                  {"mediaPoolItem": mpi, "trackIndex": 2, "recordFrame": 86500.5}]) is None
    assert tl.GetItemListInTrack("audio", 2) == []
    # an overlapping item is dropped silently (a truthy item whose getters answer None)
    out = pool.AppendToTimeline([{"mediaPoolItem": mpi, "mediaType": 2, "trackIndex": 2, "recordFrame": 86400},
                                 {"mediaPoolItem": mpi, "mediaType": 2, "trackIndex": 2, "recordFrame": 86420}])
    assert len(out) == 2 and out[1] and out[1].GetStart() is None and out[1].GetDuration() is None
    assert [(i.GetStart(), i.GetDuration()) for i in tl.GetItemListInTrack("audio", 2)] == [(86400, 48)]
    # a locked track answers the same truthy-but-empty item
    tl.SetTrackLock("audio", 2, True)
    out = pool.AppendToTimeline([{"mediaPoolItem": mpi, "mediaType": 2, "trackIndex": 2, "recordFrame": 90000}])
    assert out[0] and out[0].GetStart() is None and len(tl.GetItemListInTrack("audio", 2)) == 1


def test_delete_clips_only_on_the_current_timeline():
    r, tl = make_resolve()
    item = tl.add_clip("a", 0, 10)
    other = r._pm._project.new_timeline("Cut 2")
    assert tl.DeleteClips([item]) is False
    r._pm._project.SetCurrentTimeline(tl)
    assert tl.DeleteClips([item]) is True and tl.GetItemListInTrack("video", 1) == []
    del other


def test_external_scripting_is_studio_only(monkeypatch):
    free = FakeResolve(product="DaVinci Resolve")
    mod = install(free, monkeypatch)
    import DaVinciResolveScript

    assert DaVinciResolveScript is mod and mod.scriptapp("Resolve") is None
    studio = FakeResolve()
    assert install(studio, monkeypatch).scriptapp("Resolve") is studio


def test_every_resolve_marker_colour_reaches_the_notes(tmp_path, monkeypatch):
    from scenefill.plugin.resolve import MARKER_COLORS
    from scenefill.plugin.resolve.notes import find_notes
    from scenefill.plugin.resolve.snapshot import read

    r, tl = make_resolve(length=24 * 200)
    for n, color in enumerate(MARKER_COLORS):
        tl.add_marker(n * 240, f"note {color}", duration=240, color=color)
    ex, _ = find_notes(read(r), colors=["Lavender", "Cocoa"])
    assert [i.note for i in ex.items] == ["note Lavender", "note Cocoa"]
    ex, _ = find_notes(read(r))
    assert len(ex.items) == len(MARKER_COLORS)
