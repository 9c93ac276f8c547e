"""Read a timeline and find the scene notes in it, with their exact timeline ranges.

Where notes come from
---------------------
* **Markers** anywhere: the timeline's stack, every track, every clip, gap and
  nested stack. A marker's note is the first non-empty of ``Marker.comment``,
  ``metadata.Resolve_OTIO.Note``, ``metadata.fcp_xml.comment``,
  ``metadata.scenefill.note`` and the marker's name (EDL LOC text, Avid
  comments and Kdenlive guides arrive as names).
* **Clips**: ``metadata.scenefill.note`` on a clip, or a sidecar CSV / JSON that
  maps clip names to notes (``--notes``).

The range a note covers
-----------------------
* A marker with a duration longer than one frame covers its own range, clipped
  to the part of its owner that is visible in the timeline.
* A marker of zero or one frame (FCP, EDL, Resolve and Avid markers are points)
  covers the span from its position to the **next noted marker on the same
  item**, or to the **end of that item** (clip, gap or nested stack; the
  timeline's end for timeline and track markers), whichever comes first.
  So sequence markers "scene 1", "scene 2" cover their scenes, and a clip's
  markers divide that clip; a timeline marker never cuts a clip's note short
  (where two notes overlap, the second goes to a second SceneFill track).
* A clip note covers the clip's visible range.
* Marker ranges are converted to timeline time through their owner: a clip's
  markers are in the clip's *source* time. Markers outside their owner's
  visible range are ignored. Fractional positions are rounded to the nearest
  frame. EDL ``LOC`` markers (which the EDL reader stores as record
  timecode) are placed by record timecode.
* Spans shorter than ``min_seconds`` are skipped and reported; notes that are
  structured pipeline data (a JSON object or list) are skipped and reported.
* Identical notes at an identical range are merged (AAF repeats a marker per
  slot; Kdenlive repeats bin-clip markers on every instance).
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from .otio_common import (
    META_KEY,
    OtioInputError,
    TimelineRate,
    detect_rate,
    is_generated_clip,
    is_generated_track,
    quiet_adapters,
    round_half_up,
)

FROM_CHOICES = ("markers", "clips", "both")
DEFAULT_MIN_SECONDS = 0.5
MARKER_COLORS = tuple(
    getattr(otio.schema.MarkerColor, name) for name in dir(otio.schema.MarkerColor)
    if name.isupper())


# --------------------------------------------------------------------------- reading

def read_timeline(path: str | os.PathLike, rate: str | None = None) -> otio.schema.Timeline:
    """Read anything OTIO reads and return one Timeline (normalised, see below).

    * ``.json`` is read as OTIO JSON; EDLs use ``rate`` (default 24).
    * A file holding one Clip (a Resolve clip export) or a collection of clips
      (ALE) becomes a timeline with those clips end to end on one track; a
      collection holding timelines gives its first timeline.
    * The EDL reader's quirk (track ``source_range`` starting at minus the first
      record timecode, ``global_start_time`` unset) is turned into a timeline
      starting at that record timecode.
    Raises OtioInputError with one readable line.
    """
    p = Path(path)
    if not p.exists():
        why = "a symbolic link that points nowhere (or in a loop)" if p.is_symlink() else "no such file"
        raise OtioInputError(f"cannot read {p}: {why}")
    if p.is_dir() and p.suffix.lower() != ".otiod":
        raise OtioInputError(f"cannot read {p}: it is a directory")
    from scenefill.engine.output_paths import not_a_regular_input
    if (why := not_a_regular_input(p)) is not None:
        raise OtioInputError(f"cannot read {why}")
    ext = p.suffix.lower().lstrip(".")
    kwargs: dict = {}
    adapter = None
    if ext == "json":
        adapter = "otio_json"
    elif ext == "edl":
        kwargs["rate"] = float(_rate_for_edl(rate))
    try:
        with quiet_adapters():
            obj = otio.adapters.read_from_file(str(p), adapter_name=adapter, **kwargs)
    except otio.exceptions.NoKnownAdapterForExtensionError:
        raise OtioInputError(
            f"cannot read {p}: no OTIO adapter reads .{ext} files "
            f"(installed: {', '.join(sorted(otio.adapters.available_adapter_names()))})") from None
    except UnicodeDecodeError:  # the XML/EDL readers take UTF-8 only
        raise OtioInputError(f"cannot read {p}: it is not UTF-8 text (UTF-16 or another encoding?); "
                             "save or convert it as UTF-8") from None
    except Exception as exc:  # noqa: BLE001 - adapters raise anything; we report one line
        msg = " ".join(str(exc).split()) or type(exc).__name__
        if ext == "edl" and not rate:
            msg += " (if the EDL is not 24 fps, pass --rate)"
        raise OtioInputError(f"cannot read {p}: {msg[:300]}") from None
    return _as_timeline(obj, p)


def _rate_for_edl(rate: str | None):
    if not rate:
        return 24
    from scenefill.engine.timing import parse_rate
    from scenefill.engine.errors import InvalidRequest
    try:
        return parse_rate(rate)
    except InvalidRequest as exc:
        raise OtioInputError(f"--rate: {exc.message}") from None


def _as_timeline(obj, p: Path) -> otio.schema.Timeline:
    if isinstance(obj, otio.schema.Timeline):
        tl = obj
    elif isinstance(obj, (otio.schema.Clip, otio.schema.Track, otio.schema.Stack)):
        tl = _wrap(p.stem, [obj])
    elif isinstance(obj, otio.schema.SerializableCollection):
        timelines = [x for x in obj.find_children(descended_from_type=otio.schema.Timeline)] \
            if hasattr(obj, "find_children") else []
        timelines = timelines or [x for x in obj if isinstance(x, otio.schema.Timeline)]
        if timelines:
            tl = timelines[0]
        else:
            clips = [x for x in obj if isinstance(x, otio.schema.Clip)]
            if not clips:
                raise OtioInputError(f"cannot read {p}: it holds no timeline and no clips")
            tl = _wrap(obj.name or p.stem, clips)
    else:
        raise OtioInputError(f"cannot read {p}: it holds a {type(obj).__name__}, not a timeline")
    _refuse_non_finite_times(tl, p)
    _normalise_edl_offset(tl)
    return tl


def _refuse_non_finite_times(tl: otio.schema.Timeline, p: Path) -> None:
    """Refuse a timeline holding an infinite or NaN time or rate (a corrupted or hand-edited
    file: ``<in>1e400</in>``, JSON ``Infinity``). Every frame computation later turns times into
    exact fractions, which cannot hold them; one line here instead of a traceback there."""
    def finite(t) -> bool:
        return t is None or (math.isfinite(t.value) and math.isfinite(t.rate))

    def check(obj, name: str) -> None:
        for attr in ("source_range", "marked_range"):
            r = getattr(obj, attr, None)
            if r is not None and not (finite(r.start_time) and finite(r.duration)):
                raise OtioInputError(f"cannot read {p}: a time in {name} is not a finite number")

    if not finite(tl.global_start_time):
        raise OtioInputError(f"cannot read {p}: the timeline's start time is not a finite number")
    for obj in [tl.tracks, *tl.tracks.find_children()]:
        label = f"{type(obj).__name__.lower()} {obj.name!r}" if obj.name else type(obj).__name__.lower()
        check(obj, label)
        for m in getattr(obj, "markers", None) or []:
            check(m, f"marker {m.name!r} on {label}")


def _wrap(name: str, items) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name=name)
    if len(items) == 1 and isinstance(items[0], otio.schema.Track):
        tl.tracks.append(items[0].clone())
        return tl
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for item in items:
        clone = item.clone()
        if isinstance(clone, otio.schema.Clip) and clone.source_range is None:
            try:
                clone.source_range = clone.available_range()
            except Exception:  # noqa: BLE001
                continue
        track.append(clone)
    tl.tracks.append(track)
    return tl


def _normalise_edl_offset(tl: otio.schema.Timeline) -> None:
    tracks = [t for t in tl.tracks if isinstance(t, otio.schema.Track)]
    if not tracks or any(t.source_range is None for t in tracks):
        return
    starts = {(t.source_range.start_time.value, t.source_range.start_time.rate) for t in tracks}
    if len(starts) != 1:
        return
    start = tracks[0].source_range.start_time
    if start.value >= 0:
        return
    gst = tl.global_start_time
    if gst is not None and gst.value != 0:
        return
    tl.global_start_time = otio.opentime.RationalTime(-start.value, start.rate)
    for t in tracks:
        t.source_range = None


# --------------------------------------------------------------------------- notes

@dataclass
class NoteItem:
    """A note and the exact timeline range it covers."""

    id: str                   # stable id (metadata.scenefill.id, AAF marker id, or derived)
    kind: str                 # "marker" | "clip"
    note: str
    start: int                # timeline frame (0 = timeline start)
    n_frames: int
    name: str = ""            # marker or clip name
    owner: str = ""           # where it sits, for people: "clip 'sh010' on V1"
    owner_kind: str = ""      # "timeline" | "track" | "clip" | "gap" | "stack"
    owner_name: str = ""
    anchor: int | None = None  # marker position in its owner's own time (clip source frames)
    color: str = ""
    point: bool = False       # zero / one-frame marker whose span was derived
    seed: int | None = None   # explicit metadata.scenefill.seed
    source_field: str = ""    # where the note text came from
    owner_end: int = 0        # end frame of the owner's visible range (point-marker spans)
    owner_key: int = 0        # identity of the owner (point markers span to the next one on it)
    obj: object = field(default=None, repr=False, compare=False)  # the Marker or Clip

    @property
    def end(self) -> int:
        return self.start + self.n_frames


@dataclass
class Skipped:
    what: str
    note: str
    reason: str


@dataclass
class Extraction:
    items: list[NoteItem]
    skipped: list[Skipped]
    rate: TimelineRate
    duration: int             # timeline length in frames
    markers_seen: int = 0
    clips_seen: int = 0


def marker_note(marker) -> tuple[str, str]:
    """(note, field it came from) -- first non-empty of comment, Resolve, FCP, SceneFill, name."""
    comment = getattr(marker, "comment", "") or ""
    if comment.strip():
        return comment.strip(), "comment"
    meta = marker.metadata
    for key, sub, label in (("Resolve_OTIO", "Note", "Resolve_OTIO.Note"),
                            ("fcp_xml", "comment", "fcp_xml.comment"),
                            (META_KEY, "note", "scenefill.note")):
        node = meta.get(key) if hasattr(meta, "get") else None
        value = node.get(sub) if hasattr(node, "get") else None
        if isinstance(value, str) and value.strip():
            return value.strip(), label
    if marker.name and marker.name.strip():
        return marker.name.strip(), "name"
    return "", ""


def clip_note(clip, sidecar: dict[str, str] | None) -> tuple[str, str]:
    meta = clip.metadata.get(META_KEY) if hasattr(clip.metadata, "get") else None
    value = meta.get("note") if hasattr(meta, "get") else None
    if isinstance(value, str) and value.strip():
        return value.strip(), "scenefill.note"
    if sidecar:
        for key in (clip.name, _media_basename(clip)):
            if key and key in sidecar and sidecar[key].strip():
                return sidecar[key].strip(), "sidecar"
    return "", ""


def _unmatched_sidecar_lines(names: list[str], sidecar: dict[str, str] | None) -> list[Skipped]:
    """A --notes line whose name matches none of the clips' ``names`` (an editor typed 'SH020' for
    'SH020 (TAKE1)'): named in the run's report, with the nearest clip name, instead of dropped
    without a word."""
    if not sidecar:
        return []
    import difflib

    out = []
    for key, note in sidecar.items():
        if key in names or not note.strip():
            continue
        near = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
        hint = f" (did you mean '{near[0]}'? names must match exactly)" if near else " (names must match exactly)"
        out.append(Skipped(f"--notes line '{key}'", note.strip(), "names no clip in the timeline" + hint))
    return out


def _media_basename(clip) -> str:
    ref = clip.media_reference
    url = getattr(ref, "target_url", "") or ""
    return os.path.basename(url.replace("\\", "/")) if url else ""


def looks_like_data(note: str) -> bool:
    """Pipeline metadata stored in a note field (Ayon and others write JSON there)."""
    text = note.strip()
    if not text or text[0] not in "{[":
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def load_sidecar(path: str | os.PathLike) -> dict[str, str]:
    """Clip name -> note from a CSV (columns clip,note; header optional) or JSON file.

    JSON may be ``{"clip": "note", ...}`` or ``[{"clip": ..., "note": ...}, ...]``.
    """
    p = Path(path)
    from scenefill.engine.output_paths import not_a_regular_input
    if (why := not_a_regular_input(p)) is not None:
        raise OtioInputError(f"cannot read notes file {why}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OtioInputError(f"cannot read notes file {p}: {exc.strerror or exc}") from None
    out: dict[str, str] = {}
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise OtioInputError(f"notes file {p} is not valid JSON: {exc}") from None
        if isinstance(data, dict):
            pairs = data.items()
        elif isinstance(data, list):
            try:
                pairs = [(row.get("clip") or row.get("name"), row.get("note")) for row in data]
            except AttributeError:
                raise OtioInputError(f"notes file {p}: expected objects with clip and note") from None
        else:
            raise OtioInputError(f"notes file {p}: expected an object or a list")
        for k, v in pairs:
            if isinstance(k, str) and isinstance(v, str):
                out[k] = v
    else:
        try:
            rows = list(csv.reader(text.splitlines()))
        except csv.Error as exc:   # e.g. a cell over the csv module's 128 KiB field limit
            raise OtioInputError(f"notes file {p} is not a clip,note CSV: {exc}") from None
        if rows and [c.strip().lower() for c in rows[0][:2]] in (["clip", "note"], ["name", "note"]):
            rows = rows[1:]
        for row in rows:
            if len(row) >= 2 and row[0].strip():
                out[row[0].strip()] = row[1]
    if not out:
        raise OtioInputError(f"notes file {p} maps no clip names to notes")
    return out


def _stable_hash(*parts) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:12]


def _explicit(obj, key):
    meta = obj.metadata.get(META_KEY) if hasattr(obj.metadata, "get") else None
    return meta.get(key) if hasattr(meta, "get") else None


class _Walker:
    """Visit every item with its timeline-visible range (ancestors clipped in)."""

    def __init__(self, tl: otio.schema.Timeline, rate: TimelineRate):
        self.tl = tl
        self.rate = rate
        self.root = tl.tracks
        self.root_start = rate.frame(self.root.trimmed_range().start_time) \
            if self.root.source_range is not None else 0

    def to_timeline(self, item, time_range) -> tuple[int, int]:
        """(start frame, end frame) in timeline frames of ``time_range`` in ``item``'s own time."""
        if item is self.root:
            tr = time_range
        else:
            tr = item.transformed_time_range(time_range, self.root)
        s = self.rate.frames(tr.start_time)
        e = s + self.rate.frames(tr.duration)
        return round_half_up(s) - self.root_start, round_half_up(e) - self.root_start

    def visible(self, item) -> tuple[int, int] | None:
        """Where ``item`` shows in the timeline (clipped by every parent), or None."""
        s, e = self.to_timeline(item, item.trimmed_range())
        parent = item.parent()
        while parent is not None and parent is not self.root:
            ps, pe = self.to_timeline(parent, parent.trimmed_range())
            s, e = max(s, ps), min(e, pe)
            parent = parent.parent()
        if item is not self.root and parent is None:
            return None
        return (s, e) if e > s else None

    def enabled(self, item) -> bool:
        node = item
        while node is not None:
            if getattr(node, "enabled", True) is False:
                return False
            node = node.parent()
        return True


def _owner_kind(item, root) -> str:
    if item is root:
        return "timeline"
    if isinstance(item, otio.schema.Track):
        return "track"
    if isinstance(item, otio.schema.Gap):
        return "gap"
    if isinstance(item, otio.schema.Stack):
        return "stack"
    return "clip"


def _track_of(item):
    node = item.parent()
    while node is not None and not isinstance(node, otio.schema.Track):
        node = node.parent()
    return node


def _describe(item, kind, root) -> str:
    if kind == "timeline":
        return "timeline"
    if kind == "track":
        return f"track {item.name or item.kind}"
    track = _track_of(item)
    where = f" on {track.name or track.kind}" if track is not None else ""
    return f"{kind} '{item.name}'{where}" if item.name else f"{kind}{where}"


def _generated_ancestor(item) -> bool:
    node = item
    while node is not None:
        if isinstance(node, otio.schema.Track) and is_generated_track(node):
            return True
        if isinstance(node, otio.schema.Clip) and is_generated_clip(node):
            return True
        node = node.parent()
    return False


def extract_notes(tl: otio.schema.Timeline, *, source: str = "both",
                  marker_colors: list[str] | None = None,
                  sidecar: dict[str, str] | None = None,
                  min_seconds: float = DEFAULT_MIN_SECONDS,
                  rate: TimelineRate | None = None,
                  rate_override: str | None = None) -> Extraction:
    """Every usable note in ``tl`` with its exact timeline range (see module doc for the rules)."""
    if source not in FROM_CHOICES:
        raise OtioInputError(f"--from must be one of {', '.join(FROM_CHOICES)}")
    rate = rate or detect_rate(tl, rate_override)
    walker = _Walker(tl, rate)
    duration = rate.frame(tl.tracks.trimmed_range().duration)
    colors = {c.upper() for c in marker_colors} if marker_colors else None
    skipped: list[Skipped] = []
    raw: list[NoteItem] = []
    markers_seen = clips_seen = 0

    if source in ("markers", "both"):
        owners = [tl.tracks] + list(tl.tracks.find_children(descended_from_type=otio.core.Item))
        for owner in owners:
            if not getattr(owner, "markers", None):
                continue
            if owner is not tl.tracks and (_generated_ancestor(owner) or not walker.enabled(owner)):
                continue
            kind = _owner_kind(owner, tl.tracks)
            vis = (0, duration) if owner is tl.tracks else walker.visible(owner)
            for m in owner.markers:
                markers_seen += 1
                note, field_name = marker_note(m)
                label = f"marker '{m.name}' on {_describe(owner, kind, tl.tracks)}"
                if not note:
                    continue
                if colors is not None and str(m.color).upper() not in colors:
                    continue
                if vis is None:
                    skipped.append(Skipped(label, note, "its item is not visible in the timeline"))
                    continue
                item = _marker_item(walker, owner, kind, m, note, field_name, vis, label)
                if item is None:
                    skipped.append(Skipped(label, note, "outside the visible part of its item"))
                    continue
                raw.append(item)

    if source in ("clips", "both"):
        names: set[str] = set()  # every clip's name and media file name, for the --notes lines
        for clip in tl.tracks.find_clips():
            if _generated_ancestor(clip):
                continue
            clips_seen += 1
            names.update(n for n in (clip.name, _media_basename(clip)) if n)
            note, field_name = clip_note(clip, sidecar)
            if not note or not walker.enabled(clip):
                continue
            vis = walker.visible(clip)
            label = _describe(clip, "clip", tl.tracks)
            if vis is None:
                skipped.append(Skipped(label, note, "not visible in the timeline"))
                continue
            track = _track_of(clip)
            explicit = _explicit(clip, "id")
            ident = str(explicit) if explicit else "c-" + _stable_hash(
                track.name if track is not None else "", clip.name, _media_basename(clip))
            seed = _explicit(clip, "seed")
            raw.append(NoteItem(
                id=ident, kind="clip", note=note, start=vis[0], n_frames=vis[1] - vis[0],
                name=clip.name, owner=label, owner_kind="clip", owner_name=clip.name,
                anchor=rate.frame(clip.trimmed_range().start_time), color="",
                seed=int(seed) if isinstance(seed, int) else None,
                source_field=field_name, obj=clip))
        skipped += _unmatched_sidecar_lines(sorted(names), sidecar)

    items = _dedupe(raw)
    _span_points(items)
    kept: list[NoteItem] = []
    min_frames = float(min_seconds) * float(rate.exact)
    for item in items:
        if looks_like_data(item.note):
            skipped.append(Skipped(item.owner if item.kind == "clip" else f"marker '{item.name}'",
                                   item.note, "the note is pipeline data (JSON), not a scene note"))
            continue
        if item.n_frames <= 0 or item.n_frames < min_frames:
            secs = item.n_frames / float(rate.exact)
            skipped.append(Skipped(_label(item), item.note,
                                   f"spans {secs:.2f} s, under --min-seconds {min_seconds:g}"))
            continue
        kept.append(item)
    _unique_ids(kept)
    kept.sort(key=lambda i: (i.start, i.end, i.id))
    return Extraction(kept, skipped, rate, duration, markers_seen, clips_seen)


def _label(item: NoteItem) -> str:
    return f"marker '{item.name}' on {item.owner}" if item.kind == "marker" else item.owner


def _marker_item(walker: _Walker, owner, kind: str, m, note: str, field_name: str,
                 vis: tuple[int, int], label: str) -> NoteItem | None:
    rate = walker.rate
    mr = m.marked_range
    own_frames = rate.frames(mr.duration)
    point = own_frames <= 1
    meta = m.metadata
    if "cmx_3600" in meta and kind == "clip":
        # The EDL reader stores LOC timecode as written: record timecode (OTIO #169).
        start, end = _edl_loc_range(walker, owner, m, vis)
    else:
        start, end = walker.to_timeline(owner, mr)
    if point:
        if not (vis[0] <= start < vis[1]):
            return None
        end = start  # span decided later
    else:
        start, end = max(start, vis[0]), min(end, vis[1])
        if end <= start:
            return None
    explicit = _explicit(m, "id")
    aaf = meta.get("AAF") if hasattr(meta, "get") else None
    aaf_id = None
    if hasattr(aaf, "get"):
        attrs = aaf.get("CommentMarkerAttributeList")
        if hasattr(attrs, "get") and attrs.get("_ATN_CRM_ID"):
            aaf_id = "aaf-" + str(attrs.get("_ATN_CRM_ID"))
    anchor = rate.frame(mr.start_time) if kind in ("clip", "gap", "stack") else None
    if explicit:
        ident = str(explicit)
    elif aaf_id:
        ident = aaf_id
    else:
        position = anchor if anchor is not None else start
        ident = "m-" + _stable_hash(kind, owner.name if kind != "timeline" else "",
                                    m.name, position, m.color)
    seed = _explicit(m, "seed")
    item = NoteItem(
        id=ident, kind="marker", note=note, start=start, n_frames=end - start, name=m.name,
        owner=_describe(owner, kind, walker.root), owner_kind=kind,
        owner_name=owner.name if kind != "timeline" else "", anchor=anchor,
        color=str(m.color), point=point, seed=int(seed) if isinstance(seed, int) else None,
        source_field=field_name, owner_end=vis[1], owner_key=id(owner), obj=m)
    return item


def _edl_loc_range(walker: _Walker, clip, m, vis) -> tuple[int, int]:
    rate = walker.rate
    record = rate.frame(m.marked_range.start_time) - rate.start_frame
    dur = rate.frame(m.marked_range.duration)
    if vis[0] <= record < vis[1]:
        return record, record + dur
    return walker.to_timeline(clip, m.marked_range)  # a source-time LOC after all


def _dedupe(items: list[NoteItem]) -> list[NoteItem]:
    seen: dict[tuple, NoteItem] = {}
    out = []
    for item in items:
        key = (item.kind, item.start, item.n_frames if not item.point else -1,
               " ".join(item.note.split()))
        if key in seen:
            first = seen[key]
            if item.point:
                first.owner_end = max(first.owner_end, item.owner_end)
            continue
        seen[key] = item
        out.append(item)
    return out


def _span_points(items: list[NoteItem]) -> None:
    by_owner: dict[int, list[int]] = {}
    for i in items:
        if i.kind == "marker":
            by_owner.setdefault(i.owner_key, []).append(i.start)
    for starts in by_owner.values():
        starts.sort()
    for item in items:
        if not item.point:
            continue
        starts = by_owner[item.owner_key]
        idx = bisect.bisect_right(starts, item.start)
        nxt = starts[idx] if idx < len(starts) else None
        end = item.owner_end
        if nxt is not None:
            end = min(end, nxt)
        item.n_frames = end - item.start


def _unique_ids(items: list[NoteItem]) -> None:
    seen: dict[str, int] = {}
    for item in items:
        n = seen.get(item.id, 0)
        seen[item.id] = n + 1
        if n:
            item.id = f"{item.id}-{n + 1}"


def assign_lanes(items: list[NoteItem]) -> list[list[NoteItem]]:
    """Place items on as few tracks as possible with no overlaps (first lane that fits)."""
    lanes: list[list[NoteItem]] = []
    for item in sorted(items, key=lambda i: (i.start, i.end)):
        for lane in lanes:
            if lane[-1].end <= item.start:
                lane.append(item)
                break
        else:
            lanes.append([item])
    return lanes
