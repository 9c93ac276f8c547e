"""OTIO adapter: fill -- exact lengths, tiling, rates, every writer, the CLI and bad input."""

from __future__ import annotations

import json
import zipfile
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
import soundfile as sf
from opentimelineio.opentime import RationalTime as RT
from opentimelineio.opentime import TimeRange as TR

from scenefill.cli import main as scenefill_main
from scenefill.engine.timing import frame_to_sample, frames_to_samples
from scenefill.plugin.otio_common import OtioInputError, detect_rate, is_generated_track
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.renderer import InProcessRenderer, PlaceholderRenderer
from scenefill.plugin.timeline_notes import extract_notes, marker_note, read_timeline

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "otio-samples"
EXAMPLES = REPO / "examples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(),
                                   reason=f"sample timelines not found at {SAMPLES} (CI keeps shared/ beside the clone)")

FAST = FillSettings(placeholder=True)


def generated_clips(tl):
    """(clip, record start frame, frames) of every SceneFill clip, in timeline order."""
    out = []
    for track in tl.tracks:
        if isinstance(track, otio.schema.Track) and is_generated_track(track):
            for clip in track.find_clips():
                r = clip.range_in_parent()
                out.append((clip, round(r.start_time.value), round(r.duration.value)))
    return sorted(out, key=lambda c: c[1])


def clip_path(clip) -> Path:
    return Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url))


def check_exact(tl, sr=48000):
    """Every generated file holds exactly the samples of its clip's record range (absolute positions)."""
    rate = detect_rate(tl)
    clips = generated_clips(tl)
    assert clips
    for clip, start, n in clips:
        assert clip.source_range.duration.rate == rate.spelled          # ranges at the timeline's rate
        assert clip.media_reference.available_range.duration.value == n
        expected = frames_to_samples(rate.start_frame + start, n, rate.exact, sr)
        info = sf.info(str(clip_path(clip)))
        assert info.frames == expected, clip.name
        assert info.samplerate == sr
        if "scenefill" not in clip.metadata:      # formats that drop metadata (FCP XML, AAF, EDL)
            continue
        prov = clip.metadata["scenefill"]
        assert prov["audio"]["samples"] == expected
        assert prov["audio"]["start_sample"] == frame_to_sample(rate.start_frame + start, rate.exact, sr)
        assert prov["note"] and prov["engine"] and prov["source"]["id"]
        assert isinstance(prov["seed"], int)
    return clips


# --------------------------------------------------------------------------- samples

SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*")) if SAMPLES.is_dir() else []


def _has_notes(path: Path) -> bool:
    try:
        tl = read_timeline(path)
    except OtioInputError:
        return False
    return bool(extract_notes(tl).items)


@needs_samples
@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_sample_fills_exactly_or_is_refused_clearly(name, tmp_path):
    path = SAMPLES / name
    if path.suffix == ".fcpxml" and "fcpx_xml" not in otio.adapters.available_adapter_names():
        pytest.skip("otio-fcpx-xml-adapter is not installed")
    if path.suffix == ".kdenlive" and "kdenlive" not in otio.adapters.available_adapter_names():
        pytest.skip("otio-kdenlive-adapter is not installed")
    out = tmp_path / "out.otio"
    if not _has_notes(path):
        with pytest.raises(OtioInputError, match="no usable notes"):
            fill(path, out, settings=FAST, renderer=PlaceholderRenderer())
        assert not out.exists() and not (tmp_path / "out_media").exists()
        return
    report = fill(path, out, settings=FAST, renderer=PlaceholderRenderer())
    tl = otio.adapters.read_from_file(str(out))
    clips = check_exact(read_timeline(out))
    assert len(clips) == len(report.planned)
    # each source marker now carries its id and the note in every field NLEs read
    ids = {c.metadata["scenefill"]["source"]["id"] for c, _, _ in clips}
    stamped = {}
    for item in [tl.tracks] + list(tl.tracks.find_children()):
        for m in getattr(item, "markers", []):
            if "scenefill" in m.metadata:
                stamped[m.metadata["scenefill"]["id"]] = m
    for ident in ids:
        if ident in stamped:
            m = stamped[ident]
            note = marker_note(m)[0]
            assert m.comment == note
            assert m.metadata["Resolve_OTIO"]["Note"] == note
            assert m.metadata["fcp_xml"]["comment"] == note


# --------------------------------------------------------------------------- exactness and tiling

def _marker_timeline(rate: float, starts_and_lengths, gst_frames=0):
    tl = otio.schema.Timeline("t", global_start_time=RT(gst_frames, rate))
    v = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    end = max(s + n for s, n in starts_and_lengths) + 10
    v.append(otio.schema.Clip("shot", source_range=TR(RT(0, rate), RT(end, rate))))
    tl.tracks.append(v)
    for i, (s, n) in enumerate(starts_and_lengths):
        tl.tracks.markers.append(otio.schema.Marker(f"m{i}", TR(RT(s, rate), RT(n, rate)), comment=f"note {i}"))
    return tl


def test_adjacent_clips_tile_to_the_sample_at_2997(tmp_path):
    rate = 30000 / 1001
    # odd lengths and an odd start, an hour in: per-frame sample counts alternate 1601/1602
    spans = [(0, 7), (7, 13), (20, 1), (21, 29), (50, 3)]
    tl = _marker_timeline(rate, spans, gst_frames=107892)
    path = tmp_path / "in.otio"
    otio.adapters.write_to_file(tl, str(path))
    fill(path, tmp_path / "out.otio", settings=FillSettings(placeholder=True, min_seconds=0),
         renderer=PlaceholderRenderer())
    out = read_timeline(tmp_path / "out.otio")
    clips = check_exact(out)
    starts = [c.metadata["scenefill"]["audio"]["start_sample"] for c, _, _ in clips]
    lengths = [c.metadata["scenefill"]["audio"]["samples"] for c, _, _ in clips]
    for a in range(len(clips) - 1):
        assert starts[a] + lengths[a] == starts[a + 1]            # no gap, no overlap
    total = frames_to_samples(107892, 53, Fraction(30000, 1001), 48000)
    assert sum(lengths) == total
    assert {lengths[0] - 7 * 1601, lengths[1] - 13 * 1601} <= set(range(0, 14))
    assert len({c.parent().name for c, _, _ in clips}) == 1      # one track: they do not overlap


def test_rate_spellings_behave_the_same(tmp_path):
    results = {}
    for n, spelling in enumerate([24000 / 1001, 23.976, 23.976023976, 23.976024627685547]):
        tl = _marker_timeline(spelling, [(0, 100), (100, 57), (300, 30)], gst_frames=86400)
        path = tmp_path / f"in{n}.otio"
        otio.adapters.write_to_file(tl, str(path))
        out = tmp_path / f"out{n}.otio"
        report = fill(path, out, settings=FAST, renderer=PlaceholderRenderer(), media_dir=tmp_path / "m")
        assert report.rate.exact == Fraction(24000, 1001)
        results[spelling] = [(p.item.start, p.item.n_frames, p.request.n_samples, p.key, p.status)
                             for p in report.planned]
        # the output keeps the file's own spelling of the rate (AAF needs them float-equal)
        assert {c.source_range.duration.rate for c, _, _ in generated_clips(read_timeline(out))} == {spelling}
    reference = [r[:4] for r in results[24000 / 1001]]
    # 23.976 is exactly 2002 samples a frame at 48 kHz, whatever the spelling
    assert [r[2] for r in reference] == [100 * 2002, 57 * 2002, 30 * 2002]
    for spelling, got in results.items():
        assert [r[:4] for r in got] == reference, spelling       # same ranges, samples and request keys
        if spelling != 24000 / 1001:
            assert {r[4] for r in got} == {"cached"}             # so the same files


# --------------------------------------------------------------------------- writers

@pytest.fixture(scope="module")
def filled_example(tmp_path_factory):
    d = tmp_path_factory.mktemp("example")
    report = fill(EXAMPLES / "short_film.otio", d / "short.otio", settings=FAST,
                  renderer=PlaceholderRenderer(), media_dir=d / "media")
    return d, report


def _audio_positions(tl):
    return [(s, n) for _, s, n in generated_clips(tl)]


def test_write_otioz_bundle_has_the_media(filled_example, tmp_path):
    d, report = filled_example
    out = tmp_path / "film.otioz"
    fill(EXAMPLES / "short_film.otio", out, settings=FAST, renderer=PlaceholderRenderer(),
         media_dir=d / "media", bundle=True)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        content = otio.adapters.read_from_string(z.read("content.otio").decode(), "otio_json")
    media = [n for n in names if n.startswith("media/")]
    assert len(media) == len(report.planned)
    urls = {c.media_reference.target_url for c, _, _ in generated_clips(content)}
    assert urls == set(media)
    tl = otio.adapters.read_from_file(str(out))
    assert _audio_positions(tl) == [(p.item.start, p.item.n_frames) for p in
                                    sorted(report.planned, key=lambda p: p.item.start)]
    with pytest.raises(OtioInputError, match="--bundle"):
        fill(EXAMPLES / "short_film.otio", tmp_path / "x.otio", settings=FAST,
             renderer=PlaceholderRenderer(), bundle=True)


def test_write_fcp_xml_keeps_positions_and_notes(filled_example, tmp_path):
    d, report = filled_example
    out = tmp_path / "film.xml"
    r = fill(EXAMPLES / "short_film.otio", out, settings=FAST, renderer=PlaceholderRenderer(),
             media_dir=d / "media")
    assert any("colour" in w for w in r.warnings)
    text = out.read_text()
    assert "<samplerate>48000</samplerate>" in text and "<mediatype>audio</mediatype>" in text
    back = read_timeline(out)
    assert back.global_start_time.value == 86400
    expected = sorted((p.item.start, p.item.n_frames) for p in report.planned)
    assert sorted(_audio_positions(back)) == expected
    notes = {marker_note(m)[0] for m in back.tracks.markers}
    assert "light rain on a train platform at night, distant traffic" in notes


def test_write_edl_audio_only_at_record_timecode(filled_example, tmp_path):
    d, report = filled_example
    out = tmp_path / "film.edl"
    r = fill(EXAMPLES / "short_film.otio", out, settings=FAST, renderer=PlaceholderRenderer(),
             media_dir=d / "media")
    assert any("one track" in w for w in r.warnings)
    lanes = {p.lane for p in report.planned}
    assert [p.name for p in r.written] == ["film.edl"] + [f"film-A{i + 1}.edl" for i in range(1, len(lanes))]
    text = out.read_text()
    assert " AA    C " in text and "01:00:00:00" in text and "FCM: NON-DROP FRAME" in text
    back = read_timeline(out, rate="23.976")
    a1 = [t for t in back.tracks if t.name == "A1"][0]          # AA = the same events on A1 and A2
    got = sorted((c.transformed_time_range(c.trimmed_range(), back.tracks).start_time.value,
                  c.source_range.duration.value) for c in a1.find_clips())
    expected = sorted((p.item.start, p.item.n_frames) for p in report.planned if p.lane == 0)
    assert got == expected and back.global_start_time.value == 86400


def test_write_aaf_is_the_scenefill_track_on_its_own(filled_example, tmp_path):
    """AAF cannot be patched: OUT is the SceneFill track alone (same start), never a lossy rewrite."""
    d, report = filled_example
    out = tmp_path / "film.aaf"
    r = fill(EXAMPLES / "short_film.otio", out, settings=FAST, renderer=PlaceholderRenderer(),
             media_dir=d / "media")
    assert any("AAF cannot be patched" in w for w in r.warnings)
    assert "SceneFill track(s) only" in r.summary
    back = read_timeline(out)
    assert not list(back.video_tracks())
    assert back.global_start_time.value == 86400
    audio = [t for t in back.audio_tracks() if any(
        "_" in (getattr(c.media_reference, "target_url", "") or "") and
        c.media_reference.target_url.endswith(".placeholder.wav") for c in t.find_clips())]
    got = sorted((round(c.range_in_parent().start_time.value), round(c.source_range.duration.value))
                 for t in audio for c in t.find_clips())
    assert got == sorted((p.item.start, p.item.n_frames) for p in report.planned)


@pytest.mark.parametrize("ext,adapter", [("kdenlive", "kdenlive"), ("fcpxml", "fcpx_xml")])
def test_write_other_adapters(ext, adapter, filled_example, tmp_path):
    if adapter not in otio.adapters.available_adapter_names():
        pytest.skip(f"the {adapter} adapter is not installed")
    d, report = filled_example
    out = tmp_path / f"film.{ext}"
    try:
        fill(EXAMPLES / "short_film.otio", out, settings=FAST, renderer=PlaceholderRenderer(),
             media_dir=d / "media")
    except OtioInputError as exc:          # a writer bug is reported in one line, nothing written
        assert "writer cannot write" in str(exc)
        assert not out.exists()
        return
    assert out.exists()


def test_refill_replaces_the_scenefill_track(filled_example, tmp_path):
    d, report = filled_example
    out = tmp_path / "again.otio"
    r = fill(d / "short.otio", out, settings=FAST, renderer=PlaceholderRenderer(), media_dir=d / "media")
    assert r.replaced_tracks == len({p.lane for p in report.planned})
    assert {p.status for p in r.planned} == {"cached"}
    assert [p.item.id for p in r.planned] == [p.item.id for p in report.planned]   # ids were stamped
    assert _audio_positions(read_timeline(out)) == _audio_positions(read_timeline(d / "short.otio"))


# --------------------------------------------------------------------------- CLI, bad input, real engine

def run_cli(args, capsys):
    code = scenefill_main(["otio", *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_refusal(code, err, *paths):
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("scenefill otio: "), err
    assert "Traceback" not in err
    for p in paths:
        assert not Path(p).exists(), p


def test_bad_input_gets_one_line_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "o" / "out.otio"
    media = tmp_path / "o" / "out_media"
    code, _, err = run_cli(["fill", str(tmp_path / "missing.otio"), "-o", str(out)], capsys)
    assert_clean_refusal(code, err, out, media)
    assert "no such file" in err

    garbage = tmp_path / "garbage.xml"
    garbage.write_text("<xmeml><oops")
    code, _, err = run_cli(["fill", str(garbage), "-o", str(out)], capsys)
    assert_clean_refusal(code, err, out, media)

    empty = tmp_path / "empty.otio"
    tl = otio.schema.Timeline("t")
    tr = otio.schema.Track()
    tr.append(otio.schema.Clip("c", source_range=TR(RT(0, 24), RT(48, 24))))
    tl.tracks.append(tr)
    otio.adapters.write_to_file(tl, str(empty))
    code, _, err = run_cli(["fill", str(empty), "-o", str(out)], capsys)
    assert_clean_refusal(code, err, out, media)
    assert "no usable notes" in err

    odd = tmp_path / "odd.otio"
    tl = _marker_timeline(15.0, [(0, 30)])
    otio.adapters.write_to_file(tl, str(odd))
    code, _, err = run_cli(["fill", str(odd), "-o", str(out)], capsys)
    assert_clean_refusal(code, err, out, media)
    assert "unsupported frame rate 15" in err

    good = EXAMPLES / "short_film.otio"
    code, _, err = run_cli(["fill", str(good), "-o", str(tmp_path / "out.mov")], capsys)
    assert_clean_refusal(code, err, tmp_path / "out.mov")
    code, _, err = run_cli(["fill", str(good), "-o", str(out), "--marker-color", "CHARTREUSE"], capsys)
    assert_clean_refusal(code, err, out, media)
    code, _, err = run_cli(["fill", str(good), "-o", str(out), "--notes", str(tmp_path / "nope.csv")], capsys)
    assert_clean_refusal(code, err, out, media)


def test_a_writer_that_refuses_fails_before_rendering(tmp_path, capsys):
    # 120 fps has no SMPTE timecode, so no EDL can hold it
    tl = _marker_timeline(120.0, [(0, 480)])
    path = tmp_path / "mixed.otio"
    otio.adapters.write_to_file(tl, str(path))
    out = tmp_path / "mixed.edl"
    code, _, err = run_cli(["fill", str(path), "-o", str(out)], capsys)
    assert_clean_refusal(code, err, out, tmp_path / "mixed_media")
    assert "EDL needs SMPTE timecode" in err


def test_readme_command_fills_the_example_with_the_engine(tmp_path, capsys):
    """What `make demo` runs (the short film, ~38 s of audio), with the real engine."""
    out = tmp_path / "out" / "short_film.filled.otio"
    code, stdout, err = run_cli(["fill", str(EXAMPLES / "short_film.otio"), "-o", str(out),
                                 "--media-dir", str(tmp_path / "out" / "media")], capsys)
    assert code == 0, err
    assert "7 notes (7 rendered" in stdout and "record in" in stdout
    tl = read_timeline(out)
    clips = check_exact(tl)
    assert len(clips) == 7
    for clip, _, _ in clips:
        data, _ = sf.read(str(clip_path(clip)), frames=48000)
        assert abs(data).max() > 0.0005, clip.name          # real audio, not silence
        assert clip.metadata["scenefill"]["audio"]["sha256"]
    assert {t.name for t in tl.audio_tracks()} >= {"SceneFill", "SceneFill 2"}
    # a second run is all cached and fast
    code, stdout, _ = run_cli(["fill", str(EXAMPLES / "short_film.otio"), "-o", str(out),
                               "--media-dir", str(tmp_path / "out" / "media"), "--quiet"], capsys)
    assert code == 0 and stdout == ""
    code, stdout, _ = run_cli(["fill", str(EXAMPLES / "short_film.otio"), "-o", str(out),
                               "--media-dir", str(tmp_path / "out" / "media")], capsys)
    assert "7 cached" in stdout


def test_drop_frame_example_fills_with_the_engine(tmp_path, capsys):
    out = tmp_path / "spot.xml"
    code, stdout, err = run_cli(["fill", str(EXAMPLES / "spot_2997df.otio"), "-o", str(out), "--jobs", "1"],
                                capsys)
    assert code == 0, err
    assert "01:00:00;00" in stdout and "29.97 DF" in stdout
    assert "<displayformat>DF</displayformat>" in out.read_text()
    check_exact(read_timeline(tmp_path / "spot.xml"))


def test_render_failures_are_named_and_exit_1(tmp_path, capsys, monkeypatch):
    import scenefill.plugin.renderer as renderer_mod

    real = renderer_mod._render_one

    def flaky(request, dest, **options):
        if "espresso" in request.note:
            raise RuntimeError("boom")
        return real(request, dest, **options)

    monkeypatch.setattr(renderer_mod, "_render_one", flaky)
    out = tmp_path / "spot.otio"
    code, stdout, err = run_cli(["fill", str(EXAMPLES / "spot_2997df.otio"), "-o", str(out), "--jobs", "1"],
                                capsys)
    assert code == 1
    assert "could not render" in err and "espresso" in err and "boom" in err
    clips = generated_clips(read_timeline(out))
    assert len(clips) == 3 and all("espresso" not in c.name for c, _, _ in clips)


def test_daemon_renderer_wiring(tmp_path, monkeypatch):
    """DaemonRenderer talks to SceneFillClient.render_batch and copies results into the media dir."""
    import scenefill.plugin.client as client_mod
    from scenefill.engine.api import RenderResult

    server_dir = tmp_path / "server"
    server_dir.mkdir()

    class FakeClient:
        def __init__(self, address, token=None):
            self.address = address

        def render_batch(self, items):
            for ident, req in items:
                p = server_dir / f"{ident}.wav"
                sf.write(str(p), [[0.0, 0.0]] * req.total_samples, req.sample_rate, subtype="PCM_24")
                yield ident, RenderResult(p, req.total_samples, req.sample_rate, req.channels, "x" * 64)

        def close(self):
            pass

    monkeypatch.setattr(client_mod, "SceneFillClient", FakeClient)
    monkeypatch.setenv("SCENEFILL_SERVER", "127.0.0.1:1")
    from scenefill.plugin.renderer import make_renderer

    with make_renderer(None) as r:
        assert r.name == "daemon"
        report = fill(EXAMPLES / "spot_2997df.otio", tmp_path / "o.otio", settings=FillSettings(), renderer=r)
    assert {p.status for p in report.planned} == {"rendered"}
    check_exact(read_timeline(tmp_path / "o.otio"))


def test_provenance_is_plain_json(filled_example):
    d, _ = filled_example
    tl = otio.adapters.read_from_file(str(d / "short.otio"))
    for clip, _, _ in generated_clips(tl):
        json.dumps(dict(clip.metadata["scenefill"]), default=lambda o: dict(o) if hasattr(o, "items") else list(o))


def test_inprocess_renderer_reuses_matching_files(tmp_path):
    from scenefill.engine.request import RenderRequest
    from scenefill.plugin.renderer import RenderJob

    req = RenderRequest("light rain", 4800)
    job = RenderJob("a", req, tmp_path / "a.wav")
    seen = []
    out = InProcessRenderer(1).run([job], lambda j, o: seen.append(o.status))
    assert out["a"].status == "rendered" and sf.info(str(job.dest)).frames == 4800
    out = InProcessRenderer(1).run([job], lambda j, o: seen.append(o.status))
    assert out["a"].status == "cached" and seen == ["rendered", "cached"]


def test_fill_through_a_real_daemon(tmp_path, capsys):
    """--server: the daemon renders, the files are copied into the media dir, exact as ever."""
    pytest.importorskip("scenefill.plugin.client")
    testing = pytest.importorskip("scenefill.server.testing")
    with testing.DaemonProcess(tmp_path / "daemon-out", workers=1) as daemon:
        out = tmp_path / "spot.otio"
        code, stdout, err = run_cli(["fill", str(EXAMPLES / "spot_2997df.otio"), "-o", str(out),
                                     "--server", daemon.address], capsys)
        assert code == 0, err
        assert "[daemon]" in stdout and "4 rendered" in stdout
    clips = check_exact(read_timeline(out))
    for clip, _, _ in clips:
        assert clip_path(clip).parent == tmp_path / "spot_media"


def test_unreachable_daemon_fails_every_note_in_one_line(tmp_path, capsys, monkeypatch):
    client_mod = pytest.importorskip("scenefill.plugin.client")
    import socket

    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    real_wait = client_mod.SceneFillClient.wait_ready
    monkeypatch.setattr(client_mod.SceneFillClient, "wait_ready",
                        lambda self, timeout=10.0: real_wait(self, timeout=0.5))
    out = tmp_path / "spot.otio"
    code, _, err = run_cli(["fill", str(EXAMPLES / "spot_2997df.otio"), "-o", str(out),
                            "--server", f"127.0.0.1:{port}"], capsys)
    assert code == 1
    assert "could not render 4 notes" in err and "nothing was written" in err and "Traceback" not in err
    assert not out.exists()
