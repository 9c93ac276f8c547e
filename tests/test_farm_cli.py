"""``scenefill farm fill`` and ``scenefill otio fill --ray`` from the command line (local Ray)."""

from __future__ import annotations

import importlib.util

import pytest

from farm_impl import attempts
from farm_support import generated_clips, marker_timeline, media_files, start_local_ray, write_timeline
from scenefill.cli import main as scenefill_main

pytest.importorskip("ray", reason="the farm extra is not installed (pip install 'scenefill[farm]')")

REEL1 = {"rain": "light rain on a tin roof", "wind": "wind in pine trees"}
REEL2 = {"room": "quiet office room tone", "rain": "light rain on a tin roof"}   # one shared request


@pytest.fixture(scope="module", autouse=True)
def local_ray(tmp_path_factory):
    cluster = start_local_ray(tmp_path_factory.mktemp("attempts"))
    yield cluster
    cluster.shutdown()


def run(args, capsys):
    code = scenefill_main(args)
    out, err = capsys.readouterr()
    return code, out, err


def reels(tmp_path, **extra):
    d = tmp_path / "reels"
    d.mkdir()
    paths = [write_timeline(marker_timeline(REEL1, name="r1"), d / "r1.otio"),
             write_timeline(marker_timeline(REEL2, name="r2"), d / "r2.otio")]
    for name, notes in extra.items():
        paths.append(write_timeline(marker_timeline(notes, name=name), d / f"{name}.otio"))
    return [str(p) for p in paths]


def test_farm_fill_renders_every_reel_as_one_job_with_a_table_per_reel(tmp_path, capsys):
    code, out, err = run(["farm", "fill", *reels(tmp_path), "-o", str(tmp_path / "out")], capsys)
    assert code == 0, err
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("r")}
    assert lines["r1.otio"][1:5] == ["2", "2", "0", "0"]          # notes rendered cached failed
    assert lines["r2.otio"][1:5] == ["2", "2", "0", "0"]
    assert "2 reel(s), 4 note(s)" in out and "[ray]" in out
    assert sorted(generated_clips(tmp_path / "out" / "r1.otio")) == ["rain", "wind"]
    assert sorted(generated_clips(tmp_path / "out" / "r2.otio")) == ["rain", "room"]
    # the shared request is one file, used by both reels
    assert len(media_files(tmp_path / "out" / "media")) == 3



def test_farm_rerun_is_all_cache_hits(tmp_path, capsys):
    paths = reels(tmp_path)
    assert run(["farm", "fill", *paths, "-o", str(tmp_path / "out"), "--quiet"], capsys)[0] == 0
    before = media_files(tmp_path / "out" / "media")
    code, out, _ = run(["farm", "fill", *paths, "-o", str(tmp_path / "out")], capsys)
    assert code == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("r")}
    assert lines["r1.otio"][2:4] == ["0", "2"] and lines["r2.otio"][2:4] == ["0", "2"]
    assert media_files(tmp_path / "out" / "media") == before


def test_farm_names_each_failed_note_by_reel_and_marker_and_writes_the_rest(tmp_path, capsys):
    paths = reels(tmp_path, r3={"glass": "always crash: glass shatters", "hum": "fridge hum"})
    bad = tmp_path / "reels" / "broken.otio"
    bad.write_text("not a timeline")
    code, out, err = run(["farm", "fill", *paths, str(bad), "-o", str(tmp_path / "out"),
                          "--retries", "1", "--render-impl", "farm_impl:render"], capsys)
    assert code == 1
    assert "r3.otio 01:00:00:00 glass @ clip 'sh_glass'" in err
    assert "worker died on each of 2 tries" in err
    assert "broken.otio: not filled: cannot read" in err
    assert "1 note(s) failed after retries" in err
    assert attempts("always crash: glass shatters") == 2
    assert sorted(generated_clips(tmp_path / "out" / "r3.otio")) == ["hum"]
    assert (tmp_path / "out" / "r1.otio").exists() and not (tmp_path / "out" / "broken.otio").exists()


def test_two_reels_with_one_name_are_refused(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    pa = write_timeline(marker_timeline(REEL1), a / "reel.otio")
    pb = write_timeline(marker_timeline(REEL2), b / "reel.otio")
    code, _, err = run(["farm", "fill", str(pa), str(pb), "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "two reels are named reel.otio" in err
    assert not (tmp_path / "out").exists()


def test_otio_fill_with_ray_flag_and_with_the_variable(tmp_path, capsys, monkeypatch):
    src = write_timeline(marker_timeline(REEL1), tmp_path / "reel.otio")
    code, out, err = run(["otio", "fill", str(src), "-o", str(tmp_path / "a.otio"), "--ray"], capsys)
    assert code == 0, err
    assert "2 rendered" in out and "[ray]" in out
    monkeypatch.setenv("SCENEFILL_RAY", "local")
    code, out, err = run(["otio", "fill", str(src), "-o", str(tmp_path / "a.otio")], capsys)
    assert code == 0 and "2 cached" in out and "[ray]" in out


def test_bad_ray_options_are_one_line_errors(tmp_path, capsys, monkeypatch):
    src = write_timeline(marker_timeline(REEL1), tmp_path / "reel.otio")
    out = str(tmp_path / "o.otio")
    code, _, err = run(["otio", "fill", str(src), "-o", out, "--ray=reel.otio"], capsys)
    assert code == 2 and "is not a Ray address" in err
    monkeypatch.setenv("SCENEFILL_RAY", "farm head")
    code, _, err = run(["otio", "fill", str(src), "-o", out], capsys)
    assert code == 2 and "SCENEFILL_RAY: 'farm head' is not a Ray address" in err
    code, _, err = run(["otio", "fill", str(src), "-o", out, "--ray", "--server", "localhost:1"], capsys)
    assert code == 2 and "give --server or --ray, not both" in err
    assert not (tmp_path / "o.otio").exists()


def test_ray_without_the_farm_extra_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    src = write_timeline(marker_timeline(REEL1), tmp_path / "reel.otio")
    code, _, err = run(["otio", "fill", str(src), "-o", str(tmp_path / "o.otio"), "--ray"], capsys)
    assert code == 2 and "pip install 'scenefill[farm]'" in err
    code, _, err = run(["farm", "fill", str(src), "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "pip install 'scenefill[farm]'" in err
    assert not (tmp_path / "o.otio").exists() and not (tmp_path / "out").exists()


def test_otio_conform_with_ray(tmp_path, capsys):
    src = write_timeline(marker_timeline(REEL1), tmp_path / "cut1.otio")
    filled = tmp_path / "cut1.filled.otio"
    assert run(["otio", "fill", str(src), "-o", str(filled), "--quiet"], capsys)[0] == 0
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(str(filled))
    tl.tracks[0][1].markers[0].comment = "strong wind in pine trees"
    recut = tmp_path / "cut2.otio"
    otio.adapters.write_to_file(tl, str(recut))
    code, out, err = run(["otio", "conform", str(recut), "-o", str(tmp_path / "cut2.conformed.otio"),
                          "--ray"], capsys)
    assert code == 0, err
    assert "1 regenerated" in out and "1 render(s), 0 cached" in out
