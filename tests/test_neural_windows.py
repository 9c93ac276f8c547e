"""Window arithmetic, model directories and backend states: the torch-free half of the neural backends."""

from __future__ import annotations

import numpy as np
import pytest

from scenefill.engine.backends import backend_states
from scenefill.engine.backends.windows import (WindowGrid, equal_power, resample, source_samples_for, stitch,
                                               window_seed)
from scenefill.engine.backends.weights import parse_model_dirs, require_files, weight_hashes
from scenefill.engine.errors import InvalidRequest


def _windows(grid: WindowGrid, count: int, channels: int = 2) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(7)
    return {k: rng.standard_normal((channels, grid.window)) for k in range(count)}


def test_a_longer_stream_starts_with_the_samples_of_a_shorter_one():
    grid = WindowGrid.for_model(window=400, sample_rate=100, overlap_s=1.0)
    windows = _windows(grid, 12)
    long = stitch(windows, grid, 3000)
    for n in (1, 99, 300, 301, 1234, 2999):
        assert np.array_equal(stitch(windows, grid, n), long[:, :n])


def test_windows_are_joined_by_an_equal_power_crossfade():
    fade_out, fade_in = equal_power(64)
    assert np.allclose(fade_out ** 2 + fade_in ** 2, 1.0)  # uncorrelated sources keep their power
    grid = WindowGrid(window=100, overlap=20)
    w = _windows(grid, 4)
    out = stitch(w, grid, 250)
    fo, fi = equal_power(20)
    assert np.array_equal(out[:, :80], w[0][:, :80])  # window 0 alone
    assert np.allclose(out[:, 80:100], w[0][:, 80:] * fo + w[1][:, :20] * fi)  # the joint
    assert np.array_equal(out[:, 100:160], w[1][:, 20:80])  # window 1 alone


def test_a_render_needs_only_the_windows_under_it():
    grid = WindowGrid(window=100, overlap=20)
    assert list(grid.windows_for(80)) == [0]
    assert list(grid.windows_for(81)) == [0, 1]
    assert list(grid.windows_for(0)) == []
    with pytest.raises(KeyError):
        stitch({0: np.zeros((2, 100))}, grid, 81)


def test_a_window_seed_depends_on_note_seed_and_index_only():
    a = window_seed("stable-audio", "rain  on a roof", 1, 0)
    assert a == window_seed("stable-audio", "rain on a roof", 1, 0)  # whitespace does not count
    others = {window_seed("stable-audio", "rain on a roof", 1, 1), window_seed("stable-audio", "rain on a roof", 2, 0),
              window_seed("stable-audio", "wind", 1, 0), window_seed("dasheng", "rain on a roof", 1, 0)}
    assert a not in others and len(others) == 4
    assert 0 <= a < 2 ** 63


@pytest.mark.parametrize("source, target", [(44100, 48000), (16000, 48000), (100, 44100), (48000, 48000)])
def test_resampling_gives_the_exact_count_and_keeps_the_prefix(source, target):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 20000))
    for n in (1, 4801, 9000):
        m = source_samples_for(n, source, target)
        if m > x.shape[1]:
            continue
        y = resample(x[:, :m], source, target, n)
        longer = resample(x[:, :m + 777], source, target, n + 50)
        assert y.shape == (2, n)
        assert np.array_equal(y, longer[:, :n])


def test_model_directories_come_from_the_command_line_over_the_environment(tmp_path):
    dirs = parse_model_dirs(["dasheng=/b"], env=f"stable-audio=/a:dasheng=/x")
    assert {k: str(v) for k, v in dirs.items()} == {"stable-audio": "/a", "dasheng": "/b"}
    assert str(parse_model_dirs(["/c"], default_backend="stable-audio")["stable-audio"]) == "/c"
    with pytest.raises(InvalidRequest, match="unknown backend 'stable'"):
        parse_model_dirs(["stable=/a"])
    with pytest.raises(InvalidRequest, match="NAME=DIR"):
        parse_model_dirs(["/c"])


def test_a_missing_directory_is_named_with_the_command_that_fetches_it(tmp_path):
    missing = tmp_path / "sao"
    with pytest.raises(InvalidRequest) as info:
        require_files("stable-audio", missing, ("model_index.json",))
    message = str(info.value)
    assert str(missing) in message
    assert f"huggingface-cli download stabilityai/stable-audio-open-1.0 --local-dir {missing}" in message
    missing.mkdir()
    with pytest.raises(InvalidRequest, match="incomplete.*model_index.json"):
        require_files("stable-audio", missing, ("model_index.json",))


def test_every_backend_is_listed_with_why_it_cannot_run(tmp_path):
    states = {s.name: s for s in backend_states({"dasheng": tmp_path / "nowhere"})}
    assert list(states) == ["procedural", "stable-audio", "dasheng"]
    assert states["procedural"].available
    assert not states["stable-audio"].available and "no weights configured" in states["stable-audio"].reason \
        or "no torch" in states["stable-audio"].reason
    assert not states["dasheng"].available
    assert str(tmp_path / "nowhere") in states["dasheng"].reason or "no torch" in states["dasheng"].reason


def test_weight_fingerprints_change_with_the_weights(tmp_path):
    (tmp_path / "unet").mkdir()
    weights = tmp_path / "unet" / "model.safetensors"
    weights.write_bytes(b"a" * 3_000_000)
    (tmp_path / "config.json").write_text("{}")
    first = weight_hashes(tmp_path)
    assert list(first) == ["unet/model.safetensors"]
    weights.write_bytes(b"a" * 2_999_999 + b"b")
    assert weight_hashes(tmp_path) != first


def test_the_procedural_backend_behind_the_interface_renders_what_the_engine_renders():
    from scenefill.engine.api import render_array
    from scenefill.engine.backends import View
    from scenefill.engine.backends.procedural import ProceduralBackend
    from scenefill.engine.request import RenderRequest

    stem = ProceduralBackend().render(View("ambience", "light rain"), 24000, seed=4)
    direct = render_array(RenderRequest("light rain", 24000, seed=4))
    assert stem.shape == (2, 24000)
    assert np.array_equal(stem, direct.astype(np.float64))


def test_scenefill_backends_lists_every_backend_and_why(tmp_path, monkeypatch, capsys):
    import json

    from scenefill.cli import main

    monkeypatch.setenv("SCENEFILL_MODEL_DIRS", f"stable-audio={tmp_path / 'sao'}")
    from scenefill.engine.backends import plan

    monkeypatch.setattr(plan, "_configured", {})  # the command configures this process: keep it to the test
    assert main(["backends", "--json"]) == 0
    states = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert set(states) == {"procedural", "stable-audio", "dasheng"}
    assert states["procedural"]["available"] is True
    assert states["stable-audio"]["available"] is False
    assert f"no weights at {tmp_path / 'sao'}" in states["stable-audio"]["reason"] \
        or "no torch" in states["stable-audio"]["reason"]
    assert main(["backends", "--model-dir", "bogus=/x"]) == 2
    assert "unknown backend 'bogus'" in capsys.readouterr().err
