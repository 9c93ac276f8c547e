"""Render the next block of the layers while this one is mixed, limited and written.

A render is a chain per block: the layers' models, then the mixer and its room,
the limiter, and the file writer. On one core they take turns; an editor's
machine has several, and numpy, pocketfft and scipy's filter kernels let go of
the interpreter lock for the long loops, so the models' half of block k+1 can run
beside the mixing and writing of block k. Only one thread ever touches a model,
always in block order, so the output is bit-identical to a serial render.

``SCENEFILL_RENDER_THREADS=1`` keeps a render on one thread (a farm that packs one
render per core, or a debugging session).
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


def second_core_available() -> bool:
    """Whether a render may use a helper thread: more than one usable core, and not turned off."""
    if os.environ.get("SCENEFILL_RENDER_THREADS", "").strip() == "1":
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        cores = os.cpu_count() or 1
    return cores > 1


class ReadAhead(Generic[T]):
    """Calls ``produce`` up to ``limit`` times, one call ahead on a helper thread.

    :meth:`next` returns the results in call order. Past ``limit`` (a caller that
    wants more than it said), calls run on the caller's thread. Use it as a context
    manager: leaving waits for the call in flight, so nothing touches ``produce``'s
    state afterwards, and an error inside a call is raised by the :meth:`next` that
    would have returned it.
    """

    def __init__(self, produce: Callable[[], T], limit: int, threaded: bool = True) -> None:
        self._produce = produce
        self._left = max(0, int(limit))
        self._threaded = threaded and self._left > 1
        self._thread: threading.Thread | None = None
        self._result: T | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> "ReadAhead[T]":
        return self

    def __exit__(self, *exc) -> None:
        self._join()

    def _run(self) -> None:
        try:
            self._result = self._produce()
        except BaseException as exc:  # handed to the caller's thread by next()
            self._error = exc

    def _start(self) -> None:
        self._left -= 1
        self._result, self._error = None, None
        self._thread = threading.Thread(target=self._run, name="scenefill-read-ahead", daemon=True)
        self._thread.start()

    def _join(self) -> tuple[T | None, BaseException | None]:
        if self._thread is None:
            return None, None
        self._thread.join()
        self._thread = None
        return self._result, self._error

    def next(self) -> T:
        if not self._threaded:
            self._left -= 1
            return self._produce()
        if self._thread is None:
            if self._left <= 0:
                return self._produce()
            self._start()
        result, error = self._join()
        if error is not None:
            self._left = 0  # a failed producer is not called again behind the caller's back
            raise error
        if self._left > 0:
            self._start()
        return result  # type: ignore[return-value]
