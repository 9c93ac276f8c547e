"""Denoising-step heartbeats: how a backend shows that a render is still moving.

A neural batch can take minutes on a slow device and can also hang for ever (a
GPU driver stall, a deadlock inside a pipeline). The daemon's watchdog
(``server/neural_stall.py``) tells the two apart by progress, not by duration:
a backend calls :func:`step_done` once per denoising step (and once per window
it finishes), and whoever runs the batch listens with :func:`reporting_steps_to`.
Outside the daemon nobody listens and a step costs one attribute lookup.

The listener is per thread, so :meth:`Backend.render_windows` keeps its
signature and backends that report nothing still work (the watchdog then only
sees the batch finish).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

_local = threading.local()


def step_done() -> None:
    """Tell this thread's listener (if any) that one more step of the current batch is done."""
    listener = getattr(_local, "listener", None)
    if listener is not None:
        listener()


@contextmanager
def reporting_steps_to(listener: Callable[[], None]) -> Iterator[None]:
    """Within the block, :func:`step_done` on this thread calls ``listener``."""
    previous = getattr(_local, "listener", None)
    _local.listener = listener
    try:
        yield
    finally:
        _local.listener = previous


__all__ = ["step_done", "reporting_steps_to"]
