"""``scenefill otio conform``: bring the SceneFill track in line with a recut.

Each generated clip carries its provenance (note, seed, request, the id of its
marker or clip). In the recut the notes are extracted again with the settings
fill used, and every generated clip is matched to its source:

1. by id (``metadata.scenefill.id`` stamped on the marker / clip at fill time,
   the AAF marker id, or the derived id);
2. when the id is gone (a format that drops metadata), by the owner and the
   marker's position in its owner (clip markers move with their clip), then by
   owner and name, then by name and note, then by note -- only where the
   candidate is unique.

Then, per clip (the engine is prefix-stable, so a re-render with the same seed
keeps every sample the editor already heard, up to the last 10 ms end fade):

========== ==================================================================
kept       same place, same length, same note: nothing to do
moved      same length and note, new place: the clip moves, no render (at
           29.97 / 59.94 the exact sample count can differ by one between two
           places; then it is re-rendered, identical apart from the end fade)
trimmed    shorter: re-rendered shorter with the same seed (prefix-identical,
           clean end fade)
extended   longer: re-rendered longer with the same seed (prefix-identical)
regenerated the note changed: rendered anew (same seed)
added      a note with no generated clip yet: rendered
removed    its marker or clip is gone: the clip is dropped
========== ==================================================================

Audio is anchored at the start of its range: a clip trimmed at the head gets
audio that starts where the new range starts.
A clip whose render fails is left as it was and named in the failures (exit 1).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import RenderRequest

from .otio_common import META_KEY, OtioInputError, TimelineRate, detect_rate, is_generated_track, to_plain
from .otio_fill import (
    FillSettings,
    Planned,
    build_tracks,
    default_media_dir,
    derive_seed,
    media_name,
    render_planned,
    replace_generated,
    request_key,
    stamp_sources,
)
from .otio_write import check_output, preflight, write_output
from .patch.recover import recover_provenance
from .renderer import CACHED, FAILED, RENDERED, file_matches
from .timeline_notes import NoteItem, assign_lanes, extract_notes, load_sidecar, read_timeline

CHANGES = ("kept", "moved", "trimmed", "extended", "regenerated", "added", "removed")


@dataclass
class Generated:
    """A SceneFill clip found in the previous (or recut) timeline."""

    clip: otio.schema.Clip
    prov: dict
    start: int            # where it sits now, timeline frames
    n_frames: int         # frames its media covers
    path: Path | None
    request: RenderRequest | None
    error: str = ""

    @property
    def source(self) -> dict:
        return self.prov.get("source", {}) or {}

    @property
    def note(self) -> str:
        return str(self.prov.get("note", ""))


@dataclass
class Change:
    change: str
    timecode: str
    length: str
    source: str
    note: str
    detail: str = ""


@dataclass
class ConformReport:
    rate: TimelineRate
    changes: list[Change] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    renders: int = 0
    cached: int = 0
    seconds: float = 0.0
    summary: str = ""             # what OUT is
    backup: Path | None = None    # --in-place: where the original went

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)


def _norm(note: str) -> str:
    return " ".join(note.split())


def _request_from_prov(prov: dict) -> RenderRequest:
    audio, req = prov.get("audio", {}) or {}, prov.get("request", {}) or {}
    handles = int(req.get("handle_samples", 0))
    return RenderRequest(
        note=str(prov["note"]), n_samples=int(audio["samples"]) - 2 * handles,
        sample_rate=int(audio.get("sample_rate", 48000)), channels=int(audio.get("channels", 2)),
        seed=int(prov.get("seed", 0)), loudness=float(req.get("loudness", -23.0)),
        loop=bool(req.get("loop", False)), handle_samples=handles, fmt=str(req.get("fmt", "wav")),
        bit_depth=int(audio.get("bit_depth", 24)), backend=str(req.get("backend", "procedural")),
        voice=str(req.get("voice", "") or ""))


def _media_path(clip, prov, base_dir: Path | None = None) -> Path | None:
    """The clip's media file; relative URLs (bundles, hand-edited timelines) are relative to the timeline."""
    ref = clip.media_reference
    url = getattr(ref, "target_url", "") or ""
    if url:
        path = Path(otio.url_utils.filepath_from_url(url) if "://" in url else url)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path
    f = (prov.get("audio") or {}).get("file")
    return Path(f) if f else None


def collect_generated(tl: otio.schema.Timeline, rate: TimelineRate,
                      base_dir: Path | None = None) -> tuple[list[Generated], dict]:
    """Every SceneFill clip with its provenance and position; plus the fill settings stored on the track."""
    found: list[Generated] = []
    settings_meta: dict = {}
    root = tl.tracks
    root_start = rate.frame(root.trimmed_range().start_time) if root.source_range is not None else 0
    for track in tl.tracks:
        if not isinstance(track, otio.schema.Track) or not is_generated_track(track):
            continue
        tmeta = track.metadata.get(META_KEY)
        if hasattr(tmeta, "get") and hasattr(tmeta.get("settings"), "get") and not settings_meta:
            settings_meta = to_plain(tmeta.get("settings"))
        for clip in track.find_clips():
            meta = clip.metadata.get(META_KEY)
            if not hasattr(meta, "get") or "note" not in meta:
                continue
            prov = to_plain(meta)
            tr = clip.transformed_time_range(clip.trimmed_range(), root)
            start = rate.frame(tr.start_time) - root_start
            record = prov.get("record") or {}
            n_frames = int(record.get("frames", rate.frame(tr.duration)))
            try:
                req = _request_from_prov(prov)
                err = ""
            except (KeyError, TypeError, ValueError) as exc:
                req, err = None, f"its provenance is incomplete ({exc})"
            found.append(Generated(clip, prov, start, n_frames, _media_path(clip, prov, base_dir), req, err))
    return found, settings_meta


def match(gens: list[Generated], items: list[NoteItem]) -> list[tuple[Generated | None, NoteItem | None]]:
    """Pair generated clips with the notes they came from (see module doc)."""
    pairs: list[tuple[Generated | None, NoteItem | None]] = []
    free_g = list(gens)
    free_i = list(items)
    by_id = {}
    for it in free_i:
        by_id.setdefault(it.id, it)
    for g in list(free_g):
        it = by_id.get(str(g.source.get("id", "")))
        if it is not None and it in free_i:
            pairs.append((g, it))
            free_g.remove(g)
            free_i.remove(it)

    def keys_g(g: Generated):
        s = g.source
        return [
            (s.get("kind"), s.get("owner_kind"), s.get("owner_name"), s.get("name"), s.get("anchor")),
            (s.get("kind"), s.get("owner_kind"), s.get("owner_name"), s.get("name")),
            (s.get("kind"), s.get("name"), _norm(g.note)),
            (s.get("kind"), _norm(g.note)),
        ]

    def keys_i(it: NoteItem):
        return [
            (it.kind, it.owner_kind, it.owner_name, it.name, it.anchor),
            (it.kind, it.owner_kind, it.owner_name, it.name),
            (it.kind, it.name, _norm(it.note)),
            (it.kind, _norm(it.note)),
        ]

    for level in range(4):
        groups_g: dict = {}
        groups_i: dict = {}
        for g in free_g:
            groups_g.setdefault(keys_g(g)[level], []).append(g)
        for it in free_i:
            groups_i.setdefault(keys_i(it)[level], []).append(it)
        for key, gs in groups_g.items():
            its = groups_i.get(key, [])
            if len(gs) == 1 and len(its) == 1:
                pairs.append((gs[0], its[0]))
                free_g.remove(gs[0])
                free_i.remove(its[0])
    pairs.extend((g, None) for g in free_g)
    pairs.extend((None, it) for it in free_i)
    return pairs


def _fmt_len(frames: int, rate: TimelineRate) -> str:
    return f"{frames / float(rate.exact):.2f}s"


def _item_from_generated(g: Generated) -> NoteItem:
    s = g.source
    return NoteItem(id=str(s.get("id", "")), kind=str(s.get("kind", "marker")), note=g.note,
                    start=g.start, n_frames=g.n_frames, name=str(s.get("name", "")),
                    owner=str(s.get("owner", "")), owner_kind=str(s.get("owner_kind", "")),
                    owner_name=str(s.get("owner_name", "")), anchor=s.get("anchor"),
                    color=str(s.get("color", "") or ""), point=bool(s.get("point", False)),
                    source_field=str(s.get("field", "")))


def conform(recut_path, out, *, previous=None, renderer, media_dir=None, notes_file=None,
            rate: str | None = None, bundle: bool = False, progress=None,
            sidecar_out: bool = False, in_place: bool = False) -> ConformReport:
    """Run ``otio conform``. Raises OtioInputError for bad input (nothing written).

    A patched document (FCP7 XML, FCPXML ...) is conformed the same way: OTIO reads
    it, the provenance comes back from our own fields (:mod:`.patch.recover`), and
    the output is the recut document with the SceneFill track replaced.
    """
    t0 = time.perf_counter()
    plan = check_output(out, bundle=bundle, source=recut_path, sidecar=sidecar_out, in_place=in_place)
    if previous and plan.out.exists() and os.path.samefile(plan.out, previous):
        raise OtioInputError(f"-o {plan.out} is the --previous timeline; write the conform to a new file")
    sidecar = load_sidecar(notes_file) if notes_file else None
    recut = _read_with_provenance(recut_path, rate)
    trate = detect_rate(recut, rate)
    if previous:
        old_tl = _read_with_provenance(previous, rate)
        orate = detect_rate(old_tl, rate)
        if orate.exact != trate.exact:
            raise OtioInputError(f"the recut is at {trate.label} fps but {previous} is at {orate.label} fps")
        gens, settings_meta = collect_generated(old_tl, orate, Path(previous).resolve().parent)
        if orate.start_frame != trate.start_frame:
            shift = orate.start_frame - trate.start_frame
            for g in gens:
                g.start += shift
        where = previous
    else:
        gens, settings_meta = collect_generated(recut, trate, Path(recut_path).resolve().parent)
        where = recut_path
    if not gens:
        stripped = any(isinstance(t, otio.schema.Track) and is_generated_track(t)
                       for t in (old_tl if previous else recut).tracks)
        if stripped:
            raise OtioInputError(f"the SceneFill clips in {where} lost their provenance (this format drops "
                                 "metadata): give the timeline fill wrote with --previous")
        raise OtioInputError(f"no SceneFill clips in {where}: give the timeline fill wrote with --previous")
    settings = FillSettings.from_meta(settings_meta, rate=rate)
    ex = extract_notes(recut, source=settings.source, marker_colors=settings.marker_colors,
                       sidecar=sidecar, min_seconds=settings.min_seconds, rate=trate)
    report = ConformReport(trate)

    existing = [g.path for g in gens if g.path is not None]
    mdir = Path(media_dir) if media_dir else (existing[0].parent if existing else default_media_dir(plan.out))

    final, to_render, old_of = plan_changes(match(gens, ex.items), trate, settings, mdir, report)

    # lanes for the new layout
    for lane_no, lane in enumerate(assign_lanes([p.item for p in final])):
        ids = {id(i) for i in lane}
        for p in final:
            if id(p.item) in ids:
                p.lane = lane_no

    stamp_sources([p for p in final if p.item.obj is not None])
    replace_generated(recut, build_tracks(final, trate, settings))
    preflight(recut, plan, trate)
    if to_render:
        try:
            mdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OtioInputError(f"--media-dir {mdir}: {exc.strerror or exc}") from None
        render_planned(to_render, renderer, progress)

    for p in list(final):
        if p.status == FAILED:
            g = old_of.get(p.item.id)
            report.failures.append(f"{p.item.owner} ({p.item.note[:40]!r}): {p.error}")
            final.remove(p)
            if g is not None:
                final.append(_keep_as_is(g, "failed", p.error))
            p.change = "failed"
        elif p.status == RENDERED:
            report.renders += 1
        elif p.status == CACHED:
            report.cached += 1
    for lane_no, lane in enumerate(assign_lanes([p.item for p in final])):
        ids = {id(i) for i in lane}
        for p in final:
            if id(p.item) in ids:
                p.lane = lane_no
    replace_generated(recut, build_tracks(final, trate, settings))
    report.written = write_output(recut, plan, trate)
    report.warnings = list(plan.warnings)
    report.summary, report.backup = plan.summary, plan.backup

    for p in sorted(final, key=lambda q: q.item.start):
        report.changes.append(Change(p.change, trate.timecode(p.item.start), _fmt_len(p.item.n_frames, trate),
                                     p.item.owner if p.item.kind == "clip"
                                     else f"{p.item.name or 'marker'} @ {p.item.owner}",
                                     p.item.note, p.detail))
    order = {c: i for i, c in enumerate(CHANGES + ("failed",))}
    report.changes.sort(key=lambda c: (order.get(c.change, 99), c.timecode))
    report.seconds = time.perf_counter() - t0
    return report


def plan_changes(pairs, trate: TimelineRate, settings: FillSettings, mdir: Path,
                 report: ConformReport) -> tuple[list[Planned], list[Planned], dict[str, Generated]]:
    """Decide, for each (generated clip, note) pair from :func:`match`, what conform does.

    Pure (no timeline, no files written): returns what the SceneFill track will hold,
    what must be rendered, and the old clip of each note (to fall back to when a render
    fails); ``removed`` changes and invalid requests go into ``report``. The OTIO and the
    Resolve adapters both call it, so they conform alike.
    """
    sr = settings.sample_rate
    final: list[Planned] = []        # what the new SceneFill track will hold
    to_render: list[Planned] = []
    old_of: dict[str, Generated] = {}

    for g, it in pairs:
        if it is None:
            report.changes.append(Change("removed", trate.timecode(g.start), _fmt_len(g.n_frames, trate),
                                         str(g.source.get("owner") or g.source.get("name") or "?"),
                                         g.note, "its marker or clip is gone"))
            continue
        if g is None:
            seed = it.seed if it.seed is not None else derive_seed(settings.seed, it.id)
            req = RenderRequest(note=it.note, n_samples=trate.samples(it.start, it.n_frames, sr),
                                sample_rate=sr, channels=settings.channels, seed=seed,
                                loudness=settings.loudness, bit_depth=settings.bit_depth)
            p = _plan(it, req, mdir)
            if p is None:
                report.failures.append(f"{it.owner} ({it.note[:40]!r}): invalid request")
                continue
            p.change, p.detail = "added", "new note"
            final.append(p)
            to_render.append(p)
            continue
        if g.request is None:
            report.failures.append(f"{g.clip.name}: {g.error}")
            final.append(_keep_as_is(g, "failed", g.error))
            continue
        old_of[it.id] = g
        old_req = g.request
        new_n = trate.samples(it.start, it.n_frames, sr)
        old_n = old_req.n_samples
        details = []
        if it.start != g.start:
            details.append(f"moved {it.start - g.start:+d} frames")
        if _norm(it.note) != _norm(g.note):
            change = "regenerated"
            details.insert(0, "note changed")
        elif it.n_frames > g.n_frames:
            change = "extended"
            details.insert(0, f"+{it.n_frames - g.n_frames} frames")
        elif it.n_frames < g.n_frames:
            change = "trimmed"
            details.insert(0, f"-{g.n_frames - it.n_frames} frames")
        elif it.start != g.start:
            change = "moved"
        else:
            change = "kept"
        new_req = old_req.replace(note=it.note, n_samples=new_n)
        if change in ("moved", "kept") and new_n == old_n and g.path is not None \
                and file_matches(g.path, old_req):
            p = Planned(it, old_req, str(g.prov.get("key", "")), g.path, status="kept",
                        sha256=str((g.prov.get("audio") or {}).get("sha256", "") or ""))
            p.change, p.detail = change, "; ".join(details)
            final.append(p)
            continue
        if change in ("moved", "kept"):
            details.append("media missing, re-rendered" if new_n == old_n
                           else f"re-timed to {new_n} samples (was {old_n})")
        p = _plan(it, new_req, mdir)
        if p is None:
            report.failures.append(f"{it.owner} ({it.note[:40]!r}): invalid request")
            final.append(_keep_as_is(g, "failed", "invalid request"))
            continue
        p.change, p.detail = change, "; ".join(details)
        final.append(p)
        to_render.append(p)

    return final, to_render, old_of


def _read_with_provenance(path, rate: str | None) -> otio.schema.Timeline:
    """Read a timeline; the provenance a patched document keeps in its own fields (FCP7
    lognote, FCPXML md, Kdenlive properties: OTIO's readers drop them) is put back on the
    SceneFill clips it read (:func:`.patch.recover.recover_provenance`)."""
    tl = read_timeline(path, rate=rate)
    recover_provenance(tl, path)
    return tl


def _plan(it: NoteItem, req: RenderRequest, mdir: Path) -> Planned | None:
    try:
        req.validate()
    except InvalidRequest:
        return None
    key = request_key(req)
    return Planned(it, req, key, mdir / media_name(req, key))


def _keep_as_is(g: Generated, change: str, detail: str) -> Planned:
    """The old clip, unchanged, at its old place (used when it cannot be conformed)."""
    it = _item_from_generated(g)
    req = g.request or RenderRequest(note=g.note or "?", n_samples=1)
    p = Planned(it, req, str(g.prov.get("key", "")), g.path or Path(os.devnull), status="kept",
                sha256=str((g.prov.get("audio") or {}).get("sha256", "") or ""))
    p.change, p.detail = change, detail
    return p
