"""Delivery checks on the signal itself: loudness, true peak, loop seam.

These need no model: an editor's deliverable must meet its loudness target
(EBU R128 within 1 LU), stay under the true-peak ceiling, and -- for a loop --
wrap from the last sample to the first without a click or a level jump.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.signal import resample_poly

from scenefill.engine.loudness import integrated_loudness

LOUDNESS_TOLERANCE_LU = 1.0
TRUE_PEAK_CEILING_DBTP = -1.0
#: a seam step larger than this share of the file's sample-to-sample steps is a click
SEAM_STEP_PERCENTILE_LIMIT = 99.9
SEAM_BLOCK_S = 0.05
#: a wrap level jump under this many dB is never audible as a seam ...
SEAM_LEVEL_FLOOR_DB = 1.5
#: ... nor one within this factor of the most abrupt 50 ms change elsewhere in the file
SEAM_LEVEL_MARGIN = 1.25


def true_peak_dbtp(audio: np.ndarray) -> float:
    """BS.1770 true peak: the largest |sample| of the 4x-oversampled signal, in dBTP."""
    x = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    peak = max(float(np.max(np.abs(resample_poly(ch, 4, 1)))) for ch in x) if x.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


@dataclass
class LoudnessCheck:
    integrated_lufs: float
    target_lufs: float | None
    true_peak_dbtp: float

    @property
    def deviation_lu(self) -> float | None:
        if self.target_lufs is None or not np.isfinite(self.integrated_lufs):
            return None
        return self.integrated_lufs - self.target_lufs

    @property
    def on_target(self) -> bool | None:
        """Within 1 LU of the target (None when no target was given)."""
        dev = self.deviation_lu
        if self.target_lufs is None:
            return None
        return bool(dev is not None and abs(dev) <= LOUDNESS_TOLERANCE_LU)

    @property
    def peak_ok(self) -> bool:
        return bool(self.true_peak_dbtp <= TRUE_PEAK_CEILING_DBTP)

    def to_dict(self) -> dict:
        d = {k: (round(v, 2) if isinstance(v, float) and np.isfinite(v) else v) for k, v in asdict(self).items()}
        dev = self.deviation_lu
        d.update(deviation_lu=None if dev is None else round(dev, 2), on_target=self.on_target, peak_ok=self.peak_ok)
        return d


def loudness_check(audio: np.ndarray, sample_rate: int, target_lufs: float | None) -> LoudnessCheck:
    x = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    return LoudnessCheck(integrated_loudness(x, sample_rate), target_lufs, true_peak_dbtp(x))


@dataclass
class SeamCheck:
    """The wrap from the last sample to the first, compared with the file's own steps."""

    step_ratio: float          # |x[0] - x[-1]| / RMS of sample-to-sample steps (worst channel)
    step_percentile: float     # share of the file's steps smaller than the seam step, in %
    level_jump_db: float       # RMS of the first vs last 50 ms
    typical_level_jump_db: float  # 99th percentile of the same between adjacent 50 ms blocks
    largest_level_jump_db: float  # the most abrupt change between adjacent 50 ms blocks inside the file

    @property
    def seamless(self) -> bool:
        """No click (the wrap step is within the file's own steps) and the wrap is not the most
        abrupt change in level anywhere in the file (a rain drop or a door may be; the seam may not)."""
        return bool(self.step_percentile <= SEAM_STEP_PERCENTILE_LIMIT
                    and self.level_jump_db <= max(SEAM_LEVEL_FLOOR_DB, SEAM_LEVEL_MARGIN * self.largest_level_jump_db))

    def to_dict(self) -> dict:
        d = {k: round(v, 3) for k, v in asdict(self).items()}
        d["seamless"] = self.seamless
        return d


def _db(power: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(power, 1e-12))


def seam_check(audio: np.ndarray, sample_rate: int) -> SeamCheck:
    """How the loop point compares with any other moment of the same file."""
    x = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    steps = np.abs(np.diff(x, axis=1))
    wrap = np.abs(x[:, 0] - x[:, -1])
    rms_step = np.sqrt(np.mean(steps ** 2, axis=1)) + 1e-12
    worst = int(np.argmax(wrap / rms_step))
    percentile = 100.0 * float(np.mean(steps[worst] < wrap[worst]))
    block = max(1, int(SEAM_BLOCK_S * sample_rate))
    n_blocks = x.shape[1] // block
    power = (x[:, : n_blocks * block] ** 2).reshape(x.shape[0], n_blocks, block).mean(axis=(0, 2))
    levels = _db(power)
    jumps = np.abs(np.diff(levels))
    typical = float(np.percentile(jumps, 99)) if n_blocks > 2 else 0.0
    largest = float(jumps.max()) if n_blocks > 2 else 0.0
    head, tail = _db(np.mean(x[:, :block] ** 2)), _db(np.mean(x[:, -block:] ** 2))
    return SeamCheck(float(wrap[worst] / rms_step[worst]), percentile, float(abs(head - tail)), typical, largest)
