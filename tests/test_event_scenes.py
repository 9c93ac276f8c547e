"""A note that only names an event ("a dog barks") is about the event: the bark is what the
editor hears, at the loudness target, and the room tone under it stays far below."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_a_knock_then_a_slam_are_two_events_not_two_knocks():
    """'someone knocks at 1s; the door slams at 4s': one door, two different things done to it.
    Each phrase keeps its own action and time, and the slam plays louder than the knock."""
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.events import Timeline
    from scenefill.engine.scene import build_scene

    request = RenderRequest("<|sfx|> someone knocks at 1s; the door slams at 4s", n_samples=8 * SR,
                            sample_rate=SR, seed=2)
    doors = [l for l in build_scene(parse_caption(request.note), Timeline.from_request(request)).layers
             if l.model == "door"]
    assert [(l.options.get("action"), [e.seconds for e in l.events]) for l in doors] == \
        [("knock", [1.0]), ("slam", [4.0])]
    assert doors[1].level_db > doors[0].level_db
    audio = render_array(request)
    knock, slam = audio[:, SR:int(1.6 * SR)], audio[:, 4 * SR:int(4.6 * SR)]
    assert np.abs(slam).max() > np.abs(knock).max()
    assert abs(integrated_loudness(audio, SR) - (-23.0)) < 1.0


def test_the_same_event_named_twice_is_one_layer_with_both_times():
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.events import Timeline
    from scenefill.engine.scene import build_scene

    request = RenderRequest("the dog barks at 1s; the dog barks at 4s", n_samples=8 * SR, sample_rate=SR)
    dogs = [l for l in build_scene(parse_caption(request.note), Timeline.from_request(request)).layers
            if l.model == "dog_bark"]
    assert len(dogs) == 1 and [e.seconds for e in dogs[0].events] == [1.0, 4.0]


def test_the_same_event_at_the_same_time_twice_is_one_take_on_the_target():
    """'a door slams at 1s; a door slams at 1s' (a note pasted twice) is one slam, not two stacked."""
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.events import Timeline
    from scenefill.engine.scene import build_scene

    request = RenderRequest("a door slams at 1s; a door slams at 1s", n_samples=8 * SR, sample_rate=SR)
    doors = [l for l in build_scene(parse_caption(request.note), Timeline.from_request(request)).layers
             if l.model == "door"]
    assert [[e.seconds for e in l.events] for l in doors] == [[1.0]]
    assert abs(integrated_loudness(render_array(request), SR) - (-23.0)) < 1.0


def test_an_adverb_sets_the_intensity_as_its_adjective_does():
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.scene import build_scene

    quietly = next(l for l in build_scene(parse_caption("someone typing quietly")).layers if l.model == "keyboard_typing")
    quiet = next(l for l in build_scene(parse_caption("someone typing quiet")).layers if l.model == "keyboard_typing")
    assert (quietly.intensity, quietly.options) == (quiet.intensity, quiet.options) == (0.25, {"kind": "laptop"})


@pytest.mark.parametrize("written", ["at -1s", "at 1e30s", "at 99999:99"])
def test_a_time_that_cannot_be_read_is_reported_not_silently_dropped(written):
    """The effect still plays (at its default time), and `scenefill parse` says the words placed nothing."""
    from scenefill.engine.caption import parse_caption
    from scenefill.engine.events import Timeline
    from scenefill.engine.scene import build_scene

    request = RenderRequest(f"a door slams {written}", n_samples=8 * SR, sample_rate=SR)
    spec = build_scene(parse_caption(request.note), Timeline.from_request(request))
    assert any(repr(written) in note and "places nothing" in note for note in spec.notes), spec.notes
    assert not build_scene(parse_caption("a door slams at 3.5s"), Timeline.from_request(request)).notes


@pytest.mark.parametrize("note", ["someone typing on a computer keyboard", "a clock ticking", "a dripping tap"])
def test_sounds_with_silence_between_them_sit_on_the_room_s_floor(note):
    """Keystrokes, ticks and drips alone: between them the file is the room, never digital silence."""
    audio = render_array(RenderRequest(note, n_samples=6 * SR, sample_rate=SR, seed=2))
    mono = audio.mean(axis=0)
    zero = np.concatenate([[0], (mono == 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(zero))
    longest = int((edges[1::2] - edges[0::2]).max()) if edges.size else 0
    assert longest < int(0.002 * SR), f"{longest / SR * 1000:.0f} ms of digital silence"
    w = int(0.05 * SR)
    quietest = np.sqrt(np.mean(mono[: mono.size // w * w].astype(np.float64).reshape(-1, w) ** 2, axis=1)).min()
    assert 20 * np.log10(quietest + 1e-30) > -70, "a gap falls to near silence (a room is never that quiet)"
    assert abs(integrated_loudness(audio, SR) - (-23.0)) < 1.0
