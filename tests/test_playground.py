"""A school playground at break, as a location recordist hears it from the edge of the yard.

Dozens of children 5-30 m away, outdoors: the sound is their shouts, shrieks and laughs
at high vocal effort, not conversation. One or two children chatting nearby is all the
talk that carries; the rest of the yard is heard as calls. A shriek is an open vowel
held at the top of a child's voice, 500-900 Hz (rising to its peak), well over the pitch of their calls.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenefill.engine.models import BLOCK, REGISTRY, ModelParams, _vocal
from scenefill.engine.scene import describe_note

SR = 48000

needs_voice = pytest.mark.skipif(_vocal.takes("child-call", 16000) is None,
                                 reason="needs the bundled Piper voice and pyworld")


def _f0(x: np.ndarray, sr: int) -> float:
    import pyworld

    y = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pyworld.dio(y, sr, frame_period=5.0, f0_ceil=1200.0)  # shrieks go past DIO's default 800 Hz
    f0 = pyworld.stonemask(y, f0, t, sr)
    return float(np.median(f0[f0 > 0]))


def _render(m, seconds: float) -> np.ndarray:
    n = int(seconds * SR)
    return np.concatenate([m.next_block() for _ in range(-(-n // BLOCK))], axis=1)[:, :n]


def _playground(seed: int = 5):
    return REGISTRY["crowd"](SR, seed, 0, ModelParams(intensity=0.5, options={"place": "children"}))


@needs_voice
def test_shrieks_are_held_at_the_top_of_a_childs_voice():
    screams = _vocal.takes("child-scream", 16000)
    calls = _vocal.takes("child-call", 16000)
    scream_f0 = np.median([_f0(t, 16000) for t in screams[:6]])
    call_f0 = np.median([_f0(t, 16000) for t in calls[:6]])
    assert 550 < scream_f0 < 950
    assert scream_f0 > 1.3 * call_f0
    # held: a shriek's voiced vowel lasts longer than a word
    assert np.median([t.size for t in screams]) / 16000 > 0.5


@needs_voice
def test_the_yard_is_heard_as_shouts_not_talk():
    m = _playground()
    assert m.near_n == 1, "one child chatting nearby; everyone else is further off"
    kinds = {id(_vocal.takes(k, int(round(m.lo_sr)))) for k in ("child-call", "child-scream", "child-laugh")}
    assert {id(t) for t, *_ in m.vocal_events} == kinds
    full = _render(m, 12.0)
    talk = _playground()
    keep = np.zeros(talk.nv, dtype=bool)
    keep[:talk.near_n] = True
    gains = talk.bus_gains.copy()
    gains[:, ~keep] = 0
    talk.bus_gains = gains
    talk.vocal_events = []
    near_talk = _render(talk, 12.0)
    share = float(np.sum(near_talk.astype(np.float64) ** 2) / np.sum(full.astype(np.float64) ** 2))
    assert share < 0.35, f"the near chatter is {share:.0%} of the playground's energy"


def test_a_playground_note_is_children_outdoors():
    spec = describe_note("a school playground, children playing")
    assert spec["room"] == "outdoor"
    assert [layer["options"].get("place") for layer in spec["layers"] if layer["model"] == "crowd"] == ["children"]


def _onsets(x: np.ndarray, sr: int) -> np.ndarray:
    """Impact times (s): where the 2 ms peak envelope first rises past a fifth of its maximum."""
    hop = sr // 500
    env = np.abs(x[: x.size // hop * hop]).reshape(-1, hop).max(axis=1)
    above = env > 0.2 * env.max()
    starts = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    keep = [s for k, s in enumerate(starts) if k == 0 or s - starts[k - 1] > 20]  # 40 ms apart
    return np.asarray(keep) * hop / sr


def test_a_dropped_ball_bounces_lower_and_quicker_each_time():
    from scenefill.engine.models._play import ball_take

    found = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        style = np.random.default_rng(seed).random()
        if not 0.4 <= style <= 0.75:  # dropped or thrown (not dribbled, not kicked)
            continue
        take = ball_take(rng, SR).astype(np.float64)
        t = _onsets(take, SR)
        gaps = np.diff(t)[:3]
        assert len(gaps) == 3 and np.all(np.diff(gaps) < 0), f"seed {seed}: gaps {gaps}"
        ratio = gaps[1:] / gaps[:-1]
        assert np.all((ratio > 0.7) & (ratio < 0.9)), "the restitution of a rubber ball"
        found += 1
    assert found >= 5


def test_the_whistle_is_a_warbled_tone_near_3_khz():
    from scenefill.engine.models._play import whistle_take

    x = whistle_take(np.random.default_rng(1), SR).astype(np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / SR)
    assert 2600 < freqs[np.argmax(spec)] < 3500
    env = np.abs(x[: x.size // 48 * 48]).reshape(-1, 48).max(axis=1)  # 1 ms envelope
    active = env[env > 0.3 * env.max()]
    am = np.abs(np.fft.rfft(active - active.mean()))
    rate = np.fft.rfftfreq(active.size, 1e-3)[np.argmax(am[1:]) + 1]
    assert 20 < rate < 45, "the pea's warble"
