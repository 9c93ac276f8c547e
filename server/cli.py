"""``scenefill serve``: registered into the main CLI by :func:`register`.

Kept light at import time (the main CLI imports this module for every command):
gRPC and the engine are imported only when ``serve`` runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

DEFAULT_PORT = 50051
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.I)


def parse_size(text: str) -> int:
    """``"500M"``, ``"5G"``, ``"1.5GiB"``, ``"1048576"`` -> bytes (binary multiples)."""
    m = _SIZE.match(str(text))
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 500M or 5G)")
    unit = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[m.group(2).lower()]
    return int(float(m.group(1)) * unit)


def _default_output_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "scenefill" / "renders"


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``serve`` to the ``scenefill`` subcommands."""
    p = subparsers.add_parser(
        "serve", help="run the local render daemon (gRPC)",
        description="Serve renders over gRPC (scenefill.v1.SceneFill, plus grpc.health.v1 and reflection). "
                    "Listens on loopback by default; SIGTERM finishes running renders, then exits.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; a non-loopback address needs --token-file)")
    p.add_argument("--port", type=int, default=None,
                   help=f"TCP port (default {DEFAULT_PORT}, or none when --socket is given; 0 picks a free port)")
    p.add_argument("--socket", type=Path, help="also (or only) listen on this Unix socket (mode 0600)")
    p.add_argument("--output-dir", type=Path, default=None,
                   help=f"where finished files are published (default {_default_output_dir()})")
    p.add_argument("--cache-dir", type=Path, default=None, help="render cache (default OUTPUT_DIR/.cache)")
    p.add_argument("--cache-max-bytes", type=parse_size, default=parse_size("5G"),
                   help="cache size bound, e.g. 500M or 20G (default 5G); least recently used entries go first")
    p.add_argument("--workers", type=int, default=_cpu_count(),
                   help=f"render processes (default: one per core, {_cpu_count()} here)")
    p.add_argument("--max-queue", type=int, default=64,
                   help="renders allowed to wait for a worker before RESOURCE_EXHAUSTED (default 64)")
    p.add_argument("--max-batch", type=int, default=1000, help="items allowed in one RenderBatch (default 1000)")
    p.add_argument("--token-file", type=Path,
                   help="require this shared secret ('authorization: Bearer <token>') on every call")
    p.add_argument("--max-seconds", type=float, default=None, help="longest render allowed, seconds (default 4 h)")
    p.add_argument("--shutdown-grace", type=float, default=10.0,
                   help="seconds SIGTERM lets running renders finish before cancelling them (default 10)")
    p.add_argument("--stall-timeout", type=float, default=60.0,
                   help="seconds a render worker may go silent (stopped, frozen) before the watchdog kills it "
                        "and fails its job (default 60)")
    p.add_argument("--neural-stall-timeout", type=float, default=None, metavar="SECONDS",
                   help="seconds a neural batch may make no progress, plus --neural-stall-per-step for each "
                        "denoising step of each window in it, before its renders fail with UNAVAILABLE and "
                        "the backend is NOT_SERVING until the stalled call returns (default 120)")
    p.add_argument("--neural-stall-per-step", type=float, default=None, metavar="SECONDS",
                   help="see --neural-stall-timeout (default 5)")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="render on a Ray Serve deployment (one replica per GPU, batched): ray://HOST:10001, "
                        "auto, or a local Ray when no ADDRESS is given (needs scenefill[farm])")
    p.add_argument("--render-impl", default=None, help=argparse.SUPPRESS)  # tests / experiments
    p.add_argument("--backend", default="procedural",
                   help="backend for requests that name none: procedural (default), stable-audio, dasheng")
    p.add_argument("--model-dir", action="append", metavar="NAME=DIR",
                   help="a neural model directory, e.g. stable-audio=DIR (repeatable; also SCENEFILL_MODEL_DIRS)")
    p.add_argument("--device", default=None, help="neural device, e.g. cuda:1 (default: cuda when present)")
    p.set_defaults(func=run)
    return p


def config_from_args(args: argparse.Namespace):
    from scenefill.engine.request import DEFAULT_MAX_SECONDS

    from .service import ConfigError, ServerConfig

    token = None
    if args.token_file is not None:
        from scenefill.engine.output_paths import not_a_regular_input
        if (why := not_a_regular_input(args.token_file)) is not None:
            raise ConfigError(f"--token-file: {why}")
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read --token-file {args.token_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"--token-file {args.token_file} is not a text file (not UTF-8)") from None
        if not token:
            raise ConfigError(f"--token-file {args.token_file} is empty")
        if not (token.isascii() and token.isprintable()):   # clients send it as an HTTP/2 header value
            raise ConfigError(f"--token-file {args.token_file}: the token must be printable ASCII")
    port = args.port if args.port is not None else (None if args.socket else DEFAULT_PORT)
    config = ServerConfig(
        host=args.host, port=port, socket_path=args.socket,
        output_dir=args.output_dir or _default_output_dir(), cache_dir=args.cache_dir,
        cache_max_bytes=args.cache_max_bytes, workers=args.workers, max_queue=args.max_queue,
        max_batch=args.max_batch, token=token,
        max_seconds=args.max_seconds if args.max_seconds is not None else DEFAULT_MAX_SECONDS,
        shutdown_grace=args.shutdown_grace, stall_timeout=args.stall_timeout,
    )
    if args.neural_stall_timeout is not None:
        config.neural_stall_base = args.neural_stall_timeout
    if args.neural_stall_per_step is not None:
        config.neural_stall_per_step = args.neural_stall_per_step
    if args.render_impl:
        config.render_impl = args.render_impl
    from scenefill.engine.backends import check_name
    from scenefill.engine.backends.cli import configure_from_args
    from scenefill.engine.errors import InvalidRequest

    try:
        config.default_backend = check_name(args.backend)
        config.model_dirs = configure_from_args(args)
    except InvalidRequest as exc:
        raise ConfigError(str(exc)) from None
    config.device = args.device
    return config


def run(args: argparse.Namespace) -> int:
    """Entry point of ``scenefill serve``: 0 after a clean shutdown, 2 for bad options, 1 if it cannot start."""
    import logging

    logging.basicConfig(level=getattr(logging, args.log_level.upper()), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from scenefill.engine.errors import SceneFillError

    from .cache import CacheLocked
    from .service import ConfigError, serve

    farm = None
    try:
        config = config_from_args(args)
        if getattr(args, "ray", None) is not None:
            from scenefill.plugin.farm.cluster import require_ray

            try:
                require_ray()
                from scenefill.plugin.farm.serve import attach_daemon

                farm, config.render_impl = attach_daemon(args.ray)
            except RuntimeError as exc:
                raise ConfigError(str(exc)) from None
        return serve(config)
    except (ConfigError, CacheLocked) as exc:
        print(f"scenefill serve: {exc}", file=sys.stderr)
        return 2
    except SceneFillError as exc:
        print(f"scenefill serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"scenefill serve: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    finally:
        if farm is not None:
            farm.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m scenefill.server [serve] ...`` -- the daemon without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m scenefill.server")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "serve":
        argv.insert(0, "serve")
    args = parser.parse_args(argv)
    return args.func(args)
