"""Window arithmetic for models with a longest window: pure functions, no torch.

A neural model renders at most one window at a time (Stable Audio Open: 47.55 s).
Longer audio is an endless stream of windows ``k = 0, 1, 2, ...``; window k
starts at ``k * hop`` and overlaps the next one by ``overlap`` samples, where
the two are joined with an equal-power (cos/sin) crossfade. Window k is a
function of (view, seed, k) alone, so the stream does not depend on how long a
render is: a render of n samples is the stream's first n samples, and a longer
render of the same note starts with exactly the samples of a shorter one
(prefix stability, which conform relies on to keep approved audio).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

#: seconds of overlap between neighbouring windows (capped at a quarter window)
OVERLAP_S = 2.0


@dataclass(frozen=True)
class WindowGrid:
    """How a model's windows tile the stream, in native samples."""

    window: int     # samples one window holds
    overlap: int    # samples shared by neighbouring windows

    @classmethod
    def for_model(cls, window: int, sample_rate: int, overlap_s: float = OVERLAP_S) -> "WindowGrid":
        if window < 2:
            raise ValueError(f"a window of {window} samples is too short to stitch")
        overlap = max(1, min(int(round(overlap_s * sample_rate)), window // 4))
        return cls(window, overlap)

    @property
    def hop(self) -> int:
        return self.window - self.overlap

    def windows_for(self, n: int) -> range:
        """The window indices the first ``n`` stream samples need."""
        if n <= 0:
            return range(0)
        return range((n - 1) // self.hop + 1)


def window_seed(backend: str, prompt: str, seed: int, k: int) -> int:
    """A 63-bit seed for window k, from what defines the audio and nothing else."""
    text = "\x1f".join((backend, " ".join(prompt.split()), str(int(seed)), str(int(k))))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def equal_power(overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """(fade out, fade in) curves whose squares sum to one: constant power across the joint."""
    theta = 0.5 * np.pi * (np.arange(overlap) + 0.5) / overlap
    return np.cos(theta), np.sin(theta)


def stitch(windows: dict[int, np.ndarray], grid: WindowGrid, n: int) -> np.ndarray:
    """The first ``n`` samples of the stream from its windows, (channels, n) float64.

    ``windows[k]`` is window k, (channels, grid.window); every index of
    ``grid.windows_for(n)`` must be present.
    """
    needed = grid.windows_for(n)
    if not needed:
        first = next(iter(windows.values()), np.zeros((1, 0)))
        return np.zeros((first.shape[0], 0))
    channels = windows[0].shape[0]
    out = np.zeros((channels, n))
    fade_out, fade_in = equal_power(grid.overlap)
    hop, ov = grid.hop, grid.overlap
    for k in needed:
        w = np.asarray(windows[k], dtype=np.float64)
        if w.shape != (channels, grid.window):
            raise ValueError(f"window {k} is shaped {w.shape}, expected {(channels, grid.window)}")
        start = k * hop
        body = w.copy()
        if k > 0:
            body[:, :ov] *= fade_in
        if k + 1 in needed:
            body[:, hop:] *= fade_out  # the tail this window shares with the next one
        # the last window needed only reaches n <= (k + 1) * hop: its tail is never used
        end = min(n, start + body.shape[1])
        out[:, start:end] += body[:, :end - start]
    return out


def _ratio(source_rate: int, target_rate: int) -> tuple[int, int]:
    g = math.gcd(int(source_rate), int(target_rate))
    return int(target_rate) // g, int(source_rate) // g


def source_samples_for(n: int, source_rate: int, target_rate: int) -> int:
    """Native samples to render so that resampling yields ``n`` exact, prefix-stable samples.

    The polyphase filter reaches ``10 * max(up, down) / up`` source samples ahead;
    rendering that much beyond the last needed input makes the first ``n``
    outputs independent of where the source ends.
    """
    if source_rate == target_rate:
        return n
    up, down = _ratio(source_rate, target_rate)
    reach = math.ceil(10 * max(up, down) / up) + 2
    return math.ceil(n * down / up) + reach


def resample(x: np.ndarray, source_rate: int, target_rate: int, n: int) -> np.ndarray:
    """``x`` (channels, m) at ``source_rate`` -> exactly ``n`` samples at ``target_rate``.

    scipy's polyphase resampler is a direct FIR (no FFT over the whole input), so an
    output sample depends only on the input samples under its filter: given
    :func:`source_samples_for` input, the result is a prefix of any longer one.
    """
    if source_rate == target_rate:
        if x.shape[1] < n:
            raise ValueError(f"need {n} samples, have {x.shape[1]}")
        return np.asarray(x[:, :n], dtype=np.float64)
    from .. import dsp  # scipy.signal's resample_poly, imported on first use

    up, down = _ratio(source_rate, target_rate)
    y = dsp.resample_poly(np.asarray(x, dtype=np.float64), up, down, axis=1)
    if y.shape[1] < n:
        raise ValueError(f"resampling gave {y.shape[1]} samples, need {n}")
    return y[:, :n]
