"""The command line as a new user meets it: good renders, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import read
from scenefill.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenefill", *args], capture_output=True, text=True)


def test_render_rain_at_exactly_47_seconds(tmp_path):
    out = tmp_path / "rain.wav"
    assert main(["render", "heavy rain on a tin roof, distant thunder", "--seconds", "47",
                 "-o", str(out), "-q"]) == 0
    audio, sr = read(out)
    assert sr == 48000 and audio.shape == (2, 47 * 48000)


@pytest.mark.parametrize("args, samples", [
    (["--samples", "12345"], 12345),
    (["--frames", "24", "--fps", "23.976"], 48048),
    (["--frames", "30", "--fps", "24000/1001"], 60060),
    (["--frames", "5", "--fps", "29.97"], 8008),
    (["--tc-in", "01:00:00:00", "--tc-out", "01:00:01:00", "--fps", "25"], 48000),
    (["--tc-in", "00:59:59;28", "--tc-out", "01:00:00;02", "--fps", "29.97"], 6406),
])
def test_every_length_form_is_exact(tmp_path, args, samples):
    out = tmp_path / "x.wav"
    assert main(["render", "room tone", *args, "-o", str(out), "-q"]) == 0
    assert read(out)[0].shape[1] == samples


def test_options_reach_the_file(tmp_path):
    out = tmp_path / "x.flac"
    assert main(["render", "gentle wind", "--seconds", "1", "--sample-rate", "44100", "--channels", "1",
                 "--seed", "3", "--preset", "streaming", "--handles", "0.5", "-o", str(out), "-q"]) == 0
    audio, sr = read(out)
    assert sr == 44100 and audio.shape == (1, 2 * 44100)
    info = json.loads(run("info", str(out)).stdout)
    assert info["seed"] == 3 and info["options"]["loudness"] == -16.0


def test_parse_prints_the_understood_caption():
    result = run("parse", "<|caption|>a forest at dawn<|asr|>Over here!")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["caption"]["asr"][0]["text"] == "Over here!"
    assert data["layers"]


BAD = [
    (["", "--seconds", "1"], "note"),
    (["rain", "--seconds", "0"], "length"),
    (["rain", "--seconds", "-3"], "length"),
    (["rain", "--seconds", "99999"], "length"),
    (["rain", "--seconds", "20", "--max-seconds", "10"], "length"),
    (["rain", "--frames", "10", "--fps", "23.5"], "fps"),
    (["rain", "--seconds", "1", "--sample-rate", "22050"], "sample_rate"),
    (["<|caption|>rain<|smell|>wet dog", "--seconds", "1"], "note"),
    (["rain", "--seconds", "1", "--voice", "nobody"], "voice"),
    (["rain", "--frames", "10"], "fps"),
    (["rain"], "length"),
    (["rain", "--tc-in", "01:00:01:00", "--tc-out", "01:00:00:00", "--fps", "25"], "tc-out"),
]


@pytest.mark.parametrize("args, field", BAD)
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, args, field):
    note, *rest = args
    if note == "rain" and field == "voice":
        note = '<|caption|>rain<|asr|>Hello'
    out = tmp_path / "bad.wav"
    result = run("render", note, *rest, "-o", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_refused(tmp_path):
    result = run("render", "rain", "--seconds", "1", "-o", str(tmp_path / "missing" / "x.wav"))
    assert result.returncode == 2 and "output" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_info_on_a_non_scenefill_file_is_a_clear_error(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("hello")
    result = run("info", str(other))
    assert result.returncode == 2 and "file" in result.stderr


@pytest.mark.parametrize("tc_in, tc_out, fps, handles, expected", [
    ("01:00:10:00", "01:00:12:00", "25", None, 3610 * 48000),
    ("01:00:10:00", "01:00:12:00", "25", "1", 3609 * 48000),                    # the head handle comes first
    ("00:01:00;02", "00:01:02;00", "29.97", None, round(1800 * 1001 / 30000 * 48000)),  # drop frame: frame 1800
])
def test_a_range_rendered_from_its_timecode_carries_its_bwf_timestamp(tmp_path, capsys, tc_in, tc_out, fps, handles,
                                                                     expected):
    """A sound editor spots the file by its BWF TimeReference: it must be where the range's first
    sample sits on the editor's timeline (less the head handle)."""
    out = tmp_path / "x.wav"
    argv = ["render", "light rain", "--tc-in", tc_in, "--tc-out", tc_out, "--fps", fps, "-q", "-o", str(out)]
    assert main(argv + (["--handles", handles] if handles else [])) == 0
    main(["info", str(out)])
    info = json.loads(capsys.readouterr().out)
    assert info["bext"]["time_reference"] == expected
