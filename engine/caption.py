"""Multi-view captions: Dasheng AudioGen's tagged prompt format, or free text.

A note is either tagged (``<|caption|> ... <|asr|> ...``) or free text, where
quoted words are speech. Both become one :class:`Caption`, the plain data the
rest of the engine reads.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .errors import InvalidRequest

TAGS = ("caption", "speech", "asr", "sfx", "music", "env")
_TAG_RE = re.compile(r"<\|\s*([^|>]*?)\s*\|>")
_QUOTE_RE = re.compile(r'"([^"]+)"|“([^”]+)”|«([^»]+)»')
#: "[2.5s] line", "@2.5s line", "at 2.5s: line" -- an explicit start time for a speech line
_TIME_PREFIX_RE = re.compile(r"^\s*(?:\[\s*|@\s*|at\s+)(\d{1,7}(?:\.\d{1,6})?)\s*s?(?=\s|\]|:|$)\s*(?:\]|:)?\s*", re.I)
#   (a bounded number that ends at a space, ']' or ':': "[1e999s]" or "@99999999999999999999" is not a start)


#: "[01:00:07:12] line", "[halfway] line": a start that needs the timeline to resolve (engine/events.py)
_BRACKET_PREFIX_RE = re.compile(r"^\s*\[\s*([^\]]{1,40}?)\s*\]\s*")


@dataclass
class SpeechLine:
    """One spoken line; ``start`` is seconds from the range start, or None for the default placement.

    ``at`` keeps a start written as timecode or in words ("01:00:07:12", "halfway"); the scene
    resolves it against the range into ``start``."""

    text: str
    start: float | None = None
    at: str = ""
    #: who speaks it, as the free text names them just before the quote ("a man says"), or the
    #: line before's speaker; empty in a tagged note (one ``<|speech|>`` for every line)
    speaker: str = ""


@dataclass
class Caption:
    """The views of a scene note, as Dasheng AudioGen names them."""

    caption: str = ""
    speech: str = ""
    asr: list[SpeechLine] = field(default_factory=list)
    sfx: list[str] = field(default_factory=list)
    music: str = ""
    env: str = ""
    tagged: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def to_prompt(self, *, speech: bool = True) -> str:
        """The note in Dasheng AudioGen's tagged form: the one place that format is written.

        The model's rules (shared/reference/neural.md): ``<|caption|>`` first and never
        empty (it rejects a prompt without one), then ``<|speech|>``, ``<|asr|>``,
        ``<|sfx|>``, ``<|music|>``, ``<|env|>``, empty tags left out. A tagged note may
        leave the caption out (``<|sfx|>door slam``); it is then summed up from the other
        views. The spoken lines go in one ``<|asr|>`` (the words, as the model reads them).
        ``speech=False`` leaves out who speaks and what is said: a long render's later
        windows continue the scene without repeating its dialogue. The Dasheng backend
        renders exactly this text; provenance and ``scenefill parse`` show it.
        """
        parts = [f"<|caption|>{_fold(self.caption) or self._summary()}"]
        if speech and self.speech:
            parts.append(f"<|speech|>{_fold(self.speech)}")
        words = " ".join(line.text for line in self.asr if line.text.strip())
        if speech and words:
            parts.append(f"<|asr|>{words}")
        if self.sfx:
            parts.append("<|sfx|>" + ", ".join(self.sfx))
        if self.music:
            parts.append(f"<|music|>{self.music}")
        if self.env:
            parts.append(f"<|env|>{self.env}")
        return "".join(parts)

    def _summary(self) -> str:
        """A caption from the other views, for a note that has none."""
        views = [self.env, ", ".join(self.sfx), self.music]
        if self.asr:
            views.append(f"{self.speech or 'a person'} speaking")
        return "; ".join(v for v in views if v) or "a scene"


def _fold(text: str) -> str:
    return " ".join(text.split())


def _speech_line(text: str) -> SpeechLine:
    match = _BRACKET_PREFIX_RE.match(text)
    if match and not re.fullmatch(r"\d+(?:\.\d+)?\s*s?", match.group(1), re.I):
        from .events import find_times

        written = match.group(1)
        probe = written if re.match(r"[a-z]", written, re.I) else f"at {written}"
        if len(find_times(probe)[1]) == 1:
            return SpeechLine(text[match.end():].strip(), None, written)
    match = _TIME_PREFIX_RE.match(text)
    if match:
        return SpeechLine(text[match.end():].strip(), float(match.group(1)))
    return SpeechLine(text.strip())


def _split_list(text: str) -> list[str]:
    """Split an effects list on ; , and new lines, keeping times ("at 2, 5 and 8 s") whole."""
    from .events import mask_times, unmask_times

    masked, pieces = mask_times(text)
    return [unmask_times(p, pieces).strip() for p in re.split(r"[;,\n]", masked) if p.strip()]


def parse_caption(note: str) -> Caption:
    """Parse a note into a Caption; unknown tags are refused, naming the tag."""
    if not note or not note.strip():
        raise InvalidRequest("note", "the scene note is empty")
    tags = list(_TAG_RE.finditer(note))
    if not tags:
        return _parse_free_text(note)
    cap = Caption(tagged=True)
    lead = note[: tags[0].start()].strip()
    if lead:
        cap.caption = lead
    for i, match in enumerate(tags):
        tag = match.group(1).lower()
        if tag not in TAGS:
            raise InvalidRequest(
                "note", f"unknown tag <|{match.group(1)}|>; known tags: "
                + " ".join(f"<|{t}|>" for t in TAGS))
        end = tags[i + 1].start() if i + 1 < len(tags) else len(note)
        body = note[match.end():end].strip()
        if not body:
            continue
        if tag == "asr":
            lines = [ln for ln in re.split(r"\n|\s*\|\|\s*", body) if ln.strip()]
            cap.asr.extend(_speech_line(ln) for ln in lines)
        elif tag == "sfx":
            cap.sfx.extend(_split_list(body))
        else:
            current = getattr(cap, tag)
            setattr(cap, tag, f"{current}; {body}" if current else body)
    if not (cap.caption or cap.asr or cap.sfx or cap.music or cap.env or cap.speech):
        raise InvalidRequest("note", "the note has tags but no text in them")
    return cap


_SPEAKER_RE = re.compile(r"\b((?:an?|the)\s+)?([\w\s-]{0,40}?)\b(says|said|shouts|whispers|asks|calls|yells|"
                         r"speaks|mutters|announces)\b", re.I)


def _parse_free_text(note: str) -> Caption:
    """Free text: quoted words are speech; the rest describes the scene. Each line's speaker is
    the one named between the line before and its quote ('a woman says "hello", then a man says
    "go away"'); a line with none there keeps the line before's."""
    lines: list[SpeechLine] = []
    said_by = ""
    last_end = 0
    for match in _QUOTE_RE.finditer(note):
        named = _SPEAKER_RE.search(note[last_end:match.start()])
        if named:
            said_by = " ".join((named.group(2) + " " + named.group(3)).split())
        line = _speech_line(next(g for g in match.groups() if g))
        line.speaker = said_by
        lines.append(line)
        last_end = match.end()
    rest = _QUOTE_RE.sub(" ", note)
    rest = re.sub(r"\s+", " ", rest).strip(" ,.;:")
    speaker = ""
    if lines:
        m = _SPEAKER_RE.search(rest)
        if m:
            speaker = (m.group(2) + " " + m.group(3)).strip()
    return Caption(caption=rest or (lines[0].text if lines else ""), speech=speaker, asr=lines)
