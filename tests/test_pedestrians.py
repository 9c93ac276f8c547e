"""People walking past on a day street: what a location recordist hears from the pavement.

A busy street is a traffic roar with people passing a metre or a few away: each one
comes up, passes and is gone (level up then down, the image crossing from one side to
the other), their steps about two a second, and some of them talking for a couple of
seconds as they pass. It is not a standing crowd of talkers: most of the time nobody
near is speaking.
"""

from __future__ import annotations

import numpy as np

from scenefill.engine.models import BLOCK, REGISTRY, ModelParams
from scenefill.engine.models.pedestrians import SPAN
from scenefill.engine.scene import describe_note

SR = 48000


def make(seed=3, intensity=0.7, **options):
    return REGISTRY["pedestrians"](SR, seed, 0, ModelParams(intensity=intensity, options=dict(options)))


def render(seconds, seed=3, **options):
    m = make(seed, **options)
    n = int(seconds * SR)
    return np.concatenate([m.next_block() for _ in range(-(-n // BLOCK))], axis=1)[:, :n]


def test_a_day_street_is_traffic_with_people_passing_not_a_standing_crowd():
    layers = {layer["model"]: layer for layer in describe_note("a busy city street in the daytime")["layers"]}
    assert "traffic" in layers and "pedestrians" in layers and "crowd" not in layers
    assert layers["pedestrians"]["level_db"] < layers["traffic"]["level_db"], "the traffic is the bed"
    # a market is still a crowd standing at the stalls
    assert "crowd" in {layer["model"] for layer in describe_note("an outdoor market")["layers"]}


def test_a_passer_comes_up_passes_and_is_gone_crossing_the_image():
    m = make()
    m.deck = [(0, 0)]  # the next passer walks by the kerb, silent: only footsteps
    ev = m._passer(np.random.default_rng(5))
    lo = m.lo
    assert ev.shape[1] == int(2 * SPAN * lo)
    win = int(0.5 * lo)
    k = ev.shape[1] // win
    level = (ev[:, :k * win] ** 2).reshape(2, k, win).sum(axis=(0, 2))
    mid = k // 2
    assert level[mid - 1:mid + 2].max() > 8 * level[:2].max(), "loudest as they pass, faint as they come"
    assert level[mid - 1:mid + 2].max() > 8 * level[-2:].max()
    left, right = (ev[:, :k * win] ** 2).reshape(2, k, win).sum(axis=2)
    side = np.sign(left - right)
    loud = level > 0.05 * level.max()
    assert side[loud][0] != side[loud][-1], "the image crosses from one side to the other"


def test_footsteps_fall_about_twice_a_second():
    m = make()
    m.deck = [(1, 0)]
    ev = m._passer(np.random.default_rng(9)).sum(axis=0)
    lo = int(m.lo)
    env = np.abs(ev).reshape(-1, lo // 100).max(axis=1)  # 10 ms peak envelope
    env = env - env.mean()
    ac = np.correlate(env, env, "full")[env.size - 1:]
    lag = 30 + int(np.argmax(ac[30:80]))  # 0.3-0.8 s
    assert 1.6 < 100.0 / lag < 2.2


def test_most_of_the_time_nobody_near_is_talking():
    x = render(30.0, seed=4).sum(axis=0)
    win = SR // 2
    level = (x[: x.size // win * win].reshape(-1, win) ** 2).mean(axis=1)
    loud = np.quantile(level, 0.95)
    assert np.mean(level > loud / 4) < 0.5, "snatches of talk, not a standing crowd"
    assert np.mean(level < loud / 30) > 0.2, "gaps where only steps (or nobody) pass"


def test_fewer_people_at_night():
    day, night = make(), make(time="night")
    assert night.rate < 0.5 * day.rate
