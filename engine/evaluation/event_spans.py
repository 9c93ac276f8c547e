"""Where a render's timed events sound, so the classifier scores the events, not the silence.

AudioSet labels are clip-level "present somewhere in these 10 s" labels, and
YAMNet's clip score is the mean of its 0.96 s patch scores. For a note that
places a short event ("a door slams at 3.5s" in 8 s) that mean is mostly the
room tone between events, so the door is judged by the quiet around it. An
event prompt is therefore scored over the patches that overlap its events'
spans; beds (rain, a street, footsteps walking throughout) are still scored by
the mean over the clip, and the report shows the whole-clip figures beside.

The spans come from the engine's own plan (:func:`~scenefill.engine.pipeline.plan_render`),
the same parse and placement a render uses, never from a guess at the note:
each one-shot layer's events start where the plan puts them, and last as long
as the event's prototype is audible (within ``AUDIBLE_DB`` of its peak).
"""

from __future__ import annotations

import numpy as np

from .melspec import PATCH_HOP_SECONDS, PATCH_SECONDS

#: an event lasts while its prototype is within this many dB of its peak
AUDIBLE_DB = 40.0
#: a one-shot model that keeps no prototypes (none does today): this long from its onset
FALLBACK_SPAN_S = 1.0


def audible_length(event: np.ndarray, floor_db: float = AUDIBLE_DB) -> int:
    """Samples from the start of a prototype (mono or (channels, n)) to its last sample within
    ``floor_db`` of the peak: a bell's tail counts, the zero padding after it does not."""
    mag = np.max(np.abs(np.atleast_2d(event)), axis=0)
    peak = float(mag.max()) if mag.size else 0.0
    if peak <= 0:
        return 0
    loud = np.nonzero(mag >= peak * 10 ** (-floor_db / 20))[0]
    return int(loud[-1]) + 1


def plan_event_spans(plan) -> list[tuple[float, float]]:
    """(start, end) seconds in the rendered file of every one-shot event a render plan holds.

    Empty when the scene has no one-shot layer (a bed, continuous footsteps, a ticking clock).
    """
    from scenefill.engine.models import REGISTRY
    from scenefill.engine.pipeline import _loop_samples
    from scenefill.engine.scene import takes_times

    request = plan.request
    sr = request.sample_rate
    pre = _loop_samples(request) if request.loop else 0  # the stream starts with the loop's pre-roll
    total = request.total_samples
    spans: list[tuple[float, float]] = []
    for layer, model in zip(plan.scene.layers, plan.models):
        info = REGISTRY[layer.model]
        if not info.one_shot:
            # a sound that starts at a given time and goes on (the phone rings until answered):
            # from its start to the end of the clip
            times = model.params.options.get("times") if takes_times(info) else None
            for t in times or []:
                start = max(int(round(t * sr)) - pre, 0)
                if start < total:
                    spans.append((start / sr, total / sr))
            continue
        events = getattr(model, "events", None)
        if events is None:
            times = model.params.options.get("times") or []
            events = [(int(round(t * sr)), None) for t in times]
        for onset, proto in events:
            length = int(FALLBACK_SPAN_S * sr) if proto is None else audible_length(proto)
            start, end = onset - pre, onset - pre + max(length, 1)
            start, end = max(start, 0), min(end, total)
            if end > start:
                spans.append((start / sr, end / sr))
    return sorted(spans)


def request_event_spans(request) -> list[tuple[float, float]]:
    """The event spans of a :class:`~scenefill.engine.request.RenderRequest` (plans it)."""
    from scenefill.engine.pipeline import plan_render

    return plan_event_spans(plan_render(request))


def patches_over(spans: list[tuple[float, float]], n_patches: int) -> list[int]:
    """Indices of YAMNet's patches (0.96 s every 0.48 s) that overlap any span.

    A span past the last patch (a clip shorter than a patch is padded) maps to the last patch.
    """
    chosen: set[int] = set()
    for start, end in spans:
        for i in range(n_patches):
            a = i * PATCH_HOP_SECONDS
            if a < end and a + PATCH_SECONDS > start:
                chosen.add(i)
        if n_patches and start >= (n_patches - 1) * PATCH_HOP_SECONDS + PATCH_SECONDS:
            chosen.add(n_patches - 1)
    return sorted(chosen)
