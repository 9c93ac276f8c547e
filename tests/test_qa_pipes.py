"""QA story: a script passes a named pipe (or a device) where a file is expected: the timeline,
`--notes`, `--previous`, a token file. Nothing may wait for a writer that never comes: one line,
exit 2, at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scenefill.cli import main as scenefill_main

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")

ROOT = Path(__file__).resolve().parents[1]
PREMIERE = ROOT / "tests" / "data" / "timelines" / "premiere_example.xml"
SCENEFILL = Path(sys.executable).parent / "scenefill"


def _run_bounded(args, capsys=None, seconds=30.0):
    """Run the real command in a process; one that waits on the pipe is killed and fails the test
    (OTIO's C++ reader blocks holding the GIL, so a thread could not be abandoned)."""
    try:
        proc = subprocess.run([str(SCENEFILL), *args], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"scenefill {' '.join(args)} waited on a named pipe")
    return proc.returncode, proc.stderr


@pytest.fixture
def cut(tmp_path) -> Path:
    path = tmp_path / "cut.xml"
    shutil.copyfile(PREMIERE, path)
    return path


def test_a_pipe_as_the_timeline_is_refused(tmp_path, capsys):
    pipe = tmp_path / "pipe.xml"
    os.mkfifo(pipe)
    code, err = _run_bounded(["otio", "fill", str(pipe), "-o", str(tmp_path / "o.otio"), "--placeholder"], capsys)
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1, err


def test_a_pipe_as_the_notes_file_is_refused(cut, tmp_path, capsys):
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    code, err = _run_bounded(["otio", "fill", str(cut), "-o", str(tmp_path / "o.otio"), "--notes", str(pipe),
                              "--placeholder"], capsys)
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1, err


def test_a_pipe_as_the_previous_timeline_is_refused(cut, tmp_path, capsys):
    pipe = tmp_path / "pipe.otio"
    os.mkfifo(pipe)
    code, err = _run_bounded(["otio", "conform", str(cut), "-o", str(tmp_path / "o.otio"), "--previous", str(pipe)],
                             capsys)
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1, err


def test_a_pipe_as_the_render_token_file_is_refused(tmp_path, capsys):
    pipe = tmp_path / "pipe.token"
    os.mkfifo(pipe)
    code, err = _run_bounded(["render", "rain", "--seconds", "1", "-o", str(tmp_path / "r.wav"),
                              "--server", "127.0.0.1:1", "--token-file", str(pipe)], capsys)
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1, err


def test_a_pipe_as_the_daemon_token_file_is_refused(tmp_path, capsys):
    pipe = tmp_path / "pipe.token"
    os.mkfifo(pipe)
    code, err = _run_bounded(["serve", "--port", "0", "--token-file", str(pipe),
                              "--output-dir", str(tmp_path / "renders")], capsys)
    assert code == 2 and "not a regular file" in err, err


@pytest.mark.parametrize("content", [b"0123456789abcdef\xff\xfe", "jeton-s\u00e9curis\u00e9-tr\u00e8s-long".encode()],
                         ids=["not UTF-8", "not ASCII"])
def test_serve_refuses_a_token_no_client_could_send(content, tmp_path):
    """The CLI client refuses a token that is not printable ASCII (it travels as an HTTP/2 header);
    the daemon took such a token (or crashed on a non-UTF-8 file) and then refused every call."""
    token = tmp_path / "token"
    token.write_bytes(content)
    code, err = _run_bounded(["serve", "--port", "0", "--token-file", str(token),
                              "--output-dir", str(tmp_path / "renders")])
    assert code == 2 and "Traceback" not in err, err
    assert "--token-file" in err and len(err.strip().splitlines()) == 1, err
