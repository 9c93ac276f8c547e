"""Daemon benchmark: cold start, render latency (miss / cache hit), throughput with 1 and 8 clients, memory.

    python benchmarks/bench_server.py            # full run (about a minute on 2 cores)
    python benchmarks/bench_server.py --quick    # smoke run
    python benchmarks/bench_server.py --json     # machine-readable figures too

Every figure is measured against a real ``scenefill serve`` child process on a
loopback port with a fresh output/cache directory, from the client's side of
the wire. Throughput uses distinct requests (fresh seeds), so nothing is served
from the cache or coalesced. Memory is the daemon process alone and the whole
process tree (daemon + forkserver + workers) as RSS and as PSS (shared pages
split between processes: the honest total for forked workers).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scenefill.engine.request import RenderRequest
from scenefill.plugin.client import SceneFillClient
from scenefill.server.testing import DaemonProcess, descendants, rss_bytes

NOTE = "heavy rain on a tin roof, gusty wind, distant traffic"
SR = 48000
_seeds = itertools.count(1)


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def idle_fraction(seconds: float = 1.0) -> float:
    """Share of CPU time the whole machine spent idle over ``seconds`` (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    idle0, total0 = snap()
    time.sleep(seconds)
    idle1, total1 = snap()
    return (idle1 - idle0) / max(1, total1 - total0)


def tree_memory(pid: int) -> dict:
    pids = [pid, *descendants(pid)]
    return {"daemon_rss": rss_bytes(pid), "tree_rss": sum(map(rss_bytes, pids)),
            "tree_pss": sum(map(pss_bytes, pids)), "processes": len(pids)}


def request(seconds: float) -> RenderRequest:
    return RenderRequest(NOTE, int(seconds * SR), seed=next(_seeds))


def cold_start(root: Path, runs: int, workers: int) -> dict:
    to_serving, to_warm = [], []
    for i in range(runs):
        d = DaemonProcess(root / f"cold{i}", workers=workers)
        t0 = time.perf_counter()
        d.start()
        with SceneFillClient(d.address) as c:
            while True:
                try:
                    if c.health() == "SERVING":
                        break
                except Exception:  # noqa: BLE001 - not up yet
                    pass
                time.sleep(0.005)
            to_serving.append(time.perf_counter() - t0)
            while c.info()["workers_ready"] < workers:
                time.sleep(0.01)
            to_warm.append(time.perf_counter() - t0)
        d.close()
    return {"to_serving_s": statistics.median(to_serving), "to_serving_all_s": to_serving,
            "to_workers_warm_s": statistics.median(to_warm)}


def latency(client: SceneFillClient, seconds: float, misses: int, hits: int) -> dict:
    miss_times = []
    for _ in range(misses):
        req = request(seconds)
        t0 = time.perf_counter()
        client.render(req)
        miss_times.append(time.perf_counter() - t0)
        assert not client.last_accepted.cache_hit
    req = request(seconds)
    client.render(req)
    hit_times = []
    for _ in range(hits):
        t0 = time.perf_counter()
        client.render(req)
        hit_times.append(time.perf_counter() - t0)
        assert client.last_accepted.cache_hit
    return {"miss_median_s": statistics.median(miss_times), "miss_min_s": min(miss_times),
            "hit_median_s": statistics.median(hit_times), "hit_p95_s": sorted(hit_times)[int(0.95 * (hits - 1))]}


def throughput(address: str, clients: int, renders: int, seconds: float) -> dict:
    """``renders`` distinct renders spread over ``clients`` concurrent clients; renders per second."""
    requests = [request(seconds) for _ in range(renders)]
    shares = [requests[i::clients] for i in range(clients)]

    def work(share):
        with SceneFillClient(address) as c:
            for req in share:
                c.render(req)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, shares))
    wall = time.perf_counter() - t0
    return {"clients": clients, "renders": renders, "wall_s": wall, "renders_per_s": renders / wall,
            "audio_x_realtime": renders * seconds / wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--workers", type=int, default=None, help="daemon workers (default: one per core)")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    workers = args.workers or cores
    quick = args.quick
    idle = idle_fraction()
    figures: dict = {"machine": {"cores": cores, "python": platform.python_version(), "platform": platform.platform(),
                                 "idle_at_start": idle},
                     "workers": workers, "render_seconds": 10.0}
    print(f"{cores} cores, {workers} workers, Python {platform.python_version()}, CPU {idle:.0%} idle at start")
    if idle < 0.9:
        print("warning: something else is using the CPU; throughput and latency figures will be pessimistic",
              file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="scenefill-bench-") as tmp:
        root = Path(tmp)
        figures["cold_start"] = cold_start(root, 1 if quick else 5, workers)
        print(f"cold start to SERVING:        {figures['cold_start']['to_serving_s'] * 1000:7.0f} ms "
              f"(median of {len(figures['cold_start']['to_serving_all_s'])}; workers warm after "
              f"{figures['cold_start']['to_workers_warm_s'] * 1000:.0f} ms)")

        with DaemonProcess(root / "main", workers=workers) as d:
            d.wait_workers()
            time.sleep(0.5)
            figures["memory_at_rest"] = tree_memory(d.pid)
            with SceneFillClient(d.address) as client:
                lat = latency(client, 10.0, 3 if quick else 10, 20 if quick else 200)
            figures["latency_10s"] = lat
            print(f"10 s render, cache miss:      {lat['miss_median_s'] * 1000:7.0f} ms (median; best "
                  f"{lat['miss_min_s'] * 1000:.0f} ms)")
            print(f"10 s render, cache hit:       {lat['hit_median_s'] * 1000:7.1f} ms (median; p95 "
                  f"{lat['hit_p95_s'] * 1000:.1f} ms)")

            # 1 and 8 clients alternate for a few rounds (medians), so a noisy neighbour on a
            # shared machine skews both sides alike rather than one of them.
            renders = 8 if quick else 32
            rounds = 1 if quick else 3
            peak = {"daemon_rss": 0, "tree_rss": 0, "tree_pss": 0}
            sampling = threading.Event()
            done = threading.Event()

            def sample():
                while not done.is_set():
                    if sampling.is_set():
                        m = tree_memory(d.pid)
                        for k in peak:
                            peak[k] = max(peak[k], m[k])
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            ones, eights = [], []
            for _ in range(rounds):
                ones.append(throughput(d.address, 1, renders, 10.0))
                sampling.set()
                eights.append(throughput(d.address, 8, renders, 10.0))
                sampling.clear()
            done.set()
            sampler.join()
            ratios = [e["renders_per_s"] / o["renders_per_s"] for o, e in zip(ones, eights)]
            one = {"renders_per_s": statistics.median(o["renders_per_s"] for o in ones),
                   "audio_x_realtime": statistics.median(o["audio_x_realtime"] for o in ones), "rounds": ones}
            eight = {"renders_per_s": statistics.median(e["renders_per_s"] for e in eights),
                     "audio_x_realtime": statistics.median(e["audio_x_realtime"] for e in eights), "rounds": eights}
            figures["throughput"] = {"1": one, "8": eight, "speedup": statistics.median(ratios),
                                     "speedup_per_round": ratios}
            figures["memory_under_load_peak"] = peak
            print(f"throughput, 1 client:         {one['renders_per_s']:7.2f} renders/s "
                  f"({one['audio_x_realtime']:.0f}x realtime; {renders} x 10 s, median of {rounds})")
            print(f"throughput, 8 clients:        {eight['renders_per_s']:7.2f} renders/s "
                  f"({eight['audio_x_realtime']:.0f}x realtime) = {figures['throughput']['speedup']:.2f}x one client "
                  f"(per round: {', '.join(f'{r:.2f}' for r in ratios)})")
            rest = figures["memory_at_rest"]
            print(f"memory at rest:               daemon {rest['daemon_rss'] / 2**20:.0f} MiB RSS; "
                  f"all {rest['processes']} processes {rest['tree_rss'] / 2**20:.0f} MiB RSS, "
                  f"{rest['tree_pss'] / 2**20:.0f} MiB PSS")
            print(f"memory under load (peak):     daemon {peak['daemon_rss'] / 2**20:.0f} MiB RSS; "
                  f"all processes {peak['tree_rss'] / 2**20:.0f} MiB RSS, {peak['tree_pss'] / 2**20:.0f} MiB PSS")
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
