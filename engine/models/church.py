"""An empty church or large stone hall: a quiet space whose tail makes it big.

An empty church has almost no noise of its own: stone walls keep the street
out but for a low rumble of traffic through them, and the air is still. What
tells the ear the space is huge is the reverberation (RT60 3-6 s in stone:
the shared room's ``church`` response) of the few small sounds that happen
far off in it: a footstep on flagstones, a pew creaking, a cough, a heavy
door closing, each dry and distant, left to the tail (Farnell, *Designing
Sound*, "acoustic spaces"; Kuttruff, *Room Acoustics*). So this model is
sparse distant events over a very quiet floor; the layer sits far from the
microphone, so the room's tail carries most of it.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import ColoredNoise, Control, Wander, pink_sos, to_output
from .base import EventBus, SoundModel, StatefulFilter, butter
from .beeps import _weighted_square


class ChurchInterior(SoundModel):
    name = "church_interior"
    category = "ambience"
    # (a bare "church" is a scene word: "a church bell tolls" is the bell, heard outside)
    keywords = ("empty church", "church interior", "inside a church", "in a church", "empty cathedral",
                "inside a cathedral", "empty chapel", "inside a chapel", "church nave", "cathedral nave",
                "large empty hall", "empty hall", "great hall", "crypt",
                "reverberant hall", "stone hall", "reverberant room tone", "reverberant room", "echoing hall",
                "large hall ambience", "hall ambience")
    #: "reverberant room tone" is a big space's tone: this, not the small-room floor
    supersedes = ("room_tone",)
    description = ("an empty church or stone hall: a very quiet floor with traffic rumbling through the walls "
                   "and far-off footsteps, a pew creak, a cough, a door, left to a long reverberant tail")
    outdoor = False
    #: far from the microphone: the room's long tail carries most of it
    default_distance = 1.0
    #: a few sounds a minute, each kind heard differently through the stone (a door's boom
    #: rings longest, a heel's click least): half a minute is one seed's handful of events, so
    #: the level is measured over enough of them to stand for any clip
    calibration_seconds = 120.0
    #: and a clip holds one or two of them: its level is read off the clip itself
    clip_level_s = 10.0
    option_words = {}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        # the floor: still air and traffic through the stone, all under ~250 Hz but a trace
        self.rumble = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("bandpass", (25, 250), sr, 2)]),
                                   fade=1024)
        self.air = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("bandpass", (200, 3000), sr, 1)]), fade=256)
        self.ctl = Control(sr)
        self.swell = Wander(rng, 0.08, self.ctl.rate)  # a bus or lorry passing outside, slowly
        self.up = self.ctl.upsampler(1)
        self.g_rumble = 0.0003 * (0.6 + 0.8 * i)
        self.g_air = 0.0001
        # far-off events: how many a minute, and their kinds' weights
        self.rate = (4 + 12 * i) / 60.0
        self.kinds = ("steps", "creak", "cough", "door")
        self.weights = np.array([0.4, 0.25, 0.2, 0.15])
        self.bus = EventBus()
        self.next = int(rng.uniform(0.2, 1.5) * sr)
        self.far_sos = butter("lowpass", 3500, sr, 2)
        self.far = StatefulFilter(self.far_sos)  # air absorption over 20-40 m

    # -- the events, dry ------------------------------------------------------------------

    def _steps(self, rng: np.random.Generator) -> np.ndarray:
        """A visitor or the verger walking slowly on flagstones: six to twenty-four steps at a
        stroll's 0.65-0.85 s, each a hard heel's clack and, a tenth of a second later, the
        sole coming down.

        A leather or hard-rubber heel on stone is a stiff contact of a millisecond or two: a
        click with its energy from ~500 Hz up, coloured by the heel block's own ring (a mode
        or two between 1 and 3 kHz, damped within ~10 ms) (Farnell, *Designing Sound*,
        "footsteps"). The massive floor gives back no low thud to a listener 20-40 m away (a
        steady 90-140 Hz thump every half second is a kick drum, and was heard as one). A
        slow walker's steps are regular to a few per cent; the two feet strike a little
        differently.
        """
        sr = self.sr
        count = int(rng.integers(6, 25))
        gap = rng.uniform(0.65, 0.85)
        k = int(0.05 * sr)
        t = np.arange(k) / sr
        # the heel block's ring: one broad resonance (Q ~2: rubber and leather damp it within
        # a few cycles), so the click is coloured, not pitched (a pitched one is a wood block)
        ring = butter("bandpass", rng.uniform(1100, 2600) * np.array([0.75, 1.33]), sr, 1)
        out = np.zeros(int((count * gap + 0.3) * sr))
        feet = rng.uniform(0.75, 1.0, 2)
        for s in range(count):
            at = max(0, int((s + rng.normal(0, 0.025)) * gap * sr))
            click = rng.standard_normal(k) * np.exp(-t / 0.0012)
            heel = 0.4 * click + signal.sosfilt(ring, click)
            sole = rng.standard_normal(k) * np.exp(-t / 0.004) * 0.3
            lag = int(rng.uniform(0.07, 0.12) * sr)
            step = np.zeros(k + lag)
            step[:k] += heel
            step[lag:lag + k] += sole
            step *= feet[s % 2] * rng.uniform(0.85, 1.0)
            out[at:at + step.size] += step[:out.size - at]
        return signal.sosfilt(butter("highpass", 300, sr, 2), out)

    def _creak(self, rng: np.random.Generator) -> np.ndarray:
        """A pew or floorboard: stick-slip friction, a train of pulses whose rate glides."""
        sr = self.sr
        dur = rng.uniform(0.3, 0.8)
        n = int(dur * sr)
        t = np.arange(n) / sr
        base = rng.uniform(60, 150)
        # stick-slip: each slip comes when the strain beats a friction that varies along the
        # grain, so the interval wanders by a third (an irregular creak, not a note)
        pulses = np.zeros(n)
        at = 0.0
        while True:
            rate = base * (1 + 0.6 * np.sin(np.pi * at / dur))
            at += rng.lognormal(0.0, 0.35) / rate
            if at >= dur:
                break
            pulses[int(at * sr)] = rng.uniform(0.5, 1.0)
        k = int(0.012 * sr)
        tk = np.arange(k) / sr
        # the board's first few bending modes (inharmonic), damped within a couple of ms as wood is
        body = sum(a * np.sin(2 * np.pi * f * tk) for f, a in
                   zip(rng.uniform(250, 500) * np.array([1.0, 2.76, 5.40]), (1.0, 0.7, 0.4)))
        body = body * np.exp(-tk / 0.002)
        y = np.convolve(pulses, body)[:n] * np.sin(np.pi * t / dur)
        return y * 0.5

    def _cough(self, rng: np.random.Generator) -> np.ndarray:
        """A cough: one or two bursts of breath noise through an open vocal tract."""
        sr = self.sr
        out = np.zeros(int(0.7 * sr))
        for b in range(int(rng.integers(1, 3))):
            n = int(rng.uniform(0.12, 0.2) * sr)
            t = np.arange(n) / sr
            env = (1 - np.exp(-t / 0.008)) * np.exp(-t / 0.05)
            burst = rng.standard_normal(n) * env
            burst = signal.sosfilt(butter("bandpass", (300, 2500), sr, 1), burst)
            at = int(b * rng.uniform(0.25, 0.35) * sr)
            out[at:at + n] += burst * 2.0
        return out

    def _door(self, rng: np.random.Generator) -> np.ndarray:
        """A heavy wooden door closing: a low boom of its panel and a latch's click."""
        sr = self.sr
        n = int(0.5 * sr)
        t = np.arange(n) / sr
        boom = np.sin(2 * np.pi * rng.uniform(55, 80) * t) * np.exp(-t / 0.09)
        boom += 0.5 * np.sin(2 * np.pi * rng.uniform(120, 180) * t) * np.exp(-t / 0.05)
        click = np.zeros(n)
        at = int(rng.uniform(0.0, 0.03) * sr)
        k = int(0.01 * sr)
        click[at:at + k] = rng.standard_normal(k) * np.exp(-np.arange(k) / (0.0015 * sr)) * 0.6
        return (boom + click) * 1.2

    def _momentary(self, y: np.ndarray) -> float:
        """The loudest 400 ms of an event, K-weighted mean square (BS.1770's momentary
        loudness): what the integrated loudness of a sparse bed is made of."""
        w = int(0.4 * self.sr)
        c = np.concatenate([[0.0], np.cumsum(_weighted_square(y, self.sr))])
        if c.size <= w:
            return float(c[-1] / w)
        return float(np.max(c[w:] - c[:-w]) / w)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        buf = self.bus.begin(n)
        while self.next < n:
            kind = self.kinds[int(rng.choice(len(self.kinds), p=self.weights))]
            y = getattr(self, f"_{kind}")(rng)
            # each event brought to one loudness as the meter hears it (its loudest 400 ms),
            # give or take 2 dB, and the gaps kept within a factor of two: any stretch of half
            # a minute holds the same loudness whatever the seed (the engine levels a layer
            # from one seed's render)
            # (measured as it leaves the model, through the far filter: a heel's click lives
            # at 1-3 kHz, where that filter takes 5 dB that a creak or a door never had)
            heard = signal.sosfilt(self.far_sos, y[:int(3 * sr)])  # a walk's first steps stand for it
            y *= 0.03 * rng.uniform(0.8, 1.0) / np.sqrt(self._momentary(heard) + 1e-12)
            pan = rng.uniform(-0.8, 0.8)
            self.bus.add(self.next, np.vstack([y * np.sqrt(0.5 * (1 - pan)), y * np.sqrt(0.5 * (1 + pan))]))
            # the next sound comes a while after this one ends (a walk across the nave lasts
            # ten seconds and more): the share of the time something happens, and so the
            # loudness of any half minute, stays the same whatever the seed's mix of kinds
            self.next += y.size + int(rng.uniform(0.7, 1.3) / self.rate * sr)
        self.next -= n
        events = self.far(buf)
        swell = self.up((0.6 + 0.8 * self.swell(rng, self.ctl.length(n)))[None], n)
        out = self.rumble(rng, n, gain=(swell * self.g_rumble).astype(np.float32)).astype(np.float64)
        out += self.air(rng, n, gain=np.float32(self.g_air))
        out += events
        return to_output(out)
