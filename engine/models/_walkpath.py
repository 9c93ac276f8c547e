"""Where a walker's feet land: someone pacing across a room and back, step by step, in metres.

A walker is not a metronome at a fixed point. Crossing a room, they speed up over the
first two steps, walk at their cadence, slow over the last two, bring the trailing foot
beside the other, stand a moment while they turn, and walk back. The left and right legs
differ a few percent in stride time and in how hard they land. Each footfall has its place
on the floor, so the listener (a microphone a little above the floor, off to one side of
the path) hears each step at its own distance and direction: the direct sound falls as 1/r
and the step moves across the stereo image as the walker crosses in front.

Everything here is a pure function of the random generator it is given, so a model can
build the path once in ``setup`` and place any step of any block from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import os
PAUSE = tuple(float(v) for v in os.environ.get('WALK_PAUSE', '0.45,1.1').split(','))
#: how far off the floor the listener is (a boom or a camera microphone), metres
EAR_HEIGHT_M = 1.2


@dataclass(frozen=True)
class Pacing:
    """One round trip across the room and back, repeated: per step (M of them, M even)
    its time from the trip's start, its place along the path, the listener's distance and
    direction to it, how hard the foot comes down and which foot it is."""

    onset_s: np.ndarray      # (M,) seconds from the start of the round trip
    trip_s: float            # seconds one round trip takes, pauses included
    place_m: np.ndarray      # (M,) metres along the path
    distance_m: np.ndarray   # (M,) metres from the listener to the footfall
    azimuth: np.ndarray      # (M,) radians, 0 straight ahead, positive to the right
    weight: np.ndarray       # (M,) 0..1: a turn's closing step lands lighter than a stride
    foot: np.ndarray         # (M,) 0 left, 1 right
    length_m: float          # how far the walker goes before turning

    @property
    def steps(self) -> int:
        return int(self.onset_s.size)

    def level(self) -> np.ndarray:
        """Direct sound's gain per step, 1/r, 1.0 at the nearest footfall of the trip."""
        return self.distance_m.min() / self.distance_m

    def pan(self, width: float = 0.8) -> np.ndarray:
        """Stereo position per step in [-1, 1] (the sine of the azimuth, scaled by ``width``)."""
        return width * np.sin(self.azimuth)


def _leg_intervals(n: int, period: float) -> np.ndarray:
    """Times between the n strides of one crossing: getting going, cruising, slowing down.
    (The first stride's own time is the pause before it; this gives the n - 1 after it.)"""
    shape = np.ones(n - 1)
    ramp_up = (1.12, 1.04)
    ramp_down = (1.04, 1.10)
    for j, f in enumerate(ramp_up[: n - 1]):
        shape[j] = f
    for j, f in enumerate(ramp_down[: max(0, n - 1 - len(ramp_up))]):
        shape[-1 - j] = max(shape[-1 - j], f)
    return shape * period


def pace_room(rng: np.random.Generator, period: float) -> Pacing:
    """A walker pacing across a room at ``period`` seconds a step, and back.

    Stride 0.62-0.75 m, 6-9 strides a crossing; the path passes 0.8-2.0 m in front of the
    listener, who stands somewhere over its middle third; a stop of 0.45-1.1 s at each end.
    """
    stride = rng.uniform(0.62, 0.75)
    n = int(rng.integers(6, 10))
    length = n * stride
    ahead = rng.uniform(0.8, 2.0)
    ear_at = rng.uniform(length / 3, 2 * length / 3)
    if os.environ.get("WALK_END"):
        ahead = rng.uniform(0.3, 1.0)
        ear_at = -rng.uniform(0.3, 1.0)
    asym = rng.uniform(0.01, 0.03)           # one leg's stride a little longer in time
    heavy = rng.uniform(0.04, 0.1)           # and one foot landing a little harder
    onsets, places, weights = [], [], []
    t = 0.0
    for leg in range(2):
        t += rng.uniform(*PAUSE) + 0.5 * period   # standing, turning, then the first stride
        gaps = np.concatenate([[0.0], _leg_intervals(n, period)])
        for j in range(n):
            t += gaps[j]
            x = (j + 0.5) * stride
            places.append(x if leg == 0 else length - x)
            onsets.append(t)
            weights.append(0.85 if j == 0 else 1.0)   # the first stride off a standstill is lighter
        # the trailing foot comes up beside the other: a short, light step at the same place
        t += 0.75 * period
        places.append(places[-1])
        onsets.append(t)
        weights.append(0.55)
    onset = np.array(onsets)
    foot = np.arange(onset.size) % 2
    # stride-time asymmetry: steps onto one foot come a little late, onto the other a little early
    gaps = np.diff(onset, prepend=0.0) * (1 + asym * np.where(foot == 0, 1, -1))
    onset = np.cumsum(gaps)
    trip = float(onset[-1])   # the next trip starts from here: its first onset holds the stop
    place = np.array(places)
    across = place - ear_at
    distance = np.sqrt(ahead ** 2 + across ** 2 + EAR_HEIGHT_M ** 2)
    weight = np.array(weights) * np.where(foot == 0, 1 + heavy, 1 - heavy)
    return Pacing(onset_s=onset, trip_s=trip, place_m=place, distance_m=distance,
                  azimuth=np.arctan2(across, ahead), weight=weight, foot=foot, length_m=float(length))
