"""``--ray``: the renders of fill and conform as Ray tasks.

Same interface as the other renderers (:class:`scenefill.plugin.renderer.Renderer`), so
fill and conform need no change: files already in the media directory with the right
shape are reused before anything is submitted (a re-run submits nothing, and does not
even connect), the rest become one Ray task each, and every result is reported as it
lands. Ray retries a task whose worker died (``retries`` times) and one that raised
``OSError`` (a full or flaky disk); an engine error (a bad request) is not retried.
Two jobs with the same destination (the same request in two reels) render once.
A worker killed while writing leaves only files named with the run's token, which the
driver removes when the run ends.

Where the bytes go: before submitting, the driver writes a probe file with a random
token into each media directory. A worker that reads that token back sees the same
filesystem and lets the engine write the file in place (atomically); any other worker
renders to its own temporary directory and returns the bytes, which the driver checks
against the worker's SHA-256 and writes atomically. ``transfer="stream"`` forces the
second path (for a test, or a shared filesystem slower than the network).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from ..renderer import FAILED, RENDERED, JobOutcome, Renderer, RenderJob, _describe_error
from .cluster import Connection
from .tasks import DEFAULT_RENDER_IMPL, TaskResult, render_task

TRANSFERS = ("auto", "stream")
DEFAULT_RETRIES = 3
PROBE_PREFIX = ".scenefill-ray-probe-"


def write_atomically(data: bytes, dest: Path) -> None:
    """``dest`` gets ``data`` whole or not at all (temporary name in its directory, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=".sf-", suffix=dest.suffix, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sweep(directory: Path, token: str) -> int:
    """Remove what killed attempts of this run left in ``directory`` (names carrying ``token``:
    staged renders and the engine's own ``.part`` files). Returns how many."""
    n = 0
    try:
        names = [p for p in directory.iterdir() if p.name.startswith(".") and token in p.name]
    except OSError:
        return 0
    for p in names:
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n


def describe_task_error(exc: BaseException, retries: int) -> str:
    """One line for a task that failed for good (Ray wraps the worker's exception)."""
    try:
        from ray import exceptions as rx
    except ImportError:  # pragma: no cover - only called with Ray present
        return _describe_error(exc)
    if isinstance(exc, rx.RayTaskError):
        cause = getattr(exc, "cause", None)
        if cause is not None and not isinstance(cause, rx.RayError):
            return _describe_error(cause)
        return _describe_error(exc).split(" Traceback", 1)[0][:300]
    for kind, what in ((rx.OutOfMemoryError, "the worker ran out of memory"),
                       (rx.NodeDiedError, "its node died"), (rx.WorkerCrashedError, "the worker died")):
        if isinstance(exc, kind):
            return f"{what} on each of {retries + 1} tries"
    return _describe_error(exc)[:300]


class RayRenderer(Renderer):
    """Renders as Ray tasks on a cluster (or a local Ray started for the job)."""

    name = "ray"

    def __init__(self, address: str | None = None, *, retries: int = DEFAULT_RETRIES,
                 transfer: str = "auto", num_cpus: int | None = None, task_gpus: float = 0.0,
                 render_impl: str = DEFAULT_RENDER_IMPL, object_store_memory: int | None = None):
        if transfer not in TRANSFERS:
            raise ValueError(f"transfer must be one of {', '.join(TRANSFERS)}")
        if retries < 0:
            raise ValueError("retries cannot be negative")
        self.connection = Connection(address or "local", num_cpus=num_cpus,
                                     object_store_memory=object_store_memory)
        self.retries = retries
        self.transfer = transfer
        self.task_gpus = task_gpus
        self.render_impl = render_impl
        self.stats = {"submitted": 0, "streamed": 0, "in_place": 0, "deduplicated": 0}

    @property
    def address(self) -> str:
        return self.connection.address

    def _render(self, jobs: list[RenderJob]):
        from scenefill import ENGINE_VERSION

        ray = self.connection.open()
        token = secrets.token_hex(16)
        probes = self._write_probes({job.dest.parent for job in jobs}, token)
        remote = ray.remote(render_task).options(
            num_cpus=1, num_gpus=self.task_gpus, max_retries=self.retries,
            retry_exceptions=[OSError], name="scenefill-render")
        sde = os.environ.get("SOURCE_DATE_EPOCH")
        pending: dict = {}
        try:
            twins: dict[Path, list[RenderJob]] = {}
            for job in jobs:
                if job.dest in twins:
                    twins[job.dest].append(job)
                    self.stats["deduplicated"] += 1
                    continue
                twins[job.dest] = [job]
                probe = probes.get(job.dest.parent)
                ref = remote.remote(job.request.to_dict(), str(job.dest), engine=ENGINE_VERSION,
                                    probe=str(probe) if probe else None, token=token,
                                    source_date_epoch=sde, render_impl=self.render_impl)
                pending[ref] = job
                self.stats["submitted"] += 1
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=min(len(pending), 32), timeout=0.5,
                                    fetch_local=True)
                for ref in ready:
                    job = pending.pop(ref)
                    outcome = self._collect(ray, ref, job)
                    for twin in twins[job.dest]:
                        yield twin, JobOutcome(twin.id, outcome.status, outcome.path, outcome.n_samples,
                                               outcome.sha256, outcome.error, outcome.seconds)
        finally:
            for ref in pending:          # interrupted (^C, the caller stopped): stop what is left
                try:
                    ray.cancel(ref)
                except Exception:  # noqa: BLE001 - already finished, or the cluster is gone
                    pass
            for d, probe in probes.items():
                probe.unlink(missing_ok=True)
                sweep(d, token)

    def _collect(self, ray, ref, job: RenderJob) -> JobOutcome:
        try:
            res: TaskResult = ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a task that failed for good: report, go on
            return JobOutcome(job.id, FAILED, error=describe_task_error(exc, self.retries))
        if res.data is not None:
            import hashlib

            if hashlib.sha256(res.data).hexdigest() != res.sha256:
                return JobOutcome(job.id, FAILED, error=f"the bytes from {res.node} do not match their SHA-256")
            try:
                write_atomically(res.data, job.dest)
            except OSError as exc:
                return JobOutcome(job.id, FAILED, error=f"cannot write {job.dest}: {exc.strerror or exc}")
            self.stats["streamed"] += 1
        else:
            self.stats["in_place"] += 1
        return JobOutcome(job.id, RENDERED, job.dest, res.n_samples, res.sha256, seconds=res.seconds)

    def _write_probes(self, dirs: set[Path], token: str) -> dict[Path, Path]:
        """A probe file per media directory (none in ``stream`` mode; see the module doc)."""
        if self.transfer == "stream":
            return {}
        probes = {}
        for d in dirs:
            probe = d / f"{PROBE_PREFIX}{token}"
            try:
                probe.write_text(token, encoding="ascii")
            except OSError:
                continue            # the workers stream; the driver's own write will report it
            probes[d] = probe
        return probes

    def close(self) -> None:
        self.connection.close()
