"""Read the current Resolve timeline into plain data (the one place that reads the timeline).

Everything downstream (notes, plans, conform) works on this snapshot, never on
Resolve objects, so it is tested on plain data and is the same data the OTIO
adapter sees. Positions are **absolute** Resolve frames (start timecode
included), as ``TimelineItem.GetStart()`` and ``AppendToTimeline``'s
``recordFrame`` use them; timeline markers, which Resolve keys relative to the
timeline start, are rebased here. Clip markers stay in the item's source frames
(``GetLeftOffset() + (frame - GetStart())``), which is how Resolve keys them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..otio_common import MEDIA_NAME_RE, TimelineRate
from .api import as_int, as_list, call, text
from .errors import ResolveJobError
from .rate import timeline_rate

#: the third-party metadata key holding a SceneFill media pool item's provenance (JSON)
PROVENANCE_KEY = "scenefill"
#: customData SceneFill writes on a marker it filled, so a moved marker keeps its id
CUSTOM_DATA_PREFIX = "scenefill:"
#: Resolve's own default marker label: a name, not a note
_DEFAULT_MARKER_NAME = re.compile(r"^marker\s*\d*$", re.I)


@dataclass
class MarkerSnap:
    frame: int              # absolute timeline frame (timeline markers) or source frame (clip markers)
    color: str
    name: str
    note: str
    duration: int
    custom_data: str = ""
    key: float = 0.0        # the frame key Resolve gave it (to update its customData)

    @property
    def scenefill_id(self) -> str:
        return self.custom_data[len(CUSTOM_DATA_PREFIX):] if self.custom_data.startswith(CUSTOM_DATA_PREFIX) else ""

    @property
    def usable_note(self) -> str:
        """The marker's scene note: its Notes field, else a name that is not Resolve's default label."""
        if self.note.strip():
            return self.note.strip()
        name = self.name.strip()
        return "" if not name or _DEFAULT_MARKER_NAME.match(name) else name


@dataclass
class ItemSnap:
    uid: str
    name: str
    track_type: str
    track_index: int
    start: int              # absolute record frame
    end: int                # exclusive
    left_offset: int
    markers: list[MarkerSnap] = field(default_factory=list)
    file_path: str = ""
    comments: str = ""      # the media pool item's Comments / Description (a clip note)
    provenance: dict | None = None   # SceneFill's provenance, when it made this item
    obj: Any = field(default=None, repr=False, compare=False)
    media: Any = field(default=None, repr=False, compare=False)

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def generated(self) -> bool:
        return self.provenance is not None


@dataclass
class TrackSnap:
    type: str
    index: int
    name: str
    locked: bool
    subtype: str = ""
    items: list[ItemSnap] = field(default_factory=list)


@dataclass
class Snapshot:
    project: str
    timeline: str
    timeline_id: str
    rate: TimelineRate
    end_frame: int          # absolute, exclusive
    sample_rate: int
    markers: list[MarkerSnap]
    tracks: list[TrackSnap]
    warnings: list[str] = field(default_factory=list)
    obj: Any = field(default=None, repr=False, compare=False)      # the Timeline
    project_obj: Any = field(default=None, repr=False, compare=False)

    @property
    def start_frame(self) -> int:
        return self.rate.start_frame

    @property
    def duration(self) -> int:
        return self.end_frame - self.start_frame

    def track(self, type_: str, index: int) -> TrackSnap | None:
        for t in self.tracks:
            if t.type == type_ and t.index == index:
                return t
        return None

    def items(self, type_: str | None = None):
        for t in self.tracks:
            if type_ is None or t.type == type_:
                yield from t.items


def is_scenefill_track(name: str, base: str) -> bool:
    """``SceneFill``, ``SceneFill 2``, ``SceneFill 3`` ... (the names lanes get)."""
    if name == base:
        return True
    return bool(re.fullmatch(re.escape(base) + r" ([2-9]|[1-9]\d+)", name or ""))


def lane_of(name: str, base: str) -> int:
    return 0 if name == base else int(name.rsplit(" ", 1)[1]) - 1


def read_provenance(mpi) -> dict | None:
    """SceneFill's provenance stored on a media pool item, or None (not ours / unreadable)."""
    raw = call(mpi, "GetThirdPartyMetadata", PROVENANCE_KEY)
    if isinstance(raw, dict):                   # some builds answer the whole dict
        raw = raw.get(PROVENANCE_KEY)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        prov = json.loads(raw)
    except ValueError:
        return None
    return prov if isinstance(prov, dict) and "note" in prov else None


def _markers(owner, rebase: int = 0) -> list[MarkerSnap]:
    raw = call(owner, "GetMarkers", default={})
    out = []
    if not isinstance(raw, dict):
        return out
    for key, m in raw.items():
        if not isinstance(m, dict):
            continue
        frame = as_int(key, 0)
        out.append(MarkerSnap(frame=frame + rebase, color=text(m.get("color")), name=text(m.get("name")),
                              note=text(m.get("note")), duration=max(1, as_int(m.get("duration"), 1)),
                              custom_data=text(m.get("customData")), key=float(key)))
    out.sort(key=lambda m: m.frame)
    return out


def _item(obj, type_: str, index: int, generated_track: bool, want_comments: bool) -> ItemSnap | None:
    start = as_int(call(obj, "GetStart"))
    end = as_int(call(obj, "GetEnd"))
    if start is None or end is None or end <= start:
        return None                            # a truthy-but-empty item (locked / refused): not on the track
    mpi = call(obj, "GetMediaPoolItem")
    path = text(call(mpi, "GetClipProperty", "File Path")) if mpi is not None else ""
    prov = read_provenance(mpi) if generated_track and mpi is not None else None
    comments = ""
    if want_comments and mpi is not None and not generated_track:
        for key in ("Comments", "Description"):
            comments = text(call(mpi, "GetMetadata", key))
            if comments:
                break
    return ItemSnap(
        uid=str(call(obj, "GetUniqueId", default="")), name=text(call(obj, "GetName")), track_type=type_,
        track_index=index, start=start, end=end, left_offset=as_int(call(obj, "GetLeftOffset"), 0),
        markers=[] if generated_track else _markers(obj), file_path=path, comments=comments,
        provenance=prov, obj=obj, media=mpi)


def current(resolve) -> tuple[Any, Any, Any]:
    """(project manager, project, timeline), or ResolveJobError naming what is missing."""
    pm = call(resolve, "GetProjectManager")
    project = call(pm, "GetCurrentProject")
    if project is None:
        raise ResolveJobError("no project is open in DaVinci Resolve: open one and run again")
    timeline = call(project, "GetCurrentTimeline")
    if timeline is None:
        name = text(call(project, "GetName")) or "the project"
        raise ResolveJobError(f"{name} has no current timeline: open a timeline in the Edit page and run again")
    return pm, project, timeline


def read(resolve, track_name: str = "SceneFill", want_comments: bool = False) -> Snapshot:
    """Snapshot the current timeline (ResolveJobError when there is none or its rate is unusable)."""
    _, project, tl = current(resolve)
    tl_name = text(call(tl, "GetName")) or "the timeline"
    start = as_int(call(tl, "GetStartFrame"))
    end = as_int(call(tl, "GetEndFrame"))
    if start is None or end is None:
        raise ResolveJobError(f"Resolve did not report where timeline '{tl_name}' starts and ends; run again")

    def setting(key: str) -> str:
        return text(call(tl, "GetSetting", key)) or text(call(project, "GetSetting", key))

    rate, warnings = timeline_rate(
        text(call(tl, "GetSetting", "timelineFrameRate")), text(call(project, "GetSetting", "timelineFrameRate")),
        setting("timelineDropFrameTimecode"), start, text(call(tl, "GetStartTimecode")), f"timeline '{tl_name}'")
    sample_rate = as_int(setting("timelineSampleRate"), 48000) or 48000
    if sample_rate not in (44100, 48000, 96000):
        warnings.append(f"the timeline's sample rate {sample_rate} Hz is not one SceneFill renders; using 48000")
        sample_rate = 48000
    tracks = []
    for type_ in ("video", "audio"):
        for idx in range(1, (as_int(call(tl, "GetTrackCount", type_), 0) or 0) + 1):
            name = text(call(tl, "GetTrackName", type_, idx))
            generated = type_ == "audio" and is_scenefill_track(name, track_name)
            track = TrackSnap(type_, idx, name, bool(call(tl, "GetIsTrackLocked", type_, idx, default=False)),
                              text(call(tl, "GetTrackSubType", type_, idx)) if type_ == "audio" else "")
            raw = call(tl, "GetItemListInTrack", type_, idx)
            if raw is None:
                raw = call(tl, "GetItemsInTrack", type_, idx)     # the deprecated dict form
            for obj in as_list(raw):
                item = _item(obj, type_, idx, generated, want_comments)
                if item is not None:
                    track.items.append(item)
            track.items.sort(key=lambda i: i.start)
            tracks.append(track)
    # GetEndFrame is exclusive on the builds measured; an item reaching further wins either way
    end = max([end] + [i.end for t in tracks for i in t.items])
    return Snapshot(project=text(call(project, "GetName")), timeline=tl_name,
                    timeline_id=str(call(tl, "GetUniqueId", default="")), rate=rate, end_frame=end,
                    sample_rate=sample_rate, markers=_markers(tl, rebase=start), tracks=tracks,
                    warnings=warnings, obj=tl, project_obj=project)


def looks_generated(item: ItemSnap) -> bool:
    """An item SceneFill made whose provenance is unreadable (SceneFill's media name)."""
    return bool(MEDIA_NAME_RE.search(item.file_path.replace("\\", "/").rsplit("/", 1)[-1]))


def file_provenance(item: ItemSnap) -> dict | None:
    """Provenance rebuilt from the WAV itself, for builds without third-party metadata (before 19.0.2).

    Only for items whose media has SceneFill's name; the marker it came from is unknown, so
    matching falls back to the note (and the item counts as a marker fill).
    """
    if not item.file_path or not looks_generated(item):
        return None
    try:
        from scenefill.engine.api import read_provenance as read_file

        d = read_file(item.file_path)
        opts = d.get("options") or {}
        return {"note": str(d["note"]), "seed": int(d.get("seed", 0)), "key": "", "engine": d.get("engine_version"),
                "source": {"kind": "marker"}, "record": {"frames": item.duration},
                "audio": {"file": item.file_path, "samples": int(d["total_samples"]),
                          "sample_rate": int(opts.get("sample_rate", 48000)), "channels": int(opts.get("channels", 2)),
                          "bit_depth": int(opts.get("bit_depth", 24))},
                "request": {"loudness": float(opts.get("loudness", -23.0)), "loop": bool(opts.get("loop", False)),
                            "handle_samples": int(opts.get("handle_samples", 0)), "fmt": str(opts.get("format", "wav")),
                            "backend": str(d.get("backend", "procedural")), "voice": str(d.get("voice", "") or "")}}
    except Exception:  # noqa: BLE001 - unreadable (a placeholder): enough to replace it, not to conform it
        return {"note": "", "source": {"kind": "marker"}, "record": {"frames": item.duration},
                "audio": {"file": item.file_path}}
