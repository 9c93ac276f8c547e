"""An editor who mistypes a command gets one line back, the way every other refusal reads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scenefill.engine.caption import parse_caption


def scenefill(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenefill", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args", [
    ["render", "rain", "--frames", "1e10", "--fps", "24", "-o", "x.wav"],   # not an integer
    ["render", "rain", "--seconds", "1"],                                   # no -o
    ["otio", "fill"],                                                       # no timeline
    ["no-such-command"],
])
def test_a_usage_mistake_is_one_line_and_exit_2(args, tmp_path):
    done = subprocess.run([sys.executable, "-m", "scenefill", *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--help" in lines[0] and "usage:" not in done.stderr
    assert not list(tmp_path.iterdir())


def test_parse_refuses_the_note_render_would_refuse():
    done = scenefill("parse", "rain " * 2000)
    assert done.returncode == 2 and "longer than 8000" in done.stderr and not done.stdout


@pytest.mark.parametrize("line", ["[1e999s] hi", "@99999999999999999999 hi"])
def test_a_start_time_that_is_not_a_plain_number_is_not_half_read(line):
    """'[1e999s]' used to become a start of 1 s with the words 'e999s] hi'."""
    (spoken,) = parse_caption(f"<|asr|>{line}").asr
    assert spoken.start is None and spoken.text == line


def test_plain_start_times_still_read():
    assert [(l.text, l.start) for l in parse_caption("<|asr|>[2.5s] hello").asr] == [("hello", 2.5)]
    assert [(l.text, l.start) for l in parse_caption("<|asr|>at 3s: hello").asr] == [("hello", 3.0)]


@pytest.mark.parametrize("option", [["--seed", "-5"], ["--loudness", "inf"], ["--loudness", "3"]])
def test_otio_fill_refuses_a_seed_or_loudness_render_would_refuse(option, tmp_path):
    example = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "short_film.otio"
    done = subprocess.run([sys.executable, "-m", "scenefill", "otio", "fill", str(example), "-o",
                           str(tmp_path / "out.otio"), *option], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and option[0] in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_utf16_timeline_or_a_dangling_link_is_named_for_what_it_is(tmp_path):
    utf16 = tmp_path / "cut.xml"
    utf16.write_bytes('<?xml version="1.0" encoding="UTF-16"?><xmeml version="4"/>'.encode("utf-16"))
    loop = tmp_path / "loop.otio"
    loop.symlink_to(loop)
    for path, words in ((utf16, "not UTF-8"), (loop, "symbolic link")):
        done = scenefill("otio", "fill", str(path), "-o", str(tmp_path / "out.otio"))
        assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.xml", "loop.otio"]
