"""Small shared pieces of the OTIO adapter: errors, the timeline's rate and frame math.

Frame positions inside the adapter are integers counted at the timeline's frame
rate from the start of the timeline (0 = first frame, ``global_start_time`` not
included). Sample positions are computed on *absolute* frames (timeline start
included) with :func:`scenefill.engine.timing.frame_to_sample`, so neighbouring
clips tile exactly, whatever the rate.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

from scenefill.engine.errors import InvalidRequest, SceneFillError
from scenefill.engine.timing import format_rate, frame_to_sample, frames_to_samples, parse_rate

#: Key under which SceneFill keeps its data in OTIO metadata.
META_KEY = "scenefill"


class OtioInputError(SceneFillError):
    """Bad input for the OTIO commands (exit code 2, one line on stderr)."""


def round_half_up(value: float | Fraction) -> int:
    """Round to the nearest integer, halves up, without float surprises."""
    return math.floor(Fraction(value) + Fraction(1, 2))


@dataclass(frozen=True)
class TimelineRate:
    """The timeline's frame rate, exact and as the file spells it."""

    exact: Fraction         # e.g. Fraction(24000, 1001)
    spelled: float          # the float the timeline's own items use (23.976, 23.976023976...)
    start_frame: int        # global_start_time in frames (0 when absent)
    drop_frame: bool = False

    @property
    def label(self) -> str:
        return format_rate(self.exact) + (" DF" if self.drop_frame else "")

    def rt(self, frames: int) -> otio.opentime.RationalTime:
        """A RationalTime at the timeline's own rate spelling."""
        return otio.opentime.RationalTime(frames, self.spelled)

    def tr(self, start: int, duration: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(self.rt(start), self.rt(duration))

    def frames(self, time: otio.opentime.RationalTime) -> Fraction:
        """``time`` expressed in (possibly fractional) frames at this rate, exactly where possible."""
        value = Fraction(time.value)
        if time.rate == self.spelled or time.rate <= 0:
            return value
        try:
            source = parse_rate(time.rate)
        except InvalidRequest:
            return Fraction(time.value_rescaled_to(self.spelled))
        return value * self.exact / source

    def frame(self, time: otio.opentime.RationalTime) -> int:
        """``time`` rounded to the nearest whole frame."""
        return round_half_up(self.frames(time))

    def sample_at(self, frame: int, sample_rate: int) -> int:
        """Absolute sample index where timeline frame ``frame`` starts."""
        return frame_to_sample(self.start_frame + frame, self.exact, sample_rate)

    def samples(self, start: int, n_frames: int, sample_rate: int) -> int:
        """Exact sample count of ``n_frames`` frames starting at timeline frame ``start``."""
        return frames_to_samples(self.start_frame + start, n_frames, self.exact, sample_rate)

    def timecode(self, frame: int) -> str:
        """Record timecode of timeline frame ``frame``."""
        t = otio.opentime.RationalTime(self.start_frame + frame, float(self.exact))
        try:
            return otio.opentime.to_timecode(t, float(self.exact), self.drop_frame)
        except Exception:  # noqa: BLE001 - OTIO raises plain errors for odd rates
            return str(self.start_frame + frame)


@contextlib.contextmanager
def quiet_adapters():
    """Keep adapters' prints, warnings and log lines out of our output (kdenlive banner, aaf2 logs)."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def _item_rates(tl: otio.schema.Timeline) -> list[float]:
    """Frame rates the timeline's items use, video tracks first."""
    rates: list[float] = []
    tracks = list(tl.video_tracks()) + list(tl.audio_tracks()) + [
        t for t in tl.tracks if isinstance(t, otio.schema.Track)
        and t.kind not in (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio)]
    for track in tracks:
        if is_generated_track(track):
            continue
        for item in track.find_children(descended_from_type=otio.core.Item):
            sr = item.source_range
            if sr is not None and sr.duration.rate not in rates:
                rates.append(sr.duration.rate)
    return rates


def detect_rate(tl: otio.schema.Timeline, override: str | None = None) -> TimelineRate:
    """The timeline's frame rate: ``override``, else the rate its items (video first) use.

    Raises OtioInputError for a rate SceneFill does not support (with the rate named).
    """
    spelled: float | None = None
    if override:
        try:
            exact = parse_rate(override)
        except InvalidRequest as exc:
            raise OtioInputError(f"--rate: {exc.message}") from None
        spelled = float(exact)
    else:
        rates = [r for r in _item_rates(tl) if r > 0]
        if not rates and tl.global_start_time is not None and tl.global_start_time.rate > 0:
            rates = [tl.global_start_time.rate]
        if not rates:
            raise OtioInputError("the timeline has no timed items, so it has no frame rate (pass --rate)")
        spelled = rates[0]
        try:
            exact = parse_rate(spelled)
        except InvalidRequest:
            raise OtioInputError(
                f"unsupported frame rate {spelled:g} fps in the timeline; SceneFill supports "
                "23.976, 24, 25, 29.97, 30, 47.952, 48, 50, 59.94, 60, 100, 119.88, 120") from None
    start_frame = 0
    gst = tl.global_start_time
    if gst is not None and gst.rate > 0:
        probe = TimelineRate(exact, spelled, 0)
        start_frame = probe.frame(gst)
    return TimelineRate(exact, spelled, start_frame, drop_frame=_drop_frame(tl, exact))


def _drop_frame(tl: otio.schema.Timeline, exact: Fraction) -> bool:
    if exact not in (Fraction(30000, 1001), Fraction(60000, 1001)):
        return False
    meta = tl.metadata
    for path in (("fcp_xml", "timecode", "displayformat"),):
        node = meta
        for key in path:
            node = node.get(key) if hasattr(node, "get") else None
        if isinstance(node, str):
            return node.upper() == "DF"
    sf = meta.get(META_KEY) if hasattr(meta, "get") else None
    if sf is not None and "drop_frame" in sf:
        return bool(sf["drop_frame"])
    return True  # OTIO's own default for 29.97 / 59.94 timecode


#: how SceneFill names its media: <slug>_<16 hex of the request key>[.placeholder].wav|flac
MEDIA_NAME_RE = re.compile(r"_[0-9a-f]{16}(\.placeholder)?\.(wav|flac)$")


def is_generated_track(track) -> bool:
    """A track SceneFill wrote: flagged in metadata, or every clip is a SceneFill clip
    (provenance in metadata, or -- after a format that drops metadata -- SceneFill's media names)."""
    meta = track.metadata.get(META_KEY) if hasattr(track.metadata, "get") else None
    if meta is not None and meta.get("generated"):
        return True
    clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    return bool(clips) and all(is_generated_clip(c) or has_generated_media(c) for c in clips)


def is_generated_clip(clip) -> bool:
    meta = clip.metadata.get(META_KEY) if hasattr(clip.metadata, "get") else None
    return meta is not None and "key" in meta and "note" in meta


def has_generated_media(clip) -> bool:
    url = getattr(clip.media_reference, "target_url", "") or ""
    return bool(MEDIA_NAME_RE.search(url.replace("\\", "/").rsplit("/", 1)[-1]))


def to_plain(value):
    """OTIO AnyDictionary / AnyVector to plain dict / list (recursively)."""
    if hasattr(value, "items"):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "AnyVector":
        return [to_plain(v) for v in value]
    return value
