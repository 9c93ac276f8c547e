"""Run by tests/test_two_core_render.py in a fresh, single-threaded interpreter (as the CLI is):
render a note with ``processes=2`` while doing one bad thing to the helper process, then print
what happened as one JSON line. Usage: two_core_script.py MODE NOTE SECONDS OUT"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # as the CLI sets it: no BLAS pool, one thread

import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from scenefill.engine import layer_split  # noqa: E402
from scenefill.engine.api import render_to_file  # noqa: E402
from scenefill.engine.models.base import SoundModel  # noqa: E402
from scenefill.engine.request import RenderRequest  # noqa: E402

mode, note, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
PARENT = os.getpid()
layer_split._machine_busy = lambda: False  # the tests fork whatever else the machine is doing
seen: dict = {"helpers": [], "split": []}

_init = layer_split.LayerHelper.__init__


def _spy_init(self, models, indices, like, block):
    _init(self, models, indices, like, block)
    seen["helpers"].append(self.pid)
    seen["split"].append(list(indices))


layer_split.LayerHelper.__init__ = _spy_init

if mode == "raise":  # a model fails in the helper, a few blocks in
    _next = SoundModel.next_block

    def _failing(self, n):
        if os.getpid() != PARENT and self.block_index >= 5:
            raise ValueError(f"{type(self).__name__} cannot render block {self.block_index}")
        return _next(self, n)

    SoundModel.next_block = _failing
elif mode in ("kill", "stop", "orphan"):
    # the helper is killed (the OOM killer) or stopped (SIGSTOP); or this process is killed
    _blocks = layer_split.LayerHelper.blocks
    layer_split.STALL_TIMEOUT_S = 1.0

    def _blocks_after_signal(self):
        if not getattr(self, "_signalled", False):
            self._signalled = True
            if mode == "orphan":
                print(json.dumps({"helper": self.pid}), flush=True)
                os.kill(PARENT, signal.SIGKILL)
            os.kill(self.pid, signal.SIGKILL if mode == "kill" else signal.SIGSTOP)
        return _blocks(self)

    layer_split.LayerHelper.blocks = _blocks_after_signal

calls = {"n": 0}


def cancel() -> bool:  # "cancel": the user cancels once the helper runs
    calls["n"] += 1
    return mode == "cancel" and bool(seen["helpers"]) and calls["n"] > 10


error = None
try:
    render_to_file(RenderRequest(note=note, n_samples=int(seconds * 48000)), out,
                   processes=2, cancel=cancel)
except BaseException as exc:  # noqa: BLE001 - reported to the test
    error = {"type": type(exc).__name__, "message": str(exc), "notes": getattr(exc, "__notes__", [])}
try:
    left = os.waitpid(-1, os.WNOHANG)  # a child still running, or one never reaped
    children = "running" if left == (0, 0) else "unreaped"
except ChildProcessError:
    children = "none"
print(json.dumps({"error": error, "children": children, **seen}))
