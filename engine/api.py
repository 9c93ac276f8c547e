"""The engine's public entry points, shared by the CLI, the daemon and the plugins.

Keep this surface small and stable: the daemon and the OTIO/Resolve adapters
call only what is here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from .request import DEFAULT_MAX_SECONDS, RenderRequest

if TYPE_CHECKING:
    import numpy as np

#: progress(fraction in 0..1, stage name) -- called at least once per render block
ProgressFn = Callable[[float, str], None]
#: cancel() -> True to stop; polled once per render block
CancelFn = Callable[[], bool]


@dataclass
class RenderResult:
    """What a finished render produced."""

    path: Path
    n_samples: int          # samples in the file (range + handles)
    sample_rate: int
    channels: int
    sha256: str             # of the whole file as written
    provenance: dict = field(default_factory=dict)


def render_to_file(request: RenderRequest, path: str | Path, *,
                   progress: ProgressFn | None = None,
                   cancel: CancelFn | None = None,
                   max_seconds: float = DEFAULT_MAX_SECONDS, runner=None, processes: int = 1) -> RenderResult:
    """Render ``request`` to ``path`` (WAV or FLAC by ``request.fmt``), atomically.

    The audio is streamed block by block to a temporary file in the target
    directory and renamed into place only when complete, so an interrupted or
    cancelled render never leaves a partial file under the requested name.
    Raises InvalidRequest (bad field), Cancelled, or OSError (unwritable path).
    ``runner`` renders a neural backend's windows (the daemon's batching queue).
    ``processes=2`` lets a render of more than a few seconds fork a helper that renders
    some layers on a second core (Linux, from a single-threaded caller; the CLI does,
    the daemon's workers do not: they already fill the cores); the audio is identical.
    """
    import math

    from .errors import InvalidRequest
    from .pipeline import render_file

    if not isinstance(max_seconds, (int, float)) or not math.isfinite(max_seconds) or max_seconds <= 0:
        raise InvalidRequest("max_seconds", f"must be a positive number of seconds, got {max_seconds!r}")
    request.validate(max_seconds)
    if processes not in (1, 2):
        raise ValueError(f"processes must be 1 or 2, got {processes!r}")
    return render_file(request, Path(path), progress=progress, cancel=cancel, runner=runner, processes=processes)


def render_blocks(request: RenderRequest, *, cancel: CancelFn | None = None) -> Iterator[np.ndarray]:
    """Stream the final audio as float32 arrays shaped (channels, n); exactly total_samples in all."""
    from .pipeline import stream_audio

    request.validate()
    yield from stream_audio(request, cancel=cancel)


def render_array(request: RenderRequest) -> np.ndarray:
    """The whole render in memory, (channels, n) float32 -- for tests and short clips."""
    import numpy as np

    return np.concatenate(list(render_blocks(request)), axis=1)


def parse_note(note: str, request: RenderRequest | None = None) -> dict:
    """What the engine understood of a note: the multi-view caption, the matched models and
    where each timed event lands. With a ``request`` (its length, rate and ``extra`` fps /
    start_frame) relative times and timecodes are resolved exactly as a render would."""
    from .events import Timeline
    from .scene import describe_note

    return describe_note(note, Timeline.from_request(request) if request is not None else None)


def read_provenance(path: str | Path) -> dict:
    """The provenance a SceneFill render stored in its file (iXML / bext, or FLAC comment)."""
    from .provenance import read_file_provenance

    return read_file_provenance(Path(path))


def request_key(request: RenderRequest, engine_version: str | None = None) -> str:
    """Content address of a render: the normalised request, the engine version and which matcher
    reads notes here (the open-vocabulary model, when installed, reads some notes differently)."""
    from scenefill import ENGINE_VERSION

    from .vocab_model import reading

    payload = request.to_dict()
    payload["note"] = " ".join(request.note.split())
    payload["engine"] = engine_version or ENGINE_VERSION
    payload["matcher"] = reading()
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
