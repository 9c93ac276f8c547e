"""A render implementation for the daemon's workers in tests (``--render-impl worker_impl_flaky:render``).

It cannot be imported while the file named by ``$SCENEFILL_TEST_BROKEN_MARKER``
exists (its text is the error), exactly like a worker whose environment is broken;
remove the file and the next worker that starts imports it and renders normally.
"""

import os
from pathlib import Path

_marker = os.environ.get("SCENEFILL_TEST_BROKEN_MARKER")
if _marker and Path(_marker).exists():
    raise ImportError(Path(_marker).read_text().strip())

from scenefill.engine.api import render_to_file as render  # noqa: E402,F401
