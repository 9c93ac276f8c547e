"""Run fuzz cases in a child process under a wall-clock bound (used by test_fuzz_requests.py).

A thread cannot bound a parser that hangs: ``Fraction("1e15000000")`` computes a
huge power in one C call that holds the GIL, so the waiting thread never gets to
notice. A child process can be killed: a case that takes longer than the bound
kills the child (a fresh one serves the next case) and fails the test, so a hang
fails the suite instead of stalling it.
"""

from __future__ import annotations

import multiprocessing as mp


def _outcome(fn, *args) -> tuple:
    """What happened, as plain data the parent can check."""
    from scenefill.engine.errors import InvalidRequest, SceneFillError
    from scenefill.engine.request import RenderRequest

    try:
        value = fn(*args)
    except SystemExit as exc:
        return ("exit", exc.code)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        return ("error", type(exc).__name__, isinstance(exc, InvalidRequest), isinstance(exc, SceneFillError),
                getattr(exc, "field", ""), str(exc)[:1000], len(str(exc)))
    if isinstance(value, RenderRequest):
        import json

        return ("request", value.note, len(json.dumps(value.extra)), value.total_samples)
    return ("value", repr(value)[:200])


def _wire(data: bytes, max_seconds: float):
    from scenefill.server import scenefill_pb2 as pb
    from scenefill.server.convert import request_from_proto

    return request_from_proto(pb.RenderRequest.FromString(data), max_seconds)


def _cli(argv: list[str]):
    import contextlib
    import io

    from scenefill.cli import _request_from_args, build_parser

    with contextlib.redirect_stderr(io.StringIO()):  # argparse's usage lines
        args = build_parser().parse_args(argv)
    return _request_from_args(args).validate(args.max_seconds)


def _serve(conn) -> None:
    import scenefill.cli  # noqa: F401  (import once, before the first bounded case)
    import scenefill.server.convert  # noqa: F401

    handlers = {"wire": _wire, "cli": _cli, "ping": lambda: None}
    while True:
        try:
            kind, args = conn.recv()
        except EOFError:
            return
        conn.send(_outcome(handlers[kind], *args))


class BoundedRunner:
    """One child process that runs cases; :meth:`run` raises AssertionError when a case outlasts ``bound``."""

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self._ctx = mp.get_context("spawn")  # never fork a process that holds gRPC channels
        self._start()

    def _start(self) -> None:
        self.conn, child = self._ctx.Pipe()
        self.proc = self._ctx.Process(target=_serve, args=(child,), daemon=True, name="fuzz-cases")
        self.proc.start()
        child.close()
        self.conn.send(("ping", ()))
        if not self.conn.poll(120):
            raise RuntimeError("the fuzz case process did not start")
        self.conn.recv()

    def run(self, kind: str, *args) -> tuple:
        self.conn.send((kind, args))
        if self.conn.poll(self.bound):
            return self.conn.recv()
        self.proc.kill()
        self.proc.join()
        self.conn.close()
        self._start()
        raise AssertionError(f"a {kind} case took over {self.bound} s (a hang): {args!r:.300}")

    def close(self) -> None:
        self.conn.close()
        self.proc.kill()
        self.proc.join()
