"""When a one-shot event plays: times written in a note, resolved to exact samples.

Editors write times many ways: "a door slams at 3.5s", "the phone rings at
00:00:07:12", "a dog barks halfway", "a knock at the end", "a beep every 10
seconds", "a horn twice", "at 2s and 5s". This module finds those phrases
(:func:`find_times`), and resolves them against the range being rendered
(:func:`resolve`) into :class:`EventTime` values whose sample position is exact:
a timecode is converted with the same absolute-position rounding as clip
boundaries (:mod:`.timing`), so an event "at 00:00:07:12" lands on the first
sample of that frame in the editor's timeline, at any rate.

A timecode means timeline timecode when the range has a start timecode (the
request's ``--tc-in`` or frame range start); otherwise it is an offset from the
range start. Every event says which (``basis``). Events that fall outside the
range are returned with ``status="outside"`` so callers report them instead of
silently dropping them. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import InvalidRequest

#: where an event goes when a note names no time (matches calibration.ONE_SHOT_AT)
DEFAULT_AT = Fraction(1, 2)
#: "at the end": the event starts this long before the range ends, so its tail is heard
END_LEAD = Fraction(1)
#: the most events one phrase may ask for ("every 0.01 seconds" for two hours is refused)
MAX_EVENTS = 2000

_NUM = r"\d+(?:\.\d+)?"
_SEC_UNIT = r"(?:s|secs?|seconds?)\b"
_MIN_UNIT = r"(?:m|mins?|minutes?)\b"
_TC = r"\d{1,2}:\d{2}:\d{2}[:;.]\d{2}"
_MMSS = r"\d{1,3}:\d{2}(?:\.\d+)?(?![:;.\d])"
_ITEM = (rf"(?:{_TC}|{_MMSS}|{_NUM}\s*{_MIN_UNIT}(?:\s*{_NUM}\s*{_SEC_UNIT})?|{_NUM}\s*{_SEC_UNIT}|"
         rf"{_NUM}\s*%|frame\s+\d+|{_NUM})")
_SEP = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)"
_AT_LIST = re.compile(rf"\b(?:at|@)\s+(?P<list>{_ITEM}(?:{_SEP}{_ITEM})*)", re.I)
_AFTER = re.compile(rf"\b(?:after|from)\s+(?P<list>{_NUM}\s*(?:{_SEC_UNIT}|{_MIN_UNIT}))", re.I)
_IN = re.compile(rf"(?P<list>{_NUM}\s*{_SEC_UNIT})\s+in\b", re.I)
_EVERY = re.compile(rf"\bevery\s+(?P<n>{_NUM}\s*)?(?P<unit>{_SEC_UNIT}|{_MIN_UNIT}|(?:frames?)\b)", re.I)
_HALF = re.compile(r"\b(?:half[- ]?way(?:\s+(?:through|point))?|mid[- ]?way|"
                   r"(?:in|at)\s+the\s+(?:very\s+)?(?:middle|midpoint))\b", re.I)
_END = re.compile(r"\b(?:at|near|towards?)\s+the\s+(?:very\s+)?end\b", re.I)
_START = re.compile(r"\b(?:at\s+the\s+(?:very\s+)?(?:start|beginning)|right\s+away|immediately)\b", re.I)
_COUNT = re.compile(r"\b(?P<count>once|twice|thrice|(?P<n>\d+|two|three|four|five|six|seven|eight|nine|ten)"
                    r"\s+times)\b", re.I)
_WORD_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10}


@dataclass(frozen=True)
class Timeline:
    """What a request knows about its place in the edit.

    ``fps`` is the timeline's frame rate (None when the request gave none);
    ``start_frame`` is the timeline frame of the range start when the range has a
    start timecode, else None; ``length`` is the range length in seconds (exact),
    None when unknown (``scenefill parse`` without a length).
    """

    fps: Fraction | None = None
    start_frame: int | None = None
    drop_frame: bool = False
    length: Fraction | None = None
    length_samples: int | None = None
    sample_rate: int = 48000

    @classmethod
    def from_request(cls, request) -> "Timeline":
        """The timeline a :class:`~.request.RenderRequest` carries (``extra`` fps / start_frame)."""
        from .timing import parse_rate

        extra = request.extra if isinstance(request.extra, dict) else {}
        fps = parse_rate(str(extra["fps"]), "fps") if extra.get("fps") else None
        start = extra.get("start_frame")
        if start is not None and (not isinstance(start, int) or isinstance(start, bool) or start < 0):
            raise InvalidRequest("start_frame", f"start frame must be a whole number >= 0, got {start!r}")
        return cls(fps=fps, start_frame=start if fps is not None else None,
                   drop_frame=bool(extra.get("drop_frame", False)),
                   length=Fraction(request.n_samples, request.sample_rate),
                   length_samples=request.n_samples, sample_rate=request.sample_rate)


@dataclass(frozen=True)
class TimeSpec:
    """One time as written in a note, before the range is known."""

    text: str           # the words that gave it, e.g. "at 00:00:07:12", "halfway"
    kind: str           # seconds | timecode | frame | fraction | end | every | count
    value: Fraction = Fraction(0)   # seconds, fraction of the range, period, or count
    timecode: str = ""  # for kind == "timecode"


@dataclass
class EventTime:
    """One placed event, JSON-able: where it lands in seconds, samples and timecode."""

    text: str
    basis: str                   # how the time was read (for ``scenefill parse``)
    status: str = "ok"           # ok | outside | needs_length | needs_fps
    seconds: float | None = None  # from the range start
    sample: int | None = None    # from the range start, at ``sample_rate``
    sample_rate: int = 48000
    timecode: str | None = None  # timeline timecode of the event, when a frame rate is known
    exact: str | None = None     # exact seconds from the range start, as a fraction
    #: exact seconds between repeats, as a fraction, for an event of an "every N s" series (the
    #: series goes on past the range's end, at times that do not depend on it)
    period: str | None = None


def _seconds(text: str) -> Fraction:
    """'3.5s', '2 min 30 s', '1:30', '90' -> seconds."""
    low = text.strip().lower()
    if re.fullmatch(_MMSS, low):
        minutes, secs = low.split(":", 1)
        return int(minutes) * 60 + Fraction(secs)
    m = re.fullmatch(rf"({_NUM})\s*{_MIN_UNIT}(?:\s*({_NUM})\s*{_SEC_UNIT})?", low)
    if m:
        return Fraction(m.group(1)) * 60 + (Fraction(m.group(2)) if m.group(2) else 0)
    m = re.match(_NUM, low)
    return Fraction(m.group(0)) if m else Fraction(0)


def _items(listing: str) -> list[TimeSpec] | None:
    """The times in "2s and 5s" / "2, 5 and 8 seconds" / "00:00:07:12"; None if not times."""
    parts = [p.strip() for p in re.split(_SEP, listing) if p and p.strip()]
    unit = None
    for p in reversed(parts):  # a bare number takes the unit of the list's last item
        if re.search(_SEC_UNIT + "|" + _MIN_UNIT, p, re.I):
            unit = "min" if re.search(_MIN_UNIT, p, re.I) and not re.search(_SEC_UNIT, p, re.I) else "s"
            break
    out: list[TimeSpec] = []
    for p in parts:
        if re.fullmatch(_TC, p):
            out.append(TimeSpec(f"at {p}", "timecode", timecode=p))
        elif re.fullmatch(r"frame\s+\d+", p, re.I):
            out.append(TimeSpec(f"at {p}", "frame", Fraction(int(p.split()[-1]))))
        elif p.endswith("%"):
            out.append(TimeSpec(f"at {p}", "fraction", Fraction(p[:-1].strip()) / 100))
        elif re.fullmatch(_NUM, p):
            if unit is None:
                return None  # "at 3 tables": not a time
            value = Fraction(p) * (60 if unit == "min" else 1)
            out.append(TimeSpec(f"at {p}", "seconds", value))
        else:
            out.append(TimeSpec(f"at {p}", "seconds", _seconds(p)))
    return out


def _spans(text: str) -> list[tuple[int, int, list[TimeSpec]]]:
    found: list[tuple[int, int, list[TimeSpec]]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def keep(a: int, b: int, specs: list[TimeSpec]) -> None:
        if specs and free(a, b):
            found.append((a, b, specs))
            taken.append((a, b))

    for m in _EVERY.finditer(text):
        n = Fraction(m.group("n").strip()) if m.group("n") else Fraction(1)
        unit = m.group("unit").lower()
        if unit.startswith("frame"):
            keep(m.start(), m.end(), [TimeSpec(m.group(0), "every_frames", n)])
        else:
            period = n * (60 if re.fullmatch(_MIN_UNIT, unit) else 1)
            keep(m.start(), m.end(), [TimeSpec(m.group(0), "every", period)])
    for regex in (_AT_LIST, _AFTER, _IN):
        for m in regex.finditer(text):
            items = _items(m.group("list"))
            if items:
                if regex is not _AT_LIST:
                    items = [TimeSpec(m.group(0), it.kind, it.value, it.timecode) for it in items]
                keep(m.start(), m.end(), items)
    for regex, spec in ((_HALF, lambda s: TimeSpec(s, "fraction", Fraction(1, 2))),
                        (_END, lambda s: TimeSpec(s, "end")),
                        (_START, lambda s: TimeSpec(s, "seconds", Fraction(0)))):
        for m in regex.finditer(text):
            keep(m.start(), m.end(), [spec(m.group(0))])
    for m in _COUNT.finditer(text):
        word = m.group("count").lower()
        if word == "once":
            count = 1
        elif word == "twice":
            count = 2
        elif word == "thrice":
            count = 3
        else:
            n = m.group("n").lower()
            count = int(n) if n.isdigit() else _WORD_NUMBERS[n]
        keep(m.start(), m.end(), [TimeSpec(m.group(0), "count", Fraction(count))])
    return sorted(found)


def find_times(text: str) -> tuple[str, list[TimeSpec]]:
    """The times a phrase names, and the phrase with them taken out (for sound matching)."""
    spans = _spans(text)
    specs = [spec for _, _, group in spans for spec in group]
    rest = text
    for a, b, _ in reversed(spans):
        rest = rest[:a] + " " + rest[b:]
    return re.sub(r"\s+", " ", rest).strip(" ,;"), specs


#: what looks like a time after "at"/"after" ("at -1s", "at 1e30s", "at 99999:99", "at 12 noon")
_LOOKS_TIMED = re.compile(r"\b(?:at|@|after)\s+[-+\u2212]?\.?\d[\w.:;%+-]*", re.I)


def unread_times(text: str) -> list[str]:
    """Time-like words left over once :func:`find_times` has read a phrase: they place nothing,
    so ``scenefill parse`` says so rather than let the effect play at its default time unasked."""
    rest, _ = find_times(text)
    return [m.group(0) for m in _LOOKS_TIMED.finditer(rest)]


def mask_times(text: str) -> tuple[str, list[str]]:
    """Replace every time expression with a placeholder, so splitting a note on commas,
    'and' or full stops does not cut "at 2, 5 and 8 seconds" or "at 3.5s" apart."""
    pieces: list[str] = []
    text = text.replace("\x00", " ")   # NUL is our placeholder (and never meaningful in a note)
    out = text
    for a, b, _ in reversed(_spans(text)):
        pieces.insert(0, text[a:b])
        out = out[:a] + "\x00" + out[b:]
    # number the placeholders in order of appearance
    result, i = [], 0
    for ch in out:
        if ch == "\x00":
            result.append(f"\x00{i}\x00")
            i += 1
        else:
            result.append(ch)
    return "".join(result), pieces


def unmask_times(text: str, pieces: list[str]) -> str:
    """Undo :func:`mask_times` on one piece of the split text."""
    return re.sub(r"\x00(\d+)\x00", lambda m: pieces[int(m.group(1))], text)


# ---------------------------------------------------------------- resolution


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def _timecode_of(seconds: Fraction, tl: Timeline) -> str | None:
    """Timeline timecode of the frame an event falls in (None without a frame rate)."""
    if tl.fps is None:
        return None
    import opentimelineio as otio

    frame = (tl.start_frame or 0) + math.floor(seconds * tl.fps)
    rate = float(tl.fps)
    drop = tl.drop_frame and tl.fps in (Fraction(30000, 1001), Fraction(60000, 1001))
    return otio.opentime.to_timecode(otio.opentime.RationalTime(frame, rate), rate, drop)


def _event(spec_text: str, basis: str, seconds: Fraction | None, tl: Timeline,
           sample: int | None = None, status: str = "ok") -> EventTime:
    if seconds is None:
        return EventTime(spec_text, basis, status=status, sample_rate=tl.sample_rate)
    if sample is None:
        sample = _round_half_up(seconds * tl.sample_rate)
    limit = tl.length_samples if tl.length_samples is not None else (
        _round_half_up(tl.length * tl.sample_rate) if tl.length is not None else None)
    if status == "ok" and (sample < 0 or (limit is not None and sample >= limit)):
        status = "outside"
    return EventTime(spec_text, basis, status=status, seconds=round(float(seconds), 6), sample=sample,
                     sample_rate=tl.sample_rate, timecode=_timecode_of(seconds, tl) if seconds >= 0 else None,
                     exact=str(seconds))


def _resolve_timecode(spec: TimeSpec, tl: Timeline) -> EventTime:
    from .timing import frame_to_sample, timecode_to_frames

    if tl.fps is None:
        return EventTime(spec.text, "timecode: needs the timeline's frame rate (--fps)", status="needs_fps",
                         sample_rate=tl.sample_rate)
    frame = timecode_to_frames(spec.timecode, tl.fps, "note")
    if tl.start_frame is not None:
        basis = "timeline timecode"
        start = tl.start_frame
    else:
        basis = "timecode as an offset from the range start (the range has no start timecode)"
        start = 0
    rel = frame - start
    # samples on absolute positions: the event lands where the editor's frame starts
    sample = frame_to_sample(frame, tl.fps, tl.sample_rate) - frame_to_sample(start, tl.fps, tl.sample_rate)
    seconds = Fraction(rel) / tl.fps
    ev = _event(spec.text, basis, seconds, tl, sample=sample)
    ev.timecode = _timecode_of(seconds, tl) if rel >= 0 else spec.timecode
    return ev


def resolve(specs: list[TimeSpec], tl: Timeline) -> list[EventTime]:
    """Exact event times for a phrase's specs; a list of counts/periods expands to many events.

    With no spec at all the caller uses the model's default placement.
    """
    events: list[EventTime] = []
    for spec in specs:
        if spec.kind in ("seconds", "timecode", "frame"):
            events.append(_fixed(spec, tl))
        elif spec.kind in ("fraction", "end", "every", "every_frames", "count"):
            if tl.length is None:
                events.append(EventTime(spec.text, "relative: placed when the range length is known",
                                        status="needs_length", sample_rate=tl.sample_rate))
                continue
            events.extend(_relative(spec, tl))
    return events


def _fixed(spec: TimeSpec, tl: Timeline) -> EventTime:
    """An event at a time the note states outright (seconds, a timecode, a frame)."""
    if spec.kind == "seconds":
        return _event(spec.text, "seconds from the range start", spec.value, tl)
    if spec.kind == "timecode":
        return _resolve_timecode(spec, tl)
    if tl.fps is None:
        return EventTime(spec.text, "frame: needs the frame rate (--fps)", status="needs_fps",
                         sample_rate=tl.sample_rate)
    from .timing import frame_to_sample

    start = tl.start_frame or 0
    sample = frame_to_sample(start + int(spec.value), tl.fps, tl.sample_rate) - \
        frame_to_sample(start, tl.fps, tl.sample_rate)
    return _event(spec.text, "frames from the range start", spec.value / tl.fps, tl, sample=sample)


def _relative(spec: TimeSpec, tl: Timeline) -> list[EventTime]:
    length = tl.length
    assert length is not None
    n = tl.length_samples if tl.length_samples is not None else _round_half_up(length * tl.sample_rate)
    if spec.kind == "fraction":
        sample = _round_half_up(n * spec.value)
        return [_event(spec.text, f"{float(spec.value):.0%} of the range", Fraction(sample, tl.sample_rate),
                       tl, sample=sample)]
    if spec.kind == "end":
        at = max(Fraction(0), length - END_LEAD)
        return [_event(spec.text, f"{float(END_LEAD):g} s before the range ends", at, tl)]
    if spec.kind == "count":
        count = int(spec.value)
        if count == 1:
            return [_event(spec.text, "once, at the default time", DEFAULT_AT, tl)]
        return [_event(spec.text, f"{count} times, evenly spread", length * (k + 1) / (count + 1), tl)
                for k in range(count)]
    if spec.kind == "every_frames":
        if tl.fps is None:
            return [EventTime(spec.text, "every N frames: needs the frame rate (--fps)", status="needs_fps",
                              sample_rate=tl.sample_rate)]
        period = spec.value / tl.fps
    else:
        period = spec.value
    if period <= 0:
        raise InvalidRequest("note", f"{spec.text!r}: the period must be longer than zero")
    count = math.ceil((length - DEFAULT_AT) / period) if length > DEFAULT_AT else 1
    if count > MAX_EVENTS:
        raise InvalidRequest("note", f"{spec.text!r} asks for {count} events; at most {MAX_EVENTS} per phrase")
    basis = f"every {float(period):g} s from {float(DEFAULT_AT):g} s"
    events = [_event(spec.text, basis, DEFAULT_AT + k * period, tl) for k in range(max(count, 1))]
    for event in events:  # a series' times do not depend on the length; only how many fit does
        event.period = str(period)
    return events


def series_beyond(events: list[EventTime], times: list[float], until: float, limit: int = MAX_EVENTS) -> list[float]:
    """The times an "every N s" series among ``events`` (played at ``times``, in seconds) goes on
    to after its last played event, up to ``until``: a series' times do not depend on where the
    range ends, only how many of them fit, so a scene's level may count them (at most ``limit``
    per series)."""
    out: list[float] = []
    for period in {Fraction(e.period) for e in events if e.period}:
        last = max(t for t, e in zip(times, events) if e.period and Fraction(e.period) == period)
        step = float(period)
        count = min(int((until - last) / step), limit) if until > last else 0
        out += [last + k * step for k in range(1, count + 1)]
    return out


def event_sample(event: EventTime, sample_rate: int) -> int:
    """An event's sample from the range start at ``sample_rate`` (exact for any rate)."""
    if event.sample is not None and event.sample_rate == sample_rate:
        return event.sample
    return _round_half_up(Fraction(event.exact) * sample_rate)
