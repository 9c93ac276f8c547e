"""How fast every registered sound model renders: milliseconds per second of audio.

    python -m scenefill.engine.models._speed                 # all models, 60 s at 48 kHz
    python -m scenefill.engine.models._speed rain wind --sr 96000 --seconds 30 --repeat 5

Each model renders one warm-up block (filter design, noise tables, kernels),
then ``--seconds`` of stereo audio in full blocks, ``--repeat`` times; the
best run is reported as wall-clock and CPU milliseconds per second of audio
(the budget is about 3 ms per second for a bed at 48 kHz). Not collected by
the registry: the module name starts with an underscore.
"""

from __future__ import annotations

import argparse
import math
import time

from . import BLOCK, REGISTRY, ModelParams


def measure(name: str, sr: int = 48000, seconds: float = 60.0, repeat: int = 3,
            intensity: float = 0.5) -> tuple[float, float]:
    """(wall ms, cpu ms) per second of audio, best of ``repeat`` runs."""
    blocks = math.ceil(seconds * sr / BLOCK)
    audio = blocks * BLOCK / sr
    best_wall = best_cpu = math.inf
    for run in range(repeat):
        model = REGISTRY[name](sr, 1 + run, 0, ModelParams(intensity=intensity))
        model.next_block()  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(blocks):
            model.next_block()
        best_wall = min(best_wall, (time.perf_counter() - wall) * 1000 / audio)
        best_cpu = min(best_cpu, (time.process_time() - cpu) * 1000 / audio)
    return best_wall, best_cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="model names (default: all registered)")
    ap.add_argument("--sr", type=int, default=48000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--intensity", type=float, default=0.5)
    args = ap.parse_args(argv)
    names = args.models or sorted(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        ap.error(f"unknown models: {', '.join(unknown)}")
    print(f"{'model':12s} {'category':9s} {'wall ms/s':>10s} {'cpu ms/s':>9s} {'x realtime':>11s}")
    total = 0.0
    for name in names:
        wall, cpu = measure(name, args.sr, args.seconds, args.repeat, args.intensity)
        total += wall
        print(f"{name:12s} {REGISTRY[name].category:9s} {wall:10.2f} {cpu:9.2f} {1000 / wall:11.0f}")
    print(f"{'all':12s} {'':9s} {total:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
