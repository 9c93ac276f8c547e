"""Benchmark: ``scenefill otio fill`` on a timeline of N notes of S seconds, cold then all cached.

Target (issue 4): 200 notes of 10 s fill in under 60 s on 2 cores cold, and in
under 3 s when every render is already in the media directory.

    python benchmarks/bench_otio.py                    # 200 x 10 s, in-process renderer
    python benchmarks/bench_otio.py --notes 20 --seconds 2   # a quick smoke run
    python benchmarks/bench_otio.py --server 127.0.0.1:50051 # through a running daemon

Each run is the real command in a fresh process (interpreter start-up, imports,
reading and writing the timeline included), timed from outside.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTES = [
    "light rain on a window", "heavy rain on a tin roof, distant thunder", "wind through trees",
    "quiet office room tone, HVAC hum", "city street traffic, pass-bys", "busy cafe crowd murmur",
    "birdsong in a park", "night crickets and insects", "river water flowing", "crackling fireplace",
    "ocean waves on a beach", "forest ambience, light breeze", "calm piano music bed",
    "tense strings music", "footsteps on gravel", "distant dog barking, suburb",
    "train station hall, announcements", "kitchen room tone, fridge hum", "gusty wind on a hill",
    "rain on leaves, distant traffic",
]


def make_timeline(path: Path, n: int, seconds: float, fps: float = 24000 / 1001) -> None:
    import opentimelineio as otio
    from opentimelineio.opentime import RationalTime as RT
    from opentimelineio.opentime import TimeRange as TR

    frames = round(seconds * 24000 / 1001) if abs(fps - 24000 / 1001) < 1e-6 else round(seconds * fps)
    tl = otio.schema.Timeline(f"bench {n} x {seconds:g}s", global_start_time=RT(86400, fps))
    v = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    for i in range(n):
        clip = otio.schema.Clip(f"sh{i:04d}", source_range=TR(RT(1001, fps), RT(frames, fps)))
        clip.markers.append(otio.schema.Marker(f"n{i}", TR(RT(1001, fps), RT(1, fps)),
                                               metadata={"Resolve_OTIO": {"Note": NOTES[i % len(NOTES)]}}))
        v.append(clip)
    tl.tracks.append(v)
    otio.adapters.write_to_file(tl, str(path))


def run(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, proc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--jobs", type=int, default=None, help="in-process workers (default: the command's, 2)")
    ap.add_argument("--server", help="render through this daemon instead")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-otio-"))
    try:
        tl = work / "bench.otio"
        make_timeline(tl, args.notes, args.seconds)
        exe = [sys.executable, "-m", "scenefill.cli"]
        cmd = [*exe, "otio", "fill", str(tl), "-o", str(work / "bench.filled.otio"),
               "--media-dir", str(work / "media"), "--quiet"]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        if args.server:
            cmd += ["--server", args.server]
        env = dict(os.environ)
        cold, p1 = run(cmd, env)
        if p1.returncode != 0:
            print(p1.stderr, file=sys.stderr)
            return 1
        cached, p2 = run(cmd, env)
        if p2.returncode != 0:
            print(p2.stderr, file=sys.stderr)
            return 1
        audio = args.notes * args.seconds
        figures = {
            "notes": args.notes, "seconds_each": args.seconds, "audio_seconds": audio,
            "cold_s": round(cold, 2), "cached_s": round(cached, 2),
            "realtime_x_cold": round(audio / cold, 1),
            "renderer": "daemon " + args.server if args.server else f"in-process, {args.jobs or 2} workers",
            "cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine(),
            "target_cold_s": 60.0 * args.notes / 200 * args.seconds / 10,
            "target_cached_s": 3.0,
        }
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            print(f"{args.notes} notes x {args.seconds:g} s ({audio:.0f} s of audio), {figures['renderer']}, "
                  f"{figures['cpus']} CPUs")
            print(f"  cold:   {cold:6.2f} s  ({figures['realtime_x_cold']}x real time)"
                  f"  target < {figures['target_cold_s']:g} s")
            print(f"  cached: {cached:6.2f} s  target < 3 s")
        return 0
    finally:
        if args.keep:
            print(f"work directory: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
