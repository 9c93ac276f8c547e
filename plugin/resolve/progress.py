"""Progress for the editor: Resolve's console (print), and a small window where UIManager works."""

from __future__ import annotations

import sys
import time

from .edition import Edition


class Progress:
    """Lines for Resolve's console (Workspace > Console), at most one per 5 % of renders."""

    def __init__(self, quiet: bool = False, stream=None) -> None:
        self.quiet = quiet
        self.stream = stream
        self._last = -1.0
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)
        if not self.quiet:
            print(f"SceneFill: {text}", file=self.stream or sys.stdout, flush=True)

    def step(self, text: str) -> None:
        self.say(text)

    def rendered(self, done: int, total: int, note: str, status: str, error: str = "") -> None:
        if status == "failed":
            self.say(f"[{done}/{total}] failed: {note[:50]!r}: {error}")
            return
        frac = done / max(1, total)
        if done == total or frac - self._last >= 0.05 or total <= 20:
            self._last = frac
            self.say(f"[{done}/{total}] {status}: {note[:50]!r}")

    def close(self) -> None:
        pass


class WindowProgress(Progress):
    """Console lines plus a status window (UIManager: Studio, or free before 19.1)."""

    def __init__(self, resolve, bmd, quiet: bool = False) -> None:
        super().__init__(quiet)
        fusion = resolve.Fusion()
        ui = fusion.UIManager
        self._disp = bmd.UIDispatcher(ui)
        self._win = self._disp.AddWindow(
            {"ID": "SceneFillProgress", "WindowTitle": "SceneFill", "Geometry": [200, 200, 480, 90]},
            ui.VGroup([ui.Label({"ID": "Status", "Text": "Starting...", "WordWrap": True})]))
        self._label = self._win.Find("Status")
        self._win.Show()
        self._t = 0.0

    def say(self, text: str) -> None:
        super().say(text)
        now = time.monotonic()
        if now - self._t > 0.1:
            self._t = now
            try:
                self._label.Text = text
            except Exception:  # noqa: BLE001 - the editor closed the window
                pass

    def close(self) -> None:
        try:
            self._win.Hide()
        except Exception:  # noqa: BLE001
            pass


def make_progress(resolve, ed: Edition, bmd=None, quiet: bool = False) -> Progress:
    """A window where UIManager works and ``bmd`` was given (menu scripts), else console lines."""
    if bmd is not None and ed.ui_manager:
        try:
            return WindowProgress(resolve, bmd, quiet)
        except Exception:  # noqa: BLE001 - no UI in this context: the console will do
            pass
    return Progress(quiet)


def ask_note(resolve, ed: Edition, bmd, clip_name: str) -> str | None:
    """A small dialog asking for the clip's scene note; None when there is no UI or the editor cancels."""
    if bmd is None or not ed.ui_manager:
        return None
    try:
        ui = resolve.Fusion().UIManager
        disp = bmd.UIDispatcher(ui)
        win = disp.AddWindow(
            {"ID": "SceneFillNote", "WindowTitle": "SceneFill: scene note", "Geometry": [200, 200, 520, 120]},
            ui.VGroup([
                ui.Label({"Text": f"Scene note for '{clip_name}' (e.g. rain on a tin roof, distant thunder):"}),
                ui.LineEdit({"ID": "Note"}),
                ui.HGroup([ui.Button({"ID": "OK", "Text": "Render"}), ui.Button({"ID": "Cancel", "Text": "Cancel"})]),
            ]))
        answer: dict = {"note": None}

        def ok(ev):
            answer["note"] = win.Find("Note").Text
            disp.ExitLoop()

        def cancel(ev):
            disp.ExitLoop()

        win.On.OK.Clicked = ok
        win.On.Cancel.Clicked = cancel
        win.On.SceneFillNote.Close = cancel
        win.Show()
        disp.RunLoop()
        win.Hide()
        note = (answer["note"] or "").strip()
        return note or None
    except Exception:  # noqa: BLE001 - no UI after all
        return None
