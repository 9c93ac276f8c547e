"""The contract every procedural sound model follows, and the streaming helpers they share.

Why blocks: the engine renders in fixed blocks of ``BLOCK`` samples that start at
absolute positions (block k covers samples [k*BLOCK, (k+1)*BLOCK)). Each block gets
a random generator derived only from (seed, layer, block index), and all state a
model carries between blocks (filter memories, events ringing into the next
block, slow modulators) evolves causally. So a 12 s render and a 10 s render of
the same scene are identical for their first 10 s, and a render of any length
uses bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scenefill.engine import fft as sp_fft
from scenefill.engine import array_cache
from scenefill.engine import dsp as signal

#: Samples per render block. Fixed for all sample rates: changing it changes output.
BLOCK = 32768


def block_rng(seed: int, layer: int, block_index: int, salt: int = 0) -> np.random.Generator:
    """Independent, reproducible random stream for one block of one layer."""
    return np.random.default_rng([seed & 0xFFFFFFFFFFFFFFFF, layer, block_index, salt])


def layer_rng(seed: int, layer: int, salt: int = 0) -> np.random.Generator:
    """Random stream for per-layer constants chosen once (pitch, tempo, key...)."""
    return np.random.default_rng([seed & 0xFFFFFFFFFFFFFFFF, layer, 2**31 - 1, salt])


@dataclass
class ModelParams:
    """What the spec tells a model: how strong and how far, plus free-form options."""

    intensity: float = 0.5  # 0 = barely there, 1 = as strong as it gets
    distance: float = 0.3   # 0 = at the microphone, 1 = far away (mixer adds the cues)
    options: dict = field(default_factory=dict)


class SoundModel:
    """Base class of a procedural sound model.

    Subclasses set the class attributes and implement :meth:`render_block`, which
    returns a float64 array shaped (2, n) for the next ``n`` samples (n == BLOCK
    except possibly in analysis calls). Output level does not matter much: the
    engine calibrates every layer to its spec level, but keep peaks under 1.0 and
    keep the level independent of the block index (no fade-ins at block 0
    beyond a few ms).
    """

    name: ClassVar[str] = ""
    category: ClassVar[str] = "ambience"  # "ambience" | "sfx" | "music"
    #: words and phrases that select this model in a note (lower case)
    keywords: ClassVar[tuple[str, ...]] = ()
    #: level relative to the scene's main bed, dB (music beds sit lower, sfx higher)
    default_level_db: ClassVar[float] = 0.0
    #: (option, value, dB) added to ``default_level_db`` when a layer plays that option: one model's
    #: sounds differ in loudness (a slam is far louder than a knock on the same door), while each
    #: take is calibrated to the layer's level, so the difference must be stated here
    option_level_db: ClassVar[tuple[tuple[str, object, float], ...]] = ()
    #: one line an editor reads in ``scenefill parse``
    description: ClassVar[str] = ""
    #: True for beds that read as "outdoors" (sets the shared room to outdoor)
    outdoor: ClassVar[bool | None] = None
    #: names of more general models this one stands in for when both match one phrase
    #: ("rain on a tent" hits rain's "rain" and rain_tent's "rain+tent": rain_tent alone plays).
    #: A keyword "a+b" matches a phrase holding every one of the words, in any order.
    supersedes: ClassVar[tuple[str, ...]] = ()
    #: words in the same phrase of a note that set an option: word -> (option, value),
    #: e.g. {"tin": ("surface", "tin")}; the parser passes them in ``params.options``
    option_words: ClassVar[dict[str, tuple[str, object]]] = {}
    #: True for one-shot effects: the model renders its event(s) then silence, and
    #: ``params.options["times"]`` (seconds, list) places them when the note gives times
    one_shot: ClassVar[bool] = False
    #: between its sounds it is digital silence (ticks, keystrokes, drips, passers-by): a note of
    #: it alone gets the room's floor under it, as a scene with no bed does
    needs_floor: ClassVar[bool] = False
    #: True for beds made of steady tones (mains hum, fan blade-pass lines, a drone): such a
    #: tone meets the shared room's response at its own frequency, a draw from the room's modes,
    #: so its level through the room is measured on the render's own seed; a noise bed meets the
    #: room's average, measured once on the calibration seed (engine/calibration.py room_excess)
    steady_tones: ClassVar[bool] = False

    def __init__(self, sample_rate: int, seed: int, layer: int, params: ModelParams) -> None:
        self.sr = sample_rate
        self.seed = seed
        self.layer = layer
        self.params = params
        self.block_index = 0
        self.setup(layer_rng(seed, layer))

    def setup(self, rng: np.random.Generator) -> None:
        """Choose per-layer constants and build filters. Called once."""

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def next_block(self, n: int = BLOCK) -> np.ndarray:
        """Render the next block with its own derived random stream."""
        out = self.render_block(block_rng(self.seed, self.layer, self.block_index), n)
        self.block_index += 1
        return out


try:  # the compiled kernel behind scipy.signal.sosfilt: skips ~40 us of argument checks per call
    _sosfilt_raw = signal._kernel("_sosfilt")._sosfilt
except Exception:  # pragma: no cover - other scipy layouts fall back to the public function
    _sosfilt_raw = None


class StatefulFilter:
    """A second-order-sections filter that keeps its memory across blocks.

    ``dtype`` sets the working precision (float64 by default; float32 halves the
    memory traffic and is plenty for noise). Input of any float dtype is accepted
    and converted; the output has the filter's dtype.
    """

    def __init__(self, sos: np.ndarray, channels: int = 2, dtype=np.float64) -> None:
        self.dtype = np.dtype(dtype)
        self.sos = np.ascontiguousarray(np.asarray(sos, dtype=self.dtype))
        # kept as (channels, sections, 2), the layout of the compiled kernel
        self._zi = np.zeros((channels, self.sos.shape[0], 2), dtype=self.dtype)

    @property
    def zi(self) -> np.ndarray:
        """Filter memory in scipy's (sections, channels, 2) layout."""
        return self._zi.transpose(1, 0, 2)

    @zi.setter
    def zi(self, value: np.ndarray) -> None:
        self._zi = np.ascontiguousarray(np.asarray(value, dtype=self.dtype).transpose(1, 0, 2))

    def __call__(self, x: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """The next block filtered. ``overwrite``: the caller is done with ``x``, so when it is
        already in the filter's dtype and layout it is filtered where it lies (no copy)."""
        if overwrite and x.dtype == self.dtype and x.flags.c_contiguous and x.flags.writeable:
            y = x
        else:
            y = np.array(x, dtype=self.dtype, order="C")  # filtered in place
        if _sosfilt_raw is not None and y.ndim == 2 and y.shape[0] == self._zi.shape[0]:
            _sosfilt_raw(self.sos, y, self._zi)
            return y
        y, zi = signal.sosfilt(self.sos, y, axis=-1, zi=self.zi)
        self.zi = zi
        return y


_BUTTER: dict[tuple, np.ndarray] = {}


def butter(kind: str, freq, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth SOS with frequencies clipped below Nyquist (safe at 44.1 kHz).

    Designs are cached (scipy takes a few hundred microseconds per design); a fresh copy is returned.
    """
    nyq = sr / 2
    f = np.clip(np.atleast_1d(np.asarray(freq, dtype=float)), 1.0, nyq * 0.95)
    key = (kind, tuple(f.tolist()), float(sr), int(order))
    sos = _BUTTER.get(key)
    if sos is None:
        wn = f[0] if f.size == 1 else f
        sos = signal.butter(order, wn, btype=kind, fs=sr, output="sos")
        if len(_BUTTER) > 4096:
            _BUTTER.clear()
        _BUTTER[key] = sos
    return sos.copy()


class EventBus:
    """Mixes one-shot events into consecutive blocks, carrying their tails forward.

    Models call :meth:`add` with an event's start offset relative to the start
    of the current block; whatever does not fit rings on into later blocks.
    """

    def __init__(self, channels: int = 2) -> None:
        self.channels = channels
        self.pending = np.zeros((channels, 0))

    def begin(self, n: int) -> np.ndarray:
        """Start a block of n samples: returns a buffer holding carried-over tails."""
        buf = np.zeros((self.channels, n))
        take = min(n, self.pending.shape[1])
        buf[:, :take] = self.pending[:, :take]
        self.pending = self.pending[:, take:]
        self._buf = buf
        return buf

    def add(self, start: int, event: np.ndarray) -> None:
        """Add an event (shape (channels, m) or (m,)) at ``start`` samples into this block."""
        if event.ndim == 1:
            event = np.vstack([event] * self.channels)
        n = self._buf.shape[1]
        end = start + event.shape[1]
        inside = min(end, n) - start
        if inside > 0:
            self._buf[:, start:start + inside] += event[:, :inside]
        rest = event[:, max(inside, 0):]
        if rest.shape[1]:
            offset = max(start - n, 0)
            need = offset + rest.shape[1]
            if self.pending.shape[1] < need:
                self.pending = np.pad(self.pending, ((0, 0), (0, need - self.pending.shape[1])))
            self.pending[:, offset:offset + rest.shape[1]] += rest


def poisson_onsets(rng: np.random.Generator, rate_hz: float, n: int, sr: int) -> np.ndarray:
    """Event start offsets within a block for a Poisson process of ``rate_hz``."""
    count = rng.poisson(rate_hz * n / sr)
    return np.sort(rng.integers(0, n, size=count))


def pan_gains(pan: float) -> np.ndarray:
    """Equal-power stereo gains for pan in [-1, 1], shaped (2, 1); unity per side at centre."""
    theta = (np.clip(pan, -1, 1) + 1) * np.pi / 4
    return np.array([[np.cos(theta)], [np.sin(theta)]]) * np.sqrt(2)


def smooth_noise(rng: np.random.Generator, n: int, sr: int, rate_hz: float,
                 state: list[float]) -> np.ndarray:
    """Slow random modulation (0..1) continuous across blocks; ``state`` holds [last value]."""
    steps = max(2, int(np.ceil(n * rate_hz / sr)) + 1)
    knots = np.concatenate([[state[0]], rng.random(steps - 1)])
    x = np.linspace(0, steps - 1, n, endpoint=False)
    curve = np.interp(x, np.arange(steps), knots)
    state[0] = float(knots[-1])  # the next block starts where this one was heading
    return curve


class KernelBank:
    """Sum of several impulse trains, each convolved with its own kernel, streamed.

    Dense events (rain drops, crackles, footsteps on gravel) are rendered as sparse
    impulse trains convolved with a few prototype kernels: per block, one forward
    FFT per train and a single inverse FFT, instead of one Python call per event.
    The convolution tail rings on into the next block.
    """

    def __init__(self, kernels: list[np.ndarray], block: int = BLOCK, channels: int = 2) -> None:
        longest = max(len(k) for k in kernels)
        self.block = block
        self.nfft = sp_fft.next_fast_len(block + longest - 1, real=True)
        self.spectra = [sp_fft.rfft(np.asarray(k, dtype=np.float64), self.nfft) for k in kernels]
        self.tail = np.zeros((channels, longest - 1))

    def __call__(self, trains: list[np.ndarray]) -> np.ndarray:
        n = trains[0].shape[1]
        if n > self.block:
            raise ValueError("KernelBank blocks must not exceed the block size it was built for")
        acc = None
        for train, spec in zip(trains, self.spectra):
            if not train.any():
                continue
            term = sp_fft.rfft(train, self.nfft, axis=-1) * spec
            acc = term if acc is None else acc + term
        channels = trains[0].shape[0]
        y = np.zeros((channels, n + self.tail.shape[1])) if acc is None else \
            sp_fft.irfft(acc, self.nfft, axis=-1)[:, : n + self.tail.shape[1]]
        k = self.tail.shape[1]
        y[:, :k] += self.tail
        self.tail = y[:, n:n + k].copy()
        return y[:, :n]


_NOISE_TABLE: np.ndarray | None = None
_NOISE_TABLE32: np.ndarray | None = None
_NOISE_LEN = 1 << 21  # 43 s at 48 kHz: long enough that reuse is inaudible once filtered


def _noise_table(dtype) -> np.ndarray:
    global _NOISE_TABLE, _NOISE_TABLE32
    if _NOISE_TABLE is None:  # the same numbers every time: computed once per machine, then read back
        _NOISE_TABLE, _ = array_cache.cached("white", [0x5CE2EF11, _NOISE_LEN + BLOCK * 2], lambda: (
            np.random.default_rng(0x5CE2EF11).standard_normal(_NOISE_LEN + BLOCK * 2), {}))
    if np.dtype(dtype) == np.float32:
        if _NOISE_TABLE32 is None:
            _NOISE_TABLE32 = _NOISE_TABLE.astype(np.float32)
        return _NOISE_TABLE32
    return _NOISE_TABLE


def noise(rng: np.random.Generator, channels: int, n: int, dtype=np.float64) -> np.ndarray:
    """White Gaussian noise, fast: windows of a shared table at random offsets.

    Drawing fresh Gaussian samples costs about as much as everything else in a
    layer; reading a long fixed table at offsets chosen by the block's random
    stream is deterministic, decorrelated between channels and blocks, and free.
    ``dtype=np.float32`` reads a float32 copy of the same table (same offsets).
    """
    table = _noise_table(dtype)
    out = np.empty((channels, n), dtype=table.dtype)
    for c in range(channels):
        off = int(rng.integers(0, _NOISE_LEN))
        out[c] = table[off:off + n] if n <= BLOCK * 2 else \
            np.resize(table[off:], n)
    return out


def impulse_train(rng: np.random.Generator, rate_hz: float, n: int, sr: int,
                  channels: int = 2, dtype=np.float64, out: np.ndarray | None = None) -> np.ndarray:
    """Sparse random impulses (Poisson onsets, random amplitude and stereo position).

    ``out`` (channels, m >= n), if given, receives the train (zero beyond the first n samples).
    """
    if out is None:
        out = np.empty((channels, n), dtype=dtype)
    size = out.shape[1]
    onsets = poisson_onsets(rng, rate_hz, n, sr)
    if not onsets.size:
        out[...] = 0.0
        return out
    amp = rng.uniform(0.05, 1.0, onsets.size) ** 2
    if channels == 2:
        p = rng.uniform(0, 1, onsets.size)
        out[0] = np.bincount(onsets, amp * np.sqrt(1 - p), minlength=size)
        out[1] = np.bincount(onsets, amp * np.sqrt(p), minlength=size)
    else:
        out[1:] = 0.0
        out[0] = np.bincount(onsets, amp, minlength=size)
    return out


class Timeline:
    """Mixin: the absolute sample position of the block being rendered.

    Models that place events on a musical or rhythmic grid (piano notes, footsteps,
    phone rings) compute them from the absolute position, so any block can be
    rendered knowing only its index. ``next_block`` advances ``block_index``, so the
    clock snaps to the block grid; repeated ``render_block`` calls (tests, analysis)
    continue where the last one ended.
    """

    def _clock_reset(self) -> None:
        self._clock = 0
        self._clock_block = 0

    def _block_start(self, n: int) -> int:
        if self.block_index != self._clock_block:
            self._clock_block = self.block_index
            self._clock = self.block_index * BLOCK
        start = self._clock
        self._clock += n
        return start
