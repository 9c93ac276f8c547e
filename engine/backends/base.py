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

    def job(self, view: View, seed: int, k: int) -> WindowJob:
        prompt = view.prompt_for(k)
        return WindowJob(prompt, window_seed(self.name, prompt, seed, k), k)

    def jobs_for(self, view: View, seed: int, n_native: int) -> list[WindowJob]:
        return [self.job(view, seed, k) for k in self.grid.windows_for(n_native)]

    def stream(self, view: View, seed: int, *, sample_rate: int | None = None, runner: WindowRunner | None = None,
               cancel: Callable[[], bool] | None = None, expected: int | None = None) -> "ViewStream":
        """The view as an endless stream at ``sample_rate``, rendered as it is read (see :class:`ViewStream`)."""
        return ViewStream(self, view, seed, sample_rate or self.sample_rate, runner=runner, cancel=cancel,
                          expected=expected)

    def render(self, view: View, n_samples: int, seed: int, *, sample_rate: int | None = None,
               runner: WindowRunner | None = None, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Exactly ``n_samples`` of the view at ``sample_rate`` (default: native), (channels, n) float64.

        Prefix-stable: the result is the first n samples of one endless stream.
        ``runner`` renders the windows (default: this backend, one window per call);
        the daemon passes its batching queue instead.
        """
        return self.stream(view, seed, sample_rate=sample_rate, runner=runner, cancel=cancel,
                           expected=n_samples).read(n_samples)


class ViewStream:
    """One view as an endless, prefix-stable stream at an output rate, rendered window by window as read.

    Memory stays bounded whatever the length: only the stitched native samples
    still under the resampler's reach and the faded tail of the last window are
    kept. Output is bit-identical to stitching every window and resampling the
    whole (:func:`.windows.stitch`, :func:`.windows.resample`): the crossfade sums
    the same two terms, and each resampled segment starts at a multiple of the
    resampler's decimation with the filter's reach of context, so every output
    sample sees the same inputs in the same order.
    """

    def __init__(self, backend: Backend, view: View, seed: int, rate: int, *, runner: WindowRunner | None = None,
                 cancel: Callable[[], bool] | None = None, expected: int | None = None) -> None:
        from .windows import _ratio, equal_power

        self.backend, self.view, self.seed, self.rate = backend, view, seed, rate
        self.grid = backend.grid
        self.run = runner or backend.render_windows
        self.cancel = cancel
        # Alone, one window per call: a batched kernel may round differently with other batch-mates,
        # and a lone window is bit-identical whatever the render length. A runner (the daemon's
        # queue) gets up to a batch at a time, to batch with other requests' windows.
        self.step = max(1, backend.max_batch) if runner is not None else 1
        self.up, self.down = _ratio(backend.sample_rate, rate)
        self.resampling = backend.sample_rate != rate
        self.reach = source_samples_for(0, backend.sample_rate, rate) if self.resampling else 0
        self.expected_windows = len(self.grid.windows_for(source_samples_for(expected, backend.sample_rate, rate))) \
            if expected else 0
        self.fade_out, self.fade_in = equal_power(self.grid.overlap)
        self.native = np.zeros((backend.channels, 0))
        self.native_start = 0      # stream index of self.native[:, 0]
        self.tail: np.ndarray | None = None   # faded tail of the last window, for the next one's head
        self.next_window = 0
        self.pos = 0               # next output sample

    @property
    def final_native(self) -> int:
        """Stream samples before this index are final (the next window only touches later ones)."""
        return self.next_window * self.grid.hop

    def _generate(self, until: int) -> None:
        """Render windows until the native stream is final up to ``until``."""
        hop, ov = self.grid.hop, self.grid.overlap
        while self.final_native < until:
            if self.cancel is not None and self.cancel():
                raise Cancelled("render cancelled")
            need = -(-(until - self.final_native) // hop)
            count = min(self.step, max(need, self.expected_windows - self.next_window))
            jobs = [self.backend.job(self.view, self.seed, k) for k in range(self.next_window, self.next_window + count)]
            pieces = [self.native]
            for job, audio in zip(jobs, self.run(jobs)):
                w = np.array(audio, dtype=np.float64)
                if w.shape != (self.backend.channels, self.grid.window):
                    raise ValueError(f"window {job.index} is shaped {w.shape}, expected "
                                     f"{(self.backend.channels, self.grid.window)}")
                if job.index > 0:
                    w[:, :ov] *= self.fade_in
                    w[:, :ov] += self.tail
                self.tail = w[:, hop:] * self.fade_out
                pieces.append(w[:, :hop])
                self.next_window += 1
            self.native = np.concatenate(pieces, axis=1)

    def _segment_start(self, out_index: int) -> int:
        """The native index a resampled segment producing ``out_index`` onwards starts at."""
        first = out_index * self.down // self.up - self.reach
        return max(0, first // self.down * self.down)

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` output samples, (channels, n) float64."""
        start, end = self.pos, self.pos + n
        if not self.resampling:
            self._generate(end)
            out = self.native[:, start - self.native_start:end - self.native_start]
            keep_from = end
        else:
            a = self._segment_start(start)
            b = -(-end * self.down // self.up) + self.reach
            self._generate(b)
            from .. import dsp  # scipy.signal's resample_poly, imported on first use

            seg = dsp.resample_poly(self.native[:, a - self.native_start:b - self.native_start],
                                       self.up, self.down, axis=1)
            offset = a * self.up // self.down
            out = seg[:, start - offset:end - offset]
            keep_from = self._segment_start(end)
        if out.shape[1] != n:
            raise ValueError(f"stream gave {out.shape[1]} samples, need {n}")
        drop = keep_from - self.native_start
        if drop > 0:
            self.native = self.native[:, drop:]
            self.native_start = keep_from
        self.pos = end
        return np.array(out)
