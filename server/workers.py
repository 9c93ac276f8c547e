"""CPU render workers: long-lived processes that each run one render at a time.

Why not ``concurrent.futures.ProcessPoolExecutor``: a job must be cancellable
*while it runs*, and the worker must learn of it between two render blocks. So
each worker owns one duplex pipe to the daemon:

    daemon -> worker   ("job", id, request, path, max_seconds) | ("cancel", id) | None (exit)
    worker -> daemon   ("ready", pid) | ("progress", id, fraction, stage)
                       | ("done", id, result) | ("cancelled", id) | ("invalid", id, field, message)
                       | ("oserror", id, errno, message) | ("error", id, summary, traceback)

The engine polls ``cancel()`` once per block; our ``cancel()`` drains the pipe
without blocking, so a cancel message (or the daemon dying, which closes the
pipe) stops the render within one block, and the engine removes its temporary
file. The daemon reads the pipes from its event loop (``add_reader``); no
threads, no shared locks. Workers are started with ``forkserver`` (``spawn``
where that is missing), never ``fork``: the daemon runs gRPC threads.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from scenefill.engine.errors import Cancelled, InvalidRequest, SceneFillError

log = logging.getLogger("scenefill.server")

DEFAULT_RENDER_IMPL = "scenefill.engine.api:render_to_file"
PROGRESS_INTERVAL = 0.05  # seconds between progress messages from a worker
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


class WorkerError(SceneFillError):
    """A render failed inside a worker for a reason that is not the request's fault."""


class WorkerCrashed(WorkerError):
    """A worker process died while rendering."""


def _load_impl(spec: str) -> Callable:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "render_to_file")


def warm_up(render: Callable) -> None:
    """Import everything a render touches and run one tiny render, so the first real job is fast."""
    import tempfile

    from scenefill.engine.request import RenderRequest

    try:
        with tempfile.TemporaryDirectory(prefix="scenefill-warm-") as tmp:
            render(RenderRequest(note="rain, wind, room tone", n_samples=4800), Path(tmp) / "warm.wav")
    except Exception:  # warming is an optimisation; a broken engine shows up on the first job instead
        log.debug("warm-up render failed", exc_info=True)


def _worker_main(conn, render_impl: str, warm: bool) -> None:  # runs in the child process
    # The daemon decides when work stops: a terminal ^C or a SIGTERM to the whole process
    # group must not kill a render half-way; the daemon cancels or finishes it instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    render = _load_impl(render_impl)
    from scenefill.engine.request import RenderRequest

    if warm:
        from . import _preload  # noqa: F401  (already imported, and warm, under a forkserver)
    try:
        conn.send(("ready", os.getpid()))
    except OSError:
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the daemon is gone
        if msg is None:
            return
        if msg[0] != "job":
            continue  # a cancel for a job that already finished
        _, job_id, request_fields, path, max_seconds = msg
        state = {"cancelled": False, "exit": False, "last": 0.0, "stage": None}

        def cancel() -> bool:
            if not state["cancelled"]:
                try:
                    while conn.poll():
                        m = conn.recv()
                        if m is None:
                            state["cancelled"] = state["exit"] = True
                        elif m[0] == "cancel" and m[1] == job_id:
                            state["cancelled"] = True
                except (EOFError, OSError):
                    state["cancelled"] = state["exit"] = True
            return state["cancelled"]

        def progress(fraction: float, stage: str) -> None:
            now = time.monotonic()
            if fraction < 1.0 and stage == state["stage"] and now - state["last"] < PROGRESS_INTERVAL:
                return
            state["last"], state["stage"] = now, stage
            try:
                conn.send(("progress", job_id, float(fraction), str(stage)))
            except OSError:
                state["cancelled"] = state["exit"] = True

        try:
            result = render(RenderRequest(**request_fields), path, progress=progress, cancel=cancel,
                            max_seconds=max_seconds)
            reply = ("done", job_id, {
                "path": str(result.path), "n_samples": int(result.n_samples),
                "sample_rate": int(result.sample_rate), "channels": int(result.channels),
                "sha256": result.sha256, "provenance": result.provenance,
            })
        except Cancelled:
            reply = ("cancelled", job_id)
        except InvalidRequest as exc:
            reply = ("invalid", job_id, exc.field, exc.message)
        except OSError as exc:
            reply = ("oserror", job_id, exc.errno or 0, exc.strerror or str(exc))
        except Exception as exc:  # report, keep the worker alive for the next job
            reply = ("error", job_id, f"{type(exc).__name__}: {exc}", traceback.format_exc())
        try:
            conn.send(reply)
        except OSError:
            return
        if state["exit"]:
            return


@dataclass
class _Running:
    job_id: str
    future: asyncio.Future
    progress: Callable[[float, str], None] | None


class _Worker:
    def __init__(self, proc, conn) -> None:
        self.proc = proc
        self.conn = conn
        self.pid = proc.pid
        self.job: _Running | None = None
        self.ready = False
        self.dead = False


class WorkerPool:
    """``size`` worker processes fed from an asyncio FIFO; see the module docstring."""

    def __init__(self, size: int, *, render_impl: str = DEFAULT_RENDER_IMPL,
                 max_seconds: float, start_method: str | None = None, warm: bool = True) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.render_impl = render_impl
        self.max_seconds = max_seconds
        self.warm = warm
        methods = mp.get_all_start_methods()
        self.start_method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        self._ctx = mp.get_context(self.start_method)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: list[_Worker] = []
        self._by_job: dict[str, _Worker] = {}
        self._closing = False
        self._spawning = 0
        self.crashes = 0
        self._startup_failures = 0  # consecutive workers that died before becoming ready

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the workers without blocking the event loop (a forkserver's first start imports the engine)."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        for var in _THREAD_ENV:  # one render per core: keep numeric libraries single-threaded
            os.environ.setdefault(var, "1")
        if self.start_method == "forkserver" and self.warm:
            self._ctx.set_forkserver_preload(["scenefill.server._preload"])
        for _ in range(self.size):
            self._spawn_soon()

    def _spawn_soon(self, delay: float = 0.0) -> None:
        self._spawning += 1
        task = self._loop.create_task(self._spawn(delay))
        task.add_done_callback(lambda t: t.cancelled() or t.exception() is None
                               or log.error("could not start a render worker: %s", t.exception()))

    async def _spawn(self, delay: float = 0.0) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            proc, conn = await asyncio.to_thread(self._start_process)
        finally:
            self._spawning -= 1
        if self._closing:
            conn.close()
            proc.terminate()
            return
        worker = _Worker(proc, conn)
        self._workers.append(worker)
        self._loop.add_reader(conn.fileno(), self._on_readable, worker)

    def _start_process(self):
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child_conn, self.render_impl, self.warm),
                                 name="scenefill-worker", daemon=True)
        proc.start()
        child_conn.close()
        return proc, parent_conn

    @property
    def ready_workers(self) -> int:
        return sum(1 for w in self._workers if w.ready and not w.dead)

    @property
    def busy(self) -> int:
        return sum(1 for w in self._workers if w.job is not None)

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if not w.dead]

    async def wait_ready(self, count: int | None = None) -> None:
        """Until ``count`` (default: all) workers have warmed up. For tests and benchmarks."""
        count = self.size if count is None else count
        while self.ready_workers < count:
            await asyncio.sleep(0.02)

    async def close(self, timeout: float = 10.0) -> None:
        """Ask every worker to exit (cancelling what it runs), then make sure they are gone."""
        self._closing = True
        for w in list(self._workers):
            if w.dead:
                continue
            try:
                if w.job is not None:
                    w.conn.send(("cancel", w.job.job_id))
                w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while any(not w.dead for w in self._workers) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for w in self._workers:
            if not w.dead:
                log.warning("worker %s did not exit; killing it", w.pid)
                self._forget(w)
                w.proc.kill()
        await asyncio.to_thread(lambda: [w.proc.join(1.0) for w in self._workers])

    # ------------------------------------------------------------ jobs

    async def acquire(self) -> _Worker:
        """The next idle worker, FIFO among waiters. Cancellable while waiting."""
        while True:
            worker = await self._idle.get()
            if not worker.dead and worker.job is None:
                return worker

    def release(self, worker: _Worker) -> None:
        """Give back a worker that was acquired but never handed a job."""
        if not worker.dead and worker.job is None and not self._closing:
            self._idle.put_nowait(worker)

    async def run(self, worker: _Worker, job_id: str, request_fields: dict, path: Path,
                  progress: Callable[[float, str], None] | None = None) -> dict:
        """Render on ``worker`` (from :meth:`acquire`). Cancelling the awaiting task cancels the render;
        the worker goes back to the pool only once it has acknowledged."""
        future = self._loop.create_future()
        worker.job = _Running(job_id, future, progress)
        self._by_job[job_id] = worker
        try:
            worker.conn.send(("job", job_id, request_fields, str(path), self.max_seconds))
        except OSError:
            self._on_death(worker)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self.cancel(job_id)
            raise

    def cancel(self, job_id: str) -> bool:
        worker = self._by_job.get(job_id)
        if worker is None or worker.dead:
            return False
        try:
            worker.conn.send(("cancel", job_id))
        except OSError:
            pass
        return True

    # ------------------------------------------------------------ pipe events

    def _on_readable(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            self._on_death(worker)

    def _handle(self, worker: _Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "ready":
            worker.ready = True
            self._startup_failures = 0
            if not self._closing:
                self._idle.put_nowait(worker)
            return
        running = worker.job
        if running is None or msg[1] != running.job_id:
            return
        if kind == "progress":
            if running.progress is not None:
                try:
                    running.progress(msg[2], msg[3])
                except Exception:
                    log.exception("progress callback failed")
            return
        worker.job = None
        self._by_job.pop(running.job_id, None)
        if not running.future.done():
            if kind == "done":
                running.future.set_result(msg[2])
            elif kind == "cancelled":
                running.future.set_exception(Cancelled("render cancelled"))
            elif kind == "invalid":
                running.future.set_exception(InvalidRequest(msg[2], msg[3]))
            elif kind == "oserror":
                running.future.set_exception(OSError(msg[2], msg[3]))
            else:
                log.error("job %s failed in worker %s: %s\n%s", running.job_id, worker.pid, msg[2], msg[3])
                running.future.set_exception(WorkerError(msg[2]))
        if not self._closing:
            self._idle.put_nowait(worker)

    def _forget(self, worker: _Worker) -> None:
        if worker.dead:
            return
        worker.dead = True
        try:
            self._loop.remove_reader(worker.conn.fileno())
        except (ValueError, OSError):
            pass
        worker.conn.close()

    def _on_death(self, worker: _Worker) -> None:
        if worker.dead:
            return
        self._forget(worker)
        running, worker.job = worker.job, None
        if running is not None:
            self._by_job.pop(running.job_id, None)
            if not running.future.done():
                running.future.set_exception(WorkerCrashed(f"the render worker (pid {worker.pid}) died"))
        if not self._closing:
            self.crashes += 1
            self._workers.remove(worker)
            if worker.ready:
                log.error("render worker %s died; starting a new one", worker.pid)
                self._spawn_soon()
            else:  # it could not even start: back off instead of spinning
                self._startup_failures += 1
                delay = min(30.0, 0.5 * 2 ** self._startup_failures)
                log.error("render worker %s died while starting (%d in a row); retrying in %.0f s",
                          worker.pid, self._startup_failures, delay)
                self._spawn_soon(delay)
