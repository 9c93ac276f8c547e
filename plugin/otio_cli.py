"""``scenefill otio fill`` and ``scenefill otio conform``.

Registered into the main CLI by :func:`register`. Exit codes: 0 done; 1 some
items could not be rendered or conformed (named on stderr; the rest is
written); 2 bad input (one line on stderr, nothing written).

This module imports OpenTimelineIO lazily so ``scenefill --help`` stays fast.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2

FILL_EPILOG = """\
notes: a marker's note is its comment, metadata.Resolve_OTIO.Note, metadata.fcp_xml.comment
or its name; a clip's note is metadata.scenefill.note or its line in --notes (CSV clip,note or JSON).
A marker longer than one frame covers its range; a zero/one-frame marker covers up to the next
noted marker on the same item, or that item's end (the timeline's end for timeline markers).
Every named marker counts as a note: use --marker-color to pick only your SceneFill colour.
Output format follows -o's extension: .otio .otioz .xml (FCP7/Premiere) .edl .aaf .kdenlive .fcpxml
OUT in TIMELINE's own format is TIMELINE patched (our track and media inserted, every other
byte kept) for FCP7/Premiere XML, FCPXML and Kdenlive; an audio-only EDL for .edl; the
SceneFill track on its own for AAF and other formats we cannot patch. --sidecar writes only
the SceneFill track(s) for any format; -o never overwrites TIMELINE unless --in-place (backup kept).
"""

CONFORM_EPILOG = """\
RECUT is the re-edited timeline. It either still carries the SceneFill track, or give the
timeline fill wrote with --previous. Each generated clip is matched to its marker or clip by
id (then by owner and name); moved clips are moved, shorter ones trimmed, longer ones
re-rendered with the same seed (the approved part stays sample-identical), changed notes
regenerated, orphans removed and new notes added.
"""


def register(subparsers) -> None:
    """Add ``otio`` (with ``fill`` and ``conform``) to the main CLI's subparsers."""
    p = subparsers.add_parser("otio", help="fill OpenTimelineIO timelines (OTIO, FCP XML, EDL, AAF...) "
                                           "from markers and clips; conform after a recut")
    sub = p.add_subparsers(dest="otio_command", metavar="{fill,conform}")
    sub.required = True

    f = sub.add_parser("fill", help="generate audio for every note and write a timeline with a SceneFill track",
                       epilog=FILL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("timeline", metavar="TIMELINE", help="any timeline OTIO reads (.otio .otioz .xml .edl .aaf ...)")
    f.add_argument("-o", "--output", metavar="OUT",
                   help="timeline to write (a new file); format by extension. Same format as TIMELINE: "
                        "your file with the SceneFill track added (FCP7 XML, FCPXML, Kdenlive) or, where "
                        "it cannot be patched (AAF ...), the SceneFill track as its own timeline")
    _output_modes(f)
    f.add_argument("--from", dest="source", default="both", choices=("markers", "clips", "both"),
                   help="where notes come from (default: both)")
    f.add_argument("--media-dir", metavar="D", help="where the audio files go (default: OUT's folder/OUTNAME_media)")
    f.add_argument("--track-name", default="SceneFill", help="name of the new audio track (default: SceneFill)")
    f.add_argument("--marker-color", action="extend", nargs="+", metavar="C", dest="marker_colors",
                   help="only markers of these colours (RED GREEN BLUE ...)")
    f.add_argument("--notes", metavar="FILE", help="sidecar CSV (clip,note) or JSON mapping clip names to notes")
    _common(f)
    f.add_argument("--min-seconds", type=float, default=0.5,
                   help="skip notes whose span is shorter than this (default: 0.5)")
    f.add_argument("--sample-rate", type=int, default=48000, help="audio sample rate (default 48000)")
    f.add_argument("--channels", type=int, default=2, choices=(1, 2), help="audio channels (default 2)")
    f.add_argument("--loudness", type=float, default=-23.0, help="integrated loudness, LUFS (default -23)")
    f.add_argument("--seed", type=int, default=0, help="base seed; each note's seed derives from it (default 0)")
    f.add_argument("--bundle", action="store_true", help="write an .otioz bundle with the generated media")
    f.add_argument("--placeholder", action="store_true",
                   help="write silent files of the exact lengths instead of rendering (check placement first)")
    f.set_defaults(func=cmd_fill)

    c = sub.add_parser("conform", help="update the SceneFill track after a recut; print the change list",
                       epilog=CONFORM_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("recut", metavar="RECUT", help="the re-edited timeline")
    c.add_argument("-o", "--output", metavar="OUT", help="timeline to write (a new file); format by extension")
    _output_modes(c)
    c.add_argument("--previous", metavar="OLD", help="the timeline fill wrote (when RECUT lost the SceneFill track)")
    c.add_argument("--media-dir", metavar="D",
                   help="where new audio goes (default: beside the existing SceneFill media)")
    c.add_argument("--notes", metavar="FILE", help="sidecar CSV / JSON of clip notes, as for fill")
    _common(c)
    c.add_argument("--bundle", action="store_true", help="write an .otioz bundle with the media")
    c.set_defaults(func=cmd_conform)


def _output_modes(p) -> None:
    p.add_argument("--sidecar", action="store_true",
                   help="write only the SceneFill track(s), as a timeline of OUT's format with the same rate "
                        "and start timecode, to import and paste under your cut")
    p.add_argument("--in-place", action="store_true",
                   help="write over the input timeline (patched formats and .otio only); the original is "
                        "kept as NAME.scenefill-backup-YYYYmmdd-HHMMSS.ext")


def _common(p) -> None:
    p.add_argument("--rate", help="frame rate of an EDL (default 24), or to override the timeline's rate")
    p.add_argument("--server", help="render on a running SceneFill daemon (also SCENEFILL_SERVER)")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="render as Ray tasks: ray://HOST:10001, auto (inside a cluster), or a local Ray "
                        "when no ADDRESS is given (also SCENEFILL_RAY; needs scenefill[farm])")
    p.add_argument("--jobs", type=int, default=None, help="in-process render workers (default: one per core)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no table")


# --------------------------------------------------------------------------- progress and tables

class ProgressBar:
    """One line on stderr, redrawn in place on a terminal; silent otherwise."""

    def __init__(self, total: int, label: str, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = (self.stream.isatty() if enabled is None else enabled) and total > 0
        self.total = total
        self.label = label
        self.t0 = time.perf_counter()
        self.counts: dict[str, int] = {}
        self._last = 0.0

    def update(self, done: int, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        width = 28
        filled = int(width * done / self.total)
        bits = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{done}/{self.total} ({bits}) {now - self.t0:5.1f}s")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _fmt_dur(frames: int, rate) -> str:
    secs = frames / float(rate.exact)
    return f"{secs:6.2f}s"


def _trim(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def print_table(rows: list[list[str]], headers: list[str], stream=None) -> None:
    stream = stream or sys.stdout
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line.rstrip(), file=stream)
    print("  ".join("-" * w for w in widths), file=stream)
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(), file=stream)


def _err(msg: str) -> None:
    print(f"scenefill otio: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------- commands

def _run(args: argparse.Namespace, work, table):
    """Run fill or conform with the chosen renderer and a progress bar; print the table and
    the format warnings. Returns the report, or None after reporting a bad-input error."""
    from scenefill.engine.errors import SceneFillError

    try:
        with _renderer(args) as renderer:
            report = work(renderer, _progress(args))
    except (SceneFillError, RuntimeError) as exc:
        _err(str(exc))
        return None
    if not args.quiet:
        table(report)
    for w in report.warnings:
        print(f"scenefill otio: note: {w}", file=sys.stderr)
    return report


def _progress(args: argparse.Namespace):
    """A progress callback for fill and conform: one bar, made when the total is known."""
    bar = None

    def progress(done, total, planned, outcome):
        nonlocal bar
        if bar is None:
            bar = ProgressBar(total, "rendering", enabled=None if not args.quiet else False)
        bar.update(done, outcome.status)

    return progress


def _refuse_own_inputs(args, inputs: dict) -> bool:
    """Report and refuse an output that is one of the command's inputs (by file identity:
    hard links and symlinks count), or that is not a regular file. True when refused."""
    from scenefill.engine.errors import InvalidRequest
    from scenefill.engine.output_paths import refuse_non_regular, refuse_overwriting_inputs, refuse_read_only

    if args.output is None:
        return False            # --in-place: the output is the input, backed up by the writer
    # the timeline itself is checked by otio_write.check_output, which knows about --in-place
    inputs = {k: v for k, v in inputs.items() if k not in ("input timeline", "recut timeline")}
    folder = Path(args.output).parent
    if not folder.is_dir() and not folder.parent.is_dir():
        # `-o out/cut.filled.otio` makes out/ (the README's own command), as mkdir would; a path
        # missing more than its last folder is a typo, not folders to create (as root, anywhere)
        _err(f"-o: directory does not exist: {folder.parent} (only the last folder of -o is made)")
        return True
    try:
        refuse_overwriting_inputs(args.output, inputs, field="-o")
        refuse_non_regular(args.output, field="-o")
        refuse_read_only(args.output, field="-o")
    except InvalidRequest as exc:
        _err(str(exc))
        return True
    return False


def _renderer(args):
    from .renderer import make_renderer

    return make_renderer(args.server, placeholder=getattr(args, "placeholder", False), workers=args.jobs,
                         ray=getattr(args, "ray", None))


def _jobs_problem(args) -> str | None:
    """--jobs below 1 (fill and conform): a typo, not 'one per core', which is leaving it out."""
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        return f"--jobs must be 1 or more render workers, got {args.jobs} (leave it out for one per core)"
    return None


def fill_options_problem(args) -> str | None:
    """What is wrong with the fill options `otio fill` and `farm fill` share (one line), if anything."""
    from scenefill.engine.timing import SUPPORTED_SAMPLE_RATES

    from .timeline_notes import MARKER_COLORS

    if (problem := _jobs_problem(args)) is not None:
        return problem
    if not math.isfinite(args.min_seconds) or args.min_seconds < 0:
        return "--min-seconds must be a finite number of seconds, 0 or more"
    if not 0 <= args.seed < 2 ** 63:       # what `render --seed` takes: every note's seed derives from it
        return f"--seed must be a whole number from 0 to 2**63-1, got {args.seed}"
    if not math.isfinite(args.loudness) or not -70 <= args.loudness <= -5:
        return f"--loudness must be a target between -70 and -5 LUFS (as for render), got {args.loudness:g}"
    bad = [c for c in args.marker_colors or () if c.upper() not in MARKER_COLORS]
    if bad:
        return f"--marker-color: unknown colour {bad[0]!r}; use {' '.join(MARKER_COLORS)}"
    if args.sample_rate not in SUPPORTED_SAMPLE_RATES:
        return (f"--sample-rate: unsupported sample rate {args.sample_rate}; use "
                + ", ".join(map(str, SUPPORTED_SAMPLE_RATES)))
    return None


def cmd_fill(args) -> int:
    from .otio_fill import FillSettings, fill

    if _refuse_own_inputs(args, {"input timeline": args.timeline, "--notes file": args.notes}):
        return EXIT_BAD_INPUT

    problem = fill_options_problem(args)
    if problem:
        _err(problem)
        return EXIT_BAD_INPUT
    settings = FillSettings(
        source=args.source, marker_colors=args.marker_colors, min_seconds=args.min_seconds,
        sample_rate=args.sample_rate, channels=args.channels, loudness=args.loudness,
        seed=args.seed, track_name=args.track_name, placeholder=args.placeholder, rate=args.rate)
    report = _run(args, lambda renderer, progress: fill(
        args.timeline, args.output, settings=settings, renderer=renderer, media_dir=args.media_dir,
        notes_file=args.notes, bundle=args.bundle, progress=progress, sidecar=args.sidecar,
        in_place=args.in_place), _fill_table)
    if report is None:
        return EXIT_BAD_INPUT
    if report.failed:
        by_error: dict[str, list] = {}
        for p in report.failed:
            by_error.setdefault(p.error, []).append(p)
        for error, group in by_error.items():
            if len(group) <= 3:
                for p in group:
                    _err(f"could not render {p.item.owner} ({_trim(p.item.note, 40)!r}): {error}")
            else:
                names = ", ".join(_trim(p.item.note, 24) for p in group[:3])
                _err(f"could not render {len(group)} notes ({names}, ...): {error}")
        if report.written:
            _err(f"{len(report.failed)} of {len(report.planned)} notes failed; "
                 "the timeline was written without them")
        else:
            _err(f"all {len(report.planned)} notes failed; nothing was written")
        return EXIT_PARTIAL
    return EXIT_OK


def _fill_table(report) -> None:
    rate = report.rate
    rows = []
    for n, p in enumerate(sorted(report.planned, key=lambda q: (q.item.start, q.lane)), 1):
        it = p.item
        rows.append([str(n), rate.timecode(it.start), _fmt_dur(it.n_frames, rate), str(p.lane + 1),
                     _trim(it.owner if it.kind == "clip" else f"{it.name or 'marker'} @ {it.owner}", 34),
                     _trim(it.note, 40), p.status, p.dest.name if p.status != "failed" else "-"])
    print_table(rows, ["#", "record in", "length", "trk", "source", "note", "status", "file"])
    for s in report.skipped:
        print(f"skipped: {_trim(s.what, 50)} ({_trim(s.note, 30)!r}): {s.reason}")
    counts: dict[str, int] = {}
    for p in report.planned:
        counts[p.status] = counts.get(p.status, 0) + 1
    audio = sum(p.request.n_samples / p.request.sample_rate for p in report.planned)
    bits = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    outs = ", ".join(str(p) for p in report.written) or "nothing written"
    print(f"{len(report.planned)} notes ({bits}; {audio:.1f} s of audio) at {rate.label} fps "
          f"in {report.seconds:.1f} s [{report.renderer}] -> {outs}")
    if report.replaced_tracks:
        print(f"replaced {report.replaced_tracks} existing SceneFill track(s)")
    if report.written and report.summary:
        print(report.summary)


def cmd_conform(args) -> int:
    from .conform import conform

    if _refuse_own_inputs(args, {"recut timeline": args.recut, "--previous timeline": args.previous,
                                 "--notes file": args.notes}):
        return EXIT_BAD_INPUT
    if (problem := _jobs_problem(args)) is not None:
        _err(problem)
        return EXIT_BAD_INPUT

    report = _run(args, lambda renderer, progress: conform(
        args.recut, args.output, previous=args.previous, renderer=renderer, media_dir=args.media_dir,
        notes_file=args.notes, rate=args.rate, bundle=args.bundle, progress=progress,
        sidecar_out=args.sidecar, in_place=args.in_place), _conform_table)
    if report is None:
        return EXIT_BAD_INPUT
    if report.failures:
        for f in report.failures:
            _err(f"could not conform {f}")
        _err(f"{len(report.failures)} clip(s) could not be conformed; they were left as they were")
        return EXIT_PARTIAL
    return EXIT_OK


def _conform_table(report) -> None:
    rate = report.rate
    rows = []
    for ch in report.changes:
        rows.append([ch.change, ch.timecode or "-", ch.length or "-", _trim(ch.source, 34),
                     _trim(ch.note, 40), ch.detail])
    print_table(rows, ["change", "record in", "length", "source", "note", "detail"])
    counts: dict[str, int] = {}
    for ch in report.changes:
        counts[ch.change] = counts.get(ch.change, 0) + 1
    order = ["kept", "moved", "trimmed", "extended", "regenerated", "added", "removed", "failed"]
    bits = ", ".join(f"{counts[k]} {k}" for k in order if counts.get(k))
    outs = ", ".join(str(p) for p in report.written)
    print(f"{bits}; {report.renders} render(s), {report.cached} cached, at {rate.label} fps "
          f"in {report.seconds:.1f} s -> {outs}")
    if report.written and report.summary:
        print(report.summary)


def main(argv=None) -> int:
    """Standalone entry point: ``python -m scenefill.plugin.otio_cli fill ...``."""
    parser = argparse.ArgumentParser(prog="scenefill")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["otio", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
