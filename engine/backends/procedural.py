"""The procedural backend behind the backend interface.

Renders go through :mod:`..pipeline` exactly as before (its output is
unchanged by the interface); this adapter lets code that speaks the interface
ask the parametric models for one view's stem, e.g. to audition a view alone.
"""

from __future__ import annotations

from .base import Backend, View


class ProceduralBackend(Backend):
    name = "procedural"
    views = ("ambience", "sfx", "music", "speech", "scene")
    speech_from_model = False
    sample_rate = 48000
    channels = 2
    window_samples = 0      # no window: any length in one pass
    device = "cpu"

    @property
    def max_window_s(self) -> float:
        return float("inf")

    def render(self, view: View, n_samples: int, seed: int, *, sample_rate: int | None = None,
               runner=None, cancel=None):
        """The view's prompt rendered by the parametric models, exactly n samples at sample_rate."""
        from ..api import render_blocks
        from ..request import RenderRequest

        import numpy as np

        request = RenderRequest(view.prompt, n_samples, sample_rate=sample_rate or self.sample_rate, seed=seed)
        return np.concatenate(list(render_blocks(request, cancel=cancel)), axis=1).astype(np.float64)

    def render_windows(self, jobs):
        raise NotImplementedError("the procedural backend renders any length in one pass")
