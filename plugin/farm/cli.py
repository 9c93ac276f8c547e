"""``scenefill farm fill REEL... -o OUTDIR``: registered into the main CLI by :func:`register`.

Exit codes: 0 every reel filled; 1 some reels or notes failed (each named on stderr by
reel, timecode and marker; the rest is written); 2 bad input or no Ray (one line, nothing
rendered). Ray is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2

EPILOG = """\
Every REEL is filled as `scenefill otio fill REEL -o OUTDIR/REEL'S-NAME` would (same notes,
seeds, file names and provenance), but all renders run as one Ray job: a local Ray on this
machine by default, or the cluster at --ray ADDRESS / SCENEFILL_RAY. The audio of all reels
goes to one media directory (OUTDIR/media), named by each request's hash, so a re-run renders
only what changed and a request shared by two reels renders once. A render whose worker dies is
retried (--retries); a note that still fails is listed by reel and marker, and its reel is
written without it.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser("farm", help="fill many timelines at once on a Ray cluster (scenefill[farm])")
    sub = p.add_subparsers(dest="farm_command", metavar="{fill}")
    sub.required = True
    f = sub.add_parser("fill", help="fill every REEL into OUTDIR, rendering on Ray",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("reels", nargs="+", metavar="REEL", help="timelines (any format otio fill reads)")
    f.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR",
                   help="folder for the filled timelines (each under its reel's name) and OUTDIR/media")
    f.add_argument("--media-dir", metavar="D", help="where the audio goes (default OUTDIR/media)")
    f.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="ray://HOST:10001, auto (inside a cluster) or local (default: SCENEFILL_RAY, else local)")
    f.add_argument("--jobs", type=int, default=None, help="CPUs of a local Ray (default: all cores)")
    f.add_argument("--retries", type=int, default=3,
                   help="times a render is retried after its worker died or a disk error (default 3)")
    f.add_argument("--from", dest="source", default="both", choices=("markers", "clips", "both"))
    f.add_argument("--marker-color", action="extend", nargs="+", metavar="C", dest="marker_colors")
    f.add_argument("--track-name", default="SceneFill")
    f.add_argument("--min-seconds", type=float, default=0.5)
    f.add_argument("--sample-rate", type=int, default=48000)
    f.add_argument("--channels", type=int, default=2, choices=(1, 2))
    f.add_argument("--loudness", type=float, default=-23.0)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--rate", help="frame rate of EDLs (default 24), or to override the reels' rate")
    f.add_argument("--quiet", action="store_true", help="no progress bar and no tables")
    f.add_argument("--render-impl", default=None, help=argparse.SUPPRESS)  # tests / experiments
    f.set_defaults(func=cmd_farm_fill)


def _err(msg: str) -> None:
    print(f"scenefill farm: {msg}", file=sys.stderr)


def make_ray_renderer(address: str | None, *, jobs: int | None, retries: int, render_impl: str | None = None):
    """The RayRenderer for ``--ray`` / SCENEFILL_RAY / local; RuntimeError when Ray is missing."""
    from .cluster import ENV, env_address, normalize_address, require_ray

    require_ray()
    try:
        addr = normalize_address(address if address is not None else env_address(),
                                 "--ray" if address is not None else ENV)
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    from .ray_renderer import RayRenderer

    opts = {"render_impl": render_impl} if render_impl else {}
    return RayRenderer(addr, num_cpus=jobs, retries=retries, **opts)


def cmd_farm_fill(args) -> int:
    from scenefill.engine.errors import SceneFillError

    from ..otio_cli import ProgressBar, _trim, fill_options_problem, print_table
    from ..otio_fill import FillSettings
    from .reels import failure_rows, farm_fill, reel_rows

    if args.retries < 0:
        _err("--retries cannot be negative")
        return EXIT_BAD_INPUT
    problem = fill_options_problem(args)
    if problem:
        _err(problem)
        return EXIT_BAD_INPUT
    settings = FillSettings(source=args.source, marker_colors=args.marker_colors, min_seconds=args.min_seconds,
                            sample_rate=args.sample_rate, channels=args.channels, loudness=args.loudness,
                            seed=args.seed, track_name=args.track_name, rate=args.rate)
    bar = None

    def progress(done, total, reel, outcome):
        nonlocal bar
        if bar is None:
            bar = ProgressBar(total, "farm", enabled=None if not args.quiet else False)
        bar.update(done, outcome.status)

    try:
        with make_ray_renderer(args.ray, jobs=args.jobs, retries=args.retries,
                               render_impl=args.render_impl) as renderer:
            report = farm_fill(args.reels, args.output_dir, settings=settings, renderer=renderer,
                               media_dir=args.media_dir, progress=progress)
    except (SceneFillError, RuntimeError) as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT

    if not args.quiet:
        print_table(reel_rows(report), ["reel", "notes", "rendered", "cached", "failed", "skipped",
                                        "audio s", "output"])
        print(f"{len(report.reels)} reel(s), {report.jobs} note(s) in {report.seconds:.1f} s [{report.renderer}]")
    for reel in report.reels:
        if reel.error:
            _err(f"{reel.reel}: not filled: {reel.error}")
    rows = failure_rows(report)
    for reel, tc, where, note, error in rows:
        _err(f"could not render {reel} {tc} {where} ({_trim(note, 40)!r}): {error}")
    if rows:
        _err(f"{len(rows)} note(s) failed after retries; their reels were written without them")
    return EXIT_OK if report.ok else EXIT_PARTIAL
