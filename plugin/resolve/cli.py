"""``scenefill resolve ...``: install the menu scripts, or run a job through external scripting (Studio).

    scenefill resolve install [--scripts-dir D]     menu scripts into Resolve's Scripts folder
    scenefill resolve uninstall [--scripts-dir D]
    scenefill resolve fill-markers [--colors Blue,Green]
    scenefill resolve selected [--note "rain on a tin roof"]
    scenefill resolve conform

External scripting needs DaVinci Resolve Studio running, Preferences > System >
General > External scripting using: Local, and the ``DaVinciResolveScript``
module importable (``RESOLVE_SCRIPT_API`` / ``RESOLVE_SCRIPT_LIB``, see README).
Exit status: 0 done, 1 some notes failed or were not placed, 2 refused (nothing changed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

#: where Resolve keeps DaVinciResolveScript (RESOLVE_SCRIPT_API), per OS
_API_DIRS = {
    "darwin": "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
    "win32": os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"),
                          "Blackmagic Design", "DaVinci Resolve", "Support", "Developer", "Scripting"),
    "linux": "/opt/resolve/Developer/Scripting",
}


def external_resolve():
    """``scriptapp("Resolve")`` of a running Resolve (None when it refuses: free edition, not running)."""
    from .errors import ResolveJobError

    try:
        import DaVinciResolveScript as dvr  # noqa: N813 - Resolve's own module name
    except ImportError:
        api = os.environ.get("RESOLVE_SCRIPT_API") or _API_DIRS.get(sys.platform, _API_DIRS["linux"])
        modules = str(Path(api) / "Modules")
        if modules not in sys.path:
            sys.path.append(modules)
        try:
            import DaVinciResolveScript as dvr  # noqa: N813
        except ImportError:
            raise ResolveJobError(
                f"cannot load Resolve's DaVinciResolveScript module (looked in {modules}): set RESOLVE_SCRIPT_API "
                "and RESOLVE_SCRIPT_LIB as the README's Resolve section says") from None
    try:
        return dvr.scriptapp("Resolve")
    except Exception:  # noqa: BLE001 - the bridge raises when Resolve is not running
        return None


def _job_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", help="daemon address (default: SCENEFILL_SERVER, else 127.0.0.1:50051)")
    p.add_argument("--start-server", action="store_true", help="start `scenefill serve` when none answers")
    p.add_argument("--media-dir", help="where the files go (default: ~/SceneFill/Resolve/<project>)")
    p.add_argument("--no-save", action="store_true", help="do not save the project after placing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def _run_job(args) -> int:
    from . import jobs

    resolve = external_resolve()
    common = dict(server=args.server, start_server=True if args.start_server else None, media_dir=args.media_dir,
                  quiet=args.quiet or args.json, save=not args.no_save)
    if args.job == "fill-markers":
        report = jobs.fill_from_markers(resolve, colors=args.colors, **common)
    elif args.job == "selected":
        report = jobs.render_selected_clip(resolve, note=args.note, **common)
    else:
        report = jobs.conform(resolve, **common)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 0 if report.ok else 1


def _install(args) -> int:
    from .install import install

    for path in install(args.scripts_dir, lua=not args.no_lua):
        print(f"wrote {path}")
    print("Restart Resolve (or reopen Workspace > Scripts) and find the jobs under Workspace > Scripts on the Edit page.")
    return 0


def _uninstall(args) -> int:
    from .install import uninstall

    removed = uninstall(args.scripts_dir)
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print("no SceneFill menu scripts found")
    return 0


def _lua_plan(args) -> int:
    from .lua_bridge import run

    return run(args.snapshot, args.plan, colors=args.colors, server=args.server, media_dir=args.media_dir)


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``resolve`` to the ``scenefill`` subcommands."""
    p = subparsers.add_parser("resolve", help="DaVinci Resolve: install the menu scripts, or run a job (Studio)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="resolve_command", metavar="JOB")
    sub.required = True
    q = sub.add_parser("install", help="write the menu scripts into Resolve's Scripts folder")
    q.add_argument("--scripts-dir", help="the Fusion/Scripts folder (default: the per-user one for this OS)")
    q.add_argument("--no-lua", action="store_true", help="skip the free edition's Lua script")
    q.set_defaults(func=_install)
    q = sub.add_parser("uninstall", help="remove the menu scripts")
    q.add_argument("--scripts-dir", help="the Fusion/Scripts folder they were written to")
    q.set_defaults(func=_uninstall)
    q = sub.add_parser("fill-markers", help="every marker with a note gets audio of exactly its range")
    q.add_argument("--colors", help="only markers of these colours, e.g. Blue,Green")
    _job_args(q)
    q.set_defaults(func=_run_job, job="fill-markers")
    q = sub.add_parser("selected", help="audio for the selected clip(s), or the clip under the playhead")
    q.add_argument("--note", help="the scene note (default: a marker on the clip, or its Comments)")
    _job_args(q)
    q.set_defaults(func=_run_job, job="selected")
    q = sub.add_parser("conform", help="after a recut: move, trim, extend, regenerate, remove SceneFill's audio")
    _job_args(q)
    q.set_defaults(func=_run_job, job="conform")
    q = sub.add_parser("lua-plan", help=argparse.SUPPRESS)
    q.add_argument("snapshot")
    q.add_argument("plan")
    q.add_argument("--colors")
    q.add_argument("--server")
    q.add_argument("--media-dir")
    q.set_defaults(func=_lua_plan)
    return p
