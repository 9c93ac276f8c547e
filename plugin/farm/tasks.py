"""What runs on a Ray worker: one render.

The function is plain Python (decorated by the caller with the task options), so it
can be tested and timed without Ray. A worker either writes the file straight into the
media directory (when it sees the driver's probe file there, i.e. the directory is on a
shared filesystem) or renders to its own temporary directory and returns the bytes,
which the driver writes atomically. Either way the file is the engine's own output.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scenefill.engine.request import RenderRequest

DEFAULT_RENDER_IMPL = "scenefill.engine.api:render_to_file"
STAGE_PREFIX = ".sf-ray-"     # + the run's token: a render not yet in place (see render_task)


class EngineMismatch(RuntimeError):
    """The worker's SceneFill engine is not the driver's: its file would not match the name."""


class RenderFailed(RuntimeError):
    """An engine error, carried as its one line (the engine's own errors do not unpickle)."""


def error_payload(exc: BaseException) -> dict:
    """An engine error as plain data, to travel back from a worker or a replica."""
    from scenefill.engine.errors import Cancelled, InvalidRequest

    if isinstance(exc, InvalidRequest):
        return {"kind": "invalid", "field": exc.field, "message": exc.message}
    if isinstance(exc, Cancelled):
        return {"kind": "cancelled", "message": str(exc)}
    if isinstance(exc, OSError):
        return {"kind": "oserror", "errno": exc.errno, "message": exc.strerror or str(exc),
                "filename": exc.filename}
    return {"kind": "error", "message": " ".join(str(exc).split()) or type(exc).__name__}


def raise_payload(p: dict) -> None:
    """Raise the error :func:`error_payload` described, as the engine would have."""
    from scenefill.engine.errors import Cancelled, InvalidRequest

    if p["kind"] == "invalid":
        raise InvalidRequest(p["field"], p["message"])
    if p["kind"] == "cancelled":
        raise Cancelled(p["message"])
    if p["kind"] == "oserror":
        raise OSError(p["errno"], p["message"], p["filename"])
    raise RenderFailed(p["message"])


@dataclass
class TaskResult:
    n_samples: int
    sha256: str
    seconds: float              # render time on the worker
    node: str                   # the worker's host name
    data: bytes | None = None   # the file, when the worker could not write it in place


def load_impl(spec: str):
    """``"module:function"`` -> the function (the engine's ``render_to_file`` by default)."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "render")


def probe_matches(probe: str | None, token: str) -> bool:
    """True when this worker sees the driver's probe file: the media dir is shared."""
    if not probe:
        return False
    try:
        return Path(probe).read_text(encoding="ascii") == token
    except (OSError, UnicodeDecodeError):
        return False


def render_task(request: dict, dest: str, *, engine: str, probe: str | None = None, token: str = "",
                source_date_epoch: str | None = None,
                render_impl: str = DEFAULT_RENDER_IMPL) -> TaskResult:
    """Render ``request`` (a :meth:`RenderRequest.to_dict`) for the file ``dest``.

    ``engine`` is the driver's engine version: the request key (and so the file name) was
    computed with it, so a worker with another engine refuses rather than write a file
    whose name lies. ``source_date_epoch`` carries the driver's SOURCE_DATE_EPOCH so the
    file is byte-identical to an in-process render.
    """
    from scenefill import ENGINE_VERSION
    from scenefill.engine.errors import SceneFillError

    node = platform.node()
    if ENGINE_VERSION != engine:
        raise EngineMismatch(f"the worker on {node} runs {ENGINE_VERSION}, the driver {engine}: "
                             "install the same scenefill on every node")
    req = RenderRequest(**request)
    render = load_impl(render_impl)
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if source_date_epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = source_date_epoch
    else:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        t0 = time.perf_counter()
        if probe_matches(probe, token):
            # render under a name carrying the run's token, then rename: whatever a killed
            # attempt leaves behind carries the token, and the driver sweeps it after the run
            final = Path(dest)
            staged = final.with_name(f"{STAGE_PREFIX}{token}-{final.name}")
            result = render(req, staged)
            os.replace(staged, final)
            return TaskResult(result.n_samples, result.sha256, time.perf_counter() - t0, node)
        with tempfile.TemporaryDirectory(prefix="scenefill-ray-") as tmp:
            path = Path(tmp) / Path(dest).name
            result = render(req, path)
            data = path.read_bytes()
        return TaskResult(result.n_samples, hashlib.sha256(data).hexdigest(),
                          time.perf_counter() - t0, node, data)
    except SceneFillError as exc:
        raise RenderFailed(" ".join(str(exc).split())) from None
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
