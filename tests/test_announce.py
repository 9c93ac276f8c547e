"""A busy station hall "with announcements": a chime, then a voice through the horns, across the hall.

What an editor expects to hear: the falling chime that says an announcement is coming,
then a voice band-limited by horn loudspeakers, arriving from several loudspeakers
at once and smeared by the hall, loud enough to notice, not clear enough to follow.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenefill.engine.models import REGISTRY, ModelParams, _announce
from scenefill.engine.scene import describe_note

SR = 12000  # the crowd's low rate, where the announcement is made


def _dominant_hz(x: np.ndarray) -> float:
    f = np.fft.rfftfreq(x.size, 1 / SR)
    return float(f[np.argmax(np.abs(np.fft.rfft(x * np.hanning(x.size))))])


def test_the_chime_falls_note_by_note():
    """Over the chime the strongest pitch only ever steps down, through at least two notes."""
    x = _announce.chime(np.random.default_rng(0), SR)
    win = int(0.2 * SR)
    pitches = [_dominant_hz(x[k:k + win]) for k in range(0, int(1.2 * SR), win)]
    assert all(a >= b - 5 for a, b in zip(pitches, pitches[1:])), pitches
    assert pitches[0] > 1000 and len({round(p, -1) for p in pitches}) >= 2


def test_the_horns_pass_only_the_speech_band():
    rng = np.random.default_rng(1)
    x = _announce.horn(rng.standard_normal(4 * SR), SR)
    f = np.fft.rfftfreq(x.size, 1 / SR)
    p = np.abs(np.fft.rfft(x)) ** 2
    assert p[(f < 200) | (f > 4500)].sum() < 0.05 * p.sum()


def test_several_loudspeakers_smear_the_voice():
    """An impulse through the hall's loudspeakers arrives as a few copies 20-120 ms apart, nearest loudest."""
    x = np.zeros(SR)
    x[0] = 1.0
    y = _announce.loudspeakers(x, np.random.default_rng(2), SR)
    hits = np.flatnonzero(y > 1e-6)
    assert len(hits) == 4 and hits[0] == 0
    assert 0.02 <= hits[1] / SR and hits[-1] / SR <= 0.12
    assert np.all(np.diff(y[hits]) < 0)


def test_a_station_with_announcements_gets_one_within_the_first_seconds():
    layer = describe_note("a busy train station hall with announcements")["layers"][0]
    assert layer["model"] == "crowd" and layer["options"].get("announce")
    m = REGISTRY["crowd"](48000, 0, 1, ModelParams(intensity=0.7, options=layer["options"]))
    if m.material is None:
        pytest.skip("no Piper voice: the fallback talkers make no announcement")
    assert m.pa_take is not None and m.pa_sched.next / m.lo_sr < 2.6
    plain = REGISTRY["crowd"](48000, 0, 1, ModelParams(intensity=0.7, options={"place": "hall"}))
    assert plain.pa_take is None


def test_the_announcement_is_prefix_stable():
    def render(seconds):
        m = REGISTRY["crowd"](44100, 11, 1, ModelParams(intensity=0.7, options={"place": "hall", "announce": True}))
        n = int(seconds * 44100)
        return np.concatenate([m.next_block() for _ in range(-(-n // 1024))], axis=1)[:, :n]
    a, b = render(4.0), render(2.2)
    assert np.array_equal(a[:, :b.shape[1]], b)
