"""Patchers: add SceneFill's audio lanes to an editor's own document, byte for byte otherwise.

OTIO stays the reader (it finds notes and ranges); for documents we can edit
(Kdenlive MLT XML, FCP7/Premiere XML, FCPXML) we insert our track(s) into the
original text instead of re-serialising the whole edit through an adapter
that cannot carry everything the editor made. Each format has one module with
``patch(original: bytes, lanes: list[Lane], rate: TimelineRate) -> bytes`` and
``strip(document: bytes) -> bytes`` (remove what an earlier SceneFill run added,
so a second run or a conform replaces rather than stacks).
"""

import importlib
from types import ModuleType

from .lanes import Lane, Placement, lanes_from_tracks

#: OTIO adapter name -> module in this package that patches that format
PATCHERS = {"kdenlive": "kdenlive", "fcp_xml": "fcp7", "fcpx_xml": "fcpx"}


def patcher_for(adapter: str) -> ModuleType | None:
    """The patcher module for an adapter's format, or None where we cannot patch it."""
    name = PATCHERS.get(adapter)
    if name is None:
        return None
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        return None     # not written yet: the adapter's rewrite is used (and its losses reported)


__all__ = ["Lane", "Placement", "PATCHERS", "lanes_from_tracks", "patcher_for"]
