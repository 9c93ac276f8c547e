"""Between the wire (``scenefill.v1`` messages) and the engine's plain data.

Used by both ends: the daemon turns a ``RenderRequest`` message into an engine
:class:`~scenefill.engine.request.RenderRequest` (validated, exact length), the
client library does the reverse. Field names in refusals are the engine's
(``length``, ``handles``, ``format``...) so a refusal reads the same whether it
came from a local render or the daemon; fields only the wire has use their proto
names (``frames.rate``, ``extra_json``, ``loudness_preset``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import DEFAULT_LOUDNESS, LOUDNESS_PRESETS, RenderRequest
from scenefill.engine.timing import frames_to_samples, parse_rate

from . import scenefill_pb2 as pb

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def request_from_proto(msg: "pb.RenderRequest", max_seconds: float) -> RenderRequest:
    """Wire request -> validated engine request; raises InvalidRequest naming the field."""
    sample_rate = msg.sample_rate or 48000
    which = msg.WhichOneof("length")
    rate = None
    if which is None:
        raise InvalidRequest("length", "give the length as n_samples or as frames + rate")
    if which == "n_samples":
        n_samples = msg.n_samples
    else:
        frames = msg.frames
        if not frames.rate.strip():
            raise InvalidRequest("frames.rate", "a frame range needs its frame rate, e.g. \"23.976\"")
        rate = parse_rate(frames.rate, field="frames.rate")
        if frames.n_frames <= 0:
            raise InvalidRequest("length", f"length must be positive, got {frames.n_frames} frames")
        if frames.start_frame < 0:
            raise InvalidRequest("frames.start_frame", f"start frame cannot be negative, got {frames.start_frame}")
        n_samples = frames_to_samples(frames.start_frame, frames.n_frames, rate, sample_rate)

    handle_kind = msg.WhichOneof("handles")
    handle_samples = 0
    if handle_kind == "handle_samples":
        handle_samples = msg.handle_samples
    elif handle_kind == "handle_frames":
        if rate is None:
            raise InvalidRequest("handles", "handle_frames needs the length given as frames + rate")
        if msg.handle_frames < 0:
            raise InvalidRequest("handles", "handles cannot be negative")
        handle_samples = frames_to_samples(0, msg.handle_frames, rate, sample_rate) if msg.handle_frames else 0

    preset = msg.loudness_preset.strip()
    if msg.HasField("loudness"):
        if preset:
            raise InvalidRequest("loudness", "give loudness or loudness_preset, not both")
        loudness = msg.loudness
        if not math.isfinite(loudness):
            raise InvalidRequest("loudness", f"loudness {loudness} LUFS is not a number")
    elif preset:
        if preset not in LOUDNESS_PRESETS:
            raise InvalidRequest("loudness_preset",
                                 f"unknown preset {preset!r}; use one of {', '.join(sorted(LOUDNESS_PRESETS))}")
        loudness = LOUDNESS_PRESETS[preset]
    else:
        loudness = DEFAULT_LOUDNESS

    extra: dict = {}
    if msg.extra_json.strip():
        try:
            extra = json.loads(msg.extra_json)
        except ValueError as exc:
            raise InvalidRequest("extra_json", f"not JSON: {exc}") from None
        if not isinstance(extra, dict):
            raise InvalidRequest("extra_json", "must be a JSON object")
    if rate is not None:  # a frame range carries the timeline: note times read as its timecode
        extra.setdefault("fps", f"{rate.numerator}/{rate.denominator}")
        extra.setdefault("start_frame", int(msg.frames.start_frame))

    from scenefill.engine.speech import is_voice_path

    if is_voice_path(msg.voice):
        # a client must not make the daemon open arbitrary files: voices are named
        raise InvalidRequest("voice", "the daemon takes voice names, not paths: 'joe', or a NAME.onnx "
                                      "placed in the daemon's SCENEFILL_VOICE_DIR")
    request = RenderRequest(
        note=msg.note,
        n_samples=int(n_samples),
        sample_rate=sample_rate,
        channels=msg.channels or 2,
        seed=msg.seed,
        loudness=float(loudness),
        loop=msg.loop,
        handle_samples=int(handle_samples),
        fmt=msg.format or "wav",
        bit_depth=msg.bit_depth or 24,
        backend=msg.backend or "procedural",
        voice=msg.voice,
        extra=extra,
    )
    return request.validate(max_seconds)


def _check_int(field: str, value, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(field, f"{what} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise InvalidRequest(field, f"{what} {value} is out of range")
    return value


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidRequest("seed", f"seed must be an integer, got {seed!r}")
    if not -INT64_MAX - 1 <= seed <= INT64_MAX:  # in range for the wire; the server checks 0 <= seed
        raise InvalidRequest("seed", "seed must be between 0 and 2**63-1")
    return seed


def request_to_proto(request: RenderRequest) -> "pb.RenderRequest":
    """Engine request -> wire request. Only type/range problems the wire cannot carry are refused here;
    everything else is left for the server to validate (so both paths give the same message)."""
    if not isinstance(request.note, str):
        raise InvalidRequest("note", "the scene note must be text")
    msg = pb.RenderRequest(
        note=request.note,
        n_samples=_check_int("length", request.n_samples, -INT64_MAX, INT64_MAX, "length"),
        sample_rate=_check_int("sample_rate", request.sample_rate, 1, INT32_MAX, "sample rate"),
        channels=_check_int("channels", request.channels, 1, INT32_MAX, "channels"),
        seed=_check_seed(request.seed),
        loop=bool(request.loop),
        handle_samples=_check_int("handles", request.handle_samples, -INT64_MAX, INT64_MAX, "handles"),
        format=str(request.fmt or "wav"),
        bit_depth=_check_int("bit_depth", request.bit_depth, 1, INT32_MAX, "bit depth"),
        backend=str(request.backend or "procedural"),
        voice=str(request.voice or ""),
    )
    try:
        msg.loudness = float(request.loudness)
    except (TypeError, ValueError):
        raise InvalidRequest("loudness", f"loudness must be a number, got {request.loudness!r}") from None
    if request.extra:
        try:
            msg.extra_json = json.dumps(request.extra, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise InvalidRequest("extra", f"extra must be JSON-able: {exc}") from None
    return msg


def result_to_proto(*, path: Path, n_samples: int, sample_rate: int, channels: int, sha256: str,
                    provenance: dict, cache_hit: bool, job_id: str, key: str, seconds: float) -> "pb.RenderResult":
    return pb.RenderResult(
        path=str(path), n_samples=n_samples, sample_rate=sample_rate, channels=channels, sha256=sha256,
        provenance_json=json.dumps(provenance, sort_keys=True), cache_hit=cache_hit, job_id=job_id,
        key=key, seconds=seconds,
    )
