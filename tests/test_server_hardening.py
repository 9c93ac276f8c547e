"""The daemon never hangs: a broken worker start, a stopped worker, a client left waiting, a stray stream.

Each story bounds its own wait (a gRPC deadline, a subprocess timeout, a thread
join) so that a regression fails the test instead of stalling the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
import soundfile as sf
from grpc_health.v1 import health_pb2, health_pb2_grpc

from scenefill.engine.request import RenderRequest
from scenefill.plugin import client as client_module
from scenefill.plugin.client import ServerError, ServerUnavailable, SceneFillClient, render_deadline
from scenefill.server import scenefill_pb2 as pb
from scenefill.server import scenefill_pb2_grpc as pb_grpc
from scenefill.server.testing import DaemonProcess, pid_alive

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
SCENEFILL = Path(sys.executable).parent / "scenefill"
HOUR = 3600 * 48000  # samples: a render that keeps a worker busy for the whole test


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def worker_pids(d: DaemonProcess) -> list[int]:
    """The render workers: the daemon's grandchildren (its direct children are the forkserver and tracker)."""
    return [p for p in d.descendants() if _ppid(p) != d.pid]


def health_of(address: str, service: str = "", metadata=()) -> str:
    with grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)]) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5, metadata=metadata)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def render_status(address: str, request: pb.RenderRequest, timeout: float = 15.0) -> grpc.RpcError | None:
    """Run a Render to its end under a deadline; the error it ended with (None when it succeeded)."""
    with grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)]) as channel:
        try:
            list(pb_grpc.SceneFillStub(channel).Render(request, timeout=timeout))
        except grpc.RpcError as exc:
            return exc
    return None


# ---------------------------------------------------------------- started where a user starts it


def test_a_daemon_started_in_the_repository_root_renders_for_the_cli(tmp_path):
    """`cd` into a clone, `scenefill serve &`, `scenefill render --server`: it answers."""
    with DaemonProcess(tmp_path / "out", cwd=REPO_ROOT, workers=1) as d:
        out = tmp_path / "z.wav"
        done = subprocess.run([str(SCENEFILL), "render", "wind", "--seconds", "2", "--server", d.address,
                               "-o", str(out), "-q"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr + d.log()
        assert sf.info(str(out)).frames == 96000
        with SceneFillClient(d.address) as c:
            assert c.health() == "SERVING" and c.info()["workers_ready"] == 1


# ---------------------------------------------------------------- no worker can start


def test_a_worker_that_cannot_import_is_not_serving_then_unavailable_then_recovers(tmp_path):
    marker = tmp_path / "broken"
    marker.write_text("scenefill engine is broken here: missing module 'numpy.fft'")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
           "SCENEFILL_TEST_BROKEN_MARKER": str(marker)}
    with DaemonProcess(tmp_path / "out", "--render-impl", "worker_impl_flaky:render", workers=1, env=env) as d:
        # a render sent at once is queued (or refused): either way it ends UNAVAILABLE, naming the cause
        early = {}
        sender = threading.Thread(target=lambda: early.update(
            err=render_status(d.address, pb.RenderRequest(note="rain", n_samples=4800, seed=1))), daemon=True)
        sender.start()
        wait_for(lambda: health_of(d.address) == "NOT_SERVING", 20, "health NOT_SERVING")
        assert health_of(d.address, "scenefill.v1.SceneFill") == "NOT_SERVING"
        sender.join(20)
        assert not sender.is_alive(), "a queued render waited for ever"
        assert early["err"].code() == grpc.StatusCode.UNAVAILABLE
        assert "missing module 'numpy.fft'" in early["err"].details()

        started = time.monotonic()
        err = render_status(d.address, pb.RenderRequest(note="wind", n_samples=4800, seed=2))
        assert err is not None and err.code() == grpc.StatusCode.UNAVAILABLE
        assert err.details().startswith("no render worker can start: ImportError: scenefill engine is broken")
        assert time.monotonic() - started < 10
        with SceneFillClient(d.address) as c:
            assert c.info()["workers_ready"] == 0
            with pytest.raises(ServerUnavailable, match="cannot render now: no render worker can start"):
                c.render(RenderRequest("wind", 4800, seed=3))
        assert "could not start" in d.log()

        marker.unlink()  # the environment is repaired: the next retry starts a worker
        wait_for(lambda: health_of(d.address) == "SERVING", 60, "health SERVING again")
        with SceneFillClient(d.address) as c:
            assert c.render(RenderRequest("wind", 4800, seed=4)).n_samples == 4800


def test_the_worker_bootstrap_reports_a_package_that_cannot_be_imported(monkeypatch):
    """The failure the issue met (the package shadowed) happens before any worker code runs."""
    from scenefill.server import workers

    sent = []

    class Pipe:
        def send(self, message):
            sent.append(message)

    monkeypatch.setitem(sys.modules, "scenefill.server.workers", None)  # import now fails
    with pytest.raises(SystemExit):
        exec(workers._BOOTSTRAP, {"conn": Pipe(), "render_impl": "x:y", "warm": False})
    assert sent and sent[0][0] == "failed" and sent[0][1].startswith("ModuleNotFoundError")


# ---------------------------------------------------------------- watchdog


def test_a_stopped_worker_is_killed_by_the_watchdog_and_the_pool_goes_on(tmp_path):
    with DaemonProcess(tmp_path / "out", "--stall-timeout", "4", workers=1) as d:
        d.wait_workers()
        channel = grpc.insecure_channel(d.address, options=[("grpc.enable_http_proxy", 0)])
        call = pb_grpc.SceneFillStub(channel).Render(
            pb.RenderRequest(note="heavy rain and wind", n_samples=HOUR, seed=9), timeout=90)
        accepted = next(call).accepted
        for event in call:
            if event.WhichOneof("event") == "progress" and event.progress.stage == "rendering":
                break
        (worker,) = worker_pids(d)
        os.kill(worker, signal.SIGSTOP)
        try:
            with pytest.raises(grpc.RpcError) as info:
                list(call)
        finally:
            channel.close()
        assert info.value.code() == grpc.StatusCode.ABORTED, info.value.details()
        assert "made no progress for 4 s" in info.value.details()
        wait_for(lambda: not pid_alive(worker), 10, "the stopped worker gone")
        d.wait_log(rf"job={accepted.job_id} .*status=error:WorkerStalled")
        with SceneFillClient(d.address) as c:  # a fresh worker took its place
            assert c.render(RenderRequest("wind", 4800, seed=5)).n_samples == 4800


# ---------------------------------------------------------------- clients never wait for ever


def test_render_deadline_grows_with_the_length():
    assert render_deadline(0) == client_module.DEADLINE_BASE_SECONDS
    assert render_deadline(3600) > render_deadline(60) > render_deadline(1)
    assert render_deadline(4 * 3600) >= 4 * 3600  # time to render a long file, whatever the queue


def test_client_and_cli_give_up_on_a_daemon_that_never_answers(tmp_path, monkeypatch):
    """A worker frozen while idle (watchdog set long): the job never progresses; the callers stop waiting."""
    with DaemonProcess(tmp_path / "out", "--stall-timeout", "600", workers=1) as d:
        d.wait_workers()
        (worker,) = worker_pids(d)
        os.kill(worker, signal.SIGSTOP)
        try:
            monkeypatch.setattr(client_module, "DEADLINE_BASE_SECONDS", 2.0)
            outcome = {}

            def render():
                with SceneFillClient(d.address) as c:
                    try:
                        c.render(RenderRequest("wind", 4800, seed=6))
                    except Exception as exc:  # noqa: BLE001 - inspected below
                        outcome["error"] = exc

            thread = threading.Thread(target=render, daemon=True)
            thread.start()
            thread.join(30)
            assert not thread.is_alive(), "SceneFillClient.render waited for ever"
            assert isinstance(outcome.get("error"), ServerError)
            assert "did not answer in time" in str(outcome["error"])

            out = tmp_path / "cli.wav"
            done = subprocess.run([str(SCENEFILL), "render", "wind", "--seconds", "1", "--seed", "7",
                                   "--server", d.address, "--timeout", "2", "-o", str(out)],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 2
            assert "did not answer in time" in done.stderr and "Traceback" not in done.stderr
            assert not out.exists()
        finally:
            os.kill(worker, signal.SIGCONT)


# ---------------------------------------------------------------- token and health streams


def test_health_check_is_open_but_watch_needs_the_token(tmp_path):
    token = "s3cret-token-0123456789"
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    with DaemonProcess(tmp_path / "out", "--token-file", str(token_file), workers=1) as d:
        assert health_of(d.address) == "SERVING"  # supervisors probe without the secret
        with grpc.insecure_channel(d.address, options=[("grpc.enable_http_proxy", 0)]) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                next(iter(health.Watch(health_pb2.HealthCheckRequest(), timeout=10)))
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
            stream = health.Watch(health_pb2.HealthCheckRequest(), timeout=10,
                                  metadata=(("authorization", f"Bearer {token}"),))
            assert next(iter(stream)).status == health_pb2.HealthCheckResponse.SERVING
            stream.cancel()


def test_serve_refuses_a_stall_timeout_that_is_not_a_positive_number(tmp_path):
    for bad in ("0", "-1", "nan", "inf"):
        done = subprocess.run([sys.executable, "-m", "scenefill.server", "--port", "0", "--output-dir",
                               str(tmp_path / "out"), "--stall-timeout", bad], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2 and "--stall-timeout" in done.stderr, (bad, done.stderr)



def test_the_watchdog_kills_a_render_that_runs_past_its_ceiling():
    """A worker that keeps its heartbeat but never finishes (a loop in the engine) is cut off too."""
    import asyncio
    import multiprocessing

    from scenefill.server.workers import WorkerPool, WorkerStalled, _Running, _Worker, job_ceiling

    assert job_ceiling(48000 * 3600, 48000) > 2 * 3600  # a long render is never cut short

    async def scenario():
        pool = WorkerPool(1, max_seconds=10, stall_timeout=30)
        pool._loop = asyncio.get_running_loop()
        pool._spawn_soon = lambda delay=0.0: None  # no real replacement in this unit test
        wedged = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        parent, _child = multiprocessing.Pipe()

        class Proc:
            pid = wedged.pid
            exitcode = None

        worker = _Worker(Proc(), parent)
        worker.ready = True
        pool._workers.append(worker)
        future = pool._loop.create_future()
        worker.job = _Running("job1", future, None, deadline=time.monotonic() + 600, ceiling=600)
        pool.check_workers()
        assert not future.done()  # alive and within its ceiling
        worker.last_seen = time.monotonic() + 600  # its heartbeat goes on...
        pool.check_workers(now=time.monotonic() + 601)  # ...but the render is past its ceiling
        assert future.done() and isinstance(future.exception(), WorkerStalled)
        assert "ran past its 600 s ceiling" in str(future.exception())
        return wedged.wait(10)

    assert asyncio.run(scenario()) == -signal.SIGKILL
