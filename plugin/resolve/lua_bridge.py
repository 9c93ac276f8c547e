"""The Python half of the free-edition Lua script: snapshot JSON in, a placement plan out.

The free edition from 21.1 runs only Lua menu scripts. The Lua script reads the
timeline with the same API calls as :mod:`.snapshot`, writes it as JSON and runs
``scenefill resolve lua-plan SNAPSHOT PLAN``; this module rebuilds the same
:class:`~.snapshot.Snapshot`, finds the notes, renders (daemon when
``SCENEFILL_SERVER`` is set, else in this process) and plans the layout with the
same functions the Python jobs use, then writes one tab-separated line per action
for the Lua script to carry out:

``ERROR  message`` (nothing to do but show it) · ``DELETE uid`` · ``APPEND track record frames path``
· ``TAG path provenance-json`` · ``STAMP owner-uid-or-empty marker-key custom-data`` · ``INFO line``
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..otio_fill import lane_name, plan_items, render_planned
from ..renderer import FAILED, make_renderer
from ..timeline_notes import DEFAULT_MIN_SECONDS
from .errors import ResolveJobError
from .jobs import (TRACK_NAME, _fmt_skip, _no_notes, _settings, marker_fill_scope, media_dir_for, normalise_colors,
                   tagged_provenance)
from .notes import find_notes
from .place import check_unlocked, plan_layout
from .rate import timeline_rate
from .snapshot import CUSTOM_DATA_PREFIX, ItemSnap, MarkerSnap, Snapshot, TrackSnap, is_scenefill_track


def _markers(rows, rebase: int = 0) -> list[MarkerSnap]:
    out = []
    for m in rows or []:
        key = float(m.get("frame", 0))
        out.append(MarkerSnap(frame=int(round(key)) + rebase, color=str(m.get("color") or ""),
                              name=str(m.get("name") or ""), note=str(m.get("note") or ""),
                              duration=max(1, int(round(float(m.get("duration") or 1)))),
                              custom_data=str(m.get("customData") or ""), key=key))
    return sorted(out, key=lambda m: m.frame)


def snapshot_from_dict(d: dict) -> Snapshot:
    """A Snapshot from the Lua script's JSON (same fields the Python reader takes from Resolve)."""
    start = int(d["start_frame"])
    name = str(d.get("timeline") or "the timeline")
    rate, warnings = timeline_rate(d.get("fps"), d.get("project_fps"), d.get("drop"), start,
                                   d.get("start_tc"), f"timeline '{name}'")
    tracks = []
    for t in d.get("tracks") or []:
        generated = t["type"] == "audio" and is_scenefill_track(str(t.get("name") or ""), TRACK_NAME)
        ts = TrackSnap(t["type"], int(t["index"]), str(t.get("name") or ""), bool(t.get("locked")),
                       str(t.get("subtype") or ""))
        for i in t.get("items") or []:
            prov = None
            raw = i.get("scenefill")
            if generated and isinstance(raw, str) and raw.strip():
                try:
                    prov = json.loads(raw)
                except ValueError:
                    prov = None
            ts.items.append(ItemSnap(uid=str(i.get("uid") or ""), name=str(i.get("name") or ""), track_type=t["type"],
                                     track_index=ts.index, start=int(i["start"]), end=int(i["end"]),
                                     left_offset=int(i.get("left") or 0),
                                     markers=[] if generated else _markers(i.get("markers")),
                                     file_path=str(i.get("file") or ""),
                                     provenance=prov if isinstance(prov, dict) and "note" in prov else None))
        ts.items.sort(key=lambda x: x.start)
        tracks.append(ts)
    sr = int(float(d.get("sample_rate") or 48000))
    end = max([int(d.get("end_frame") or start)] + [i.end for t in tracks for i in t.items])
    return Snapshot(project=str(d.get("project") or ""), timeline=name, timeline_id=str(d.get("timeline_id") or ""),
                    rate=rate, end_frame=end, sample_rate=sr if sr in (44100, 48000, 96000) else 48000,
                    markers=_markers(d.get("markers"), rebase=start), tracks=tracks, warnings=warnings)


def _clean(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split())


def plan_for_lua(data: dict, *, colors=None, server: str | None = None, media_dir=None, renderer=None,
                 min_seconds: float = DEFAULT_MIN_SECONDS) -> list[str]:
    """The action lines for the Lua script (ResolveJobError for a refusal, before anything is rendered)."""
    t0 = time.perf_counter()
    colors = normalise_colors(colors)
    snap = snapshot_from_dict(data)
    check_unlocked(snap, TRACK_NAME)
    ex, back = find_notes(snap, colors=colors, min_seconds=min_seconds)
    settings = _settings(snap, source="markers", colors=colors, min_seconds=min_seconds, seed=0, loudness=None)
    skipped = list(ex.skipped)
    mdir = media_dir_for(snap, media_dir)
    planned = plan_items(ex.items, snap.rate, settings, mdir, skipped)
    if not planned:
        raise ResolveJobError(_no_notes(snap, ex, colors, skipped))
    scope = marker_fill_scope(snap, colors)
    own = renderer is None
    renderer = renderer or make_renderer(server)
    try:
        mdir.mkdir(parents=True, exist_ok=True)
        render_planned(planned, renderer)
    finally:
        if own:
            renderer.close()
    failed = [p for p in planned if p.status == FAILED]
    if failed and len(failed) == len(planned):
        raise ResolveJobError(f"could not render any of the {len(planned)} note(s) ({failed[0].error}); "
                              "nothing was changed")
    failed_ids = {p.item.id for p in failed}
    scope = [i for i in scope if str((i.provenance.get("source") or {}).get("id")) not in failed_ids]
    ok = [p for p in planned if p.status != FAILED]
    lay = plan_layout(snap, ok, scope, TRACK_NAME)
    lines = [f"DELETE\t{i.uid}" for i in lay.delete]
    for p in sorted(lay.append, key=lambda q: (q.lane, q.item.start)):
        lines.append(f"APPEND\t{lane_name(TRACK_NAME, p.lane)}\t{snap.start_frame + p.item.start}\t"
                     f"{p.item.n_frames}\t{p.dest}")
    for p in ok:
        prov = tagged_provenance(p, snap, settings, "fill from markers (lua)", back)
        lines.append(f"TAG\t{p.dest}\t{json.dumps(prov, sort_keys=True, separators=(',', ':'))}")
        entry = back.get(id(p.item.obj)) if p.item.kind == "marker" else None
        if entry:
            m, owner = entry
            if m.scenefill_id != p.item.id and (not m.custom_data or m.custom_data.startswith(CUSTOM_DATA_PREFIX)):
                key = int(m.key) if float(m.key).is_integer() else m.key
                lines.append(f"STAMP\t{owner.uid if owner else ''}\t{key}\t{CUSTOM_DATA_PREFIX}{p.item.id}")
    lines.append(f"INFO\tfill from markers on '{_clean(snap.timeline)}' ({snap.rate.label} fps): {len(lay.append)} to "
                 f"place, {len(lay.keep)} kept, {len(lay.delete)} to remove ({time.perf_counter() - t0:.1f} s)")
    for w in snap.warnings:
        lines.append(f"INFO\twarning: {_clean(w)}")
    for s in skipped:
        lines.append(f"INFO\tskipped: {_clean(_fmt_skip(s))}")
    for p in failed:
        lines.append(f"INFO\tFAILED: {_clean(p.item.note[:40])}: {_clean(p.error)}")
    return lines


def run(snapshot_path: str, plan_path: str, **kw) -> int:
    """``scenefill resolve lua-plan``: always writes PLAN (an ERROR line for a refusal); 0, or 2 for a refusal."""
    try:
        data = json.loads(Path(snapshot_path).read_text(encoding="utf-8"))
        lines = plan_for_lua(data, **kw)
        code = 0
    except ResolveJobError as exc:
        lines, code = [f"ERROR\t{_clean(str(exc))}"], 2
    except (OSError, ValueError, KeyError, TypeError) as exc:
        lines, code = [f"ERROR\tcannot read the timeline snapshot {snapshot_path}: {_clean(str(exc))}"], 2
    Path(plan_path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return code
