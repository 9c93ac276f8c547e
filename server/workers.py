"""CPU render workers: long-lived processes that each run one render at a time.

Why not ``concurrent.futures.ProcessPoolExecutor``: a job must be cancellable
*while it runs*, and the worker must learn of it between two render blocks. So
each worker owns one duplex pipe to the daemon:

    daemon -> worker   ("job", id, request, path, max_seconds) | ("cancel", id) | None (exit)
    worker -> daemon   ("ready", pid) | ("failed", error line) | ("alive",) | ("progress", id, fraction, stage)
                       | ("done", id, result) | ("cancelled", id) | ("invalid", id, field, message)
                       | ("oserror", id, errno, message) | ("error", id, summary, traceback)

The engine polls ``cancel()`` once per block; our ``cancel()`` drains the pipe
without blocking, so a cancel message (or the daemon dying, which closes the
pipe) stops the render within one block, and the engine removes its temporary
file. The daemon reads the pipes from its event loop (``add_reader``); no
threads, no shared locks. Workers are started with ``forkserver`` (``spawn``
where that is missing), never ``fork``: the daemon runs gRPC threads.

The daemon never waits on a worker for ever:

- A worker that cannot start (its imports fail) sends its error line as
  ``("failed", ...)`` before exiting; the import of this very module is done by a
  bootstrap string (:data:`_BOOTSTRAP`) so that even a package that cannot be
  imported is reported over the pipe rather than only on a terminal. While no
  worker is ready and the last start failed, the pool is *unavailable*: waiting
  jobs and new ones fail with :class:`WorkersUnavailable` carrying that line,
  and the retries (with back-off) go on until a worker starts.
- A ready worker sends ``("alive",)`` every :data:`HEARTBEAT_INTERVAL` seconds from
  a thread. A worker silent for ``stall_timeout`` (SIGSTOPped, frozen, swapped to
  death), or one whose job runs past its ceiling (:func:`job_ceiling`), is killed;
  its job fails with :class:`WorkerStalled` and a fresh worker takes its place.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from scenefill.engine.errors import Cancelled, InvalidRequest, SceneFillError

log = logging.getLogger("scenefill.server")

DEFAULT_RENDER_IMPL = "scenefill.engine.api:render_to_file"
PROGRESS_INTERVAL = 0.05  # seconds between progress messages from a worker
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
HEARTBEAT_INTERVAL = 1.0  # seconds between ("alive",) messages from a ready worker
DEFAULT_STALL_TIMEOUT = 60.0  # a worker silent this long is taken for dead (stopped or frozen)
DEFAULT_START_TIMEOUT = 120.0  # a worker not ready after this long has failed to start
# A job's wall-clock ceiling: a fixed allowance plus a multiple of the audio it renders
# (the engine renders about 100x faster than real time; this is 0.5x), so only a
# render that is truly wedged in a loop is ever cut short.
JOB_CEILING_BASE = 600.0
JOB_CEILING_PER_AUDIO_SECOND = 2.0

# Runs in a new worker process as ``exec(_BOOTSTRAP, namespace)``: ``exec`` is pickled by
# name from builtins, so starting the process never needs scenefill importable, and when
# it is not (a checkout shadowing the package, a broken install) the error line reaches
# the daemon over the pipe instead of being lost on a terminal.
_BOOTSTRAP = """
try:
    from scenefill.server.workers import _worker_main
except BaseException as exc:
    import traceback
    try:
        conn.send(("failed", traceback.format_exception_only(type(exc), exc)[-1].strip()))
    finally:
        raise SystemExit(3)
_worker_main(conn, render_impl, warm)
"""


class WorkerError(SceneFillError):
    """A render failed inside a worker for a reason that is not the request's fault."""


class WorkerCrashed(WorkerError):
    """A worker process died while rendering."""


class WorkerStalled(WorkerCrashed):
    """The watchdog killed a worker that made no progress; its job is abandoned."""


class WorkersUnavailable(WorkerError):
    """No render worker can start; the message names the last worker's error."""


def job_ceiling(total_samples: int, sample_rate: int) -> float:
    """Seconds a job may run before the watchdog takes its worker for wedged."""
    return JOB_CEILING_BASE + JOB_CEILING_PER_AUDIO_SECOND * total_samples / max(1, sample_rate)


def _last_error_line(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


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
    try:
        render = _load_impl(render_impl)
        from scenefill.engine.request import RenderRequest

        if warm:
            from . import _preload  # noqa: F401  (already imported, and warm, under a forkserver)
    except BaseException as exc:  # the daemon reports this line as the reason no worker can start
        try:
            conn.send(("failed", _last_error_line(exc)))
        except OSError:
            pass
        return
    send_lock = threading.Lock()

    def send(message: tuple) -> None:  # the heartbeat thread and the render share the pipe
        with send_lock:
            conn.send(message)

    try:
        send(("ready", os.getpid()))
    except OSError:
        return

    def heartbeat() -> None:
        while True:
            time.sleep(HEARTBEAT_INTERVAL)
            try:
                send(("alive",))
            except (OSError, ValueError):
                return

    threading.Thread(target=heartbeat, name="scenefill-heartbeat", daemon=True).start()
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
                send(("progress", job_id, float(fraction), str(stage)))
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
            send(reply)
        except OSError:
            return
        if state["exit"]:
            return


@dataclass
class _Running:
    job_id: str
    future: asyncio.Future
    progress: Callable[[float, str], None] | None
    deadline: float = field(default=float("inf"))  # monotonic time past which the job is wedged
    ceiling: float = 0.0


class _Worker:
    def __init__(self, proc, conn) -> None:
        self.proc = proc
        self.conn = conn
        self.pid = proc.pid
        self.job: _Running | None = None
        self.ready = False
        self.dead = False
        self.started = time.monotonic()
        self.last_seen = self.started  # last message of any kind from the worker
        self.failure: str | None = None  # its ("failed", line) before it exited


class WorkerPool:
    """``size`` worker processes fed from an asyncio FIFO; see the module docstring."""

    def __init__(self, size: int, *, render_impl: str = DEFAULT_RENDER_IMPL,
                 max_seconds: float, start_method: str | None = None, warm: bool = True,
                 stall_timeout: float = DEFAULT_STALL_TIMEOUT, start_timeout: float = DEFAULT_START_TIMEOUT,
                 on_health: Callable[[str | None], None] | None = None) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.render_impl = render_impl
        self.max_seconds = max_seconds
        self.warm = warm
        methods = mp.get_all_start_methods()
        self.start_method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        self._ctx = mp.get_context(self.start_method)
        self.stall_timeout = stall_timeout
        self.start_timeout = max(start_timeout, stall_timeout)
        self.on_health = on_health  # called with the reason no worker can start, or None once one has
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future] = deque()
        self._watchdog: asyncio.Task | None = None
        self._workers: list[_Worker] = []
        self._by_job: dict[str, _Worker] = {}
        self._closing = False
        self._spawning = 0
        self.crashes = 0
        self._startup_failures = 0  # consecutive workers that died before becoming ready
        self.last_start_error: str | None = None
        self._reported: str | None = None  # what on_health was last told
        self.stalls = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the workers without blocking the event loop (a forkserver's first start imports the engine)."""
        self._loop = asyncio.get_running_loop()
        for var in _THREAD_ENV:  # one render per core: keep numeric libraries single-threaded
            os.environ.setdefault(var, "1")
        if self.start_method == "forkserver" and self.warm:
            self._ctx.set_forkserver_preload(["scenefill.server._preload"])
        for _ in range(self.size):
            self._spawn_soon()
        self._watchdog = self._loop.create_task(self._watch())

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
        namespace = {"conn": child_conn, "render_impl": self.render_impl, "warm": self.warm}
        proc = self._ctx.Process(target=exec, args=(_BOOTSTRAP, namespace),
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

    @property
    def unavailable_reason(self) -> str | None:
        """Why no render can run now (no worker is ready and the last one failed to start), else None."""
        if self._startup_failures and not self.ready_workers and not self._closing:
            return f"no render worker can start: {self.last_start_error or 'unknown error (see the server log)'}"
        return None

    def _health_changed(self) -> None:
        reason = self.unavailable_reason
        if reason == self._reported:
            return
        self._reported = reason
        if reason is not None:
            log.error("%s; renders are refused until a worker starts", reason)
            while self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(WorkersUnavailable(reason))
        else:
            log.info("a render worker is ready; serving again")
        if self.on_health is not None:
            try:
                self.on_health(reason)
            except Exception:
                log.exception("health callback failed")

    async def wait_ready(self, count: int | None = None) -> None:
        """Until ``count`` (default: all) workers have warmed up. For tests and benchmarks."""
        count = self.size if count is None else count
        while self.ready_workers < count:
            await asyncio.sleep(0.02)

    async def close(self, timeout: float = 10.0) -> None:
        """Ask every worker to exit (cancelling what it runs), then make sure they are gone."""
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
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
        """The next idle worker, FIFO among waiters. Cancellable while waiting.

        Raises :class:`WorkersUnavailable` at once, or while waiting, when no worker can start.
        """
        reason = self.unavailable_reason
        if reason is not None:
            raise WorkersUnavailable(reason)
        while self._idle:
            worker = self._idle.popleft()
            if not worker.dead and worker.job is None:
                return worker
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._put_idle(waiter.result())  # handed a worker just as we were cancelled
            raise
        finally:
            try:
                self._waiters.remove(waiter)
            except ValueError:
                pass

    def _put_idle(self, worker: _Worker) -> None:
        if worker.dead or worker.job is not None or self._closing:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    def release(self, worker: _Worker) -> None:
        """Give back a worker that was acquired but never handed a job."""
        self._put_idle(worker)

    async def run(self, worker: _Worker, job_id: str, request_fields: dict, path: Path,
                  progress: Callable[[float, str], None] | None = None, *, ceiling: float | None = None) -> dict:
        """Render on ``worker`` (from :meth:`acquire`). Cancelling the awaiting task cancels the render;
        the worker goes back to the pool only once it has acknowledged. ``ceiling``: seconds after which
        the watchdog takes the job for wedged and kills the worker."""
        future = self._loop.create_future()
        deadline = time.monotonic() + ceiling if ceiling else float("inf")
        worker.job = _Running(job_id, future, progress, deadline, ceiling or 0.0)
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
                worker.last_seen = time.monotonic()
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            self._on_death(worker)

    def _handle(self, worker: _Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "alive":
            return
        if kind == "failed":
            worker.failure = str(msg[1])[:500]
            return
        if kind == "ready":
            worker.ready = True
            self._startup_failures = 0
            self._put_idle(worker)
            self._health_changed()
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
        self._put_idle(worker)

    def _forget(self, worker: _Worker) -> None:
        if worker.dead:
            return
        worker.dead = True
        try:
            self._loop.remove_reader(worker.conn.fileno())
        except (ValueError, OSError):
            pass
        worker.conn.close()

    def _on_death(self, worker: _Worker, error: WorkerError | None = None) -> None:
        if worker.dead:
            return
        self._forget(worker)
        running, worker.job = worker.job, None
        if running is not None:
            self._by_job.pop(running.job_id, None)
            if not running.future.done():
                running.future.set_exception(error or WorkerCrashed(f"the render worker (pid {worker.pid}) died"))
        if not self._closing:
            self.crashes += 1
            self._workers.remove(worker)
            if worker.ready:
                log.error("render worker %s died; starting a new one", worker.pid)
                self._spawn_soon()
            else:  # it could not even start: back off instead of spinning
                self._startup_failures += 1
                if worker.failure is None:  # it said nothing: its exit code is all there is (no waiting)
                    code = worker.proc.exitcode
                    how = f" with code {code}" if code is not None else ""
                    worker.failure = (str(error) if error is not None else
                                      f"the worker process exited{how} while starting (see the server log)")
                self.last_start_error = worker.failure
                delay = min(15.0, 0.5 * 2 ** self._startup_failures)
                log.error("render worker %s could not start (%d in a row): %s; retrying in %.0f s",
                          worker.pid, self._startup_failures, worker.failure, delay)
                self._health_changed()
                self._spawn_soon(delay)

    # ------------------------------------------------------------ watchdog

    def _kill(self, worker: _Worker, error: WorkerError) -> None:
        """SIGKILL works on a stopped process too; the job fails with ``error``, a new worker starts."""
        self.stalls += 1
        log.error("watchdog: %s", error)
        try:
            os.kill(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._on_death(worker, error)

    def check_workers(self, now: float | None = None) -> None:
        """One watchdog pass: kill workers that stopped answering, never started, or run a wedged job."""
        now = time.monotonic() if now is None else now
        for worker in list(self._workers):
            if worker.dead:
                continue
            try:
                if worker.conn.poll():  # messages not read yet (the loop was busy): it is alive
                    continue
            except (OSError, ValueError):
                continue  # closed: _on_readable sees the EOF and reports the death
            if not worker.ready:
                if now - worker.started > self.start_timeout:
                    self._kill(worker, WorkerStalled(
                        f"the render worker (pid {worker.pid}) did not start within {self.start_timeout:g} s"))
            elif now - worker.last_seen > self.stall_timeout:
                job = f"; job {worker.job.job_id} abandoned" if worker.job else ""
                self._kill(worker, WorkerStalled(
                    f"the render worker (pid {worker.pid}) made no progress for {self.stall_timeout:g} s "
                    f"(stopped or frozen) and was killed{job}; try again"))
            elif worker.job is not None and now > worker.job.deadline:
                self._kill(worker, WorkerStalled(
                    f"the render (job {worker.job.job_id}) ran past its {worker.job.ceiling:.0f} s ceiling "
                    "and its worker was killed; try again"))

    async def _watch(self) -> None:
        interval = max(0.05, min(1.0, self.stall_timeout / 4))
        while not self._closing:
            await asyncio.sleep(interval)
            try:
                self.check_workers()
            except Exception:  # the watchdog itself must never die
                log.exception("watchdog pass failed")
