"""``scenefill resolve install`` / ``uninstall``: menu scripts in Resolve's per-user Scripts folder.

Resolve lists the scripts under ``Fusion/Scripts/Edit`` in Workspace > Scripts on
the Edit page. Each Python script is a few lines that add this installation's
site-packages (with ``site.addsitedir``, so an editable install's ``.pth`` files
work too) and call :func:`scenefill.plugin.resolve.menu.run`. They also check
that Resolve's Python is the version the package was installed for, since
compiled dependencies (numpy, grpc, OTIO) load only there.

The Lua script (the free edition from 21.1 runs only Lua) gets the path of the
``scenefill`` command written into it. Where everything went is recorded in
``$XDG_CONFIG_HOME/scenefill/resolve.json`` for ``uninstall`` and for starting a
daemon from Resolve.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import sys
from importlib import resources
from pathlib import Path

from .errors import ResolveJobError

HEADER = "SceneFill menu script"
MENU = {
    "SceneFill - Fill From Markers.py": "fill_from_markers",
    "SceneFill - Selected Clip.py": "render_selected_clip",
    "SceneFill - Conform.py": "conform",
}
LUA_NAME = "SceneFill - Fill From Markers (free).lua"

PY_TEMPLATE = '''# {header}: {title}. Written by `scenefill resolve install`; `scenefill resolve uninstall` removes it.
import site, sys
SCENEFILL_SITE = {site_dirs!r}
SCENEFILL_PYTHON = {python!r}
for _d in SCENEFILL_SITE:
    site.addsitedir(_d)
try:
    from scenefill.plugin.resolve.menu import run
except ImportError as _exc:
    print("SceneFill: cannot load the scenefill package (%s). It was installed for Python %d.%d; Resolve runs %d.%d: "
          "point Resolve at that Python, or run `scenefill resolve install` with Resolve's." % ((_exc,) + SCENEFILL_PYTHON + tuple(sys.version_info[:2])))
else:
    run({job!r}, globals())
'''


def default_scripts_dir() -> Path:
    """The per-user Scripts folder Resolve scans, for this OS."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    if os.name == "nt":
        appdata = os.environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" / "Scripts"
    return home / ".local/share/DaVinciResolve/Fusion/Scripts"


def record_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "scenefill" / "resolve.json"


def read_record() -> dict:
    try:
        return json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def recorded_command() -> str | None:
    return read_record().get("scenefill") or None


def site_dirs() -> list[str]:
    """Where this installation's packages live (site-packages, user site, and the package's own root)."""
    dirs = []
    for d in list(site.getsitepackages()) + [site.getusersitepackages()]:
        if d and os.path.isdir(d) and d not in dirs:
            dirs.append(d)
    import scenefill

    root = str(Path(scenefill.__file__).resolve().parent.parent)
    if root not in dirs:
        dirs.append(root)
    return dirs


def scenefill_executable() -> str:
    """The ``scenefill`` command of this installation (next to this Python, else on PATH)."""
    here = Path(sys.executable).parent
    for name in ("scenefill", "scenefill.exe"):
        if (here / name).exists():
            return str(here / name)
    return shutil.which("scenefill") or f"{sys.executable} -m scenefill"


def lua_source() -> str:
    return resources.files("scenefill.plugin.resolve").joinpath("lua-scripts", LUA_NAME).read_text(encoding="utf-8")


def install(scripts_dir: str | os.PathLike | None = None, lua: bool = True) -> list[Path]:
    """Write the menu scripts into ``scripts_dir``/Edit; returns the files written.

    Nothing is written when one of the names is taken by something we did not write (the
    editor's own script, a pipe, a link to a device): one line names it instead."""
    root = _scripts_root(scripts_dir) if scripts_dir is not None else default_scripts_dir()
    edit = root / "Edit"
    try:
        edit.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResolveJobError(f"cannot create {edit}: {exc.strerror or exc}") from None
    for name in list(MENU) + ([LUA_NAME] if lua else []):
        path = edit / name
        if os.path.lexists(path) and not (path.is_file() and _ours(path)):
            raise ResolveJobError(f"{path} exists and was not written by SceneFill; move it away and run "
                                  "`scenefill resolve install` again (nothing was installed)")
    dirs = site_dirs()
    written = []
    for name, job in MENU.items():
        path = edit / name
        path.write_text(PY_TEMPLATE.format(header=HEADER, title=name[:-3], site_dirs=dirs,
                                           python=tuple(sys.version_info[:2]), job=job), encoding="utf-8")
        written.append(path)
    exe = scenefill_executable()
    if lua:
        src = lua_source().replace('local SCENEFILL = os.getenv("SCENEFILL_EXE") or "scenefill"',
                                   f'local SCENEFILL = os.getenv("SCENEFILL_EXE") or [[{exe}]]', 1)
        path = edit / LUA_NAME
        path.write_text(src, encoding="utf-8")
        written.append(path)
    rec = {"scripts_dir": str(root), "files": [str(p) for p in written], "python": sys.executable,
           "python_version": list(sys.version_info[:2]), "site_dirs": dirs, "scenefill": exe}
    rp = record_path()
    rp.parent.mkdir(parents=True, exist_ok=True)
    rp.write_text(json.dumps(rec, indent=2), encoding="utf-8")
    return written


def _scripts_root(scripts_dir: str | os.PathLike) -> Path:
    """``--scripts-dir`` as an absolute path (recorded for ``uninstall`` from any directory)."""
    if not str(scripts_dir).strip():
        raise ResolveJobError("--scripts-dir is empty; leave it out for Resolve's per-user Scripts folder")
    return Path(scripts_dir).expanduser().absolute()


def _ours(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        return False
    return HEADER in head


def uninstall(scripts_dir: str | os.PathLike | None = None) -> list[Path]:
    """Remove the menu scripts SceneFill wrote (never a file it did not write); returns what was removed."""
    rec = read_record()
    if scripts_dir is not None:
        root = _scripts_root(scripts_dir)
    elif rec.get("scripts_dir"):
        root = Path(rec["scripts_dir"])
    else:
        root = default_scripts_dir()
    removed = []
    for name in list(MENU) + [LUA_NAME]:
        path = root / "Edit" / name
        if path.is_file() and _ours(path):         # a regular file: reading a pipe would block
            path.unlink()
            removed.append(path)
    if rec and Path(rec.get("scripts_dir", "")) == root:
        record_path().unlink(missing_ok=True)
    return removed
