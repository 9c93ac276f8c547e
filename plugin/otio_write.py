"""Write a filled timeline in the format OUT's extension asks for, atomically, losing nothing.

What OUT holds, per format (the README's OTIO section says the same):

* ``.otio`` / ``.json`` / ``.otioz`` -- the whole timeline, lossless (``.otioz``
  bundles the SceneFill media under ``media/``).
* same format as the input, where we can edit the document (FCP7/Premiere
  ``.xml``, ``.fcpxml``, ``.kdenlive``) -- **the editor's own file, patched**: our
  track(s) and media inserted as text, every other byte as it was
  (:mod:`scenefill.plugin.patch`).
* ``.edl`` -- an **audio-only EDL** of the SceneFill events (our own writer,
  :mod:`scenefill.plugin.edl_write`); the picture EDL is never rewritten. A second
  lane goes to ``NAME-A2.edl`` and so on.
* ``.aaf`` and every other format we cannot patch (an input in that format, or any
  input to AAF) -- **a separate timeline holding only the SceneFill track(s)**, same
  rate and start timecode, for the editor to import and lay under the cut; never a
  lossy rewrite of the whole edit.
* a different format from the input (``.otio`` -> ``.xml``) -- a conversion through
  OTIO's adapter; what that writer cannot carry is reported by name.
* ``--sidecar`` -- for every format: only the SceneFill track(s), as a timeline of
  OUT's format, same rate and start timecode.

OUT must be a new file: writing over the input needs ``--in-place`` (refused where
the result would not be the patched original) and keeps a backup,
``NAME.scenefill-backup-YYYYmmdd-HHMMSS.ext``, never overwritten. Every write goes to
a temporary name in OUT's directory and is renamed into place only when complete,
so a failed write leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import opentimelineio as otio

from . import edl_write
from .otio_common import META_KEY, OtioInputError, TimelineRate, is_generated_track, quiet_adapters, to_plain
from .patch import lanes_from_tracks, patcher_for
from scenefill.engine.errors import InvalidRequest
from scenefill.engine.output_paths import refuse_non_regular, refuse_read_only, temp_beside

#: extension -> (adapter name, human name)
FORMATS = {
    "otio": ("otio_json", "OTIO"),
    "json": ("otio_json", "OTIO JSON"),
    "otioz": ("otioz", "OTIO bundle"),
    "xml": ("fcp_xml", "FCP7 XML"),
    "edl": ("cmx_3600", "CMX 3600 EDL"),
    "aaf": ("AAF", "AAF"),
    "kdenlive": ("kdenlive", "Kdenlive"),
    "fcpxml": ("fcpx_xml", "FCPXML"),
}
LOSSLESS = ("otio_json", "otioz")

#: what OUT holds (WritePlan.mode)
PATCHED, LOSSLESS_MODE, AUDIO_EDL, SEPARATE, SIDECAR, CONVERTED = (
    "patched", "lossless", "audio-edl", "separate", "sidecar", "converted")


@dataclass
class WritePlan:
    """What will be written where, and what the user should know about it."""

    out: Path
    ext: str
    adapter: str
    label: str
    warnings: list[str] = field(default_factory=list)
    extra_outputs: list[Path] = field(default_factory=list)
    source: Path | None = None   # the editor's own document: patched in place of a rewrite where we can
    sidecar: bool = False        # write only the SceneFill track(s)
    in_place: bool = False       # OUT is the input itself (a backup is kept)
    mode: str = ""               # PATCHED / LOSSLESS_MODE / AUDIO_EDL / SEPARATE / SIDECAR / CONVERTED
    summary: str = ""            # one line: what OUT is
    backup: Path | None = None
    adapter_timeline: otio.schema.Timeline | None = None   # what an adapter writes to a file itself


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: str | os.PathLike | None, *, bundle: bool = False,
                 source: str | os.PathLike | None = None, sidecar: bool = False,
                 in_place: bool = False) -> WritePlan:
    """Refuse an OUT we cannot write before any work is done.

    ``source`` is the timeline that was read; when OUT has the same format and a
    patcher exists for it, the output is that document with our lanes added.
    OUT may not be the input (same path, a symlink or a hard link to it) unless
    ``in_place``; with ``in_place`` OUT defaults to the input.
    """
    if in_place:
        if source is None:
            raise OtioInputError("--in-place needs the input timeline")
        if sidecar:
            raise OtioInputError("--sidecar writes a separate timeline; it cannot go --in-place")
        if out is not None and not _same_file(Path(out), Path(source)):
            raise OtioInputError(f"--in-place writes over {source} itself; leave out -o (or drop --in-place "
                                 "to write a new file)")
        out = os.path.realpath(source)      # through a symlink: the editor's file, not the link
        from scenefill.engine.errors import InvalidRequest
        from scenefill.engine.output_paths import refuse_read_only
        try:
            refuse_read_only(out, field="--in-place")
        except InvalidRequest as exc:
            raise OtioInputError(str(exc)) from None
    if out is None:
        raise OtioInputError("give -o OUT (a new file), or --in-place to write over the input (a backup is kept)")
    p = Path(out)
    if not in_place and source is not None and _same_file(p, Path(source)):
        raise OtioInputError(f"-o {p} is the input timeline: SceneFill writes a new file; pass --in-place to "
                             "write over it (a backup is kept)")
    ext = p.suffix.lower().lstrip(".")
    if bundle and ext != "otioz":
        raise OtioInputError(f"--bundle writes an .otioz bundle; name the output *.otioz (got {p.name})")
    if not ext:
        raise OtioInputError(f"-o {p}: give the output a file extension (.otio, .otioz, .xml, .edl, .aaf ...)")
    if ext in FORMATS:
        adapter, label = FORMATS[ext]
        ours = adapter == "cmx_3600" or (sidecar and adapter in ("fcp_xml", "fcpx_xml")) or (
            source is not None and Path(source).suffix.lower().lstrip(".") == ext
            and patcher_for(adapter) is not None)          # written by our own writers
        if not ours and adapter not in otio.adapters.available_adapter_names():
            raise OtioInputError(f"-o {p}: the {adapter} adapter is not installed")
    else:
        try:
            adapter_obj = otio.adapters.from_filepath(str(p))
        except Exception:  # noqa: BLE001
            raise OtioInputError(
                f"-o {p}: no OTIO writer for .{ext}; use one of "
                + ", ".join("." + e for e in FORMATS)) from None
        adapter, label = adapter_obj.name, adapter_obj.name
        if not adapter_obj.has_feature("write_to_file") and not adapter_obj.has_feature("write_to_string"):
            raise OtioInputError(f"-o {p}: the {adapter} adapter cannot write")
    parent = p.parent if str(p.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent        # a missing folder is created when the output is written
    if not probe.is_dir():
        raise OtioInputError(f"-o {p}: {probe} is not a directory")
    if not os.access(probe, os.W_OK):
        raise OtioInputError(f"-o {p}: directory {probe} is not writable")
    if p.is_dir():
        raise OtioInputError(f"-o {p}: is a directory")
    return WritePlan(p, ext, adapter, label, source=Path(source) if source is not None else None,
                     sidecar=sidecar, in_place=in_place)


# --------------------------------------------------------------------------- preparation

def _generated_tracks(tl) -> list:
    return [t for t in tl.tracks if isinstance(t, otio.schema.Track) and is_generated_track(t)]


def scenefill_lanes(tl, rate: TimelineRate):
    """The plain lanes of the timeline's SceneFill tracks; each placement's provenance also
    carries its track's fill settings (so a conform of a patched document can recover them)."""
    tracks = _generated_tracks(tl)
    lanes = lanes_from_tracks(tracks, rate)
    for track, lane in zip(tracks, lanes):
        meta = track.metadata.get(META_KEY)
        settings = to_plain(meta.get("settings")) if hasattr(meta, "get") and hasattr(meta.get("settings"), "get") \
            else None
        for p in lane.placements:
            plain = to_plain(p.provenance)          # OTIO's AnyDictionary -> JSON-ready dict
            p.provenance.clear()
            p.provenance.update(plain)
            if settings and p.provenance:
                p.provenance.setdefault("settings", settings)
    return lanes


def scenefill_only(tl, rate: TimelineRate) -> otio.schema.Timeline:
    """A timeline of only the SceneFill track(s): same name (+ " SceneFill"), rate and start timecode."""
    side = otio.schema.Timeline(name=f"{tl.name or 'Timeline'} SceneFill",
                                global_start_time=tl.global_start_time,
                                metadata={META_KEY: {"scenefill_only": True, "of": tl.name or ""}})
    for track in _generated_tracks(tl):
        side.tracks.append(track.clone())
    return side


def edl_paths(out: Path, n: int) -> list[Path]:
    return edl_write.edl_paths(out, n)


def serialize(tl: otio.schema.Timeline, plan: WritePlan, rate: TimelineRate) -> list[tuple[Path, bytes | None]]:
    """The bytes to write for each output path (None: the adapter writes ``plan.adapter_timeline``
    to the file itself). Sets ``plan.mode``, ``plan.summary`` and the warnings.

    Raises OtioInputError when the format's writer refuses the timeline, or when
    ``--in-place`` would replace the edit with less than the patched original.
    """
    plan.warnings.clear()
    plan.extra_outputs.clear()
    try:
        with quiet_adapters():
            outputs = _serialize(tl, plan, rate)
    except OtioInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - adapters raise anything
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise OtioInputError(f"the {plan.label} writer cannot write this timeline: {msg[:240]} "
                             "(write .otio instead)") from None
    if not plan.in_place and plan.source is not None:
        for path, _ in outputs:      # an extra output (NAME-A2.edl) may name the input too
            if _same_file(path, plan.source):
                raise OtioInputError(f"{path} would be written, but it is the input timeline; "
                                     "choose another -o")
    for path, _ in outputs:          # every file written, extra lanes too, gets the -o checks
        if plan.in_place and path == plan.out:
            continue
        try:
            refuse_non_regular(path)
            refuse_read_only(path)
        except InvalidRequest as exc:
            raise OtioInputError(str(exc)) from None
    if plan.in_place and plan.mode not in (PATCHED, LOSSLESS_MODE):
        raise OtioInputError(f"--in-place: {plan.out.name} would become {plan.summary.split(': ', 1)[-1]}, "
                             f"not your timeline with the SceneFill track added; write a new file with -o")
    return outputs


def _src_ext(plan: WritePlan) -> str:
    return plan.source.suffix.lower().lstrip(".") if plan.source is not None else ""


def _serialize(tl, plan: WritePlan, rate: TimelineRate) -> list[tuple[Path, bytes | None]]:
    name = plan.out.name
    if plan.sidecar:
        plan.mode = SIDECAR
        plan.summary = (f"{name}: the SceneFill track(s) only, as a {plan.label} timeline at {rate.label} fps "
                        f"from {rate.timecode(0)}, to import and paste under your cut")
        return _scenefill_only_outputs(tl, plan, rate)
    if plan.adapter == "cmx_3600":
        return _edl_outputs(tl, plan, rate)
    patcher = patcher_for(plan.adapter)
    same_format = plan.source is not None and _src_ext(plan) == plan.ext
    if patcher is not None and same_format:
        plan.mode = PATCHED
        plan.summary = f"{name}: your {plan.label} with the SceneFill track(s) added; nothing else changed"
        return [(plan.out, patcher.patch(plan.source.read_bytes(), scenefill_lanes(tl, rate), rate))]
    if plan.adapter in LOSSLESS:
        plan.mode = LOSSLESS_MODE
        plan.summary = f"{name}: the whole timeline with the SceneFill track(s)" + (
            " and their media (lossless)" if plan.adapter == "otioz" else " (lossless)")
        if _src_ext(plan) and _src_ext(plan) not in ("otio", "json", "otioz"):
            plan.warnings.append(_conversion_note(plan))
        if plan.adapter == "otioz":
            return [(plan.out, _otioz_bytes(tl))]
        return [(plan.out, otio.adapters.write_to_string(tl, "otio_json").encode())]
    if plan.adapter == "AAF" or same_format:
        # a format we cannot edit in place: never rewrite the whole edit through a lossy writer
        plan.mode = SEPARATE
        what = plan.source.name if same_format else "your timeline"
        plan.summary = (f"{name}: the SceneFill track(s) only, as a {plan.label} timeline at {rate.label} fps "
                        f"from {rate.timecode(0)} ({what} is unchanged)")
        plan.warnings.append(f"{plan.label} cannot be patched in place: {name} holds only the SceneFill "
                             f"track(s), same rate and start timecode; import it and lay it under your cut")
        return _scenefill_only_outputs(tl, plan, rate)
    # a conversion the user asked for: through OTIO's writer, with its known losses named
    plan.mode = CONVERTED
    plan.summary = f"{name}: the whole timeline converted to {plan.label} through OTIO's adapter"
    if plan.source is not None and _src_ext(plan):
        plan.warnings.append(_conversion_note(plan))
    if plan.adapter == "fcp_xml":
        if _has_markers(tl):
            plan.warnings.append("FCP7 XML keeps marker notes (as <comment>) but not marker colours "
                                 "(they read back as red)")
        return [(plan.out, otio.adapters.write_to_string(tl, "fcp_xml").encode())]
    if plan.adapter == "kdenlive":
        plan.warnings.append("the Kdenlive adapter drops clip markers; Kdenlive 25.04+ opens .otio "
                             "directly, which keeps everything")
        return [(plan.out, otio.adapters.write_to_string(tl, "kdenlive").encode())]
    adapter = otio.adapters.from_name(plan.adapter)
    if adapter.has_feature("write_to_string"):
        return [(plan.out, otio.adapters.write_to_string(tl, plan.adapter).encode())]
    plan.adapter_timeline = tl
    return [(plan.out, None)]


def _conversion_note(plan: WritePlan) -> str:
    ext = _src_ext(plan)
    note = f"converted .{ext} to {plan.label}: only what OTIO's reader takes from {plan.source.name} is carried over"
    if ext == "edl":  # an EDL is never rewritten: -o NAME.edl writes the SceneFill events as their own EDL
        return note + " (write .edl for an audio-only EDL of the SceneFill events beside your picture EDL)"
    return note + f" (write .{ext} to get your own file back with the SceneFill track added)"


def _edl_outputs(tl, plan: WritePlan, rate: TimelineRate) -> list[tuple[Path, bytes | None]]:
    lanes = scenefill_lanes(tl, rate)
    outputs = edl_write.write_edls(tl.name or "SceneFill", lanes, rate, plan.out)
    plan.mode = SIDECAR if plan.sidecar else AUDIO_EDL
    kept = "your picture EDL is unchanged" if _src_ext(plan) == "edl" else "the picture stays in your timeline"
    plan.summary = (f"{plan.out.name}: an audio-only EDL of the SceneFill events at {rate.label} fps "
                    f"from {rate.timecode(0)} ({kept})")
    if not plan.sidecar:
        plan.warnings.append(f"an EDL holds one track: {plan.out.name} has the SceneFill audio events only "
                             "(record timecode from the timeline start); keep your picture EDL beside it")
    if len(outputs) > 1:
        plan.warnings.append("overlapping notes went to extra audio-only EDLs: "
                             + ", ".join(p.name for p, _ in outputs[1:]))
        plan.extra_outputs.extend(p for p, _ in outputs[1:])
    return list(outputs)


def _scenefill_only_outputs(tl, plan: WritePlan, rate: TimelineRate) -> list[tuple[Path, bytes | None]]:
    """OUT = a timeline of OUT's format holding only the SceneFill track(s)."""
    side = scenefill_only(tl, rate)
    if plan.adapter == "cmx_3600":
        return _edl_outputs(tl, plan, rate)
    if plan.adapter == "otio_json":
        return [(plan.out, otio.adapters.write_to_string(side, "otio_json").encode())]
    if plan.adapter == "otioz":
        return [(plan.out, _otioz_bytes(side))]
    if plan.adapter in ("fcp_xml", "fcpx_xml"):
        from .patch import fcp7, fcpx

        lanes = scenefill_lanes(tl, rate)
        if plan.adapter == "fcp_xml":
            return [(plan.out, fcp7.patch(_xmeml_skeleton(side.name, lanes, rate), lanes, rate))]
        return [(plan.out, fcpx.patch(_fcpxml_skeleton(side.name, lanes, rate), lanes, rate))]
    adapter = otio.adapters.from_name(plan.adapter)
    if plan.adapter != "AAF" and adapter.has_feature("write_to_string"):
        return [(plan.out, otio.adapters.write_to_string(side, plan.adapter).encode())]
    plan.adapter_timeline = side
    return [(plan.out, None)]


def _end_frame(lanes) -> int:
    return max([p.end for lane in lanes for p in lane.placements] or [1])


def _xmeml_skeleton(name: str, lanes, rate: TimelineRate) -> bytes:
    """An empty FCP7 sequence at the timeline's rate and start timecode, for the patcher to fill."""
    ntsc = rate.exact.denominator == 1001
    timebase = round(rate.exact * 1001 / 1000) if ntsc else int(rate.exact)
    r = f"<rate><timebase>{timebase}</timebase><ntsc>{'TRUE' if ntsc else 'FALSE'}</ntsc></rate>"
    fmt = "DF" if rate.drop_frame else "NDF"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n<xmeml version="4">\n'
            f'\t<sequence id="scenefill-sequence">\n\t\t<name>{escape(name)}</name>\n'
            f'\t\t<duration>{_end_frame(lanes)}</duration>\n\t\t{r}\n'
            f'\t\t<timecode>{r}<string>{rate.timecode(0)}</string><frame>{rate.start_frame}</frame>'
            f'<displayformat>{fmt}</displayformat></timecode>\n'
            f'\t\t<media>\n\t\t\t<video>\n\t\t\t\t<format><samplecharacteristics>{r}<width>1920</width>'
            f'<height>1080</height><pixelaspectratio>square</pixelaspectratio></samplecharacteristics>'
            f'</format>\n\t\t\t</video>\n\t\t\t<audio>\n\t\t\t\t<numOutputChannels>2</numOutputChannels>\n'
            f'\t\t\t\t<format><samplecharacteristics><depth>24</depth><samplerate>48000</samplerate>'
            f'</samplecharacteristics></format>\n\t\t\t</audio>\n\t\t</media>\n'
            f'\t</sequence>\n</xmeml>\n').encode()


def _fcpxml_skeleton(name: str, lanes, rate: TimelineRate) -> bytes:
    """An FCPXML project with one gap spanning the SceneFill clips, for the patcher to connect them to."""
    from .patch.fcpx import format_time

    fd = 1 / rate.exact
    den = fd.denominator * (1000 if fd.denominator < 100 else 1)
    start = rate.start_frame * fd
    dur = _end_frame(lanes) * fd
    fmt = "DF" if rate.drop_frame else "NDF"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n<fcpxml version="1.8">\n'
            f'    <resources>\n        <format id="r1" frameDuration="{format_time(fd, den)}" '
            f'width="1920" height="1080"/>\n    </resources>\n'
            f'    <project name="{escape(name)}">\n'
            f'        <sequence format="r1" duration="{format_time(dur, den)}" tcStart="{format_time(start, den)}" '
            f'tcFormat="{fmt}" audioLayout="stereo" audioRate="48k">\n'
            f'            <spine>\n                <gap name="Gap" offset="{format_time(start, den)}" '
            f'duration="{format_time(dur, den)}" start="{format_time(start, den)}"/>\n'
            f'            </spine>\n        </sequence>\n    </project>\n</fcpxml>\n').encode()


def _aaf_ready(tl):
    """A copy the AAF writer accepts: media references without a known length (EDL, XML
    sources) get their clip's source range as available range."""
    copy = tl.deepcopy()
    for clip in copy.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.ExternalReference) and ref.available_range is None \
                and clip.source_range is not None:
            ref.available_range = clip.source_range
    return copy


def _has_markers(tl) -> bool:
    if len(tl.tracks.markers):
        return True
    return any(len(getattr(i, "markers", [])) for i in tl.tracks.find_children())


def _otioz_bytes(tl) -> bytes:
    """An .otioz: content.otio with the SceneFill media relinked into media/, plus those files."""
    copy = tl.deepcopy()
    files: dict[str, str] = {}
    for track in _generated_tracks(copy):
        for clip in track.find_clips():
            ref = clip.media_reference
            url = getattr(ref, "target_url", "")
            if not url:
                continue
            path = otio.url_utils.filepath_from_url(url)
            if not os.path.isfile(path):
                raise OtioInputError(f"cannot bundle {path}: the file is missing")
            name = os.path.basename(path)
            if files.get(name, path) != path:
                raise OtioInputError(f"cannot bundle two media files named {name}")
            files[name] = path
            ref.target_url = "media/" + name
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("version.txt", "1.0.0", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.otio", otio.adapters.write_to_string(copy, "otio_json"),
                   compress_type=zipfile.ZIP_DEFLATED)
        for name, path in sorted(files.items()):
            z.write(path, "media/" + name, compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


# --------------------------------------------------------------------------- writing

def _atomic_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = temp_beside(path, ".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _atomic_adapter(tl, path: Path, plan: WritePlan, mode: int | None = None) -> None:
    tmpdir = tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent or ".")
    tmp = os.path.join(tmpdir, path.name)
    try:
        kwargs = {}
        if plan.adapter == "AAF":
            kwargs["use_empty_mob_ids"] = True
            tl = _aaf_ready(tl)
        try:
            with quiet_adapters():
                otio.adapters.write_to_file(tl, tmp, adapter_name=plan.adapter, **kwargs)
        except Exception as exc:  # noqa: BLE001
            msg = " ".join(str(exc).split()) or type(exc).__name__
            raise OtioInputError(f"the {plan.label} writer cannot write this timeline: {msg[:240]} "
                                 "(write .otio instead)") from None
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        for root, dirs, files in os.walk(tmpdir, topdown=False):
            for f in files:
                os.unlink(os.path.join(root, f))
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(tmpdir)


def preflight(tl, plan: WritePlan, rate: TimelineRate) -> None:
    """Run the format's writer in memory (or to a scratch file) to fail before rendering."""
    if plan.adapter == "otioz":
        return  # the bundle needs the media, which is not rendered yet
    outputs = serialize(tl, plan, rate)
    if any(data is None for _, data in outputs):
        tmpdir = tempfile.mkdtemp(prefix=".sf-preflight-")
        try:
            _atomic_adapter(plan.adapter_timeline or tl, Path(tmpdir) / plan.out.name, plan)
        finally:
            for f in os.listdir(tmpdir):
                os.unlink(os.path.join(tmpdir, f))
            os.rmdir(tmpdir)


def backup_path(path: Path, now: float | None = None) -> Path:
    """``NAME.scenefill-backup-YYYYmmdd-HHMMSS.ext`` beside ``path`` (``-2``, ``-3`` ... if taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = f"{path.stem}.scenefill-backup-{stamp}"
    candidate = path.with_name(base + path.suffix)
    n = 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{base}-{n}{path.suffix}")
    return candidate


def _keep_backup(path: Path) -> Path:
    """Copy the editor's file to a new backup name (exclusive create: never overwrites anything)."""
    while True:
        target = backup_path(path)
        try:
            with open(path, "rb") as src, open(target, "xb") as dst:
                shutil.copyfileobj(src, dst)
                dst.flush()
                os.fsync(dst.fileno())
        except FileExistsError:
            continue
        shutil.copystat(path, target)
        return target


def write_output(tl, plan: WritePlan, rate: TimelineRate) -> list[Path]:
    """Write every output file atomically; returns the paths written. With ``--in-place`` the
    input is first copied to a backup (named in the warnings)."""
    outputs = serialize(tl, plan, rate)
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    mode = None
    if plan.in_place:
        mode = stat.S_IMODE(os.stat(plan.out).st_mode)   # the editor's file keeps its permissions
        plan.backup = _keep_backup(plan.out)
        plan.warnings.append(f"wrote over {plan.out.name} (--in-place); the original is kept as "
                             f"{plan.backup.name}")
    written = []
    for path, data in outputs:
        keep = mode if mode is not None and path == plan.out else None
        if data is None:
            _atomic_adapter(plan.adapter_timeline or tl, path, plan, mode=keep)
        else:
            _atomic_bytes(path, data, mode=0o644 if keep is None else keep)
        written.append(path)
    return written


def note_fields(marker, note: str) -> None:
    """Copy a note into every field an NLE or adapter reads it from."""
    if not (marker.comment or "").strip():
        marker.comment = note
    resolve = marker.metadata.get("Resolve_OTIO")
    if not hasattr(resolve, "get"):
        marker.metadata["Resolve_OTIO"] = {"Keywords": [], "Note": note}
    elif not (isinstance(resolve.get("Note"), str) and resolve.get("Note").strip()):
        resolve["Note"] = note
        if "Keywords" not in resolve:
            resolve["Keywords"] = []
    fcp = marker.metadata.get("fcp_xml")
    if not hasattr(fcp, "get"):
        marker.metadata["fcp_xml"] = {"comment": note}
    elif not (isinstance(fcp.get("comment"), str) and fcp.get("comment").strip()):
        fcp["comment"] = note


def json_safe(value):
    """Plain data for OTIO metadata (no None, ints within int64)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value if v is not None]
    if isinstance(value, Path):
        return str(value)
    return value


__all__ = ["FORMATS", "WritePlan", "check_output", "preflight", "write_output", "note_fields",
           "json_safe", "META_KEY", "edl_paths", "serialize", "scenefill_lanes", "scenefill_only",
           "backup_path", "PATCHED", "LOSSLESS_MODE", "AUDIO_EDL", "SEPARATE", "SIDECAR", "CONVERTED"]
