"""Give the SceneFill clips OTIO read from a patched document their provenance back.

OTIO's readers bring our clips back (track, position, media) but not the JSON
we keep in the document's own fields (FCP7 ``<lognote>``, FCPXML ``<md>``). The
patcher of the format reads those fields (``provenance(document) -> {media
path: provenance}``); here each SceneFill clip without ``metadata.scenefill``
gets the provenance of its media file, and its track the fill settings, so a
conform of a patched document works exactly as on an ``.otio``. A patcher may
instead offer ``annotate(timeline, document) -> int`` and match its lanes to
OTIO's tracks itself (Kdenlive's reader keeps no media names to match by).
"""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio

from ..otio_common import META_KEY, is_generated_track
from . import patcher_for

#: extension -> the OTIO adapter whose patcher reads provenance from that format
_ADAPTER_OF = {"xml": "fcp_xml", "fcpxml": "fcpx_xml", "kdenlive": "kdenlive"}


def recover_provenance(tl: otio.schema.Timeline, path: str | os.PathLike) -> int:
    """Attach provenance from the document at ``path`` to ``tl``'s SceneFill clips; returns how many."""
    ext = Path(path).suffix.lower().lstrip(".")
    module = patcher_for(_ADAPTER_OF.get(ext, ""))
    annotate = getattr(module, "annotate", None)
    if annotate is not None:        # a patcher that matches its lanes to OTIO's tracks itself (Kdenlive)
        try:
            return int(annotate(tl, Path(path).read_bytes()) or 0)
        except Exception:  # noqa: BLE001 - a document OTIO read but we cannot: nothing to recover
            return 0
    reader = getattr(module, "provenance", None)
    if reader is None:
        return 0
    try:
        found = reader(Path(path).read_bytes())
    except Exception:  # noqa: BLE001 - a document OTIO read but we cannot: nothing to recover
        return 0
    if not found:
        return 0
    used: set[str] = set()
    n = 0
    for track in tl.tracks:
        if not isinstance(track, otio.schema.Track) or not is_generated_track(track):
            continue
        for clip in track.find_clips():
            if META_KEY in clip.metadata:
                continue
            url = getattr(clip.media_reference, "target_url", "") or ""
            media = otio.url_utils.filepath_from_url(url) if "://" in url else url
            prov = found.get(media)
            if prov is None or media in used:      # a stereo pair's second channel: once is enough
                continue
            used.add(media)
            clip.metadata[META_KEY] = prov
            n += 1
            settings = prov.get("settings")
            tmeta = track.metadata.get(META_KEY)
            if settings and not hasattr(tmeta, "get"):
                track.metadata[META_KEY] = {"generated": True, "settings": settings}
    return n


__all__ = ["recover_provenance"]
