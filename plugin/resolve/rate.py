"""The timeline's frame rate from what Resolve reports, checked before anything is done.

Resolve reports rates as strings ("23.976", "29.97", "25") with drop frame as a
separate flag (``timelineDropFrameTimecode`` "0"/"1", or a " DF" suffix), and
some builds truncate the fractional rates ("23" for 23.976, "29" for 29.97).
Resolve has no 23, 29, 47, 59 or 119 fps timeline, so a truncated value can only
be the NTSC rate; it is taken as such when the project setting agrees (or says
nothing), and refused when it disagrees. Whatever the rate, the start timecode
must land on the start frame Resolve reports, or the rate is wrong and the job
stops before touching anything.
"""

from __future__ import annotations

from fractions import Fraction

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.timing import format_rate, is_drop_frame_rate, parse_rate

from ..otio_common import TimelineRate
from .errors import ResolveJobError

#: what truncating builds report for the NTSC rates
TRUNCATED = {
    "23": Fraction(24000, 1001), "29": Fraction(30000, 1001), "47": Fraction(48000, 1001),
    "59": Fraction(60000, 1001), "119": Fraction(120000, 1001),
}


def _parse(value: str) -> tuple[Fraction | None, bool]:
    """(rate or None when unusable, whether the text says drop frame)."""
    text = value.strip().upper()
    drop = text.endswith("DF") and not text.endswith("NDF")
    bare = text.replace("NDF", "").replace("DF", "").strip()
    if bare in TRUNCATED:
        return None, drop
    try:
        return parse_rate(bare), drop
    except InvalidRequest:
        return None, drop


def timecode_frames(tc: str, rate: Fraction, drop: bool) -> int:
    """Frame count of an HH:MM:SS:FF (or ;FF) timecode, drop-frame counting when ``drop``."""
    parts = tc.strip().replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a timecode: {tc!r}")
    h, m, s, f = (int(p) for p in parts)
    nominal = round(rate)
    total_minutes = h * 60 + m
    frames = (total_minutes * 60 + s) * nominal + f
    if drop:
        per = 2 * nominal // 30     # 2 frames per minute at 29.97, 4 at 59.94
        frames -= per * (total_minutes - total_minutes // 10)
    return frames


def timeline_rate(timeline_fps: str | None, project_fps: str | None, drop_flag: str | None,
                  start_frame: int, start_tc: str | None, timeline_name: str = "the timeline"
                  ) -> tuple[TimelineRate, list[str]]:
    """The exact rate, drop-frame flag and start frame of a Resolve timeline, and any warnings.

    Raises ResolveJobError (one line) when the rate is missing, unsupported, truncated
    and contradicted by the project, or inconsistent with the start timecode.
    """
    warnings: list[str] = []
    tl_text = (timeline_fps or "").strip()
    pr_text = (project_fps or "").strip()
    reported = tl_text or pr_text
    if not reported:
        raise ResolveJobError(f"Resolve did not report the frame rate of {timeline_name}; "
                              "check Timeline Settings and run again")
    rate, drop = _parse(reported)
    if rate is None:
        bare = reported.upper().replace("NDF", "").replace("DF", "").strip()
        if bare not in TRUNCATED:
            raise ResolveJobError(
                f"{timeline_name} runs at {reported!r} fps, which SceneFill does not support; use one of "
                "23.976, 24, 25, 29.97, 30, 47.952, 48, 50, 59.94, 60, 100, 119.88, 120")
        guess = TRUNCATED[bare]
        project_rate, _ = _parse(pr_text) if pr_text and pr_text != reported else (None, False)
        if project_rate is not None and project_rate != guess:
            raise ResolveJobError(
                f"Resolve reports the frame rate of {timeline_name} as {reported!r} (a truncated "
                f"{format_rate(guess)}?) but the project as {pr_text!r}; set the rate in Timeline "
                "Settings and run again")
        rate = guess
        warnings.append(f"Resolve reported the frame rate as {reported!r}; read as {format_rate(guess)} fps"
                        + (" (the project setting agrees)" if project_rate is not None else ""))
    if str(drop_flag or "").strip() in ("1", "true", "True"):
        drop = True
    if drop and not is_drop_frame_rate(rate):
        raise ResolveJobError(f"{timeline_name} is marked drop-frame at {format_rate(rate)} fps; "
                              "drop-frame timecode exists only at 29.97 and 59.94: fix Timeline Settings")
    if start_tc:
        try:
            expected = timecode_frames(start_tc, rate, drop)
        except ValueError:
            expected = None
        if expected is not None and expected != start_frame:
            raise ResolveJobError(
                f"{timeline_name} starts at {start_tc} but Resolve puts its first frame at {start_frame}, "
                f"which does not fit {format_rate(rate)} fps{' DF' if drop else ''} (expected {expected}); "
                "check the frame rate in Timeline Settings")
    return TimelineRate(rate, float(rate), int(start_frame), drop_frame=drop), warnings
