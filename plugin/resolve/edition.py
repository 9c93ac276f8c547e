"""Which Resolve this is, and what it lets a Python script do.

* External (out-of-process) scripting is Studio-only: the free edition answers
  ``scriptapp("Resolve")`` with None.
* From 19.1 ``fusion.UIManager`` is Studio-only; on the free edition the call
  opens an upsell dialog that makes later calls fail, so it is never touched there.
* From 21.1 the free edition runs only Lua menu scripts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .api import as_list, call, text
from .errors import ResolveJobError

FREE_LUA_SCRIPT = "SceneFill - Fill From Markers (free)"


@dataclass(frozen=True)
class Edition:
    product: str
    version: tuple[int, ...]

    @property
    def studio(self) -> bool:
        return "studio" in self.product.lower()

    @property
    def ui_manager(self) -> bool:
        """UIManager works: Studio, or the free edition before 19.1."""
        return self.studio or (bool(self.version) and self.version < (19, 1))

    @property
    def python_menu_scripts(self) -> bool:
        return self.studio or not self.version or self.version < (21, 1)

    @property
    def timeline_selection(self) -> bool:
        """``Timeline.GetSelectedClips`` is documented from 21.0.4 (probed with dir() anyway)."""
        return self.version >= (21, 0, 4)

    def label(self) -> str:
        return f"{self.product} {'.'.join(str(v) for v in self.version)}".strip()


def edition(resolve) -> Edition:
    product = text(call(resolve, "GetProductName")) or "DaVinci Resolve"
    version = []
    for part in as_list(call(resolve, "GetVersion"))[:4]:
        try:
            version.append(int(part))
        except (TypeError, ValueError):
            break
    return Edition(product, tuple(version))


def require_resolve(resolve) -> Edition:
    """The edition, or a clear line when there is no Resolve or its Python is refused."""
    if resolve is None:
        raise ResolveJobError(
            "cannot reach DaVinci Resolve: it must be running, with Preferences > System > General > "
            "External scripting using: Local; external scripting needs DaVinci Resolve Studio "
            f"(in the free edition use Workspace > Scripts > {FREE_LUA_SCRIPT})")
    ed = edition(resolve)
    if not ed.python_menu_scripts:
        raise ResolveJobError(
            f"{ed.label()} runs only Lua scripts: use Workspace > Scripts > {FREE_LUA_SCRIPT} "
            "(fill from markers), or DaVinci Resolve Studio for every SceneFill job")
    return ed
