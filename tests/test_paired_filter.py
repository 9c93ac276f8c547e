"""The mixer's air absorption runs both channels as one complex signal: it must be the same
filter, sample for sample, as the real stereo filter it replaced."""

from __future__ import annotations

import numpy as np

from scenefill.engine.calibration import distance_filter
from scenefill.engine.models.base import StatefulFilter, butter
from scenefill.engine.paired_filter import PairedFilter


def test_paired_filter_matches_the_real_stereo_filter_bit_for_bit_across_blocks():
    rng = np.random.default_rng(5)
    for sos in (butter("lowpass", 7200.0, 48000, 2), butter("bandpass", [300.0, 2600.0], 48000, 2),
                butter("highpass", 120.0, 48000, 4)):
        paired, real = PairedFilter(sos), StatefulFilter(sos)
        for n in (32768, 1000, 1, 4097):
            x = rng.standard_normal((2, n)) * rng.uniform(1e-6, 2.0)
            x[:, : n // 3] *= 1e-30  # near-silence: tiny values keep their bits too
            expected = real(x)
            assert np.array_equal(paired(x.copy(), overwrite=True), expected)
    # silence in, zeros out (whatever their sign, the mixer sums them from +0)
    assert not PairedFilter(butter("lowpass", 5000.0, 48000, 2))(np.zeros((2, 64))).any()


def test_paired_filter_leaves_its_input_alone_unless_told():
    x = np.random.default_rng(1).standard_normal((2, 256))
    before = x.copy()
    y = PairedFilter(butter("lowpass", 3000.0, 48000, 2))(x)
    assert np.array_equal(x, before) and not np.array_equal(y, x)


def test_far_sources_get_the_paired_air_absorption_and_near_ones_none():
    assert distance_filter(0.1, 48000) is None
    assert isinstance(distance_filter(0.6, 48000), PairedFilter)
