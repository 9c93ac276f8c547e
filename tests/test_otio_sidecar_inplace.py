"""The editor's file is never written over by accident; --in-place keeps a backup; --sidecar writes our track alone."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import opentimelineio as otio
import pytest

from scenefill.cli import main as scenefill_main
from scenefill.plugin.edl_write import read_events
from scenefill.plugin.otio_common import is_generated_track
from scenefill.plugin.otio_write import backup_path
from scenefill.plugin.patch import fcp7
from scenefill.plugin.timeline_notes import read_timeline

ROOT = Path(__file__).resolve().parents[1]
PREMIERE = ROOT / "tests" / "data" / "timelines" / "premiere_example.xml"
FILM = ROOT / "examples" / "short_film.otio"


def run(args, capsys):
    code = scenefill_main(["otio", *args, "--placeholder", "--quiet"] if args[0] == "fill"
                          else ["otio", *args, "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cut(tmp_path) -> Path:
    path = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, path)
    return path


# --------------------------------------------------------------------------- never over the input by accident

@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_output_over_the_input_is_refused_without_in_place(how, cut, tmp_path, capsys):
    target = {"same path": cut, "symlink": tmp_path / "link.xml", "hard link": tmp_path / "hard.xml"}[how]
    if how == "symlink":
        target.symlink_to(cut)
    elif how == "hard link":
        os.link(cut, target)
    code, _, err = run(["fill", str(cut), "-o", str(target)], capsys)
    assert code == 2 and "is the input timeline" in err and "--in-place" in err
    assert cut.read_bytes() == PREMIERE.read_bytes()
    assert not any(p.name.endswith("_media") for p in tmp_path.iterdir())


def test_without_o_or_in_place_nothing_happens(cut, capsys):
    code, _, err = run(["fill", str(cut)], capsys)
    assert code == 2 and "-o OUT" in err


# --------------------------------------------------------------------------- --in-place

def test_in_place_patches_the_file_and_keeps_every_backup(cut, tmp_path, capsys):
    code, out, err = run(["fill", str(cut), "--in-place"], capsys)
    assert code == 0, err
    backups = sorted(tmp_path.glob("cut.scenefill-backup-*.xml"))
    assert len(backups) == 1 and re.fullmatch(r"cut\.scenefill-backup-\d{8}-\d{6}\.xml", backups[0].name)
    assert backups[0].read_bytes() == PREMIERE.read_bytes()
    assert fcp7.strip(cut.read_bytes()) == PREMIERE.read_bytes() and cut.read_bytes() != PREMIERE.read_bytes()
    assert "kept as cut.scenefill-backup-" in err
    first = cut.read_bytes()
    # again, in the same second: a second backup (of the patched file), the first never overwritten
    code, _, err = run(["fill", str(cut), "--in-place"], capsys)
    assert code == 0, err
    backups = sorted(tmp_path.glob("cut.scenefill-backup-*.xml"))
    assert len(backups) == 2
    assert {b.read_bytes() for b in backups} == {PREMIERE.read_bytes(), first}
    assert cut.read_bytes() == first                     # a second fill replaced our track, did not stack


def test_in_place_through_a_symlink_writes_the_editors_file(cut, tmp_path, capsys):
    link = tmp_path / "link.xml"
    link.symlink_to(cut)
    code, _, err = run(["fill", str(link), "--in-place", "-o", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and fcp7.strip(cut.read_bytes()) == PREMIERE.read_bytes()
    assert cut.read_bytes() != PREMIERE.read_bytes()


def test_in_place_with_another_output_is_refused(cut, tmp_path, capsys):
    code, _, err = run(["fill", str(cut), "--in-place", "-o", str(tmp_path / "other.xml")], capsys)
    assert code == 2 and "--in-place writes over" in err and not (tmp_path / "other.xml").exists()


@pytest.mark.parametrize("ext", ["edl", "aaf"])
def test_in_place_is_refused_where_the_result_would_not_be_the_patched_original(ext, tmp_path, capsys):
    """An audio-only EDL or a SceneFill-only AAF over the editor's cut would lose the cut."""
    src = tmp_path / f"cut.{ext}"
    tl = read_timeline(FILM)
    if ext == "edl":
        shutil.copyfile(FILM, tmp_path / "film.otio")
        code, _, _ = run(["fill", str(tmp_path / "film.otio"), "-o", str(src)], capsys)
        assert code == 0
    else:
        from scenefill.plugin.otio_write import _aaf_ready

        otio.adapters.write_to_file(_aaf_ready(tl), str(src), use_empty_mob_ids=True)
    before = src.read_bytes()
    code, _, err = run(["fill", str(src), "--in-place", "--from", "clips", "--notes",
                        str(_notes(tmp_path, src))], capsys)
    assert code == 2, err
    assert src.read_bytes() == before and not list(tmp_path.glob("*.scenefill-backup-*"))


def _notes(tmp_path: Path, timeline: Path) -> Path:
    tl = read_timeline(timeline, rate="23.976")
    names = {c.name for c in tl.find_clips() if c.name}
    path = tmp_path / "notes.csv"
    path.write_text("clip,note\n" + "".join(f"{n},room tone\n" for n in sorted(names)))
    return path


def test_in_place_on_an_otio_timeline_is_lossless_and_backed_up(tmp_path, capsys):
    film = tmp_path / "film.otio"
    shutil.copyfile(FILM, film)
    code, _, err = run(["fill", str(film), "--in-place"], capsys)
    assert code == 0, err
    assert len(list(tmp_path.glob("film.scenefill-backup-*.otio"))) == 1
    tl = read_timeline(film)
    assert any(is_generated_track(t) for t in tl.tracks)


def test_backup_names_never_repeat(tmp_path):
    f = tmp_path / "a.xml"
    f.write_text("x")
    first = backup_path(f, now=0)
    first.write_text("old")
    second = backup_path(f, now=0)
    assert second != first and second.name.endswith("-2.xml")


# --------------------------------------------------------------------------- --sidecar

@pytest.mark.parametrize("ext", ["xml", "fcpxml", "otio", "aaf", "edl"])
def test_sidecar_holds_only_the_scenefill_tracks_at_the_same_rate_and_start(ext, tmp_path, capsys):
    if ext == "fcpxml" and "fcpx_xml" not in otio.adapters.available_adapter_names():
        pytest.skip("otio-fcpx-xml-adapter is not installed")
    full = tmp_path / "full.otio"
    code, _, err = run(["fill", str(FILM), "-o", str(full), "--media-dir", str(tmp_path / "m")], capsys)
    assert code == 0, err
    expected = _positions(read_timeline(full))
    out = tmp_path / f"side.{ext}"
    code, stdout, err = scenefill_main(["otio", "fill", str(FILM), "-o", str(out), "--sidecar", "--placeholder",
                                        "--media-dir", str(tmp_path / "m")]), *capsys.readouterr()
    assert code == 0, err
    assert "SceneFill track(s) only" in stdout or "audio-only EDL" in stdout
    if ext == "edl":
        events = [e for p in sorted(tmp_path.glob("side*.edl")) for e in read_events(p.read_text())]
        assert sorted(e["rec_in"] for e in events) == sorted(tc for tc, _ in expected)
        return
    if ext == "fcpxml":
        # OTIO's FCPXML reader calls lanes video and reads 1001/24000s as 23 fps: check the XML itself
        import xml.etree.ElementTree as ET
        from fractions import Fraction

        from scenefill.plugin.patch.fcpx import parse_time

        root = ET.parse(out).getroot()
        seq = root.find("project/sequence")
        fd = Fraction(1001, 24000)
        assert parse_time(seq.get("tcStart")) == 86400 * fd                          # 01:00:00:00
        clips = [c for c in root.iter("asset-clip")]
        got = []
        for c in clips:
            frame = round(parse_time(c.get("offset")) / fd)      # the gap starts at tcStart in its own time
            tc = otio.opentime.to_timecode(otio.opentime.RationalTime(frame, 24000 / 1001), 24000 / 1001, False)
            got.append((tc, round(parse_time(c.get("duration")) / fd)))
        assert sorted(got) == sorted(expected)
        return
    back = read_timeline(out)
    assert not list(back.video_tracks())
    tracks = [t for t in back.tracks if isinstance(t, otio.schema.Track)]
    assert tracks and all(is_generated_track(t) for t in tracks)
    assert sorted(_positions(back)) == sorted(expected)


def _positions(tl) -> list[tuple[str, int]]:
    """(record timecode, frames) of every SceneFill clip."""
    start = tl.global_start_time.value if tl.global_start_time is not None else 0
    out = []
    for t in tl.tracks:
        if isinstance(t, otio.schema.Track) and is_generated_track(t):
            for c in t.find_clips():
                r = c.transformed_time_range(c.trimmed_range(), tl.tracks)
                frame = round(start + r.start_time.value)
                tc = otio.opentime.to_timecode(otio.opentime.RationalTime(frame, 24000 / 1001), 24000 / 1001, False)
                out.append((tc, round(r.duration.value)))
    return out


def test_sidecar_in_place_is_refused(cut, capsys):
    code, _, err = run(["fill", str(cut), "--sidecar", "--in-place"], capsys)
    assert code == 2 and "--sidecar" in err


def test_conform_can_write_a_sidecar_and_work_in_place(cut, tmp_path, capsys):
    code, _, err = run(["fill", str(cut), "--in-place"], capsys)
    assert code == 0, err
    side = tmp_path / "side.xml"
    code, stdout, err = run(["conform", str(cut), "-o", str(side), "--sidecar"], capsys)
    assert code == 0, err
    back = read_timeline(side)
    tracks = [t for t in back.tracks if isinstance(t, otio.schema.Track) and t.find_clips()]
    assert tracks and all(is_generated_track(t) for t in tracks)
    patched = cut.read_bytes()
    code, _, err = run(["conform", str(cut), "--in-place"], capsys)
    assert code == 0, err
    assert fcp7.strip(cut.read_bytes()) == PREMIERE.read_bytes()      # the editor's document, still
    assert cut.read_bytes().count(b"<clipitem id=\"scenefill-") == patched.count(b"<clipitem id=\"scenefill-")
    assert len(list(tmp_path.glob("cut.scenefill-backup-*.xml"))) == 2


def test_conform_never_writes_over_the_previous_timeline(cut, tmp_path, capsys):
    filled = tmp_path / "filled.xml"
    code, _, err = run(["fill", str(cut), "-o", str(filled)], capsys)
    assert code == 0, err
    before = filled.read_bytes()
    code, _, err = run(["conform", str(cut), "--previous", str(filled), "-o", str(filled)], capsys)
    assert code == 2 and "--previous" in err and filled.read_bytes() == before
