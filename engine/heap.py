"""Keep the C heap's freed memory for reuse during a render.

Why: a render allocates and frees the same few arrays for every block (each layer's block,
the mix, the limiter's work; 0.25-1 MB each, ~90 blocks a minute). With glibc's defaults an
array that size is its own ``mmap`` and goes back to the kernel when freed, and the heap's top
is trimmed as soon as 128 kB are free, so every block faults its memory in again, page by page:
a 10-minute render took 64 000 minor faults on one core and 360 000 in the parent of a two-core
render (whose helper hands its blocks over in shared memory, which shifts the parent's
allocations onto that path), 15-20 % of its wall time. Raising both thresholds keeps the
freed arrays in the heap for the next block: 15 000 faults either way, the same peak memory
(the working set is the same; it is only no longer handed back and fetched again).

Set by the CLI for its own process only: it is a process-wide setting, not one for a library
to change under a host application (the daemon's workers, an editor's Python).
"""

from __future__ import annotations

import sys

#: mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
KEEP_BYTES = 256 << 20
#: arrays up to this size come from the heap (glibc refuses more than 32 MB on 64-bit); a long
#: render's larger one-off arrays (a speech stem, the piano's notes) are still mapped on their own
MMAP_BYTES = 32 << 20


def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds to KEEP_BYTES; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        trimmed = libc.mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES)
        mapped = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)
        return bool(trimmed and mapped)
    except (OSError, AttributeError):  # musl and others: no mallopt, their own defaults
        return False
