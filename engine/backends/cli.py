"""``scenefill backends``, and the --model-dir / SCENEFILL_MODEL_DIRS plumbing shared by render and serve."""

from __future__ import annotations

import argparse
import json
import os


def configure_from_args(args: argparse.Namespace, backend: str | None = None) -> dict:
    """Apply ``--model-dir`` (bare DIR belongs to ``backend``) over SCENEFILL_MODEL_DIRS; returns the dirs."""
    from .plan import configure
    from .weights import ENV_VAR, parse_model_dirs

    dirs = parse_model_dirs(env=os.environ.get(ENV_VAR, ""))
    dirs.update(parse_model_dirs(getattr(args, "model_dir", None) or [], default_backend=backend))
    configure(dirs, getattr(args, "device", None))
    return dirs


def cmd_backends(args: argparse.Namespace) -> int:
    from . import backend_states

    states = backend_states(configure_from_args(args))
    if args.json:
        print(json.dumps([s.to_dict() for s in states], indent=2))
        return 0
    for s in states:
        state = "available" if s.available else "unavailable"
        where = f" [{s.device}]" if s.device else ""
        print(f"{s.name:<13} {state}{where}: {s.description}")
        if s.model_dir:
            print(f"{'':<13} weights: {s.model_dir}")
        if s.reason:
            print(f"{'':<13} {'note' if s.available else 'why'}: {s.reason}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("backends", help="list the backends, whether each can run here, and why not")
    p.add_argument("--model-dir", action="append", metavar="NAME=DIR",
                   help="a neural model directory (also SCENEFILL_MODEL_DIRS=NAME=DIR:NAME=DIR)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_backends)
