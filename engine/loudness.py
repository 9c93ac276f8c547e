"""Loudness measurement (BS.1770 through pyloudnorm) in the shapes the engine uses.

pyloudnorm is imported on the first measurement, not with this module: most
renders measure nothing (layer levels come from the calibration cache), and its
import pulls in all of scipy.signal.
"""

from __future__ import annotations

import warnings

import numpy as np


def integrated_loudness(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness of (channels, n) audio in LUFS; -inf for silence."""
    minimum = int(0.4 * sample_rate) + 1
    if x.shape[1] < minimum:
        x = np.pad(x, ((0, 0), (0, minimum - x.shape[1])))
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(meter.integrated_loudness(x.T if x.shape[0] > 1 else x[0]))


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))
