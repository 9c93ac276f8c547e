"""Kdenlive (MLT XML): add SceneFill's audio tracks to the editor's own project, byte for byte otherwise.

The OTIO Kdenlive adapter rewrites the whole project and loses same-track mixes,
dissolves, groups, bin clip names, the document version, the project ``root`` and
the internal ``mix`` transitions (so ``melt`` plays only one audio track). Here the
original document is kept and only the following is inserted, at well-defined
points, in the layout Kdenlive 22.12+ writes:

* before the timeline (before ``main_bin`` or the timeline tractor, whichever
  comes first): per generated file a bin producer (``kdenlive:id``,
  ``kdenlive:clipname``, absolute ``resource``, ``kdenlive:folderid``, audio
  properties) and per placement a timeline producer; per lane a track as
  Kdenlive writes one (two playlists and a tractor with ``kdenlive:audio_track``,
  ``hide="video"``, ``kdenlive:track_name`` and the internal volume / panner /
  level filters), entries at the exact frames with blanks between them;
* in ``main_bin``: a "SceneFill" bin folder and one entry per bin clip;
* in the timeline tractor: the lanes' ``<track>`` lines directly below the video
  tracks (audio tracks come first in Kdenlive's track order, so SceneFill is the
  top audio track, A1) and one internal ``mix`` transition per lane to the
  background track (a_track 0), as Kdenlive writes for every audio track, so
  ``melt`` and Kdenlive mix SceneFill with every original audio track.

Putting the lanes below the video tracks moves the video tracks up by one
position per lane; the only original bytes that change are the numbers that
count tracks: ``a_track``/``b_track`` of the timeline tractor's transitions and,
in the document (or sequence) properties, the clip groups' track positions,
``activeTrack``, ``audioTarget`` and ``videoTarget``. :func:`strip` undoes all
of it exactly: ``strip(patch(doc, ...)) == strip(doc)``, and ``strip(doc) == doc``
for a document SceneFill never touched.

Everything we add carries the MLT property ``scenefill:generated`` (timeline
producers and bin producers also carry the provenance: note, seed, key, record
range, and the full provenance as JSON in ``scenefill:provenance``; the lane
tractor carries the fill settings), which :func:`strip` and :func:`annotate`
(conform reading a patched project through the OTIO reader) look for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from ..otio_common import META_KEY, TimelineRate, to_plain
from . import xmltext
from .lanes import Lane, Placement

GENERATED = "scenefill:generated"
PROVENANCE = "scenefill:provenance"
SETTINGS = "scenefill:settings"
LANE = "scenefill:lane"
FOLDER_NAME = "SceneFill"

#: properties (document or sequence) that hold a track position (track index minus the background track)
_TARGETS = ("activeTrack", "audioTarget", "videoTarget")
_BREAKS = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_GROUP_DATA = re.compile(rb'("data"\s*:\s*")(\d+)(:)')


class KdenliveDocumentError(ValueError):
    """The document is not a Kdenlive project we can patch (one line, for the CLI)."""


# --------------------------------------------------------------------------- the document's elements

class Node(xmltext.Node):
    """An element of an MLT document (byte spans from :func:`xmltext.parse`) with MLT's
    ``<property name="...">`` children readable by name."""

    def props(self) -> dict[str, "Node"]:
        return {c.attrs.get("name", ""): c for c in self.children if c.tag == "property"}

    def prop(self, name: str, default: str = "") -> str:
        for c in self.children:
            if c.tag == "property" and c.attrs.get("name") == name:
                return c.text
        return default

    @property
    def generated(self) -> bool:
        return self.prop(GENERATED) == "1"


def parse(doc: bytes) -> Node:
    """The document's element tree with byte offsets (no bytes are re-emitted from it)."""
    mlt = xmltext.parse(doc, "Kdenlive project", KdenliveDocumentError, node_class=Node)
    if mlt.tag != "mlt":
        raise KdenliveDocumentError("not an MLT document (no <mlt> root)")
    return mlt


@dataclass
class Layout:
    """Where things are in a Kdenlive document."""

    mlt: Node
    main_bin: Node
    timeline: Node              # the tractor whose tracks are the timeline's tracks
    tracks: list[Node]          # the timeline's <track> children, background track first
    by_id: dict[str, Node]
    sequence_props: bool        # track positions live in kdenlive:sequenceproperties.* on the timeline

    def track_tractor(self, track: Node) -> Node | None:
        return self.by_id.get(track.attrs.get("producer", ""))

    def is_audio(self, track: Node) -> bool:
        sub = self.track_tractor(track)
        return sub is not None and sub.prop("kdenlive:audio_track") not in ("", "0")

    def is_background(self, track: Node) -> bool:
        sub = self.track_tractor(track)
        return track.attrs.get("producer") == "black_track" or (
            sub is not None and sub.prop("kdenlive:playlistid") == "black_track")

    def position_props(self) -> list[Node]:
        """Property nodes that hold track positions (groups and targets) for this timeline."""
        if self.sequence_props:
            owner, prefix = self.timeline, "kdenlive:sequenceproperties."
        else:
            owner, prefix = self.main_bin, "kdenlive:docproperties."
        props = owner.props()
        return [props[prefix + k] for k in ("groups",) + _TARGETS if prefix + k in props]


def layout(mlt: Node) -> Layout:
    by_id = {}
    for node in mlt.children:
        if "id" in node.attrs:
            by_id[node.attrs["id"]] = node
    main_bin = by_id.get("main_bin")
    if main_bin is None or main_bin.tag != "playlist":
        raise KdenliveDocumentError("not a Kdenlive project (no main_bin playlist)")
    if main_bin.self_closing:
        raise KdenliveDocumentError("not a Kdenlive project (empty main_bin)")
    tractors = mlt.findall("tractor")
    timeline = next((t for t in tractors if t.attrs.get("global_feed") == "1"), None)
    if timeline is None:
        if not tractors:
            raise KdenliveDocumentError("not a Kdenlive project (no timeline tractor)")
        timeline = tractors[-1]
        if timeline.prop("kdenlive:projectTractor") == "1":       # Kdenlive 23.04+: a sequence
            tracks = timeline.findall("track")
            seq = by_id.get(tracks[0].attrs.get("producer", "")) if tracks else None
            if seq is None or seq.tag != "tractor":
                raise KdenliveDocumentError("cannot find the project's sequence tractor")
            timeline = seq
    tracks = timeline.findall("track")
    if not tracks:
        raise KdenliveDocumentError("the timeline tractor has no tracks")
    seq = any(n.startswith("kdenlive:sequenceproperties.") for n in timeline.props())
    return Layout(mlt, main_bin, timeline, tracks, by_id, seq)


# --------------------------------------------------------------------------- text edits

Edit = tuple[int, int, bytes]       # replace [start, end) with the bytes (xmltext.splice)


def _apply(doc: bytes, edits: list[Edit]) -> bytes:
    return xmltext.splice(doc, edits, KdenliveDocumentError)


def _insertion(doc: bytes, pos: int, blocks: list[str], child_indent: bool = False) -> Edit:
    """Insert element texts before ``pos``: as whole lines when ``pos`` starts a line, else inline.

    ``blocks`` are element texts written with a base indent of "" (their inner lines
    indented by one space per level, as Kdenlive writes); each is re-indented to the
    target's indentation (plus one space when inserting before a closing tag).
    """
    eol = xmltext.newline_of(doc)                      # the document's own line ends
    ind = xmltext.line_indent(doc, pos)
    if ind is None:
        return (pos, pos, "".join(blocks).replace("\n", eol).encode())
    base = ind + (" " if child_indent else "")
    lines = []
    for b in blocks:
        for line in b.split("\n"):
            lines.append(base + line + eol)
    ls = pos - len(ind)
    return (ls, ls, "".join(lines).encode())


# --------------------------------------------------------------------------- building our elements

def _prop(name: str, value) -> str:
    value = "" if value is None else str(value)
    if value == "":
        return f"<property name={quoteattr(name)}/>"
    # line breaks as character references: every element we write is whole lines we can re-indent
    return f"<property name={quoteattr(name)}>{escape(value, _BREAKS)}</property>"


def _element(tag: str, attrs: dict, props: list[tuple[str, object]], children: list[str] = ()) -> str:
    head = "<" + tag + "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items())
    body = [" " + _prop(n, v) for n, v in props]
    for c in children:
        body.extend(" " + line for line in c.split("\n"))
    if not body:
        return head + "/>"
    return head + ">\n" + "\n".join(body) + f"\n</{tag}>"


def _json(value) -> str:
    return json.dumps(to_plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _provenance_props(p: Placement) -> list[tuple[str, object]]:
    prov = to_plain(p.provenance or {})
    record = prov.get("record") or {}
    return [
        (GENERATED, 1),
        ("scenefill:note", p.note),
        ("scenefill:seed", prov.get("seed", "")),
        ("scenefill:key", prov.get("key", "")),
        ("scenefill:record.start", record.get("start", p.start)),
        ("scenefill:record.frames", record.get("frames", p.frames)),
        ("scenefill:record.timecode", record.get("timecode", "")),
        (PROVENANCE, _json(prov) if prov else ""),
    ]


def _audio_props(p: Placement, service: str) -> list[tuple[str, object]]:
    return [
        ("length", p.frames),
        ("eof", "pause"),
        ("resource", str(p.path)),
        ("audio_index", 0),
        ("video_index", -1),
        ("mute_on_pause", 0),
        ("mlt_service", service),
        ("seekable", 1),
        ("meta.media.nb_streams", 1),
        ("meta.media.0.stream.type", "audio"),
        ("meta.media.0.codec.sample_rate", p.sample_rate),
        ("meta.media.0.codec.channels", p.channels),
        ("meta.media.0.codec.name", {16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_f32le"}.get(p.bit_depth, "pcm")),
    ]


class _Ids:
    """Fresh element ids and Kdenlive clip ids that the document does not use yet."""

    def __init__(self, mlt: Node):
        self.used = set()
        self.next_clip = 1
        for node in mlt.iter():
            if "id" in node.attrs:
                self.used.add(node.attrs["id"])
            if node.tag == "property":
                name = node.attrs.get("name", "")
                if name in ("kdenlive:id", "kdenlive:folderid"):
                    self._seen_clip(node.text)
                elif name.startswith("kdenlive:folder."):
                    self._seen_clip(name.rsplit(".", 1)[-1])

    def _seen_clip(self, text: str) -> None:
        try:
            self.next_clip = max(self.next_clip, int(text.strip()) + 1)
        except ValueError:
            pass

    def element(self, kind: str) -> str:
        n = 0
        while f"scenefill_{kind}{n}" in self.used:
            n += 1
        ident = f"scenefill_{kind}{n}"
        self.used.add(ident)
        return ident

    def clip(self) -> int:
        c = self.next_clip
        self.next_clip += 1
        return c


def _track_filters(ids: _Ids) -> list[str]:
    """The internal filters Kdenlive writes on every audio track (disabled until the user sets them)."""
    return [
        _element("filter", {"id": ids.element("filter")}, [
            ("window", 75), ("max_gain", "20dB"), ("mlt_service", "volume"), ("internal_added", 237),
            ("disable", 1), (GENERATED, 1)]),
        _element("filter", {"id": ids.element("filter")}, [
            ("channel", -1), ("mlt_service", "panner"), ("internal_added", 237), ("start", 0.5),
            ("disable", 1), (GENERATED, 1)]),
        _element("filter", {"id": ids.element("filter")}, [
            ("iec_scale", 0), ("mlt_service", "audiolevel"), ("peak", 1), ("disable", 1), (GENERATED, 1)]),
    ]


def _mix_transition(ids: _Ids, b_track: int) -> str:
    return _element("transition", {"id": ids.element("transition")}, [
        ("a_track", 0), ("b_track", b_track), ("mlt_service", "mix"), ("kdenlive_id", "mix"),
        ("internal_added", 237), ("always_active", 1), ("accepts_blanks", 1), ("sum", 1), (GENERATED, 1)])


# --------------------------------------------------------------------------- strip

def _shift_text(text: bytes, shift) -> bytes | None:
    """A track-position value renumbered by ``shift`` (None: leave as is)."""
    s = text.decode()
    stripped = s.strip()
    if re.fullmatch(r"-?\d+", stripped):
        v = int(stripped)
        nv = shift(v) if v >= 0 else v
        return None if nv == v else s.replace(stripped, str(nv)).encode()
    if re.fullmatch(r"\d+:\d+(;\d+:\d+)*", stripped):    # "trackPos:stream;..." (audio targets)
        parts = []
        for pair in stripped.split(";"):
            t, st = pair.split(":")
            parts.append(f"{shift(int(t))}:{st}")
        new = ";".join(parts)
        return None if new == stripped else s.replace(stripped, new).encode()
    return None


def _renumber_edits(doc: bytes, lay: Layout, index_shift, skip: set[int]) -> list[Edit]:
    """Edits that renumber every track reference of the timeline.

    ``index_shift`` maps an original tractor track index (background = 0) to its new one;
    track *positions* (groups, targets) are indices minus one. Nodes whose start is in
    ``skip`` (our own transitions) are left alone.
    """
    edits = []

    def content(node: Node) -> tuple[int, int]:
        return node.head_end, node.tail_start

    for tr in lay.timeline.findall("transition"):
        if tr.start in skip:
            continue
        for name in ("a_track", "b_track"):
            node = tr.props().get(name)
            if node is None or node.self_closing:
                continue
            a, b = content(node)
            new = _shift_text(doc[a:b], index_shift)
            if new is not None:
                edits.append((a, b, new))

    def pos_shift(p: int) -> int:
        return index_shift(p + 1) - 1

    for node in lay.position_props():
        if node.self_closing:
            continue
        a, b = content(node)
        raw = doc[a:b]
        if node.attrs.get("name", "").endswith(".groups"):
            new = _GROUP_DATA.sub(lambda m: m.group(1) + str(pos_shift(int(m.group(2)))).encode() + m.group(3),
                                  raw)
            if new != raw:
                edits.append((a, b, new))
        else:
            new = _shift_text(raw, pos_shift)
            if new is not None:
                edits.append((a, b, new))
    return edits


@dataclass
class Ours:
    """Everything in a document that a SceneFill run added.

    Found by our ``scenefill:generated`` marks; a project Kdenlive re-saved keeps the marks on
    the clips (bin clips keep all their properties) but rebuilds tracks without them, so a
    timeline audio track whose every clip is one of ours counts as ours too, with the internal
    mix transition Kdenlive wrote for it.
    """

    tracks: list[int] = field(default_factory=list)         # indices in the timeline tractor
    nodes: list[Node] = field(default_factory=list)          # whole elements to remove
    transitions: set[int] = field(default_factory=set)       # start offsets of our transitions
    producers: set[str] = field(default_factory=set)
    lanes: list[tuple[int, Node]] = field(default_factory=list)   # (track index, lane tractor)


_PRODUCER_TAGS = ("producer", "chain")


def find_ours(mlt: Node, lay: Layout) -> Ours:
    ours = Ours()
    top = [n for n in mlt.children if "id" in n.attrs]
    marked = {n.attrs["id"] for n in top if n.tag in _PRODUCER_TAGS and n.generated}
    clip_ids = {lay.by_id[i].prop("kdenlive:id") for i in marked} - {""}
    producers = marked | {n.attrs["id"] for n in top if n.tag in _PRODUCER_TAGS
                          and n.prop("kdenlive:id") in clip_ids}
    if not producers and not any(n.generated for n in top):
        return ours
    bases = {FOLDER_NAME} | {str(_loads(lay.by_id[i].prop(SETTINGS)).get("track_name", "")) for i in marked} - {""}
    for i, t in enumerate(lay.tracks):
        sub = lay.track_tractor(t)
        if i == 0 or sub is None or sub.tag != "tractor" or lay.is_background(t):
            continue
        pls = [lay.by_id.get(x.attrs.get("producer", "")) for x in sub.findall("track")]
        pls = [pl for pl in pls if pl is not None and pl.tag == "playlist"]
        entries = [e for pl in pls for e in pl.findall("entry")]
        if sub.generated or (lay.is_audio(t) and _lane_name(sub.prop("kdenlive:track_name"), bases)
                             and entries and all(e.attrs.get("producer") in producers for e in entries)):
            ours.tracks.append(i)
            ours.lanes.append((i, sub))
            ours.nodes.append(t)
            ours.nodes.append(sub)
            ours.nodes.extend(pls)
    removed = {id(n) for n in ours.nodes}
    # a clip the editor moved onto a track of their own stays, with its producers
    used_elsewhere = set()
    skip = {id(d) for c in ours.nodes + [lay.main_bin] for d in c.iter()}
    for n in mlt.iter():
        if n.tag in ("entry", "track") and "producer" in n.attrs and id(n) not in skip:
            used_elsewhere.add(n.attrs["producer"])
    keep_clip_ids = {lay.by_id[p].prop("kdenlive:id") for p in used_elsewhere & producers}
    gone = {p for p in producers if p not in used_elsewhere and lay.by_id[p].prop("kdenlive:id") not in keep_clip_ids}
    ours.producers = gone
    folders = set()
    for n in top:
        if id(n) in removed:
            continue
        if (n.attrs["id"] in gone) or (n.generated and n.tag not in _PRODUCER_TAGS):
            ours.nodes.append(n)
            fid = n.prop("kdenlive:folderid")
            if fid not in ("", "-1"):
                folders.add(fid)
    remaining_folders = {n.prop("kdenlive:folderid") for n in top if n.tag in _PRODUCER_TAGS
                         and n.attrs["id"] not in gone}
    for c in lay.main_bin.children:
        if c.tag == "entry" and c.attrs.get("producer") in gone:
            ours.nodes.append(c)
        elif c.tag == "property" and c.attrs.get("name", "").startswith("kdenlive:folder.-1."):
            fid = c.attrs["name"].rsplit(".", 1)[-1]
            if fid in folders and fid not in remaining_folders:
                ours.nodes.append(c)
    track_set = set(ours.tracks)
    for tr in lay.timeline.findall("transition"):
        b = tr.prop("b_track").strip()
        internal_mix = (tr.prop("mlt_service") == "mix" and tr.prop("internal_added") == "237"
                        and b.isdigit() and int(b) in track_set)
        if tr.generated or internal_mix:
            ours.transitions.add(tr.start)
            ours.nodes.append(tr)
    return ours


def _lane_name(name: str, bases: set[str]) -> bool:
    """A track name SceneFill gives its lanes ("SceneFill", "SceneFill 2", ...): an editor's own
    track holding only clips they moved there from ours is theirs, not ours."""
    return any(name == b or re.fullmatch(re.escape(b) + r" \d+", name) for b in bases)


def strip(document: bytes) -> bytes:
    """The document without anything a SceneFill run added (and its tracks renumbered back)."""
    mlt = parse(document)
    lay = layout(mlt)
    ours = find_ours(mlt, lay)
    if not ours.nodes:
        return document
    edits = [xmltext.removal(document, n) for n in ours.nodes]
    removed_tracks = ours.tracks

    def back(i: int) -> int:
        return i - sum(1 for r in removed_tracks if r < i)

    edits += _renumber_edits(document, lay, back, ours.transitions)
    return _apply(document, edits)


# --------------------------------------------------------------------------- patch

def patch(original: bytes, lanes: list[Lane], rate: TimelineRate) -> bytes:
    """``original`` (any earlier SceneFill tracks removed) with ``lanes`` added as Kdenlive audio tracks."""
    base = strip(original)
    lanes = [ln for ln in lanes if ln.placements]
    if not lanes:
        return base
    mlt = parse(base)
    lay = layout(mlt)
    ids = _Ids(mlt)
    _check_rate(mlt, rate)

    folder_id = ids.clip()
    bin_of: dict[str, tuple[str, int]] = {}     # media path -> (bin producer id, kdenlive:id)
    defs: list[str] = []                        # producers, playlists and track tractors
    bin_entries: list[str] = []
    lane_tractors: list[str] = []               # ids, lane order

    for lane in lanes:
        for p in lane.placements:
            key = str(p.path)
            if key in bin_of:
                continue
            pid, cid = ids.element("bin"), ids.clip()
            bin_of[key] = (pid, cid)
            defs.append(_element("producer", {"id": pid, "in": 0, "out": p.frames - 1},
                                 _audio_props(p, "avformat-novalidate") + [
                                     ("kdenlive:clipname", p.name), ("kdenlive:clip_type", 1),
                                     ("kdenlive:folderid", folder_id), ("kdenlive:id", cid),
                                     ] + _provenance_props(p)
                                 # a Kdenlive re-save rebuilds tracks (our settings with them); bin clips stay
                                 + [(SETTINGS, _json(_lane_settings(lane)) if _lane_settings(lane) else "")]))
            bin_entries.append(_element("entry", {"producer": pid, "in": 0, "out": p.frames - 1}, []))

    for lane in lanes:
        items = []
        pos = 0
        for p in sorted(lane.placements, key=lambda q: q.start):
            if p.start < pos:
                raise KdenliveDocumentError(f"lane {lane.name!r}: clips overlap at frame {p.start}")
            if p.frames <= 0:
                continue
            bin_pid, cid = bin_of[str(p.path)]
            tid = ids.element("producer")
            defs.append(_element("producer", {"id": tid, "in": 0, "out": p.frames - 1},
                                 _audio_props(p, "avformat-novalidate") + [
                                     ("kdenlive:clipname", p.name), ("kdenlive:clip_type", 1),
                                     ("kdenlive:folderid", folder_id), ("kdenlive:id", cid),
                                     ("set.test_audio", 0), ("set.test_image", 1),
                                     ] + _provenance_props(p)))
            if p.start > pos:
                items.append(_element("blank", {"length": p.start - pos}, []))
            items.append(_element("entry", {"producer": tid, "in": 0, "out": p.frames - 1},
                                  [("kdenlive:id", cid), (GENERATED, 1),
                                   ("scenefill:key", (p.provenance or {}).get("key", ""))]))
            pos = p.end
        pl_a, pl_b, tr = ids.element("playlist"), ids.element("playlist"), ids.element("tractor")
        defs.append(_element("playlist", {"id": pl_a}, [("kdenlive:audio_track", 1), (GENERATED, 1)], items))
        defs.append(_element("playlist", {"id": pl_b}, [("kdenlive:audio_track", 1), (GENERATED, 1)]))
        settings = _lane_settings(lane)
        defs.append(_element("tractor", {"id": tr, "in": 0, "out": max(pos - 1, 0)}, [
            ("kdenlive:audio_track", 1), ("kdenlive:trackheight", 67), ("kdenlive:timeline_active", 1),
            ("kdenlive:collapsed", 0), ("kdenlive:track_name", lane.name), ("kdenlive:thumbs_format", ""),
            ("kdenlive:audio_rec", ""), (GENERATED, 1), (LANE, lane.index),
            (SETTINGS, _json(settings) if settings else ""),
        ], [_element("track", {"hide": "video", "producer": pl_a}, []),
            _element("track", {"hide": "video", "producer": pl_b}, [])] + _track_filters(ids)))
        lane_tractors.append(tr)

    # where the lanes go: directly below the lowest video track (audio tracks come first)
    q = next((i for i, t in enumerate(lay.tracks) if i > 0 and not lay.is_audio(t)), len(lay.tracks))
    k = len(lane_tractors)
    track_lines = [_element("track", {"producer": tr}, []) for tr in reversed(lane_tractors)]
    mixes = [_mix_transition(ids, q + i) for i in range(k)]

    # insertions at one point go in in the order listed (xmltext.splice): the lanes' tracks before their mixes
    edits: list[Edit] = []
    first = min(lay.main_bin.start, lay.timeline.start)
    edits.append(_insertion(base, first, defs))
    folder = _prop(f"kdenlive:folder.-1.{folder_id}", FOLDER_NAME)
    edits.append(_insertion(base, lay.main_bin.tail_start, [folder] + bin_entries, child_indent=True))

    kids = lay.timeline.children
    if q < len(lay.tracks):
        edits.append(_insertion(base, lay.tracks[q].start, track_lines))
    else:
        after = [c for c in kids if c.start > lay.tracks[-1].start and c.tag != "track"]
        at = after[0].start if after else lay.timeline.tail_start
        edits.append(_insertion(base, at, track_lines, child_indent=not after))
    transitions = lay.timeline.findall("transition")
    anchor = transitions[-1] if transitions else lay.tracks[-1]
    following = [c for c in kids if c.start > anchor.start and c.tag not in ("track", "transition")]
    if following:
        edits.append(_insertion(base, following[0].start, mixes))
    else:
        edits.append(_insertion(base, lay.timeline.tail_start, mixes, child_indent=True))

    def up(i: int) -> int:
        return i + k if i >= q else i

    edits += _renumber_edits(base, lay, up, set())
    out = _apply(base, edits)
    if strip(out) != base:                       # never write what we could not take back out
        raise KdenliveDocumentError("internal error: the SceneFill tracks could not be separated again")
    return out


def _lane_settings(lane: Lane) -> dict:
    """The lane's fill settings: on the lane, or (as otio_write passes them) in each placement's provenance."""
    settings = getattr(lane, "settings", None)
    if not settings:
        settings = next((p.provenance.get("settings") for p in lane.placements
                         if hasattr(p.provenance, "get") and p.provenance.get("settings")), None)
    return to_plain(settings) if settings else {}


def _check_rate(mlt: Node, rate: TimelineRate) -> None:
    prof = mlt.findall("profile")
    if not prof:
        return
    try:
        num = int(prof[0].attrs.get("frame_rate_num", "0"))
        den = int(prof[0].attrs.get("frame_rate_den", "1") or 1)
    except ValueError:
        return
    if num > 0 and den > 0 and abs(num / den - float(rate.exact)) > 1e-6:
        raise KdenliveDocumentError(
            f"the project is at {num / den:g} fps but the notes were timed at {float(rate.exact):g} fps")


# --------------------------------------------------------------------------- reading our tracks back

def read_lanes(document: bytes) -> list[dict]:
    """Our lanes as they stand in the document: per lane its name, settings and clips (position,
    frames, resource, provenance), in the timeline's track order."""
    mlt = parse(document)
    lay = layout(mlt)
    fps = _fps(mlt)
    ours = find_ours(mlt, lay)
    bins = {}
    for n in mlt.children:
        if n.tag in _PRODUCER_TAGS and n.prop(PROVENANCE):
            bins.setdefault(n.prop("kdenlive:id"), n)
    lanes = []
    for index, sub in ours.lanes:
        clips = []
        bin_nodes: list[Node] = []
        for pt in sub.findall("track"):
            pl = lay.by_id.get(pt.attrs.get("producer", ""))
            if pl is None:
                continue
            pos = 0
            for item in pl.children:
                if item.tag == "blank":
                    pos += _frames(item.attrs.get("length", "0"), fps)
                elif item.tag == "entry":
                    prod = lay.by_id.get(item.attrs.get("producer", ""))
                    n = _frames(item.attrs.get("out", "0"), fps) - _frames(item.attrs.get("in", "0"), fps) + 1
                    src = prod if prod is not None and prod.prop(PROVENANCE) else bins.get(
                        prod.prop("kdenlive:id") if prod is not None else "")
                    prov = _loads(src.prop(PROVENANCE)) if src is not None else {}
                    if src is not None:
                        bin_nodes.append(bins.get(src.prop("kdenlive:id"), src))
                    clips.append({"start": pos, "frames": n, "provenance": prov,
                                  "resource": prod.prop("resource") if prod is not None else ""})
                    pos += n
        clips.sort(key=lambda c: c["start"])
        settings = _loads(sub.prop(SETTINGS)) or next(
            (_loads(b.prop(SETTINGS)) for b in bin_nodes if b.prop(SETTINGS)), {})
        lanes.append({"name": sub.prop("kdenlive:track_name"), "lane": sub.prop(LANE),
                      "settings": settings, "clips": clips, "track_index": index})
    return lanes


def _fps(mlt: Node) -> float:
    prof = mlt.findall("profile")
    try:
        return int(prof[0].attrs["frame_rate_num"]) / int(prof[0].attrs.get("frame_rate_den", "1") or 1)
    except (IndexError, KeyError, ValueError, ZeroDivisionError):
        return 25.0


def _loads(text: str) -> dict:
    if not text:
        return {}
    try:
        v = json.loads(text)
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}


def _frames(value: str, fps: float) -> int:
    """A frame count (what we write), or a clock string ``hh:mm:ss.mmm`` as Kdenlive re-saves (MLT's rounding)."""
    value = value.strip()
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    m = re.fullmatch(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:[.,]\d*)?)", value)
    if not m:
        raise KdenliveDocumentError(f"cannot read the time {value!r}")
    parts = [p for p in m.groups()[:2] if p is not None]
    hours, minutes = (int(parts[0]), int(parts[1])) if len(parts) == 2 else (0, int(parts[0]) if parts else 0)
    seconds = float(m.group(3).replace(",", "."))
    return round(fps * (hours * 3600 + minutes * 60 + seconds))


def annotate(tl, document: bytes) -> int:
    """Give the OTIO tracks/clips the Kdenlive reader made from our lanes their SceneFill metadata.

    The OTIO reader keeps no MLT properties; conform needs the provenance, so it is read
    from our own properties and matched by track index (the reader makes one OTIO track per
    timeline track but the background) and clip order. Returns the number of clips annotated.
    """
    import opentimelineio as otio

    mlt = parse(document)
    lay = layout(mlt)
    otio_index = {}
    n = 0
    for i, t in enumerate(lay.tracks):
        if lay.is_background(t):
            continue
        otio_index[i] = n
        n += 1
    tracks = [t for t in tl.tracks if isinstance(t, otio.schema.Track)]
    done = 0
    for lane in read_lanes(document):
        idx = otio_index.get(lane["track_index"])
        if idx is None or idx >= len(tracks):
            continue
        track = tracks[idx]
        meta = {"generated": True}
        if lane["lane"].strip().lstrip("-").isdigit():
            meta["lane"] = int(lane["lane"])
        if lane["settings"]:
            meta["settings"] = lane["settings"]
        track.metadata[META_KEY] = meta
        clips = list(track.find_clips())
        for clip, info in zip(clips, lane["clips"]):
            if info["provenance"]:
                clip.metadata[META_KEY] = info["provenance"]
                done += 1
    return done


__all__ = ["patch", "strip", "parse", "annotate", "read_lanes", "find_ours", "layout", "KdenliveDocumentError",
           "GENERATED", "PROVENANCE"]
