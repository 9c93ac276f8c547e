"""The engine as a Ray Serve deployment, and ``scenefill serve --ray`` forwarding to it.

On CPU with the procedural backend (no GPU here): the deployment is the same code a GPU
replica runs, with ``num_gpus=1`` instead of ``num_cpus=1`` (see docs/benchmarks.md).
"""

from __future__ import annotations

import pytest

from farm_impl import attempts
from farm_support import start_local_ray
from scenefill.engine.api import render_to_file
from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import RenderRequest

pytest.importorskip("ray.serve", reason="the farm extra is not installed (pip install 'scenefill[farm]')")
from scenefill.plugin.farm import serve as farm_serve  # noqa: E402


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    ray = start_local_ray(tmp_path_factory.mktemp("attempts"))
    from ray import serve

    handle = farm_serve.deploy(render_impl="farm_impl:render", max_batch_size=8, batch_wait_s=0.2)
    yield ray, handle
    serve.shutdown()
    ray.shutdown()


def item(req: RenderRequest) -> dict:
    return {"request": req.to_dict(), "name": "x.wav", "source_date_epoch": "1700000000"}


def test_requests_arriving_together_are_batched_and_give_the_engine_s_bytes(deployment, tmp_path):
    _, handle = deployment
    reqs = [RenderRequest(note=f"serve batch rain {i}", n_samples=24000, seed=i) for i in range(6)]
    replies = [r.result(timeout_s=300) for r in [handle.remote(item(q)) for q in reqs]]
    assert max(r["batch"] for r in replies) > 1
    for req, reply in zip(reqs, replies):
        ref = render_to_file(req, tmp_path / "ref.wav")
        assert reply["data"] == ref.path.read_bytes() and reply["sha256"] == ref.sha256
        assert attempts(req.note) == 1


def test_render_via_serve_writes_the_file_and_passes_the_backend_through(deployment, tmp_path):
    req = RenderRequest(note="serve: wind over a ridge", n_samples=48000, seed=5)
    result = farm_serve.render_via_serve(req, tmp_path / "wind.wav")
    ref = render_to_file(req, tmp_path / "ref.wav")
    assert (tmp_path / "wind.wav").read_bytes() == ref.path.read_bytes() and result.sha256 == ref.sha256
    with pytest.raises(InvalidRequest) as err:       # the replica's engine judged the backend name
        farm_serve.render_via_serve(req.replace(backend="no-such-model"), tmp_path / "x.wav")
    assert err.value.field == "backend" and not (tmp_path / "x.wav").exists()


def test_daemon_with_ray_forwards_renders_to_the_deployment(deployment, tmp_path):
    from scenefill.plugin.client import SceneFillClient
    from scenefill.server.testing import DaemonProcess

    ray, _ = deployment
    gcs = ray.get_runtime_context().gcs_address
    req = RenderRequest(note="daemon via serve: harbour gulls", n_samples=48000, seed=9)
    daemon = DaemonProcess(tmp_path / "out", "--ray", gcs, workers=1)
    try:
        daemon.start(timeout=240)            # it joins the cluster before it listens: slow on a busy box
        daemon.wait_workers(timeout=240)
        with SceneFillClient(daemon.address) as client:
            result = client.render(req, timeout=300)
    finally:
        daemon.close()
    ref = render_to_file(req, tmp_path / "ref.wav")
    assert result.path.read_bytes() == ref.path.read_bytes()
    assert attempts(req.note) == 1                   # rendered by the Serve replica, not the daemon
