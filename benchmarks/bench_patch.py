"""Benchmark: patching an editor's document with N SceneFill clips, and stripping them again.

    python benchmarks/bench_patch.py              # 1000 clips into the Premiere and FCPX samples
    python benchmarks/bench_patch.py --clips 200

Prints one JSON object: milliseconds to patch (FCP7 XML, FCPXML), to strip, and to
write the audio-only EDL, with the document sizes. Each patch is checked to strip
back to the original bytes, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction
from pathlib import Path

from scenefill.plugin import edl_write
from scenefill.plugin.otio_common import TimelineRate
from scenefill.plugin.patch import Lane, Placement, fcp7, fcpx

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "timelines"


def lanes(n: int) -> list[Lane]:
    placements = [Placement(i * 40, 30, Path(f"/media/note-{i}_{i:016x}.wav"), f"note {i}", f"note {i}",
                            48000, 48000, 2, 24, {"note": f"note {i}", "key": f"{i:064x}", "seed": i})
                  for i in range(n)]
    return [Lane("SceneFill", 0, placements)]


def best_ms(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(min(times) * 1000, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=1000)
    args = ap.parse_args()
    rate = TimelineRate(Fraction(30), 30.0, 0)
    ls = lanes(args.clips)
    out: dict = {"clips": args.clips}
    for name, mod, path in (("fcp7", fcp7, DATA / "premiere_example.xml"),
                            ("fcpx", fcpx, DATA / "fcpx_project.fcpxml")):
        doc = path.read_bytes()
        patched = mod.patch(doc, ls, rate)
        assert mod.strip(patched) == doc
        out[name] = {"document_kib": round(len(doc) / 1024), "patched_kib": round(len(patched) / 1024),
                     "patch_ms": best_ms(lambda: mod.patch(doc, ls, rate)),
                     "strip_ms": best_ms(lambda: mod.strip(patched)),
                     "refill_ms": best_ms(lambda: mod.patch(patched, ls, rate))}
    out["edl_ms"] = best_ms(lambda: edl_write.write_edls("t", ls, rate, Path("x.edl")))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
