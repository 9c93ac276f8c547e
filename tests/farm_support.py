"""Shared by the farm tests: a local Ray cluster for a test module, and small timelines."""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime as RT
from opentimelineio.opentime import TimeRange as TR

from scenefill.plugin.otio_common import is_generated_track

TESTS = Path(__file__).resolve().parent
R = 24.0


def start_local_ray(attempts: Path):
    """A new private 2-CPU Ray (whatever else runs on the machine) with a small object store;
    its workers can import ``farm_impl``.

    Generous timeouts: the test machine may be a loaded 2-core box.
    """
    ray = pytest.importorskip("ray", reason="the farm extra is not installed (pip install 'scenefill[farm]')")
    os.environ["SCENEFILL_TEST_ATTEMPTS"] = str(attempts)
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024,
             log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": path, "SCENEFILL_TEST_ATTEMPTS": str(attempts)}})
    return ray


def marker_timeline(notes: dict[str, str], seconds: int = 2, name: str = "reel") -> otio.schema.Timeline:
    """One clip per note on V1, each with a marker covering it (the marker's name is the key)."""
    tl = otio.schema.Timeline(name, global_start_time=RT(86400, R))
    v = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    n = int(seconds * R)
    for key, note in notes.items():
        clip = otio.schema.Clip(f"sh_{key}", source_range=TR(RT(1000, R), RT(n, R)))
        clip.markers.append(otio.schema.Marker(key, TR(RT(1000, R), RT(n, R)), comment=note))
        v.append(clip)
    tl.tracks.append(v)
    return tl


def write_timeline(tl, path: Path) -> Path:
    otio.adapters.write_to_file(tl, str(path))
    return path


def generated_clips(path: Path) -> dict[str, dict]:
    """marker name -> the SceneFill provenance of its clip (file path taken out, name kept)."""
    tl = otio.adapters.read_from_file(str(path))
    out = {}
    for track in tl.tracks:
        if isinstance(track, otio.schema.Track) and is_generated_track(track):
            for clip in track.find_clips():
                meta = otio.core.serialize_json_to_string(clip.metadata["scenefill"])
                import json

                prov = json.loads(meta)
                out[prov["source"]["name"]] = prov
    return out


def media_files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}
