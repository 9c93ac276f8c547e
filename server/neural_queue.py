"""The daemon's GPU path: one loaded model per backend and GPU, windows batched across requests.

CPU renders go to the worker processes; a neural render runs in a thread of
the daemon and asks a :class:`WindowBatcher` for its windows. The batcher
collects windows from every running request for a short gather window (or
until a batch is full) and renders them in one pipeline call, each item with
its own latents and noise seed, so an item is the same (to the last bits of
batched arithmetic) whoever its batch-mates are. Continuous batching: a batch
starts as soon as the previous one ends, with whatever has arrived.
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

log = logging.getLogger("scenefill.server.neural")

DEFAULT_GATHER_S = 0.015   # how long a batch waits for more windows after its first one
MAX_NEURAL_JOBS = 64       # neural renders in flight (threads mostly waiting on the batcher)


class WindowBatcher:
    """Gathers WindowJobs from many requests and renders them in batches on one backend."""

    def __init__(self, backend: Backend, *, gather_s: float = DEFAULT_GATHER_S,
                 max_batch: int | None = None) -> None:
        self.backend = backend
        self.gather_s = gather_s
        self.max_batch = max(1, max_batch or backend.max_batch)
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
            try:
                results = self.backend.render_windows([job for job, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - every waiting request hears of it
                log.exception("neural batch of %d failed", len(batch))
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), audio in zip(batch, results):
                future.set_result(audio)
            if self._closed:
                return

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
                 max_jobs: int = MAX_NEURAL_JOBS) -> None:
        from scenefill.engine.backends.plan import configure

        self.model_dirs = dict(model_dirs)
        self.device = device
        self.gather_s = gather_s
        self.max_batch = max_batch
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
                    batchers.append(WindowBatcher(backend, gather_s=self.gather_s, max_batch=self.max_batch))
                    log.info("loaded %s on %s (batches of up to %d windows)", name, backend.device,
                             batchers[-1].max_batch)
                self._batchers[name] = batchers
            return batchers

    def batcher(self, name: str) -> WindowBatcher:
        """The least busy model instance of ``name``: a request's windows all go to one device."""
        return min(self.batchers(name), key=lambda b: b.pending)

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
        return states

    def close(self) -> None:
        with self._lock:
            for batchers in self._batchers.values():
                for batcher in batchers:
                    batcher.close()
            self._batchers.clear()


__all__ = ["BackendUnavailable", "NeuralService", "WindowBatcher"]
