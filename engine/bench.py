"""``scenefill bench``: the speed and memory figures we promise, measured.

Prints what a user meets from the shell first -- the fixed cost of one
``scenefill render --seconds 1`` and a 60 s four-layer scene, each a fresh
process, timed from outside -- then realtime factors in-process for the same
scene with and without a speech line, Piper alone for the same line, and the
peak memory of a long render (run in a child process so its peak is its own).
``--quick`` is CI's smoke run.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENE = "heavy rain, gusty wind, city traffic, calm piano music"
LINE = "We have to leave before the storm gets any worse."
SPEECH_SCENE = f"<|caption|>{SCENE}<|asr|>{LINE}"


def _render_seconds(note: str, seconds: float, sr: int = 48000) -> float:
    from scenefill.engine.api import render_to_file
    from scenefill.engine.request import RenderRequest

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        render_to_file(RenderRequest(note=note, n_samples=int(seconds * sr), sample_rate=sr),
                       Path(tmp) / "bench.wav")
        return time.perf_counter() - start


def _piper_alone(line: str) -> float:
    from scenefill.engine import speech

    path = str(speech.resolve_voice("joe"))
    speech._load_voice(path)  # loading is start-up cost, not per-line cost
    speech._synthesize.cache_clear()
    start = time.perf_counter()
    speech._synthesize(path, line, 1.0)
    return time.perf_counter() - start


def peak_memory_child(seconds: float) -> dict:
    """Render ``seconds`` in a fresh process; report its peak RSS."""
    code = (
        "import resource, sys, tempfile, time, pathlib\n"
        "from scenefill.engine.api import render_to_file\n"
        "from scenefill.engine.request import RenderRequest\n"
        f"n = int({seconds} * 48000)\n"
        "d = tempfile.mkdtemp()\n"
        "t = time.perf_counter()\n"
        f"render_to_file(RenderRequest(note={SCENE!r}, n_samples=n), pathlib.Path(d) / 'long.wav')\n"
        "el = time.perf_counter() - t\n"
        "import shutil; shutil.rmtree(d)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, el)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rss_kb, elapsed = out.stdout.split()
    return {"seconds": seconds, "peak_rss_mb": int(rss_kb) / 1024, "elapsed_s": float(elapsed)}


def _cli_command() -> list[str]:
    """How a user runs scenefill: the installed console script beside this Python, else ``-m``."""
    script = Path(sys.executable).with_name("scenefill")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "scenefill"]


def _time_process(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process; CPU time is what a loaded
    machine distorts least. The child may write Python's bytecode cache, as a user's
    shell lets it (sandboxes and CI often set PYTHONDONTWRITEBYTECODE, which would make
    every run recompile the engine's sources and time that instead)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _best(argv: list[str], runs: int) -> tuple[float, float]:
    times = [_time_process(argv) for _ in range(runs)]
    return min(t[0] for t in times), min(t[1] for t in times)


def shell_figures(length: float, runs: int) -> dict:
    """Wall-clock times of fresh ``scenefill render`` processes, as typed in a shell.

    The fixed cost is the whole process for a 1 s render (Python start, imports,
    per-process tables, the 1 s of audio itself); best of ``runs`` because a shared
    machine only ever adds time. The first run of each warms the disk cache and the
    calibration cache, as any user's second render would find them.
    """
    cli = _cli_command()
    with tempfile.TemporaryDirectory() as tmp:
        short = cli + ["render", "rain", "--seconds", "1", "-q", "-o", str(Path(tmp) / "one.wav")]
        scene = cli + ["render", SCENE, "--seconds", f"{length:g}", "-q", "-o", str(Path(tmp) / "scene.wav")]
        _time_process(short)
        _time_process(scene)
        python, _ = _best([sys.executable, "-c", "pass"], runs)
        fixed, fixed_cpu = _best(short, runs)
        t_scene, scene_cpu = _best(scene, runs)
    return {
        "python_startup_seconds": round(python, 3),
        "render_1s_fixed_cost_seconds": round(fixed, 3),
        "render_1s_cpu_seconds": round(fixed_cpu, 3),
        "scene_seconds": round(t_scene, 3),
        "scene_cpu_seconds": round(scene_cpu, 3),
        "scene_realtime_x": round(length / t_scene, 1),
    }


def main(quick: bool = False) -> int:
    length = 10.0 if quick else 60.0
    # From the shell first: before this process loads Piper (its threads would steal a core).
    shell = shell_figures(length, 2 if quick else 5)
    # The plain scene is timed before Piper is loaded: onnxruntime's thread pool keeps
    # spinning for a while after each synthesis and would steal the second core.
    _render_seconds(SCENE, 1.0)  # warm caches: imports, noise table, calibration
    t_plain = min(_render_seconds(SCENE, length) for _ in range(1 if quick else 3))
    _render_seconds(SPEECH_SCENE, 1.0)  # load the voice
    t_speech = min(_render_seconds(SPEECH_SCENE, length) for _ in range(1 if quick else 3))
    t_piper = min(_piper_alone(LINE) for _ in range(3))
    results = {
        "scene": SCENE,
        "length_s": length,
        "shell": shell,
        "four_layer_realtime_x": round(length / t_plain, 1),
        "four_layer_seconds": round(t_plain, 3),
        "with_speech_realtime_x": round(length / t_speech, 1),
        "with_speech_seconds": round(t_speech, 3),
        "piper_alone_line_seconds": round(t_piper, 3),
        "speech_overhead_seconds": round(t_speech - t_plain, 3),
    }
    long_s = 600.0 if quick else 7200.0
    results["long_render"] = peak_memory_child(long_s)
    results["long_render"]["realtime_x"] = round(long_s / results["long_render"]["elapsed_s"], 1)
    results["bench_process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(results, indent=2))
    return 0
