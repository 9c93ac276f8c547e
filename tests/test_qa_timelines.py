"""QA stories: an editor hands `scenefill otio fill` a damaged or hostile timeline or notes file.

Whatever arrives, the answer is one line and exit 2, never a traceback, and no output is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scenefill.cli import main as scenefill_main

ROOT = Path(__file__).resolve().parents[1]
PREMIERE = ROOT / "tests" / "data" / "timelines" / "premiere_example.xml"
FILM = ROOT / "examples" / "short_film.otio"


def fill(args, capsys):
    code = scenefill_main(["otio", "fill", *args, "--placeholder", "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_refusal(code, err):
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("value", ["1e400", "-1e400", "nan"])
def test_a_premiere_marker_at_an_infinite_frame_is_refused_in_one_line(value, tmp_path, capsys):
    """A hand-edited or corrupted XML whose marker sits at frame 1e400 (read as infinity)."""
    cut = tmp_path / "cut.xml"
    text = PREMIERE.read_text(encoding="utf-8")
    assert "<in>113</in>" in text
    cut.write_text(text.replace("<in>113</in>", f"<in>{value}</in>", 1), encoding="utf-8")
    out = tmp_path / "out.xml"
    code, _, err = fill([str(cut), "-o", str(out), "--media-dir", str(tmp_path / "m")], capsys)
    _one_line_refusal(code, err)
    assert "not a finite" in err and "cut.xml" in err
    assert not out.exists()


@pytest.mark.parametrize("value", ["Infinity", "NaN", "-Infinity"])
def test_an_otio_clip_with_an_infinite_time_is_refused_in_one_line(value, tmp_path, capsys):
    text = FILM.read_text(encoding="utf-8")
    assert '"value": 168.0' in text
    bad = tmp_path / "film.otio"
    bad.write_text(text.replace('"value": 168.0', f'"value": {value}', 1), encoding="utf-8")
    out = tmp_path / "out.otio"
    code, _, err = fill([str(bad), "-o", str(out), "--media-dir", str(tmp_path / "m")], capsys)
    _one_line_refusal(code, err)
    assert "not a finite" in err
    assert not out.exists()


def test_conform_refuses_a_previous_timeline_with_an_infinite_time(tmp_path, capsys):
    text = FILM.read_text(encoding="utf-8")
    bad = tmp_path / "previous.otio"
    bad.write_text(text.replace('"value": 168.0', '"value": Infinity', 1), encoding="utf-8")
    code = scenefill_main(["otio", "conform", str(FILM), "--previous", str(bad), "-o", str(tmp_path / "o.otio"),
                           "--quiet"])
    _, err = capsys.readouterr()
    _one_line_refusal(code, err)
    assert not (tmp_path / "o.otio").exists()


def test_a_notes_csv_with_one_enormous_cell_is_refused_in_one_line(tmp_path, capsys):
    """A notes file that is not really a CSV (a log, a binary dump): the csv module's field limit."""
    cut = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, cut)
    notes = tmp_path / "notes.csv"
    notes.write_text("a" * 200_000 + "\n", encoding="utf-8")
    out = tmp_path / "out.otio"
    code, _, err = fill([str(cut), "-o", str(out), "--notes", str(notes)], capsys)
    _one_line_refusal(code, err)
    assert "notes.csv" in err
    assert not out.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-1"])
def test_min_seconds_must_be_a_finite_length(value, tmp_path, capsys):
    """`--min-seconds nan` used to be taken (every comparison with NaN is false: nothing skipped)."""
    cut = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, cut)
    out = tmp_path / "out.xml"
    code, _, err = fill([str(cut), "-o", str(out), "--min-seconds", value], capsys)
    _one_line_refusal(code, err)
    assert "--min-seconds" in err
    assert not out.exists()
