"""Model directories: where the user's weights are, whether they are complete, what they hash to.

Nothing here downloads. A missing or incomplete directory is refused with a
message naming it and the one command that fetches it on a connected machine.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from ..errors import InvalidRequest

#: the Hugging Face repository each backend's weights come from
HUB_REPOS = {
    "stable-audio": "stabilityai/stable-audio-open-1.0",
    "dasheng": "mispeech/Dasheng-AudioGen",
}
ENV_VAR = "SCENEFILL_MODEL_DIRS"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
_HASH_SPAN = 1 << 20  # bytes hashed at each end of a weight file


def fetch_hint(backend: str, directory: Path | str) -> str:
    repo = HUB_REPOS.get(backend, "<repo>")
    return (f"download it once on a connected machine with `huggingface-cli download {repo} "
            f"--local-dir {directory}`, then pass --model-dir {backend}={directory} "
            f"(or set {ENV_VAR}={backend}={directory})")


def parse_model_dirs(pairs: list[str] | None = None, env: str | None = None,
                     default_backend: str | None = None) -> dict[str, Path]:
    """``name=DIR`` pairs (CLI) over ``SCENEFILL_MODEL_DIRS`` (``name=DIR`` joined by os.pathsep).

    A bare ``DIR`` on the command line belongs to ``default_backend`` (the one
    the render asks for). Unknown names are refused.
    """
    from . import BACKEND_NAMES

    dirs: dict[str, Path] = {}
    items: list[tuple[str, str]] = []
    for part in (env or "").split(os.pathsep):
        if part.strip():
            items.append((ENV_VAR, part.strip()))
    for part in pairs or []:
        items.append(("model-dir", part))
    for source, item in items:
        name, sep, path = item.partition("=")
        if not sep:
            if source == "model-dir" and default_backend and default_backend != "procedural":
                name, path = default_backend, item
            else:
                raise InvalidRequest("model-dir", f"{item!r}: give NAME=DIR, NAME one of "
                                     + ", ".join(n for n in BACKEND_NAMES if n != "procedural"))
        name = name.strip()
        if name not in BACKEND_NAMES or name == "procedural":
            raise InvalidRequest("model-dir", f"{source}: unknown backend {name!r}; use "
                                 + ", ".join(n for n in BACKEND_NAMES if n != "procedural"))
        if not path.strip():
            raise InvalidRequest("model-dir", f"{source}: no directory given for {name}")
        dirs[name] = Path(path.strip()).expanduser()
    return dirs


def require_files(backend: str, directory: Path | None, files: tuple[str, ...]) -> Path:
    """The directory, if it holds ``files``; else a clear refusal naming it and how to fetch it."""
    if directory is None:
        raise InvalidRequest("model_dir", f"{backend}: no model directory configured; "
                             + fetch_hint(backend, "DIR"))
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidRequest("model_dir", f"{backend}: no model directory at {directory}; "
                             + fetch_hint(backend, directory))
    missing = [f for f in files if not (directory / f).exists()]
    if missing:
        raise InvalidRequest("model_dir", f"{backend}: {directory} is incomplete (missing "
                             + ", ".join(missing) + "); " + fetch_hint(backend, directory))
    return directory


@lru_cache(maxsize=256)
def _file_fingerprint(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256(f"{size}".encode())
    with open(path, "rb") as fh:
        h.update(fh.read(_HASH_SPAN))
        if size > 2 * _HASH_SPAN:
            fh.seek(size - _HASH_SPAN)
            h.update(fh.read(_HASH_SPAN))
        else:
            h.update(fh.read())
    return h.hexdigest()[:16]


def weight_hashes(directory: Path) -> dict[str, str]:
    """A cheap fingerprint per weight file: sha256 of its size, first and last MiB (cached by mtime).

    Reading 10 GB of weights per render would cost more than the render; the ends
    of a safetensors file hold its header (names, shapes) and trailing tensors,
    which is enough to tell two downloads or two fine-tunes apart.
    """
    out: dict[str, str] = {}
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file() and path.suffix in WEIGHT_SUFFIXES and ".cache" not in path.parts:
            st = path.stat()
            out[str(path.relative_to(directory))] = _file_fingerprint(str(path), st.st_size, st.st_mtime_ns)
    return out
