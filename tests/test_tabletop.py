"""A cafe's table-top sounds are crockery and cutlery, not bells or wine glasses.

What an engineer listens for: each hit starts with a hard broadband click; china
is damped by the table and dies in a few tens of milliseconds, cutlery a little
later; no hit is one clear pitch; and the sounds come in groups (a cup bounces on
its saucer, a spoon stirs, cutlery clatters) at several per second in a busy cafe.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenefill.engine.models import _tabletop as tt

SR = 48000


def _decay_ms(x: np.ndarray, share: float = 0.95) -> float:
    e = np.cumsum(x ** 2)
    return 1000 * np.searchsorted(e, share * e[-1]) / SR


def _peakiness(x: np.ndarray) -> float:
    """Share of the power in the strongest 1 % of the 1-10 kHz bins: a bell or a glass puts
    most of it in a few partials, a clack spreads it."""
    f = np.fft.rfftfreq(x.size, 1 / SR)
    p = (np.abs(np.fft.rfft(x)) ** 2)[(f > 1000) & (f < 10000)]
    top = np.sort(p)[-max(1, p.size // 100):]
    return float(top.sum() / p.sum())


def test_china_is_damped_by_the_table():
    rng = np.random.default_rng(0)
    decays = [_decay_ms(tt.ceramic_hit(rng, SR)) for _ in range(30)]
    assert np.median(decays) < 40 and max(decays) < 100


def test_cutlery_rings_longer_than_china_but_not_like_a_bell():
    rng = np.random.default_rng(1)
    china = np.median([_decay_ms(tt.ceramic_hit(rng, SR)) for _ in range(30)])
    steel = np.median([_decay_ms(tt.metal_hit(rng, SR)) for _ in range(30)])
    assert china < steel < 150


def test_a_hit_starts_with_a_broadband_click():
    """The first 2 ms (the contact) carry real energy above 6 kHz, as hard contact does."""
    rng = np.random.default_rng(2)
    for make in (tt.ceramic_hit, tt.metal_hit):
        x = make(rng, SR)
        head = x[: int(0.002 * SR)]
        f = np.fft.rfftfreq(1024, 1 / SR)
        p = np.abs(np.fft.rfft(head, 1024)) ** 2
        assert p[f > 6000].sum() > 0.15 * p.sum()


def test_no_hit_is_one_clear_pitch():
    rng = np.random.default_rng(3)
    glass = np.sin(2 * np.pi * 2500 * np.arange(int(0.2 * SR)) / SR) * np.exp(-np.arange(int(0.2 * SR)) / (0.1 * SR))
    t = np.arange(int(0.2 * SR)) / SR
    bell = sum(np.sin(2 * np.pi * f * t) for f in (1200, 2900, 4700, 6100)) * np.exp(-t / 0.1)
    assert _peakiness(glass) > 0.9 and _peakiness(bell) > 0.9  # a ring is nearly all in a few bins
    # china's many damped modes spread it; cutlery rings, but short and over many modes
    assert np.median([_peakiness(tt.ceramic_hit(rng, SR)) for _ in range(20)]) < 0.55
    assert np.median([_peakiness(tt.metal_hit(rng, SR)) for _ in range(20)]) < 0.8


@pytest.mark.parametrize("kind,hits", [("cup", (2, 4)), ("stir", (3, 7)), ("cutlery", (5, 13))])
def test_table_sounds_come_in_groups_of_hits(kind, hits):
    """A cup bounces on its saucer, a spoon ticks round a cup, cutlery clatters: count the onsets."""
    rng = np.random.default_rng(4)
    counts = []
    for _ in range(10):
        x = tt.take(rng, SR, kind)
        env = np.sqrt(np.convolve(x ** 2, np.ones(48) / 48, mode="same"))
        rise = env[96:] > 3 * env[:-96] + 1e-4 * env.max()
        counts.append(int(np.sum(np.diff(rise.astype(int)) == 1)))
    assert hits[0] - 1 <= np.median(counts) <= hits[1] + 2


def test_a_knife_scrape_is_friction_noise_not_a_tone():
    rng = np.random.default_rng(5)
    x = tt.take(rng, SR, "scrape")
    assert 0.08 < x.size / SR < 1.3
    assert _peakiness(x) < 0.35
    f = np.fft.rfftfreq(x.size, 1 / SR)
    p = np.abs(np.fft.rfft(x)) ** 2
    assert p[f < 500].sum() < 0.1 * p.sum()  # a plate's modes: no growl down low


def test_takes_are_deterministic():
    a = [tt.take(np.random.default_rng(9), SR) for _ in range(2)]
    assert np.array_equal(a[0], a[1])


def test_clinks_from_the_far_tables_lose_their_top():
    """Past a few metres of people and tables a clink's top octaves are shadowed: the far
    version of each take keeps less of its power above 4 kHz than the near one."""
    from scenefill.engine.models import REGISTRY, ModelParams

    m = REGISTRY["crowd"](SR, 0, 1, ModelParams(intensity=0.7, options={"place": "cafe"}))
    for near, far in zip(m.clink_takes[:8], m.clink_far[:8]):
        f = np.fft.rfftfreq(near.size, 1 / SR)
        top = lambda x: (np.abs(np.fft.rfft(x)) ** 2)[f > 4000].sum() / (np.abs(np.fft.rfft(x)) ** 2).sum()  # noqa: E731
        assert top(far) < 0.7 * top(near)
