"""Render every selected prompt with the installed engine and score it.

Renders go through the engine's public API to a 24-bit FLAC, exactly the file
an editor would get, and are read back for scoring; a prompt whose render
fails is reported as failed (it counts against the pass rate) and the run
goes on. Everything lands under ``out_dir``: ``audio/``, ``spectrograms/``,
``results.json`` and the reports.
"""

from __future__ import annotations

import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .event_spans import request_event_spans
from .prompts import Prompt
from .scoring import read_audio, score_audio
from .spectrogram import write_spectrogram
from .targets import summarise

RENDER_SAMPLE_RATE = 48000


def prompt_request(prompt: Prompt, seconds: float | None = None):
    """The :class:`RenderRequest` an editor's render of this prompt would make."""
    from scenefill.engine.request import RenderRequest
    from scenefill.engine.timing import seconds_to_samples

    length = seconds if seconds is not None else prompt.seconds
    request = RenderRequest(note=prompt.note, n_samples=seconds_to_samples(str(length), RENDER_SAMPLE_RATE),
                            sample_rate=RENDER_SAMPLE_RATE, channels=2, seed=0, loop=prompt.loop,
                            fmt="flac", bit_depth=24, extra={"fps": prompt.fps} if prompt.fps else {})
    return request


def render_prompt(prompt: Prompt, path: Path, seconds: float | None = None) -> tuple[dict, float]:
    """Render one prompt to ``path``; returns (the request as data, wall seconds)."""
    from scenefill.engine.api import render_to_file

    request = prompt_request(prompt, seconds)
    start = time.perf_counter()
    render_to_file(request, path)
    return request.to_dict(), time.perf_counter() - start


def evaluate_prompt(prompt: Prompt, out_dir: Path, seconds: float | None = None) -> dict:
    """Render, score and picture one prompt; the row the reports are made of."""
    audio_path = out_dir / "audio" / f"{prompt.id}.flac"
    picture = out_dir / "spectrograms" / f"{prompt.id}.png"
    row: dict = {"prompt": prompt.to_dict(), "audio": str(audio_path.relative_to(out_dir)),
                 "spectrogram": str(picture.relative_to(out_dir))}
    try:
        request, wall = render_prompt(prompt, audio_path, seconds)
    except Exception as exc:  # a render that fails is a result, not the end of the run
        row.update(error=f"render failed: {type(exc).__name__}: {exc}", score=None)
        return row
    audio, rate = read_audio(audio_path)
    spans = request_event_spans(prompt_request(prompt, seconds))  # the render's own plan: where events land
    card = score_audio(audio, rate, expect=list(prompt.expect), text=prompt.text,
                       loudness_target=request["loudness"], loop=prompt.loop, event_spans=spans)
    write_spectrogram(picture, audio, rate)
    row.update(render_seconds=round(wall, 3), realtime_x=round(card.seconds / wall, 1) if wall > 0 else None,
               score=card.to_dict(), error=None)
    return row


def _progress_line(i: int, n: int, row: dict) -> str:
    head = f"[{i}/{n}] {row['prompt']['id']:<22}"
    if row.get("error"):
        return f"{head} ERROR {row['error']}"
    s = row["score"]
    parts = []
    if s["yamnet"]:
        y = s["yamnet"]
        ranks = ", ".join(f"{k} #{v}" for k, v in y["ranks"].items())
        parts.append(f"{'PASS' if y['passed'] else 'FAIL'} {ranks}; heard {y['top'][0][0]}"
                     + (f" (over the events; clip mean: {', '.join(f'#{v}' for v in y['clip']['ranks'].values())})"
                        if y.get("scope") == "events" else ""))
    if s["wer"] is not None:
        parts.append(f"WER {s['wer']:.0%}")
    if s["loudness"] and s["loudness"]["deviation_lu"] is not None:
        parts.append(f"{s['loudness']['deviation_lu']:+.1f} LU")
    return f"{head} " + " | ".join(parts)


def run_eval(prompts: list[Prompt], *, out_dir: str | Path = "out/eval", formats: tuple[str, ...] = ("md", "html"),
             seconds: float | None = None, progress: Callable[[str], None] | None = None) -> str:
    """Run the prompts; write results.json and the reports; return the summary text."""
    from scenefill import ENGINE_VERSION

    from .report import write_reports

    out = Path(out_dir)
    (out / "audio").mkdir(parents=True, exist_ok=True)
    (out / "spectrograms").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = []
    for i, prompt in enumerate(prompts, 1):
        rows.append(evaluate_prompt(prompt, out, seconds))
        if progress:
            progress(_progress_line(i, len(prompts), rows[-1]))
    summary = summarise(rows)
    meta = {"engine_version": ENGINE_VERSION, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(), "prompts": len(rows), "seconds_override": seconds,
            "wall_seconds": round(time.perf_counter() - started, 1)}
    (out / "results.json").write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows},
                                                 indent=1, ensure_ascii=False))
    written = write_reports(out, rows, summary, meta, formats)
    return summary["text"] + "\n" + "\n".join(f"wrote {p}" for p in [out / "results.json", *written])
