"""The daemon's GPU path: one loaded model per backend and GPU, windows batched across requests.

CPU renders go to the worker processes; a neural render runs in a thread of
the daemon and asks a :class:`WindowBatcher` for its windows. The batcher
collects windows from every running request for a short gather window (or
until a batch is full) and renders them in one pipeline call, each item with
its own latents and noise seed, so an item is the same (to the last bits of
batched arithmetic) whoever its batch-mates are. Continuous batching: a batch
starts as soon as the previous one ends, with whatever has arrived.

A batch is watched (``neural_stall.py``): one that makes no progress for its
bound fails its requests with UNAVAILABLE naming the stall; that model instance
then refuses work at once (health NOT_SERVING for the backend when none of its
devices can render) until the stalled call returns, so no request waits for ever.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from scenefill.engine.backends import NEURAL_BACKENDS, Backend, BackendUnavailable, WindowJob
from scenefill.engine.errors import Cancelled

from .neural_stall import BackendStalled, StallPolicy, WatchedCall

log = logging.getLogger("scenefill.server.neural")

DEFAULT_GATHER_S = 0.015   # how long a batch waits for more windows after its first one
MAX_NEURAL_JOBS = 64       # neural renders in flight (threads mostly waiting on the batcher)


#: told (backend name, device) and the stall's description, or None once that instance renders again
StallListener = Callable[[Backend, "str | None"], None]


class WindowBatcher:
    """Gathers WindowJobs from many requests and renders them in batches on one backend."""

    def __init__(self, backend: Backend, *, gather_s: float = DEFAULT_GATHER_S,
                 max_batch: int | None = None, stall: StallPolicy | None = None,
                 on_stall: StallListener | None = None) -> None:
        self.backend = backend
        self.gather_s = gather_s
        self.max_batch = max(1, max_batch or backend.max_batch)
        self.stall = stall or StallPolicy()
        self.on_stall = on_stall
        #: why this instance takes no work (a batch stalled and has not returned yet), else None
        self.stalled: str | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self.batches: list[int] = []   # sizes of the batches run (for stats and tests)
        self._thread = threading.Thread(target=self._loop, name=f"scenefill-batcher-{backend.name}", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Windows waiting for this batcher (to send a new request to the least busy device)."""
        return self._queue.qsize()

    def submit(self, jobs: Sequence[WindowJob]) -> list[Future]:
        if self._closed:
            raise Cancelled("the server is shutting down")
        if self.stalled is not None:
            raise BackendStalled(self.stalled)
        futures = []
        for job in jobs:
            future: Future = Future()
            self._queue.put((job, future))
            futures.append(future)
        return futures

    def run(self, jobs: Sequence[WindowJob], cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:
        """Render ``jobs`` (blocking) alongside everyone else's; a WindowRunner for Backend.render."""
        futures = self.submit(jobs)
        try:
            out = []
            for future in futures:
                while True:
                    if cancel is not None and cancel():
                        raise Cancelled("render cancelled")
                    try:
                        out.append(future.result(timeout=0.1))
                        break
                    except FutureTimeout:
                        continue
            return out
        except BaseException:
            for future in futures:
                future.cancel()  # windows not started yet are dropped from their batch
            raise

    def _take(self, timeout: float | None):
        while True:
            item = self._queue.get(timeout=timeout) if timeout is not None else self._queue.get()
            if item is None:
                return None
            if item[1].set_running_or_notify_cancel():
                return item

    def _loop(self) -> None:
        while True:
            first = self._take(None)
            if first is None:
                return
            if self.stalled is not None:        # queued before the stall: refused now, not kept waiting
                first[1].set_exception(BackendStalled(self.stalled))
                continue
            batch = [first]
            deadline = time.monotonic() + self.gather_s
            while len(batch) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = self._take(left)
                except queue.Empty:
                    break
                if item is None:
                    self._closed = True
                    break
                batch.append(item)
            self.batches.append(len(batch))
            self._run_batch(batch)
            if self._closed:
                return

    def _run_batch(self, batch: list) -> None:
        """Render one batch under the watchdog and hand each request its window (or the error)."""
        jobs = [job for job, _ in batch]
        call = WatchedCall(lambda: self.backend.render_windows(jobs), f"scenefill-batch-{self.backend.name}")
        bound = self.stall.bound(getattr(self.backend, "steps", 1), len(jobs))
        why: list[str] = []
        if not call.wait(bound, lambda c: why.append(self._stalled(c, bound, len(jobs))), self._recovered):
            for _, future in batch:
                future.set_exception(BackendStalled(why[0]))
            return
        if call.error is not None:  # every waiting request hears of it
            log.error("neural batch of %d failed", len(batch), exc_info=call.error)
            for _, future in batch:
                future.set_exception(call.error)
            return
        for (_, future), audio in zip(batch, call.result):
            future.set_result(audio)

    def _stalled(self, call: WatchedCall, bound: float, windows: int) -> str:
        """A batch went ``bound`` seconds without progress: this instance takes no work until it returns."""
        shown = f"{bound:.0f}" if bound >= 10 else f"{bound:.1f}"
        why = (f"backend {self.backend.name} on {self.backend.device} is stalled: a batch of {windows} "
               f"window(s) made no progress for {shown} s (after {call.steps} step(s): a GPU driver "
               "stall or a deadlock in the model's pipeline); it takes no renders until that call returns")
        self.stalled = why
        log.error("%s", why)
        if self.on_stall is not None:
            self.on_stall(self.backend, why)
        return why

    def _recovered(self, call: WatchedCall) -> None:
        """The stalled call returned at last (its result is dropped: its requests have failed)."""
        log.warning("backend %s on %s: the stalled batch returned after %.0f s; rendering again",
                    self.backend.name, self.backend.device, time.monotonic() - call.started)
        self.stalled = None
        if self.on_stall is not None:
            self.on_stall(self.backend, None)

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=5.0)
        while True:  # anything still queued is refused
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None and item[1].set_running_or_notify_cancel():
                item[1].set_exception(Cancelled("the server is shutting down"))


class BoundRunner:
    """A request's WindowRunner: its batcher (so its plan uses that batcher's model) and its cancel flag."""

    def __init__(self, batcher: WindowBatcher, cancel: Callable[[], bool] | None) -> None:
        self.batcher = batcher
        self.backend = batcher.backend
        self.cancel = cancel

    def __call__(self, jobs: Sequence[WindowJob]) -> list[np.ndarray]:
        return self.batcher.run(jobs, self.cancel)


class NeuralService:
    """Loads neural backends on first use (one instance per backend and device) and runs their renders."""

    def __init__(self, model_dirs: dict[str, Path], *, device: str | None = None,
                 gather_s: float = DEFAULT_GATHER_S, max_batch: int | None = None,
                 max_jobs: int = MAX_NEURAL_JOBS, stall: StallPolicy | None = None,
                 on_health: Callable[[str, str | None], None] | None = None) -> None:
        """``on_health(backend, reason)`` hears, from any thread, that no device of ``backend`` can
        render (a stall; ``reason`` names it) or that one can again (``None``)."""
        from scenefill.engine.backends.plan import configure

        self.model_dirs = dict(model_dirs)
        self.device = device
        self.gather_s = gather_s
        self.max_batch = max_batch
        self.stall = stall or StallPolicy()
        self.on_health = on_health
        self._unhealthy: dict[str, str] = {}     # backend -> why none of its devices renders
        configure(self.model_dirs, device)
        self._batchers: dict[str, list[WindowBatcher]] = {}
        self._lock = threading.Lock()
        self._slots = asyncio.Semaphore(max_jobs)

    @staticmethod
    def handles(backend: str) -> bool:
        return backend in NEURAL_BACKENDS

    def cache_key(self, key: str, name: str) -> str:
        """A render's cache key with what else shapes a neural render: weights, steps, device kind."""
        import hashlib
        import json
        import os

        from scenefill.engine.backends.weights import weight_hashes

        directory = self.model_dirs.get(name)
        weights = weight_hashes(directory) if directory is not None and Path(directory).is_dir() else {}
        extra = {"key": key, "backend": name, "weights": weights, "steps": os.environ.get("SCENEFILL_STEPS", ""),
                 "device": (self.device or "auto").split(":")[0]}
        return hashlib.sha256(json.dumps(extra, sort_keys=True).encode()).hexdigest()

    def _devices(self) -> list[str | None]:
        """``--device`` (comma-separated for several), else every CUDA GPU, else the default device."""
        if self.device:
            return list(dict.fromkeys(d.strip() for d in self.device.split(",") if d.strip()))
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return [f"cuda:{i}" for i in range(count)] if count > 1 else [None]

    def batchers(self, name: str) -> list[WindowBatcher]:
        """One batcher per device for ``name``, loading its models the first time (VRAM checked first)."""
        from scenefill.engine.backends import load_backend

        with self._lock:
            batchers = self._batchers.get(name)
            if batchers is None:
                batchers = []
                for device in self._devices():
                    backend = load_backend(name, self.model_dirs.get(name), device)
                    batchers.append(WindowBatcher(backend, gather_s=self.gather_s, max_batch=self.max_batch,
                                                  stall=self.stall, on_stall=self._on_stall))
                    log.info("loaded %s on %s (batches of up to %d windows)", name, backend.device,
                             batchers[-1].max_batch)
                self._batchers[name] = batchers
            return batchers

    def batcher(self, name: str) -> WindowBatcher:
        """The least busy model instance of ``name`` that is not stalled: a request's windows all go
        to one device (when every one is stalled, one whose refusal names the stall)."""
        return min(self.batchers(name), key=lambda b: (b.stalled is not None, b.pending))

    def _on_stall(self, backend: Backend, reason: str | None) -> None:
        """A device of ``backend`` stalled or recovered: the backend is unhealthy while none can render."""
        with self._lock:
            batchers = self._batchers.get(backend.name, [])
            stalled = [b.stalled for b in batchers if b.stalled is not None]
            down = stalled[0] if batchers and len(stalled) == len(batchers) else None
            if self._unhealthy.get(backend.name) == down:
                return
            if down is None:
                self._unhealthy.pop(backend.name, None)
            else:
                self._unhealthy[backend.name] = down
            if self.on_health is not None:        # under the lock: listeners hear the changes in order
                self.on_health(backend.name, down)

    def render_sync(self, request, path: Path, progress=None, cancel=None) -> dict:
        """Render one neural request to ``path`` (in a thread); the worker's result fields."""
        from scenefill.engine.api import render_to_file

        runner = BoundRunner(self.batcher(request.backend), cancel)
        result = render_to_file(request, path, progress=progress, cancel=cancel, runner=runner)
        return {"path": str(result.path), "n_samples": int(result.n_samples),
                "sample_rate": int(result.sample_rate), "channels": int(result.channels),
                "sha256": result.sha256, "provenance": result.provenance}

    async def run(self, request, path: Path, progress: Callable[[float, str], None] | None,
                  cancelled: Callable[[], bool]) -> dict:
        """Render off the event loop; progress is delivered on the loop."""
        loop = asyncio.get_running_loop()

        def on_progress(fraction: float, stage: str) -> None:
            if progress is not None:
                loop.call_soon_threadsafe(progress, fraction, stage)

        async with self._slots:
            if cancelled():
                raise Cancelled("render cancelled")
            return await asyncio.to_thread(self.render_sync, request, path, on_progress, cancelled)

    def states(self):
        from scenefill.engine.backends import backend_states

        states = backend_states(self.model_dirs)
        for state in states:
            batchers = self._batchers.get(state.name)
            if batchers:
                state.device = ",".join(b.backend.device for b in batchers)
                state.extra["loaded"] = True
                state.extra["max_batch"] = batchers[0].max_batch
                stalled = [b.stalled for b in batchers if b.stalled is not None]
                if stalled:
                    state.extra["stalled"] = stalled
                if state.name in self._unhealthy:
                    state.available, state.reason = False, self._unhealthy[state.name]
        return states

    def close(self) -> None:
        with self._lock:
            batchers = [b for bs in self._batchers.values() for b in bs]
            self._batchers.clear()
        for batcher in batchers:          # outside the lock: a closing batcher may report a stall
            batcher.close()


__all__ = ["BackendStalled", "BackendUnavailable", "NeuralService", "StallPolicy", "WindowBatcher"]
