"""QA stories: an editor protects a file (chmod a-w, "Locked" in the Finder) and then points
SceneFill at it. A protected file is never replaced: exit 2, one line, the file as it was.
And --in-place on a file the editor may write keeps that file's permissions (a group-writable
project on shared storage stays group-writable)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from scenefill.cli import main as scenefill_main

ROOT = Path(__file__).resolve().parents[1]
PREMIERE = ROOT / "tests" / "data" / "timelines" / "premiere_example.xml"


def _run(args, capsys):
    code = scenefill_main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def locked_cut(tmp_path) -> Path:
    cut = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, cut)
    os.chmod(cut, 0o444)
    return cut


def test_in_place_on_a_read_only_timeline_is_refused_and_nothing_is_written(locked_cut, tmp_path, capsys):
    code, _, err = _run(["otio", "fill", str(locked_cut), "--in-place", "--placeholder", "--quiet",
                         "--media-dir", str(tmp_path / "m")], capsys)
    assert code == 2 and "read-only" in err and len(err.strip().splitlines()) == 1, err
    assert locked_cut.read_bytes() == PREMIERE.read_bytes()
    assert _mode(locked_cut) == 0o444
    assert not list(tmp_path.glob("*scenefill-backup*"))


def test_fill_does_not_replace_a_read_only_output(tmp_path, capsys):
    cut = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, cut)
    approved = tmp_path / "approved.xml"
    approved.write_text("the mixer's approved version\n")
    os.chmod(approved, 0o444)
    code, _, err = _run(["otio", "fill", str(cut), "-o", str(approved), "--placeholder", "--quiet",
                         "--media-dir", str(tmp_path / "m")], capsys)
    assert code == 2 and "read-only" in err and len(err.strip().splitlines()) == 1, err
    assert approved.read_text() == "the mixer's approved version\n"


def test_render_does_not_replace_a_read_only_wav(tmp_path, capsys):
    take = tmp_path / "take.wav"
    take.write_bytes(b"RIFF approved take")
    os.chmod(take, 0o444)
    code, _, err = _run(["render", "light rain", "--seconds", "0.1", "-o", str(take)], capsys)
    assert code == 2 and "read-only" in err and len(err.strip().splitlines()) == 1, err
    assert take.read_bytes() == b"RIFF approved take"


def test_in_place_keeps_the_files_permissions(tmp_path, capsys):
    cut = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, cut)
    os.chmod(cut, 0o664)
    code, _, err = _run(["otio", "fill", str(cut), "--in-place", "--placeholder", "--quiet",
                         "--media-dir", str(tmp_path / "m")], capsys)
    assert code == 0, err
    assert cut.read_bytes() != PREMIERE.read_bytes()
    assert _mode(cut) == 0o664


def test_a_read_only_second_lane_edl_is_not_replaced_and_nothing_is_written(tmp_path, capsys):
    """An EDL holds one audio track, so a second SceneFill lane goes to NAME-A2.edl; the
    editor locked the A2 list from an earlier pass. The fill stops before writing anything."""
    film = ROOT / "examples" / "short_film.otio"
    locked = tmp_path / "film-A2.edl"
    locked.write_text("TITLE: the approved A2 list\n")
    os.chmod(locked, 0o444)
    code, _, err = _run(["otio", "fill", str(film), "-o", str(tmp_path / "film.edl"), "--placeholder",
                         "--quiet", "--media-dir", str(tmp_path / "m")], capsys)
    assert code == 2 and "read-only" in err and "film-A2.edl" in err and len(err.strip().splitlines()) == 1, err
    assert locked.read_text() == "TITLE: the approved A2 list\n"
    assert not (tmp_path / "film.edl").exists()
