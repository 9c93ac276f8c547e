"""Dasheng AudioGen behind SceneFill: our prompt, our loader, transformers' real remote-code path.

Dasheng's code lives only with its weights, so the test writes a tiny local
snapshot that follows its published interface (config.json with auto_map, its
own modeling file, a tokenizer knowing the tags; text-to-audio at 16 kHz,
prompts without <|caption|> rejected) and loads it with trust_remote_code from
that directory, offline.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from neural_fixtures import configured, tiny_dirs  # noqa: F401 - fixtures

from scenefill.engine.backends.dasheng import scene_view
from scenefill.engine.caption import parse_caption
from scenefill.engine.errors import InvalidRequest


def test_the_prompt_begins_with_the_caption_and_leaves_out_empty_tags():
    prompt = scene_view(parse_caption('a busy cafe at night, a woman says "two coffees, please"')).prompt
    assert prompt.startswith("<|caption|>a busy cafe at night")
    assert "<|asr|>two coffees, please" in prompt
    assert "<|music|>" not in prompt and "<|env|>" not in prompt and "<|sfx|>" not in prompt


def test_a_tagged_note_keeps_its_views_in_the_model_s_order():
    caption = parse_caption("<|sfx|>door slam, footsteps<|env|>large hall<|music|>tense strings")
    prompt = scene_view(caption).prompt
    assert prompt == "<|caption|>large hall; door slam, footsteps; tense strings" \
                     "<|sfx|>door slam, footsteps<|music|>tense strings<|env|>large hall"


def test_later_windows_continue_the_scene_without_repeating_the_words():
    view = scene_view(parse_caption('<|caption|>a kitchen<|speech|>an old man<|asr|>where is the salt'))
    assert view.prompt_for(0).endswith("<|speech|>an old man<|asr|>where is the salt")
    assert view.prompt_for(1) == view.prompt_for(7) == "<|caption|>a kitchen"
    assert scene_view(parse_caption("rain on a roof")).continuation is None


@pytest.fixture(scope="module")
def backend(tiny_dirs):
    from scenefill.engine.backends import load_backend

    return load_backend("dasheng", tiny_dirs["dasheng"])


def test_the_snapshot_loads_through_transformers_remote_code(backend):
    assert type(backend.pipe.model).__name__ == "DashengAudioGenModel"
    assert type(backend.pipe.model).__module__.startswith("transformers_modules.")
    assert backend.sample_rate == 16000 and backend.window_samples == 32000  # its config's 2 s window
    assert backend._params == {"duration": "duration", "steps": "num_inference_steps",
                               "guidance": "guidance_scale", "seed": "generator"}


def test_the_model_refuses_a_prompt_without_a_caption(backend):
    with pytest.raises(ValueError, match="<\\|caption\\|>"):
        backend.pipe("rain on a roof")


def test_renders_are_exact_resampled_and_prefix_stable(backend):
    view = scene_view(parse_caption('a train station, a man says "platform two"'))
    long = backend.render(view, 48000 * 5, seed=3, sample_rate=48000)   # three windows
    short = backend.render(view, 48000 * 1 + 5, seed=3, sample_rate=48000)
    assert long.shape == (1, 240000) and short.shape == (1, 48005)
    assert np.array_equal(short, long[:, :48005])
    assert np.abs(long).max() > 0.01


def test_a_dasheng_file_speaks_from_the_model_not_piper(configured, tmp_path):
    from scenefill.engine.api import render_to_file
    from scenefill.engine.loudness import integrated_loudness
    from scenefill.engine.request import RenderRequest

    request = RenderRequest('a cafe, a woman says "hello"', 44100 * 3, sample_rate=44100, backend="dasheng")
    result = render_to_file(request, tmp_path / "cafe.wav")
    audio, sr = sf.read(tmp_path / "cafe.wav", always_2d=True)
    assert audio.shape == (44100 * 3, 2) and sr == 44100
    assert abs(integrated_loudness(audio.T, sr) - request.loudness) < 1.0
    assert 20 * np.log10(np.abs(audio).max()) <= -1.0
    assert result.provenance["voice"] == ""
    model = result.provenance["model"]
    assert model["backend"] == "dasheng" and model["steps"] == 25 and "model.safetensors" in model["weights"]
    assert model["views"][0]["prompt"].startswith("<|caption|>a cafe")


def test_code_from_another_repository_is_not_run(tiny_dirs, tmp_path):
    from scenefill.engine.backends.dasheng import DashengBackend

    snapshot = tmp_path / "ds"
    shutil.copytree(tiny_dirs["dasheng"], snapshot)
    config = json.loads((snapshot / "config.json").read_text())
    config["auto_map"]["AutoModel"] = "someone/else--modeling_x.Model"
    (snapshot / "config.json").write_text(json.dumps(config))
    with pytest.raises(InvalidRequest, match="another repository"):
        DashengBackend(snapshot)
    with pytest.raises(InvalidRequest, match=f"no model directory at {tmp_path / 'nope'}.*Dasheng-AudioGen"):
        DashengBackend(tmp_path / "nope")
