"""Drop-frame timecode labels that do not exist.

Drop-frame timecode keeps 29.97 (59.94) fps in step with the clock by skipping
labels, not frames: at the start of every minute not divisible by ten, frame
numbers 00 and 01 (00-03 at 59.94) are never shown. ``00:01:00;00`` therefore
names no frame; converters quietly map it onto a neighbour, which puts audio a
frame or two away from where the editor meant. We refuse such labels and name
the first real label of that minute instead.
"""

from __future__ import annotations

from fractions import Fraction

from .errors import InvalidRequest

#: labels skipped at each non-tenth minute, by nominal rate
_DROPPED = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}


def is_drop_frame_label(tc: str) -> bool:
    """SMPTE writes ';' (or '.') before the frames of a drop-frame label."""
    return ";" in tc or "." in tc


def check_drop_frame_label(tc: str, fps: Fraction, field: str = "timecode") -> None:
    """Refuse a drop-frame label that is skipped at ``fps``; other labels pass untouched
    (their syntax and range are checked where they are converted)."""
    text = tc.strip()
    dropped = _DROPPED.get(fps)
    if not dropped or not is_drop_frame_label(text):
        return
    sep = ";" if ";" in text else "."
    parts = text.replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return
    _, minutes, seconds, frames = (int(p) for p in parts)
    if seconds == 0 and minutes % 10 != 0 and frames < dropped:
        first = f"{parts[0]}:{parts[1]}:00{sep}{dropped:02d}"
        raise InvalidRequest(
            field, f"{tc!r} does not exist in drop-frame timecode: frames 00-{dropped - 1:02d} are skipped "
                   f"at every minute not divisible by 10 (the first frame of that minute is {first})")
