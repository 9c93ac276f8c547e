"""Hostile and careless input at the command line (issue 7): one clear line, exit 2, nothing lost.

Each story here broke before: a render replaced a device node, `otio fill X -o X` wrote over
its own timeline, a control character made `info` crash, and several bad values produced
tracebacks or were silently accepted.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from scenefill.cli import main
from scenefill.engine.api import read_provenance, render_to_file
from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import RenderRequest
from scenefill.engine.timecode_labels import check_drop_frame_label
from scenefill.engine.timing import frames_to_samples, parse_rate, timecode_to_frames
from scenefill.engine.wavio import BwfWriter, bext_chunk, ixml_document, provenance_from_ixml, read_chunks

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_TIMELINE = REPO / "examples" / "short_film.otio"


def refused(capsys, argv: list[str]) -> str:
    """Run the CLI in-process; assert exit 2 with exactly one line on stderr; return that line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def char_device(path: Path) -> Path:
    """A copy of /dev/full's node (writes to it fail) -- a stand-in for /dev/null."""
    full = os.stat("/dev/full")
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, full.st_rdev)
    except PermissionError:
        pytest.skip("mknod needs root (CAP_MKNOD); the FIFO and symlink cases still run")
    return path


# ------------------------------------------------------------------ where a file may be written


def test_a_device_node_target_is_refused_and_left_in_place(tmp_path, capsys):
    node = char_device(tmp_path / "full")
    line = refused(capsys, ["render", "rain", "--seconds", "1", "-o", str(node)])
    assert "character device" in line and "will not replace" in line
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert listing(tmp_path) == ["full"]  # no stray temporary file either


def test_a_dash_for_standard_output_is_refused_not_written_as_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = refused(capsys, ["render", "rain", "--seconds", "1", "-o", "-"])
    assert "standard output is not supported" in line
    assert listing(tmp_path) == []


def test_a_symlink_to_a_device_is_refused(tmp_path, capsys):
    node = char_device(tmp_path / "full")
    (tmp_path / "out.wav").symlink_to(node)
    line = refused(capsys, ["render", "rain", "--seconds", "1", "-o", str(tmp_path / "out.wav")])
    assert "links to" in line and "character device" in line
    assert (tmp_path / "out.wav").is_symlink() and stat.S_ISCHR(os.lstat(node).st_mode)


def test_a_fifo_target_is_refused_locally_and_before_asking_a_daemon(tmp_path, capsys):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    assert "FIFO" in refused(capsys, ["render", "rain", "--seconds", "1", "-o", str(fifo)])
    # the client's copy checks the same way, before it contacts the (here absent) daemon
    assert "FIFO" in refused(capsys, ["render", "rain", "--seconds", "1", "-o", str(fifo),
                                      "--server", "127.0.0.1:9"])
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_an_existing_regular_file_is_still_replaced(tmp_path):
    out = tmp_path / "take.wav"
    out.write_bytes(b"old take")
    assert main(["render", "rain", "--seconds", "1", "-o", str(out), "-q"]) == 0
    assert sf.info(str(out)).frames == 48000


def test_the_atomic_writer_checks_again_before_publishing(tmp_path):
    """The target turns into a FIFO while the render runs: the writer refuses to rename over it."""
    out = tmp_path / "late.wav"

    def progress(fraction, stage):
        if stage == "rendering" and not out.exists():
            os.mkfifo(out)

    with pytest.raises(InvalidRequest, match="FIFO"):
        render_to_file(RenderRequest(note="rain", n_samples=48000), out, progress=progress)
    assert stat.S_ISFIFO(os.lstat(out).st_mode)
    assert listing(tmp_path) == ["late.wav"]


@pytest.fixture
def timeline(tmp_path) -> Path:
    path = tmp_path / "cut.otio"
    shutil.copyfile(EXAMPLE_TIMELINE, path)
    return path


@pytest.mark.parametrize("alias", ["same", "relative", "hardlink", "symlink"])
def test_otio_fill_never_writes_over_its_input_timeline(timeline, alias, capsys, monkeypatch):
    before = timeline.read_bytes()
    out = {"same": lambda: timeline,
           "relative": lambda: (monkeypatch.chdir(timeline.parent), Path("./sub/../cut.otio"))[1],
           "hardlink": lambda: (os.link(timeline, timeline.with_name("hard.otio")), timeline.with_name("hard.otio"))[1],
           "symlink": lambda: (timeline.with_name("sym.otio").symlink_to(timeline), timeline.with_name("sym.otio"))[1],
           }[alias]()
    if alias == "relative":
        (timeline.parent / "sub").mkdir()
    line = refused(capsys, ["otio", "fill", str(timeline), "-o", str(out), "--placeholder", "--quiet"])
    assert "is the input timeline" in line
    assert timeline.read_bytes() == before
    assert not (timeline.parent / "cut_media").exists() and not (timeline.parent / "hard_media").exists()


def test_otio_conform_never_writes_over_the_recut_or_the_previous_timeline(timeline, tmp_path, capsys):
    filled = tmp_path / "filled.otio"
    assert main(["otio", "fill", str(timeline), "-o", str(filled), "--placeholder", "--quiet"]) == 0
    capsys.readouterr()
    before = filled.read_bytes()
    assert "is the input timeline" in refused(capsys, ["otio", "conform", str(filled), "-o", str(filled), "--quiet"])
    assert "--previous timeline" in refused(capsys, ["otio", "conform", str(timeline), "--previous",
                                                      str(filled), "-o", str(filled), "--quiet"])
    assert filled.read_bytes() == before


# ------------------------------------------------------------------ metadata that stays readable

NASTY_NOTE = "rain on a tin roof\x00\x01\x07\x1b[31m and\x0b\x0c wind \ufffe <&> \"quoted\" 雨"


def test_control_characters_in_a_note_give_well_formed_ixml_that_info_reads(tmp_path, capsys):
    out = tmp_path / "nasty.wav"
    render_to_file(RenderRequest(note=NASTY_NOTE, n_samples=48000), out)
    root = ElementTree.fromstring(read_chunks(out)["iXML"])  # well-formed: parses strictly
    assert root.findtext("NOTE").startswith("rain on a tin roof\ufffd")
    assert read_provenance(out)["note"] == NASTY_NOTE  # the exact note travels in the provenance
    bext = read_chunks(out)["bext"]["description"]
    assert all(" " <= c <= "~" for c in bext) and bext.startswith("rain on a tin roof")
    assert main(["info", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["note"] == NASTY_NOTE


@settings(max_examples=300, deadline=None)
@given(note=st.text(st.characters(codec=None, exclude_categories=())
                    | st.sampled_from("\x00\x01\x0b\x1f\x7f\udcff\ud800\ufffe\uffff"), max_size=60))
def test_any_note_gives_well_formed_ixml_and_ascii_bext(note):
    """Every code point -- controls, NUL, lone surrogates, non-characters -- stays out of the XML."""
    prov = {"engine_version": "x", "note": note, "options": {"sample_rate": 48000, "bit_depth": 24}}
    doc = ixml_document(prov)
    ElementTree.fromstring(doc.encode("utf-8"))  # encodable and well-formed
    assert provenance_from_ixml(doc)["note"] == note
    description = bext_chunk(note, "SceneFill", "seed=0", time.gmtime(0), 0, "")[:256].rstrip(b"\0")
    assert all(32 <= b < 127 for b in description)


def test_control_characters_in_a_flac_note_keep_the_title_whole(tmp_path):
    out = tmp_path / "nasty.flac"
    render_to_file(RenderRequest(note=NASTY_NOTE, n_samples=48000, fmt="flac"), out)
    with sf.SoundFile(str(out)) as f:
        assert f.title.endswith("雨") and "\x00" not in f.title
    assert read_provenance(out)["note"] == NASTY_NOTE


def test_info_reads_a_file_written_before_controls_were_escaped(tmp_path, capsys):
    """Older renders carried a raw control character in <NOTE>; info still reads them."""
    prov = {"engine_version": "scenefill-engine/0.1.0", "note": "rain\x01", "seed": 3}
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n<BWFXML>\n<NOTE>rain\x01</NOTE>\n<USER>'
           + json.dumps({"scenefill": prov}) + "</USER>\n</BWFXML>\n")
    old = tmp_path / "old.wav"
    with open(old, "wb") as fh:
        writer = BwfWriter(fh, 48000, 1, 16, b"\0" * 602, doc)
        writer.close()
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(read_chunks(old)["iXML"])
    assert main(["info", str(old)]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 3


@pytest.mark.parametrize("damage", ["truncated", "bad-ixml", "garbage-flac"])
def test_info_on_a_damaged_file_is_one_line(tmp_path, capsys, damage):
    path = tmp_path / ("x.flac" if damage == "garbage-flac" else "x.wav")
    if damage == "garbage-flac":
        path.write_bytes(b"fLaC" + b"\x07" * 100)
    else:
        render_to_file(RenderRequest(note="rain", n_samples=4800), path)
        data = path.read_bytes()
        if damage == "truncated":
            data = data[:60]  # cut inside the bext chunk
        else:
            data = data.replace(b"<BWFXML>", b"<BWFXML><<", 1)
        path.write_bytes(data)
    line = refused(capsys, ["info", str(path)])
    assert line.startswith("scenefill: file:")


# ------------------------------------------------------------------ bad values: exit 2, one line, no file


def test_a_note_that_is_not_utf8_is_refused(tmp_path, capsys):
    note = os.fsdecode(b"rain on \xff\xfe a roof")  # what Python makes of a Latin-1 terminal's bytes
    out = tmp_path / "x.wav"
    assert "not valid UTF-8" in refused(capsys, ["render", note, "--seconds", "1", "-o", str(out)])
    assert "not valid UTF-8" in refused(capsys, ["render", note, "--seconds", "1", "-o", str(out),
                                                 "--server", "127.0.0.1:9"])
    assert listing(tmp_path) == []
    with pytest.raises(InvalidRequest, match="note"):
        render_to_file(RenderRequest(note=note, n_samples=4800), out)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "0", "-5"])
def test_max_seconds_must_be_a_positive_finite_number(tmp_path, capsys, value):
    out = tmp_path / "x.wav"
    line = refused(capsys, ["render", "rain", "--seconds", "1", "-o", str(out), f"--max-seconds={value}"])
    assert "max-seconds" in line
    assert listing(tmp_path) == []


def test_a_token_file_that_is_not_text_is_refused(tmp_path, capsys):
    token = tmp_path / "token"
    token.write_bytes(b"\xff\xfe\x00secret")
    line = refused(capsys, ["render", "rain", "--seconds", "1", "-o", str(tmp_path / "x.wav"),
                            "--server", "127.0.0.1:9", "--token-file", str(token)])
    assert line.startswith("scenefill: token-file:")
    assert listing(tmp_path) == ["token"]


def _run_with_file_size_limit(args: list[str], limit: int, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in a child whose writes fail past ``limit`` bytes (EFBIG): a full disk, deterministically."""
    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "scenefill", *args], capture_output=True, text=True,
                          cwd=cwd, preexec_fn=limit_writes, timeout=120)


@pytest.mark.parametrize("name", ["full.flac", "full.wav"])
def test_a_write_that_fails_midway_is_one_line_and_leaves_nothing(tmp_path, name):
    result = _run_with_file_size_limit(["render", "rain", "--seconds", "3", "-o", name], 50_000, tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and name in result.stderr
    assert listing(tmp_path) == []  # neither the file nor its temporary .part


def test_an_unknown_voice_is_refused_even_without_speech(tmp_path, capsys):
    line = refused(capsys, ["render", "gentle rain", "--seconds", "1", "--voice", "nobody",
                            "-o", str(tmp_path / "x.wav")])
    assert line.startswith("scenefill: voice: unknown voice 'nobody'")
    assert listing(tmp_path) == []


# ------------------------------------------------------------------ drop-frame labels that do not exist


@pytest.mark.parametrize("tc, rate, exists", [
    ("00:01:00;00", "29.97", False),
    ("00:01:00;01", "29.97", False),
    ("00:01:00;02", "29.97", True),
    ("00:10:00;00", "29.97", True),   # every tenth minute keeps its labels
    ("00:00:00;00", "29.97", True),
    ("01:59:00.01", "29.97", False),  # '.' is the other drop-frame separator
    ("00:01:01;00", "29.97", True),   # only second 00 of the minute drops labels
    ("00:01:00;03", "59.94", False),  # four labels at 59.94
    ("00:01:00;04", "59.94", True),
    ("00:01:00:00", "29.97", True),   # ':' is non-drop counting, where every label exists
    ("00:01:00:00", "25", True),
])
def test_drop_frame_labels_that_are_skipped_are_refused(tc, rate, exists):
    if exists:
        check_drop_frame_label(tc, parse_rate(rate))
    else:
        with pytest.raises(InvalidRequest, match="does not exist in drop-frame timecode"):
            check_drop_frame_label(tc, parse_rate(rate))


def test_the_cli_refuses_a_skipped_drop_frame_label(tmp_path, capsys):
    line = refused(capsys, ["render", "rain", "--tc-in", "00:01:00;00", "--tc-out", "00:01:01;00",
                            "--fps", "29.97", "-o", str(tmp_path / "x.wav")])
    assert line.startswith("scenefill: tc-in:") and "00:01:00;02" in line
    assert main(["render", "rain", "--tc-in", "00:01:00;02", "--tc-out", "00:01:01;00", "--fps", "29.97",
                 "-o", str(tmp_path / "x.wav"), "-q"]) == 0
    fps = parse_rate("29.97")
    start = timecode_to_frames("00:01:00;02", fps)
    assert sf.info(str(tmp_path / "x.wav")).frames == frames_to_samples(start, 28, fps, 48000)


def test_a_render_killed_with_sigkill_leaves_no_temp_file_after_the_next_render(tmp_path):
    """kill -9 (or a power cut) gives the writer no chance to delete its hidden temp file; the
    next render into the same folder removes what a dead SceneFill process left there, and
    nothing else: not another host's, not a live process's, not a fresh one, not the user's."""
    import subprocess
    import sys
    import time as _time

    from scenefill.engine import output_paths

    host = output_paths._HOST
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = _time.time() - 3600
    leftovers = {
        "dead": tmp_path / f".take.wav.sf{dead.pid}@{host}.x1.part",
        "other_host": tmp_path / f".take.wav.sf{dead.pid}@elsewhere-{host}.x2.part",
        "live": tmp_path / f".take.wav.sf{os.getppid()}@{host}.x3.part",
        "users": tmp_path / ".take.wav.x4.part",
        "fresh": tmp_path / f".take2.wav.sf{dead.pid}@{host}.x5.part",
    }
    for name, p in leftovers.items():
        p.write_bytes(b"x" * 10)
        if name != "fresh":
            os.utime(p, (old, old))
    result = subprocess.run([sys.executable, "-m", "scenefill", "render", "room tone", "--seconds", "0.1",
                             "-o", str(tmp_path / "take.wav")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert {n for n, p in leftovers.items() if p.exists()} == {"other_host", "live", "users", "fresh"}
    assert not list(tmp_path.glob(f".take.wav.sf{os.getpid()}*"))


@pytest.mark.parametrize("name", ["big.flac", "big.wav"])
def test_the_shell_s_file_size_limit_is_named_and_nothing_is_left(tmp_path, name):
    """`ulimit -f` set low (a render farm's sandbox): one line that says so, no file, no part."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200 * 1024, resource.RLIM_INFINITY))

    done = subprocess.run([str(Path(sys.executable).parent / "scenefill"), "render", "heavy rain", "--seconds", "60",
                           "-q", "-o", str(tmp_path / name)], capture_output=True, text=True, timeout=120,
                          preexec_fn=limit)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "file size limit" in done.stderr or "File too large" in done.stderr
    assert os.listdir(tmp_path) == []


def test_an_os_error_on_a_file_it_reads_is_not_blamed_on_the_output():
    from scenefill.cli import _names_output

    args = type("Args", (), {"output": "/tmp/renders/rain.wav"})()
    assert _names_output("/tmp/renders/.rain.wav.1234.part", args)
    assert not _names_output("/opt/scenefill/engine/wavio.py", args)


def test_a_missing_voice_file_is_named_as_missing(tmp_path, capsys):
    line = refused(capsys, ["render", "rain", "--seconds", "1", "--voice", str(tmp_path / "narrator.onnx"),
                            "-o", str(tmp_path / "x.wav")])
    assert "no such file" in line and "narrator.onnx" in line


@pytest.mark.parametrize("command", ["fill", "conform"])
def test_zero_or_negative_timeline_workers_are_refused(tmp_path, command):
    timeline = Path(__file__).parents[1] / "examples" / "short_film.otio"
    done = subprocess.run([str(Path(sys.executable).parent / "scenefill"), "otio", command, str(timeline),
                           "-o", str(tmp_path / "x.otio"), "--jobs", "0"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--jobs must be 1 or more" in done.stderr
    assert os.listdir(tmp_path) == []


def test_a_port_alone_for_the_server_asks_for_host_and_port(tmp_path, capsys):
    line = refused(capsys, ["render", "rain", "--seconds", "1", "--server", "50517", "-o", str(tmp_path / "x.wav")])
    assert "HOST:PORT" in line and "127.0.0.1:50517" in line
