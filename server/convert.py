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
import re
from pathlib import Path

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import DEFAULT_LOUDNESS, LOUDNESS_PRESETS, MAX_NOTE_CHARS, RenderRequest
from scenefill.engine.timing import frames_to_samples, parse_rate, shown

from . import scenefill_pb2 as pb

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

#: Longest value accepted for each short text field. Every one of them can end up
#: in a reply, a file name, the provenance or the log; none has a use for more.
MAX_FIELD_CHARS = {"format": 16, "backend": 64, "loudness_preset": 64, "voice": 256}
#: ``extra_json``: engine extras are a handful of small keys (``time_reference``...).
#: Bounded so a client cannot have megabytes rendered, cached and echoed back, or
#: nest the value deep enough to exhaust the recursion limit of the JSON tools.
MAX_EXTRA_JSON_CHARS = 16 * 1024
MAX_EXTRA_DEPTH = 16

# XML 1.0 forbids C0 controls except tab, LF, CR (and U+FFFE/U+FFFF); NUL also
# truncates C strings. A note arriving over gRPC is cleaned of them (each becomes
# a space, which the engine treats like any other blank) so the file's iXML and
# bext are well-formed; the note's words are kept.
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_note(note: str) -> str:
    """The note without characters no XML or C string can carry (each replaced by a space)."""
    return _UNSAFE_TEXT.sub(" ", note)


def _check_length(field: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidRequest(field, f"{field} is {len(value)} characters long; the limit is {limit}")
    return value


def _json_depth(value) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    depth, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (dict, list)):
            depth = max(depth, level)
            if level <= MAX_EXTRA_DEPTH:
                todo.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return depth


def extra_from_json(text: str) -> dict:
    """``extra_json`` -> the engine's extras dict: a small, shallow JSON object with sane known keys."""
    if not text.strip():
        return {}
    _check_length("extra_json", text, MAX_EXTRA_JSON_CHARS)
    try:
        extra = json.loads(text)
    except RecursionError:
        raise InvalidRequest("extra_json", f"nested deeper than {MAX_EXTRA_DEPTH} levels") from None
    except ValueError as exc:
        raise InvalidRequest("extra_json", f"not JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise InvalidRequest("extra_json", "must be a JSON object")
    if _json_depth(extra) > MAX_EXTRA_DEPTH:
        raise InvalidRequest("extra_json", f"nested deeper than {MAX_EXTRA_DEPTH} levels")
    if "time_reference" in extra:
        ref = extra["time_reference"]
        if isinstance(ref, bool) or not isinstance(ref, int) or not 0 <= ref <= UINT64_MAX:
            raise InvalidRequest("extra_json.time_reference",
                                 f"time_reference must be a whole number of samples from 0 to 2**64-1, "
                                 f"got {shown(json.dumps(ref))}")
    return extra


def request_from_proto(msg: "pb.RenderRequest", max_seconds: float,
                       default_backend: str = "procedural") -> RenderRequest:
    """Wire request -> validated engine request; raises InvalidRequest naming the field.

    Pure and bounded: every text field has a length limit checked before any
    parsing, numbers go through :mod:`scenefill.engine.timing`'s bounded parsers.
    """
    for name, limit in MAX_FIELD_CHARS.items():
        _check_length(name, getattr(msg, name), limit)
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
                                 f"unknown preset {shown(preset)}; use one of {', '.join(sorted(LOUDNESS_PRESETS))}")
        loudness = LOUDNESS_PRESETS[preset]
    else:
        loudness = DEFAULT_LOUDNESS

    extra = extra_from_json(msg.extra_json)
    if rate is not None:  # a frame range carries the timeline: note times read as its timecode
        extra.setdefault("fps", f"{rate.numerator}/{rate.denominator}")
        extra.setdefault("start_frame", int(msg.frames.start_frame))

    from scenefill.engine.speech import is_voice_path

    if is_voice_path(msg.voice):
        # a client must not make the daemon open arbitrary files: voices are named
        raise InvalidRequest("voice", "the daemon takes voice names, not paths: 'joe', or a NAME.onnx "
                                      "placed in the daemon's SCENEFILL_VOICE_DIR")
    request = RenderRequest(
        note=msg.note if len(msg.note) > MAX_NOTE_CHARS else clean_note(msg.note),  # too long: validate refuses
        n_samples=int(n_samples),
        sample_rate=sample_rate,
        channels=msg.channels or 2,
        seed=msg.seed,
        loudness=float(loudness),
        loop=msg.loop,
        handle_samples=int(handle_samples),
        fmt=msg.format or "wav",
        bit_depth=msg.bit_depth or 24,
        backend=msg.backend or default_backend,
        voice=msg.voice,
        extra=extra,
    )
    from scenefill.engine.backends import check_name

    check_name(request.backend)
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
