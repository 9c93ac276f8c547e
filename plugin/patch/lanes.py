"""The plain data every patcher and sidecar writer takes: SceneFill lanes of placed audio files.

Built once from the OTIO tracks the fill/conform core makes, so a patcher
needs no OTIO and can be tested with hand-written placements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from ..otio_common import META_KEY, TimelineRate, to_plain


@dataclass(frozen=True)
class Placement:
    """One generated file at its record position.

    ``start`` and ``frames`` are whole timeline frames counted from the timeline's
    first frame (add ``rate.start_frame`` for absolute timecode); the file holds
    exactly the samples of that frame range (``rate.samples(start, frames, sample_rate)``).
    """

    start: int
    frames: int
    path: Path
    name: str
    note: str
    samples: int
    sample_rate: int
    channels: int
    bit_depth: int
    provenance: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass
class Lane:
    """One SceneFill audio track: non-overlapping placements in record order."""

    name: str
    index: int
    placements: list[Placement] = field(default_factory=list)
    settings: dict = field(default_factory=dict)     # the fill settings (conform reads them back)


def lanes_from_tracks(tracks: list[otio.schema.Track], rate: TimelineRate) -> list[Lane]:
    """The lanes of the OTIO tracks built by ``otio_fill.build_tracks`` (positions from the items)."""
    lanes = []
    for index, track in enumerate(tracks):
        tmeta = track.metadata.get(META_KEY) if hasattr(track.metadata, "get") else None
        settings = tmeta.get("settings") if hasattr(tmeta, "get") else None
        lane = Lane(name=track.name, index=index,
                    settings=to_plain(settings) if hasattr(settings, "items") else {})
        pos = 0
        for item in track:
            frames = rate.frame(item.source_range.duration) if item.source_range else 0
            if isinstance(item, otio.schema.Clip):
                prov = dict(item.metadata.get(META_KEY) or {})
                audio = prov.get("audio") or {}
                path = Path(otio.url_utils.filepath_from_url(item.media_reference.target_url))
                lane.placements.append(Placement(
                    start=pos, frames=frames, path=path, name=item.name,
                    note=str(prov.get("note", item.name)),
                    samples=int(audio.get("samples") or rate.samples(pos, frames, int(audio.get("sample_rate", 48000)))),
                    sample_rate=int(audio.get("sample_rate", 48000)), channels=int(audio.get("channels", 2)),
                    bit_depth=int(audio.get("bit_depth", 24)), provenance=prov))
            pos += frames
        lanes.append(lane)
    return lanes
