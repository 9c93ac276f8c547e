"""Put the audio on the SceneFill tracks: plan the layout, then one delete, one append, one read-back.

Resolve drops an item that would overlap another *silently*, so every item gets
a lane (track ``SceneFill``, ``SceneFill 2`` ...) where nothing else sits:
items SceneFill keeps, and anything the editor put on those tracks, count as
occupied. Items already at the right place with the right file stay untouched,
so a second run changes nothing. Record frames are absolute integers (start
timecode included); fractional frames make Resolve 21 refuse a whole batch.

If Resolve refuses the whole change (``DeleteClips`` or ``AppendToTimeline``
fails), what was removed is put back and the tracks made for it are deleted:
the timeline is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ..otio_fill import Planned, lane_name
from .api import as_int, as_list, call, text
from .errors import ResolveJobError
from .media import norm
from .snapshot import ItemSnap, Snapshot, TrackSnap, is_scenefill_track, lane_of


@dataclass
class Layout:
    keep: list[tuple[Planned, ItemSnap]] = field(default_factory=list)
    delete: list[ItemSnap] = field(default_factory=list)
    append: list[Planned] = field(default_factory=list)
    tracks: dict[int, TrackSnap] = field(default_factory=dict)   # lane -> existing SceneFill track
    new_lanes: list[int] = field(default_factory=list)


@dataclass
class Placed:
    planned: Planned
    track: str
    record: int              # absolute record frame asked for
    ok: bool = False
    problem: str = ""


def scenefill_tracks(snap: Snapshot, base: str) -> dict[int, TrackSnap]:
    return {lane_of(t.name, base): t for t in snap.tracks
            if t.type == "audio" and is_scenefill_track(t.name, base)}


def check_unlocked(snap: Snapshot, base: str) -> None:
    """ResolveJobError naming a locked SceneFill track (checked before anything renders)."""
    for t in scenefill_tracks(snap, base).values():
        if t.locked:
            raise ResolveJobError(f"the {t.name} track (A{t.index}) is locked: unlock it (the padlock in its "
                                  "header) and run again; nothing was changed")


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def plan_layout(snap: Snapshot, desired: list[Planned], replaceable: list[ItemSnap], base: str) -> Layout:
    """What to keep, delete and append, and each appended item's lane (``Planned.lane``)."""
    origin = snap.start_frame
    lay = Layout(tracks=scenefill_tracks(snap, base))
    free = list(replaceable)
    for p in desired:
        want = (norm(p.dest), origin + p.item.start, p.item.n_frames)
        hit = next((r for r in free if r.file_path and (norm(r.file_path), r.start, r.duration) == want), None)
        if hit is not None:
            free.remove(hit)
            p.lane = lane_of(snap.track("audio", hit.track_index).name, base)
            lay.keep.append((p, hit))
        else:
            lay.append.append(p)
    lay.delete = free
    gone = {id(r) for r in lay.delete}
    occupied: dict[int, list[tuple[int, int]]] = {
        lane: [(i.start, i.end) for i in t.items if id(i) not in gone] for lane, t in lay.tracks.items()}
    for p in sorted(lay.append, key=lambda q: (q.item.start, q.item.end)):
        s, e = origin + p.item.start, origin + p.item.end
        lane = 0
        while _overlaps(s, e, occupied.setdefault(lane, [])):
            lane += 1
        occupied[lane].append((s, e))
        p.lane = lane
        if lane not in lay.tracks and lane not in lay.new_lanes:
            lay.new_lanes.append(lane)
    lay.new_lanes.sort()
    return lay


def _item_info(item: ItemSnap) -> dict:
    return {"mediaPoolItem": item.media, "startFrame": int(item.left_offset),
            "endFrame": int(item.left_offset + item.duration), "mediaType": 2,
            "trackIndex": int(item.track_index), "recordFrame": int(item.start)}


def apply_layout(snap: Snapshot, lay: Layout, media: dict[str, object], base: str) -> list[Placed]:
    """Make the tracks, delete, append (one call each), then read every item back."""
    tl = snap.obj
    media_pool = call(snap.project_obj, "GetMediaPool")
    created: list[int] = []
    track_index = {lane: t.index for lane, t in lay.tracks.items()}
    for lane in lay.new_lanes:
        if not call(tl, "AddTrack", "audio", "stereo", default=False):
            _drop_tracks(tl, created)
            raise ResolveJobError("Resolve refused to add a stereo audio track for SceneFill; nothing was changed")
        idx = as_int(call(tl, "GetTrackCount", "audio"), 0)
        created.append(idx)
        call(tl, "SetTrackName", "audio", idx, lane_name(base, lane))
        track_index[lane] = idx
    if lay.delete and not call(tl, "DeleteClips", [i.obj for i in lay.delete], False, default=False):
        _drop_tracks(tl, created)
        raise ResolveJobError("Resolve refused to remove SceneFill's previous clips (DeleteClips works on the "
                              "current timeline, in the Edit page): open the Edit page and run again; nothing "
                              "was changed")
    placed = [Placed(p, lane_name(base, p.lane), snap.start_frame + p.item.start) for p in lay.append]
    infos = [{"mediaPoolItem": media[norm(pl.planned.dest)], "mediaType": 2,
              "trackIndex": int(track_index[pl.planned.lane]), "recordFrame": int(pl.record)} for pl in placed]
    if infos:
        result = call(media_pool, "AppendToTimeline", infos)
        if not as_list(result):
            _restore(media_pool, lay.delete)
            _drop_tracks(tl, created)
            raise ResolveJobError("Resolve refused to place the SceneFill clips (AppendToTimeline returned "
                                  "nothing); the timeline is as it was")
    return placed


def _restore(media_pool, items: list[ItemSnap]) -> None:
    if items:
        call(media_pool, "AppendToTimeline", [_item_info(i) for i in items])


def _drop_tracks(tl, created: list[int]) -> None:
    for idx in sorted(created, reverse=True):
        call(tl, "DeleteTrack", "audio", idx)


def undo(snap: Snapshot, placed: list[Placed], lay: Layout, base: str) -> None:
    """Take back an apply whose every item Resolve refused: put back what was deleted, drop new tracks."""
    tl = snap.obj
    media_pool = call(snap.project_obj, "GetMediaPool")
    _restore(media_pool, lay.delete)
    new_names = {lane_name(base, lane) for lane in lay.new_lanes}
    created = [idx for idx in range(1, (as_int(call(tl, "GetTrackCount", "audio"), 0) or 0) + 1)
               if text(call(tl, "GetTrackName", "audio", idx)) in new_names]
    _drop_tracks(tl, created)


def verify(snap: Snapshot, placed: list[Placed], base: str) -> list[str]:
    """Re-list the SceneFill tracks; mark each placed item found exactly, and name every one that is not."""
    tl = snap.obj
    by_name: dict[str, list[tuple[int, int, str]]] = {}
    for idx in range(1, (as_int(call(tl, "GetTrackCount", "audio"), 0) or 0) + 1):
        name = text(call(tl, "GetTrackName", "audio", idx))
        if not is_scenefill_track(name, base):
            continue
        rows = by_name.setdefault(name, [])
        for obj in as_list(call(tl, "GetItemListInTrack", "audio", idx)):
            start, dur = as_int(call(obj, "GetStart")), as_int(call(obj, "GetDuration"))
            if start is None or dur is None:
                continue                 # truthy-but-empty: not really there
            mpi = call(obj, "GetMediaPoolItem")
            rows.append((start, dur, norm(text(call(mpi, "GetClipProperty", "File Path")) or "?")))
    problems = []
    rate = snap.rate
    for pl in placed:
        p = pl.planned
        want_path, n = norm(p.dest), p.item.n_frames
        rows = [r for r in by_name.get(pl.track, []) if r[2] == want_path]
        at = [r for r in rows if r[0] == pl.record]
        tc = rate.timecode(p.item.start)
        if at and at[0][1] == n:
            pl.ok = True
            continue
        if at:
            pl.problem = f"{tc} {p.item.note[:40]!r}: Resolve placed {at[0][1]} frames, not {n}"
        elif rows:
            got = rate.timecode(rows[0][0] - rate.start_frame)
            pl.problem = f"{tc} {p.item.note[:40]!r}: Resolve moved it to {got}"
        else:
            pl.problem = f"{tc} {p.item.note[:40]!r}: Resolve refused it (not on {pl.track})"
        problems.append(pl.problem)
    return problems


__all__ = ["Layout", "Placed", "apply_layout", "check_unlocked", "plan_layout", "scenefill_tracks", "undo",
           "verify"]
