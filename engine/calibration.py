"""Per-layer level calibration: the long-term loudness of a sound model as the mixer will hear it.

Why: a scene's gains must come from its spec, not from the audio a particular
render happens to contain. Otherwise a 10 s and a 2 h render of the same note
get different gains, and a stretch of 15 s with one passing truck sets the
level for an hour of traffic. So each layer configuration (model, options,
intensity, distance, rate, channels, and the scene's room) is rendered once,
30 s at a fixed seed, through a one-layer mixer (its distance filter, pan, dry
level and room send, as the scene's mixer will play it), and its integrated
loudness is remembered: in
memory, and in a small JSON file under the cache directory
(``$SCENEFILL_CACHE_DIR``, else ``~/.cache/scenefill``) so later processes
skip the work. The value is a pure function of the key, so the cache never
changes what a render sounds like, only how soon it starts.

Why through the room: a steady tone's harmonics come back from the room's
response in phase with the dry sound, so a buzz gains over 1.5 LU more than
the mixer's power estimate (dry plus half the send), while noise gains what
the estimate says. Measuring the layer through the room it will play in
replaces the estimate with the fact, for every kind of source.

Why one-shot layers are measured on their own take: a single event is the
whole layer. Each seed and layer draws a different take (a bark, a slam), and
where the event falls matters when it is cut by the range start (a car heard
4 s before it passes). So a one-shot layer is calibrated on the render's own
first event: same seed, same layer index, same time (capped, since an event
later than ``ONE_SHOT_CAP_S`` sounds the same anywhere). Only the first event
counts, because later ones ("every 2 seconds") depend on the range's length,
and the gains must not. Still a pure function of the spec.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from scenefill import ENGINE_VERSION

from .cache_paths import cache_dir, read_regular
from .loudness import integrated_loudness
from .models import BLOCK, CATALOG, REGISTRY, ModelParams
from .models.base import butter
from .paired_filter import PairedFilter
from .scene import LayerSpec

CALIBRATION_SECONDS = 30.0
CALIBRATION_SEED = 0x5CE4E
ONE_SHOT_AT = 0.5  # seconds into the range where an untimed one-shot effect plays
ONE_SHOT_CAP_S = 10.0  # an event this late is heard whole: measuring it earlier changes nothing
ONE_SHOT_TAIL_S = 12.0  # an event (a pass-by heard 4 s either side) and its room tail fit in this
#: entries kept on disk (the oldest go first; any can be measured again): per-seed measurements
#: grow with every new seed, and the whole file is rewritten on each new entry
MAX_ENTRIES = 5000
ROOM_EXCESS_S = 8.0  # a bed's room response is read off this much of the render's own take
LIMITER_WINDOW_S = 10.0  # a bed's peaks against the limiter are read off this much of its own take
REFERENCE_WINDOW_S = 10.0  # an events-only scene's level is set for a clip at least this long
REFERENCE_LEAD_S = 4.0  # the window starts this long before the event (or at the stream start)
COUNT_SPAN_S = 30.0  # a layer's events this long after its first count in the scene's level ...
MAX_COUNTED = 64  # ... the first this many of them: a dense series' level is read off its start

_memory: dict[str, float | None] = {}
#: calibration renders shared within one plan (:func:`shared_renders`), per thread
_renders = threading.local()
_loaded_from: Path | None = None
_loaded_mtime: int | None = None
_lock = threading.Lock()


def _cache_file() -> Path:
    return cache_dir() / "calibration.json"


def _key(layer: LayerSpec, sample_rate: int, channels: int, room: str | None = None,
         take: tuple[int, int, float] | None = None) -> str:
    """The level's cache key: the layer's configuration and the model's source (its fingerprint), so an
    edited model is measured again even before the engine version is bumped; the room it plays in,
    and for a one-shot layer its take (seed, layer index, first event time)."""
    options = {k: v for k, v in layer.options.items() if k != "times"}
    info = CATALOG.get(layer.model)
    key = [ENGINE_VERSION, layer.model, info.fingerprint if info is not None else None,
           sorted(options.items()), round(layer.intensity, 3),
           round(layer.distance, 3), sample_rate, channels]
    if room is not None:
        key += ["room", room, round(layer.pan, 3)]
    if take is not None:
        key += ["take", int(take[0]), int(take[1]), round(float(take[2]), 6)]
    return json.dumps(key, default=str)


def one_shot_take(seed: int, index: int, times: list[float] | None) -> tuple[int, int, float]:
    """The (seed, layer index, time) a one-shot layer is calibrated on: its first event, where
    the render plays it (seconds from the stream start), capped at ``ONE_SHOT_CAP_S``."""
    first = min(times) if times else ONE_SHOT_AT
    return int(seed), int(index), min(max(float(first), 0.0), ONE_SHOT_CAP_S)


def counted_times(take: tuple[int, int, float], times: list[float] | None) -> tuple[float, ...]:
    """The event times (seconds from the stream start, moved with the take) a scene's level counts
    for one timed layer: every event up to ``COUNT_SPAN_S`` after its first, at most ``MAX_COUNTED``
    (a bark every 0.05 s: 64 barks are its level, 800 were a minute of calibration and a gigabyte).

    Why: four knocks in ten seconds are louder than one; levelled on the first alone, the clip
    came out 3 LU over the target. ``times`` should hold the events after the range's end too
    (stated ones, an "every N s" series carried on), so that the gain does not depend on where
    the range ends and a longer render starts with the shorter one's samples.
    """
    if not times:
        return (take[2],)
    first = min(times)
    kept = sorted({t for t in times if t - first <= COUNT_SPAN_S})[:MAX_COUNTED]
    return tuple(take[2] + (t - first) for t in kept)


def distance_filter(distance: float, sample_rate: int) -> PairedFilter | None:
    """Air absorption for a source at ``distance``: far sources lose their top end."""
    if distance <= 0.2:
        return None
    cutoff = float(18000.0 * (0.16 ** min(max(distance, 0.0), 1.0)))
    return PairedFilter(butter("lowpass", cutoff, sample_rate, 2))


def _play(layer: LayerSpec, sample_rate: int, channels: int, room: str | None = None,
          take: tuple[int, int, float] | None = None, seconds: float | None = None,
          seed_index: tuple[int, int] | None = None, both: bool = False,
          times: tuple[float, ...] | None = None):
    """The calibration render of one layer at unit gain: (channels, n) from the stream start.

    ``both``: return (through the distance filter, through the mixer and room) of one render.
    ``times``: a take's events (:func:`counted_times`) instead of its first alone.
    """
    cls = REGISTRY[layer.model]
    options = dict(layer.options)
    seed, index = seed_index if seed_index is not None else (CALIBRATION_SEED, 0)
    played = None if take is None else list(times or (take[2],))  # the take's events, else its first
    if cls.one_shot:
        options["times"] = played or [ONE_SHOT_AT]
        if take is not None:
            seed, index = take[0], take[1]
    elif take is not None:  # a timed bed (the phone) from its first event, on its own seed
        options["times"] = played
        seed, index = take[0], take[1]
    else:
        options.pop("times", None)
    if seconds is None:  # a model of sparse events (thunder's strikes) states how long its level takes to settle
        seconds = float(getattr(cls, "calibration_seconds", CALIBRATION_SECONDS))
        if cls.one_shot and take is not None:
            seconds = max(played) + ONE_SHOT_TAIL_S  # the whole events and their ring, nothing more
    shared = getattr(_renders, "memo", None)
    memo_key = None
    if shared is not None:
        memo_key = json.dumps([_key(layer, sample_rate, channels, room), seed, index, options.get("times"),
                               seconds, both], default=str)
        if memo_key in shared:
            return shared[memo_key]
    model = cls(sample_rate, seed, index,
                ModelParams(intensity=layer.intensity, distance=layer.distance, options=options))
    filt = distance_filter(layer.distance, sample_rate)
    mixer = None
    if room is not None:
        from .mixer import SceneMixer  # the mixer imports this module's distance filter

        mixer = SceneMixer([layer], room, sample_rate, [1.0], 1.0)
    dry, wet = [], []
    for _ in range(math.ceil(seconds * sample_rate / BLOCK)):
        block = model.next_block(BLOCK)
        if mixer is not None:
            wet.append(mixer.process([block], None, BLOCK))
        if mixer is None or both:
            dry.append(filt(block) if filt is not None else block)
    out = [np.concatenate(x, axis=1) for x in (dry, wet) if x]
    out = [a.mean(axis=0, keepdims=True) if channels == 1 else a for a in out]
    for a in out:
        a.flags.writeable = False  # shared between measurements: none may change it
    result = tuple(out) if both else out[0]
    if memo_key is not None:
        shared[memo_key] = result
    return result


@contextmanager
def shared_renders() -> Iterator[None]:
    """Within the block, a calibration render serves every measurement that asks for it.

    Why: planning a scene of events measures each event's take for its level and again
    with the other events and the floor, for the scene's level (:func:`events_scene_makeup`),
    each the same seconds of the same model through the same room; on a new seed that
    multiplied the first render's wait. The
    renders are kept only for the block (one plan), so a long-lived daemon holds none.
    """
    outer = getattr(_renders, "memo", None)
    if outer is None:
        _renders.memo = {}
    try:
        yield
    finally:
        if outer is None:
            _renders.memo = None


def _audible_loudness(audio: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness, or None for a layer too quiet to calibrate (it is left at unit gain)."""
    level = integrated_loudness(audio, sample_rate)
    return level if math.isfinite(level) and level > -70.0 else None


def seed_matters(model: str, measurement: str) -> bool:
    """Whether a measurement of a layer must be made on the render's own seed.

    Why: a seed changes what some models are, not just which noise they play. A piece of music
    is composed per seed (everything about it differs); a steady-tone bed (room tone, HVAC, a
    buzz) draws its hum frequencies per seed, and a room's response at one frequency is a draw
    from its modes ("room" measurements); a one-shot effect is a different take per seed, with
    its own peaks ("limiter"). A noise bed is the same sound at every seed: measured once, so a
    batch fill's many seeds do not each pay for it.
    """
    cls = REGISTRY[model]
    if cls.category == "music":
        return True
    if measurement == "room":
        return bool(getattr(cls, "steady_tones", False))
    if measurement == "limiter":
        return bool(cls.one_shot)
    raise ValueError(f"unknown measurement {measurement!r}")


def _load(again: bool = False) -> None:
    """Read the calibration file into memory: once per path, and ``again`` only when another
    process has rewritten it since (its modification time moved)."""
    global _loaded_from, _loaded_mtime
    path = _cache_file()
    if _loaded_from == path and not again:
        return
    mtime = _mtime(path)
    if _loaded_from == path and mtime == _loaded_mtime:
        return
    _loaded_from, _loaded_mtime = path, mtime
    try:
        _remember(json.loads(read_regular(path)))
    except (OSError, ValueError):
        pass


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _remember(data) -> None:
    """Keep the file's entries in memory (never over a value this process already holds)."""
    if isinstance(data, dict):
        for k, v in data.items():
            # a level, an offset or a make-up in dB: a damaged or hand-edited file's NaN,
            # infinity or 1e300 is measured again, never played
            if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                             and abs(v) < 1000.0):
                _memory.setdefault(k, v)


def _save(new: dict[str, float | None]) -> None:
    """Add ``new`` entries to the file (another process may have added its own meanwhile)."""
    global _loaded_from, _loaded_mtime
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            merged = json.loads(read_regular(path))
            if not isinstance(merged, dict):
                merged = {}
        except (OSError, ValueError):
            merged = {}
        for k in new:
            merged.pop(k, None)  # re-measured: it moves to the newest end
        merged.update(new)
        for stale in list(merged)[:max(0, len(merged) - MAX_ENTRIES)]:
            del merged[stale]  # the oldest first: a batch fill adds a few per-seed entries per marker
        fd, tmp = tempfile.mkstemp(prefix=".calibration.", dir=path.parent)
        with os.fdopen(fd, "w") as fh:
            json.dump(merged, fh)
        os.replace(tmp, path)
        _remember(merged)  # what other processes added is known now: no need to read it again
        _loaded_from, _loaded_mtime = path, _mtime(path)
    except OSError:
        pass  # a read-only home only costs time, never correctness


def _cached(key: str, measure) -> float | None:
    with _lock:
        _load()
        if key not in _memory:
            _load(again=True)  # another worker may have measured it since this process last read
        if key in _memory:
            return _memory[key]
    value = measure()
    with _lock:
        _memory[key] = value
        _save({key: value})
    return value


def events_window(times: list[float]) -> tuple[float, float]:
    """The reference clip (start, end; seconds from the stream start) an event scene's level is
    set for: from ``REFERENCE_LEAD_S`` before its first event (or the stream start) to
    ``REFERENCE_WINDOW_S - REFERENCE_LEAD_S`` after its last, and at least ``REFERENCE_WINDOW_S``
    long (a typical effect clip: the quiet around an event counts in BS.1770's gate, so no gain
    is right for every length; the window keeps it a pure function of the spec)."""
    first, last = min(times), max(times)
    start = max(0.0, first - REFERENCE_LEAD_S)
    return start, max(start + REFERENCE_WINDOW_S, last + REFERENCE_WINDOW_S - REFERENCE_LEAD_S)


def _limited(audio: np.ndarray, gain_db: float, sample_rate: int, ceiling_dbtp: float) -> np.ndarray:
    """``audio`` at ``gain_db`` through the engine's true-peak limiter, latency removed."""
    from .limiter import TruePeakLimiter

    limiter = TruePeakLimiter(sample_rate, audio.shape[0], ceiling_dbtp)
    x = np.concatenate([audio * 10 ** (gain_db / 20), np.zeros((audio.shape[0], limiter.latency))], axis=1)
    return np.concatenate([limiter(x[:, i:i + BLOCK]) for i in range(0, x.shape[1], BLOCK)],
                          axis=1)[:, limiter.latency:]


def events_scene_makeup(layers: list[LayerSpec], gains_db: list[float],
                        takes: list[tuple[int, int, float] | None], seed: int, sample_rate: int,
                        channels: int, room: str, target: float, ceiling_dbtp: float,
                        bed_master_db: float | None = None,
                        counted: list[tuple[float, ...] | None] | None = None) -> float:
    """The master gain (dB) that brings a scene with timed events onto its loudness target.

    Why together: each event layer is calibrated on its own take, and a scene's integrated
    loudness is not the loudest take's. BS.1770's relative gate sits 10 LU under the mean of
    every block above -70 LUFS, so a slam 11 dB over a phone ring gates the ring's quieter
    blocks out and lets the slam's room tail in, a knock's tail counts once room tone is under
    it, and the true-peak limiter takes back what only the loudest take's peaks reach: no sum
    of per-layer figures gets all three right. So the scene is played as the render will play
    it, every layer at its planned gain (``gains_db``: each event layer's first event on its own
    take, ``takes[i]``, as :func:`one_shot_take` gives it; the other layers, ``None``, on the
    render's seed) through one mixer in the scene's room and the engine's limiter, over the
    reference clip of :func:`events_window`, and the master gain is raised or lowered until the
    limited clip's integrated loudness is its goal (a few rounds settle the limiter).

    The goal: ``target`` for a scene of events over the fallback floor; for events on a bed
    (``bed_master_db``: the master that puts the beds alone on the target over the long run),
    what the beds alone measure over the same clip at that master. So the events' share of a
    clip's loudness is taken out of the master (a slam in an 8 s clip of rain adds up to 1.3 LU)
    while the bed's own swells over those seconds (a breaking wave) are not. Each event layer
    plays the events ``counted[i]`` (:func:`counted_times`; its first alone when None), and the
    window comes from the spec, so the gain is still a pure function of the spec.
    """
    counted = counted or [None] * len(layers)
    start, end = events_window([time for take, times in zip(takes, counted) if take is not None
                                for time in (times or (take[2],))])
    key = json.dumps(["events-scene",
                      # a layer of one event keeps the key it had before repeats were counted
                      [[_key(layer, sample_rate, channels, room, take), round(g, 2)]
                       + ([[round(t, 6) for t in times]] if times and len(times) > 1 else [])
                       for layer, g, take, times in zip(layers, gains_db, takes, counted)],
                      int(seed), round(target, 2), ceiling_dbtp, round(start, 6), round(end, 6),
                      None if bed_master_db is None else round(bed_master_db, 2)])

    def measure() -> float:
        # the mixer is linear without dialogue: the scene is the sum of its layers, each played
        # through a one-layer mixer in the room (an effect on the very render its level was read on)
        n = int(end * sample_rate)
        mix, bed = None, None
        for index, (layer, gain_db, take, times) in enumerate(zip(layers, gains_db, takes, counted)):
            if take is not None and REGISTRY[layer.model].one_shot:
                audio = _play(layer, sample_rate, channels, room, take, times=times)
            else:
                audio = _play(layer, sample_rate, channels, room, take, seconds=end, seed_index=(seed, index),
                              times=times)
            part = np.zeros((audio.shape[0], n))
            part[:, :min(n, audio.shape[1])] = audio[:, :n] * 10 ** (gain_db / 20)
            mix = part if mix is None else mix + part
            if take is None:  # a bed
                bed = part if bed is None else bed + part
        a = int(start * sample_rate)
        audio = mix[:, a:]
        goal = target
        if bed_master_db is not None:
            goal = integrated_loudness(_limited(bed[:, a:], bed_master_db, sample_rate, ceiling_dbtp), sample_rate)
        level = integrated_loudness(audio, sample_rate)
        if not (math.isfinite(level) and math.isfinite(goal)):
            return 0.0 if bed_master_db is None else bed_master_db
        makeup = goal - level
        for _ in range(6):
            short = goal - integrated_loudness(_limited(audio, makeup, sample_rate, ceiling_dbtp), sample_rate)
            if abs(short) < 0.05:
                break
            makeup += short
        return makeup

    return float(_cached(key, measure) or 0.0)


def piece_loudness(layer: LayerSpec, sample_rate: int, channels: int, seed_index: tuple[int, int]) -> float | None:
    """Long-term loudness of the piece of music the render's seed composes (no ending).

    Why not the fixed seed: a music model composes per seed (tempo, voicing, how often the
    melody plays), so two seeds are two pieces, 1.5 LU apart at the same mood; the fixed
    seed's level is only right for its own piece. Still length-independent: the piece's
    open-ended form over ``CALIBRATION_SECONDS``, whatever the render's length.
    """
    key = json.dumps(["piece", _key(layer, sample_rate, channels), [int(seed_index[0]), int(seed_index[1])]])

    return _cached(key, lambda: _audible_loudness(_play(layer, sample_rate, channels, seed_index=seed_index),
                                                  sample_rate))


def room_excess(layer: LayerSpec, sample_rate: int, channels: int, room: str,
                seed_index: tuple[int, int]) -> float:
    """How much louder (LU) a bed comes out of the mixer and room than through its distance filter.

    Why per seed: a steady tone meets the room's response at one frequency, and a room's
    response there is a draw from its modes, several dB either way; a noise meets its average.
    A room tone whose hum frequency is drawn per seed comes out of the "room" room anywhere
    from 0.3 to 1.8 dB under its dry level, seed by seed. So the excess is measured on the
    render's own seed and layer over ``ROOM_EXCESS_S`` (a ratio of two measurements of the same
    audio: the slow swells of a bed cancel out, a short window suffices), while the bed's
    long-term dry level still comes from the fixed-seed calibration.
    """
    key = json.dumps(["room-excess", _key(layer, sample_rate, channels, room),
                      [int(seed_index[0]), int(seed_index[1])], ROOM_EXCESS_S])

    def measure() -> float:
        dry, wet = _play(layer, sample_rate, channels, room, seconds=ROOM_EXCESS_S,
                         seed_index=seed_index, both=True)
        a, b = integrated_loudness(dry, sample_rate), integrated_loudness(wet, sample_rate)
        return b - a if math.isfinite(a) and math.isfinite(b) else 0.0

    return float(_cached(key, measure) or 0.0)


def limiter_makeup(layer: LayerSpec, sample_rate: int, channels: int, room: str, gain_db: float,
                   ceiling_dbtp: float, take: tuple[int, int, float] | None = None,
                   seed_index: tuple[int, int] | None = None) -> float:
    """The gain (dB, >= 0) that brings a layer played at ``gain_db`` back to its level after
    the output's true-peak limiter has taken its peaks.

    Why: footsteps, typing and a crackling fire have peaks 22-25 dB over their loudness; at
    -23 LUFS those peaks pass the -1.5 dBTP ceiling and the limiter takes 1-2 LU away, as a
    mastering engineer's limiter would, and as they would, we add it back as make-up gain
    (the limiter then works a little harder; a few rounds settle it). Measured on the layer
    that sets the scene's level alone (its own take, ``LIMITER_WINDOW_S``), with the engine's
    own limiter, so it is a pure function of the spec, like every other gain. ``seed_index`` (the
    render's seed and the layer's index) is used where the seed matters (:func:`seed_matters`).
    """
    from .limiter import TruePeakLimiter

    cls = REGISTRY[layer.model]
    if seed_index is not None and not seed_matters(layer.model, "limiter"):
        seed_index = None  # a bed's crest is the model's, whatever the seed
    seconds = None if cls.one_shot else LIMITER_WINDOW_S
    key = json.dumps(["limiter", _key(layer, sample_rate, channels, room, take),
                      list(seed_index) if seed_index else None, round(gain_db, 2), ceiling_dbtp,
                      LIMITER_WINDOW_S])

    def measure() -> float:
        audio = _play(layer, sample_rate, channels, room, take, seconds=seconds, seed_index=seed_index)
        audio = audio * 10 ** (gain_db / 20)
        wanted = integrated_loudness(audio, sample_rate)
        if not math.isfinite(wanted):
            return 0.0
        if np.max(np.abs(audio)) * TruePeakLimiter(sample_rate, 1, ceiling_dbtp).bound <= 10 ** (ceiling_dbtp / 20):
            return 0.0  # no interpolated peak can reach the ceiling: the limiter never acts
        makeup = 0.0
        for _ in range(4):
            short = wanted - integrated_loudness(_limited(audio, makeup, sample_rate, ceiling_dbtp), sample_rate)
            if short < 0.05:
                break
            makeup += short
        return max(0.0, makeup)

    return float(_cached(key, measure) or 0.0)


def clip_loudness(layer: LayerSpec, sample_rate: int, channels: int, room: str, seed_index: tuple[int, int],
                  seconds: float, start: float = 0.0) -> float | None:
    """Loudness of a sparse bed's own clip: the first ``seconds`` of the editor's range, on the
    render's own seed, through the scene's mixer and room.

    Why: a bed made of a few sounds a minute (breakers 6-9 s apart, a lake's laps in groups, a
    walk or a door across a church) has no short-term level to speak of: any 8 s of it is 1-3
    LU off its long-run loudness, so a clip levelled on the long run misses the
    editor's target by that much. Such a model sets ``clip_level_s`` (a typical clip's length),
    and its level is read off the clip the editor hears. Still a pure function of the spec
    (seed, layer, handles), never of the render's length, so a longer render starts with the
    shorter one's samples; a render much longer than the clip drifts around the target by the
    same 1-3 LU instead.
    """
    key = json.dumps(["clip", _key(layer, sample_rate, channels, room), [int(seed_index[0]), int(seed_index[1])],
                      round(seconds, 3), round(start, 6)])

    def measure() -> float | None:
        audio = _play(layer, sample_rate, channels, room, seconds=start + seconds, seed_index=seed_index)
        return _audible_loudness(audio[:, int(round(start * sample_rate)):], sample_rate)

    return _cached(key, measure)


def layer_loudness(layer: LayerSpec, sample_rate: int, channels: int, room: str | None = None,
                   take: tuple[int, int, float] | None = None,
                   seed_index: tuple[int, int] | None = None, clip_start: float = 0.0) -> float | None:
    """Long-term integrated loudness (LUFS) of a layer at unit gain; None if it is silent.

    With ``room``, as it leaves the scene's mixer in that room (dry and reverb); without,
    through its distance filter only. ``take`` (from :func:`one_shot_take`) picks a one-shot
    layer's own event; ``seed_index`` (the render's seed and the layer's index) is where a
    bed's room response is measured (:func:`room_excess`), and where a sparse bed's clip is
    (:func:`clip_loudness`, from ``clip_start`` seconds: the handles and loop lead before the
    editor's range).
    """
    cls = REGISTRY[layer.model]
    clip = getattr(cls, "clip_level_s", None)
    if room is not None and take is None and not cls.one_shot and clip and seed_index is not None:
        return clip_loudness(layer, sample_rate, channels, room, seed_index, float(clip), clip_start)
    if room is not None and take is None and not cls.one_shot:
        base = (piece_loudness(layer, sample_rate, channels, seed_index)
                if cls.category == "music" and seed_index is not None else layer_loudness(layer, sample_rate, channels))
        if base is None:
            return None
        per_seed = seed_index is not None and seed_matters(layer.model, "room")
        return base + room_excess(layer, sample_rate, channels, room, seed_index if per_seed else (CALIBRATION_SEED, 0))
    return _cached(_key(layer, sample_rate, channels, room, take),
                   lambda: _audible_loudness(_play(layer, sample_rate, channels, room, take), sample_rate))
