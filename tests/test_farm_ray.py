"""Fill and conform through Ray (``--ray``): a local 2-CPU Ray cluster started for this module.

The editor's story: the same timeline filled on the farm gives the same files, names and
provenance as on the workstation; a worker that dies is retried; a note that keeps failing
is reported by its marker while the rest is delivered; a re-run renders nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime as RT
from opentimelineio.opentime import TimeRange as TR

from farm_impl import attempts
from farm_support import generated_clips, marker_timeline, media_files, start_local_ray, write_timeline
from scenefill.engine.api import render_to_file
from scenefill.engine.request import RenderRequest
from scenefill.plugin.conform import conform
from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.renderer import CACHED, FAILED, RENDERED, InProcessRenderer, RenderJob

ray = pytest.importorskip("ray", reason="the farm extra is not installed (pip install 'scenefill[farm]')")
from scenefill.plugin.farm.ray_renderer import PROBE_PREFIX, RayRenderer  # noqa: E402

NOTES = {"rain": "light rain on a tin roof", "wind": "wind in pine trees",
         "room": "quiet office room tone", "bells": "distant church bells"}
FLAKY = "farm_impl:render"


@pytest.fixture(scope="module", autouse=True)
def local_ray(tmp_path_factory):
    cluster = start_local_ray(tmp_path_factory.mktemp("attempts"))
    yield cluster
    cluster.shutdown()


def without_paths(prov: dict) -> dict:
    prov = dict(prov)
    prov["audio"] = {k: v for k, v in prov["audio"].items() if k != "file"}
    return prov


def fill_both(tmp_path: Path, notes=NOTES, **ray_opts):
    src = write_timeline(marker_timeline(notes), tmp_path / "reel.otio")
    local = fill(src, tmp_path / "local" / "reel.otio", settings=FillSettings(), renderer=InProcessRenderer(1))
    with RayRenderer(**ray_opts) as renderer:
        farm = fill(src, tmp_path / "farm" / "reel.otio", settings=FillSettings(), renderer=renderer)
    return src, local, farm, renderer


def test_fill_through_ray_gives_the_in_process_files_names_and_provenance(tmp_path):
    src, local, farm, renderer = fill_both(tmp_path)
    assert farm.renderer == "ray" and not farm.failed
    assert [p.status for p in farm.planned] == [RENDERED] * len(NOTES)
    assert media_files(tmp_path / "farm" / "reel_media") == media_files(tmp_path / "local" / "reel_media")
    a, b = generated_clips(local.out), generated_clips(farm.out)
    assert sorted(a) == sorted(NOTES)
    assert {k: without_paths(v) for k, v in a.items()} == {k: without_paths(v) for k, v in b.items()}
    # the workers share this machine's filesystem: they wrote in place, nothing was streamed
    assert renderer.stats["in_place"] == len(NOTES) and renderer.stats["streamed"] == 0
    assert not list((tmp_path / "farm" / "reel_media").glob(PROBE_PREFIX + "*"))


def test_results_stream_back_when_the_workers_cannot_see_the_media_dir(tmp_path):
    _, _, farm, renderer = fill_both(tmp_path, transfer="stream")
    assert renderer.stats["streamed"] == len(NOTES) and renderer.stats["in_place"] == 0
    farm_media = tmp_path / "farm" / "reel_media"
    assert media_files(farm_media) == media_files(tmp_path / "local" / "reel_media")
    assert not [p for p in farm_media.iterdir() if p.name.startswith(".")]     # no temp or probe files


def test_a_rerun_is_all_cache_hits_and_submits_nothing(tmp_path):
    src, _, first, _ = fill_both(tmp_path)
    before = media_files(tmp_path / "farm" / "reel_media")
    with RayRenderer() as renderer:
        again = fill(src, tmp_path / "farm" / "reel.otio", settings=FillSettings(), renderer=renderer)
    assert [p.status for p in again.planned] == [CACHED] * len(NOTES)
    assert renderer.stats["submitted"] == 0
    assert media_files(tmp_path / "farm" / "reel_media") == before


def test_the_same_request_twice_in_one_job_renders_once(tmp_path):
    req = RenderRequest(note="rain on leaves", n_samples=48000)
    dest = tmp_path / "rain.wav"
    with RayRenderer() as renderer:
        out = renderer.run([RenderJob("reel1/m1", req, dest), RenderJob("reel2/m7", req, dest)])
    assert {o.status for o in out.values()} == {RENDERED}
    assert renderer.stats == {"submitted": 1, "streamed": 0, "in_place": 1, "deduplicated": 1}


def test_a_killed_worker_is_retried_and_the_job_completes(tmp_path):
    notes = {"door": "crash once: a heavy door slams", "hum": "fridge hum in a kitchen"}
    jobs = [RenderJob(k, RenderRequest(note=n, n_samples=48000, seed=3), tmp_path / f"{k}.wav")
            for k, n in notes.items()]
    with RayRenderer(render_impl=FLAKY, retries=2) as renderer:
        out = renderer.run(jobs)
    assert {k: o.status for k, o in out.items()} == {"door": RENDERED, "hum": RENDERED}
    assert attempts(notes["door"]) == 2                   # killed once, retried once
    assert attempts(notes["hum"]) == 1                    # nothing duplicated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["door.wav", "hum.wav"]   # nothing half-done left
    ref = render_to_file(jobs[0].request, tmp_path / "ref.wav")
    assert (tmp_path / "door.wav").read_bytes() == ref.path.read_bytes()
    assert out["door"].sha256 == ref.sha256


def test_a_note_that_fails_for_good_is_reported_by_its_marker(tmp_path):
    notes = dict(NOTES, crash="always crash: glass shatters")
    src = write_timeline(marker_timeline(notes), tmp_path / "reel.otio")
    with RayRenderer(render_impl=FLAKY, retries=1) as renderer:
        report = fill(src, tmp_path / "out.otio", settings=FillSettings(), renderer=renderer)
    [failed] = report.failed
    assert failed.item.name == "crash" and failed.status == FAILED
    assert "worker died on each of 2 tries" in failed.error
    assert attempts(notes["crash"]) == 2                  # bounded: one try and one retry
    assert sorted(generated_clips(report.out)) == sorted(NOTES)   # the rest is delivered


def test_an_engine_error_is_reported_at_once_not_retried(tmp_path):
    note = "always fail: a dragon roars"
    job = RenderJob("m", RenderRequest(note=note, n_samples=48000), tmp_path / "x.wav")
    with RayRenderer(render_impl=FLAKY, retries=3) as renderer:
        out = renderer.run([job])
    assert out["m"].status == FAILED and out["m"].error == "the model refused this note"
    assert attempts(note) == 1
    assert not (tmp_path / "x.wav").exists()


def test_conform_through_ray_matches_conform_in_process(tmp_path):
    src = write_timeline(marker_timeline(NOTES), tmp_path / "cut1.otio")
    filled = tmp_path / "cut1.filled.otio"
    fill(src, filled, settings=FillSettings(), renderer=InProcessRenderer(1))
    tl = otio.adapters.read_from_file(str(filled))
    v = tl.tracks[0]
    v[0].markers[0].comment = "heavy rain on a tin roof"                 # changed note: regenerated
    v[1].source_range = TR(v[1].source_range.start_time, RT(72, 24.0))  # longer shot: extended
    v[1].markers[0].marked_range = TR(RT(1000, 24.0), RT(72, 24.0))
    recut = tmp_path / "cut2.otio"
    otio.adapters.write_to_file(tl, str(recut))

    local = conform(recut, tmp_path / "local.otio", renderer=InProcessRenderer(1),
                    media_dir=tmp_path / "local_media")
    with RayRenderer() as renderer:
        farm = conform(recut, tmp_path / "farm.otio", renderer=renderer, media_dir=tmp_path / "farm_media")
    assert not farm.failures and farm.renders == local.renders >= 2
    assert [(c.change, c.note) for c in farm.changes] == [(c.change, c.note) for c in local.changes]
    assert {"regenerated", "extended"} <= {c.change for c in farm.changes}
    assert media_files(tmp_path / "farm_media") == media_files(tmp_path / "local_media")


def test_the_sweep_removes_only_this_run_s_leftovers(tmp_path):
    from scenefill.plugin.farm.ray_renderer import sweep

    token = "0123abcd"
    mine = [tmp_path / f".sf-ray-{token}-rain.wav", tmp_path / f"..sf-ray-{token}-rain.wav.x1y2.part"]
    others = [tmp_path / ".sf-ray-ffff-rain.wav", tmp_path / "rain.wav", tmp_path / f"{token}.wav"]
    for p in mine + others:
        p.write_bytes(b"x")
    assert sweep(tmp_path, token) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in others)


def test_a_worker_with_another_engine_refuses_and_a_stream_carries_the_engine_s_file(tmp_path):
    from scenefill.plugin.farm.tasks import EngineMismatch, render_task

    req = RenderRequest(note="light rain", n_samples=4800)
    with pytest.raises(EngineMismatch, match="install the same scenefill on every node"):
        render_task(req.to_dict(), str(tmp_path / "x.wav"), engine="scenefill-engine/0.0.1")
    from scenefill import ENGINE_VERSION

    res = render_task(req.to_dict(), str(tmp_path / "x.wav"), engine=ENGINE_VERSION,   # no probe: stream
                      source_date_epoch=os.environ["SOURCE_DATE_EPOCH"])
    assert not (tmp_path / "x.wav").exists()
    assert res.data == render_to_file(req, tmp_path / "ref.wav").path.read_bytes()
