"""What the menu scripts call: run one job with the script's globals, print the outcome in the console.

A menu script is a few lines (see :mod:`.install`); everything else lives here,
so updating the package updates the menu entries.
"""

from __future__ import annotations

import os
import traceback

from .errors import ResolveJobError

JOBS = ("fill_from_markers", "render_selected_clip", "conform")


def resolve_from(g: dict):
    """The ``resolve`` object of a menu script (the global, or ``app:GetResolve()``)."""
    r = g.get("resolve")
    if r is None and g.get("app") is not None:
        try:
            r = g["app"].GetResolve()
        except Exception:  # noqa: BLE001
            r = None
    return r


def run(job: str, g: dict, **options):
    """Run ``job`` for a menu script; returns the report, or None after printing why not."""
    from . import jobs

    if job not in JOBS:
        raise ValueError(job)
    colors = os.environ.get("SCENEFILL_MARKER_COLORS") or None
    if job == "fill_from_markers" and colors and "colors" not in options:
        options["colors"] = colors
    try:
        return getattr(jobs, job)(resolve_from(g), bmd=g.get("bmd"), **options)
    except ResolveJobError as exc:
        print(f"SceneFill: {exc}")
    except Exception as exc:  # noqa: BLE001 - the console is the only place the editor sees this
        print(f"SceneFill: unexpected error: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    return None
