"""``scenefill otio fill``: notes in a timeline -> an exact-length audio track.

The pure part (:func:`plan_items`, :func:`build_tracks`) turns extracted notes into
render requests and OTIO tracks; :func:`fill` runs the whole command: read,
extract, plan, check the writer, render (cached renders are reused), write.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import opentimelineio as otio

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import DEFAULT_LOUDNESS, RenderRequest

from .otio_common import META_KEY, OtioInputError, TimelineRate, is_generated_track
from .otio_write import WritePlan, check_output, json_safe, note_fields, preflight, write_output
from .renderer import CACHED, FAILED, JobOutcome, RenderJob, Renderer
from .timeline_notes import (
    DEFAULT_MIN_SECONDS,
    Extraction,
    NoteItem,
    Skipped,
    assign_lanes,
    extract_notes,
    load_sidecar,
    read_timeline,
)

DEFAULT_TRACK_NAME = "SceneFill"


@dataclass
class FillSettings:
    source: str = "both"
    marker_colors: list[str] | None = None
    min_seconds: float = DEFAULT_MIN_SECONDS
    sample_rate: int = 48000
    channels: int = 2
    loudness: float = DEFAULT_LOUDNESS
    seed: int = 0                 # base seed; each note's seed derives from it and the note's id
    track_name: str = DEFAULT_TRACK_NAME
    bit_depth: int = 24
    placeholder: bool = False
    rate: str | None = None       # frame-rate override (and the EDL reader's rate)

    def to_meta(self) -> dict:
        return json_safe({
            "from": self.source, "marker_colors": self.marker_colors or [],
            "min_seconds": float(self.min_seconds), "sample_rate": self.sample_rate,
            "channels": self.channels, "loudness": float(self.loudness), "seed": self.seed,
            "track_name": self.track_name, "bit_depth": self.bit_depth,
        })

    @classmethod
    def from_meta(cls, meta, **overrides) -> "FillSettings":
        s = cls()
        if hasattr(meta, "get"):
            s.source = str(meta.get("from", s.source))
            colors = meta.get("marker_colors")
            s.marker_colors = [str(c) for c in colors] if colors else None
            s.min_seconds = float(meta.get("min_seconds", s.min_seconds))
            s.sample_rate = int(meta.get("sample_rate", s.sample_rate))
            s.channels = int(meta.get("channels", s.channels))
            s.loudness = float(meta.get("loudness", s.loudness))
            s.seed = int(meta.get("seed", s.seed))
            s.track_name = str(meta.get("track_name", s.track_name))
            s.bit_depth = int(meta.get("bit_depth", s.bit_depth))
        for k, v in overrides.items():
            if v is not None:
                setattr(s, k, v)
        return s


@dataclass
class Planned:
    """One note, ready to render and place."""

    item: NoteItem
    request: RenderRequest
    key: str
    dest: Path
    lane: int = 0
    status: str = "pending"      # rendered | cached | failed (after rendering) | kept (conform)
    error: str = ""
    sha256: str = ""
    detail: str = ""             # conform: what changed
    change: str = ""             # conform: kept | moved | trimmed | extended | regenerated | added


def derive_seed(base: int, ident: str) -> int:
    """A note's seed: stable for its id, different between notes (< 2**31 for every adapter)."""
    digest = hashlib.sha256(f"{base}:{ident}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def slug(text: str, limit: int = 32) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return (s[:limit].rstrip("-") or "note")


def request_key(request: RenderRequest) -> str:
    from scenefill.engine.api import request_key as engine_key

    return engine_key(request)


def media_name(request: RenderRequest, key: str, placeholder: bool = False) -> str:
    tail = ".placeholder" if placeholder else ""
    return f"{slug(request.note)}_{key[:16]}{tail}.{request.fmt}"


def make_request(item: NoteItem, rate: TimelineRate, settings: FillSettings, seed: int) -> RenderRequest:
    n = rate.samples(item.start, item.n_frames, settings.sample_rate)
    return RenderRequest(
        note=item.note, n_samples=n, sample_rate=settings.sample_rate, channels=settings.channels,
        seed=seed, loudness=settings.loudness, bit_depth=settings.bit_depth)


def plan_items(items: list[NoteItem], rate: TimelineRate, settings: FillSettings,
               media_dir: Path, skipped: list[Skipped]) -> list[Planned]:
    """A render request and a media path for every note (invalid requests go to ``skipped``)."""
    planned = []
    for item in items:
        seed = item.seed if item.seed is not None else derive_seed(settings.seed, item.id)
        req = make_request(item, rate, settings, seed)
        try:
            req.validate()
        except InvalidRequest as exc:
            skipped.append(Skipped(item.owner, item.note, str(exc)))
            continue
        key = request_key(req)
        planned.append(Planned(item, req, key, media_dir / media_name(req, key, settings.placeholder)))
    for lane_no, lane in enumerate(assign_lanes([p.item for p in planned])):
        ids = {i.id for i in lane}
        for p in planned:
            if p.item.id in ids:
                p.lane = lane_no
    return planned


def lane_name(base: str, lane: int) -> str:
    return base if lane == 0 else f"{base} {lane + 1}"


def provenance(p: Planned, rate: TimelineRate) -> dict:
    from scenefill import ENGINE_VERSION

    it, req = p.item, p.request
    return json_safe({
        "note": req.note,
        "seed": req.seed,
        "engine": ENGINE_VERSION,
        "key": p.key,
        "source": {"kind": it.kind, "id": it.id, "name": it.name, "owner": it.owner,
                   "owner_kind": it.owner_kind, "owner_name": it.owner_name,
                   "anchor": it.anchor, "field": it.source_field, "color": it.color or None,
                   "point": it.point},
        "record": {"start": it.start, "frames": it.n_frames, "timecode": rate.timecode(it.start),
                   "rate": f"{rate.exact.numerator}/{rate.exact.denominator}"},
        "audio": {"file": str(p.dest.absolute()), "samples": req.total_samples,
                  "start_sample": rate.sample_at(it.start, req.sample_rate),
                  "sample_rate": req.sample_rate, "channels": req.channels,
                  "bit_depth": req.bit_depth, "sha256": p.sha256 or None,
                  "placeholder": p.dest.name.endswith(".placeholder." + req.fmt) or None},
        "request": {"loudness": req.loudness, "backend": req.backend, "loop": req.loop,
                    "handle_samples": req.handle_samples, "fmt": req.fmt, "voice": req.voice or None},
        "change": p.change or None,
    })


def clip_name(note: str, limit: int = 48) -> str:
    text = " ".join(note.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def make_clip(p: Planned, rate: TimelineRate) -> otio.schema.Clip:
    it, req = p.item, p.request
    ref = otio.schema.ExternalReference(
        target_url=otio.url_utils.url_from_filepath(str(p.dest.resolve())),
        available_range=rate.tr(0, it.n_frames),
        metadata={"fcp_xml": {"media": {"audio": {
            "samplecharacteristics": {"depth": str(req.bit_depth), "samplerate": str(req.sample_rate)},
            "channelcount": str(req.channels)}}}},
    )
    return otio.schema.Clip(
        name=clip_name(req.note), media_reference=ref, source_range=rate.tr(0, it.n_frames),
        metadata={META_KEY: provenance(p, rate),
                  "fcp_xml": {"sourcetrack": {"mediatype": "audio", "trackindex": "1"}}},
    )


def build_tracks(planned: list[Planned], rate: TimelineRate, settings: FillSettings) -> list[otio.schema.Track]:
    """One audio track per lane: gaps and clips at the exact record positions."""
    lanes: dict[int, list[Planned]] = {}
    for p in planned:
        if p.status != FAILED:
            lanes.setdefault(p.lane, []).append(p)
    tracks = []
    for lane in sorted(lanes):
        track = otio.schema.Track(
            name=lane_name(settings.track_name, lane), kind=otio.schema.TrackKind.Audio,
            metadata={META_KEY: {"generated": True, "lane": lane, "settings": settings.to_meta()}})
        pos = 0
        for p in sorted(lanes[lane], key=lambda q: q.item.start):
            if p.item.start > pos:
                track.append(otio.schema.Gap(source_range=rate.tr(0, p.item.start - pos)))
            track.append(make_clip(p, rate))
            pos = p.item.end
        tracks.append(track)
    return tracks


def stamp_sources(planned: list[Planned]) -> None:
    """Give each source marker / clip its id and the note in every field NLEs read."""
    for p in planned:
        obj = p.item.obj
        if obj is None:
            continue
        meta = obj.metadata.get(META_KEY)
        if not hasattr(meta, "get"):
            obj.metadata[META_KEY] = {"id": p.item.id}
        else:
            meta["id"] = p.item.id
        if p.item.kind == "marker":
            note_fields(obj, p.item.note)
        elif p.item.source_field == "sidecar":
            obj.metadata[META_KEY]["note"] = p.item.note


def replace_generated(tl: otio.schema.Timeline, tracks: list[otio.schema.Track]) -> int:
    """Swap the timeline's SceneFill tracks for ``tracks``; returns how many were replaced."""
    old = [i for i, t in enumerate(tl.tracks) if isinstance(t, otio.schema.Track) and is_generated_track(t)]
    for i in reversed(old):
        del tl.tracks[i]
    for t in tracks:
        tl.tracks.append(t)
    return len(old)


# --------------------------------------------------------------------------- the command

ProgressFn = Callable[[int, int, Planned, JobOutcome], None]


@dataclass
class FillReport:
    timeline: str
    out: Path
    rate: TimelineRate
    planned: list[Planned]
    skipped: list[Skipped]
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    replaced_tracks: int = 0
    seconds: float = 0.0
    renderer: str = ""
    summary: str = ""             # what OUT is (patched original, SceneFill-only timeline ...)
    backup: Path | None = None    # --in-place: where the original went

    @property
    def failed(self) -> list[Planned]:
        return [p for p in self.planned if p.status == FAILED]


def render_planned(todo: list[Planned], renderer: Renderer, progress: ProgressFn | None = None) -> None:
    """Render (or reuse) every planned item; sets status / sha256 / error on each."""
    by_id = {p.item.id: p for p in todo}
    done = 0

    def on_done(job: RenderJob, out: JobOutcome) -> None:
        nonlocal done
        done += 1
        p = by_id[job.id]
        p.status = out.status
        p.error = out.error
        p.sha256 = out.sha256
        if progress:
            progress(done, len(todo), p, out)

    renderer.run([RenderJob(p.item.id, p.request, p.dest) for p in todo], on_done)


def default_media_dir(out: Path) -> Path:
    return out.parent / f"{out.stem}_media"


def no_notes_message(path, ex: Extraction) -> str:
    reasons = sorted({s.reason for s in ex.skipped})
    tail = f"; skipped {len(ex.skipped)}: " + "; ".join(reasons[:3]) if ex.skipped else ""
    return (f"no usable notes in {path} (looked at {ex.markers_seen} markers and {ex.clips_seen} clips; "
            f"notes come from marker comments/names, clip metadata.scenefill.note or --notes{tail})")


def fill(timeline_path: str | os.PathLike, out: str | os.PathLike | None, *, settings: FillSettings,
         renderer: Renderer, media_dir: str | os.PathLike | None = None,
         notes_file: str | os.PathLike | None = None, bundle: bool = False,
         progress: ProgressFn | None = None, sidecar: bool = False, in_place: bool = False) -> FillReport:
    """Run ``otio fill``. Raises OtioInputError for bad input (before anything is written).

    ``sidecar``: OUT holds only the SceneFill track(s). ``in_place``: OUT is the input
    itself (``out`` None or the same file), backed up first.
    """
    t0 = time.perf_counter()
    plan: WritePlan = check_output(out, bundle=bundle, source=timeline_path, sidecar=sidecar,
                                   in_place=in_place)
    sidecar = load_sidecar(notes_file) if notes_file else None
    tl = read_timeline(timeline_path, rate=settings.rate)
    ex = extract_notes(tl, source=settings.source, marker_colors=settings.marker_colors,
                       sidecar=sidecar, min_seconds=settings.min_seconds, rate_override=settings.rate)
    rate = ex.rate
    mdir = Path(media_dir) if media_dir else default_media_dir(plan.out)
    skipped = list(ex.skipped)
    planned = plan_items(ex.items, rate, settings, mdir, skipped)
    if not planned:
        ex.skipped = skipped
        raise OtioInputError(no_notes_message(timeline_path, ex))
    if mdir.exists() and not mdir.is_dir():
        raise OtioInputError(f"--media-dir {mdir} is not a directory")

    stamp_sources(planned)
    replaced = replace_generated(tl, build_tracks(planned, rate, settings))
    preflight(tl, plan, rate)          # a writer that refuses fails here, before any render

    try:
        mdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OtioInputError(f"--media-dir {mdir}: {exc.strerror or exc}") from None
    render_planned(planned, renderer, progress)

    replace_generated(tl, build_tracks(planned, rate, settings))
    if all(p.status == FAILED for p in planned):
        written = []                     # nothing to place: leave OUT alone
    else:
        written = write_output(tl, plan, rate)
    return FillReport(str(timeline_path), plan.out, rate, planned, skipped, list(plan.warnings),
                      written, replaced, time.perf_counter() - t0, renderer.name,
                      summary=plan.summary, backup=plan.backup)


__all__ = ["FillSettings", "Planned", "FillReport", "fill", "plan_items", "build_tracks", "derive_seed",
           "make_request", "media_name", "request_key", "render_planned", "replace_generated",
           "stamp_sources", "default_media_dir", "lane_name", "CACHED"]
