"""Backends: who renders a view of a scene (DESIGN §3).

``procedural`` (default, CPU, no weights), ``stable-audio`` and ``dasheng``
(neural, from a local model directory). torch is imported only when a neural
backend is loaded: the default install stays torch-free.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Backend

BACKEND_NAMES = ("procedural", "stable-audio", "dasheng")
NEURAL_BACKENDS = ("stable-audio", "dasheng")
DESCRIPTIONS = {
    "procedural": "parametric sound models and music beds; Piper voice for dialogue",
    "stable-audio": "Stable Audio Open 1.0 (diffusers, local directory): 44.1 kHz stereo ambience, "
                    "effects and music; Piper for dialogue",
    "dasheng": "Dasheng AudioGen (transformers, local snapshot with its code): the whole tagged scene, "
               "speech included, 16 kHz",
}
VIEWS = {
    "procedural": ("caption", "sfx", "music", "env", "speech", "asr"),
    "stable-audio": ("caption", "sfx", "music", "env"),
    "dasheng": ("caption", "speech", "asr", "sfx", "music", "env"),
}
#: files a model directory must hold before we try to load it
REQUIRED_FILES = {"stable-audio": ("model_index.json",), "dasheng": ("config.json",)}

_loaded: dict[tuple, "Backend"] = {}
_lock = threading.Lock()


def check_name(name: str) -> str:
    from ..errors import InvalidRequest

    if name not in BACKEND_NAMES:
        raise InvalidRequest("backend", f"unknown backend {name!r}; use one of " + ", ".join(BACKEND_NAMES))
    return name


def __getattr__(name: str):
    """The interface's classes, imported on first use: ``scenefill --help`` must not pay for numpy."""
    if name in ("Backend", "BackendState", "BackendUnavailable", "View", "WindowJob", "ViewStream"):
        from . import base

        return getattr(base, name)
    raise AttributeError(name)


def load_backend(name: str, model_dir: Path | str | None, device: str | None = None) -> "Backend":
    """The loaded neural backend for (name, directory, device): one instance per process and GPU."""
    check_name(name)
    from .base import BackendUnavailable
    from .device import torch_missing

    reason = torch_missing()
    if reason:
        raise BackendUnavailable(name, reason)
    key = (name, str(Path(model_dir).resolve()) if model_dir else None, device)
    with _lock:
        backend = _loaded.get(key)
        if backend is None:
            if name == "stable-audio":
                from .stable_audio import StableAudioBackend as cls
            elif name == "dasheng":
                from .dasheng import DashengBackend as cls
            else:
                raise BackendUnavailable(name, "the procedural backend is not a loadable model")
            backend = cls(model_dir, device)
            _loaded[key] = backend
        return backend


def backend_states(model_dirs: dict[str, Path] | None = None) -> list[BackendState]:
    """Every backend with its state and, when unavailable, why -- without loading any weights."""
    import importlib.util

    from .base import BackendState
    from .device import torch_missing
    from .weights import fetch_hint

    model_dirs = model_dirs or {}
    states = [BackendState("procedural", True, device="cpu", views=VIEWS["procedural"],
                           description=DESCRIPTIONS["procedural"])]
    missing = torch_missing()
    gpu = None
    if missing is None and importlib.util.find_spec("torch") is not None:
        import torch

        gpu = torch.cuda.is_available()
    for name in NEURAL_BACKENDS:
        directory = model_dirs.get(name)
        state = BackendState(name, False, views=VIEWS[name], description=DESCRIPTIONS[name],
                             model_dir=str(directory or ""), device="cuda" if gpu else ("cpu" if gpu is False else ""))
        if missing:
            state.reason = missing
        elif directory is None:
            state.reason = "no weights configured; " + fetch_hint(name, "DIR")
        elif not Path(directory).is_dir():
            state.reason = f"no weights at {directory}; " + fetch_hint(name, directory)
        elif any(not (Path(directory) / f).exists() for f in REQUIRED_FILES[name]):
            state.reason = f"incomplete weights at {directory}; " + fetch_hint(name, directory)
        else:
            state.available = True
            if not gpu:
                state.reason = "no GPU: runs on the CPU, slowly"
        states.append(state)
    return states


__all__ = ["BACKEND_NAMES", "NEURAL_BACKENDS", "Backend", "BackendState", "BackendUnavailable", "View",
           "WindowJob", "backend_states", "check_name", "load_backend"]
