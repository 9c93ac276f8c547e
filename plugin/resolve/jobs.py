"""The three Resolve jobs: fill from markers, the selected clip, conform after a recut.

Each job runs in the same order, so a refusal at any step leaves the timeline
as it was:

1. **read**: the edition, project, timeline and its rate, the notes (the OTIO
   adapter's rules), the SceneFill tracks (a locked one stops the job);
2. **render** on the daemon (files already rendered are reused; a job where
   nothing renders stops here);
3. **import** the new files into the "SceneFill" bin in one ``ImportMedia`` call;
4. **place**: remove what this job made before and no longer fits, append the
   rest in one ``AppendToTimeline`` call at absolute integer record frames;
5. **verify**: read every placed item back (after ``SaveProject``) and report
   any that Resolve refused, moved or cut.

Every job returns a :class:`JobReport` (plain data) and prints progress in
Resolve's console (or a small window where UIManager works).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from scenefill.engine.request import DEFAULT_LOUDNESS

from ..conform import CHANGES, ConformReport, Generated, _keep_as_is, plan_changes
from ..otio_fill import FillSettings, Planned, lane_name, plan_items, render_planned, slug
from ..renderer import CACHED, FAILED, RENDERED, DaemonRenderer, Renderer, file_matches
from ..timeline_notes import DEFAULT_MIN_SECONDS
from .api import as_list, call, has_call
from .edition import Edition, require_resolve
from .errors import ResolveJobError
from .generated import (TRACK_NAME, generated_items, marker_fill_scope, match_generated, stamp_markers,
                        tagged_provenance)
from .media import import_files, norm, scenefill_bin, tag
from .notes import ClipNote, find_notes, item_id
from .place import apply_layout, check_unlocked, plan_layout, scenefill_tracks, undo, verify
from .progress import Progress, ask_note, make_progress
from .report import JobReport, _fmt_skip
from .server import connect
from .snapshot import ItemSnap, Snapshot, is_scenefill_track, read

#: marker colours Resolve offers (pass strings: the MARKER_* constants are missing on some builds)
MARKER_COLORS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
                 "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")


def media_dir_for(snap: Snapshot, media_dir: str | os.PathLike | None) -> Path:
    """Where a project's files go: ``media_dir``, else $SCENEFILL_MEDIA_DIR or ~/SceneFill/Resolve, per project."""
    if media_dir:
        return Path(media_dir).expanduser()
    root = os.environ.get("SCENEFILL_MEDIA_DIR")
    base = Path(root).expanduser() if root else Path.home() / "SceneFill" / "Resolve"
    return base / slug(snap.project or "project", 64)


def normalise_colors(colors) -> list[str] | None:
    """``"Blue,Green"`` or ``["blue"]`` -> ``["Blue", "Green"]``; an unknown colour is refused by name."""
    if colors is None or colors == "" or colors == []:
        return None
    items = colors.split(",") if isinstance(colors, str) else list(colors)
    out = []
    for c in items:
        name = str(c).strip()
        match_ = next((k for k in MARKER_COLORS if k.lower() == name.lower()), None)
        if match_ is None:
            raise ResolveJobError(f"unknown marker colour {name!r}; Resolve's marker colours are "
                                  + ", ".join(MARKER_COLORS))
        if match_ not in out:
            out.append(match_)
    return out


class _Job:
    """One run: the Resolve edition, progress, timings and the report; the shared render/place steps."""

    def __init__(self, name: str, resolve, *, bmd=None, quiet=False, server=None, start_server=None,
                 renderer: Renderer | None = None, save: bool = True, track_name: str = TRACK_NAME):
        self.ed: Edition = require_resolve(resolve)
        self.resolve = resolve
        self.bmd = bmd
        self.progress: Progress = make_progress(resolve, self.ed, bmd, quiet)
        self.report = JobReport(name)
        self.server, self.start_server, self.renderer = server, start_server, renderer
        self.save = save
        self.base = track_name
        self._t = time.perf_counter()
        self._t0 = self._t
        self.report.timings = {"read": 0.0, "render": 0.0, "import": 0.0, "place": 0.0, "verify": 0.0}

    def __enter__(self) -> "_Job":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.progress.close()        # a refusal: the console says why (menu.run); no window left open

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.report.timings[what] = self.report.timings.get(what, 0.0) + now - self._t
        self._t = now

    def read(self, want_comments: bool = False) -> Snapshot:
        self.progress.step("reading the timeline")
        snap = read(self.resolve, self.base, want_comments)
        check_unlocked(snap, self.base)
        r = self.report
        r.project, r.timeline, r.rate = snap.project, snap.timeline, snap.rate.label
        r.warnings += snap.warnings
        for t in scenefill_tracks(snap, self.base).values():
            if t.subtype and t.subtype != "stereo":
                r.warnings.append(f"the {t.name} track (A{t.index}) is {t.subtype}, not stereo: SceneFill's files "
                                  "are stereo")
        return snap

    def generated(self, snap: Snapshot) -> list[tuple[ItemSnap, Generated]]:
        return generated_items(snap, self.base)

    # ---------------------------------------------------------------- render

    def render(self, planned: list[Planned]) -> None:
        """Render what is not already on disk; statuses and errors land on each Planned."""
        todo = []
        for p in planned:
            if file_matches(p.dest, p.request):
                p.status = CACHED
            else:
                todo.append(p)
        self.report.counts["cached"] = len(planned) - len(todo)
        if not todo:
            self.progress.step(f"all {len(planned)} file(s) already rendered")
            self.lap("render")
            return
        renderer = self.renderer
        own = renderer is None
        if own:
            address, started = connect(self.server, self.start_server)
            self.report.server = address
            if started:
                self.report.warnings.append(f"started `scenefill serve` at {address} (pid {started}); it keeps "
                                            "running for the next job")
            renderer = DaemonRenderer(address)
        else:
            self.report.server = getattr(renderer, "address", renderer.name)
        try:
            todo[0].dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResolveJobError(f"cannot write SceneFill's media folder {todo[0].dest.parent}: "
                                  f"{exc.strerror or exc}; nothing was changed") from None
        self.progress.step(f"rendering {len(todo)} file(s) on {self.report.server}")

        def on(done, total, p, out):
            self.progress.rendered(done, total, p.item.note, out.status, out.error)

        try:
            render_planned(todo, renderer, on)
        finally:
            if own:
                renderer.close()
        self.report.counts["rendered"] = sum(1 for p in todo if p.status == RENDERED)
        self.report.counts["cached"] += sum(1 for p in todo if p.status == CACHED)
        self.lap("render")

    # ---------------------------------------------------------------- place

    def place(self, snap: Snapshot, desired: list[Planned], replaceable: list[ItemSnap],
              settings: FillSettings, stamp_from: dict | None = None) -> None:
        lay = plan_layout(snap, desired, replaceable, self.base)
        media_pool = call(snap.project_obj, "GetMediaPool")
        if media_pool is None:
            raise ResolveJobError("Resolve did not give the project's media pool; nothing was changed")
        media: dict[str, object] = {}
        if lay.append:
            self.progress.step(f"importing {len(lay.append)} file(s) into the '{TRACK_NAME}' bin")
            folder = scenefill_bin(media_pool)
            media, refused = import_files(media_pool, folder, [p.dest for p in lay.append])
            if refused:
                raise ResolveJobError(f"Resolve would not import {len(refused)} file(s), e.g. {refused[0]}; "
                                      "nothing was placed")
        for p, hit in lay.keep:
            if hit.media is not None:
                media[norm(p.dest)] = hit.media
        for p in desired:
            mpi = media.get(norm(p.dest))
            if mpi is not None:
                tag(mpi, tagged_provenance(p, snap, settings, self.report.job, stamp_from))
        self.lap("import")
        self.progress.step(f"placing {len(lay.append)} clip(s), removing {len(lay.delete)}, "
                           f"keeping {len(lay.keep)}")
        placed = apply_layout(snap, lay, media, self.base)
        if self.save:
            pm = call(self.resolve, "GetProjectManager")
            call(pm, "SaveProject")
        self.lap("place")
        problems = verify(snap, placed, self.base)
        self.lap("verify")
        if placed and not any(pl.ok for pl in placed):
            undo(snap, placed, lay, self.base)
            if self.save:
                call(call(self.resolve, "GetProjectManager"), "SaveProject")
            raise ResolveJobError(f"Resolve refused every SceneFill clip ({problems[0]}); the timeline is as it "
                                  "was")
        self.report.problems += problems
        if stamp_from is not None:
            stamp_markers(snap, [pl.planned for pl in placed if pl.ok] + [p for p, _ in lay.keep], stamp_from)
        kept = {id(p) for p, _ in lay.keep}
        ok = {id(pl.planned) for pl in placed if pl.ok} | kept
        c = self.report.counts
        c["placed"] = sum(1 for pl in placed if pl.ok)
        c["kept"] = len(lay.keep)
        c["deleted"] = len(lay.delete)
        rate = snap.rate
        for p in sorted(desired, key=lambda q: (q.item.start, q.lane)):
            self.report.rows.append({
                "change": p.change or ("kept" if id(p) in kept else "placed"),
                "timecode": rate.timecode(p.item.start), "record_frame": snap.start_frame + p.item.start,
                "frames": p.item.n_frames, "seconds": p.item.n_frames / float(rate.exact),
                "samples": p.request.total_samples, "track": lane_name(self.base, p.lane), "note": p.item.note,
                "source": p.item.owner if p.item.kind == "clip" else f"{p.item.name or 'marker'} @ {p.item.owner}",
                "file": str(p.dest), "placed": id(p) in ok, "detail": p.detail})

    def finish(self) -> JobReport:
        r = self.report
        r.timings["total"] = time.perf_counter() - self._t0
        r.timings["plugin"] = r.timings["total"] - r.timings["render"]
        for line in r.lines():
            self.progress.say(line)
        self.progress.close()
        return r

    def fail_nothing_rendered(self, planned: list[Planned]) -> None:
        failed = [p for p in planned if p.status == FAILED]
        self.report.failures += [f"{p.item.owner} ({p.item.note[:40]!r}): {p.error}" for p in failed]
        if failed and len(failed) == len(planned):
            raise ResolveJobError(f"could not render any of the {len(planned)} note(s) ({failed[0].error}); "
                                  "nothing was changed")


def _settings(snap: Snapshot, *, source: str, colors, min_seconds, seed, loudness) -> FillSettings:
    return FillSettings(source=source, marker_colors=colors, min_seconds=min_seconds, sample_rate=snap.sample_rate,
                        channels=2, seed=seed, loudness=DEFAULT_LOUDNESS if loudness is None else float(loudness),
                        track_name=TRACK_NAME)


def _no_notes(snap: Snapshot, ex, colors, skipped) -> str:
    where = f"timeline '{snap.timeline}'"
    if colors:
        what = f"no {'/'.join(colors)} marker on {where} has a usable note"
    else:
        what = f"no marker on {where} has a usable note"
    reasons = sorted({s.reason for s in skipped})
    tail = f" (skipped {len(skipped)}: {'; '.join(reasons[:3])})" if skipped else ""
    return (f"{what}{tail}: double-click a marker and type the scene (e.g. 'rain on a tin roof') into "
            "its Notes, then run again; nothing was changed")


# ==================================================================== the jobs

def fill_from_markers(resolve, colors=None, *, server: str | None = None, start_server: bool | None = None,
                      media_dir=None, renderer: Renderer | None = None, bmd=None, quiet: bool = False,
                      min_seconds: float = DEFAULT_MIN_SECONDS, seed: int = 0, loudness: float | None = None,
                      save: bool = True) -> JobReport:
    """Every timeline and clip marker with a note (of ``colors`` if given) gets audio of exactly its range.

    A point marker runs to the next noted marker or its clip's (the timeline's) end, as in
    ``scenefill otio fill``. Replaces what an earlier fill placed for those markers.
    """
    job = _Job("fill from markers", resolve, bmd=bmd, quiet=quiet, server=server, start_server=start_server,
               renderer=renderer, save=save)
    with job:
        colors = normalise_colors(colors)
        snap = job.read()
        ex, back = find_notes(snap, colors=colors, min_seconds=min_seconds)
        settings = _settings(snap, source="markers", colors=colors, min_seconds=min_seconds, seed=seed,
                             loudness=loudness)
        skipped = list(ex.skipped)
        planned = plan_items(ex.items, snap.rate, settings, media_dir_for(snap, media_dir), skipped)
        job.report.skipped = [_fmt_skip(s) for s in skipped]
        job.report.media_dir = str(media_dir_for(snap, media_dir))
        if not planned:
            raise ResolveJobError(_no_notes(snap, ex, colors, skipped))
        scope = marker_fill_scope(snap, colors, job.base)
        job.lap("read")
        job.render(planned)
        job.fail_nothing_rendered(planned)
        failed_ids = {p.item.id for p in planned if p.status == FAILED}
        ok = [p for p in planned if p.status != FAILED]
        # a note whose render failed keeps what it had before
        scope = [i for i in scope if str((i.provenance.get("source") or {}).get("id")) not in failed_ids]
        job.place(snap, ok, scope, settings, stamp_from=back)
        return job.finish()


def _clip_note(snap: Snapshot, item: ItemSnap) -> str:
    """A clip's note: a marker on it, a timeline marker over it, or its Comments / Description."""
    for m in item.markers:
        if m.usable_note:
            return m.usable_note
    for m in snap.markers:
        if item.start <= m.frame < item.end and m.usable_note:
            return m.usable_note
    return item.comments


def _selected_items(snap: Snapshot, base: str) -> list[ItemSnap]:
    """The selected timeline items (21.0.4+), else the video item under the playhead."""
    tl = snap.obj
    by_uid = {i.uid: i for t in snap.tracks if not (t.type == "audio" and is_scenefill_track(t.name, base))
              for i in t.items}
    chosen: list[ItemSnap] = []
    if has_call(tl, "GetSelectedClips"):
        for obj in as_list(call(tl, "GetSelectedClips")):
            item = by_uid.get(str(call(obj, "GetUniqueId", default="")))
            if item is not None:
                chosen.append(item)
    if not chosen:
        obj = call(tl, "GetCurrentVideoItem")
        item = by_uid.get(str(call(obj, "GetUniqueId", default=""))) if obj is not None else None
        if item is not None:
            chosen.append(item)
    # a linked clip is selected as video and audio items: one range each
    out: dict[tuple[int, int], ItemSnap] = {}
    for item in sorted(chosen, key=lambda i: (i.track_type != "video", i.track_index)):
        out.setdefault((item.start, item.end), item)
    return sorted(out.values(), key=lambda i: i.start)


def render_selected_clip(resolve, note: str | None = None, *, server: str | None = None,
                         start_server: bool | None = None, media_dir=None, renderer: Renderer | None = None,
                         bmd=None, quiet: bool = False, seed: int = 0, loudness: float | None = None,
                         save: bool = True) -> JobReport:
    """Audio of exactly the selected clips' record ranges (or the clip under the playhead).

    The note: ``note`` if given, else a marker on the clip, a timeline marker over it, the
    clip's Comments / Description, or a small dialog (where UIManager works).
    """
    job = _Job("selected clip", resolve, bmd=bmd, quiet=quiet, server=server, start_server=start_server,
               renderer=renderer, save=save)
    with job:
        snap = job.read(want_comments=True)
        targets = _selected_items(snap, job.base)
        if not targets:
            raise ResolveJobError("no clip is selected and none is under the playhead: select a clip (or park the "
                                  "playhead on one) in the Edit page and run again")
        clip_notes: dict[str, ClipNote] = {}
        for item in targets:
            text_ = (note or "").strip() or _clip_note(snap, item) or (ask_note(resolve, job.ed, bmd, item.name) or "")
            if not text_:
                raise ResolveJobError(
                    f"clip '{item.name}' has no note: add a marker on it and type the scene into its Notes, or write "
                    "the scene into the clip's Comments, then run again; nothing was changed")
            clip_notes[item.uid] = ClipNote(text_, item_id(item))
        ex, back = find_notes(snap, markers=False, clip_notes=clip_notes, min_seconds=0.0)
        settings = _settings(snap, source="clips", colors=None, min_seconds=0.0, seed=seed, loudness=loudness)
        skipped = list(ex.skipped)
        planned = plan_items(ex.items, snap.rate, settings, media_dir_for(snap, media_dir), skipped)
        job.report.skipped = [_fmt_skip(s) for s in skipped]
        job.report.media_dir = str(media_dir_for(snap, media_dir))
        if not planned:
            raise ResolveJobError("the selected clip(s) gave no usable note: " +
                                  "; ".join(_fmt_skip(s) for s in skipped[:3]) + "; nothing was changed")
        ids = {cn.id for cn in clip_notes.values()}
        scope = [item for item, g in job.generated(snap) if str(g.source.get("id")) in ids]
        job.lap("read")
        job.render(planned)
        job.fail_nothing_rendered(planned)
        failed_ids = {p.item.id for p in planned if p.status == FAILED}
        scope = [i for i in scope if str((i.provenance.get("source") or {}).get("id")) not in failed_ids]
        job.place(snap, [p for p in planned if p.status != FAILED], scope, settings)
        return job.finish()


def conform(resolve, *, server: str | None = None, start_server: bool | None = None, media_dir=None,
            renderer: Renderer | None = None, bmd=None, quiet: bool = False, save: bool = True) -> JobReport:
    """After a recut: move, trim, extend (prefix-stable), regenerate and remove SceneFill's clips.

    Each SceneFill clip is matched to the marker or clip it came from (by the id stamped
    on the marker, then by owner, name and note, as ``scenefill otio conform`` does);
    approved audio stays sample-identical (same seed, prefix-stable engine).
    """
    job = _Job("conform", resolve, bmd=bmd, quiet=quiet, server=server, start_server=start_server,
               renderer=renderer, save=save)
    with job:
        snap = job.read(want_comments=True)
        gens = job.generated(snap)
        if not gens:
            raise ResolveJobError(f"timeline '{snap.timeline}' has no SceneFill clips on a '{TRACK_NAME}' track to "
                                  "conform: run SceneFill - Fill From Markers first")
        prov0 = next((g.prov for _, g in gens if (g.source.get("kind") == "marker")), gens[0][1].prov)
        settings = FillSettings.from_meta(prov0.get("settings") or {})
        settings.track_name = TRACK_NAME
        by_uid = {i.uid: i for i in snap.items() if i.uid}
        clip_notes: dict[str, ClipNote] = {}
        for _, g in gens:
            sid = str(g.source.get("id", ""))
            if g.source.get("kind") == "clip" and sid.startswith("ri-") and sid[3:] in by_uid:
                item = by_uid[sid[3:]]
                clip_notes[item.uid] = ClipNote(_clip_note(snap, item) or g.note, sid)
        with_markers = any(g.source.get("kind") == "marker" for _, g in gens)
        ex, back = find_notes(snap, colors=settings.marker_colors, markers=with_markers, clip_notes=clip_notes,
                              min_seconds=settings.min_seconds)
        report = ConformReport(snap.rate)
        existing = [g.path for _, g in gens if g.path is not None]
        mdir = Path(media_dir) if media_dir else (existing[0].parent if existing else media_dir_for(snap, None))
        job.report.media_dir = str(mdir)
        final, to_render, old_of = plan_changes(match_generated([g for _, g in gens], ex.items), snap.rate, settings, mdir,
                                                report)
        job.report.skipped = [_fmt_skip(s) for s in ex.skipped]
        job.lap("read")
        if to_render:
            job.render(to_render)
        for p in list(final):
            if p.status == FAILED:
                report.failures.append(f"{p.item.owner} ({p.item.note[:40]!r}): {p.error}")
                final.remove(p)
                g = old_of.get(p.item.id)
                if g is not None:
                    final.append(_keep_as_is(g, "failed", p.error))
        job.report.failures += report.failures
        removed = [c for c in report.changes if c.change == "removed"]
        job.place(snap, final, [item for item, _ in gens], settings, stamp_from=back)
        for c in removed:
            job.report.rows.append({"change": "removed", "timecode": c.timecode, "record_frame": None, "frames": 0,
                                    "seconds": float(c.length.rstrip("s")), "samples": 0, "track": "", "note": c.note,
                                    "source": c.source, "file": "", "placed": False, "detail": c.detail})
        order = {c: i for i, c in enumerate(CHANGES + ("failed",))}
        job.report.rows.sort(key=lambda r: (order.get(r["change"], 99), r["timecode"]))
        for r in job.report.rows:
            job.report.changes[r["change"]] = job.report.changes.get(r["change"], 0) + 1
        return job.finish()


__all__ = ["JobReport", "MARKER_COLORS", "conform", "fill_from_markers", "render_selected_clip"]
