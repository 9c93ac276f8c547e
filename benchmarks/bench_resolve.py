"""Benchmark: the Resolve plugin's Fill From Markers on the fake Resolve, rendering on a real daemon.

Target (issue 10): 200 markers of 10 s, filled through a running daemon; the
plugin's own part (reading the timeline, importing, placing, verifying) under 2 s.
The render time is the daemon's and is reported apart. Then the same fill again
(every file cached, every item kept) and a conform after every marker moved one
frame (no render: each clip moves).

    python benchmarks/bench_resolve.py                          # 200 x 10 s, a daemon started here
    python benchmarks/bench_resolve.py --markers 20 --seconds 2 # quick
    python benchmarks/bench_resolve.py --server 127.0.0.1:50051 # a daemon already running

The fake Resolve answers in microseconds, so "plugin" is SceneFill's own cost; a real
Resolve adds its API round trips (see README: what needs a real Resolve).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_otio import NOTES  # noqa: E402 - the same notes as the OTIO benchmark (this folder is on sys.path)


def world(n: int, seconds: float):
    from fake_resolve import make_resolve

    frames = round(seconds * 24000 / 1001)
    r, tl = make_resolve(length=n * frames + 24)
    for i in range(n):
        tl.add_clip(f"sh{i:04d}", i * frames, frames, left_offset=1001)
        tl.add_marker(i * frames, NOTES[i % len(NOTES)], duration=frames, color="Blue")
    return r, tl


def phases(report) -> dict:
    t = report.timings
    return {k: round(t.get(k, 0.0), 3) for k in ("read", "render", "import", "place", "verify", "plugin", "total")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markers", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--server", help="a running daemon (default: start one here)")
    ap.add_argument("--workers", type=int, default=None, help="workers of the daemon started here (default: cores)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from scenefill.plugin.resolve import conform, fill_from_markers
    from scenefill.server.testing import DaemonProcess

    work = Path(tempfile.mkdtemp(prefix="bench-resolve-"))
    os.environ["SCENEFILL_MEDIA_DIR"] = str(work / "media")
    daemon = None
    try:
        if args.server:
            address = args.server
        else:
            daemon = DaemonProcess(work / "daemon-out", workers=args.workers or os.cpu_count()).start()
            daemon.wait_workers()
            address = daemon.address
        r, tl = world(args.markers, args.seconds)
        t0 = time.perf_counter()
        cold = fill_from_markers(r, server=address, quiet=True)
        wall = time.perf_counter() - t0
        assert cold.ok and cold.counts["placed"] == args.markers, cold.lines()[-5:]
        again = fill_from_markers(r, server=address, quiet=True)
        assert again.counts["kept"] == args.markers
        for offset in sorted(tl._markers, reverse=True):
            tl.move_marker(offset, int(offset) + 1)
        conf = conform(r, server=address, quiet=True)
        assert conf.ok and conf.changes.get("moved") == args.markers, conf.changes
        figures = {
            "markers": args.markers, "seconds_each": args.seconds, "audio_seconds": args.markers * args.seconds,
            "fill": phases(cold), "fill_wall_s": round(wall, 2), "refill_all_kept": phases(again),
            "conform_all_moved": phases(conf), "target_plugin_s": 2.0,
            "daemon": address if args.server else f"started here, {args.workers or os.cpu_count()} workers",
            "cpus": os.cpu_count(), "python": platform.python_version(),
        }
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            f = figures["fill"]
            print(f"{args.markers} markers x {args.seconds:g} s on the fake Resolve, daemon {figures['daemon']}")
            print(f"  fill:    render {f['render']:.2f} s | plugin {f['plugin']:.2f} s (read {f['read']:.2f}, "
                  f"import {f['import']:.2f}, place {f['place']:.2f}, verify {f['verify']:.2f})  target plugin < 2 s")
            for label, key in (("refill", "refill_all_kept"), ("conform", "conform_all_moved")):
                g = figures[key]
                print(f"  {label}:  render {g['render']:.2f} s | plugin {g['plugin']:.2f} s (read {g['read']:.2f}, "
                      f"import {g['import']:.2f}, place {g['place']:.2f}, verify {g['verify']:.2f})")
        return 0
    finally:
        if daemon is not None:
            daemon.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
