"""The daemon's GPU path: windows from different requests batched on one model instance."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import soundfile as sf

from neural_fixtures import TINY_STEPS, configured, tiny_dirs  # noqa: F401 - fixtures

from scenefill.engine.backends import Backend, WindowJob
from scenefill.engine.errors import Cancelled
from scenefill.server.neural_queue import WindowBatcher


class CountingBackend(Backend):
    """Renders a window as its seed, after a pause: shows who was batched with whom."""

    name = "counting"
    sample_rate = 100
    window_samples = 8
    max_batch = 8

    def __init__(self, pause: float = 0.05, fail_on: int | None = None) -> None:
        self.pause = pause
        self.fail_on = fail_on
        self.calls: list[list[int]] = []

    def render_windows(self, jobs):
        self.calls.append([j.seed for j in jobs])
        time.sleep(self.pause)
        if self.fail_on in [j.seed for j in jobs]:
            raise RuntimeError("out of memory")
        return [np.full((2, 8), float(j.seed)) for j in jobs]


def _jobs(*seeds: int) -> list[WindowJob]:
    return [WindowJob("p", s, i) for i, s in enumerate(seeds)]


def test_windows_of_concurrent_requests_share_batches_and_come_back_to_their_owner():
    backend = CountingBackend()
    batcher = WindowBatcher(backend, gather_s=0.1)
    results: dict[int, list] = {}

    def request(base: int) -> None:
        results[base] = batcher.run(_jobs(base, base + 1, base + 2))

    threads = [threading.Thread(target=request, args=(b,)) for b in (100, 200, 300)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    batcher.close()
    for base, windows in results.items():
        assert [w[0, 0] for w in windows] == [base, base + 1, base + 2]
    assert max(batcher.batches) > 3  # windows of more than one request went in one call
    assert all(size <= 8 for size in batcher.batches) and sum(batcher.batches) == 9


def test_a_cancelled_request_leaves_its_unstarted_windows_out():
    backend = CountingBackend(pause=0.3)
    batcher = WindowBatcher(backend, gather_s=0.0, max_batch=1)
    flag = threading.Event()
    threading.Timer(0.1, flag.set).start()
    with pytest.raises(Cancelled):
        batcher.run(_jobs(*range(10)), cancel=flag.is_set)
    time.sleep(0.4)
    batcher.close()
    assert len(backend.calls) <= 2


def test_a_failed_batch_fails_every_request_in_it_and_the_batcher_goes_on():
    backend = CountingBackend(fail_on=7)
    batcher = WindowBatcher(backend, gather_s=0.0)
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher.run(_jobs(7))
    assert batcher.run(_jobs(1))[0][0, 0] == 1
    batcher.close()


def test_concurrent_renders_batch_on_one_model_and_match_a_lone_render(configured, tmp_path):
    from scenefill.engine.api import render_to_file
    from scenefill.engine.request import RenderRequest
    from scenefill.server.neural_queue import NeuralService

    service = NeuralService(configured, gather_s=0.2)
    notes = ["rain on a tin roof", "wind in a forest", "calm piano music", "city traffic"]
    requests = [RenderRequest(note, 48000 * 3, backend="stable-audio", seed=i) for i, note in enumerate(notes)]
    threads = [threading.Thread(target=service.render_sync, args=(r, tmp_path / f"d{i}.wav"))
               for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    batcher = service.batcher("stable-audio")
    service.close()
    assert max(batcher.batches) > 3  # one request has three windows: batches held several requests
    lone = render_to_file(requests[1], tmp_path / "lone.wav")
    assert lone.n_samples == 144000
    a, _ = sf.read(tmp_path / "d1.wav")
    b, _ = sf.read(tmp_path / "lone.wav")
    assert np.abs(a - b).max() < 1e-4  # the same audio; batched kernels may round the last bits


def test_the_daemon_serves_its_default_neural_backend_and_lists_every_backend(tiny_dirs, tmp_path):
    import grpc

    from scenefill.engine.errors import InvalidRequest
    from scenefill.plugin.client import SceneFillClient, ServerError
    from scenefill.server import scenefill_pb2 as pb
    from scenefill.server.testing import DaemonProcess

    args = ["--backend", "stable-audio", "--model-dir", f"stable-audio={tiny_dirs['stable-audio']}"]
    with DaemonProcess(tmp_path / "out", *args, workers=1, env={"SCENEFILL_STEPS": TINY_STEPS}) as daemon:
        with SceneFillClient(daemon.address) as client:
            client.wait_ready(60)
            caps = {b["name"]: b for b in client.capabilities()["backends"]}
            assert caps["stable-audio"].get("available") is True
            assert _health(daemon.address, "scenefill.v1.SceneFill/stable-audio") == "SERVING"
            assert caps["dasheng"].get("available") in (None, False)
            assert "no weights configured" in caps["dasheng"]["description"]
            result = client.render(pb.RenderRequest(note="rain on a roof", n_samples=96000), timeout=300)
            assert result.n_samples == 96000
            assert result.provenance["model"]["backend"] == "stable-audio"
            with pytest.raises(InvalidRequest, match="unknown backend 'stable'"):
                client.render(pb.RenderRequest(note="rain", n_samples=9600, backend="stable"), timeout=60)
            with pytest.raises(ServerError, match="dasheng.*no model directory configured") as info:
                client.render(pb.RenderRequest(note="rain", n_samples=9600, backend="dasheng"), timeout=60)
            assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
        daemon.wait_log(r"backend=stable-audio .*status=ok")


def _health(address: str, service: str) -> str:
    """A probe's health Check of one service name."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def test_other_weights_make_another_cache_entry(tiny_dirs, tmp_path):
    import shutil

    from scenefill.server.neural_queue import NeuralService

    copy = tmp_path / "sao"
    shutil.copytree(tiny_dirs["stable-audio"], copy)
    service = NeuralService({"stable-audio": copy})
    before = service.cache_key("k", "stable-audio")
    assert service.cache_key("k", "stable-audio") == before
    assert service.cache_key("other", "stable-audio") != before
    weights = copy / "transformer" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert service.cache_key("k", "stable-audio") != before
