"""The ``scenefill`` command line.

Bad input exits with code 2 and one line naming the problem; nothing is
written. ``serve`` and ``otio`` are registered by the daemon and the OTIO adapter.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
from fractions import Fraction
from pathlib import Path

from scenefill import __version__

EXIT_BAD_INPUT = 2


def _length_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("length (give exactly one form)")
    g.add_argument("--seconds", help="length in seconds, e.g. 47 or 2.5")
    g.add_argument("--samples", type=int, help="length in samples")
    g.add_argument("--frames", type=int, help="length in frames (with --fps)")
    g.add_argument("--tc-in", help="timecode in, HH:MM:SS:FF (';' before FF for drop-frame); with --tc-out and --fps")
    g.add_argument("--tc-out", help="timecode out (exclusive)")
    g.add_argument("--fps", help="frame rate: 23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60 or 24000/1001")


def samples_from_args(args: argparse.Namespace, sample_rate: int) -> int:
    """Exact sample count from whichever length form the user gave."""
    from scenefill.engine.errors import InvalidRequest
    from scenefill.engine.timing import frames_to_samples, parse_rate, seconds_to_samples, timecode_to_frames

    forms = [f for f in ("seconds", "samples", "frames", "tc_in") if getattr(args, f) is not None]
    if args.tc_out is not None and "tc_in" not in forms:
        raise InvalidRequest("tc-in", "--tc-out needs --tc-in")
    if len(forms) != 1:
        raise InvalidRequest("length", "give exactly one of --seconds, --samples, --frames or --tc-in/--tc-out")
    form = forms[0]
    if form == "seconds":
        return seconds_to_samples(args.seconds, sample_rate)
    if form == "samples":
        return args.samples
    if args.fps is None:
        raise InvalidRequest("fps", f"--{form.replace('_', '-')} needs --fps")
    fps = parse_rate(args.fps)
    if form == "frames":
        return frames_to_samples(0, args.frames, fps, sample_rate)
    if args.tc_out is None:
        raise InvalidRequest("tc-out", "--tc-in needs --tc-out")
    from scenefill.engine.timecode_labels import check_drop_frame_label

    check_drop_frame_label(args.tc_in, fps, "tc-in")
    check_drop_frame_label(args.tc_out, fps, "tc-out")
    start = timecode_to_frames(args.tc_in, fps, "tc-in")
    end = timecode_to_frames(args.tc_out, fps, "tc-out")
    if end <= start:
        raise InvalidRequest("tc-out", f"--tc-out {args.tc_out} is not after --tc-in {args.tc_in}")
    return frames_to_samples(start, end - start, fps, sample_rate)


def _utf8_arg(value: str | None, field: str) -> None:
    """Refuse an argument that is not UTF-8 (it reaches Python as lone surrogates): no
    file's metadata and no daemon request can carry it."""
    from scenefill.engine.errors import InvalidRequest

    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(field, f"not valid UTF-8 text (bad byte at character {exc.start + 1}); "
                                    "check the terminal's encoding") from None


def _max_seconds(args: argparse.Namespace) -> float:
    from scenefill.engine.errors import InvalidRequest

    value = args.max_seconds
    if not math.isfinite(value) or value <= 0:
        raise InvalidRequest("max-seconds", f"must be a positive number of seconds, got {value:g}")
    return value


def timeline_extra(args: argparse.Namespace) -> dict:
    """The timeline facts a note's event times need: frame rate and, with --tc-in, the start frame."""
    from scenefill.engine.timing import format_rate, parse_rate, timecode_to_frames

    if getattr(args, "fps", None) is None:
        return {}
    fps = parse_rate(args.fps)
    extra: dict = {"fps": f"{fps.numerator}/{fps.denominator}" if fps.denominator != 1 else format_rate(fps)}
    if getattr(args, "tc_in", None):
        extra["start_frame"] = timecode_to_frames(args.tc_in, fps, "tc-in")
        extra["drop_frame"] = ";" in args.tc_in or "." in args.tc_in
    return extra


def _request_from_args(args: argparse.Namespace):
    from scenefill.engine.errors import InvalidRequest
    from scenefill.engine.request import LOUDNESS_PRESETS, RenderRequest
    from scenefill.engine.timing import parse_sample_rate, seconds_to_samples

    _utf8_arg(args.note, "note")
    _utf8_arg(args.voice, "voice")
    _max_seconds(args)
    sr = parse_sample_rate(args.sample_rate)
    n = samples_from_args(args, sr)
    if args.preset and args.loudness is not None:
        raise InvalidRequest("loudness", "give --loudness or --preset, not both")
    loudness = LOUDNESS_PRESETS[args.preset] if args.preset else (
        args.loudness if args.loudness is not None else LOUDNESS_PRESETS["broadcast"])
    handles = seconds_to_samples(args.handles, sr, field="handles") if args.handles else 0
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "wav") or "wav"
    named = {"wav": "wav", "wave": "wav", "bwf": "wav", "flac": "flac"}.get(
        Path(args.output).suffix.lstrip(".").lower() if args.output else "")
    if args.format and named and named != args.format:   # FLAC bytes in a .wav: editors go by the name
        raise InvalidRequest("format", f"--format {args.format} contradicts the output name {Path(args.output).name}; "
                                       f"name it .{args.format} or leave out --format")
    if fmt not in ("wav", "flac"):
        raise InvalidRequest("format", f"unknown format {fmt!r} (from the output name); use --format wav or flac")
    extra = {**({"handles_seconds": str(args.handles)} if args.handles else {}), **timeline_extra(args)}
    if "start_frame" in extra:  # the file's BWF timestamp: where its first sample sits in the edit
        extra["time_reference"] = _time_reference(extra["start_frame"], args.fps, sr, handles)
    return RenderRequest(
        note=args.note, n_samples=n, sample_rate=sr, channels=args.channels, seed=args.seed,
        loudness=loudness, loop=args.loop, handle_samples=handles, fmt=fmt,
        bit_depth=args.bit_depth, voice=args.voice or "", backend=args.backend, extra=extra,
    )


def _time_reference(start_frame: int, fps: str, sample_rate: int, handle_samples: int) -> int:
    """The bext TimeReference (samples since midnight) of a render of the range from --tc-in:
    the range's first sample on the editor's frame grid, less the head handle, so a sound editor
    spotting the file to its timestamp lands it where it belongs (0 when the handle reaches
    before midnight)."""
    from scenefill.engine.timing import frame_to_sample, parse_rate

    return max(0, frame_to_sample(start_frame, parse_rate(fps), sample_rate) - handle_samples)


class ProgressBar:
    """A one-line progress bar on stderr, only when it is a terminal."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.last = -1

    def __call__(self, fraction: float, stage: str = "") -> None:
        if not self.enabled:
            return
        pct = int(fraction * 100)
        if pct == self.last:
            return
        self.last = pct
        bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
        sys.stderr.write(f"\r{self.label} [{bar}] {pct:3d}% {stage:<10}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_render(args: argparse.Namespace) -> int:
    # A render runs on one thread: OpenBLAS's pools (numpy's and scipy's) would only start and spin
    # (~0.05 s of CPU per process). Set before numpy loads; a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from scenefill.engine.api import render_to_file
    from scenefill.engine.heap import keep_freed_memory

    keep_freed_memory()  # the blocks' arrays are reused, not handed back and faulted in again

    request = _request_from_args(args)
    if args.model_dir and (args.server or os.environ.get("SCENEFILL_SERVER")):
        print("scenefill: --model-dir is ignored with a server: the daemon uses its own "
              "(scenefill serve --model-dir)", file=sys.stderr)
    elif request.backend != "procedural":
        from scenefill.engine.backends.cli import configure_from_args

        configure_from_args(args, request.backend)
    if args.output == "-":
        from scenefill.engine.errors import InvalidRequest

        raise InvalidRequest("output", "writing to standard output is not supported: give a file name "
                                       "(./- for a file named '-')")
    out = Path(args.output)
    bar = ProgressBar(out.name, enabled=False if args.quiet else None)
    server = args.server or os.environ.get("SCENEFILL_SERVER")
    if server:
        from scenefill.plugin.client import render_to_path_via_server

        result = render_to_path_via_server(server, request, out, progress=bar, timeout=args.timeout,
                                           token=_read_token(args.token_file), max_seconds=args.max_seconds)
    else:
        # two cores when the machine has them: a helper process renders some of the layers
        result = render_to_file(request, out, progress=bar, max_seconds=args.max_seconds, processes=2)
    for missed in result.provenance.get("events_outside", []):  # said, never silently dropped
        print(f"scenefill: note: {missed['model']} {missed['text']!r} is outside the range; not played",
              file=sys.stderr)
    for said in result.provenance.get("notes", []):  # a cut-off event, a time on a bed, an unread time
        print(f"scenefill: note: {said}", file=sys.stderr)
    if not args.quiet:
        secs = Fraction(result.n_samples, result.sample_rate)
        _print(f"wrote {result.path} ({result.n_samples} samples, {float(secs):.3f} s, "
               f"{result.sample_rate} Hz, {result.channels} ch)")
    return 0


def _print(text: str) -> None:
    """print() that cannot fail on text the terminal cannot show (a file name that is not
    UTF-8): such characters are written as backslash escapes."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    print(text)


def _read_token(path: str | None) -> str | None:
    from scenefill.engine.errors import InvalidRequest

    if path:
        from scenefill.engine.output_paths import not_a_regular_input
        if (why := not_a_regular_input(path)) is not None:
            raise InvalidRequest("token-file", why)
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidRequest("token-file", f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidRequest("token-file", f"{path} is not a text file (not UTF-8)") from None
        where = "token-file"
    else:
        token = os.environ.get("SCENEFILL_TOKEN")
        where = "SCENEFILL_TOKEN"
        if not token or not token.strip():
            return None
        token = token.strip()
    if not token:
        raise InvalidRequest(where, "the token is empty")
    if not (token.isascii() and token.isprintable()):  # it travels as an HTTP/2 header value
        raise InvalidRequest(where, "the token must be printable ASCII")
    return token


def cmd_parse(args: argparse.Namespace) -> int:
    from scenefill.engine.api import parse_note
    from scenefill.engine.errors import InvalidRequest
    from scenefill.engine.request import MAX_NOTE_CHARS, RenderRequest
    from scenefill.engine.timing import parse_sample_rate

    _utf8_arg(args.note, "note")
    if len(args.note) > MAX_NOTE_CHARS:  # what render would refuse, parse refuses too
        raise InvalidRequest("note", f"the note is longer than {MAX_NOTE_CHARS} characters")
    request = None
    if any(getattr(args, f) is not None for f in ("seconds", "samples", "frames", "tc_in")):
        sr = parse_sample_rate(args.sample_rate)
        request = RenderRequest(note=args.note, n_samples=samples_from_args(args, sr), sample_rate=sr,
                                extra=timeline_extra(args)).validate()
    elif args.fps is not None:  # a rate alone still reads timecodes (as offsets from the range start)
        request = None
        from scenefill.engine.events import Timeline
        from scenefill.engine.scene import describe_note
        from scenefill.engine.timing import parse_rate

        sr = parse_sample_rate(args.sample_rate)
        _print(json.dumps(describe_note(args.note, Timeline(fps=parse_rate(args.fps), sample_rate=sr)),
                         indent=2, ensure_ascii=False))
        return 0
    _print(json.dumps(parse_note(args.note, request), indent=2, ensure_ascii=False))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from scenefill.engine.api import read_provenance

    _print(json.dumps(read_provenance(args.file), indent=2, ensure_ascii=False))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from scenefill.engine.models import CATALOG

    for name, cls in CATALOG.items():
        print(f"{name:<12} {cls.category:<9} {cls.description}")
    return 0


def cmd_voices(args: argparse.Namespace) -> int:
    from scenefill.engine.speech import builtin_voices
    from scenefill.engine.voices import VOICES, voice_table

    for row in voice_table():
        print(f"{row['name']:<10} {row['description']}")
    for name, path in builtin_voices().items():  # Piper voices from $SCENEFILL_VOICE_DIR
        if name not in VOICES:
            print(f"{name:<10} Piper voice file {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from scenefill.engine.bench import main as bench_main

    return bench_main(quick=args.quick)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line naming it (and how to get help), exit 2:
    the same shape as every other refusal, and readable in an editor's script console."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from scenefill.engine.request import DEFAULT_MAX_SECONDS, LOUDNESS_PRESETS

    parser = OneLineParser(prog="scenefill", description="Exact-length scene audio for video timelines.")
    parser.add_argument("--version", action="version", version=f"scenefill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("render", help="render a scene note to an exact-length WAV or FLAC")
    p.add_argument("note", help='scene note: free text (quoted words are speech) or <|caption|>... tags')
    p.add_argument("-o", "--output", required=True, help="output file (.wav or .flac)")
    _length_args(p)
    p.add_argument("--sample-rate", default=48000, help="44100, 48000 (default) or 96000")
    p.add_argument("--channels", type=int, default=2, choices=(1, 2))
    p.add_argument("--bit-depth", type=int, default=24, choices=(16, 24, 32))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--loudness", type=float, help="integrated loudness target, LUFS (default -23)")
    p.add_argument("--preset", choices=sorted(LOUDNESS_PRESETS), help="broadcast -23, atsc -24, streaming -16")
    p.add_argument("--loop", action="store_true", help="seamless loop: the end flows into the start")
    p.add_argument("--handles", help="extra seconds rendered before and after the range")
    p.add_argument("--format", choices=("wav", "flac"), help="default: from the output name, else wav")
    p.add_argument("--voice", help="voice: joe, woman, child, old-man, old-woman (default: from the note's speaker) "
                   "or a path to a Piper .onnx voice")
    p.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS, help="longest render allowed")
    p.add_argument("--backend", default="procedural", help="procedural (default), stable-audio or dasheng")
    p.add_argument("--model-dir", action="append", metavar="[NAME=]DIR", help="neural model directory")
    p.add_argument("--server", help="render on a running daemon (also SCENEFILL_SERVER)")
    p.add_argument("--timeout", type=float, default=None,
                   help="with --server: give up after this many seconds (default: 10 minutes + the length)")
    p.add_argument("--token-file", help="daemon token (also SCENEFILL_TOKEN)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("parse", help="print what the engine understood of a note, as JSON")
    p.add_argument("note")
    _length_args(p)  # optional here: with a length, relative times and timecodes are placed
    p.add_argument("--sample-rate", default=48000, help="rate at which event samples are shown (48000)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("info", help="print the provenance stored in a rendered file")
    p.add_argument("file")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("models", help="list the sound models")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("voices", help="list the voices (and which speaker descriptions choose them)")
    p.set_defaults(func=cmd_voices)

    p = sub.add_parser("bench", help="measure render speed and memory")
    p.add_argument("--quick", action="store_true", help="a short smoke run (CI)")
    p.set_defaults(func=cmd_bench)

    for module in ("scenefill.engine.backends.cli", "scenefill.server.cli", "scenefill.plugin.otio_cli",
                   "scenefill.engine.evaluation.cli", "scenefill.plugin.resolve.cli", "scenefill.plugin.farm.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError as exc:
            if exc.name and exc.name.startswith(module):
                continue
            raise
        mod.register(sub)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a `timeout`, a job runner, an editor's tool stopping us) or SIGHUP (the terminal
    closed) raised as an interrupt, so the writers' cleanup runs: the default action would leave
    a hidden ``.part`` file behind."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__()
        self.signum = signum


def _raise_terminated(signum, frame) -> None:
    raise _Terminated(signum)


def _names_output(filename: str, args: argparse.Namespace | None) -> bool:
    """Whether an OSError's file is what the command writes (its -o, or the hidden part file
    beside it), not one it reads (a module, a cache file, a timeline)."""
    output = getattr(args, "output", None)
    if not filename or not output:
        return False
    try:
        return Path(filename).resolve().parent == Path(output).resolve().parent
    except (OSError, RuntimeError):
        return False


def main(argv: list[str] | None = None) -> int:
    from scenefill.engine.errors import Cancelled, SceneFillError

    args = None
    try:
        # inside the try: a Ctrl-C while the subcommands load is an interrupt, not a traceback
        parser = build_parser()
        args = parser.parse_args(argv)
        if threading.current_thread() is threading.main_thread():
            serving = getattr(args.func, "__module__", "") == "scenefill.server.cli"  # its loop has its own
            for sig in (signal.SIGTERM,) if serving else (signal.SIGTERM, signal.SIGHUP):
                if signal.getsignal(sig) is signal.SIG_DFL:
                    signal.signal(sig, _raise_terminated)
        return int(args.func(args) or 0)
    except SceneFillError as exc:
        if isinstance(exc, Cancelled):
            print("scenefill: cancelled", file=sys.stderr)
            return 130
        print(f"scenefill: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader closed the pipe (`| head`, a pager quit): the user's choice, not a failure; cat
        # and grep stay silent there. Standard output goes nowhere now, so the exit flush is quiet.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 128 + signal.SIGPIPE
    except OSError as exc:
        target = str(exc.filename or "")
        where = "output: " if _names_output(target, args) or not target else ""
        print(f"scenefill: {where}{exc.strerror or exc} {target}".rstrip(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        try:
            print("scenefill: interrupted; nothing was left half-written", file=sys.stderr)
        except OSError:  # the terminal that would show it has closed (SIGHUP)
            pass
        return 128 + exc.signum if isinstance(exc, _Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
