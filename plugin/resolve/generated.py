"""What SceneFill placed before, and how a marker keeps its SceneFill id.

A SceneFill item is one on a SceneFill track whose media pool item carries
SceneFill's provenance (third-party metadata ``scenefill``; before 19.0.2,
rebuilt from the WAV). Each filled marker gets ``scenefill:<id>`` in its
customData (never over another tool's), so conform finds it by id after it
moves, and the audio of a deleted marker is removed rather than handed to
another unnamed marker.
"""

from __future__ import annotations

from pathlib import Path

from ..conform import Generated, _request_from_prov, match
from ..otio_fill import FillSettings, Planned, provenance
from .api import call
from .place import scenefill_tracks
from .snapshot import CUSTOM_DATA_PREFIX, ItemSnap, Snapshot, file_provenance

TRACK_NAME = "SceneFill"


def generated_items(snap: Snapshot, base: str = TRACK_NAME) -> list[tuple[ItemSnap, Generated]]:
    """What SceneFill placed before: items on its tracks whose media carry its provenance."""
    out = []
    for track in scenefill_tracks(snap, base).values():
        for item in track.items:
            prov = item.provenance or file_provenance(item)
            if prov is None:
                continue
            item.provenance = prov
            frames = (prov.get("record") or {}).get("frames")
            try:
                req, err = _request_from_prov(prov), ""
            except (KeyError, TypeError, ValueError) as exc:
                req, err = None, f"its provenance is incomplete ({exc})"
            out.append((item, Generated(item, prov, item.start - snap.start_frame,
                                        int(frames) if isinstance(frames, int) else item.duration,
                                        Path(item.file_path) if item.file_path else None, req, err)))
    return out


def marker_fill_scope(snap: Snapshot, colors: list[str] | None, base: str = TRACK_NAME) -> list[ItemSnap]:
    """The items a fill from markers (of ``colors``) replaces: earlier marker fills of those colours."""
    wanted = {c.upper() for c in colors} if colors else None
    return [item for item, g in generated_items(snap, base)
            if g.source.get("kind") == "marker"
            and (wanted is None or not g.source.get("color") or str(g.source["color"]).upper() in wanted)]


def carries_stamp(p: Planned, back: dict | None) -> bool:
    """True when ``p``'s marker holds (or will hold) its SceneFill id in customData.

    Such a marker is found again by id whatever happens to it; a SceneFill clip made from
    one is matched by id only (its marker deleted: removed, not mistaken for another note).
    """
    if back is None or p.item.kind != "marker" or p.item.obj is None:
        return False
    entry = back.get(id(p.item.obj))
    if not entry:
        return False
    m = entry[0]
    return not m.custom_data or m.custom_data.startswith(CUSTOM_DATA_PREFIX)


def stamp_markers(snap: Snapshot, planned: list[Planned], back: dict) -> None:
    """Write ``scenefill:<id>`` into the customData of each filled marker (never over someone else's)."""
    for p in planned:
        if not carries_stamp(p, back):
            continue
        m, owner = back[id(p.item.obj)]
        if m.scenefill_id == p.item.id:
            continue
        key = int(m.key) if float(m.key).is_integer() else m.key
        target = snap.obj if owner is None else owner.obj
        call(target, "UpdateMarkerCustomData", key, CUSTOM_DATA_PREFIX + p.item.id)


def tagged_provenance(p: Planned, snap: Snapshot, settings: FillSettings, job: str, back: dict | None) -> dict:
    """The provenance stored on a media pool item: the OTIO adapter's, plus settings, job and stamp."""
    prov = provenance(p, snap.rate)
    prov["settings"] = settings.to_meta()
    prov["job"] = job
    if carries_stamp(p, back):
        prov["source"]["stamped"] = True
    return prov


def match_generated(gens: list[Generated], items: list) -> list:
    """:func:`scenefill.plugin.conform.match`, except that a clip whose marker was stamped matches by id only."""
    strict = [g for g in gens if (g.source or {}).get("stamped")]
    loose = [g for g in gens if not (g.source or {}).get("stamped")]
    by_id: dict[str, object] = {}
    for it in items:
        by_id.setdefault(it.id, it)
    pairs, taken = [], set()
    for g in strict:
        it = by_id.get(str(g.source.get("id", "")))
        if it is not None and id(it) not in taken:
            taken.add(id(it))
            pairs.append((g, it))
        else:
            pairs.append((g, None))
    return pairs + match(loose, [it for it in items if id(it) not in taken])
