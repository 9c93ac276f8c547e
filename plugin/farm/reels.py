"""``scenefill farm fill``: many timelines (reels, episodes) filled as one job.

Each reel is read, planned and checked first (:func:`prepare_fill`; a reel with bad
input is reported and the others go on), then the renders of every reel are handed to
one renderer run, so a cluster works on the whole show at once and one progress bar
covers it. A request that appears in two reels (same note, length and seed) is
rendered once: its file name is the request's hash, in one shared media directory.
Last, each reel that has anything to place is written to OUTDIR under its own name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from scenefill.engine.errors import SceneFillError

from ..otio_common import OtioInputError
from ..otio_fill import FillReport, FillSettings, Planned, PreparedFill, finish_fill, prepare_fill
from ..renderer import FAILED, JobOutcome, Renderer, RenderJob

#: progress(done, total, reel name, outcome)
FarmProgress = Callable[[int, int, str, JobOutcome], None]


@dataclass
class ReelResult:
    """One reel of the job: its report, or the one-line reason it was not filled."""

    reel: str
    out: Path
    report: FillReport | None = None
    error: str = ""

    @property
    def failed(self) -> list[Planned]:
        return self.report.failed if self.report else []


@dataclass
class FarmReport:
    reels: list[ReelResult] = field(default_factory=list)
    renderer: str = ""
    jobs: int = 0                 # renders asked of the renderer (after the cache check: see counts)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(not r.error and not r.failed for r in self.reels)


def output_names(reels: list[str], outdir: Path) -> list[Path]:
    """OUTDIR/<reel's file name> for every reel; two reels with one name are refused."""
    outs, seen = [], {}
    for reel in reels:
        out = outdir / Path(reel).name
        if out.name in seen:
            raise OtioInputError(f"two reels are named {out.name} ({seen[out.name]} and {reel}); "
                                 "rename one, or fill them in two runs")
        seen[out.name] = reel
        outs.append(out)
    return outs


def farm_fill(reels: list[str], outdir: str | os.PathLike, *, settings: FillSettings, renderer: Renderer,
              media_dir: str | os.PathLike | None = None, progress: FarmProgress | None = None) -> FarmReport:
    """Fill every reel into ``outdir``; raises OtioInputError only for a bad OUTDIR or names."""
    import time

    t0 = time.perf_counter()
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise OtioInputError(f"-o {outdir} is not a directory")
    outs = output_names(reels, outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OtioInputError(f"-o {outdir}: {exc.strerror or exc}") from None
    mdir = Path(media_dir) if media_dir else outdir / "media"

    report = FarmReport(renderer=renderer.name)
    preps: list[tuple[ReelResult, PreparedFill]] = []
    for reel, out in zip(reels, outs):
        result = ReelResult(reel, out)
        report.reels.append(result)
        try:
            preps.append((result, prepare_fill(reel, out, settings=settings, media_dir=mdir)))
        except (SceneFillError, OSError) as exc:     # OtioInputError is a SceneFillError
            result.error = " ".join(str(exc).split()) or type(exc).__name__

    by_job: dict[str, tuple[str, Planned]] = {}
    jobs = []
    for n, (result, prep) in enumerate(preps):
        for p in prep.planned:
            job_id = f"{n}/{p.item.id}"
            by_job[job_id] = (Path(result.reel).name, p)
            jobs.append(RenderJob(job_id, p.request, p.dest))
    report.jobs = len(jobs)
    done = 0

    def on_done(job: RenderJob, out: JobOutcome) -> None:
        nonlocal done
        done += 1
        reel_name, p = by_job[job.id]
        p.status, p.error, p.sha256 = out.status, out.error, out.sha256
        if progress:
            progress(done, len(jobs), reel_name, out)

    if jobs:
        renderer.run(jobs, on_done)
    for result, prep in preps:
        try:
            result.report = finish_fill(prep, renderer.name)
        except (SceneFillError, OSError) as exc:
            result.error = f"cannot write {result.out}: " + (" ".join(str(exc).split()) or type(exc).__name__)
    report.seconds = time.perf_counter() - t0
    return report


def failure_rows(report: FarmReport) -> list[list[str]]:
    """reel, record in, marker, note, error: one row per note that failed for good."""
    rows = []
    for r in report.reels:
        if not r.report:
            continue
        rate = r.report.rate
        for p in sorted(r.failed, key=lambda q: q.item.start):
            it = p.item
            where = it.owner if it.kind == "clip" else f"{it.name or 'marker'} @ {it.owner}"
            rows.append([Path(r.reel).name, rate.timecode(it.start), where, it.note, p.error])
    return rows


def reel_rows(report: FarmReport) -> list[list[str]]:
    """reel, notes, rendered, cached, failed, skipped, audio seconds, output (or the error)."""
    rows = []
    for r in report.reels:
        name = Path(r.reel).name
        if r.report is None:
            rows.append([name, "-", "-", "-", "-", "-", "-", f"not filled: {r.error}"])
            continue
        counts: dict[str, int] = {}
        for p in r.report.planned:
            counts[p.status] = counts.get(p.status, 0) + 1
        audio = sum(p.request.n_samples / p.request.sample_rate for p in r.report.planned if p.status != FAILED)
        outs = ", ".join(str(w) for w in r.report.written) or (r.error or "nothing written (every note failed)")
        rows.append([name, str(len(r.report.planned)), str(counts.get("rendered", 0)),
                     str(counts.get("cached", 0)), str(counts.get("failed", 0)), str(len(r.report.skipped)),
                     f"{audio:.1f}", outs])
    return rows
