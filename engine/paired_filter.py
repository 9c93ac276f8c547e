"""A stereo filter whose two channels run through scipy's sosfilt kernel as one complex signal.

Why: the kernel's recursion is latency-bound -- each sample waits on the state the last one
left -- and it runs the channels one after the other. Carried as the real and imaginary parts
of one complex signal, the two recursions share every step: the mixer's air-absorption biquad
runs ~1.5x faster (0.32 -> 0.22 ms a 32768-sample stereo block, packing included).

Why it is the same filter: the coefficients are real, so each complex product is
``(c + 0i)(l + ir) = (c*l - 0*r) + i(c*r + 0*l)``, the real kernel's product plus a signed zero,
and sums are taken part by part. A signed zero changes no nonzero value, so every nonzero
output sample equals the real filter's to the bit; an exact zero may differ only in its sign
(which the mixer's sums, started from +0, do not keep).
"""

from __future__ import annotations

import numpy as np

from scenefill.engine import dsp as signal

from .models.base import _sosfilt_raw


class PairedFilter:
    """Second-order sections over a (2, n) float64 stereo block, memory kept across blocks."""

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = np.ascontiguousarray(np.asarray(sos, dtype=np.float64).astype(np.complex128))
        # one complex signal: (signals, sections, 2), the compiled kernel's layout
        self._zi = np.zeros((1, self.sos.shape[0], 2), dtype=np.complex128)

    def __call__(self, x: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """The next block (2, n) filtered; ``overwrite``: the caller is done with a float64
        ``x``, so the result is written back into it."""
        if x.ndim != 2 or x.shape[0] != 2:
            raise ValueError("PairedFilter filters (2, n) stereo blocks")
        z = np.empty((1, x.shape[1]), dtype=np.complex128)
        z.real[0] = x[0]
        z.imag[0] = x[1]
        if _sosfilt_raw is not None:
            _sosfilt_raw(self.sos, z, self._zi)
        else:  # pragma: no cover - other scipy layouts: the public function, same kernel
            z, zi = signal.sosfilt(self.sos, z, axis=-1, zi=self._zi.transpose(1, 0, 2))
            self._zi = np.ascontiguousarray(zi.transpose(1, 0, 2))
        out = x if overwrite and x.dtype == np.float64 and x.flags.writeable else np.empty(x.shape)
        out[0] = z.real[0]
        out[1] = z.imag[0]
        return out
