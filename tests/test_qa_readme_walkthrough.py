"""QA story (r8): a new user follows README.md word by word on a fresh clone.

Each test is one thing that went wrong on that walk. They fail on the defect and pass once it is
fixed; none of them needs a GPU, Resolve or the network.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scenefill.engine import vocab_model
from scenefill.engine.api import parse_note, request_key
from scenefill.engine.request import RenderRequest

SCENEFILL = Path(sys.executable).parent / "scenefill"

#: a two-event CMX3600 EDL, as an assistant editor exports it (clip names carry the take in brackets)
EDL = """TITLE:   QA_REEL
FCM: NON-DROP FRAME

001  AX       V     C        01:00:00:00 01:00:04:00 01:00:00:00 01:00:04:00
* FROM CLIP NAME:  SH010 (TAKE3)
002  AX       V     C        01:00:10:00 01:00:15:00 01:00:04:00 01:00:09:00
* FROM CLIP NAME:  SH020 (TAKE1)
"""


def _run(args: list[str], cwd: Path, seconds: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCENEFILL), *args], cwd=cwd, capture_output=True, text=True, timeout=seconds)


@pytest.fixture
def reel(tmp_path: Path) -> Path:
    path = tmp_path / "reel1.edl"
    path.write_text(EDL)
    return path


def test_quitting_a_pager_early_prints_no_error(tmp_path):
    """`scenefill eval --list | head -1` (or `scenefill info F | head`): the reader closing the pipe
    is the user's choice, not a failure; cat, grep and git stay silent there. SceneFill printed
    'scenefill: output: Broken pipe' and exited 2."""
    proc = subprocess.Popen([str(SCENEFILL), "eval", "--list"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()                      # what `head -1` does after its line
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert "Broken pipe" not in err, err
    assert code in (0, 141, -13), code       # success, or the shell's SIGPIPE status


def test_eval_score_of_a_missing_file_says_it_does_not_exist(tmp_path):
    """`scenefill eval score take.wav --expect Rain` with a typo in the name: the line must say the
    file does not exist, as `scenefill info` does, not libsndfile's 'System error'."""
    proc = _run(["eval", "score", "nothere.wav", "--expect", "Rain"], tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "System error" not in proc.stderr and "no such file" in proc.stderr.lower(), proc.stderr


def test_the_edl_conversion_note_does_not_promise_the_picture_edl_back(reel, tmp_path):
    """README: for `-o NAME.edl` 'your picture EDL is never rewritten' (an audio-only EDL is
    written). The note printed when an EDL is converted to .otio told the user the opposite:
    '(write .edl to get your own file back with the SceneFill track added)'."""
    notes = tmp_path / "notes.csv"
    notes.write_text("SH010 (TAKE3),light rain on a window\n")
    proc = _run(["otio", "fill", str(reel), "--rate", "24", "-o", "reel1.filled.otio", "--notes", str(notes),
                 "--from", "clips", "--placeholder"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "own file back" not in proc.stderr, proc.stderr


def test_a_notes_file_line_that_names_no_clip_is_reported(reel, tmp_path):
    """An editor types the clip name without its bracketed take ('SH020' for 'SH020 (TAKE1)'). The
    note for SH020 was dropped without a word (the run said nothing about it); a sidecar line that
    matches no clip must be named in the run's output."""
    notes = tmp_path / "notes.csv"
    notes.write_text("SH010 (TAKE3),light rain on a window\nSH020,a busy street\n")
    proc = _run(["otio", "fill", str(reel), "--rate", "24", "-o", "reel1.filled.otio", "--notes", str(notes),
                 "--from", "clips", "--placeholder"], tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    said = (proc.stdout + proc.stderr).replace("SH020 (TAKE1)", "")   # the clip's own name proves nothing
    assert "SH020" in said, proc.stdout + proc.stderr


def test_a_file_name_changes_when_the_installed_matcher_reads_the_note_differently(monkeypatch):
    """Media files are named by the request's hash under the engine version, so `otio fill` reuses
    them and a Ray worker's file is taken as the driver's. With the `vocab` extra installed,
    'an aircraft cabin in flight, the engines droning' adds an hvac layer (and 'Marker 1' a
    clock): the same request then renders different audio under the same name, on two farm nodes
    or before and after `pip install .[vocab]`. The key must change with the reading."""
    note = "an aircraft cabin in flight, the engines droning"
    request = RenderRequest(note=note, n_samples=48000 * 8)
    monkeypatch.setattr(vocab_model, "available", lambda: False)
    plain = ([layer["model"] for layer in parse_note(note)["layers"]], request_key(request))
    monkeypatch.undo()
    if not vocab_model.available():
        pytest.skip("needs the vocab extra (make test installs it)")
    embedded = ([layer["model"] for layer in parse_note(note)["layers"]], request_key(request))
    assert plain[0] != embedded[0], "the matchers agree on this note now: pick another note"
    assert plain[1] != embedded[1], f"same file name for {plain[0]} and {embedded[0]}"


@pytest.mark.parametrize("note", ["a lonely lighthouse on a cliff at night", "a farmhouse porch at night"])
def test_night_away_from_a_town_brings_no_traffic(note, monkeypatch):
    """README: 'a night outdoors (crickets and frogs)'. The scene word 'night' implied city traffic
    whatever the setting, so a lighthouse on a cliff or a farmhouse porch at night got cars
    passing by (with or without the vocab extra). A night with no town in the note is not traffic."""
    monkeypatch.setattr(vocab_model, "available", lambda: False)   # the keyword rules alone
    models = [layer["model"] for layer in parse_note(note)["layers"]]
    assert "traffic" not in models, models


def test_a_timeline_output_in_a_folder_that_does_not_exist_is_refused_like_a_render(tmp_path):
    """`scenefill render ... -o /typo/x.wav` says 'directory does not exist' (exit 2). `otio fill
    cut.xml -o /typo/deeper/cut.filled.xml` instead created the whole path and its media folder (as
    root, even at the filesystem root) and reported success. Only the last folder of -o is made
    (`-o out/cut.filled.otio`, the README's own command); a path missing more is refused in one line."""
    cut = tmp_path / "cut.xml"
    cut.write_bytes((Path(__file__).parent / "data" / "timelines" / "premiere_example.xml").read_bytes())
    missing = tmp_path / "typo" / "deeper"
    proc = _run(["otio", "fill", str(cut), "-o", str(missing / "cut.filled.xml"), "--placeholder"], tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "does not exist" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "typo").exists()
