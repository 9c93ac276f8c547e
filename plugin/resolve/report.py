"""What a Resolve job returns: plain data for scripts, lines for Resolve's console."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..conform import CHANGES
from ..timeline_notes import Skipped


@dataclass
class JobReport:
    """What a job did, as plain data (``to_dict()``) and as lines for the console (``lines()``)."""

    job: str
    project: str = ""
    timeline: str = ""
    rate: str = ""
    rows: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)      # placed, kept, deleted, rendered, cached
    changes: dict = field(default_factory=dict)     # conform: kept, moved, trimmed ... removed, failed
    timings: dict = field(default_factory=dict)
    media_dir: str = ""
    server: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d

    def lines(self) -> list[str]:
        c = self.counts
        summary = ", ".join(f"{c[k]} {k}" for k in ("placed", "kept", "deleted", "rendered", "cached") if c.get(k))
        out = [f"{self.job} on '{self.timeline}' ({self.rate} fps): {summary or 'nothing to do'}"]
        if self.changes:
            out.append("changes: " + ", ".join(f"{self.changes[k]} {k}" for k in CHANGES + ("failed",)
                                               if self.changes.get(k)))
        for r in self.rows:
            out.append(f"  {r['change']:<11} {r['timecode']}  {r['seconds']:>8.2f}s  {r['track']:<12} {r['note'][:60]}"
                       + (f"  ({r['detail']})" if r.get("detail") else ""))
        out += [f"  skipped: {s}" for s in self.skipped]
        out += [f"  warning: {w}" for w in self.warnings]
        out += [f"  FAILED: {f}" for f in self.failures]
        out += [f"  NOT PLACED: {p}" for p in self.problems]
        t = self.timings
        if t:
            out.append("  time: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()))
        return out


def _fmt_skip(s: Skipped) -> str:
    return f"{s.what}: {s.reason}" + (f" ({s.note[:40]!r})" if s.note else "")
