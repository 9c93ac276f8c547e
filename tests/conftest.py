"""Shared helpers for the tests: small renders and measurements."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly


def read(path) -> tuple[np.ndarray, int]:
    data, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return data.T, sr


def true_peak_db(x: np.ndarray) -> float:
    up = resample_poly(x, 4, 1, axis=-1)
    return float(20 * np.log10(np.abs(up).max()))


@pytest.fixture(autouse=True, scope="session")
def _calibration_cache(tmp_path_factory):
    """One calibration cache for the session (subprocess CLI runs inherit it), never the user's."""
    import os

    os.environ["SCENEFILL_CACHE_DIR"] = str(tmp_path_factory.mktemp("scenefill-cache"))
    # fixed bext dates, also for daemons the tests start (module fixtures start before monkeypatch)
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    yield


@pytest.fixture(autouse=True)
def _reproducible_dates(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
