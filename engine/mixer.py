"""The scene mixer: layers and dialogue into one coherent, streaming stereo mix.

Per block: each layer gets its calibrated gain, a distance cue (level already in
the spec; here air absorption and more room), and a send into the one shared
room; music and ambience duck under dialogue through a side-chain envelope.
All state (filters, reverb tail, envelope) is carried causally between blocks.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal
from scipy.ndimage import maximum_filter1d

from .calibration import distance_filter
from .models.base import pan_gains
from .room import Room
from .scene import ROOMS, LayerSpec

DUCK_DB = {"music": 10.0, "ambience": 6.0, "sfx": 2.0}
_DUCK_HOLD_S = 0.08
_DUCK_SMOOTH_S = 0.15
_DUCK_THRESHOLD = 0.02  # speech envelope (linear, after gain) at which ducking is full


def _send(wet: float, distance: float) -> float:
    """Room send: the further away, the more of a source is room."""
    return wet * (1.0 + 3.0 * distance)


def _dry(distance: float) -> float:
    return 1.0 - 0.4 * distance


class SceneMixer:
    """Streaming mixer. Layers that share a distance share one air-absorption filter and one
    room send; layers that share a category share one ducking multiply: the cost grows with
    the number of distinct distances, not with the number of layers."""

    def __init__(self, layers: list[LayerSpec], room: str, sample_rate: int,
                 layer_gains: list[float], speech_gain: float) -> None:
        self.sr = sample_rate
        self.layers = layers
        rt60, wet = ROOMS[room]
        self.room = Room(room, rt60, sample_rate)
        self.speech_gain = speech_gain
        # per layer: one (2, 1) gain that folds level and pan together
        self.layer_gain = [gain * (pan_gains(layer.pan) if layer.pan else np.ones((2, 1)))
                           for layer, gain in zip(layers, layer_gains)]
        self.distances = sorted({round(layer.distance, 3) for layer in layers})
        self.filters = {d: distance_filter(d, sample_rate) for d in self.distances}
        self.sends = {d: _send(wet, d) for d in self.distances}
        self.dry = {d: _dry(d) for d in self.distances}
        self.speech_send = wet * 0.8
        self.hold = max(1, int(_DUCK_HOLD_S * sample_rate))
        a = np.exp(-1.0 / (_DUCK_SMOOTH_S * sample_rate))
        self.env_b, self.env_a = [1 - a], [1, -a]
        self.env_zi = np.zeros(1)
        self.env_hist = np.zeros(self.hold)

    @staticmethod
    def power_factors(layers: list[LayerSpec], room: str) -> list[float]:
        """How much each layer's power is scaled on its way to the output (dry plus room).

        The room's send is mono and its response has unit energy per channel, so a
        decorrelated stereo source returns about half its send power as reverb.
        """
        wet = ROOMS[room][1]
        return [_dry(layer.distance) ** 2 + 0.5 * _send(wet, layer.distance) ** 2 for layer in layers]

    def _duck_envelope(self, speech: np.ndarray) -> np.ndarray:
        rect = np.concatenate([self.env_hist, np.abs(speech)])
        held = maximum_filter1d(rect, size=self.hold, origin=(self.hold - 1) // 2, mode="nearest")
        held = held[self.hold:]
        self.env_hist = rect[-self.hold:]
        env, self.env_zi = signal.lfilter(self.env_b, self.env_a, held, zi=self.env_zi)
        return np.clip(env / _DUCK_THRESHOLD, 0.0, 1.0)

    def process(self, layer_blocks: list[np.ndarray], speech: np.ndarray | None, n: int) -> np.ndarray:
        """Mix one block of n samples: (2, n) layer blocks and a mono speech block -> (2, n) stereo."""
        duck_amount = None
        if speech is not None:
            speech = speech * self.speech_gain
            if speech.any() or self.env_zi.any():
                duck_amount = self._duck_envelope(speech)
            else:
                self.env_hist[:] = 0.0
        groups: dict[tuple[float, str], np.ndarray] = {}
        for layer, gain, block in zip(self.layers, self.layer_gain, layer_blocks):
            key = (round(layer.distance, 3), layer.category)
            if key in groups:
                groups[key] += block * gain
            else:
                groups[key] = block * gain
        by_distance: dict[float, np.ndarray] = {}
        for (distance, category), x in groups.items():
            if duck_amount is not None and DUCK_DB.get(category, 0.0):
                x *= 10 ** (-DUCK_DB[category] * duck_amount / 20)
            if distance in by_distance:
                by_distance[distance] += x
            else:
                by_distance[distance] = x
        dry = np.zeros((2, n))
        send = np.zeros(n)
        for distance, x in by_distance.items():
            if self.filters[distance] is not None:
                x = self.filters[distance](x)
            dry += x * self.dry[distance]
            send += (x[0] + x[1]) * (0.5 * self.sends[distance])
        if speech is not None:
            dry += speech
            send += speech * self.speech_send
        return dry + self.room(send)
