"""Scene notes of a Resolve snapshot, found by the OTIO adapter's own rules.

The snapshot is turned into a small in-memory OTIO timeline (the video and
audio items at their record places, timeline markers on the stack, clip markers
in source frames, clip notes in ``metadata.scenefill.note``) and handed to
:func:`scenefill.plugin.timeline_notes.extract_notes`. So a point marker runs
to the next noted marker or its clip's end, duplicates merge, JSON notes and
too-short spans are skipped exactly as ``scenefill otio fill`` does them: the
two adapters cannot drift. SceneFill's own tracks are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import opentimelineio as otio

from ..otio_common import META_KEY
from ..timeline_notes import DEFAULT_MIN_SECONDS, Extraction, Skipped, extract_notes
from .snapshot import CUSTOM_DATA_PREFIX, ItemSnap, MarkerSnap, Snapshot, is_scenefill_track


@dataclass
class ClipNote:
    """A note given to one timeline item (selected-clip job, or conform of its result)."""

    note: str
    id: str
    field: str = "scenefill.note"


def item_id(item: ItemSnap) -> str:
    """The id a clip-sourced note gets: stable while the item lives on the timeline."""
    return "ri-" + (item.uid or f"{item.track_type}{item.track_index}-{item.name}-{item.left_offset}")


def _marker(m: MarkerSnap, position: int, rate) -> otio.schema.Marker | None:
    note = m.usable_note
    if not note:
        return None
    meta = {"Resolve_OTIO": {"Note": note, "Color": m.color}}
    if m.scenefill_id:
        meta[META_KEY] = {"id": m.scenefill_id}
    color = m.color.upper() if m.color else otio.schema.MarkerColor.RED
    return otio.schema.Marker(name=m.name, marked_range=rate.tr(position, max(1, m.duration)),
                              color=color, metadata=meta)


def to_otio(snap: Snapshot, *, track_name: str = "SceneFill", markers: bool = True,
            clip_notes: dict[str, ClipNote] | None = None) -> tuple[otio.schema.Timeline, dict[int, object]]:
    """An OTIO timeline holding what notes are read from; and OTIO marker id -> (MarkerSnap, owner ItemSnap
    or None for a timeline marker), OTIO clip id -> ItemSnap."""
    rate = snap.rate
    origin = snap.start_frame
    tl = otio.schema.Timeline(name=snap.timeline, global_start_time=rate.rt(origin))
    back: dict[int, object] = {}
    clip_notes = clip_notes or {}
    for track in snap.tracks:
        if track.type == "audio" and is_scenefill_track(track.name, track_name):
            continue
        kind = otio.schema.TrackKind.Video if track.type == "video" else otio.schema.TrackKind.Audio
        ot = otio.schema.Track(name=track.name or f"{track.type[0].upper()}{track.index}", kind=kind)
        pos = 0
        for item in track.items:
            rel = item.start - origin
            if rel < pos:                      # overlapping items cannot happen on one Resolve track
                continue
            if rel > pos:
                ot.append(otio.schema.Gap(source_range=rate.tr(0, rel - pos)))
            clip = otio.schema.Clip(name=item.name, source_range=rate.tr(item.left_offset, item.duration))
            cn = clip_notes.get(item.uid)
            if cn is not None:
                clip.metadata[META_KEY] = {"note": cn.note, "id": cn.id}
            if markers:
                for m in item.markers:
                    om = _marker(m, m.frame, rate)
                    if om is not None:
                        clip.markers.append(om)
                        back[id(om)] = (m, item)
            ot.append(clip)
            back[id(clip)] = item
            pos = rel + item.duration
        if snap.duration > pos:
            ot.append(otio.schema.Gap(source_range=rate.tr(0, snap.duration - pos)))
        tl.tracks.append(ot)
    if not tl.tracks:
        tl.tracks.append(otio.schema.Track(name="V1", children=[otio.schema.Gap(
            source_range=rate.tr(0, max(1, snap.duration)))]))
    if markers:
        for m in snap.markers:
            om = _marker(m, m.frame - origin, rate)
            if om is not None:
                tl.tracks.markers.append(om)
                back[id(om)] = (m, None)
    return tl, back


def find_notes(snap: Snapshot, *, colors: list[str] | None = None, track_name: str = "SceneFill",
               min_seconds: float = DEFAULT_MIN_SECONDS, markers: bool = True,
               clip_notes: dict[str, ClipNote] | None = None) -> tuple[Extraction, dict[int, object]]:
    """Every usable note with its exact range (frames relative to the timeline start).

    Markers with no note are reported in ``skipped`` (Resolve's own "Marker 1" labels do
    not count as notes). Returns the extraction and the map of :func:`to_otio` (keyed by
    ``id(note_item.obj)``).
    """
    tl, back = to_otio(snap, track_name=track_name, markers=markers, clip_notes=clip_notes)
    source = "both" if markers and clip_notes else ("markers" if markers else "clips")
    ex = extract_notes(tl, source=source, marker_colors=colors, min_seconds=min_seconds, rate=snap.rate)
    if markers:
        wanted = {c.upper() for c in colors} if colors else None
        for m in _all_markers(snap):
            if m.usable_note or (wanted is not None and m.color.upper() not in wanted):
                continue
            where = snap.rate.timecode(m.frame - snap.start_frame) if m in snap.markers else f"source frame {m.frame}"
            ex.skipped.append(Skipped(f"{m.color or ''} marker '{m.name or 'unnamed'}' at {where}".strip(), "",
                                      "it has no note: type the scene into the marker's Notes"))
            ex.markers_seen += 1
    return ex, back


def _all_markers(snap: Snapshot):
    yield from snap.markers
    for item in snap.items():
        yield from item.markers


__all__ = ["ClipNote", "CUSTOM_DATA_PREFIX", "DEFAULT_MIN_SECONDS", "find_notes", "item_id", "to_otio"]
