"""Where the OTIO adapter gets its audio: one small interface, three implementations.

* :class:`InProcessRenderer` -- the engine in this machine, jobs spread over a
  process pool (one worker per core by default; renders are single-threaded).
* :class:`DaemonRenderer` -- a running SceneFill daemon (``--server ADDR`` or
  ``SCENEFILL_SERVER``), through :class:`scenefill.plugin.client.SceneFillClient`;
  each result is copied (or hard-linked) from the daemon's output directory into
  the media directory.
* :class:`PlaceholderRenderer` -- silent files of the exact length (``--placeholder``:
  check placement in the NLE before spending time on renders).

Every implementation first checks the destination: a file that is already there
with the right length, rate and channel count is reused ("cached"); destinations
are named by the request's content key, so a match is the same render.
Files are always written atomically (temporary name in the same directory, then
``os.replace``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from scenefill.engine.request import RenderRequest

RENDERED, CACHED, FAILED = "rendered", "cached", "failed"


@dataclass
class RenderJob:
    id: str
    request: RenderRequest
    dest: Path


@dataclass
class JobOutcome:
    id: str
    status: str                 # rendered | cached | failed
    path: Path | None = None
    n_samples: int = 0          # samples in the file (range + handles)
    sha256: str = ""
    error: str = ""
    seconds: float = 0.0


#: called once per finished job, in completion order
OnDone = Callable[[RenderJob, JobOutcome], None]


def file_matches(path: Path, request: RenderRequest) -> bool:
    """True when ``path`` is a complete audio file of the request's exact shape."""
    try:
        import soundfile as sf

        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - missing, partial or foreign file: not a match
        return False
    return (info.frames == request.total_samples and info.samplerate == request.sample_rate
            and info.channels == request.channels)


class Renderer:
    """Render a batch of jobs; report each as it finishes; never raise for one bad job."""

    name = "renderer"

    def run(self, jobs: Iterable[RenderJob], on_done: OnDone | None = None) -> dict[str, JobOutcome]:
        jobs = list(jobs)
        outcomes: dict[str, JobOutcome] = {}
        todo: list[RenderJob] = []
        for job in jobs:
            if file_matches(job.dest, job.request):
                out = JobOutcome(job.id, CACHED, job.dest, job.request.total_samples)
                outcomes[job.id] = out
                if on_done:
                    on_done(job, out)
            else:
                todo.append(job)
        if todo:
            for job in todo:
                job.dest.parent.mkdir(parents=True, exist_ok=True)
            for job, out in self._render(todo):
                outcomes[job.id] = out
                if on_done:
                    on_done(job, out)
        return outcomes

    def _render(self, jobs: list[RenderJob]):  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _render_one(request: RenderRequest, dest: str, processes: int = 1) -> tuple[int, str, float]:
    """Render one request to ``dest``: in a pool worker (one process each: the pool fills the
    cores), or inline for a lone job (which may take a second core: see ``render_to_file``)."""
    from scenefill.engine.api import render_to_file

    t0 = time.perf_counter()
    result = render_to_file(request, dest, processes=processes)
    return result.n_samples, result.sha256, time.perf_counter() - t0


def _describe_error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class InProcessRenderer(Renderer):
    """The engine in this process tree; ``workers`` processes for more than one job."""

    name = "in-process"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def _render(self, jobs):
        if len(jobs) == 1 or self.workers == 1:
            for job in jobs:
                yield job, self._inline(job)
            return
        import multiprocessing as mp

        ctx = mp.get_context("fork") if hasattr(os, "fork") else None
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=ctx) as pool:
            pending = {pool.submit(_render_one, job.request, str(job.dest)): job for job in jobs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    try:
                        n, sha, secs = fut.result()
                        yield job, JobOutcome(job.id, RENDERED, job.dest, n, sha, seconds=secs)
                    except Exception as exc:  # noqa: BLE001 - one failed job must not stop the rest
                        yield job, JobOutcome(job.id, FAILED, error=_describe_error(exc))

    @staticmethod
    def _inline(job: RenderJob) -> JobOutcome:
        try:
            n, sha, secs = _render_one(job.request, str(job.dest), processes=2)
            return JobOutcome(job.id, RENDERED, job.dest, n, sha, seconds=secs)
        except Exception as exc:  # noqa: BLE001
            return JobOutcome(job.id, FAILED, error=_describe_error(exc))


def place_file(src: Path, dest: Path) -> None:
    """Put a copy of ``src`` at ``dest`` atomically (hard link when on the same disk)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sf-", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class DaemonRenderer(Renderer):
    """A running SceneFill daemon; results are copied into the media directory."""

    name = "daemon"

    def __init__(self, address: str, token: str | None = None):
        try:
            from scenefill.plugin.client import SceneFillClient
        except ImportError as exc:  # the client ships with the daemon work
            raise RuntimeError(f"the daemon client is not available: {exc}") from None
        self.address = address
        self._client = SceneFillClient(address, token=token)

    #: items sent in one RenderBatch call (the daemon's default limit is 1000)
    batch_size = 500

    def _render(self, jobs):
        wait_ready = getattr(self._client, "wait_ready", None)
        if wait_ready is not None:
            try:
                wait_ready(timeout=10.0)
            except Exception as exc:  # noqa: BLE001 - unreachable: every job fails with the reason
                msg = _describe_error(exc)
                for job in jobs:
                    yield job, JobOutcome(job.id, FAILED, error=msg)
                return
        for start in range(0, len(jobs), self.batch_size):
            yield from self._batch(jobs[start:start + self.batch_size])

    def _batch(self, jobs):
        by_id = {job.id: job for job in jobs}
        items = [(job.id, job.request) for job in jobs]
        seen = set()
        try:
            for job_id, result in self._client.render_batch(items):
                job = by_id.get(job_id)
                if job is None:
                    continue
                seen.add(job_id)
                if isinstance(result, BaseException):
                    yield job, JobOutcome(job_id, FAILED, error=_describe_error(result))
                    continue
                try:
                    place_file(Path(result.path), job.dest)
                except OSError as exc:
                    yield job, JobOutcome(job_id, FAILED, error=f"cannot copy {result.path}: {exc}")
                    continue
                yield job, JobOutcome(job_id, RENDERED, job.dest, result.n_samples, result.sha256)
        except Exception as exc:  # noqa: BLE001 - connection lost etc.: fail what is left
            msg = f"daemon at {self.address}: {_describe_error(exc)}"
            for job in jobs:
                if job.id not in seen:
                    seen.add(job.id)
                    yield job, JobOutcome(job.id, FAILED, error=msg)
        for job in jobs:
            if job.id not in seen:
                yield job, JobOutcome(job.id, FAILED, error="the daemon returned no result")

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close:
            close()


class PlaceholderRenderer(Renderer):
    """Silent files of the exact length: check placement before rendering for real."""

    name = "placeholder"

    def _render(self, jobs):
        import numpy as np
        import soundfile as sf

        for job in jobs:
            req = job.request
            fd, tmp = tempfile.mkstemp(prefix=".sf-", suffix=job.dest.suffix, dir=job.dest.parent)
            os.close(fd)
            try:
                subtype = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[req.bit_depth]
                sf.write(tmp, np.zeros((req.total_samples, req.channels), dtype=np.float32),
                         req.sample_rate, subtype=subtype, format=req.fmt.upper())
                os.replace(tmp, job.dest)
                yield job, JobOutcome(job.id, RENDERED, job.dest, req.total_samples)
            except Exception as exc:  # noqa: BLE001
                if os.path.exists(tmp):
                    os.unlink(tmp)
                yield job, JobOutcome(job.id, FAILED, error=_describe_error(exc))


def make_renderer(server: str | None = None, *, placeholder: bool = False,
                  workers: int | None = None, token: str | None = None, ray: str | None = None) -> Renderer:
    """The renderer the options ask for: placeholder, daemon (--server / SCENEFILL_SERVER), a Ray
    cluster (--ray / SCENEFILL_RAY; ``ray=""`` is a local Ray) or in-process. Flags beat variables."""
    if placeholder:
        return PlaceholderRenderer()
    if server and ray is not None:
        raise RuntimeError("give --server or --ray, not both")
    field = "--ray"
    if ray is None and not server and not os.environ.get("SCENEFILL_SERVER"):
        from scenefill.plugin.farm.cluster import ENV, env_address

        ray, field = env_address(), ENV
    if ray is not None:
        from scenefill.plugin.farm.cluster import normalize_address, require_ray

        require_ray()
        try:
            address = normalize_address(ray, field)
        except ValueError as exc:
            raise RuntimeError(str(exc)) from None
        from scenefill.plugin.farm.ray_renderer import RayRenderer

        return RayRenderer(address, num_cpus=workers)
    server = server or os.environ.get("SCENEFILL_SERVER") or None
    if server:
        return DaemonRenderer(server, token=token or os.environ.get("SCENEFILL_TOKEN") or None)
    return InProcessRenderer(workers)
