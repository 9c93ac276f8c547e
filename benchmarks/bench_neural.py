"""Neural backend benchmark: Stable Audio Open's exact configuration with random weights, no download.

    python benchmarks/bench_neural.py                      # on the GPU (CUDA when present)
    python benchmarks/bench_neural.py --compile            # torch.compile the DiT first
    python benchmarks/bench_neural.py --tiny --device cpu  # smoke run (CI): a tiny pipeline on the CPU

Prints one JSON object:
- ``aggregate``: 16 requests of one window each (45.5 s: a 47.55 s window less its
  overlap with a next one), queued at once and
  rendered through the daemon's WindowBatcher (continuous batching on one model),
  at 100 steps: wall time and the aggregate realtime factor (audio seconds / wall s).
- ``lone``: one 10 s request at 25 steps, alone, after a warm-up: latency of the
  model path (a 10 s request costs a whole window: the model always renders one);
  ``lone_file``: the same through the daemon's path to a finished 24-bit WAV
  (batcher, plan, mixer, room, limiter, file; everything but gRPC).
- ``peak_vram_gib``: the most GPU memory allocated at any time.

The arithmetic (and so the speed) of random weights is that of the release;
the figures say nothing about audio quality. Latents, stitching and resampling
to 48 kHz are included; the mixer and the file are not (CPU work the daemon
overlaps with the next batch).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import time


def build_backend(tiny: bool, device: str, dtype_name: str | None, compile_dit: bool):
    import torch

    from scenefill.engine.backends.device import pick_dtype
    from scenefill.engine.backends.fixtures import build_stable_audio_pipeline
    from scenefill.engine.backends.stable_audio import StableAudioBackend

    dtype = getattr(torch, dtype_name) if dtype_name else pick_dtype(device)
    started = time.perf_counter()
    with torch.device(device):  # initialise the 1.2B random parameters where they will run
        pipe = build_stable_audio_pipeline("tiny" if tiny else "real")
    pipe = pipe.to(device, dtype)
    if compile_dit:
        pipe.transformer = torch.compile(pipe.transformer, mode="max-autotune-no-cudagraphs", fullgraph=False)
    backend = StableAudioBackend.from_pipeline(pipe, device, label="(random weights, real configuration)"
                                               if not tiny else "(random weights, tiny)")
    params = {name: sum(p.numel() for p in getattr(pipe, name).parameters())
              for name in ("transformer", "vae", "text_encoder")}
    return backend, params, time.perf_counter() - started


def run_queued(backend, requests: int, seconds: float, steps: int, gather_s: float) -> dict:
    """``requests`` renders at once through one WindowBatcher, like the daemon's queue."""
    from scenefill.engine.backends import View
    from scenefill.server.neural_queue import WindowBatcher

    backend.steps = steps
    batcher = WindowBatcher(backend, gather_s=gather_s)
    n = int(seconds * 48000)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            backend.render(View("ambience", f"rain on a tin roof {i}"), n, seed=i, sample_rate=48000,
                           runner=batcher.run)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(requests)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    batcher.close()
    if errors:
        raise errors[0]
    return {"requests": requests, "seconds_each": round(seconds, 3), "steps": steps, "wall_s": round(wall, 3),
            "realtime_factor": round(requests * seconds / wall, 2), "batches": batcher.batches}


def run_lone(backend, seconds: float, steps: int) -> dict:
    from scenefill.engine.backends import View

    backend.steps = steps
    view = View("ambience", "a quiet cafe")
    backend.render(view, int(seconds * 48000), seed=99, sample_rate=48000)  # warm-up
    _sync(backend)
    started = time.perf_counter()
    backend.render(view, int(seconds * 48000), seed=1, sample_rate=48000)
    _sync(backend)
    latency = time.perf_counter() - started
    return {"seconds": seconds, "steps": steps, "latency_s": round(latency, 3),
            "realtime_factor": round(seconds / latency, 2)}


def run_lone_file(backend, seconds: float, steps: int, gather_s: float) -> dict:
    """The daemon's whole path for one request, less gRPC: batcher, plan, mixer, limiter, 24-bit WAV."""
    import tempfile
    from pathlib import Path

    from scenefill.engine.api import render_to_file
    from scenefill.engine.request import RenderRequest
    from scenefill.server.neural_queue import BoundRunner, WindowBatcher

    backend.steps = steps
    batcher = WindowBatcher(backend, gather_s=gather_s)
    runner = BoundRunner(batcher, None)
    with tempfile.TemporaryDirectory() as tmp:
        request = RenderRequest("a quiet cafe, cups and low voices", int(seconds * 48000), backend="stable-audio")
        render_to_file(request.replace(seed=99), Path(tmp) / "warm.wav", runner=runner)
        _sync(backend)
        started = time.perf_counter()
        render_to_file(request, Path(tmp) / "lone.wav", runner=runner)
        latency = time.perf_counter() - started
    batcher.close()
    return {"seconds": round(seconds, 3), "steps": steps, "latency_s": round(latency, 3)}


def _sync(backend) -> None:
    if backend.device.startswith("cuda"):
        backend.torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a tiny pipeline (smoke run)")
    parser.add_argument("--device", default=None, help="cuda (default when present) or cpu")
    parser.add_argument("--dtype", choices=("bfloat16", "float16", "float32"), default=None)
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--lone-steps", type=int, default=25)
    parser.add_argument("--lone-seconds", type=float, default=10.0)
    parser.add_argument("--gather", type=float, default=0.015, help="batch gather window, seconds")
    parser.add_argument("--compile", action="store_true", help="torch.compile the DiT")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_neural: needs the neural extra: pip install 'scenefill[neural]'", file=sys.stderr)
        return 2
    from scenefill.engine.backends.device import pick_device

    device = pick_device(args.device)
    if args.tiny:
        args.steps = min(args.steps, 2)
        args.lone_steps = min(args.lone_steps, 2)
        args.requests = min(args.requests, 4)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    backend, params, build_s = build_backend(args.tiny, device, args.dtype, args.compile)
    window_s = backend.max_window_s
    one_window_s = backend.one_window_samples(48000) / 48000
    report = {
        "benchmark": "bench_neural", "model": "stable-audio-open-1.0 configuration, random weights"
        if not args.tiny else "tiny random pipeline", "device": device,
        "gpu": torch.cuda.get_device_name(device) if device.startswith("cuda") else None,
        "dtype": str(backend.dtype).replace("torch.", ""), "compile": args.compile,
        "torch": torch.__version__, "python": platform.python_version(),
        "parameters": params, "build_s": round(build_s, 2), "window_s": round(window_s, 3),
        "max_batch": backend.max_batch,
    }
    report["lone"] = run_lone(backend, min(args.lone_seconds, one_window_s), args.lone_steps)
    report["lone_file"] = run_lone_file(backend, min(args.lone_seconds, one_window_s), args.lone_steps,
                                        args.gather)
    report["aggregate"] = run_queued(backend, args.requests, one_window_s, args.steps, args.gather)
    if device.startswith("cuda"):
        report["peak_vram_gib"] = round(torch.cuda.max_memory_allocated(device) / 1024 ** 3, 2)
    report["targets"] = {"aggregate_realtime_factor": 50, "lone_10s_latency_s": 1.5,
                         "note": "issue 11 targets on one H200; only meaningful for the real configuration"}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
