"""Patchers: add SceneFill's audio lanes to an editor's own document, byte for byte otherwise.

OTIO stays the reader (it finds notes and ranges); for documents we can edit
(Kdenlive MLT XML, FCP7/Premiere XML, FCPXML) we insert our track(s) into the
original text instead of re-serialising the whole edit through an adapter
that cannot carry everything the editor made. Each format has one module with
``patch(original: bytes, lanes: list[Lane], rate: TimelineRate) -> bytes`` and
``strip(document: bytes) -> bytes`` (remove what an earlier SceneFill run added,
so a second run or a conform replaces rather than stacks).
"""

from .lanes import Lane, Placement, lanes_from_tracks

__all__ = ["Lane", "Placement", "lanes_from_tracks"]
