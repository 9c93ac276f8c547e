"""Write a filled timeline in the format OUT's extension asks for, atomically.

Known losses of each writer are worked around or reported (see
``../shared/reference/otio.md``):

* ``.otio`` / ``.json`` -- lossless.
* ``.otioz`` -- an OTIO bundle: ``content.otio`` plus the SceneFill media under
  ``media/`` (other media references are left as they are; picture is not copied).
* ``.xml`` (FCP7 XML / Premiere) -- no ``Marker.comment`` and no marker colours:
  notes are copied to ``metadata.fcp_xml.comment`` beforehand, colours become red.
* ``.edl`` -- one track per EDL: the file gets the SceneFill audio events only
  (record timecode from the timeline start); a second SceneFill lane goes to
  ``NAME-A2.edl`` and so on.
* ``.aaf`` -- the writer drops every marker; written with empty mob ids.
* ``.kdenlive`` -- the (deprecated) adapter drops clip markers; Kdenlive 25.04+
  opens ``.otio`` natively.
* anything else OTIO has a writer for, as is.

Every write goes to a temporary name in OUT's directory and is renamed into
place only when complete, so a failed write leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from .patch import lanes_from_tracks, patcher_for
from .otio_common import META_KEY, OtioInputError, TimelineRate, is_generated_track, quiet_adapters

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


def check_output(out: str | os.PathLike, *, bundle: bool = False,
                 source: str | os.PathLike | None = None) -> WritePlan:
    """Refuse an OUT we cannot write before any work is done.

    ``source`` is the timeline that was read; when OUT has the same format and a
    patcher exists for it, the output is that document with our lanes added.
    """
    p = Path(out)
    ext = p.suffix.lower().lstrip(".")
    if bundle and ext != "otioz":
        raise OtioInputError(f"--bundle writes an .otioz bundle; name the output *.otioz (got {p.name})")
    if not ext:
        raise OtioInputError(f"-o {p}: give the output a file extension (.otio, .otioz, .xml, .edl, .aaf ...)")
    if ext in FORMATS:
        adapter, label = FORMATS[ext]
        if adapter not in otio.adapters.available_adapter_names():
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
    return WritePlan(p, ext, adapter, label, source=Path(source) if source is not None else None)


# --------------------------------------------------------------------------- preparation

def _generated_tracks(tl) -> list:
    return [t for t in tl.tracks if isinstance(t, otio.schema.Track) and is_generated_track(t)]


def _edl_timelines(tl, rate: TimelineRate) -> list[otio.schema.Timeline]:
    """One audio-only timeline per SceneFill lane, shaped for the EDL writer."""
    out = []
    for track in _generated_tracks(tl):
        copy = track.clone()
        dur = copy.duration()
        if rate.start_frame:
            # The reader's own representation of record timecode: the track starts at -first record TC.
            copy.source_range = otio.opentime.TimeRange(rate.rt(-rate.start_frame),
                                                        otio.opentime.RationalTime(dur.value, dur.rate))
        for clip in copy.find_clips():
            clip.markers.clear()
        edl_tl = otio.schema.Timeline(name=tl.name or "SceneFill")
        edl_tl.tracks.append(copy)
        # The writer insists on exactly one enabled video track; it writes tracks[0] only.
        edl_tl.tracks.append(otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video))
        out.append(edl_tl)
    return out


def edl_paths(out: Path, n: int) -> list[Path]:
    return [out] + [out.with_name(f"{out.stem}-A{i + 1}{out.suffix}") for i in range(1, n)]


def serialize(tl: otio.schema.Timeline, plan: WritePlan, rate: TimelineRate) -> list[tuple[Path, bytes | None]]:
    """The bytes to write for each output path (None: the adapter must write the file itself).

    Raises OtioInputError when the format's writer refuses the timeline.
    """
    plan.warnings.clear()
    plan.extra_outputs.clear()
    try:
        with quiet_adapters():
            return _serialize(tl, plan, rate)
    except OtioInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - adapters raise anything
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise OtioInputError(f"the {plan.label} writer cannot write this timeline: {msg[:240]} "
                             "(write .otio instead)") from None


def _serialize(tl, plan: WritePlan, rate: TimelineRate) -> list[tuple[Path, bytes | None]]:
    patcher = patcher_for(plan.adapter)
    if patcher is not None and plan.source is not None \
            and plan.source.suffix.lower().lstrip(".") == plan.ext:
        lanes = lanes_from_tracks(_generated_tracks(tl), rate)
        return [(plan.out, patcher.patch(plan.source.read_bytes(), lanes, rate))]
    if plan.adapter == "otio_json":
        return [(plan.out, otio.adapters.write_to_string(tl, "otio_json").encode())]
    if plan.adapter == "otioz":
        return [(plan.out, _otioz_bytes(tl))]
    if plan.adapter == "cmx_3600":
        timelines = _edl_timelines(tl, rate)
        paths = edl_paths(plan.out, len(timelines))
        plan.warnings.append(
            f"EDL holds a single track: {plan.out.name} has the SceneFill audio events only "
            "(record timecode from the timeline start); keep your picture EDL, or write "
            ".otio / .xml to keep picture and audio together")
        if len(timelines) > 1:
            plan.warnings.append("overlapping notes went to extra audio-only EDLs: "
                                 + ", ".join(p.name for p in paths[1:]))
            plan.extra_outputs.extend(paths[1:])
        return [(p, otio.adapters.write_to_string(t, "cmx_3600", rate=rate.spelled).encode())
                for p, t in zip(paths, timelines)]
    if plan.adapter == "fcp_xml":
        if _has_markers(tl):
            plan.warnings.append("FCP7 XML keeps marker notes (as <comment>) but not marker colours "
                                 "(they read back as red)")
        return [(plan.out, otio.adapters.write_to_string(tl, "fcp_xml").encode())]
    if plan.adapter == "AAF":
        if _has_markers(tl):
            plan.warnings.append("AAF drops markers: the AAF writer (otio-aaf-adapter 2.0) writes none; "
                                 "the generated clips are named after their notes")
        return [(plan.out, None)]
    if plan.adapter == "kdenlive":
        plan.warnings.append("the Kdenlive adapter drops clip markers; Kdenlive 25.04+ opens .otio "
                             "directly, which keeps everything")
        return [(plan.out, otio.adapters.write_to_string(tl, "kdenlive").encode())]
    adapter = otio.adapters.from_name(plan.adapter)
    if adapter.has_feature("write_to_string"):
        return [(plan.out, otio.adapters.write_to_string(tl, plan.adapter).encode())]
    return [(plan.out, None)]


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

def _atomic_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _atomic_adapter(tl, path: Path, plan: WritePlan) -> None:
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
        return  # the bundle needs the media; its JSON part is checked here:
    outputs = serialize(tl, plan, rate)
    if any(data is None for _, data in outputs):
        tmpdir = tempfile.mkdtemp(prefix=".sf-preflight-")
        try:
            scratch = WritePlan(Path(tmpdir) / plan.out.name, plan.ext, plan.adapter, plan.label)
            _atomic_adapter(tl, scratch.out, scratch)
        finally:
            for f in os.listdir(tmpdir):
                os.unlink(os.path.join(tmpdir, f))
            os.rmdir(tmpdir)


def write_output(tl, plan: WritePlan, rate: TimelineRate) -> list[Path]:
    """Write every output file atomically; returns the paths written."""
    outputs = serialize(tl, plan, rate)
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for path, data in outputs:
        if data is None:
            _atomic_adapter(tl, path, plan)
        else:
            _atomic_bytes(path, data)
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
           "json_safe", "META_KEY", "edl_paths", "serialize"]
