"""A filled Kdenlive project, played by MLT's ``melt`` (the engine Kdenlive renders with).

The story: an editor has a Kdenlive project with dialogue crossfaded on one
audio track, music on another and a dissolve between two shots; guides and a
clip marker carry notes. ``scenefill otio fill`` writes the project with
SceneFill tracks added. Rendered with ``melt``, the filled project must sound
like the original plus exactly our clips, each at its sample offset, and look
exactly like the original.

``melt`` is the Debian package ``melt``; ``make test`` installs it. Without it
these tests are skipped with a loud reason (they are the proof that the
Kdenlive output plays correctly).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import correlate

from scenefill.plugin.otio_fill import FillSettings, fill
from scenefill.plugin.patch import kdenlive
from scenefill.plugin.renderer import RENDERED, JobOutcome, Renderer

DATA = Path(__file__).parent / "data" / "kdenlive"
PROJECTS = ["crossfade_dissolve_22.12.kdenlive", "crossfade_dissolve_23.08.kdenlive"]
SR = 48000
FPS = 25
SPF = SR // FPS                 # samples per frame at 25 fps
N_FRAMES = 250                  # the project is 10 s long
FIXTURE_ROOT = 'root="/tmp/scenefill-kdenlive-test"'

MELT = shutil.which("melt")
pytestmark = pytest.mark.skipif(
    MELT is None,
    reason="!!! melt is NOT installed, so the Kdenlive render check did NOT run: "
           "apt-get install --no-install-recommends melt (make test does this) !!!")

#: the source media of the test project: (file, seconds, seed); noise, so every placement is unambiguous
SOURCES = [("dialogue_a.wav", 6.0, 1), ("dialogue_b.wav", 6.0, 2), ("music.wav", 10.0, 3)]


class NoiseRenderer(Renderer):
    """Stands in for the engine: white noise of the exact requested length, seeded by the request.

    Placement is what is checked here; noise gives every clip a one-sample-sharp
    cross-correlation peak (the engine's own audio is tested elsewhere).
    """

    name = "noise"

    def _render(self, jobs):
        for job in jobs:
            req = job.request
            rng = np.random.default_rng(req.seed)
            x = (rng.standard_normal((req.total_samples, req.channels)) * 0.05).astype(np.float32)
            sf.write(str(job.dest), x, req.sample_rate, subtype="FLOAT")
            yield job, JobOutcome(job.id, RENDERED, job.dest, req.total_samples)


def make_media(folder: Path) -> dict[str, np.ndarray]:
    out = {}
    for name, secs, seed in SOURCES:
        x = (np.random.default_rng(seed).standard_normal((int(secs * SR), 2)) * 0.05).astype(np.float32)
        sf.write(str(folder / name), x, SR, subtype="FLOAT")
        out[name] = x.astype(np.float64)
    return out


def make_project(folder: Path, name: str) -> Path:
    """The fixture project in ``folder`` with its media, its ``root`` pointing there (as Kdenlive saves it)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (DATA / name).read_text()
    assert FIXTURE_ROOT in text
    text = text.replace(FIXTURE_ROOT, f'root="{folder}"')
    path = folder / name
    path.write_text(text)
    return path


def melt(doc: Path, out: Path, *consumer_args: str) -> None:
    """Render ``doc`` with melt (stdin from /dev/null; ``real_time=0``: every frame, one thread --
    melt 7.12 with ``real_time=-1`` hangs now and then on exit)."""
    # MLT's Qt module (Kdenlive's qtblend compositing) refuses to load without DISPLAY; offscreen needs none
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISPLAY=os.environ.get("DISPLAY", ""))
    cmd = [MELT, str(doc), "-consumer", f"avformat:{out}", *consumer_args, "real_time=0"]
    for attempt in range(2):
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=120, env=env)
            break
        except subprocess.TimeoutExpired:
            if attempt:
                raise
    assert proc.returncode == 0 and out.exists(), proc.stderr[-2000:]
    assert "failed to load" not in proc.stderr, proc.stderr[-2000:]


def render_audio(doc: Path, out: Path) -> np.ndarray:
    melt(doc, out, "f=wav", "acodec=pcm_f32le", f"ar={SR}", "ac=2", "vn=1")
    data, sr = sf.read(str(out), dtype="float64", always_2d=True)
    assert sr == SR
    return data


def render_video(doc: Path, out: Path) -> np.ndarray:
    melt(doc, out, "f=rawvideo", "vcodec=rawvideo", "pix_fmt=rgb24", "width=32", "height=18", "an=1")
    raw = np.frombuffer(out.read_bytes(), dtype=np.uint8)
    return raw.reshape(-1, 18, 32, 3)


def place(total: int, clip: np.ndarray, at: int) -> np.ndarray:
    out = np.zeros((total, 2))
    n = min(len(clip), total - at)
    out[at:at + n] = clip[:n]
    return out


@pytest.fixture(scope="module", params=PROJECTS)
def rendered(request, tmp_path_factory):
    """Original and filled project rendered by melt (audio and picture), plus what fill placed."""
    base = tmp_path_factory.mktemp("melt")
    project = base / "project"
    project.mkdir()
    sources = make_media(project)
    original = make_project(project, request.param)
    exports = base / "exports"                   # another folder: the original media must stay online
    out = exports / "filled.kdenlive"
    report = fill(original, out, settings=FillSettings(bit_depth=32), renderer=NoiseRenderer())
    placed = kdenlive.read_lanes(out.read_bytes())
    return {
        "sources": sources, "original": original, "out": out, "report": report, "lanes": placed,
        "audio_original": render_audio(original, base / "original.wav"),
        "audio_filled": render_audio(out, base / "filled.wav"),
        "video_original": render_video(original, base / "original.rgb"),
        "video_filled": render_video(out, base / "filled.rgb"),
    }


def our_clips(r) -> list[tuple[int, np.ndarray, str]]:
    """(first sample, audio, note) of every SceneFill clip in the filled project."""
    clips = []
    for lane in r["lanes"]:
        for c in lane["clips"]:
            audio, sr = sf.read(c["resource"], dtype="float64", always_2d=True)
            assert sr == SR
            clips.append((c["start"] * SPF, audio, c["provenance"]["note"]))
    return clips


def test_fill_found_every_note_and_made_two_lanes(rendered):
    notes = sorted(p.item.note for p in rendered["report"].planned)
    assert notes == ["a door creaks open", "distant thunder rolling", "rain on the window"]
    assert len(rendered["lanes"]) == 2                         # the thunder overlaps both guides
    starts = sorted((c["start"], c["frames"]) for lane in rendered["lanes"] for c in lane["clips"])
    assert starts == [(25, 125), (60, 190), (150, 100)]


def test_the_render_is_the_original_plus_exactly_our_clips(rendered):
    before, after = rendered["audio_original"], rendered["audio_filled"]
    assert before.shape == after.shape == (N_FRAMES * SPF, 2)
    ours = sum(place(len(after), audio, at) for at, audio, _ in our_clips(rendered))
    residual = after - before - ours
    assert np.abs(ours).max() > 0.05                            # our clips are not silent
    assert np.abs(residual).max() < 1e-6, np.abs(residual).max()     # float rounding only


def test_each_scenefill_clip_sits_at_its_sample_offset(rendered):
    diff = (rendered["audio_filled"] - rendered["audio_original"]).mean(axis=1)
    for at, audio, note in our_clips(rendered):
        ref = audio.mean(axis=1)
        corr = correlate(diff, ref, mode="valid", method="fft")   # lag k: diff[k:k+len(ref)] . ref
        lag = int(np.argmax(corr))
        seg = diff[lag:lag + len(ref)]
        coef = float(seg @ ref / np.sqrt((seg @ seg) * (ref @ ref)))
        assert lag == at, f"{note}: at sample {lag}, expected {at}"
        # other SceneFill clips overlap part of this one, so the coefficient is under 1 there
        assert coef > 0.5, f"{note}: correlation {coef:.3f}"


def test_the_original_tracks_and_the_crossfade_are_still_in_the_mix(rendered):
    """melt plays the dialogue track (crossfade included) and the music track, not only one of them."""
    mix, src = rendered["audio_original"], rendered["sources"]
    music = place(len(mix), src["music.wav"], 50 * SPF)
    a = place(len(mix), src["dialogue_a.wav"], 0)
    b = place(len(mix), src["dialogue_b.wav"], 100 * SPF)
    before_fade = slice(0, 100 * SPF)
    after_fade = slice(125 * SPF, 225 * SPF)
    assert np.abs((mix - music - a)[before_fade]).max() < 1e-5     # dialogue A + music
    assert np.abs((mix - music - b)[after_fade]).max() < 1e-5      # dialogue B + music
    fade = slice(100 * SPF, 125 * SPF)
    rest = (mix - music)[fade].mean(axis=1)
    wa, wb = a[fade].mean(axis=1), b[fade].mean(axis=1)
    ca = rest @ wa / np.sqrt((rest @ rest) * (wa @ wa))
    cb = rest @ wb / np.sqrt((rest @ rest) * (wb @ wb))
    assert ca > 0.3 and cb > 0.3, (ca, cb)                         # both sides of the crossfade sound
    # the same holds in the filled render once our clips are taken out (previous test: exactly)


def test_the_picture_is_unchanged_dissolve_included(rendered):
    v0, v1 = rendered["video_original"], rendered["video_filled"]
    assert v0.shape == v1.shape and len(v0) == N_FRAMES
    assert np.array_equal(v0, v1)
    red, blue = v0[50].reshape(-1, 3).mean(axis=0), v0[150].reshape(-1, 3).mean(axis=0)
    assert red[0] > 200 and red[2] < 30 and blue[2] > 200 and blue[0] < 30
    mid = v0[87].reshape(-1, 3).mean(axis=0)                       # inside the 75..99 dissolve
    assert 40 < mid[0] < 215 and 40 < mid[2] < 215, mid


def test_our_tracks_sit_below_the_video_tracks(rendered):
    doc = rendered["out"].read_bytes()
    lay = kdenlive.layout(kdenlive.parse(doc))
    kinds = ["bg" if lay.is_background(t) else "sf" if lay.track_tractor(t).generated
             else "audio" if lay.is_audio(t) else "video" for t in lay.tracks]
    assert kinds == ["bg", "audio", "audio", "sf", "sf", "video", "video"]
    assert kdenlive.strip(doc) == rendered["original"].read_bytes()


@pytest.mark.parametrize("num,den", [(24000, 1001), (30000, 1001)])
def test_clips_land_on_their_samples_at_ntsc_rates(num, den, tmp_path):
    """At 23.976 and 29.97 (1601.6 samples a frame) our clips still start on the exact sample."""
    from fractions import Fraction

    from scenefill.engine.timing import frame_to_sample

    project = tmp_path / "project"
    project.mkdir()
    make_media(project)
    original = make_project(project, PROJECTS[0])
    original.write_text(original.read_text().replace(
        'frame_rate_num="25"', f'frame_rate_num="{num}"').replace('frame_rate_den="1"', f'frame_rate_den="{den}"'))
    out = tmp_path / "exports" / "filled.kdenlive"
    fill(original, out, settings=FillSettings(bit_depth=32), renderer=NoiseRenderer())
    before = render_audio(original, tmp_path / "original.wav")
    after = render_audio(out, tmp_path / "filled.wav")
    assert before.shape == after.shape
    fps = Fraction(num, den)
    clips = []
    for lane in kdenlive.read_lanes(out.read_bytes()):
        for c in lane["clips"]:
            audio, _ = sf.read(c["resource"], dtype="float64", always_2d=True)
            clips.append((frame_to_sample(c["start"], fps, SR), audio, c["provenance"]["note"]))
    assert len(clips) == 3
    ours = sum(place(len(after), audio, at) for at, audio, _ in clips)
    residual = after - before - ours
    assert np.abs(residual).max() < 1e-6, np.abs(residual).max()
