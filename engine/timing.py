"""Exact timing math: frame rates, timecode and sample counts.

Everything is done in :class:`fractions.Fraction` so that NTSC rates
(24000/1001, 30000/1001, 60000/1001) never drift. Positions are mapped to
samples on *absolute* positions and lengths are differences of positions,
which is what lets neighbouring clips tile with no gap and no overlap.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .errors import InvalidRequest

SUPPORTED_SAMPLE_RATES = (44100, 48000, 96000)

#: Rates editors use, exact. Float spellings are snapped to these.
KNOWN_RATES: tuple[Fraction, ...] = (
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48000, 1001),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
    Fraction(100),
    Fraction(120000, 1001),
    Fraction(120),
)

#: How close a decimal spelling must be to snap to a known rate. Wide enough for
#: float32 values such as 23.976024627685547 and truncations such as 23.976.
_SNAP_TOLERANCE = Fraction(1, 200)


#: Bounds on a number typed or sent as text. ``Fraction("1e15000000")`` builds a
#: 15-million-digit integer (seconds of CPU; ``1e999999999`` takes hours), so every
#: numeric string is checked against these *before* it is parsed. Generous for any
#: real length, rate or handle: 14400.000000000000001 s, 1e-9, 24000/1001.
MAX_NUMBER_CHARS = 48
MAX_EXPONENT = 20
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?")
_RATIO = re.compile(r"[+-]?\d+\s*/\s*[+-]?\d+")


def shown(value: object, limit: int = 24) -> str:
    """``repr`` of a user's value for a message, cut short: refusals never echo megabytes back."""
    text = value if isinstance(value, str) else str(value)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def parse_number(value: str | float | int | Fraction, field: str, what: str = "a number") -> Fraction:
    """An exact rational from ``"47"``, ``"2.5"``, ``"1e-3"``, ``"1/3"``, 2.25 or a Fraction.

    The one place numeric text becomes a number, for the CLI and the daemon alike:
    it refuses, before parsing, anything longer than :data:`MAX_NUMBER_CHARS` or with
    an exponent beyond +-:data:`MAX_EXPONENT`, so no input can make parsing slow.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise InvalidRequest(field, f"not {what}: {value!r}")
    if isinstance(value, int):
        if value.bit_length() > 4 * MAX_NUMBER_CHARS:
            raise InvalidRequest(field, f"{what} is out of range")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequest(field, f"not {what}: {value!r}")
        return Fraction(value)
    text = str(value).strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidRequest(field, f"not {what}: {shown(value)} is too long")
    m = _DECIMAL.fullmatch(text)
    try:
        if m:
            if m.group(1) is not None and abs(int(m.group(1))) > MAX_EXPONENT:
                raise InvalidRequest(field, f"{what} {shown(value)} is out of range")
            return Fraction(text)
        if _RATIO.fullmatch(text):
            num, den = text.split("/", 1)
            return Fraction(int(num), int(den))
    except ZeroDivisionError:
        pass
    raise InvalidRequest(field, f"not {what}: {shown(value)}")


def parse_rate(value: str | float | int | Fraction, field: str = "fps") -> Fraction:
    """Turn a frame rate as editors write it into an exact rational.

    Accepts "23.976", "23.976023976", "24000/1001", "29.97", "29.97 DF",
    "25", 25, 29.97002997 ... Unknown rates are refused rather than guessed.
    """
    if isinstance(value, (Fraction, int, float)):
        candidate = parse_number(value, field, "a frame rate")
    else:
        text = str(value).strip().upper()
        if len(text) > MAX_NUMBER_CHARS:
            raise InvalidRequest(field, f"not a frame rate: {shown(value)} is too long")
        for suffix in (" DF", " NDF", "DF", "NDF", " FPS", "FPS", "P"):
            if text.endswith(suffix):
                text = text[: -len(suffix)].strip()
        try:
            candidate = parse_number(text, field, "a frame rate")
        except InvalidRequest:
            raise InvalidRequest(field, f"not a frame rate: {shown(value)}") from None
    for rate in KNOWN_RATES:
        if candidate == rate or abs(candidate - rate) <= _SNAP_TOLERANCE:
            return rate
    raise InvalidRequest(
        field,
        f"unsupported frame rate {shown(value)}; use one of "
        + ", ".join(format_rate(r) for r in KNOWN_RATES),
    )


def format_rate(rate: Fraction) -> str:
    """Rate as an editor writes it: 23.976, 29.97, 25."""
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def is_drop_frame_rate(rate: Fraction) -> bool:
    """Drop-frame timecode exists only for 29.97 and 59.94."""
    return rate in (Fraction(30000, 1001), Fraction(60000, 1001))


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def frame_to_sample(frame: int | Fraction, fps: Fraction, sample_rate: int) -> int:
    """Sample index at which frame ``frame`` starts (exact rational, rounded)."""
    return _round_half_up(Fraction(frame) * sample_rate / fps)


def frames_to_samples(start_frame: int | Fraction, n_frames: int | Fraction,
                      fps: Fraction, sample_rate: int) -> int:
    """Length in samples of ``n_frames`` frames starting at ``start_frame``.

    Computed as end position minus start position so consecutive ranges tile.
    """
    return frame_to_sample(Fraction(start_frame) + Fraction(n_frames), fps, sample_rate) - \
        frame_to_sample(start_frame, fps, sample_rate)


def seconds_to_samples(seconds: str | float | Fraction, sample_rate: int, field: str = "seconds") -> int:
    """Seconds (as typed: "47", "0.5", 2.25) to a sample count, exactly (bounded: :func:`parse_number`)."""
    return _round_half_up(parse_number(seconds, field, "a number of seconds") * sample_rate)


def timecode_to_frames(tc: str, fps: Fraction, field: str = "timecode") -> int:
    """Frame number of a SMPTE timecode (``;`` or ``.`` before frames means drop-frame)."""
    import opentimelineio as otio  # local: keeps timing importable without OTIO's start-up cost

    text = tc.strip()
    parts = text.replace(";", ":").replace(".", ":").split(":")
    if len(text) > 16 or len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts):
        raise InvalidRequest(field, f"not a timecode (HH:MM:SS:FF): {shown(tc)}")
    nominal = math.ceil(fps)
    if int(parts[3]) >= nominal or int(parts[2]) >= 60 or int(parts[1]) >= 60:
        raise InvalidRequest(field, f"timecode {tc!r} is out of range at {format_rate(fps)} fps")
    drop = ";" in text or "." in text
    if drop and not is_drop_frame_rate(fps):
        raise InvalidRequest(field, f"drop-frame timecode {tc!r} needs 29.97 or 59.94 fps")
    if not drop and is_drop_frame_rate(fps):
        # OTIO reads ':' at 29.97 as NDF counting, which is what an editor typed.
        pass
    try:
        frames = otio.opentime.from_timecode(text, float(fps)).value
    except Exception as exc:  # OTIO raises plain exceptions for invalid DF labels
        raise InvalidRequest(field, f"invalid timecode {tc!r}: {exc}") from None
    return int(round(frames))


def parse_sample_rate(value: int | str) -> int:
    """Validate an output sample rate."""
    try:
        if isinstance(value, str) and len(value.strip()) > MAX_NUMBER_CHARS:
            raise ValueError(value)
        sr = int(value)
    except (TypeError, ValueError):
        raise InvalidRequest("sample_rate", f"not a number: {shown(value)}") from None
    if sr not in SUPPORTED_SAMPLE_RATES:
        raise InvalidRequest(
            "sample_rate",
            f"unsupported sample rate {sr}; use one of {', '.join(map(str, SUPPORTED_SAMPLE_RATES))}",
        )
    return sr
