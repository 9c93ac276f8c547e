"""Shared set-up of the test_neural_* files: tiny random model directories, built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY_STEPS = "2"


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory) -> dict[str, Path]:
    """A tiny Stable Audio directory and a tiny Dasheng snapshot, written with save_pretrained."""
    pytest.importorskip("diffusers")
    pytest.importorskip("torchsde")
    from scenefill.engine.backends.fixtures import write_dasheng_dir, write_stable_audio_dir

    os.environ["SCENEFILL_STEPS"] = TINY_STEPS  # read when a backend loads
    root = tmp_path_factory.mktemp("models")
    return {"stable-audio": write_stable_audio_dir(root / "stable-audio-open-tiny"),
            "dasheng": write_dasheng_dir(root / "dasheng-audiogen-tiny")}


@pytest.fixture
def configured(tiny_dirs):
    """The engine pointed at the tiny directories (as --model-dir does), restored afterwards."""
    from scenefill.engine.backends import plan

    before = dict(plan._configured)
    plan.configure(tiny_dirs)
    yield tiny_dirs
    plan.configure(before)
