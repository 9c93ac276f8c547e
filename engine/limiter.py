"""A look-ahead true-peak limiter that streams block by block.

Why true peak: EBU R128 / ATSC delivery specs cap inter-sample peaks, which a
sample-peak limiter misses. The detector estimates the 4x-oversampled peak per
input sample with a polyphase interpolator; the gain is the minimum needed over
a look-ahead window plus a short hold, smoothed by a moving average so it is
already down when the peak arrives. Everything is causal with a fixed delay, so
the limiter keeps the engine's prefix stability.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal
from scenefill.engine.filters1d import maximum_filter1d, minimum_filter1d, uniform_filter1d

OVERSAMPLE = 4
_TAPS_PER_PHASE = 12
#: hot samples closer than this share one oversampled run (fewer, longer convolutions)
_HOT_GAP = 64


class TruePeakLimiter:
    def __init__(self, sample_rate: int, channels: int, ceiling_dbtp: float = -1.5,
                 lookahead_s: float = 0.004, hold_s: float = 0.06) -> None:
        self.ceiling = 10 ** (ceiling_dbtp / 20)
        self.look = max(8, int(lookahead_s * sample_rate))
        self.hold = int(hold_s * sample_rate)
        h = signal.firwin(OVERSAMPLE * _TAPS_PER_PHASE, 1.0 / OVERSAMPLE) * OVERSAMPLE
        self.phases = np.stack([h[k::OVERSAMPLE] for k in range(OVERSAMPLE)])
        # No interpolated sample can exceed (largest phase gain) x (largest input nearby):
        # where that bound is under the ceiling the block needs no oversampling at all.
        self.bound = float(np.abs(self.phases).sum(axis=1).max())
        self.taps = self.phases.shape[1]
        self.tail = np.zeros((channels, self.taps - 1))
        self.group_delay = _TAPS_PER_PHASE // 2
        # history of input (for the delay line) and of the needed gain (for the windows)
        self.delay = self.look + self.group_delay
        self.x_hist = np.zeros((channels, self.delay))
        self.need_hist = np.ones(self.hold + 2 * self.look)
        self.avg_hist = np.ones(self.look)
        self.at_rest = True  # no gain reduction pending in any window

    @property
    def latency(self) -> int:
        """Samples by which output lags input."""
        return self.delay

    def _true_peak(self, x: np.ndarray) -> np.ndarray:
        """Per input sample, the largest |value| of the 4x-oversampled signal near it."""
        ext = np.concatenate([self.tail, x], axis=1)
        self.tail = ext[:, -(self.taps - 1):]
        peak = np.abs(ext).max(axis=0)
        if float(peak.max()) * self.bound <= self.ceiling:
            return peak[self.taps - 1:]  # cheapest path: nothing in the block can reach the ceiling
        near = maximum_filter1d(peak, size=self.taps, origin=(self.taps - 1) // 2, mode="nearest")
        near = near[self.taps - 1:]
        if near.max() * self.bound <= self.ceiling:
            return near  # cheap path: nothing here can reach the ceiling
        # Oversample only where the bound says a peak could reach the ceiling (a few samples in
        # a few blocks: most of a block cannot). Elsewhere ``near`` stands in: it and the exact
        # peak are both under the ceiling there, where the gain is 1 whichever is used. Each
        # exact value is the same dot product over the same memory as a whole-block convolution.
        hot = np.flatnonzero(near * self.bound > self.ceiling)
        breaks = np.flatnonzero(np.diff(hot) > _HOT_GAP)
        starts = hot[np.concatenate([[0], breaks + 1])]
        ends = hot[np.concatenate([breaks, [hot.size - 1]])] + 1
        tp = near
        for a, b in zip(starts.tolist(), ends.tolist()):
            seg = np.zeros(b - a)
            for row in ext:
                part = row[a:b + self.taps - 1]
                for phase in self.phases:
                    np.maximum(seg, np.abs(np.convolve(part, phase, mode="valid")), out=seg)
            tp[a:b] = np.maximum(seg, np.abs(x[:, a:b]).max(axis=0))
        return tp

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[1]
        tp = self._true_peak(x)  # lags x by ~group_delay samples
        xd = np.concatenate([self.x_hist, x], axis=1)
        self.x_hist = xd[:, n:]
        if tp.max() <= self.ceiling and self.at_rest:
            # nothing near the ceiling now or in the windows' memory: unity gain, just delay
            self.need_hist = np.ones_like(self.need_hist)
            return xd[:, :n]
        need = np.minimum(1.0, self.ceiling / np.maximum(tp, 1e-12))
        hist = np.concatenate([self.need_hist, need])
        # min over [i - hold - look, i]: aligned so output sample (delayed) sees look-ahead and hold
        w = self.hold + self.look + 1
        mins = minimum_filter1d(hist, size=w, origin=(w - 1) // 2, mode="nearest")
        # (origin shifts the window back so it covers the past w samples)
        mins = mins[len(self.need_hist):]
        self.need_hist = hist[-(self.hold + 2 * self.look):]
        ahist = np.concatenate([self.avg_hist, mins])
        avg = uniform_filter1d(ahist, size=self.look, origin=(self.look - 1) // 2, mode="nearest")
        gain = np.minimum(avg[len(self.avg_hist):], mins)
        self.avg_hist = ahist[-self.look:]
        self.at_rest = bool(self.need_hist.min() >= 1.0 and self.avg_hist.min() >= 1.0)
        return xd[:, :n] * gain
