"""Patch an FCPXML document: SceneFill clips as connected audio clips, touch nothing else.

What is added:

* in ``<resources>``, after its last child, one ``<asset>`` per generated file
  (audio only: ``hasAudio``, channels, rate, exact duration; the file as ``src``
  before FCPXML 1.9 or a ``<media-rep>`` from 1.9 on);
* per placement, an ``<asset-clip>`` connected to the primary-storyline item that
  is on screen at the clip's first frame, on a lane below every lane the project
  already uses (``lane="-2"`` and lower), its ``offset`` in that item's own time
  (``start + (T - offset)``), every time an exact rational (``1001/24000s``) in the
  timeline's frame duration; role ``effects`` (``dialogue`` for voiced notes);
  the note as its ``<note>`` and SceneFill's provenance in ``<metadata><md
  key="com.scenefill.provenance">`` -- both valid FCPXML, so FCP keeps them.

Every element we add starts with a newline and the indentation we chose, right
after an existing element's end, so :func:`strip` (remove our assets and
asset-clips with that whitespace; give back an item we had to open -- ``<gap/>``
-> ``<gap>...</gap>`` -- its self-closing form) returns the original bytes.
Assets re-exported by FCP (our ids renumbered) are recognised by SceneFill's
media names.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from fractions import Fraction
from urllib.parse import quote, unquote, urlsplit

from ..otio_common import MEDIA_NAME_RE, OtioInputError, TimelineRate
from .lanes import Lane, Placement
from .xmltext import Node, attr, indent_of, leading_space, newline_of, parse, splice, text

ID_PREFIX = "scenefill-"
PROV_KEY = "com.scenefill.provenance"
OPENED_KEY = "com.scenefill.opened-parent"     # we turned the parent's <x/> into <x>...</x>
WHAT = "FCPXML"

#: children that must come after anchored items inside a clip (FCPXML DTD order)
_TRAILING = {"marker", "chapter-marker", "rating", "keyword", "analysis-marker", "audio-channel-source",
             "audio-role-source", "sync-source", "filter-video", "filter-video-mask", "filter-audio",
             "metadata", "reserved"}
#: primary-storyline items a clip can be connected to (an audition: its active pick, the first child)
_ANCHORS = {"clip", "asset-clip", "ref-clip", "sync-clip", "mc-clip", "gap", "title", "video", "audio",
            "audition"}
_TIME = re.compile(r"^\s*(-?\d+)(?:/(\d+))?s\s*$")


# --------------------------------------------------------------------------- time

def parse_time(value: str | None, default: Fraction = Fraction(0)) -> Fraction:
    """An FCPXML time (``"1001/24000s"``, ``"10s"``) as an exact Fraction of seconds."""
    if not value:
        return default
    m = _TIME.match(value)
    if not m:
        raise OtioInputError(f"FCPXML: cannot read the time {value!r}")
    return Fraction(int(m.group(1)), int(m.group(2) or 1))


def format_time(value: Fraction, denominator: int) -> str:
    """``value`` as FCPXML writes it: ``0s``, ``Ns`` or ``N/Ds`` with the timeline's denominator."""
    if value == 0:
        return "0s"
    if value.denominator == 1:
        return f"{value.numerator}s"
    scaled = value * denominator
    if scaled.denominator == 1:
        return f"{scaled.numerator}/{denominator}s"
    return f"{value.numerator}/{value.denominator}s"


def file_url(path: os.PathLike | str) -> str:
    return "file://" + quote(os.path.abspath(str(path)).replace(os.sep, "/"), safe="/")


def path_from_url(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme in ("", "file") else url


# --------------------------------------------------------------------------- the document

def _project_sequence(root: Node) -> Node:
    if root.tag != "fcpxml":
        raise OtioInputError(f"not an FCPXML document (root <{root.tag}>, expected <fcpxml>)")
    for seq in root.iter("sequence"):
        if seq.parent is not None and seq.parent.tag == "project":
            return seq
    raise OtioInputError("the FCPXML has no project sequence to add the SceneFill clips to")


def _version(root: Node) -> tuple[int, int]:
    try:
        major, minor = root.attrs.get("version", "1.8").split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return 1, 8


def _asset_src(asset: Node) -> str:
    if asset.attrs.get("src"):
        return asset.attrs["src"]
    rep = asset.find("media-rep")
    return rep.attrs.get("src", "") if rep is not None else ""


def _our_assets(root: Node) -> dict[str, Node]:
    """id -> asset for the assets SceneFill added (ours by id, or by SceneFill's media names)."""
    out = {}
    res = root.find("resources")
    for asset in (res.findall("asset") if res is not None else []):
        ident = asset.attrs.get("id", "")
        name = posixpath.basename(path_from_url(_asset_src(asset)))
        if ident.startswith(ID_PREFIX) or MEDIA_NAME_RE.search(name):
            out[ident] = asset
    return out


def _md(node: Node, key: str) -> str | None:
    meta = node.find("metadata")
    for md in (meta.findall("md") if meta is not None else []):
        if md.attrs.get("key") == key:
            return md.attrs.get("value", "")
    return None


# --------------------------------------------------------------------------- strip

def strip(document: bytes) -> bytes:
    """``document`` without the assets and connected clips an earlier SceneFill run added."""
    root = parse(document, WHAT)
    assets = _our_assets(root)
    if not assets:
        return document
    edits = []
    opened: dict[int, Node] = {}
    removed: dict[int, int] = {}
    for clip in root.iter("asset-clip"):
        if clip.attrs.get("ref") in assets and clip.attrs.get("lane", "0").startswith("-"):
            parent = clip.parent
            if parent is not None and _md(clip, OPENED_KEY) is not None:
                opened[id(parent)] = parent
            else:
                edits.append((leading_space(document, clip.start), clip.end, b""))
            removed[id(parent)] = removed.get(id(parent), 0) + 1
    for parent in opened.values():
        # everything inside is ours: give back "<x .../>"
        if removed[id(parent)] == len(parent.children):
            edits.append((parent.head_end - 1, parent.end, b"/>"))
        else:   # an editor added children since: keep them, remove only ours
            for c in parent.children:
                if c.attrs.get("ref") in assets:
                    edits.append((leading_space(document, c.start), c.end, b""))
    for asset in assets.values():
        edits.append((leading_space(document, asset.start), asset.end, b""))
    return splice(document, edits)


# --------------------------------------------------------------------------- patch

def patch(original: bytes, lanes: list[Lane], rate: TimelineRate) -> bytes:
    """``original`` with SceneFill's lanes as connected audio clips (an earlier run's replaced)."""
    doc = strip(original)
    root = parse(doc, WHAT)
    lanes = [lane for lane in lanes if lane.placements]
    if not lanes:
        return doc
    seq = _project_sequence(root)
    spine = seq.find("spine")
    resources = root.find("resources")
    if spine is None or resources is None or resources.self_closing:
        raise OtioInputError("the FCPXML project has no spine or resources to add to (use --sidecar)")
    formats = {f.attrs.get("id"): f for f in resources.findall("format")}
    fmt = formats.get(seq.attrs.get("format", ""))
    spelled = fmt.attrs.get("frameDuration") if fmt is not None else None
    fd = parse_time(spelled, Fraction(1) / rate.exact)
    if fd != 1 / rate.exact:
        raise OtioInputError(f"the FCPXML sequence's frame duration {spelled} does not match "
                             f"{rate.label} fps")
    den = int(_TIME.match(spelled).group(2) or 1) if spelled else (1 / rate.exact).denominator
    den = max(den, fd.denominator)
    tc_format = seq.attrs.get("tcFormat", "DF" if rate.drop_frame else "NDF")
    taken = {n.attrs["id"] for n in root.iter() if "id" in n.attrs}
    lowest = min([0] + [int(n.attrs["lane"]) for n in seq.iter() if n.attrs.get("lane", "").lstrip("-").isdigit()])
    nl = newline_of(doc)
    new_style = _version(root) >= (1, 9)

    # assets
    asset_ids: dict[str, str] = {}
    asset_text = []
    res_indent = indent_of(doc, resources.children[0]) if resources.children else indent_of(doc, resources) + "    "
    for lane in lanes:
        for p in lane.placements:
            key = str(p.path)
            if key in asset_ids:
                continue
            ident = ID_PREFIX + "r1"
            n = 1
            while ident in taken:
                n += 1
                ident = f"{ID_PREFIX}r{n}"
            taken.add(ident)
            asset_ids[key] = ident
            asset_text.append(nl + res_indent + _asset(p, ident, new_style, den))
    res_at = resources.children[-1].end if resources.children else resources.head_end
    edits = [(res_at, res_at, "".join(asset_text).encode())]

    # connected clips, grouped by the primary item they hang from
    items = [c for c in spine.children if c.tag in _ANCHORS and "offset" in c.attrs]
    if not items:
        raise OtioInputError("the FCPXML primary storyline is empty: nothing to connect the SceneFill clips to")
    groups: dict[int, tuple[Node, list[str]]] = {}
    for lane in lanes:
        lane_no = lowest - 1 - lane.index
        for p in lane.placements:
            # sequence time: FCPXML spine offsets include tcStart; OTIO's reader counts frames from 0s
            # (no global start), an .otio source from its global start -- both are start_frame + start
            t = (rate.start_frame + p.start) * fd
            item = _container(items, t)
            parent = item
            if item.tag == "audition":          # its children are alternatives: connect to the active one
                picks = [c for c in item.children if c.tag in _ANCHORS]
                if not picks:
                    raise OtioInputError("an FCPXML audition without clips: cannot connect to it")
                parent = picks[0]
            local = parse_time(parent.attrs.get("start")) + t - parse_time(item.attrs.get("offset"))
            groups.setdefault(id(parent), (parent, []))[1].append(
                _asset_clip(p, asset_ids[str(p.path)], lane_no, local, p.frames * fd, den, tc_format,
                            opened=parent.self_closing))
    for parent, clips in groups.values():
        if parent.self_closing:
            indent = indent_of(doc, parent)
            inner = indent + ("    " if not indent or indent[-1] == " " else "\t")
            body = "".join(nl + inner + c for c in clips)
            edits.append((parent.head_end - 2, parent.head_end,
                          f">{body}{nl}{indent}</{parent.tag}>".encode()))
            continue
        lead = [c for c in parent.children if c.tag not in _TRAILING]
        before = parent.children[:parent.children.index(lead[-1]) + 1] if lead else []
        inner = indent_of(doc, parent.children[0]) if parent.children else indent_of(doc, parent) + "    "
        at = before[-1].end if before else parent.head_end
        edits.append((at, at, "".join(nl + inner + c for c in clips).encode()))
    return splice(doc, edits)


def _container(items: list[Node], t: Fraction) -> Node:
    """The primary item on screen at sequence time ``t`` (the last one when ``t`` is past the end)."""
    for item in items:
        off = parse_time(item.attrs.get("offset"))
        if off <= t < off + parse_time(item.attrs.get("duration")):
            return item
    before = [i for i in items if parse_time(i.attrs.get("offset")) <= t]
    return before[-1] if before else items[0]


def _uid(path) -> str:
    return hashlib.md5(str(path).encode()).hexdigest().upper()


def _asset(p: Placement, ident: str, new_style: bool, den: int) -> str:
    duration = Fraction(p.samples, p.sample_rate)
    src = file_url(p.path)
    head = (f"<asset id={attr(ident)} name={attr(p.path.stem)} uid=\"{_uid(p.path)}\" start=\"0s\" "
            f"duration=\"{format_time(duration, p.sample_rate)}\" hasAudio=\"1\" audioSources=\"1\" "
            f"audioChannels=\"{p.channels}\" audioRate=\"{p.sample_rate}\"")
    if new_style:
        return f"{head}><media-rep kind=\"original-media\" src={attr(src)}/></asset>"
    return f"{head} src={attr(src)}/>"


def _role(p: Placement) -> str:
    voice = ((p.provenance or {}).get("request") or {}).get("voice")
    return "dialogue" if voice else "effects"


def _asset_clip(p: Placement, ref: str, lane: int, offset: Fraction, duration: Fraction, den: int,
                tc_format: str, opened: bool) -> str:
    md = ""
    if p.provenance:
        md += f"<md key=\"{PROV_KEY}\" value={attr(json.dumps(p.provenance, sort_keys=True, separators=(',', ':')))}/>"
    if opened:
        md += f"<md key=\"{OPENED_KEY}\" value=\"1\"/>"
    meta = f"<metadata>{md}</metadata>" if md else ""
    return (f"<asset-clip ref={attr(ref)} lane=\"{lane}\" offset=\"{format_time(offset, den)}\" "
            f"name={attr(p.name)} start=\"0s\" duration=\"{format_time(duration, den)}\" "
            f"audioRole=\"{_role(p)}\" tcFormat={attr(tc_format)}>"
            f"<note>{text(p.note)}</note>{meta}</asset-clip>")


# --------------------------------------------------------------------------- provenance

def provenance(document: bytes) -> dict[str, dict]:
    """Media path -> SceneFill provenance from our asset-clips' metadata."""
    root = parse(document, WHAT)
    res = root.find("resources")
    srcs = {a.attrs.get("id"): _asset_src(a) for a in (res.findall("asset") if res is not None else [])}
    out: dict[str, dict] = {}
    for clip in root.iter("asset-clip"):
        value = _md(clip, PROV_KEY)
        if not value:
            continue
        try:
            prov = json.loads(value)
        except ValueError:
            continue
        src = srcs.get(clip.attrs.get("ref"))
        if src:
            out.setdefault(path_from_url(src), prov)
    return out


__all__ = ["patch", "strip", "provenance", "parse_time", "format_time", "file_url", "path_from_url"]
