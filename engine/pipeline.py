"""One render, start to finish: spec -> calibrated layers -> mix -> limiter -> exact-length stream.

Every gain is a function of the spec alone. Each layer is set to its spec level
from its calibrated long-term loudness (:mod:`.calibration`); the scene's master
gain follows from those levels and the mixer's dry and room factors. Nothing is
measured on the render itself, so a 10 s and a 2 h render of the same note get
the same gains, which is what makes extending a clip seamless. With dialogue,
the voice is the loudness anchor, as in dialogue-gated delivery specs.
"""

from __future__ import annotations

import errno
import hashlib
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .calibration import (COUNT_SPAN_S, ONE_SHOT_AT, counted_times, events_scene_makeup, layer_loudness, limiter_makeup,
                          one_shot_take, shared_renders)
from .caption import parse_caption
from .errors import Cancelled, InvalidRequest
from .events import Timeline, event_sample, series_beyond
from .limiter import TruePeakLimiter
from .loudness import db_to_gain, integrated_loudness
from .mixer import SceneMixer
from .models import BLOCK, CATALOG, REGISTRY, ModelParams
from .output_paths import FILE_MODE, check_output_path, publish, temp_beside
from .request import RenderRequest
from .scene import LEVEL_SPEECH, LayerSpec, SceneSpec, build_scene, takes_times
from .speech import PlacedLine, SpeechStem, place_lines, validate_voice

FADE_IN_S = 0.005
FADE_OUT_S = 0.010
LOOP_CROSSFADE_S = 1.0
TRUE_PEAK_CEILING = -1.5   # dBTP, half a dB under the -1 dBTP delivery limit


@dataclass
class RenderPlan:
    """A calibrated scene ready to stream."""

    request: RenderRequest
    scene: SceneSpec
    models: list
    mixer: SceneMixer
    stem: SpeechStem
    lines: list[PlacedLine]
    layer_gains: list[float]
    speech_gain: float
    master_gain: float
    backend_info: dict | None = None  # a neural backend's provenance (model, weights, steps)


def _layer_options(scene: SceneSpec, request: RenderRequest, lead: int) -> list[dict]:
    """Each layer's model options as the render plays them; event times move by ``lead`` (the head
    handle, plus the loop's pre-roll), since the stream starts that many samples before the range."""
    sr = request.sample_rate
    out = []
    for layer in scene.layers:
        cls = REGISTRY[layer.model]
        options = dict(layer.options)
        if cls.one_shot and "times" not in options:
            options["times"] = [ONE_SHOT_AT]
        if cls.category == "music" and not request.loop:  # a piece closes at the end of the range
            options.setdefault("end_s", (request.handle_samples + request.n_samples) / request.sample_rate)
        if layer.events:  # exact samples from the range start; k / sr rounds back to k in the model
            options["times"] = [(event_sample(e, sr) + lead) / sr for e in layer.events]
        elif "times" in options:  # note times are from the range start; the stream starts earlier
            options["times"] = [t + lead / sr for t in options["times"]]
        out.append(options)
    return out


def _timed(layer: LayerSpec) -> bool:
    """Whether a layer is an event at a time (a slam, a bark, the phone's first ring at 7 s),
    not a bed: a one-shot effect always, a timed bed (the phone) when the note gives its time."""
    info = CATALOG[layer.model]
    return bool(info.one_shot or (takes_times(info) and layer.events))


def _make_models(scene: SceneSpec, request: RenderRequest, options: list[dict]) -> list:
    """One model per layer, with the options :func:`_layer_options` worked out."""
    return [REGISTRY[layer.model](request.sample_rate, request.seed, index,
                                  ModelParams(intensity=layer.intensity, distance=layer.distance, options=opts))
            for index, (layer, opts) in enumerate(zip(scene.layers, options))]


def _counted(take: tuple[int, int, float], options: dict, layer: LayerSpec, lead: int, sr: int) -> tuple[float, ...]:
    """The events of a timed layer that its scene's level counts (:func:`.calibration.counted_times`):
    the played ones, those stated for after the range's end, and an "every N s" series carried on
    past it, so the gains do not depend on where the range ends."""
    times = list(options.get("times") or [])
    after = [(event_sample(e, sr) + lead) / sr for e in layer.events_after]
    if times:
        after += series_beyond(layer.events, times, min(times) + COUNT_SPAN_S)
    return counted_times(take, times + after)


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("render cancelled")


def check_text_fields(request: RenderRequest) -> None:
    """Refuse text that cannot be stored as UTF-8 in the file's metadata.

    A note typed in a non-UTF-8 terminal reaches Python as lone surrogates
    (``surrogateescape``); no file format can carry them, and guessing the
    encoding would store a note the user never wrote.
    """
    for name in ("note", "voice"):
        value = getattr(request, name)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidRequest(name, f"the {name} is not valid UTF-8 text (bad byte at character "
                                           f"{exc.start + 1}); check the terminal's encoding") from None


@shared_renders()  # the measurements of one plan share their calibration renders
def plan_render(request: RenderRequest, cancel: Callable[[], bool] | None = None,
                runner=None, progress: Callable[[float, str], None] | None = None) -> RenderPlan:
    """Parse, match, synthesize dialogue and set every gain from the spec.

    A neural backend's plan comes from :mod:`.backends.plan` (``runner``: who renders its
    windows; the daemon's batching queue, or the backend itself when None).
    """
    check_text_fields(request)
    validate_voice(request.voice)  # also when the note has no speech: a typo is refused, not ignored
    if request.backend != "procedural":
        from .backends.plan import check_backend_request, plan_neural

        check_backend_request(request)
        return plan_neural(request, cancel, runner, progress)
    scene = build_scene(parse_caption(request.note), Timeline.from_request(request))
    for missing in scene.events_outside:
        if missing["status"] == "needs_fps":
            raise InvalidRequest("fps", f"{missing['text']!r} is a timecode or frame: give the frame rate (--fps)")
    sr, channels = request.sample_rate, request.channels
    lead = request.handle_samples + (_loop_samples(request) if request.loop else 0)
    _check(cancel)
    lines = place_lines(scene.speech, scene.speech_style, request.voice or scene.voice, sr, offset_samples=lead,
                        voices=None if request.voice else scene.line_voices)
    layer_gains: list[float] = []
    mix_power = 0.0
    options = _layer_options(scene, request, lead)
    # A scene of timed events only ("a dog barks", "a door slams, then the phone rings") sits on the
    # fallback room tone: the events carry the loudness target, the bed stays far under them, not
    # brought up to it. Their relative levels come from the spec; the scene's level from playing
    # them together (:func:`events_scene_makeup`): the loudest take alone is not the scene's level.
    timed = [_timed(layer) for layer in scene.layers]
    events_only = any(timed) and all(t or layer.via == "fallback" for t, layer in zip(timed, scene.layers))
    takes = [one_shot_take(request.seed, index, opts.get("times")) if is_timed else None
             for index, (is_timed, opts) in enumerate(zip(timed, options))]
    counted = [_counted(take, opts, layer, lead, sr) if take else None
               for take, opts, layer in zip(takes, options, scene.layers)]
    top = max((layer.level_db for layer, t in zip(scene.layers, timed) if t), default=0.0)
    levels: dict[int, float] = {}  # each audible layer's wanted output level (LUFS)
    for index, (layer, take) in enumerate(zip(scene.layers, takes)):
        _check(cancel)  # a first-use calibration takes a moment
        # the level as the layer leaves the mixer (dry and room); a one-shot on its own take
        level = layer_loudness(layer, sr, channels, scene.room, take if CATALOG[layer.model].one_shot else None,
                               (request.seed, index), clip_start=lead / sr)
        if level is None:
            layer_gains.append(1.0)
            continue
        wanted = request.loudness + layer.level_db - (top if events_only else 0.0)
        layer_gains.append(db_to_gain(wanted - level))
        if not events_only and not timed[index]:  # a door slam (the phone at 3s) is an event on the bed
            levels[index] = wanted
            mix_power += 10 ** (wanted / 10)
    speech_gain = 1.0
    master = 1.0
    if mix_power > 0:  # the beds meet the target between lines (and throughout a scene without any)
        master = db_to_gain(request.loudness - 10 * math.log10(mix_power))
    gains_db = [20 * math.log10(g) if g > 0 else -200.0 for g in layer_gains]
    if events_only:  # the events together, over their floor and through the limiter, meet the target
        master = db_to_gain(events_scene_makeup(scene.layers, gains_db, takes, request.seed, sr, channels,
                                                scene.room, request.loudness, TRUE_PEAK_CEILING,
                                                counted=counted))
    elif not lines and levels:  # the limiter takes a peaky layer's level: make it up, as mastering does
        loudest = max(levels, key=lambda i: levels[i])
        master *= db_to_gain(limiter_makeup(
            scene.layers[loudest], sr, channels, scene.room, 20 * math.log10(layer_gains[loudest] * master),
            TRUE_PEAK_CEILING, None, (request.seed, loudest)))  # a bed: no take
        if any(timed):
            # events on a bed ("heavy rain, a door slams at 3s"): the clip around them, not only the
            # bed between them, meets the target; the bed's long-run level stays its calibrated one
            master = db_to_gain(events_scene_makeup(scene.layers, gains_db, takes, request.seed, sr, channels,
                                                    scene.room, request.loudness, TRUE_PEAK_CEILING,
                                                    20 * math.log10(master), counted))
    if lines:  # the voice, with the ducked bed under it, meets the target where it speaks
        voice = np.concatenate([line.audio for line in lines])[None]
        level = integrated_loudness(np.repeat(voice, channels, axis=0), sr)
        if math.isfinite(level):
            speech_gain = db_to_gain(request.loudness + LEVEL_SPEECH - level) / master
    spans = [(line.start, line.start + len(line.audio)) for line in lines]
    mixer = SceneMixer(scene.layers, scene.room, sr, layer_gains, speech_gain, spans)
    return RenderPlan(request, scene, _make_models(scene, request, options), mixer, SpeechStem(lines), lines,
                      layer_gains, speech_gain, master)


def _to_channels(stereo: np.ndarray, channels: int) -> np.ndarray:
    return stereo if channels == 2 else stereo.mean(axis=0, keepdims=True)


def _loop_samples(request: RenderRequest) -> int:
    return min(int(LOOP_CROSSFADE_S * request.sample_rate), request.total_samples // 2)


SPLIT_AFTER = 2     # blocks rendered here before a helper may take layers (the second one is timed)
SPLIT_MIN_BLOCKS = 8  # shorter renders (under ~5 s at 48 kHz) are not worth a fork


def _raw_stream(plan: RenderPlan, cancel: Callable[[], bool] | None, processes: int = 1,
                samples_needed: int = 0) -> Iterator[np.ndarray]:
    """The limited mix from the stream origin, endless; blocks of BLOCK samples.

    With ``processes`` 2 and ``samples_needed`` of at least SPLIT_MIN_BLOCKS blocks, a forked helper
    renders the heavier layers from the third block on (:mod:`.layer_split`); the audio is
    the same to the bit.
    """
    from . import layer_split

    request = plan.request
    limiter = TruePeakLimiter(request.sample_rate, request.channels, TRUE_PEAK_CEILING)
    skip = limiter.latency
    split = len(plan.models) > 0 and skip + samples_needed >= SPLIT_MIN_BLOCKS * BLOCK \
        and layer_split.can_split(processes)
    helper: layer_split.LayerHelper | None = None
    consumer_s = 0.0  # how long whoever reads the stream took over the first block (packing, writing)
    index = 0
    try:
        while True:
            _check(cancel)
            seconds = None
            if helper is not None:
                layer_blocks = helper.next_blocks(plan.models)
            elif split and index == SPLIT_AFTER - 1:
                layer_blocks, seconds = layer_split.time_blocks(plan.models, BLOCK)
            else:
                layer_blocks = [m.next_block(BLOCK) for m in plan.models]
            speech = plan.stem.next_block(BLOCK) if plan.lines else None
            start = time.perf_counter()
            mixed = _to_channels(plan.mixer.process(layer_blocks, speech, BLOCK), request.channels)
            mixed *= plan.master_gain  # the mixer's output is a fresh array: scaled in place
            out = limiter(mixed)
            if helper is not None:
                helper.release()  # the mixer copied what it needs from the helper's blocks
            elif seconds is not None:  # every model stands after this block: fork the helper now
                helper = layer_split.start_helper(plan.models, seconds, time.perf_counter() - start + consumer_s,
                                                  layer_blocks, BLOCK)
            index += 1
            if skip:
                cut = min(skip, out.shape[1])
                out, skip = out[:, cut:], skip - cut
            if out.shape[1]:
                handed = time.perf_counter()
                yield out
                if index == 1:
                    consumer_s = time.perf_counter() - handed
    finally:
        if helper is not None:
            helper.close()


def stream_audio(request: RenderRequest, *, cancel: Callable[[], bool] | None = None,
                 progress: Callable[[float, str], None] | None = None,
                 plan: RenderPlan | None = None, processes: int = 1) -> Iterator[np.ndarray]:
    """Exactly ``request.total_samples`` samples as float32 (channels, n) chunks, fades applied.

    ``processes`` 2 lets a long render put some layers on a second core (see :func:`_raw_stream`)."""
    if progress:
        progress(0.0, "planning")
    plan = plan or plan_render(request, cancel)
    total = request.total_samples
    sr = request.sample_rate
    loop = _loop_samples(request) if request.loop else 0
    fade_in = 0 if loop else min(int(FADE_IN_S * sr), total // 2)
    fade_out = 0 if loop else min(int(FADE_OUT_S * sr), total - fade_in)
    raw = _raw_stream(plan, cancel, processes, loop + total)
    try:
        yield from _shaped(raw, total, sr, loop, fade_in, fade_out, progress)
    finally:
        raw.close()  # ends a helper process now, not when the generator is collected


def _shaped(raw: Iterator[np.ndarray], total: int, sr: int, loop: int, fade_in: int, fade_out: int,
            progress: Callable[[float, str], None] | None) -> Iterator[np.ndarray]:
    """The raw stream cut to ``total`` samples after the loop's pre-roll, faded or loop-crossfaded."""
    preroll: list[np.ndarray] = []
    need_pre = loop
    pos = 0  # output position (after the pre-roll)
    for chunk in raw:
        if need_pre:
            take = min(need_pre, chunk.shape[1])
            preroll.append(chunk[:, :take])
            chunk, need_pre = chunk[:, take:], need_pre - take
            if not chunk.shape[1]:
                continue
        chunk = chunk[:, : total - pos]
        n = chunk.shape[1]
        if (fade_in and pos < fade_in) or (fade_out and pos + n > total - fade_out) \
                or (loop and pos + n > total - loop):
            chunk = chunk.copy()  # shaped in place below; the rest of the blocks go straight to float32
        if fade_in and pos < fade_in:
            k = min(fade_in - pos, n)
            chunk[:, :k] *= np.sin(0.5 * np.pi * (np.arange(pos, pos + k) + 0.5) / fade_in) ** 2
        if fade_out and pos + n > total - fade_out:
            start = max(pos, total - fade_out)
            idx = np.arange(start, pos + n) - (total - fade_out)
            chunk[:, start - pos:] *= np.cos(0.5 * np.pi * (idx + 0.5) / fade_out) ** 2
        if loop and pos + n > total - loop:
            pre = np.concatenate(preroll, axis=1)
            start = max(pos, total - loop)
            idx = np.arange(start, pos + n) - (total - loop)
            theta = 0.5 * np.pi * (idx + 0.5) / loop
            chunk[:, start - pos:] = chunk[:, start - pos:] * np.cos(theta) + pre[:, idx] * np.sin(theta)
        pos += n
        if progress:
            progress(pos / total, "rendering")
        yield chunk.astype(np.float32)
        if pos >= total:
            return


# ---------------------------------------------------------------- files


def render_file(request: RenderRequest, path: Path, *, progress=None, cancel=None, runner=None,
                processes: int = 1):
    """Stream a render into ``path`` atomically and return its RenderResult (``processes``:
    see :func:`stream_audio`)."""
    from .api import RenderResult
    from .provenance import build_provenance

    path = Path(path)
    check_output_path(path)
    plan = plan_render(request, cancel, runner, progress)
    provenance = build_provenance(request, plan.scene)
    if plan.backend_info:
        provenance["model"] = plan.backend_info
        if not plan.lines:  # the model speaks the lines itself (Dasheng): no Piper voice
            provenance["voice"], provenance["line_voices"] = "", []
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "w+b") as fh:
            if request.fmt == "wav":
                _write_wav(fh, request, plan, provenance, progress, cancel, processes)
            else:
                fh.close()
                _write_flac(tmp, request, plan, provenance, progress, cancel, processes)
        digest = _sha256(tmp)
        os.chmod(tmp, FILE_MODE)
        publish(tmp, path)  # checks the target again: it may have changed during the render
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None:  # a write that failed on the open file: name the file the user asked for
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress:
        progress(1.0, "done")
    return RenderResult(path=path, n_samples=request.total_samples, sample_rate=request.sample_rate,
                        channels=request.channels, sha256=digest, provenance=provenance)


def _write_wav(fh, request, plan, provenance, progress, cancel, processes: int = 1) -> None:
    from scenefill import ENGINE_VERSION

    from .provenance import ORIGINATOR, origination_time
    from .wavio import BwfWriter, bext_chunk, ixml_document

    description = request.note.replace("\n", " ")[:256]
    history = (f"A=PCM,F={request.sample_rate},W={request.bit_depth},"
               f"M={'stereo' if request.channels == 2 else 'mono'},T={ENGINE_VERSION}\r\n")
    bext = bext_chunk(description, ORIGINATOR, f"seed={request.seed}", origination_time(),
                      int(request.extra.get("time_reference", 0)) if isinstance(request.extra, dict) else 0,
                      history)
    writer = BwfWriter(fh, request.sample_rate, request.channels, request.bit_depth, bext,
                       ixml_document(provenance), dither_seed=request.seed)
    for chunk in stream_audio(request, cancel=cancel, progress=progress, plan=plan, processes=processes):
        writer.write(chunk)
    writer.close()


def _write_flac(tmp: Path, request, plan, provenance, progress, cancel, processes: int = 1) -> None:
    import json

    import soundfile as sf

    from scenefill import ENGINE_VERSION

    from .wavio import xml_safe

    subtype = {16: "PCM_16", 24: "PCM_24"}[request.bit_depth]
    try:
        with sf.SoundFile(str(tmp), "w", samplerate=request.sample_rate, channels=request.channels,
                          format="FLAC", subtype=subtype) as out:
            out.comment = json.dumps(provenance, sort_keys=True)
            out.title = xml_safe(request.note[:200])  # tags are C strings: no NUL, no controls
            out.software = ENGINE_VERSION
            for chunk in stream_audio(request, cancel=cancel, progress=progress, plan=plan, processes=processes):
                out.write(chunk.T)
    except sf.SoundFileRuntimeError as exc:
        # libsndfile reports a failed write (a full disk above all) without its errno
        raise _flac_write_error(tmp, exc) from None


def _flac_write_error(tmp: Path, exc: Exception) -> OSError:
    """Why libsndfile could not write: a full disk, the shell's file-size limit (``ulimit -f``),
    else its own words."""
    import resource

    if shutil.disk_usage(tmp.parent).free < (1 << 20):
        return OSError(errno.ENOSPC, "could not write the FLAC file: no space left on device")
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    try:
        size = tmp.stat().st_size
    except OSError:
        size = 0
    if limit != resource.RLIM_INFINITY and size >= limit - (1 << 16):
        return OSError(errno.EFBIG, f"could not write the FLAC file: it reached the file size limit "
                                    f"(ulimit -f, {limit} bytes)")
    return OSError(errno.EIO, f"could not write the FLAC file: libsndfile: {exc}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for piece in iter(lambda: fh.read(1 << 20), b""):
            h.update(piece)
    return h.hexdigest()
