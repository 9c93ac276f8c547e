"""The scene mixer: layers and dialogue into one coherent, streaming stereo mix.

Per block: each layer gets its calibrated gain, a distance cue (level already in
the spec; here air absorption and more room), and a send into the one shared
room. Where a dialogue line plays, music and ambience make room for it in two
ways, as a dialogue mixer would: they duck (a broadband level dip) and they are
carved (a further dip in the 1-4 kHz band that carries consonants, a dynamic
EQ). Both follow a curve computed from where the lines are placed, not from the
voice signal, so the bed starts to dip just before a line begins (no clipped
first syllable), holds through the pauses inside a line, and the curve is a
pure function of the sample position: any block renders the same whatever
came before it, which keeps renders prefix-stable. All filter state and the
reverb tail are carried causally between blocks.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from .calibration import distance_filter
from .models.base import pan_gains
from .room import Room
from .rooms import ROOMS
from .scene import LayerSpec

#: broadband dip under a line, per category (dB)
DUCK_DB = {"music": 15.0, "ambience": 14.0, "sfx": 3.0}
#: further dip of the speech band (1-4 kHz) under a line, per category (dB)
CARVE_DB = {"music": 8.0, "ambience": 10.0}
#: the carve is two cascaded cuts whose skirts overlap, so the whole 1-4 kHz band dips
CARVE_CENTRES_HZ = (1300.0, 3000.0)
CARVE_Q = 0.9
DUCK_ATTACK_S = 0.12          # the bed is fully down when the line starts
DUCK_RELEASE_S = 0.35         # and comes back over this long after it ends


def duck_curve(spans: list[tuple[int, int]], start: int, n: int, attack: int, release: int) -> np.ndarray:
    """How far the bed is ducked (0..1) for samples [start, start + n), given line spans in samples.

    Raised-cosine ramps: down over ``attack`` samples before each line, up over
    ``release`` after it; overlapping ramps take the deeper dip. Pure: depends only
    on the positions, so any block can be computed alone.
    """
    out = np.zeros(n)
    t = np.arange(start, start + n)
    for a, b in spans:
        if b + release <= start or a - attack >= start + n:
            continue
        amount = np.zeros(n)
        inside = (t >= a) & (t < b)
        amount[inside] = 1.0
        if attack > 0:
            ramp = (t >= a - attack) & (t < a)
            amount[ramp] = np.sin(0.5 * np.pi * (t[ramp] - (a - attack)) / attack) ** 2
        if release > 0:
            ramp = (t >= b) & (t < b + release)
            amount[ramp] = np.cos(0.5 * np.pi * (t[ramp] - b) / release) ** 2
        np.maximum(out, amount, out=out)
    return out


def speech_band_sos(sample_rate: int, centre_hz: float) -> np.ndarray:
    """RBJ band-pass (0 dB at the centre) as one SOS section.

    Its complement (input minus band) is the matching notch, so ``x - g * band(x)``
    is a peaking cut whose depth follows g with no phase trouble: at g = 0 the bed
    passes untouched.
    """
    w0 = 2 * np.pi * centre_hz / sample_rate
    alpha = np.sin(w0) / (2 * CARVE_Q)
    b = np.array([alpha, 0.0, -alpha])
    a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
    return np.concatenate([b / a[0], a / a[0]])[None, :]


def _send(wet: float, distance: float, far: float = 3.0) -> float:
    """Room send: the further away, the more of a source is room."""
    return wet * (1.0 + far * distance)


def _dry(distance: float) -> float:
    return 1.0 - 0.4 * distance


class SceneMixer:
    """Streaming mixer. Layers that share a distance share one air-absorption filter and one
    room send; layers that share a category share one ducking multiply: the cost grows with
    the number of distinct distances, not with the number of layers."""

    def __init__(self, layers: list[LayerSpec], room: str, sample_rate: int,
                 layer_gains: list[float], speech_gain: float,
                 line_spans: list[tuple[int, int]] | None = None) -> None:
        self.sr = sample_rate
        self.layers = layers
        acoustics = ROOMS[room]
        wet = acoustics.wet
        self.room = Room(room, acoustics.rt60, sample_rate)
        self.speech_gain = speech_gain
        # per layer: one (2, 1) gain that folds level and pan together
        self.layer_gain = [gain * (pan_gains(layer.pan) if layer.pan else np.ones((2, 1)))
                           for layer, gain in zip(layers, layer_gains)]
        self.distances = sorted({round(layer.distance, 3) for layer in layers})
        self.filters = {d: distance_filter(d, sample_rate) for d in self.distances}
        self.sends = {d: _send(wet, d, acoustics.far_send) for d in self.distances}
        self.dry = {d: _dry(d) for d in self.distances}
        self.speech_send = wet * 0.8
        self.spans = sorted(line_spans or [])
        self.attack = int(DUCK_ATTACK_S * sample_rate)
        self.release = int(DUCK_RELEASE_S * sample_rate)
        self.pos = 0
        self.bands = [speech_band_sos(sample_rate, f) for f in CARVE_CENTRES_HZ]
        # band filter states (sections, channels, 2) per carved group and stage, only with lines
        self.carve = {(round(layer.distance, 3), layer.category): [np.zeros((1, 2, 2)) for _ in self.bands]
                      for layer in layers if layer.category in CARVE_DB} if self.spans else {}

    @staticmethod
    def power_factors(layers: list[LayerSpec], room: str) -> list[float]:
        """How much each layer's power is scaled on its way to the output (dry plus room).

        The room's send is mono and its response has unit energy per channel, so a
        decorrelated stereo source returns about half its send power as reverb.
        """
        acoustics = ROOMS[room]
        return [_dry(layer.distance) ** 2 + 0.5 * _send(acoustics.wet, layer.distance, acoustics.far_send) ** 2
                for layer in layers]

    def process(self, layer_blocks: list[np.ndarray], speech: np.ndarray | None, n: int) -> np.ndarray:
        """Mix one block of n samples: (2, n) layer blocks and a mono speech block -> (2, n) stereo."""
        duck_amount = None
        if self.spans:
            duck_amount = duck_curve(self.spans, self.pos, n, self.attack, self.release)
            if not duck_amount.any():
                duck_amount = None
        self.pos += n
        if speech is not None:
            speech = speech * self.speech_gain
        groups: dict[tuple[float, str], np.ndarray] = {}
        for layer, gain, block in zip(self.layers, self.layer_gain, layer_blocks):
            key = (round(layer.distance, 3), layer.category)
            if key in groups:
                groups[key] += block * gain
            else:
                groups[key] = block * gain
        by_distance: dict[float, np.ndarray] = {}
        for key, x in groups.items():
            distance, category = key
            if key in self.carve:  # the band filters run on every block so their state stays true
                depth = (1 - 10 ** (-CARVE_DB[category] / 20)) * (duck_amount if duck_amount is not None else 0.0)
                states = self.carve[key]
                for i, sos in enumerate(self.bands):
                    band, states[i] = signal.sosfilt(sos, x, axis=-1, zi=states[i])
                    if duck_amount is not None:
                        x = x - band * depth
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
                x = self.filters[distance](x, overwrite=True)  # the group's sum is the mixer's own
            dry += x * self.dry[distance]
            send += (x[0] + x[1]) * (0.5 * self.sends[distance])
        if speech is not None:
            dry += speech
            send += speech * self.speech_send
        dry += self.room(send)  # in place: the same sums as dry + wet, one array fewer
        return dry
