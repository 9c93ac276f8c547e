"""The scene mixer: layers and dialogue into one coherent, streaming stereo mix.

Per block: each layer gets its calibrated gain, a distance cue (level already in
the spec; here air absorption and more room), and a send into the one shared
room; music and ambience duck under dialogue through a side-chain envelope.
All state (filters, reverb tail, envelope) is carried causally between blocks.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.ndimage import maximum_filter1d

from .models.base import StatefulFilter, butter, pan_gains
from .room import Room
from .scene import ROOMS, LayerSpec

DUCK_DB = {"music": 10.0, "ambience": 6.0, "sfx": 2.0}
_DUCK_HOLD_S = 0.08
_DUCK_SMOOTH_S = 0.15
_DUCK_THRESHOLD = 0.02  # speech envelope (linear, after gain) at which ducking is full


def distance_cutoff(distance: float) -> float:
    """Air absorption: far sources lose their top end."""
    return float(18000.0 * (0.16 ** np.clip(distance, 0.0, 1.0)))


class SceneMixer:
    def __init__(self, layers: list[LayerSpec], room: str, sample_rate: int,
                 layer_gains: list[float], speech_gain: float) -> None:
        self.sr = sample_rate
        self.layers = layers
        rt60, wet = ROOMS[room]
        self.room = Room(room, rt60, sample_rate)
        self.gains = layer_gains
        self.speech_gain = speech_gain
        self.filters = [StatefulFilter(butter("lowpass", distance_cutoff(layer.distance), sample_rate, 2))
                        if layer.distance > 0.2 else None for layer in layers]
        self.pans = [pan_gains(layer.pan) for layer in layers]
        self.sends = [wet * (1.0 + 3.0 * layer.distance) for layer in layers]
        self.dry = [1.0 - 0.4 * layer.distance for layer in layers]
        self.speech_send = wet * 0.8
        self.hold = max(1, int(_DUCK_HOLD_S * sample_rate))
        a = np.exp(-1.0 / (_DUCK_SMOOTH_S * sample_rate))
        self.env_b, self.env_a = [1 - a], [1, -a]
        self.env_zi = np.zeros(1)
        self.env_hist = np.zeros(self.hold)

    def _duck_envelope(self, speech: np.ndarray) -> np.ndarray:
        rect = np.concatenate([self.env_hist, np.abs(speech)])
        held = maximum_filter1d(rect, size=self.hold, origin=(self.hold - 1) // 2, mode="nearest")
        held = held[self.hold:]
        self.env_hist = rect[-self.hold:]
        env, self.env_zi = signal.lfilter(self.env_b, self.env_a, held, zi=self.env_zi)
        return np.clip(env / _DUCK_THRESHOLD, 0.0, 1.0)

    def process(self, layer_blocks: list[np.ndarray], speech: np.ndarray | None, n: int) -> np.ndarray:
        """Mix one block of n samples: (2, n) layer blocks and a mono speech block -> (2, n) stereo."""
        dry = np.zeros((2, n))
        send = np.zeros((2, n))
        duck_amount = None
        if speech is not None:
            speech = speech * self.speech_gain
            if speech.any() or self.env_zi.any():
                duck_amount = self._duck_envelope(speech)
            else:
                self.env_hist[:] = 0.0
        for i, (layer, block) in enumerate(zip(self.layers, layer_blocks)):
            x = block * self.gains[i]
            if self.filters[i] is not None:
                x = self.filters[i](x)
            if layer.pan:
                x = x * self.pans[i]
            if duck_amount is not None:
                x = x * 10 ** (-DUCK_DB.get(layer.category, 0.0) * duck_amount / 20)
            dry += x * self.dry[i]
            send += x * self.sends[i]
        if speech is not None:
            dry += speech
            send += speech * self.speech_send
        return dry + self.room(send)
