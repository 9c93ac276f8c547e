"""A render implementation for Ray workers in the farm tests (``render_impl="farm_impl:render"``).

Every call leaves an attempt file in ``$SCENEFILL_TEST_ATTEMPTS`` (so a test can count how
often a note was tried), then, by the note's words:

* ``crash once`` -- the first attempt renders, then kills its own worker process (SIGKILL)
  before returning, like a node running out of memory mid-job; the retry renders normally;
* ``always crash`` -- every attempt kills its worker;
* ``always fail`` -- every attempt raises, as an engine error would.

Anything else is the engine's own ``render_to_file``.
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

from scenefill.engine.api import render_to_file


def attempts_dir() -> Path:
    return Path(os.environ["SCENEFILL_TEST_ATTEMPTS"])


def note_tag(note: str) -> str:
    return hashlib.sha1(note.encode()).hexdigest()[:12]


def attempts(note: str) -> int:
    return len(list(attempts_dir().glob(note_tag(note) + ".*")))


def render(request, path, **kwargs):
    tag = note_tag(request.note)
    n = 0
    while True:                                   # a unique attempt file, even for concurrent tries
        try:
            fd = os.open(attempts_dir() / f"{tag}.{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.close(fd)
            break
        except FileExistsError:
            n += 1
    if "crash once" in request.note and n == 0:
        render_to_file(request, path, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    if "always crash" in request.note:
        os.kill(os.getpid(), signal.SIGKILL)
    if "always fail" in request.note:
        raise RuntimeError("the model refused this note")
    return render_to_file(request, path, **kwargs)
