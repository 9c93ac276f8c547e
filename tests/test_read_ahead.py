"""A render uses a second core for its layers, and that changes nothing an editor can hear.

The layers of block k+1 render on a helper thread while block k is mixed and written.
These tests hold the promise that makes that safe: the file is bit-identical to a
one-thread render, blocks come back in order, an error in a layer surfaces in the
render that hit it, and nothing keeps running after the render ends.
"""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from scenefill.engine.api import render_to_file
from scenefill.engine.errors import Cancelled
from scenefill.engine.read_ahead import ReadAhead, second_core_available
from scenefill.engine.request import RenderRequest


def _render_digest(tmp_path, name: str, **kw) -> str:
    path = tmp_path / f"{name}.wav"
    render_to_file(RenderRequest(**kw), path)
    samples, _ = sf.read(str(path), dtype="int32")  # the samples: the metadata holds the time of day
    return hashlib.sha256(samples.tobytes()).hexdigest()


@pytest.mark.parametrize("kw", [
    dict(note="heavy rain, gusty wind, city traffic, calm piano music", n_samples=48000 * 3 + 17),
    dict(note="<|caption|>rain on a tent<|asr|>We have to leave now.", n_samples=48000 * 4),
    dict(note="a door slams at 1.5s, footsteps on gravel", n_samples=48000 * 3, loop=True),
])
def test_two_threads_write_the_same_samples_as_one(tmp_path, monkeypatch, kw):
    """An editor re-rendering on a busier or a single-core machine gets the same file."""
    monkeypatch.setenv("SCENEFILL_RENDER_THREADS", "1")
    one = _render_digest(tmp_path, "one", **kw)
    monkeypatch.delenv("SCENEFILL_RENDER_THREADS")
    if not second_core_available():
        pytest.skip("one core: nothing to compare")
    assert _render_digest(tmp_path, "two", **kw) == one


def test_blocks_come_back_in_order_and_stop_at_the_limit():
    calls = []

    def produce():
        calls.append(threading.current_thread().name)
        return len(calls)

    with ReadAhead(produce, limit=5) as ahead:
        got = [ahead.next() for _ in range(5)]
        assert got == [1, 2, 3, 4, 5]
        time.sleep(0.05)
        assert len(calls) == 5, "nothing is produced past the limit behind the caller's back"
        assert ahead.next() == 6, "a caller that wants more still gets it, on its own thread"
    assert calls[-1] == threading.current_thread().name
    assert "scenefill-read-ahead" in calls[1]


def test_a_layer_that_fails_fails_the_render_and_is_not_called_again():
    calls = []

    def produce():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("model blew up")
        return len(calls)

    with ReadAhead(produce, limit=10) as ahead:
        assert ahead.next() == 1
        assert ahead.next() == 2
        with pytest.raises(RuntimeError, match="model blew up"):
            ahead.next()
    assert len(calls) == 3


def test_leaving_early_waits_for_the_block_in_flight():
    """A cancelled render must not leave a thread still rendering into its models."""
    finished = []

    def produce():
        time.sleep(0.05)
        finished.append(1)
        return 0

    with ReadAhead(produce, limit=100) as ahead:
        ahead.next()
    assert len(finished) == 2  # the one returned, and the one in flight when the caller left
    assert not [t for t in threading.enumerate() if t.name == "scenefill-read-ahead"]


def test_a_cancelled_render_leaves_no_thread_and_no_file(tmp_path):
    state = {"n": 0}

    def cancel():
        state["n"] += 1
        return state["n"] > 3

    out = tmp_path / "cancelled.wav"
    with pytest.raises(Cancelled):
        render_to_file(RenderRequest(note="rain", n_samples=48000 * 30), out, cancel=cancel)
    assert not out.exists()
    assert not [t for t in threading.enumerate() if t.name == "scenefill-read-ahead"]


def test_one_thread_when_asked(monkeypatch):
    monkeypatch.setenv("SCENEFILL_RENDER_THREADS", "1")
    assert not second_core_available()
    names = []
    with ReadAhead(lambda: names.append(threading.current_thread().name), limit=4,
                   threaded=second_core_available()) as ahead:
        for _ in range(4):
            ahead.next()
    assert set(names) == {threading.current_thread().name}
    assert np.all([n != "scenefill-read-ahead" for n in names])
