"""The one error the Resolve plugin raises on purpose: a clear line for the editor."""

from __future__ import annotations

from scenefill.engine.errors import SceneFillError


class ResolveJobError(SceneFillError):
    """The job cannot run (no project, a locked track, no notes ...); nothing was changed.

    The message is one line an editor can act on; the menu scripts print it in
    Resolve's console, the CLI prints it and exits 2.
    """
