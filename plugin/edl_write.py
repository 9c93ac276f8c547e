"""An audio-only CMX 3600 EDL of SceneFill lanes, written by us (never the picture EDL).

OTIO's EDL writer names reels after the first 8 characters of the file name, so
different files share a reel (``animfixn``) and a conform or relink goes to the
wrong audio; it writes no ``FCM`` line and puts the path only in a
``* FROM CLIP:`` comment. This writer:

* gives every file its own reel name: ``SF`` + 6 hex digits of a hash of the file
  (deterministic, within CMX's 8 characters, collision-checked across every EDL
  of the run -- another window of the hash, then a counter, on a clash);
* writes ``FCM: DROP FRAME`` / ``FCM: NON-DROP FRAME`` after the title, and drop-frame
  timecode with ``;`` where the timeline is drop-frame;
* puts record timecode on the timeline's start timecode (``01:00:00:00`` and so on);
* names the source file in the comment forms Avid and Resolve read:
  ``* FROM CLIP NAME:`` (the file name) and ``* SOURCE FILE:`` (the full path),
  plus ``* COMMENT:`` with the note;
* ``AA`` (channels 1+2) for stereo files, ``A`` for mono.

One EDL holds one audio layer, so each SceneFill lane gets its own EDL
(``NAME.edl``, ``NAME-A2.edl``, ...).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import opentimelineio as otio

from .otio_common import OtioInputError, TimelineRate
from .patch.lanes import Lane, Placement

REEL_LEN = 8
_EVENT = re.compile(r"^(\d{3,})\s+(\S+)\s+(\S+)\s+C\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")


def reel_names(paths: list[Path]) -> dict[Path, str]:
    """A unique reel name (<= 8 characters) for each distinct file, deterministic for the set."""
    out: dict[Path, str] = {}
    used: set[str] = set()
    for path in sorted(set(paths), key=str):
        digest = hashlib.sha1(str(path).encode()).hexdigest().upper()
        name = next((f"SF{digest[i:i + 6]}" for i in range(0, len(digest) - 5)
                     if f"SF{digest[i:i + 6]}" not in used), None)
        n = 1
        while name is None or name in used:        # 35 windows all taken: count
            name, n = f"SF{n:06d}", n + 1
        used.add(name)
        out[path] = name
    return out


def timecode(frame: int, rate: TimelineRate) -> str:
    """SMPTE timecode of an absolute frame number at the timeline's rate (``;`` when drop-frame)."""
    tc_rate = float(rate.exact)
    try:
        tc = otio.opentime.to_timecode(otio.opentime.RationalTime(frame, tc_rate), tc_rate, rate.drop_frame)
    except Exception:  # noqa: BLE001 - OTIO raises plain errors for rates without timecode
        raise OtioInputError(f"an EDL needs SMPTE timecode, which {rate.label} fps does not have "
                             "(write .otio or .xml)") from None
    if rate.drop_frame and ";" not in tc:
        tc = tc[:8] + ";" + tc[9:]
    return tc


def edl_text(title: str, lane: Lane, rate: TimelineRate, reels: dict[Path, str]) -> str:
    """The EDL of one lane (CRLF-free; CMX readers accept LF)."""
    fcm = "DROP FRAME" if rate.drop_frame else "NON-DROP FRAME"
    lines = [f"TITLE: {_clean(title)[:70]}", f"FCM: {fcm}", ""]
    width = max(3, len(str(len(lane.placements))))
    for n, p in enumerate(sorted(lane.placements, key=lambda q: q.start), 1):
        chan = "AA" if p.channels == 2 else "A"
        rec_in = rate.start_frame + p.start
        lines.append(f"{n:0{width}d}  {reels[p.path]:<8} {chan:<5} C        "
                     f"{timecode(0, rate)} {timecode(p.frames, rate)} "
                     f"{timecode(rec_in, rate)} {timecode(rec_in + p.frames, rate)}")
        lines.append(f"* FROM CLIP NAME: {_clean(p.path.name)}")
        lines.append(f"* SOURCE FILE: {_clean(str(p.path))}")
        if p.note:
            lines.append(f"* COMMENT: {_clean(p.note)[:200]}")
        lines.append("")
    return "\n".join(lines)


def _clean(value: str) -> str:
    """One line of printable text (EDL comments end at the line)."""
    return " ".join(str(value).split())


def edl_paths(out: Path, n: int) -> list[Path]:
    """OUT for the first lane, then OUT-A2.edl, OUT-A3.edl ..."""
    return [out] + [out.with_name(f"{out.stem}-A{i + 1}{out.suffix}") for i in range(1, n)]


def write_edls(title: str, lanes: list[Lane], rate: TimelineRate, out: Path) -> list[tuple[Path, bytes]]:
    """(path, bytes) of the audio EDL of every non-empty lane; reels unique across all of them."""
    lanes = [lane for lane in lanes if lane.placements]
    reels = reel_names([p.path for lane in lanes for p in lane.placements])
    return [(path, edl_text(title, lane, rate, reels).encode())
            for path, lane in zip(edl_paths(out, len(lanes)), lanes)]


def read_events(text: str) -> list[dict]:
    """Our EDL's events back (for tests and conform): reel, channels, TCs, file, note."""
    events: list[dict] = []
    for line in text.splitlines():
        m = _EVENT.match(line)
        if m:
            events.append({"event": int(m.group(1)), "reel": m.group(2), "channels": m.group(3),
                           "src_in": m.group(4), "src_out": m.group(5),
                           "rec_in": m.group(6), "rec_out": m.group(7)})
        elif events and line.startswith("* FROM CLIP NAME:"):
            events[-1]["clip_name"] = line.split(":", 1)[1].strip()
        elif events and line.startswith("* SOURCE FILE:"):
            events[-1]["source_file"] = line.split(":", 1)[1].strip()
        elif events and line.startswith("* COMMENT:"):
            events[-1]["note"] = line.split(":", 1)[1].strip()
    return events


__all__ = ["reel_names", "edl_text", "write_edls", "edl_paths", "read_events", "timecode", "Placement"]
