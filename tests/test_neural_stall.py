"""A neural batch that hangs does not wedge the daemon (the GPU path's watchdog).

The story: the daemon renders neural requests in batches on a GPU. One night the
driver stalls in the middle of a batch (or a pipeline deadlocks). The requests in
that batch must fail with a message that names the stall instead of waiting for
ever; the requests behind it must not queue behind a call that never returns;
health must say the backend cannot serve; and when the device comes back (or on
another device) renders go on. A slow batch that keeps making progress is not a
stall, however long it takes.
"""

from __future__ import annotations

import threading
import time

import grpc
import numpy as np
import pytest

from scenefill.engine.backends import Backend, WindowJob
from scenefill.engine.backends.steps import step_done
from scenefill.server.neural_queue import NeuralService, WindowBatcher
from scenefill.server.neural_stall import BackendStalled, StallPolicy

#: a batch of this fake backend may be silent for 0.4 s + 0.02 s x 10 steps x windows
QUICK = StallPolicy(base_s=0.4, per_step_s=0.02)
WALL = 20.0     # a hang fails the test instead of stalling the suite


class GPUBackend(Backend):
    """A fake model: ten denoising steps per batch, each reported; a wedged device blocks mid-batch."""

    name = "fake-gpu"
    sample_rate = 100
    window_samples = 8
    channels = 1
    max_batch = 4
    steps = 10

    def __init__(self, device: str = "cuda:0", step_s: float = 0.0) -> None:
        self.device = device
        self.step_s = step_s
        self.driver = threading.Event()      # set: the driver answers; clear: every call stalls
        self.driver.set()
        self.calls = 0

    def render_windows(self, jobs):
        self.calls += 1
        for _ in range(self.steps):
            self.driver.wait()                # a stalled driver: this never returns while it is clear
            time.sleep(self.step_s)
            step_done()
        return [np.full((1, 8), float(j.seed)) for j in jobs]


def jobs(*seeds: int) -> list[WindowJob]:
    return [WindowJob("rain", s, i) for i, s in enumerate(seeds)]


def timed(fn, *args):
    """Run ``fn`` in a thread with a wall-clock bound; (seconds, result or exception)."""
    out: list = []

    def run():
        try:
            out.append(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out.append(exc)

    t0 = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WALL)
    assert not thread.is_alive(), f"still waiting after {WALL} s: the queue is wedged"
    return time.monotonic() - t0, out[0]


@pytest.fixture
def wedged():
    """A backend whose driver has stalled (the Event never fires during the test)."""
    backend = GPUBackend()
    backend.driver.clear()
    yield backend
    backend.driver.set()          # let the abandoned thread end once the test is over


def test_the_bound_grows_with_steps_and_windows_and_must_be_finite():
    policy = StallPolicy(base_s=60, per_step_s=2)
    assert policy.bound(steps=25, windows=1) == 110
    assert policy.bound(steps=25, windows=4) == 260
    assert policy.bound(steps=0, windows=0) == 62          # a backend that says nothing of its steps
    for bad in ({"base_s": float("inf")}, {"per_step_s": -1}, {"base_s": float("nan")}, {"base_s": 0, "per_step_s": 0}):
        with pytest.raises(ValueError):
            StallPolicy(**bad)


def test_a_stalled_batch_fails_its_requests_naming_the_stall_and_the_next_ones_are_refused_at_once(wedged):
    heard: list = []
    batcher = WindowBatcher(wedged, gather_s=0.2, stall=QUICK, on_stall=lambda b, why: heard.append((b.name, why)))
    try:
        seconds, error = timed(batcher.run, jobs(1, 2))
        assert isinstance(error, BackendStalled)
        assert seconds < QUICK.bound(10, 2) + 5
        assert str(error).startswith("backend fake-gpu on cuda:0 is stalled: a batch of 2 window(s) made no "
                                     "progress for 0.8 s (after 0 step(s): a GPU driver stall")
        assert heard == [("fake-gpu", str(error))]
        assert batcher.stalled == str(error)
        # the next request does not queue behind a call that never returns
        seconds, again = timed(batcher.run, jobs(3))
        assert isinstance(again, BackendStalled) and "is stalled" in str(again) and seconds < 1.0
        assert wedged.calls == 1              # nothing else entered the wedged pipeline
    finally:
        batcher.close()


def test_requests_queued_behind_a_stalled_batch_fail_too_instead_of_waiting(wedged):
    batcher = WindowBatcher(wedged, gather_s=0.0, max_batch=1, stall=QUICK)
    try:
        results: dict[int, object] = {}
        threads = [threading.Thread(target=lambda s=s: results.setdefault(s, timed(batcher.run, jobs(s))[1]))
                   for s in (1, 2, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WALL)
        assert sorted(results) == [1, 2, 3]
        assert all(isinstance(r, BackendStalled) for r in results.values())
        assert wedged.calls == 1
    finally:
        batcher.close()


def test_when_the_stalled_call_returns_the_backend_renders_again(wedged):
    heard: list = []
    batcher = WindowBatcher(wedged, gather_s=0.0, stall=QUICK, on_stall=lambda b, why: heard.append(why))
    try:
        _, error = timed(batcher.run, jobs(1))
        assert isinstance(error, BackendStalled)
        wedged.driver.set()                       # the driver comes back; the abandoned call ends
        deadline = time.monotonic() + WALL
        while batcher.stalled is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert heard == [str(error), None]
        _, windows = timed(batcher.run, jobs(5, 6))
        assert [w[0, 0] for w in windows] == [5.0, 6.0]
    finally:
        batcher.close()


def test_a_slow_batch_that_keeps_stepping_is_not_a_stall():
    backend = GPUBackend(step_s=0.12)             # 1.2 s in all, well past the 0.6 s of silence allowed
    batcher = WindowBatcher(backend, gather_s=0.0, stall=QUICK)
    try:
        seconds, windows = timed(batcher.run, jobs(7))
        assert seconds > QUICK.bound(10, 1)
        assert [w[0, 0] for w in windows] == [7.0] and batcher.stalled is None
    finally:
        batcher.close()


@pytest.fixture
def two_gpus(monkeypatch):
    """A NeuralService over two fake devices (no process-wide model configuration touched)."""
    import scenefill.engine.backends as backends
    import scenefill.engine.backends.plan as plan

    gpus = {"cuda:0": GPUBackend("cuda:0"), "cuda:1": GPUBackend("cuda:1")}
    monkeypatch.setattr(plan, "configure", lambda *a, **k: None)
    monkeypatch.setattr(backends, "load_backend", lambda name, directory, device=None: gpus[device])
    health: list = []
    service = NeuralService({"fake-gpu": "/nonexistent"}, device="cuda:0,cuda:1", gather_s=0.0, stall=QUICK,
                            on_health=lambda name, why: health.append((name, why)))
    yield service, gpus, health
    for gpu in gpus.values():
        gpu.driver.set()
    service.close()


def test_later_requests_go_to_a_device_that_is_not_stalled_and_health_follows_the_backend(two_gpus):
    service, gpus, health = two_gpus
    gpus["cuda:0"].driver.clear()
    first = service.batcher("fake-gpu")
    assert first.backend.device == "cuda:0"
    _, error = timed(first.run, jobs(1))
    assert isinstance(error, BackendStalled)
    assert health == []                             # cuda:1 still renders: the backend still serves
    _, windows = timed(service.batcher("fake-gpu").run, jobs(2))
    assert [w[0, 0] for w in windows] == [2.0] and gpus["cuda:1"].calls == 1

    gpus["cuda:1"].driver.clear()                   # now every device is wedged
    _, error = timed(service.batcher("fake-gpu").run, jobs(3))
    assert isinstance(error, BackendStalled) and "cuda:1" in str(error)
    assert [name for name, _ in health] == ["fake-gpu"] and "is stalled" in health[0][1]

    gpus["cuda:0"].driver.set()                     # one device comes back: the backend serves again
    deadline = time.monotonic() + WALL
    while len(health) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert health[-1] == ("fake-gpu", None)
    _, windows = timed(service.batcher("fake-gpu").run, jobs(4))
    assert [w[0, 0] for w in windows] == [4.0]


def test_a_stall_reaches_the_client_as_unavailable_with_its_reason():
    from scenefill.server.service import backend_health_name, status_for

    code, field, message = status_for(BackendStalled("backend dasheng on cuda:0 is stalled: ..."))
    assert code == grpc.StatusCode.UNAVAILABLE and field == "" and message.startswith("backend dasheng")
    assert backend_health_name("dasheng") == "scenefill.v1.SceneFill/dasheng"


def test_the_stall_bounds_are_options_of_serve_checked_at_start(monkeypatch, tmp_path):
    import argparse
    import dataclasses

    import scenefill.engine.backends.cli as backends_cli
    from scenefill.server import cli
    from scenefill.server.service import ConfigError, check_config

    monkeypatch.setattr(backends_cli, "configure_from_args", lambda args: {})   # no process-wide model dirs
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    config = cli.config_from_args(parser.parse_args(
        ["serve", "--output-dir", str(tmp_path), "--neural-stall-timeout", "30", "--neural-stall-per-step", "1.5"]))
    assert (config.neural_stall_base, config.neural_stall_per_step) == (30.0, 1.5)
    check_config(config)
    for field, value, flag in [("neural_stall_base", 0.0, "--neural-stall-timeout"),
                               ("neural_stall_base", float("inf"), "--neural-stall-timeout"),
                               ("neural_stall_per_step", -1.0, "--neural-stall-per-step")]:
        with pytest.raises(ConfigError, match=flag):
            check_config(dataclasses.replace(config, **{field: value}))
