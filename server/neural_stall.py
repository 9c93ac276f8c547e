"""The neural path's watchdog: a batch that makes no progress is given up, not waited on for ever.

CPU renders run in worker processes with a heartbeat (``workers.py``): a silent
worker is killed and replaced. A neural batch runs inside the daemon, on the
model loaded once per device, and a thread cannot be killed. So a batch runs in
a thread of its own (:class:`WatchedCall`) while the batcher watches its
progress: every denoising step the backend reports
(:func:`scenefill.engine.backends.steps.step_done`) resets the clock. A batch
silent for longer than :meth:`StallPolicy.bound` (which grows with the steps and
the windows of the batch, since a backend that reports no steps shows progress
only when the whole batch ends) is abandoned: its requests fail at once with
UNAVAILABLE naming the stall, and the model instance takes no new work until
the stalled call returns, because a wedged GPU or a deadlocked pipeline would
hang the next call too, and a pipeline is not safe to enter twice at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from scenefill.engine.backends.steps import reporting_steps_to
from scenefill.engine.errors import SceneFillError

T = TypeVar("T")

#: a batch may be silent for base + per_step x steps x windows seconds (see StallPolicy)
DEFAULT_STALL_BASE_S = 120.0
DEFAULT_STALL_PER_STEP_S = 5.0
_POLL_S = 0.5       # how often the watcher looks at the clock while it waits


class BackendStalled(SceneFillError):
    """A neural backend made no progress for its bound; the message names the backend and the stall."""


@dataclass(frozen=True)
class StallPolicy:
    """How long a neural batch may go without showing progress.

    ``base_s`` covers what happens once before the first step (moving weights,
    compiling kernels on a first call, a busy host); ``per_step_s`` is a generous
    ceiling on one denoising step of one window (a large model on a CPU). A batch
    of ``windows`` windows at ``steps`` steps may then be silent for
    ``base_s + per_step_s * steps * windows``: long enough for a backend that
    reports no steps to finish the whole batch, short enough that a wedged
    device is noticed in minutes, not never.
    """

    base_s: float = DEFAULT_STALL_BASE_S
    per_step_s: float = DEFAULT_STALL_PER_STEP_S

    def __post_init__(self) -> None:
        for name in ("base_s", "per_step_s"):
            value = getattr(self, name)
            if not 0 <= value < float("inf"):
                raise ValueError(f"StallPolicy.{name} must be a finite number of seconds >= 0, not {value!r}")
        if self.base_s + self.per_step_s <= 0:
            raise ValueError("a StallPolicy must allow some time")

    def bound(self, steps: int, windows: int) -> float:
        """Seconds a batch of ``windows`` windows at ``steps`` denoising steps may go without progress."""
        return self.base_s + self.per_step_s * max(1, int(steps)) * max(1, int(windows))


class WatchedCall(Generic[T]):
    """``fn()`` on a thread of its own, with the time of its last sign of progress.

    Signs of progress are the steps the backend reports on that thread (and the
    start). :meth:`wait` returns when the call ends or when it has been silent
    for the bound; in the second case the call is abandoned: its result is never
    read, and ``on_late_end`` is called on its thread if it ever ends.
    """

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._fn = fn
        self.started = self.last_progress = time.monotonic()
        self.steps = 0
        self.result: T | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._on_late_end: Callable[["WatchedCall[T]"], None] | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _progress(self) -> None:
        self.steps += 1
        self.last_progress = time.monotonic()

    def _run(self) -> None:
        try:
            with reporting_steps_to(self._progress):
                self.result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the watcher
            self.error = exc
        with self._lock:
            self._done.set()
            late = self._on_late_end
        if late is not None:
            late(self)

    def wait(self, bound: float, on_abandon: Callable[["WatchedCall[T]"], None],
             on_late_end: Callable[["WatchedCall[T]"], None]) -> bool:
        """Start the call and wait: True when it ended, False when it was silent for ``bound`` s.

        When it is abandoned, ``on_abandon`` runs before this returns and strictly before
        ``on_late_end`` (so "stalled" is never recorded after "recovered").
        """
        self._thread.start()
        while True:
            left = self.last_progress + bound - time.monotonic()
            if left <= 0:
                with self._lock:
                    if self._done.is_set():
                        return True
                    on_abandon(self)
                    self._on_late_end = on_late_end
                    return False
            if self._done.wait(min(left, _POLL_S)):
                return True


__all__ = ["BackendStalled", "StallPolicy", "WatchedCall", "DEFAULT_STALL_BASE_S", "DEFAULT_STALL_PER_STEP_S"]
