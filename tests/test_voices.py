"""'A woman says' is spoken by a woman's voice, 'an old man' by an old man's, all offline."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scenefill.engine import speech
from scenefill.engine.api import parse_note, render_array
from scenefill.engine.caption import SpeechLine
from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import RenderRequest
from scenefill.engine.voices import VOICES, choose_voice

SR = 48000
LINE = "Meet me at the north gate at midnight."


@pytest.mark.parametrize("speaker, voice", [
    ("a woman says", "woman"),
    ("in a busy cafe a woman says", "woman"),
    ("a tired waitress", "woman"),
    ("a man says", "joe"),
    ("a tired man", "joe"),
    ("narration", "joe"),
    ("", "joe"),
    ("an old man mutters", "old-man"),
    ("an elderly gentleman", "old-man"),
    ("the old woman whispers", "old-woman"),
    ("a grandmother", "old-woman"),
    ("a child says", "child"),
    ("a little girl asks", "child"),
    ("a boy shouts", "child"),
    ("a mother and her son", "woman"),
])
def test_the_speaker_description_chooses_the_voice(speaker, voice):
    assert choose_voice(speaker) == voice


def test_parse_says_who_speaks():
    assert parse_note('on a windy beach a child says "Look, the tide is coming in!"')["voice"] == "child"
    assert parse_note("<|caption|>office<|speech|>an old woman<|asr|>Hello.")["voice"] == "old-woman"
    assert parse_note("rain on a roof")["voice"] == ""


def median_f0(x: np.ndarray, sr: int) -> float:
    """Median pitch of the voiced frames (Harvest, not the DIO tracker the voices are made with)."""
    import pyworld

    f0, _ = pyworld.harvest(np.ascontiguousarray(x[::2], dtype=np.float64), sr // 2, f0_floor=60, f0_ceil=500)
    return float(np.median(f0[f0 > 0]))


def line_in(voice: str) -> np.ndarray:
    placed = speech.place_lines([SpeechLine(LINE)], "", voice, SR)
    return placed[0].audio


def test_the_woman_speaks_clearly_higher_than_the_man_and_the_child_higher_still():
    man, woman, child, old = (median_f0(line_in(v), SR) for v in ("joe", "woman", "child", "old-man"))
    assert woman > 1.2 * man
    assert child > 1.2 * woman
    assert old < 0.9 * man
    assert 170 < woman < 255 and child > 250


def test_the_woman_has_higher_formants_not_just_higher_pitch():
    """Same pitch, with and without the envelope stretch: the stretch moves energy from the
    low formant region up into the 2.5-6 kHz range (a shorter vocal tract)."""
    from scipy import signal

    from scenefill.engine.voices import Voice, reshape

    def tilt(x):
        f, p = signal.welch(x, SR, nperseg=4096)
        high = p[(f >= 2500) & (f < 6000)].sum()
        low = p[(f >= 100) & (f < 1000)].sum()
        return 10 * np.log10(high / low)

    joe = line_in("joe")
    woman = VOICES["woman"]
    pitch_only = reshape(joe, SR, Voice("p", "", f0_scale=woman.f0_scale))
    assert tilt(reshape(joe, SR, woman)) > tilt(pitch_only) + 2.0


def test_old_voices_speak_slower():
    assert line_in("old-man").size > 1.08 * line_in("joe").size
    assert line_in("old-woman").size > 1.08 * line_in("joe").size


def test_a_derived_voice_is_deterministic():
    first = line_in("woman").copy()
    speech._speak.cache_clear()
    speech._synthesize.cache_clear()
    assert np.array_equal(first, line_in("woman"))


def test_the_request_voice_overrides_the_note():
    note = 'a woman says "Hello there."'
    chosen = render_array(RenderRequest(note=note, n_samples=2 * SR, channels=1))
    forced = render_array(RenderRequest(note=note, n_samples=2 * SR, channels=1, voice="joe"))
    assert not np.array_equal(chosen, forced)


def test_every_voice_is_listed_and_an_unknown_one_refused():
    assert {"joe", "woman", "child", "old-man", "old-woman"} <= set(speech.builtin_voices())
    out = subprocess.run([sys.executable, "-m", "scenefill", "voices"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and all(name in out.stdout for name in VOICES)
    with pytest.raises(InvalidRequest) as err:
        speech.resolve_voice("duchess")
    assert err.value.field == "voice"


def test_two_people_in_one_note_speak_in_their_own_voices():
    """'a woman says "...", then a man says "..."': the second line was spoken by the woman too."""
    from scenefill.engine.pipeline import plan_render

    note = 'a woman says "Are you coming?", then a man says "Give me a minute." and "Just one."'
    plan = plan_render(RenderRequest(note=note, n_samples=48000 * 8))
    assert plan.scene.line_voices == ["woman", "joe", "joe"]  # a line with no speaker of its own keeps the last
    from scenefill.engine.provenance import build_provenance

    assert build_provenance(plan.request, plan.scene)["line_voices"] == ["woman", "joe", "joe"]  # the file says so
    woman, man = plan.lines[0].audio, plan.lines[1].audio
    assert median_f0(woman, SR) > 1.15 * median_f0(man, SR)
    # --voice still speaks every line
    plan = plan_render(RenderRequest(note=note, n_samples=48000 * 8, voice="child"))
    assert median_f0(plan.lines[1].audio, SR) > 1.5 * median_f0(man, SR)


def test_one_speaker_keeps_one_voice_for_every_line():
    info = parse_note('an old man mutters "Where did I put it?" and then "Ah, here."')
    assert info["voice"] == "old-man"
    assert [line["speaker"] for line in info["caption"]["asr"]] == ["old man mutters", "old man mutters"]
