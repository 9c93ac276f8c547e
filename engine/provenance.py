"""Provenance: what made a file, so any clip can be regenerated or extended later.

Stored in the file (BWF bext + iXML for WAV, a Vorbis comment for FLAC) and
returned to callers, who copy it into timelines.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from scenefill import ENGINE_VERSION, __version__

if TYPE_CHECKING:  # reading provenance (``scenefill info``) must not load the sound models
    from .request import RenderRequest
    from .scene import SceneSpec

ORIGINATOR = "SceneFill"


def build_provenance(request: RenderRequest, scene: SceneSpec) -> dict:
    """Everything needed to re-render or extend this file."""
    return {
        "generator": ORIGINATOR,
        "engine_version": ENGINE_VERSION,
        "package_version": __version__,
        "note": request.note,
        "caption": scene.caption.to_dict(),
        "prompt": scene.caption.to_prompt(),
        "layers": [{"model": layer.model, "phrase": layer.phrase, "intensity": layer.intensity,
                    "distance": layer.distance, "options": layer.options} for layer in scene.layers],
        "room": scene.room,
        "events": [{"model": layer.model, "text": e.text, "sample": e.sample, "timecode": e.timecode}
                   for layer in scene.layers for e in layer.events],
        "events_outside": scene.events_outside,
        "notes": scene.notes,  # how the note was read, where an editor should know (a cut-off event)
        "seed": request.seed,
        "backend": request.backend,
        "voice": request.voice or scene.voice,
        # who speaks each line (two people in one note: two voices)
        "line_voices": [request.voice] * len(scene.line_voices) if request.voice else list(scene.line_voices),
        "options": {
            "sample_rate": request.sample_rate, "channels": request.channels,
            "bit_depth": request.bit_depth, "format": request.fmt,
            "loudness": request.loudness, "loop": request.loop,
            "handle_samples": request.handle_samples, "range_samples": request.n_samples,
        },
        "total_samples": request.total_samples,
        "extra": request.extra,
    }


def origination_time() -> time.struct_time:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible, bit-identical files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return time.gmtime(int(epoch)) if epoch and epoch.isdigit() else time.gmtime()


def read_file_provenance(path: Path) -> dict:
    """Provenance stored in a SceneFill WAV (iXML) or FLAC (comment)."""
    from .errors import InvalidRequest

    if not path.exists():
        raise InvalidRequest("file", f"no such file: {path}")
    if not path.is_file():  # a FIFO would block the read, a device would never end
        raise InvalidRequest("file", f"{path} is not a regular file")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in (b"RIFF", b"RF64"):
        return _wav_provenance(path)
    if magic == b"fLaC":
        return _flac_provenance(path)
    raise InvalidRequest("file", f"{path} is not a WAV or FLAC file")


def _wav_provenance(path: Path) -> dict:
    import struct

    from .errors import InvalidRequest
    from .wavio import provenance_from_ixml, read_chunks

    try:
        chunks = read_chunks(path)
        out: dict = {}
        if "bext" in chunks:
            out["bext"] = chunks["bext"]
        if chunks.get("iXML"):
            out.update(provenance_from_ixml(chunks["iXML"]))
    except (ValueError, struct.error) as exc:  # a damaged or truncated file, or unreadable iXML
        raise InvalidRequest("file", f"{path}: cannot read its metadata: {exc}") from None
    if "engine_version" not in out:
        raise InvalidRequest("file", f"{path} has no SceneFill provenance")
    out["format"] = chunks.get("fmt", {})
    return out


def _flac_provenance(path: Path) -> dict:
    import soundfile as sf

    from .errors import InvalidRequest

    try:
        with sf.SoundFile(str(path)) as f:
            comment = f.comment
            fmt = {"sample_rate": f.samplerate, "channels": f.channels, "frames": f.frames}
    except (RuntimeError, ValueError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise InvalidRequest("file", f"{path}: cannot read it as FLAC: {exc}") from None
    try:
        data = json.loads(comment)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise InvalidRequest("file", f"{path} has no SceneFill provenance")
    data["format"] = fmt
    return data
