"""Resolve plugin: the progress window and note dialog (UIManager, Studio), and starting a daemon on request."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from fake_resolve import make_resolve
from scenefill.plugin.renderer import PlaceholderRenderer
from scenefill.plugin.resolve import fill_from_markers, render_selected_clip
from scenefill.server.testing import pid_alive

START = 86400


class FakeWidget:
    def __init__(self, props=None, children=None):
        self.props = dict(props or {})
        self.children = children or []
        self.Text = self.props.get("Text", "")


class FakeWindow:
    """Enough of a UIManager window: Find, Show/Hide, the On.<ID>.<Event> handler table."""

    def __init__(self, props, root):
        self.props, self.root, self.shown, self.texts = props, root, False, []

        class Handlers:
            def __getattr__(self, name):
                ns = type("NS", (), {})()
                object.__setattr__(self, name, ns)
                return ns
        self.On = Handlers()

    def _all(self, w):
        yield w
        for c in w.children:
            yield from self._all(c)

    def Find(self, ident):
        return next(w for w in self._all(self.root) if w.props.get("ID") == ident)

    def Show(self):
        self.shown = True

    def Hide(self):
        self.shown = False


class FakeUI:
    def __getattr__(self, kind):         # ui.VGroup, ui.Label, ui.LineEdit, ui.Button, ui.HGroup
        def make(props=None, children=None):
            if isinstance(props, list):
                return FakeWidget({}, props)
            return FakeWidget(props, children)
        return make


class FakeDispatcher:
    windows: list = []

    def __init__(self, ui, answer=None):
        self.answer = answer

    def AddWindow(self, props, root):
        w = FakeWindow(props, root)
        FakeDispatcher.windows.append(w)
        return w

    def RunLoop(self):                   # the editor types a note and clicks Render
        w = FakeDispatcher.windows[-1]
        w.Find("Note").Text = "rain on a tin roof"
        w.On.OK.Clicked(None)

    def ExitLoop(self):
        pass


class FakeBmd:
    def UIDispatcher(self, ui):
        return FakeDispatcher(ui)


class FakeFusion:
    UIManager = FakeUI()


def test_studio_shows_a_progress_window_and_asks_for_a_missing_note(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCENEFILL_MEDIA_DIR", str(tmp_path / "media"))
    FakeDispatcher.windows = []
    r, tl = make_resolve()
    r.Fusion = lambda: FakeFusion()
    tl.add_clip("sh010", 0, 96)
    tl._playhead = START + 3
    report = render_selected_clip(r, bmd=FakeBmd(), renderer=PlaceholderRenderer())
    assert report.ok and report.rows[0]["note"] == "rain on a tin roof"       # typed into the dialog
    titles = [w.props["WindowTitle"] for w in FakeDispatcher.windows]
    assert titles == ["SceneFill", "SceneFill: scene note"]
    progress = FakeDispatcher.windows[0]
    assert progress.Find("Status").Text and not progress.shown                # updated, then closed
    assert "SceneFill: selected clip on 'Cut 1'" in capsys.readouterr().out   # the console too


def test_no_daemon_but_autostart_starts_scenefill_serve(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SCENEFILL_SERVER", f"127.0.0.1:{port}")
    monkeypatch.setenv("SCENEFILL_AUTOSTART", "1")
    monkeypatch.setenv("SCENEFILL_EXE", str(Path(sys.executable).parent / "scenefill"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("SCENEFILL_MEDIA_DIR", str(tmp_path / "media"))
    r, tl = make_resolve()
    tl.add_clip("sh010", 0, 48)
    tl.add_marker(0, "light rain", duration=48)
    report = None
    try:
        report = fill_from_markers(r, quiet=True)
        assert report.ok and report.server == f"127.0.0.1:{port}"
        assert [(i._start, i._duration) for i in tl.audio_track("SceneFill").items] == [(START, 48)]
    finally:
        pid = None
        if report is not None:
            started = [w for w in report.warnings if "started `scenefill serve`" in w]
            assert started, report.warnings
            pid = int(started[0].split("pid ")[1].split(")")[0])
        if pid:
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid_alive(pid):
                os.killpg(pid, signal.SIGKILL)
    assert (tmp_path / "state" / "scenefill" / "serve.log").exists()
