"""The job queue: cache first, one render per distinct request, cancellation by subscriber count.

A caller opens a :class:`Subscription` for a validated request. The manager
answers it from the cache (verified hit), or joins it to an identical render
already in flight (coalescing: same content key), or queues a new job. A job
runs on the next free worker; its progress is fanned out to every subscriber.
When the last subscriber goes away (client cancelled or disconnected) the job is
cancelled: dropped from the queue, or stopped by its worker within one block.

Every job and every cache hit logs one line: id, note hash, length, rate,
backend, wall time, cache outcome, subscribers, status.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from scenefill.engine.errors import Cancelled, InvalidRequest, SceneFillError
from scenefill.engine.request import RenderRequest

from .cache import RenderCache, output_name, publish
from .workers import WorkerCrashed, WorkerPool, WorkersUnavailable, job_ceiling

log = logging.getLogger("scenefill.server")


class QueueFull(SceneFillError):
    """Too many jobs are waiting; try again later."""


class ShuttingDown(SceneFillError):
    """The server is shutting down and takes no new work."""


@dataclass
class Outcome:
    """What a subscriber gets: the file under the output directory and its facts."""

    path: Path
    n_samples: int
    sample_rate: int
    channels: int
    sha256: str
    provenance: dict
    cache_hit: bool
    key: str
    job_id: str


def _note_hash(note: str) -> str:
    return hashlib.sha256(note.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _key(request: RenderRequest) -> str:
    from scenefill.engine.api import request_key

    return request_key(request)


class Job:
    def __init__(self, job_id: str, key: str, request: RenderRequest) -> None:
        self.id = job_id
        self.key = key
        self.request = request
        self.future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.future.add_done_callback(lambda f: f.cancelled() or f.exception())  # mark retrieved
        self.subscribers: set[Subscription] = set()
        self.joined = 0
        self.state = "queued"  # queued -> running -> done
        self.created = time.monotonic()
        self.task: asyncio.Task | None = None
        self.cancel_requested = False

    def broadcast(self, fraction: float, stage: str) -> None:
        for sub in list(self.subscribers):
            sub._on_progress(fraction, stage)


class Subscription:
    """One caller's view of a render: ``accepted`` facts, progress events, then the outcome."""

    def __init__(self, manager: "JobManager", job: Job | None, future: asyncio.Future,
                 *, job_id: str, key: str, cache_hit: bool, coalesced: bool, queue_position: int,
                 total_samples: int) -> None:
        self._manager = manager
        self._job = job
        self.future = future
        self.job_id = job_id
        self.key = key
        self.cache_hit = cache_hit
        self.coalesced = coalesced
        self.queue_position = queue_position
        self.total_samples = total_samples
        self._pending: tuple[float, str] | None = None
        self._wake = asyncio.Event()
        self._closed = False
        future.add_done_callback(lambda _f: self._wake.set())

    def _on_progress(self, fraction: float, stage: str) -> None:
        self._pending = (fraction, stage)
        self._wake.set()

    async def progress(self):
        """Yield (fraction, stage) until the render ends; only the latest is kept for a slow reader."""
        while True:
            if self._pending is not None:
                event, self._pending = self._pending, None
                yield event
                continue
            if self.future.done():
                return
            self._wake.clear()
            if self._pending is None and not self.future.done():
                await self._wake.wait()

    def outcome(self) -> Outcome:
        """The finished render (raises what the job raised). Call after :meth:`progress` ends."""
        return self.future.result()

    def close(self) -> None:
        """This caller is done (or gone). Idempotent."""
        if not self._closed:
            self._closed = True
            if self._job is not None:
                self._manager._unsubscribe(self._job, self)


class JobManager:
    def __init__(self, pool: WorkerPool, cache: RenderCache, output_dir: Path, *, max_queue: int) -> None:
        self.pool = pool
        self.cache = cache
        self.output_dir = Path(output_dir)
        self.max_queue = max_queue
        self._inflight: dict[str, Job] = {}
        self._jobs: set[Job] = set()
        self.closing = False
        self.completed = 0
        self.neural = None  # a NeuralService (neural_queue.py): stable-audio / dasheng renders

    # ------------------------------------------------------------ stats

    @property
    def queued(self) -> int:
        return sum(1 for j in self._jobs if j.state == "queued")

    @property
    def running(self) -> int:
        return sum(1 for j in self._jobs if j.state == "running")

    @property
    def waiting(self) -> int:
        """Jobs that will have to wait for a worker (queued beyond the free workers)."""
        return max(0, self.queued - (self.pool.size - self.pool.busy))

    def queue_full(self) -> bool:
        """True when one more job would wait beyond ``max_queue``."""
        return self.queued - (self.pool.size - self.pool.busy) >= self.max_queue

    # ------------------------------------------------------------ entry point

    async def open(self, request: RenderRequest, *, force: bool = False) -> Subscription:
        """Subscribe to the render of a validated request (cache hit, coalesced or new job).

        Raises QueueFull (unless ``force``: batch items, admitted as a whole), ShuttingDown, or
        WorkersUnavailable while no render worker can start (a cache hit is still answered).
        """
        if self.closing:
            raise ShuttingDown("the server is shutting down")
        key = _key(request)
        if self._is_neural(request):  # other weights or steps make other audio: another cache entry
            key = await asyncio.to_thread(self.neural.cache_key, key, request.backend)
        job = self._inflight.get(key)
        if job is not None:
            return self._join(job, coalesced=True)
        started = time.monotonic()
        outcome = await asyncio.to_thread(self._from_cache, key, request)
        if outcome is not None:
            self._log(outcome.job_id, request, key, time.monotonic() - started, "hit", 1, "ok")
            future = asyncio.get_running_loop().create_future()
            future.set_result(outcome)
            return Subscription(self, None, future, job_id=outcome.job_id, key=key, cache_hit=True,
                                coalesced=False, queue_position=0, total_samples=request.total_samples)
        if self.closing:
            raise ShuttingDown("the server is shutting down")
        reason = None if self._is_neural(request) else self.pool.unavailable_reason
        if reason is not None:
            raise WorkersUnavailable(reason)
        job = self._inflight.get(key)  # an identical request may have started while we looked
        if job is not None:
            return self._join(job, coalesced=True)
        if not force and self.queue_full():
            raise QueueFull(f"the render queue is full ({self.waiting} waiting); try again later")
        position = self.waiting  # jobs ahead of this one, before it is counted
        job = Job(secrets.token_hex(6), key, request)
        self._inflight[key] = job
        self._jobs.add(job)
        sub = self._join(job, coalesced=False, queue_position=position)
        job.task = asyncio.get_running_loop().create_task(self._run(job))
        return sub

    def _join(self, job: Job, *, coalesced: bool, queue_position: int | None = None) -> Subscription:
        if queue_position is None:
            queue_position = 0 if job.state != "queued" else self.waiting
        sub = Subscription(self, job, job.future, job_id=job.id, key=job.key, cache_hit=False,
                           coalesced=coalesced, queue_position=queue_position,
                           total_samples=job.request.total_samples)
        job.subscribers.add(sub)
        job.joined += 1
        return sub

    def _unsubscribe(self, job: Job, sub: Subscription) -> None:
        job.subscribers.discard(sub)
        if not job.subscribers and not job.future.done():
            self._cancel(job)

    def _cancel(self, job: Job) -> None:
        job.cancel_requested = True
        if self._inflight.get(job.key) is job:
            del self._inflight[job.key]  # a new identical request starts afresh
        if job.state == "queued" and job.task is not None:
            job.task.cancel()
        elif job.state == "running":
            self.pool.cancel(job.id)

    # ------------------------------------------------------------ running

    def _is_neural(self, request: RenderRequest) -> bool:
        return self.neural is not None and self.neural.handles(request.backend)

    async def _run(self, job: Job) -> None:
        status = "error"
        try:
            if self._is_neural(job.request):
                job.state = "running"
                path = self.cache.audio_path(job.key, job.request.fmt)
                result = await self.neural.run(job.request, path, job.broadcast, lambda: job.cancel_requested)
                outcome = await asyncio.to_thread(self._store, job, result)
                job.future.set_result(outcome)
                status = "ok"
                return
            worker = await self.pool.acquire()
            if job.cancel_requested:
                self.pool.release(worker)
                raise Cancelled("render cancelled")
            job.state = "running"
            path = self.cache.audio_path(job.key, job.request.fmt)
            result = await self.pool.run(worker, job.id, job.request.to_dict(), path, job.broadcast,
                                         ceiling=job_ceiling(job.request.total_samples, job.request.sample_rate))
            outcome = await asyncio.to_thread(self._store, job, result)
            job.future.set_result(outcome)
            status = "ok"
        except (asyncio.CancelledError, Cancelled):
            status = "cancelled"
            if not job.future.done():
                job.future.set_exception(Cancelled("render cancelled"))
        except InvalidRequest as exc:
            status = f"invalid:{exc.field}"
            job.future.set_exception(exc)
        except BaseException as exc:  # noqa: BLE001 - reported to every subscriber
            status = f"error:{type(exc).__name__}"
            if isinstance(exc, WorkerCrashed):
                self._remove_temp_files(job)
            if not isinstance(exc, SceneFillError) and not isinstance(exc, OSError):
                log.exception("job %s failed", job.id)
            if not job.future.done():
                job.future.set_exception(exc)
        finally:
            job.state = "done"
            self._jobs.discard(job)
            if self._inflight.get(job.key) is job:
                del self._inflight[job.key]
            self.completed += 1
            self._log(job.id, job.request, job.key, time.monotonic() - job.created, "miss", job.joined, status)

    def _remove_temp_files(self, job: Job) -> None:
        """A worker killed mid-render cannot delete its temp file; do it unless a new job for the key runs."""
        if job.key in self._inflight and self._inflight[job.key] is not job:
            return
        path = self.cache.audio_path(job.key, job.request.fmt)
        for tmp in path.parent.glob(f".{path.name}.*.part"):
            tmp.unlink(missing_ok=True)

    def _from_cache(self, key: str, request: RenderRequest) -> Outcome | None:
        entry = self.cache.lookup(key)
        if entry is None:
            return None
        try:
            path = publish(entry, self.output_dir, output_name(request.note, key, entry.fmt))
        except FileNotFoundError:  # evicted or removed under us: render it
            return None
        finally:
            self.cache.unpin(key)
        return Outcome(path=path, n_samples=entry.n_samples, sample_rate=entry.sample_rate,
                       channels=entry.channels, sha256=entry.sha256, provenance=entry.provenance,
                       cache_hit=True, key=key, job_id="h" + secrets.token_hex(6)[1:])

    def _store(self, job: Job, result: dict) -> Outcome:
        request = job.request
        entry = self.cache.insert(job.key, request.fmt, sha256=result["sha256"], n_samples=result["n_samples"],
                                  sample_rate=result["sample_rate"], channels=result["channels"],
                                  provenance=result["provenance"])
        try:
            path = publish(entry, self.output_dir, output_name(request.note, job.key, request.fmt))
        finally:
            self.cache.unpin(job.key)
        return Outcome(path=path, n_samples=entry.n_samples, sample_rate=entry.sample_rate,
                       channels=entry.channels, sha256=entry.sha256, provenance=entry.provenance,
                       cache_hit=False, key=job.key, job_id=job.id)

    def _log(self, job_id: str, request: RenderRequest, key: str, seconds: float, cache: str,
             subscribers: int, status: str) -> None:
        log.info("job=%s key=%s note=%s samples=%d sr=%d backend=%s time=%.3fs cache=%s subscribers=%d status=%s",
                 job_id, key[:16], _note_hash(request.note), request.total_samples, request.sample_rate,
                 request.backend, seconds, cache, subscribers, status)

    # ------------------------------------------------------------ shutdown

    def stop_accepting(self) -> None:
        self.closing = True

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            if not job.future.done():
                self._cancel(job)

    async def drain(self, timeout: float) -> bool:
        """Wait for every job to end; True if they all did within ``timeout``."""
        tasks = [j.task for j in self._jobs if j.task is not None]
        if not tasks:
            return True
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending
