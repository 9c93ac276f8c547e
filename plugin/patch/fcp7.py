"""Patch an FCP7 / Premiere XML (xmeml) document: add SceneFill audio tracks, touch nothing else.

What is added, inside the sequence's ``<media><audio>`` after its last track:

* per lane, one ``<track>`` per channel (a stereo file gives a pair, the way FCP7
  and Premiere themselves write a stereo clip: ``premiereTrackType="Stereo"``,
  exploded-track attributes, ``outputchannelindex`` 1 and 2, ``sourcetrack``
  channel 1 and 2, the two clipitems linked), so an importer brings in both
  channels and keeps them together;
* per placement, a ``<clipitem>`` at its exact record frames with a full
  ``<file>`` (``file://localhost`` URL, percent-encoded; the sequence's own
  ``<rate>`` including its ``ntsc`` flag; 24-bit/48 kHz sample characteristics;
  channel count and layout), the note as the clip's master comment and log
  description, and SceneFill's provenance as JSON in ``<logginginfo><lognote>``
  (FCP7 and Premiere keep logging info when they re-export, so a conform can
  recover it).

Our tracks carry a ``scenefill`` attribute (and Premiere's ``MZ.TrackName``);
:func:`strip` removes exactly those spans (with the whitespace we put before
them), so strip(patch(doc)) == doc byte for byte. Tracks an editor's application
re-exported (our attribute gone) are recognised by SceneFill's media names.
"""

from __future__ import annotations

import json
import os
import posixpath
from fractions import Fraction
from urllib.parse import quote, unquote, urlsplit

from ..otio_common import MEDIA_NAME_RE, OtioInputError, TimelineRate
from .lanes import Lane, Placement
from .xmltext import Node, attr, indent_of, leading_space, newline_of, parse, splice, text

MARK = "scenefill"              # attribute on every element we add at the top of a span
PROV_PREFIX = "scenefill:"      # <lognote> text that carries our provenance JSON
WHAT = "FCP7 XML"


# --------------------------------------------------------------------------- reading the document

def _sequence(root: Node) -> Node:
    """The sequence OTIO's reader takes as the timeline: the first one not nested in a clip."""
    if root.tag != "xmeml":
        raise OtioInputError(f"not an FCP7 XML document (root <{root.tag}>, expected <xmeml>)")
    for seq in root.iter("sequence"):
        if not any(a.tag in ("clipitem", "sequence") for a in seq.ancestors()):
            return seq
    raise OtioInputError("the FCP7 XML has no sequence to add the SceneFill track to")


def _seq_rate(seq: Node, rate: TimelineRate) -> tuple[str, str]:
    """(timebase, ntsc) exactly as the sequence spells them (derived from the rate when absent)."""
    r = seq.find("rate")
    if r is not None and r.child_text("timebase"):
        return r.child_text("timebase"), (r.child_text("ntsc") or "FALSE").upper()
    ntsc = rate.exact.denominator == 1001
    return str(round(rate.exact * 1001 / 1000) if ntsc else int(rate.exact)), "TRUE" if ntsc else "FALSE"


def _display_format(seq: Node, rate: TimelineRate) -> str:
    tc = seq.find("timecode")
    if tc is not None and tc.child_text("displayformat"):
        return tc.child_text("displayformat")
    return "DF" if rate.drop_frame else "NDF"


def _file_urls(root: Node) -> dict[str, str]:
    """file id -> pathurl, from every full <file> definition in the document."""
    urls = {}
    for f in root.iter("file"):
        url = f.child_text("pathurl")
        if url and f.attrs.get("id"):
            urls.setdefault(f.attrs["id"], url)
    return urls


def _clip_urls(clip: Node, urls: dict[str, str]) -> list[str]:
    out = []
    for f in clip.findall("file"):
        url = f.child_text("pathurl") or urls.get(f.attrs.get("id", ""), "")
        if url:
            out.append(url)
    return out


def _is_ours(track: Node, urls: dict[str, str]) -> bool:
    """Our track: marked, or (re-exported by an NLE) every clip plays a SceneFill media file."""
    if MARK in track.attrs:
        return True
    clips = track.findall("clipitem")
    if not clips:
        return False
    for c in clips:
        names = [posixpath.basename(unquote(urlsplit(u).path)) for u in _clip_urls(c, urls)]
        if not names or not all(MEDIA_NAME_RE.search(n) for n in names):
            return False
    return True


def path_from_url(url: str) -> str:
    """A local path from a file:// URL (``file://localhost/...`` or ``file:///...``)."""
    parts = urlsplit(url)
    if parts.scheme and parts.scheme != "file":
        return url
    return unquote(parts.path)


def file_url(path: os.PathLike | str) -> str:
    """``file://localhost`` + the absolute path, percent-encoded as FCP7 and Premiere write it."""
    return "file://localhost" + quote(os.path.abspath(str(path)).replace(os.sep, "/"), safe="/")


# --------------------------------------------------------------------------- strip

def strip(document: bytes) -> bytes:
    """``document`` without the tracks an earlier SceneFill run added."""
    root = parse(document, WHAT)
    urls = _file_urls(root)
    edits = []
    for audio in root.iter("audio"):
        if MARK in audio.attrs and audio.parent is not None and audio.parent.tag == "media":
            edits.append((leading_space(document, audio.start), audio.end, b""))
            continue
        for track in audio.findall("track"):
            if _is_ours(track, urls):
                edits.append((leading_space(document, track.start), track.end, b""))
    if not edits:
        return document
    return splice(document, edits + _keep_file_definitions(document, root, edits))


def _keep_file_definitions(document: bytes, root: Node, removed: list[tuple[int, int, bytes]]):
    """A <file> defined inside a removed track but used elsewhere by reference (an editor copied
    a SceneFill clip into their own track and re-exported): its first outside reference gets
    the full definition, so the document stays whole."""
    def inside(node: Node) -> bool:
        return any(a <= node.start and node.end <= b for a, b, _ in removed)

    defined: dict[str, Node] = {}
    for f in root.iter("file"):
        if f.children and f.attrs.get("id") and inside(f):
            defined.setdefault(f.attrs["id"], f)
    moves = []
    for f in root.iter("file"):
        ident = f.attrs.get("id")
        if ident in defined and not f.children and not inside(f):
            full = defined.pop(ident)
            moves.append((f.start, f.end, document[full.start:full.end]))
    return moves


# --------------------------------------------------------------------------- patch

def patch(original: bytes, lanes: list[Lane], rate: TimelineRate) -> bytes:
    """``original`` with SceneFill's lanes as audio tracks (an earlier run's tracks replaced)."""
    doc = strip(original)
    root = parse(doc, WHAT)
    seq = _sequence(root)
    media = seq.find("media")
    if media is None or media.self_closing:
        raise OtioInputError("the FCP7 XML sequence has no <media> element to hold the SceneFill track "
                             "(use --sidecar to write the SceneFill track on its own)")
    audio = media.find("audio")
    nl = newline_of(doc)
    taken = {n.attrs["id"] for n in root.iter() if "id" in n.attrs}
    timebase, ntsc = _seq_rate(seq, rate)
    try:
        seq_fps = Fraction(int(timebase)) * (Fraction(1000, 1001) if ntsc == "TRUE" else 1)
    except ValueError:
        raise OtioInputError(f"the FCP7 XML sequence has an unreadable timebase {timebase!r}") from None
    if seq_fps != rate.exact:
        raise OtioInputError(f"the FCP7 XML sequence runs at {float(seq_fps):.3f} fps but the notes were "
                             f"placed at {rate.label} fps (pass --rate to match the sequence)")
    fmt = _display_format(seq, rate)
    lanes = [lane for lane in lanes if lane.placements]
    if not lanes:
        return doc

    if audio is not None and audio.self_closing:
        raise OtioInputError("the FCP7 XML sequence has an empty <audio/> element; cannot add a track "
                             "to it in place (use --sidecar)")
    if audio is not None:
        tracks = audio.findall("track")
        unit = _unit(doc, audio)
        indent = indent_of(doc, tracks[-1]) if tracks else indent_of(doc, audio) + unit
        body = [c for c in audio.children if c.tag != "filter"]
        at = tracks[-1].end if tracks else (body[-1].end if body else audio.head_end)
        first_index = len(tracks) + 1
        block = _tracks_xml(lanes, rate, first_index, timebase, ntsc, fmt, taken, indent, unit, nl)
        return splice(doc, [(at, at, block.encode())])
    # no <audio> at all: add one (marked, so strip removes it whole)
    unit = _unit(doc, media)
    indent = indent_of(doc, media.children[-1]) if media.children else indent_of(doc, media) + unit
    inner = _tracks_xml(lanes, rate, 1, timebase, ntsc, fmt, taken, indent + unit, unit, nl)
    block = f"{nl}{indent}<audio {MARK}=\"added\">{inner}{nl}{indent}</audio>"
    at = media.children[-1].end if media.children else media.head_end
    return splice(doc, [(at, at, block.encode())])


def _unit(doc: bytes, parent: Node) -> str:
    """One level of indentation, as the document writes it."""
    if parent.children:
        outer, inner = indent_of(doc, parent), indent_of(doc, parent.children[0])
        if inner.startswith(outer) and len(inner) > len(outer):
            return inner[len(outer):]
    return "\t" if b"\n\t" in doc[:4096] else "  "


def _fresh(taken: set[str], base: str) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def _tracks_xml(lanes: list[Lane], rate: TimelineRate, first_index: int, timebase: str, ntsc: str,
                fmt: str, taken: set[str], indent: str, unit: str, nl: str) -> str:
    """The text of every SceneFill track, each starting with a newline and ``indent``."""
    file_ids: dict[str, str] = {}
    out = []
    index = first_index
    for lane in lanes:
        channels = max(p.channels for p in lane.placements)
        n_tracks = 2 if channels == 2 else 1
        clip_ids = [[_fresh(taken, f"scenefill-clipitem-{lane.index + 1}-{i + 1}-{c + 1}")
                     for c in range(n_tracks)] for i in range(len(lane.placements))]
        for c in range(n_tracks):
            lines = [_track_open(lane, c, n_tracks)]
            for i, p in enumerate(lane.placements):
                lines += _clipitem(p, i, c, n_tracks, index, clip_ids, rate, timebase, ntsc, fmt,
                                   file_ids, taken)
            lines += ["\t<enabled>TRUE</enabled>", "\t<locked>FALSE</locked>",
                      f"\t<outputchannelindex>{c + 1}</outputchannelindex>", "</track>"]
            out.append("".join(nl + indent + line.replace("\t", unit) for line in lines))
            index += 1
    return "".join(out)


def _track_open(lane: Lane, c: int, n_tracks: int) -> str:
    kind = "Stereo" if n_tracks == 2 else "Mono"
    return (f"<track {MARK}={attr(f'lane {lane.index + 1} channel {c + 1}')} MZ.TrackName={attr(lane.name)} "
            f"premiereTrackType=\"{kind}\" currentExplodedTrackIndex=\"{c}\" "
            f"totalExplodedTrackCount=\"{n_tracks}\">")


def _rate_lines(timebase: str, ntsc: str, depth: str) -> list[str]:
    return [f"{depth}<rate>", f"{depth}\t<timebase>{text(timebase)}</timebase>",
            f"{depth}\t<ntsc>{text(ntsc)}</ntsc>", f"{depth}</rate>"]


def _clipitem(p: Placement, i: int, c: int, n_tracks: int, track_index: int, clip_ids, rate: TimelineRate,
              timebase: str, ntsc: str, fmt: str, file_ids: dict[str, str], taken: set[str]) -> list[str]:
    channel_type = ' premiereChannelType="stereo"' if n_tracks == 2 else ""
    t = "\t"
    lines = [f"{t}<clipitem id={attr(clip_ids[i][c])}{channel_type}>",
             f"{t}\t<name>{text(p.name)}</name>",
             f"{t}\t<enabled>TRUE</enabled>",
             f"{t}\t<duration>{p.frames}</duration>",
             *_rate_lines(timebase, ntsc, t + "\t"),
             f"{t}\t<start>{p.start}</start>",
             f"{t}\t<end>{p.end}</end>",
             f"{t}\t<in>0</in>",
             f"{t}\t<out>{p.frames}</out>"]
    key = str(p.path)
    if key in file_ids:
        lines.append(f"{t}\t<file id={attr(file_ids[key])}/>")
    else:
        file_ids[key] = _fresh(taken, f"scenefill-file-{len(file_ids) + 1}")
        lines += _file(p, file_ids[key], timebase, ntsc, fmt, t + "\t")
    lines += [f"{t}\t<sourcetrack>", f"{t}\t\t<mediatype>audio</mediatype>",
              f"{t}\t\t<trackindex>{c + 1}</trackindex>", f"{t}\t</sourcetrack>"]
    if n_tracks > 1:
        for k in range(n_tracks):
            lines += [f"{t}\t<link>", f"{t}\t\t<linkclipref>{text(clip_ids[i][k])}</linkclipref>",
                      f"{t}\t\t<mediatype>audio</mediatype>",
                      f"{t}\t\t<trackindex>{track_index - c + k}</trackindex>",
                      f"{t}\t\t<clipindex>{i + 1}</clipindex>",
                      f"{t}\t\t<groupindex>1</groupindex>", f"{t}\t</link>"]
    prov = PROV_PREFIX + json.dumps(p.provenance, sort_keys=True, separators=(",", ":")) \
        if c == 0 and p.provenance else ""
    lines += [f"{t}\t<logginginfo>", f"{t}\t\t<description>{text(p.note)}</description>",
              f"{t}\t\t<lognote>{text(prov)}</lognote>", f"{t}\t</logginginfo>",
              f"{t}\t<comments>", f"{t}\t\t<mastercomment1>{text(p.note)}</mastercomment1>",
              f"{t}\t</comments>", f"{t}</clipitem>"]
    return lines


def _file(p: Placement, file_id: str, timebase: str, ntsc: str, fmt: str, d: str) -> list[str]:
    lines = [f"{d}<file id={attr(file_id)}>",
             f"{d}\t<name>{text(p.path.name)}</name>",
             f"{d}\t<pathurl>{text(file_url(p.path))}</pathurl>",
             *_rate_lines(timebase, ntsc, d + "\t"),
             f"{d}\t<duration>{p.frames}</duration>",
             f"{d}\t<timecode>", *_rate_lines(timebase, ntsc, d + "\t\t"),
             f"{d}\t\t<string>{'00;00;00;00' if fmt == 'DF' else '00:00:00:00'}</string>",
             f"{d}\t\t<frame>0</frame>", f"{d}\t\t<displayformat>{text(fmt)}</displayformat>",
             f"{d}\t</timecode>",
             f"{d}\t<media>", f"{d}\t\t<audio>", f"{d}\t\t\t<samplecharacteristics>",
             f"{d}\t\t\t\t<depth>{p.bit_depth}</depth>",
             f"{d}\t\t\t\t<samplerate>{p.sample_rate}</samplerate>",
             f"{d}\t\t\t</samplecharacteristics>",
             f"{d}\t\t\t<channelcount>{p.channels}</channelcount>"]
    if p.channels == 2:
        lines += [f"{d}\t\t\t<layout>stereo</layout>"]
        for ch, label in ((1, "left"), (2, "right")):
            lines += [f"{d}\t\t\t<audiochannel>", f"{d}\t\t\t\t<sourcechannel>{ch}</sourcechannel>",
                      f"{d}\t\t\t\t<channellabel>{label}</channellabel>", f"{d}\t\t\t</audiochannel>"]
    lines += [f"{d}\t\t</audio>", f"{d}\t</media>", f"{d}</file>"]
    return lines


# --------------------------------------------------------------------------- provenance

def provenance(document: bytes) -> dict[str, dict]:
    """Media path -> SceneFill provenance, from the lognotes of our clipitems (wherever they are:
    an editor's application may have re-exported the document and moved them)."""
    root = parse(document, WHAT)
    urls = _file_urls(root)
    out: dict[str, dict] = {}
    for clip in root.iter("clipitem"):
        info = clip.find("logginginfo")
        note = info.child_text("lognote") if info is not None else ""
        if not note.startswith(PROV_PREFIX):
            continue
        try:
            prov = json.loads(note[len(PROV_PREFIX):])
        except ValueError:
            continue
        for url in _clip_urls(clip, urls):
            out.setdefault(path_from_url(url), prov)
    return out


__all__ = ["patch", "strip", "provenance", "file_url", "path_from_url", "MARK"]
