"""SceneFill inside DaVinci Resolve: fill from markers, the selected clip, conform after a recut.

Each entry point takes the ``resolve`` object a Resolve script receives (menu
scripts: the global ``resolve``; external scripting: ``scriptapp("Resolve")``)
and returns a :class:`JobReport`::

    from scenefill.plugin.resolve import fill_from_markers
    report = fill_from_markers(resolve, colors=["Blue"])

They render on the SceneFill daemon (``SCENEFILL_SERVER`` or 127.0.0.1:50051;
``scenefill serve`` starts one), import into the "SceneFill" bin, place on the
"SceneFill" audio track(s) and read every item back. Bad situations (no
project, a locked track, no notes ...) raise :class:`ResolveJobError` with one
line for the editor, before anything is changed.
"""

from .errors import ResolveJobError

_LAZY = ("JobReport", "MARKER_COLORS", "conform", "fill_from_markers", "render_selected_clip")


def __getattr__(name):
    # the jobs (OTIO, gRPC) load on first use, so `scenefill --help` stays quick
    if name in _LAZY:
        from . import jobs

        return getattr(jobs, name)
    raise AttributeError(name)


__all__ = ["JobReport", "MARKER_COLORS", "ResolveJobError", "conform", "fill_from_markers", "render_selected_clip"]
