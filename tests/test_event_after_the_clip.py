"""An editor times an effect past the end of a short clip ("the phone rings at 5s" on a 3 s shot).

The event is not played, the render says so, and every other sound is rendered as usual: no
model may crash because its only event fell outside the range.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenefill.engine.api import render_array
from scenefill.engine.models import CATALOG
from scenefill.engine.pipeline import plan_render
from scenefill.engine.request import RenderRequest
from scenefill.engine.scene import takes_times

SR = 48000
TIMED = sorted(name for name, info in CATALOG.items() if takes_times(info))


def _note_for(name: str) -> str:
    return f"{CATALOG[name].keywords[0]} at 5s"


def test_every_timed_model_is_covered():
    assert {"phone", "door", "dog_bark", "glass_shatter"} <= set(TIMED)


@pytest.mark.parametrize("name", TIMED)
def test_an_event_after_the_end_of_the_clip_is_left_out_not_a_crash(name):
    request = RenderRequest(note=_note_for(name), n_samples=3 * SR, sample_rate=SR)
    plan = plan_render(request)
    outside = [e for e in plan.scene.events_outside if e.get("status") != "needs_fps"]
    layer = next((l for l in plan.scene.layers if l.model == name), None)
    if layer is None:  # its first keyword names a scene another model leads: nothing of it to check
        pytest.skip(f"{_note_for(name)!r} does not select {name}")
    assert outside, "the render says the event is outside the range"
    audio = render_array(request)
    assert audio.shape == (2, 3 * SR) and np.isfinite(audio).all()


def test_an_event_on_the_clip_s_last_frames_is_played_and_the_editor_is_told(tmp_path):
    """'a door slams at 9.99s' in a 10 s clip is inside the range, so it is placed, but only its
    first 10 ms are heard, under the end fade: the render says so instead of staying silent."""
    import subprocess
    import sys
    from pathlib import Path

    scenefill = Path(sys.executable).parent / "scenefill"
    done = subprocess.run([str(scenefill), "render", "a door slams at 9.99s", "--seconds", "10", "-q",
                           "-o", str(tmp_path / "door.wav")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "door 'at 9.99s' starts 10 ms before the range ends" in done.stderr
    # an event with room to be heard is not mentioned
    plan = plan_render(RenderRequest(note="a door slams at 9s", n_samples=10 * SR))
    assert not any("before the range ends" in note for note in plan.scene.notes)
