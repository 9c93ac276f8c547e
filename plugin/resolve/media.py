"""The "SceneFill" bin: import many files in one ``ImportMedia`` call, tag them with provenance.

``ImportMedia`` has no destination: it imports into the *current* bin, so the
bin is made current for the call and the editor's bin restored after. Files
already in the bin are reused, not imported again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .api import as_list, call, text
from .errors import ResolveJobError
from .snapshot import PROVENANCE_KEY

BIN_NAME = "SceneFill"


def norm(path: str | os.PathLike) -> str:
    return os.path.normcase(os.path.abspath(str(path)))


def scenefill_bin(media_pool, name: str = BIN_NAME):
    """The bin named ``name`` under the Master bin (created when missing)."""
    root = call(media_pool, "GetRootFolder")
    if root is None:
        raise ResolveJobError("Resolve did not give the media pool's Master bin; run again")
    for folder in as_list(call(root, "GetSubFolderList")):
        if text(call(folder, "GetName")) == name:
            return folder
    folder = call(media_pool, "AddSubFolder", root, name)
    if folder is None:
        raise ResolveJobError(f"Resolve refused to create the '{name}' bin in the media pool")
    return folder


def import_files(media_pool, folder, paths: list[Path]) -> tuple[dict[str, object], list[str]]:
    """Media pool items for ``paths`` (norm path -> item), importing what the bin lacks in one call.

    Returns the items and the paths Resolve would not import.
    """
    have: dict[str, object] = {}
    for clip in as_list(call(folder, "GetClipList")):
        fp = text(call(clip, "GetClipProperty", "File Path"))
        if fp:
            have.setdefault(norm(fp), clip)
    wanted = {norm(p): p for p in paths}
    missing = [p for key, p in wanted.items() if key not in have]
    if missing:
        previous = call(media_pool, "GetCurrentFolder")
        if not call(media_pool, "SetCurrentFolder", folder, default=False):
            raise ResolveJobError(f"Resolve would not open the '{BIN_NAME}' bin to import into; run again")
        try:
            imported = as_list(call(media_pool, "ImportMedia", [str(p) for p in missing]))
        finally:
            if previous is not None:
                call(media_pool, "SetCurrentFolder", previous)
        for clip in imported:
            fp = text(call(clip, "GetClipProperty", "File Path"))
            if fp:
                have[norm(fp)] = clip
    refused = [str(p) for key, p in wanted.items() if key not in have]
    return {key: have[key] for key in wanted if key in have}, refused


def tag(mpi, provenance: dict) -> bool:
    """Store SceneFill's provenance on the media pool item (third-party metadata, 19.0.2+)."""
    value = json.dumps(provenance, sort_keys=True, separators=(",", ":"))
    return bool(call(mpi, "SetThirdPartyMetadata", PROVENANCE_KEY, value, default=False))
