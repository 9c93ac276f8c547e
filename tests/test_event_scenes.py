"""A note that only names an event ("a dog barks") is about the event: the bark is what the
editor hears, at the loudness target, and the room tone under it stays far below."""

from __future__ import annotations

import numpy as np

from scenefill.engine.api import render_array
from scenefill.engine.loudness import integrated_loudness
from scenefill.engine.request import RenderRequest

SR = 48000


def _rms_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def test_an_event_only_note_features_the_event_over_a_quiet_room():
    audio = render_array(RenderRequest("a dog barks at 2s", n_samples=8 * SR, sample_rate=SR, seed=1))
    bark = audio[:, 2 * SR: int(3.5 * SR)]
    room = audio[:, 5 * SR: 7 * SR]            # long after the bark
    assert _rms_db(bark) - _rms_db(room) > 15     # the room tone is far under the event
    assert abs(integrated_loudness(audio, SR) - (-23.0)) < 2.0   # the event carries the target


def test_an_event_on_a_named_bed_stays_an_event_on_that_bed():
    """With a bed the editor asked for, the bed is the anchor as before: it meets the target."""
    audio = render_array(RenderRequest("light rain, a door slams at 4s", n_samples=10 * SR,
                                       sample_rate=SR, seed=1))
    before = audio[:, :3 * SR]
    assert abs(integrated_loudness(before, SR) - (-23.0)) < 2.0
