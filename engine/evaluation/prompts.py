"""The shipped prompt set (``prompts.toml``) and how a run picks from it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the eval extra installs tomli on 3.10
    import tomli as tomllib

CATEGORIES = ("weather", "interiors", "urban", "crowds", "nature", "tech", "timed", "music", "dialogue")


@dataclass(frozen=True)
class Prompt:
    """One scene note and what an independent listener should hear in its render."""

    id: str
    category: str
    note: str
    seconds: float
    expect: tuple[str, ...]        # AudioSet labels as YAMNet spells them; the first is the main one
    text: str | None = None        # the words that should be heard
    loop: bool = False
    fps: str | None = None         # the timeline's frame rate, for notes that name a timecode

    def to_dict(self) -> dict:
        return {"id": self.id, "category": self.category, "note": self.note, "seconds": self.seconds,
                "expect": list(self.expect), "text": self.text, "loop": self.loop, "fps": self.fps}


def parse_prompts(text: str) -> list[Prompt]:
    """Prompts from TOML text; a malformed entry raises ValueError naming it."""
    rows = tomllib.loads(text).get("prompt", [])
    prompts, seen = [], set()
    for i, row in enumerate(rows):
        where = f"prompt {i + 1} ({row.get('id', '?')})"
        missing = [k for k in ("id", "category", "note", "seconds", "expect") if k not in row]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        unknown = set(row) - {"id", "category", "note", "seconds", "expect", "text", "loop", "fps"}
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if row["id"] in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(row["id"])
        if row["category"] not in CATEGORIES:
            raise ValueError(f"{where}: category {row['category']!r} is not one of {', '.join(CATEGORIES)}")
        if not row["expect"] or not all(isinstance(x, str) for x in row["expect"]):
            raise ValueError(f"{where}: expect must list at least one label")
        if not (0.5 <= float(row["seconds"]) <= 600):
            raise ValueError(f"{where}: seconds out of range")
        prompts.append(Prompt(row["id"], row["category"], row["note"], float(row["seconds"]),
                              tuple(row["expect"]), row.get("text"), bool(row.get("loop", False)),
                              str(row["fps"]) if "fps" in row else None))
    return prompts


def load_prompts() -> list[Prompt]:
    """The prompt set shipped in the package."""
    return parse_prompts(resources.files(__package__).joinpath("prompts.toml").read_text(encoding="utf-8"))


def select(prompts: list[Prompt], *, subset: int | None = None, ids: list[str] | None = None,
           category: str | None = None) -> list[Prompt]:
    """Filter by ids and/or category, then take ``subset`` spread evenly over the categories.

    The subset takes prompts round-robin across categories (first of each, then
    the second of each, ...), so ``--subset 9`` already touches every category.
    """
    chosen = list(prompts)
    if ids:
        known = {p.id for p in prompts}
        missing = [i for i in ids if i not in known]
        if missing:
            raise ValueError(f"unknown prompt id(s): {', '.join(missing)}")
        chosen = [p for p in chosen if p.id in set(ids)]
    if category:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
        chosen = [p for p in chosen if p.category == category]
    if subset is not None:
        if subset <= 0:
            raise ValueError("--subset must be a positive number of prompts")
        by_cat: dict[str, list[Prompt]] = {}
        for p in chosen:
            by_cat.setdefault(p.category, []).append(p)
        ordered: list[Prompt] = []
        for k in range(max((len(v) for v in by_cat.values()), default=0)):
            ordered.extend(v[k] for v in by_cat.values() if k < len(v))
        chosen = ordered[:subset]
    if not chosen:
        raise ValueError("no prompt matches that selection")
    return chosen
