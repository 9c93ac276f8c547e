"""QA stories: `scenefill resolve install` / `uninstall` pointed at awkward Scripts folders.

The install writes only our own menu scripts, never waits on a pipe, never replaces a file it
did not write, and remembers the folder so `uninstall` from any directory finds what it wrote."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from scenefill.cli import main as scenefill_main
from scenefill.plugin.resolve.install import LUA_NAME, MENU


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def _run_bounded(args, seconds=30.0):
    """Run the CLI in a thread; a hang fails the test instead of stalling the suite."""
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("code", scenefill_main(args)), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"scenefill {' '.join(args)} did not return within {seconds} s"
    return result["code"]


def test_install_into_a_relative_folder_can_be_uninstalled_from_anywhere(home, monkeypatch, capsys):
    project = home / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert scenefill_main(["resolve", "install", "--scripts-dir", "Scripts"]) == 0
    edit = project / "Scripts" / "Edit"
    assert sorted(p.name for p in edit.iterdir()) == sorted([*MENU, LUA_NAME])
    monkeypatch.chdir(home)                 # a new terminal, somewhere else
    assert scenefill_main(["resolve", "uninstall"]) == 0
    out = capsys.readouterr().out
    assert "removed" in out
    assert list(edit.iterdir()) == []


def test_an_empty_scripts_dir_is_refused_not_taken_as_the_default(home, capsys):
    assert scenefill_main(["resolve", "install", "--scripts-dir", ""]) == 2
    err = capsys.readouterr().err
    assert "--scripts-dir" in err and len(err.strip().splitlines()) == 1
    assert not (home / "home").exists()       # nothing written into the per-user Resolve folder


def test_install_never_replaces_the_editors_own_script_of_the_same_name(home, capsys):
    edit = home / "Scripts" / "Edit"
    edit.mkdir(parents=True)
    mine = edit / "SceneFill - Conform.py"
    mine.write_text("print('my own conform')\n")
    assert scenefill_main(["resolve", "install", "--scripts-dir", str(home / "Scripts")]) == 2
    err = capsys.readouterr().err
    assert "SceneFill - Conform.py" in err and len(err.strip().splitlines()) == 1
    assert mine.read_text() == "print('my own conform')\n"
    assert sorted(p.name for p in edit.iterdir()) == ["SceneFill - Conform.py"]   # nothing half-installed


def test_install_again_replaces_its_own_scripts(home, capsys):
    scripts = home / "Scripts"
    assert scenefill_main(["resolve", "install", "--scripts-dir", str(scripts)]) == 0
    assert scenefill_main(["resolve", "install", "--scripts-dir", str(scripts)]) == 0
    assert sorted(p.name for p in (scripts / "Edit").iterdir()) == sorted([*MENU, LUA_NAME])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_a_named_pipe_with_a_script_name_is_refused_without_hanging(command, home, capsys):
    edit = home / "Scripts" / "Edit"
    edit.mkdir(parents=True)
    os.mkfifo(edit / "SceneFill - Conform.py")
    code = _run_bounded(["resolve", command, "--scripts-dir", str(home / "Scripts")])
    if command == "install":
        assert code == 2
        err = capsys.readouterr().err
        assert "SceneFill - Conform.py" in err and len(err.strip().splitlines()) == 1
    else:
        assert code == 0
    assert (edit / "SceneFill - Conform.py").exists()      # the pipe is left alone
