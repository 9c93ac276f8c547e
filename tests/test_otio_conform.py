"""OTIO adapter: conform after a recut (real engine, short notes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf
from opentimelineio.opentime import RationalTime as RT
from opentimelineio.opentime import TimeRange as TR

from scenefill.cli import main as scenefill_main
from scenefill.plugin.otio_common import is_generated_track
from scenefill.plugin.timeline_notes import read_timeline

R = 24.0
FADE = 480          # the engine's 10 ms end fade at 48 kHz


def run_cli(args, capsys):
    code = scenefill_main(["otio", *args])
    out, err = capsys.readouterr()
    return code, out, err


def base_timeline() -> otio.schema.Timeline:
    tl = otio.schema.Timeline("recut test", global_start_time=RT(86400, R))
    v = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    notes = {"K": "crickets at night", "A": "light rain", "B": "wind in trees",
             "C": "room tone hum", "D": "city traffic", "E": "church bells"}
    for name, note in notes.items():
        clip = otio.schema.Clip(name, source_range=TR(RT(1000, R), RT(48, R)))
        clip.markers.append(otio.schema.Marker(f"m{name}", TR(RT(1000, R), RT(0, R)), comment=note))
        v.append(clip)
    tl.tracks.append(v)
    tl.tracks.markers.append(otio.schema.Marker("S", TR(RT(250, R), RT(36, R)), comment="distant thunder"))
    return tl


def generated(tl) -> dict[str, tuple[int, int, Path]]:
    """note -> (record start, frames, file) for every SceneFill clip."""
    out = {}
    for track in tl.tracks:
        if isinstance(track, otio.schema.Track) and is_generated_track(track):
            for clip in track.find_clips():
                r = clip.range_in_parent()
                note = clip.metadata["scenefill"]["note"] if "scenefill" in clip.metadata else clip.name
                out[note] = (round(r.start_time.value), round(r.duration.value),
                             Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url)))
    return out


def pcm(path: Path) -> np.ndarray:
    data, _ = sf.read(str(path), dtype="int32", always_2d=True)
    return data


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    d = tmp_path_factory.mktemp("conform")
    src = d / "cut1.otio"
    otio.adapters.write_to_file(base_timeline(), str(src))
    code = scenefill_main(["otio", "fill", str(src), "-o", str(d / "cut1.filled.otio"), "--quiet"])
    assert code == 0
    return d, d / "cut1.filled.otio"


def recut(filled_path: Path) -> otio.schema.Timeline:
    tl = otio.adapters.read_from_file(str(filled_path))
    v = tl.tracks[0]
    a = v[1]
    v.remove(a)                      # move: swap A and B
    v.insert(2, a)
    c = v[3]                         # trim: C loses 12 frames at its tail (ripple: D, E move left)
    c.source_range = TR(c.source_range.start_time, RT(36, R))
    d = v[4]                         # grow: D gains 24 frames at its tail
    d.source_range = TR(d.source_range.start_time, RT(72, R))
    v[5].markers.clear()             # delete: E's marker
    s = tl.tracks.markers[0]         # note change
    s.comment = "distant thunder and heavy rain"
    tl.tracks.markers.append(otio.schema.Marker("N", TR(RT(10, R), RT(24, R)), comment="footsteps on gravel"))
    return tl


def test_conform_after_a_recut(filled, tmp_path, capsys):
    d, filled_path = filled
    before = generated(read_timeline(filled_path))
    cut2 = tmp_path / "cut2.otio"
    otio.adapters.write_to_file(recut(filled_path), str(cut2))
    out = tmp_path / "cut2.conformed.otio"
    code, stdout, err = run_cli(["conform", str(cut2), "-o", str(out)], capsys)
    assert code == 0, err
    rows = {line.split()[0]: line for line in stdout.splitlines()[2:] if line and not line.startswith("1 ")}
    assert "1 kept, 2 moved, 1 trimmed, 1 extended, 1 regenerated, 1 added, 1 removed; 4 render(s)" in stdout
    assert {"kept", "moved", "trimmed", "extended", "regenerated", "added", "removed"} <= set(rows)

    after = generated(read_timeline(out))
    assert "church bells" not in after                                   # removed
    assert after["crickets at night"] == before["crickets at night"]     # kept: same place, same file
    # moved: same file, new place (B first, then A)
    assert after["light rain"][2] == before["light rain"][2] and after["light rain"][0] == 96
    assert after["wind in trees"][2] == before["wind in trees"][2] and after["wind in trees"][0] == 48
    # trimmed: 36 frames, re-rendered with the same seed: identical apart from the new end fade
    c_old, c_new = pcm(before["room tone hum"][2]), pcm(after["room tone hum"][2])
    assert after["room tone hum"][:2] == (144, 36) and len(c_new) == 36 * 2000
    assert np.array_equal(c_new[:-FADE], c_old[:len(c_new) - FADE])
    # extended: 72 frames, the approved 48 frames are sample-identical (up to the old end fade)
    d_old, d_new = pcm(before["city traffic"][2]), pcm(after["city traffic"][2])
    assert after["city traffic"][:2] == (180, 72) and len(d_new) == 72 * 2000
    assert np.array_equal(d_new[:len(d_old) - FADE], d_old[:-FADE])
    # regenerated and added
    assert "distant thunder and heavy rain" in after and "distant thunder" not in after
    assert after["footsteps on gravel"][:2] == (10, 24)
    # every file exact for its clip
    for note, (start, n, path) in after.items():
        assert sf.info(str(path)).frames == n * 2000, note

    # conforming the conformed timeline again changes nothing and renders nothing
    code, stdout, err = run_cli(["conform", str(out), "-o", str(tmp_path / "again.otio")], capsys)
    assert code == 0, err
    assert "7 kept; 0 render(s), 0 cached" in stdout
    assert generated(read_timeline(tmp_path / "again.otio")) == after


def test_conform_with_previous_after_fcp_xml_round_trip(filled, tmp_path, capsys):
    """The recut came back through FCP7 XML: ids and provenance are gone; matching falls back."""
    d, filled_path = filled
    before = generated(read_timeline(filled_path))
    tl = otio.adapters.read_from_file(str(filled_path))
    v = tl.tracks[0]
    a = v[1]
    v.remove(a)
    v.insert(2, a)                   # swap A and B only
    xml = tmp_path / "cut2.xml"
    otio.adapters.write_to_file(tl, str(xml))
    out = tmp_path / "cut2.conformed.otio"
    code, stdout, err = run_cli(["conform", str(xml), "--previous", str(filled_path), "-o", str(out)], capsys)
    assert code == 0, err
    assert "5 kept, 2 moved; 0 render(s)" in stdout
    result = read_timeline(out)
    gen_tracks = [t for t in result.tracks if isinstance(t, otio.schema.Track) and is_generated_track(t)]
    assert len(gen_tracks) == 2                       # the XML's stale copy was replaced, not doubled
    after = generated(result)
    assert after["light rain"][0] == 96 and after["wind in trees"][0] == 48
    assert after["light rain"][2] == before["light rain"][2]

    # without --previous the XML has no provenance: a clear refusal
    code, _, err = run_cli(["conform", str(xml), "-o", str(tmp_path / "x.otio")], capsys)
    assert code == 2 and "--previous" in err and not (tmp_path / "x.otio").exists()


def test_conform_failure_is_named_and_exit_1(filled, tmp_path, capsys, monkeypatch):
    import scenefill.plugin.renderer as renderer_mod

    d, filled_path = filled
    tl = otio.adapters.read_from_file(str(filled_path))
    tl.tracks.markers[0].comment = "distant thunder, rolling"
    cut = tmp_path / "cut.otio"
    otio.adapters.write_to_file(tl, str(cut))

    def broken(request, dest, **_):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(renderer_mod, "_render_one", broken)
    out = tmp_path / "out.otio"
    code, stdout, err = run_cli(["conform", str(cut), "-o", str(out), "--jobs", "1"], capsys)
    assert code == 1
    assert "could not conform" in err and "distant thunder, rolling" in err and "engine exploded" in err
    after = generated(read_timeline(out))
    assert "distant thunder" in after                 # the old clip was left as it was


def test_conform_refuses_a_timeline_without_scenefill_clips(tmp_path, capsys):
    src = tmp_path / "plain.otio"
    otio.adapters.write_to_file(base_timeline(), str(src))
    code, _, err = run_cli(["conform", str(src), "-o", str(tmp_path / "o.otio")], capsys)
    assert code == 2 and "no SceneFill clips" in err and "Traceback" not in err
    assert not (tmp_path / "o.otio").exists()
