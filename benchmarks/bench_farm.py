"""Benchmark (issue 12): renders as Ray tasks against the in-process pool, and a soak with
workers killed mid-job.

    python benchmarks/bench_farm.py                  # 200 notes x 10 s, 2 CPUs
    python benchmarks/bench_farm.py --notes 40       # a shorter run on a busy machine
    python benchmarks/bench_farm.py --notes 8 --seconds 2 --kills 1   # smoke run

On one machine it measures what the farm model in docs/benchmarks.md needs:

1. Ray's own cost: start-up of a local Ray, a no-op task's round trip, and the no-op
   throughput (ms per task when N are queued on C CPUs).
2. The same fill (one timeline, N markers of S seconds) three ways, each into an empty
   media dir: the in-process pool (C workers), Ray tasks writing in place (shared
   filesystem), Ray tasks streaming the bytes back to the driver. Per-render CPU cost
   (measured on the workers) and Ray's extra cost per render follow.
3. A re-run through Ray (all cache hits: nothing submitted).
4. A soak: the fill again into an empty dir through Ray while ``--kills`` running render
   workers are SIGKILLed at even intervals of the job; then every file is checked against
   the in-process one (nothing lost, nothing corrupted) and the media dir must hold exactly
   N files and no temporary ones (nothing duplicated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_otio import make_timeline  # noqa: E402


def media(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file() and not p.name.startswith(".")}


def render_workers() -> list[int]:
    """Ray worker processes running a SceneFill render now (their title is ray::scenefill-render)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"ray::scenefill-render"):
                pids.append(int(entry))
    return pids


def timed_fill(src: Path, out: Path, renderer, progress=None):
    from scenefill.plugin.otio_fill import FillSettings, fill

    t0 = time.perf_counter()
    report = fill(src, out, settings=FillSettings(), renderer=renderer, progress=progress)
    wall = time.perf_counter() - t0
    statuses = {}
    for p in report.planned:
        statuses[p.status] = statuses.get(p.status, 0) + 1
    return wall, report, statuses


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--kills", type=int, default=3, help="render workers killed during the soak")
    args = ap.parse_args(argv)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")     # byte-comparable files

    import ray

    from scenefill.plugin.farm.ray_renderer import RayRenderer
    from scenefill.plugin.renderer import InProcessRenderer

    work = Path(tempfile.mkdtemp(prefix="bench-farm-"))
    src = work / "reel.otio"
    make_timeline(src, args.notes, args.seconds)
    n, c = args.notes, args.cpus
    fig: dict = {"notes": n, "seconds_each": args.seconds, "cpus": c, "host": platform.node(),
                 "load_avg_at_start": os.getloadavg()[0]}

    # 1. Ray itself
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=c, include_dashboard=False, log_to_driver=False, configure_logging=False)
    fig["ray_start_s"] = round(time.perf_counter() - t0, 2)

    @ray.remote(num_cpus=1)
    def noop():
        return None

    ray.get([noop.remote() for _ in range(2 * c)])                # workers up
    t0 = time.perf_counter()
    for _ in range(20):
        ray.get(noop.remote())
    fig["noop_round_trip_ms"] = round((time.perf_counter() - t0) / 20 * 1000, 2)
    t0 = time.perf_counter()
    ray.get([noop.remote() for _ in range(n)])
    fig["noop_throughput_ms_per_task"] = round((time.perf_counter() - t0) / n * 1000, 2)

    # 2. the fill three ways. The first in-process run fills the engine's calibration cache
    # (a one-off per machine) and is reported apart; the in-process pool starts (and imports
    # the engine) on every fill, as the CLI does; Ray's workers are cold on the first Ray
    # fill and warm after it, as on a long-lived cluster.
    wall, _, st = timed_fill(src, work / "warmup" / "reel.otio", InProcessRenderer(c))
    fig["in_process_first_with_calibration"] = {"wall_s": round(wall, 2), "statuses": st}
    wall, rep, st = timed_fill(src, work / "inproc" / "reel.otio", InProcessRenderer(c))
    fig["in_process"] = {"wall_s": round(wall, 2), "statuses": st}
    with RayRenderer(retries=3) as r:
        wall, rep_ray, st = timed_fill(src, work / "ray" / "reel.otio", r)
    fig["ray_in_place_cold_workers"] = {"wall_s": round(wall, 2), "statuses": st, **r.stats}
    with RayRenderer(retries=3) as r:
        wall, _, st = timed_fill(src, work / "ray2" / "reel.otio", r)
    fig["ray_in_place"] = {"wall_s": round(wall, 2), "statuses": st, **r.stats}
    with RayRenderer(retries=3, transfer="stream") as r:
        wall, _, st = timed_fill(src, work / "stream" / "reel.otio", r)
    fig["ray_streamed"] = {"wall_s": round(wall, 2), "statuses": st, **r.stats}
    ref = media(work / "inproc" / "reel_media")
    fig["identical_to_in_process"] = {"in_place": media(work / "ray" / "reel_media") == ref
                                      and media(work / "ray2" / "reel_media") == ref,
                                      "streamed": media(work / "stream" / "reel_media") == ref}
    fig["file_mb"] = round(sum(len(b) for b in ref.values()) / len(ref) / 1e6, 2)

    # per-render CPU cost, measured on the workers (outcome.seconds), from a Ray run
    from scenefill.plugin.renderer import RenderJob

    jobs = [RenderJob(p.item.id, p.request, work / "cost" / p.dest.name) for p in rep_ray.planned]
    (work / "cost").mkdir()
    with RayRenderer() as r:
        t0 = time.perf_counter()
        outs = r.run(jobs)
        wall = time.perf_counter() - t0
    per = sorted(o.seconds for o in outs.values())
    fig["render_s_per_note"] = {"mean": round(sum(per) / len(per), 3), "median": round(per[len(per) // 2], 3)}
    busy = sum(per)
    fig["ray_overhead_ms_per_task"] = round(max(0.0, wall * c - busy) / n * 1000, 1)
    # the pool's start-up and imports, spread over the renders (paid on every CLI fill)
    fig["in_process_overhead_ms_per_task"] = round(
        max(0.0, fig["in_process"]["wall_s"] * c - busy) / n * 1000, 1)

    # 3. re-run: all cached
    with RayRenderer() as r:
        wall, _, st = timed_fill(src, work / "ray" / "reel.otio", r)
    fig["rerun"] = {"wall_s": round(wall, 2), "statuses": st, "submitted": r.stats["submitted"]}

    # 4. soak: kill render workers at even intervals of the job
    marks = {round(n * (k + 1) / (args.kills + 1)) for k in range(args.kills)}
    killed: list[int] = []

    def progress(done, total, planned, outcome):
        if done in marks:
            for _ in range(50):                       # a worker between two tasks: wait for the next
                pids = render_workers()
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                    break
                time.sleep(0.02)

    with RayRenderer(retries=3) as r:
        wall, rep_soak, st = timed_fill(src, work / "soak" / "reel.otio", r, progress)
    got = media(work / "soak" / "reel_media")
    leftovers = [p.name for p in (work / "soak" / "reel_media").iterdir() if p.name.startswith(".")]
    fig["soak"] = {"wall_s": round(wall, 2), "statuses": st, "workers_killed": len(killed),
                   "files": len(got), "expected_files": len(ref), "identical_to_in_process": got == ref,
                   "temporary_files_left": len(leftovers)}
    fig["load_avg_at_end"] = os.getloadavg()[0]
    ray.shutdown()
    print(json.dumps(fig, indent=2))
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    ok = (fig["soak"]["identical_to_in_process"] and not leftovers and all(fig["identical_to_in_process"].values())
          and st == {"rendered": n})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
