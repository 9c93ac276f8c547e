"""Stable Audio Open behind SceneFill: a tiny random pipeline of the real classes, on the CPU.

The directory is written with save_pretrained and loaded back through our
loader, so diffusers' real from_pretrained path and StableAudioPipeline run;
only the sizes are tiny (window: 32 latent frames x hop 4 at a made-up 100 Hz
= 1.28 s), so lengths of several windows are cheap.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from neural_fixtures import configured, tiny_dirs  # noqa: F401 - fixtures

pytest.importorskip("diffusers")

from scenefill.engine.api import read_provenance, render_to_file  # noqa: E402
from scenefill.engine.backends import View, load_backend  # noqa: E402
from scenefill.engine.errors import InvalidRequest  # noqa: E402
from scenefill.engine.loudness import integrated_loudness  # noqa: E402
from scenefill.engine.request import RenderRequest  # noqa: E402

RAIN = View("ambience", "heavy rain on a tin roof")


@pytest.fixture(scope="module")
def backend(tiny_dirs):
    return load_backend("stable-audio", tiny_dirs["stable-audio"])


def test_the_model_directory_loads_through_diffusers_with_its_real_limits(backend):
    assert backend.sample_rate == 100 and backend.channels == 2
    assert backend.window_samples == 128 and backend.max_window_s == pytest.approx(1.28)
    assert backend.device == "cpu" and backend.steps == 2


@pytest.mark.parametrize("seconds", [0.3, 1.28, 3.7])
def test_any_length_comes_out_exact_at_the_requested_rate(backend, seconds):
    n = int(seconds * 48000) + 1
    stem = backend.render(RAIN, n, seed=5, sample_rate=48000)
    assert stem.shape == (2, n)
    assert np.isfinite(stem).all() and np.abs(stem).max() > 0


def test_a_longer_render_starts_with_the_samples_of_a_shorter_one(backend):
    long = backend.render(RAIN, 48000 * 6, seed=5, sample_rate=48000)  # five windows
    short = backend.render(RAIN, 48000 * 2 + 17, seed=5, sample_rate=48000)
    assert np.array_equal(short, long[:, :short.shape[1]])
    again = backend.render(RAIN, 48000 * 2 + 17, seed=5, sample_rate=48000)
    assert np.array_equal(short, again)  # deterministic on one device and software
    other = backend.render(RAIN, 48000 * 2, seed=6, sample_rate=48000)
    assert not np.allclose(other, short[:, :other.shape[1]])


def test_a_window_is_the_same_whoever_shares_its_batch(backend):
    jobs = backend.jobs_for(RAIN, 1, 400) + backend.jobs_for(View("music", "calm piano music"), 2, 200)
    alone = backend.render_windows(jobs[1:2])[0]
    batched = backend.render_windows(jobs)
    assert len(batched) == len(jobs) and all(w.shape == (2, 128) for w in batched)
    assert np.allclose(batched[1], alone, atol=1e-5)  # per-item latents and noise; only rounding differs
    assert not np.allclose(batched[0], batched[1])


def test_a_scene_file_meets_the_delivery_targets_and_names_its_model(configured, tmp_path):
    request = RenderRequest("heavy rain on a tin roof, distant thunder", 48000 * 4, backend="stable-audio", seed=2)
    result = render_to_file(request, tmp_path / "rain.wav")
    audio, sr = sf.read(tmp_path / "rain.wav", always_2d=True)
    assert audio.shape == (48000 * 4, 2) and sr == 48000
    assert abs(integrated_loudness(audio.T, sr) - request.loudness) < 1.0
    assert 20 * np.log10(np.abs(audio).max()) <= -1.0
    model = read_provenance(tmp_path / "rain.wav")["model"]
    assert model["backend"] == "stable-audio" and model["steps"] == 2
    assert model["model_dir"] == str(configured["stable-audio"])
    assert set(model["weights"]) >= {"transformer/diffusion_pytorch_model.safetensors",
                                     "vae/diffusion_pytorch_model.safetensors"}
    assert result.provenance["model"]["views"][0]["kind"] == "ambience"


def test_extending_a_clip_keeps_the_approved_audio(configured, tmp_path):
    short = RenderRequest("city traffic at night", 48000 * 2, backend="stable-audio", seed=9)
    render_to_file(short, tmp_path / "a.wav")
    render_to_file(short.replace(n_samples=48000 * 5), tmp_path / "b.wav")
    a, _ = sf.read(tmp_path / "a.wav")
    b, _ = sf.read(tmp_path / "b.wav")
    keep = len(a) - int(0.010 * 48000)  # all but the short render's end fade
    assert np.array_equal(a[:keep], b[:keep])


def test_dialogue_is_spoken_by_piper_in_the_shared_room(configured, tmp_path):
    request = RenderRequest('a quiet forest, a man says "we should go"', 48000 * 3, backend="stable-audio")
    result = render_to_file(request, tmp_path / "talk.wav")
    assert result.provenance["voice"] == "joe"
    assert [v["kind"] for v in result.provenance["model"]["views"]] == ["ambience"]
    assert "we should go" not in json.dumps(result.provenance["model"]["views"])


def test_an_incomplete_directory_is_refused_naming_it(tiny_dirs, tmp_path):
    broken = tmp_path / "sao"
    shutil.copytree(tiny_dirs["stable-audio"], broken)
    shutil.rmtree(broken / "transformer")
    with pytest.raises(InvalidRequest, match=f"{broken}.*incomplete.*transformer.*huggingface-cli download"):
        load_backend("stable-audio", broken)


def test_the_command_line_renders_with_a_model_directory(tiny_dirs, tmp_path, capsys):
    from scenefill.cli import main

    out = tmp_path / "cli.wav"
    code = main(["render", "wind in a forest", "--seconds", "1.5", "-o", str(out), "--backend", "stable-audio",
                 "--model-dir", str(tiny_dirs["stable-audio"]), "-q"])
    assert code == 0 and sf.info(str(out)).frames == 72000
    code = main(["render", "wind", "--seconds", "1", "-o", str(tmp_path / "x.wav"), "--backend", "stable-audio",
                 "--model-dir", str(tmp_path / "absent"), "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "absent") in err and "huggingface-cli download stabilityai/stable-audio-open-1.0" in err
    assert not (tmp_path / "x.wav").exists()


def test_progress_only_moves_forward_while_windows_are_rendered_as_the_mix_reads(configured, tmp_path):
    seen: list[tuple[float, str]] = []
    request = RenderRequest("wind over a field", 48000 * 3, backend="stable-audio", seed=1)
    render_to_file(request, tmp_path / "p.wav", progress=lambda f, stage: seen.append((f, stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(stage.startswith("generating") for _, stage in seen)
    assert len([f for f, stage in seen if stage == "rendering"]) >= 4  # windows 2-5 come during the mix


def test_a_stream_read_block_by_block_is_the_whole_render_stitched_and_resampled(backend):
    from scenefill.engine.backends.windows import resample, source_samples_for, stitch

    total = 1 + 999 + 32768 + 5000 + 60000
    stream = backend.stream(RAIN, 8, sample_rate=44100)
    blocks = np.concatenate([stream.read(k) for k in (1, 999, 32768, 5000, 60000)], axis=1)
    n_native = source_samples_for(total, 100, 44100)
    jobs = backend.jobs_for(RAIN, 8, n_native)
    windows = {job.index: backend.render_windows([job])[0] for job in jobs}
    reference = resample(stitch(windows, backend.grid, n_native), 100, 44100, total)
    assert np.array_equal(blocks, reference)
    assert stream.native.shape[1] < 3 * backend.grid.window  # only what the resampler still reaches is kept


def test_a_configured_directory_shows_as_available(tiny_dirs, monkeypatch, capsys):
    from scenefill.cli import main

    monkeypatch.setenv("SCENEFILL_MODEL_DIRS", f"stable-audio={tiny_dirs['stable-audio']}")
    from scenefill.engine.backends import plan

    monkeypatch.setattr(plan, "_configured", {})  # the command configures this process: keep it to the test
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "stable-audio  available [cpu]" in out and "no GPU: runs on the CPU, slowly" in out


def test_loops_handles_mono_and_flac_work_as_with_the_procedural_backend(configured, tmp_path):
    request = RenderRequest("waves on a beach", 44100 * 2, sample_rate=44100, channels=1, loop=True,
                            handle_samples=22050, fmt="flac", bit_depth=16, backend="stable-audio", seed=4)
    result = render_to_file(request, tmp_path / "loop.flac")
    info = sf.info(str(tmp_path / "loop.flac"))
    assert (info.frames, info.channels, info.samplerate) == (44100 * 3, 1, 44100)
    assert result.provenance["model"]["backend"] == "stable-audio"
