"""Two render workers start a crowd scene at once on a fresh machine: the minutes of speech
material behind the walla are made by one of them, and the other reads the first one's file."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from scenefill.engine.cache_paths import made_once


def _worker(cache: str, out: str) -> None:
    import os

    os.environ["SCENEFILL_CACHE_DIR"] = cache
    target = Path(out) / "material.npy"
    with made_once("babble-normal"):
        if not target.exists():
            time.sleep(0.3)                              # the slow synthesis
            with open(Path(out) / "made.log", "a") as log:
                log.write("made\n")
            target.write_bytes(b"material")


def test_two_processes_make_the_same_material_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(str(tmp_path / "cache"), str(tmp_path))) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert (tmp_path / "made.log").read_text() == "made\n"


def test_without_a_writable_cache_the_work_is_only_done_twice(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(blocker))
    ran = []
    with made_once("x"):
        ran.append(1)
    assert ran == [1]
