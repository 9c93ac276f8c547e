"""The backend interface (DESIGN §3): what a backend renders, at what rate, in what windows.

A backend turns a *view* of a scene (ambience, effects, music, or the whole
tagged scene) into a stem at its native sample rate. The engine resamples,
stitches, mixes and limits; backends stay simple. Neural backends render fixed
windows; :meth:`Backend.render` builds any length from them (see
:mod:`.windows`), and :meth:`Backend.render_windows` is the batched primitive
the daemon's queue calls with windows gathered from many requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import Cancelled, SceneFillError
from .windows import WindowGrid, source_samples_for, resample, stitch, window_seed

log = logging.getLogger("scenefill.backends")


class BackendUnavailable(SceneFillError):
    """A backend cannot run here (no torch, no weights at PATH, not enough GPU memory)."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"backend {backend}: {reason}")
        self.backend = backend
        self.reason = reason


@dataclass(frozen=True)
class View:
    """One view of a scene: its kind (ambience, sfx, music, scene) and the prompt text for it.

    ``continuation`` is the prompt for windows after the first, when it differs
    (a Dasheng scene speaks its lines once, not once per window).
    """

    kind: str
    prompt: str
    continuation: str | None = None

    def prompt_for(self, k: int) -> str:
        return self.prompt if k == 0 or self.continuation is None else self.continuation


@dataclass(frozen=True)
class WindowJob:
    """One window to render: the prompt and the seed that alone define it."""

    prompt: str
    seed: int
    index: int


#: renders a list of windows, returning one (channels, window) array per job, in order
WindowRunner = Callable[[Sequence[WindowJob]], list[np.ndarray]]


@dataclass
class BackendState:
    """What ``scenefill backends`` and ListCapabilities show for one backend."""

    name: str
    available: bool
    reason: str = ""              # why not, when unavailable; a warning (CPU only) when available
    device: str = ""
    views: tuple[str, ...] = ()
    sample_rate: int | None = None
    max_window_s: float | None = None
    model_dir: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


class Backend:
    """A loaded backend. Subclasses set the attributes and implement :meth:`render_windows`."""

    name: str = ""
    views: tuple[str, ...] = ()
    speech_from_model: bool = False   # True: the model speaks the lines (no Piper)
    sample_rate: int = 0              # native rate of the stems
    channels: int = 2
    window_samples: int = 0           # longest window, native samples
    device: str = "cpu"
    max_batch: int = 1                # windows one call may render together

    @property
    def max_window_s(self) -> float:
        return self.window_samples / self.sample_rate

    @property
    def grid(self) -> WindowGrid:
        return WindowGrid.for_model(self.window_samples, self.sample_rate)

    def one_window_samples(self, sample_rate: int) -> int:
        """The longest render at ``sample_rate`` that one window covers (longer ones need a second)."""
        n = int(self.grid.hop * sample_rate / self.sample_rate)
        while n > 0 and source_samples_for(n, self.sample_rate, sample_rate) > self.grid.hop:
            n -= max(1, n // 1000)
        return n

    def provenance(self) -> dict:
        """Backend, model directory, weight hashes and sampler settings, for the file's provenance."""
        return {"backend": self.name}

    def render_windows(self, jobs: Sequence[WindowJob]) -> list[np.ndarray]:
        """Render whole windows, (channels, window_samples) each; each a function of its job alone."""
        raise NotImplementedError

    def jobs_for(self, view: View, seed: int, n_native: int) -> list[WindowJob]:
        return [WindowJob(view.prompt_for(k), window_seed(self.name, view.prompt_for(k), seed, k), k)
                for k in self.grid.windows_for(n_native)]

    def render(self, view: View, n_samples: int, seed: int, *, sample_rate: int | None = None,
               runner: WindowRunner | None = None, cancel: Callable[[], bool] | None = None,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Exactly ``n_samples`` of the view at ``sample_rate`` (default: native), (channels, n) float64.

        Prefix-stable: the result is the first n samples of one endless stream.
        ``runner`` renders the windows (default: this backend, one window per call);
        the daemon passes its batching queue instead. ``progress(done, total)`` after
        each model call.
        """
        rate = sample_rate or self.sample_rate
        n_native = source_samples_for(n_samples, self.sample_rate, rate)
        jobs = self.jobs_for(view, seed, n_native)
        run = runner or self.render_windows
        # Alone, one window per call: a batched kernel may round differently with other batch-mates,
        # and a lone window is bit-identical whatever the render length. A runner (the daemon's
        # queue) gets up to a batch at a time, to batch with other requests' windows.
        step = max(1, self.max_batch) if runner is not None else 1
        windows: dict[int, np.ndarray] = {}
        for i in range(0, len(jobs), step):
            if cancel is not None and cancel():
                raise Cancelled("render cancelled")
            chunk = jobs[i:i + step]
            for job, audio in zip(chunk, run(chunk)):
                windows[job.index] = np.asarray(audio, dtype=np.float64)
            if progress is not None:
                progress(len(windows), len(jobs))
        native = stitch(windows, self.grid, n_native)
        return resample(native, self.sample_rate, rate, n_samples)
