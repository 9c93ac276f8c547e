"""Every real sample timeline filled to its own format: nothing the editor made is lost.

For each file in ../shared/otio-samples (or $SCENEFILL_OTIO_SAMPLES): fill from its
markers where it has notes, otherwise from its clips with a notes sidecar, writing
the same format; then check what OUT is for that format:

* FCP7 XML, FCPXML (and Kdenlive once its patcher is in): the original document
  with our elements added -- strip them and the bytes are the original's;
* OTIO JSON: the whole timeline, every original clip, gap, marker and range kept;
* EDL, AAF: the SceneFill events alone (audio EDL / SceneFill-only AAF), the
  original untouched beside it, the clips at their record positions.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import opentimelineio as otio
import pytest

from scenefill.plugin.edl_write import read_events
from scenefill.plugin.otio_common import OtioInputError, detect_rate, is_generated_track
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.otio_write import FORMATS
from scenefill.plugin.patch import patcher_for
from scenefill.plugin.renderer import PlaceholderRenderer
from scenefill.plugin.timeline_notes import extract_notes, read_timeline

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get("SCENEFILL_OTIO_SAMPLES", REPO.parent / "shared" / "otio-samples"))
FILES = sorted(p.name for p in SAMPLES.glob("*") if p.is_file()) if SAMPLES.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"sample timelines not found at {SAMPLES} "
                                                  "(CI keeps shared/ beside the clone)")


def _rate_for(path: Path) -> str | None:
    return "24" if path.suffix.lower() == ".edl" else None


def _fill_same_format(src: Path, tmp_path: Path):
    """Fill ``src`` (a copy in tmp_path) to the same format; notes from markers, else from clips."""
    work = tmp_path / src.name
    shutil.copyfile(src, work)
    out = tmp_path / f"filled{src.suffix}"
    settings = FillSettings(placeholder=True, rate=_rate_for(src))
    tl = read_timeline(work, rate=settings.rate)
    notes_file = None
    if not extract_notes(tl, rate_override=settings.rate).items:
        names = sorted({c.name for c in tl.find_clips() if c.name})[:3]
        notes_file = tmp_path / "notes.csv"
        notes_file.write_text("clip,note\n" + "".join(f'"{n}",room tone under {i}\n' for i, n in enumerate(names)))
        settings.source = "clips"
    report = fill(work, out, settings=settings, renderer=PlaceholderRenderer(), notes_file=notes_file)
    assert work.read_bytes() == src.read_bytes()             # the input is never touched
    return work, out, report


def _clips(tl) -> list[tuple]:
    """Everything of the editor's that a timeline can hold: per track, item kinds, names, ranges,
    media, markers (SceneFill tracks left out)."""
    rows = []
    for i, track in enumerate(t for t in tl.tracks if not (isinstance(t, otio.schema.Track) and is_generated_track(t))):
        for item in track.find_children() if isinstance(track, otio.schema.Track) else [track]:
            rows.append((i, type(item).__name__, item.name, str(getattr(item, "source_range", None)),
                         getattr(getattr(item, "media_reference", None), "target_url", None),
                         tuple((m.name, str(m.marked_range), m.color) for m in getattr(item, "markers", []))))
    rows.append(("stack", tuple((m.name, str(m.marked_range), m.color) for m in tl.tracks.markers)))
    return rows


@pytest.mark.parametrize("name", FILES)
def test_sample_round_trips_to_its_own_format_with_nothing_lost(name, tmp_path):
    src = SAMPLES / name
    ext = src.suffix.lower().lstrip(".")
    adapter = FORMATS.get(ext, ("otio_json", ""))[0] if ext != "json" else "otio_json"
    if adapter in ("fcpx_xml", "kdenlive") and adapter not in otio.adapters.available_adapter_names():
        pytest.skip(f"the {adapter} adapter is not installed")
    try:
        work, out, report = _fill_same_format(src, tmp_path)
    except OtioInputError as exc:
        pytest.fail(f"{name}: {exc}")
    assert report.planned and report.written
    original = src.read_bytes()
    patcher = patcher_for(adapter)
    sidecars = [p for p in report.written]

    if patcher is not None and adapter not in ("otio_json",):
        # the editor's own document with our elements added: strip them, get the original bytes
        assert report.summary.startswith(f"{out.name}: your ") and "nothing else changed" in report.summary
        assert patcher.strip(out.read_bytes()) == original
        back = read_timeline(out, rate=_rate_for(src))
        assert sum(len(t.find_clips()) for t in back.tracks
                   if isinstance(t, otio.schema.Track) and is_generated_track(t)) >= len(report.planned)
        assert _clips(back) == _clips(read_timeline(work, rate=_rate_for(src)))
        # and a second fill over the patched document replaces our track rather than stacking
        again = tmp_path / f"again{src.suffix}"
        fill(out, again, settings=FillSettings(placeholder=True), renderer=PlaceholderRenderer(),
             media_dir=tmp_path / "filled_media", notes_file=tmp_path / "notes.csv"
             if (tmp_path / "notes.csv").exists() else None)
        assert patcher.strip(again.read_bytes()) == original
    elif adapter == "otio_json":
        # lossless: every clip, gap, range, media reference and marker of the editor's is still there
        back = read_timeline(out)
        assert _clips(back) == _clips(read_timeline(work))
        assert len([t for t in back.tracks if is_generated_track(t)]) >= 1
    elif adapter == "cmx_3600":
        # an audio-only EDL beside the untouched picture EDL
        events = [e for p in sidecars for e in read_events(p.read_text())]
        assert len(events) == len(report.planned)
        assert len({e["reel"] for e in events}) == len({e["source_file"] for e in events})
        rate = detect_rate(read_timeline(work, rate="24"))
        expected = sorted(rate.timecode(p.item.start) for p in report.planned)
        assert sorted(e["rec_in"] for e in events) == expected
    else:
        # AAF and other formats we cannot patch: OUT is the SceneFill track alone, same start
        assert "SceneFill track(s) only" in report.summary
        back = read_timeline(out)
        tracks = [t for t in back.tracks if isinstance(t, otio.schema.Track)]
        assert tracks and all(is_generated_track(t) for t in tracks)
        orig = read_timeline(work)
        if orig.global_start_time is not None:
            assert back.global_start_time is not None
            assert round(back.global_start_time.to_seconds(), 3) == round(orig.global_start_time.to_seconds(), 3)
        rate = detect_rate(orig)
        got = sorted(round(c.transformed_time_range(c.trimmed_range(), back.tracks).start_time.value)
                     for t in tracks for c in t.find_clips())
        assert got == sorted(p.item.start for p in report.planned)

