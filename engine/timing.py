"""Exact timing math: frame rates, timecode and sample counts.

Everything is done in :class:`fractions.Fraction` so that NTSC rates
(24000/1001, 30000/1001, 60000/1001) never drift. Positions are mapped to
samples on *absolute* positions and lengths are differences of positions,
which is what lets neighbouring clips tile with no gap and no overlap.
"""

from __future__ import annotations

import math
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


def parse_rate(value: str | float | int | Fraction, field: str = "fps") -> Fraction:
    """Turn a frame rate as editors write it into an exact rational.

    Accepts "23.976", "23.976023976", "24000/1001", "29.97", "29.97 DF",
    "25", 25, 29.97002997 ... Unknown rates are refused rather than guessed.
    """
    if isinstance(value, Fraction):
        candidate = value
    else:
        text = str(value).strip().upper()
        for suffix in (" DF", " NDF", "DF", "NDF", " FPS", "FPS", "P"):
            if text.endswith(suffix):
                text = text[: -len(suffix)].strip()
        try:
            if "/" in text:
                num, den = text.split("/", 1)
                candidate = Fraction(int(num), int(den))
            else:
                candidate = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise InvalidRequest(field, f"not a frame rate: {value!r}") from None
    for rate in KNOWN_RATES:
        if candidate == rate or abs(candidate - rate) <= _SNAP_TOLERANCE:
            return rate
    raise InvalidRequest(
        field,
        f"unsupported frame rate {value!r}; use one of "
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


def seconds_to_samples(seconds: str | float | Fraction, sample_rate: int) -> int:
    """Seconds (as typed: "47", "0.5", 2.25) to a sample count, exactly."""
    try:
        value = Fraction(str(seconds)) if not isinstance(seconds, Fraction) else seconds
    except ValueError:
        raise InvalidRequest("seconds", f"not a number: {seconds!r}") from None
    return _round_half_up(value * sample_rate)


def timecode_to_frames(tc: str, fps: Fraction, field: str = "timecode") -> int:
    """Frame number of a SMPTE timecode (``;`` or ``.`` before frames means drop-frame)."""
    import opentimelineio as otio  # local: keeps timing importable without OTIO's start-up cost

    text = tc.strip()
    parts = text.replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise InvalidRequest(field, f"not a timecode (HH:MM:SS:FF): {tc!r}")
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
        sr = int(value)
    except (TypeError, ValueError):
        raise InvalidRequest("sample_rate", f"not a number: {value!r}") from None
    if sr not in SUPPORTED_SAMPLE_RATES:
        raise InvalidRequest(
            "sample_rate",
            f"unsupported sample rate {sr}; use one of {', '.join(map(str, SUPPORTED_SAMPLE_RATES))}",
        )
    return sr
