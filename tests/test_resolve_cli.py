"""Resolve plugin: install/uninstall of the menu scripts, the menu scripts themselves, external scripting
(`scenefill resolve fill-markers|selected|conform`), and the free edition's Lua script (syntax, and its
logic on a plain-Lua mock against the real `scenefill` command)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from fake_resolve import install as install_fake
from fake_resolve import make_resolve
from scenefill.cli import main as scenefill_main
from scenefill.plugin.resolve.install import LUA_NAME, MENU
from scenefill.server.testing import DaemonProcess

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = ROOT / "plugin" / "resolve" / "lua-scripts" / LUA_NAME
SCENEFILL_EXE = Path(sys.executable).parent / "scenefill"
START, SPF = 86400, 2002


def lua_tools() -> tuple[str, str]:
    lua = next((shutil.which(n) for n in ("lua5.1", "luajit", "lua5.4", "lua") if shutil.which(n)), None)
    luac = next((shutil.which(n) for n in ("luac5.1", "luac5.4", "luac") if shutil.which(n)), None)
    if not lua or not luac:
        pytest.skip("no Lua interpreter (make test installs lua5.1)")
    return lua, luac


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with DaemonProcess(tmp_path_factory.mktemp("resolve-cli-daemon") / "out", workers=1) as d:
        yield d


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SCENEFILL_MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path


def cut():
    r, tl = make_resolve()
    tl.add_clip("sh010", 0, 96)
    tl.add_clip("sh020", 96, 144)
    tl.add_marker(0, "light rain on a window")
    tl.add_marker(96, "quiet office room tone", duration=72, color="Green")
    return r, tl


def test_install_writes_the_menu_scripts_and_uninstall_removes_only_them(home, capsys):
    scripts = home / "Fusion" / "Scripts"
    assert scenefill_main(["resolve", "install", "--scripts-dir", str(scripts)]) == 0
    out = capsys.readouterr().out
    edit = scripts / "Edit"
    names = sorted(p.name for p in edit.iterdir())
    assert names == sorted([*MENU, LUA_NAME])
    for name, job in MENU.items():
        text = (edit / name).read_text()
        compile(text, name, "exec")
        assert f"run({job!r}, globals())" in text and len(text.splitlines()) <= 15
        assert repr(str(ROOT / "src")) in text or "site-packages" in text     # where the package lives
    lua = (edit / LUA_NAME).read_text()
    assert f"[[{SCENEFILL_EXE}]]" in lua
    assert f"wrote {edit / LUA_NAME}" in out
    record = json.loads((home / "config" / "scenefill" / "resolve.json").read_text())
    assert record["scripts_dir"] == str(scripts) and record["scenefill"] == str(SCENEFILL_EXE)
    # the editor's own script with a SceneFill name is never removed
    foreign = edit / "SceneFill - Conform.py"
    foreign.write_text("print('my own conform')\n")
    assert scenefill_main(["resolve", "uninstall", "--scripts-dir", str(scripts)]) == 0
    assert sorted(p.name for p in edit.iterdir()) == ["SceneFill - Conform.py"]
    assert not (home / "config" / "scenefill" / "resolve.json").exists()


def test_installed_lua_script_compiles(home):
    _, luac = lua_tools()
    scripts = home / "Scripts"
    scenefill_main(["resolve", "install", "--scripts-dir", str(scripts)])
    for path in (LUA_SCRIPT, scripts / "Edit" / LUA_NAME):
        proc = subprocess.run([luac, "-p", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_installed_menu_script_runs_the_job_in_resolves_python(home, daemon, monkeypatch, capsys):
    """Run the written file as Resolve would: a script with the `resolve` global."""
    scripts = home / "Scripts"
    scenefill_main(["resolve", "install", "--scripts-dir", str(scripts), "--no-lua"])
    r, tl = cut()
    monkeypatch.setenv("SCENEFILL_SERVER", daemon.address)
    code = (scripts / "Edit" / "SceneFill - Fill From Markers.py").read_text()
    exec(compile(code, "SceneFill - Fill From Markers.py", "exec"), {"resolve": r, "__name__": "__main__"})
    out = capsys.readouterr().out
    assert "SceneFill: fill from markers on 'Cut 1' (23.976 fps): 2 placed, 2 rendered" in out
    assert [(i._start, i._duration) for i in tl.audio_track("SceneFill").items] == [(START, 96), (START + 96, 72)]
    # a refusal is one console line, no traceback
    r2, _ = make_resolve()
    exec(compile(code, "x.py", "exec"), {"resolve": r2})
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("SceneFill: no marker on timeline 'Cut 1' has a usable note")
    assert "Traceback" not in out


def test_external_scripting_runs_the_three_jobs(home, daemon, monkeypatch, capsys):
    r, tl = cut()
    install_fake(r, monkeypatch)
    monkeypatch.setenv("SCENEFILL_SERVER", daemon.address)
    assert scenefill_main(["resolve", "fill-markers", "--colors", "Green", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [row["note"] for row in report["rows"]] == ["quiet office room tone"]
    tl.move_marker(96, 100)
    assert scenefill_main(["resolve", "conform", "-q"]) == 0
    assert [(i._start, i._duration) for i in tl.audio_track("SceneFill").items] == [(START + 100, 72)]
    tl._playhead = START + 5
    assert scenefill_main(["resolve", "selected", "--note", "birdsong in a park", "-q"]) == 0
    capsys.readouterr()
    items = sorted((i._start, i._duration) for t in tl._tracks["audio"] if t.name.startswith("SceneFill")
                   for i in t.items)
    assert items == [(START, 96), (START + 100, 72)]


def test_external_scripting_on_the_free_edition_is_refused_with_exit_2(home, monkeypatch, capsys):
    r, tl = make_resolve(product="DaVinci Resolve")
    install_fake(r, monkeypatch)
    assert scenefill_main(["resolve", "fill-markers"]) == 2
    err = capsys.readouterr().err
    assert "external scripting needs DaVinci Resolve Studio" in err and "Fill From Markers (free)" in err


def test_lua_script_fills_from_markers_on_a_lua_mock(home):
    """The free-edition script's own logic (snapshot, plan, import, tracks, append, verify, stamps)."""
    lua, _ = lua_tools()
    env = dict(os.environ, SCENEFILL_EXE=str(SCENEFILL_EXE), SCENEFILL_MEDIA_DIR=str(home / "media"))
    env.pop("SCENEFILL_SERVER", None)
    proc = subprocess.run([lua, str(ROOT / "tests" / "lua" / "run_fill.lua"), str(LUA_SCRIPT)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    run1 = [r[1:6] for r in rows if r[0] == "RUN1"]
    assert [(r[0], r[1], int(r[2]), int(r[3])) for r in run1] == [
        ("SceneFill", "stereo", START, 96), ("SceneFill", "stereo", START + 96, 72),
        ("SceneFill 2", "stereo", START + 120, 48)]
    for r in run1:
        assert sf.info(r[4]).frames == int(r[3]) * SPF
    calls = [r[1:] for r in rows if r[0] == "CALLS"]
    assert calls == [["1", "1", "1"], ["1", "1", "2"]]                  # one import, one append; none on rerun
    assert [r[1:6] for r in rows if r[0] == "RUN2"] == run1
    stamps = {r[1]: r[2] if len(r) > 2 else "" for r in rows if r[0] == "MARKER"}
    assert all(stamps[k].startswith("scenefill:m-") for k in ("0", "96", "120")) and not stamps["200"]
    assert ["BIN", "SceneFill", "3", "true"] in rows
    assert "SceneFill: skipped: Blue marker 'unnamed' at 01:00:08:08: it has no note" in proc.stdout


def test_lua_plan_refusal_is_one_error_line(home, tmp_path):
    from scenefill.plugin.resolve.lua_bridge import run

    snap = {"project": "P", "timeline": "Cut 1", "fps": "23.976", "start_frame": 86400, "end_frame": 88800,
            "start_tc": "01:00:00:00", "markers": [], "tracks": [
                {"type": "audio", "index": 2, "name": "SceneFill", "locked": True, "items": []}]}
    (tmp_path / "s.json").write_text(json.dumps(snap))
    assert run(str(tmp_path / "s.json"), str(tmp_path / "p.plan")) == 2
    assert (tmp_path / "p.plan").read_text().startswith("ERROR\tthe SceneFill track (A2) is locked")
    snap["tracks"][0]["locked"] = False
    (tmp_path / "s.json").write_text(json.dumps(snap))
    run(str(tmp_path / "s.json"), str(tmp_path / "p.plan"))
    assert "no marker on timeline 'Cut 1' has a usable note" in (tmp_path / "p.plan").read_text()
