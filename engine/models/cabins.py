"""Inside moving vehicles: a car on the road, an airliner's cabin, a train carriage.

Car: the engine is heard through the bulkhead as its firing frequency
(rpm/60 x cylinders/2, ~60-100 Hz at cruise) and harmonics; the road comes up
through the tyres and suspension as low rumble with the cabin's boom
resonance (~30-50 Hz); tyre and wind noise are muffled above ~1 kHz by the
doors and glass. The throttle wanders a few percent.

Aircraft: at cruise the cabin is dominated by turbulent boundary-layer noise
on the fuselage, a broad hump around 100-500 Hz falling above, with the hiss
of the air vents and the engines: the fans' shaft orders (buzz-saw tones) and
blade-pass tone, two engines a fraction of a percent apart so the tones beat.

Train: what fills a moving carriage is rolling noise, a loud continuous roar.
The roughness of wheel and rail treads excites both into vibration; it comes up
through the bogies and the floor and through the floor panels as air-borne
sound, a broad band from ~100 Hz to ~1.5 kHz with the floor's panel resonances
standing out, pulsing faintly at the wheel's turning rate (no wheel is quite
round). Under it the body's low rumble and sway, over it the air-conditioning's
hiss and the traction gears' whine; the windows and fittings buzz now and then.
The clickety-clack of wheels over rail joints rides ON the roar: two axles per bogie ~2.5 m apart,
coupled bogies of neighbouring cars ~7 m apart and a car's own bogies ~17 m
apart cross each joint in turn, so the hits come in a pattern set by the
speed and the rail length (25 m).
"""

from __future__ import annotations

import numpy as np

from ._amb import ColoredNoise, Control, Oscillator, Wander, peak_sos, pink_sos, sin_cycles, to_output
from ._sfxkit import _TABLE, _add, _burst, _modes, grid_events
from .base import SoundModel, StatefulFilter, Timeline, butter, noise


def _wander_curve(w: Wander, rng, ctl: Control, n: int) -> np.ndarray:
    c = w(rng, ctl.length(n))
    return np.interp(np.arange(n), np.linspace(0, n, c.size), c)


class CarInterior(Timeline, SoundModel):
    name = "car_interior"
    category = "ambience"
    keywords = ("car interior", "inside a car", "inside the car", "in a car", "in the car", "driving",
                "car ride", "road trip", "back seat", "passenger seat", "driving car", "car driving",
                "interior of a car", "cab ride", "taxi ride", "in a taxi")
    description = ("inside a car while driving: engine orders with combustion roughness, road rumble with "
                   "cabin boom, muffled tyres and wind, the ba-dum of expansion joints")
    outdoor = False
    option_words = {"highway": ("speed", "fast"), "motorway": ("speed", "fast"), "fast": ("speed", "fast"),
                    "city": ("speed", "slow"), "slow": ("speed", "slow"), "town": ("speed", "slow")}

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        fast = {"fast": 1.0, "slow": 0.0}.get(self.params.options.get("speed"), 0.5 + 0.3 * i)
        self.fast = fast
        self.v = 12.0 + 21.0 * fast  # m/s: town ~45 km/h, motorway ~120 km/h
        # 4 cylinders, 4 strokes: the crank turns at rpm/60 and fires twice a turn, so the
        # 2nd engine order (firing) leads, with the 4th and 6th; the 1st (imbalance) is weak
        self.f_rot = (rng.uniform(30, 37) + 14 * fast)  # 1800-3060 rpm
        self.osc = Oscillator(sr, rng.random())
        self.orders = ((1, 0.15), (2, 1.0), (3, 0.12), (4, 0.5), (6, 0.25), (8, 0.12))
        self.road = StatefulFilter(np.vstack([butter("lowpass", 220, sr, 2), butter("highpass", 20, sr, 1),
                                              peak_sos(rng.uniform(32, 48), 9.0, 2.0, sr)]))
        # tyre noise reaches the cabin through the floor and wheel arches: the ~1 kHz hump, muffled
        self.tyre = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("bandpass", (200, 1000), sr, 2)]), fade=256)
        self.wind = ColoredNoise(sr, np.vstack([butter("bandpass", (500, 3500), sr, 1)]), fade=256)
        self.grit = ColoredNoise(sr, np.vstack([butter("bandpass", (150, 1200), sr, 1)]), fade=256)
        self.g_road = 0.5 * (0.7 + 0.6 * fast)
        self.g_tyre = 0.03 * (0.5 + fast)
        self.g_wind = 0.006 * (0.3 + 1.5 * fast)
        self.g_eng = 0.09
        self.ctl = Control(sr)
        self.throttle = Wander(rng, 0.15, self.ctl.rate)
        self.rough = Wander(rng, 40.0, self.ctl.rate)  # combustion varies from firing to firing
        # expansion joints and patched tarmac: every few seconds both axles thump over one,
        # the rear a wheelbase (2.7 m) after the front
        self.joint_period = rng.uniform(4.0, 7.0) * sr
        self.joint_jitter = rng.uniform(-0.4, 0.4, _TABLE) * self.joint_period
        self.wheelbase = int(2.7 / self.v * sr)
        self.joints = [_modes(sr, 0.25, (rng.uniform(35, 50), rng.uniform(70, 110), rng.uniform(160, 240)),
                              (0.06, 0.04, 0.02), (1.0, 0.6, 0.3))
                       + _burst(rng, sr, 0.25, 0.02, (300, 2500)) * 0.15 for _ in range(4)]
        self.g_joint = 0.5 * (0.6 + 0.8 * fast)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        start = self._block_start(n)
        thr = _wander_curve(self.throttle, rng, self.ctl, n)
        rough = _wander_curve(self.rough, rng, self.ctl, n).astype(np.float32)
        ph = self.osc.phases(self.f_rot * (0.97 + 0.06 * thr), n)
        eng = np.zeros(n, dtype=np.float32)
        for h, a in self.orders:
            eng += np.float32(a) * sin_cycles(ph * h)
        eng *= (0.7 + 0.6 * rough) * (self.g_eng * (0.8 + 0.4 * thr)).astype(np.float32)
        out = self.road(noise(rng, 2, n, dtype=np.float32)).astype(np.float32) * np.float32(self.g_road)
        out += self.tyre(rng, n, gain=self.g_tyre) + self.wind(rng, n, gain=self.g_wind)
        out += eng
        out += np.abs(eng) * self.grit(rng, n, gain=0.2)  # intake and exhaust puffs at the firing rate
        hits = np.zeros((2, n))
        longest = self.joints[0].size + self.wheelbase
        for k, onset in grid_events(start, n, self.joint_period, longest, self.joint_jitter):
            ev = self.joints[k % len(self.joints)]
            _add(hits, start, onset, ev, self.g_joint)
            _add(hits, start, onset + self.wheelbase, ev, self.g_joint * 0.8)
        return to_output(out + hits.astype(np.float32))


def _engine_table(rng: np.random.Generator, weights: np.ndarray, size: int = 4096) -> np.ndarray:
    """One shaft revolution of an engine's tones: harmonics with the given weights, random phases."""
    ph = np.arange(size) / size
    k = np.arange(1, weights.size + 1)[:, None]
    wave = (weights[:, None] * np.sin(2 * np.pi * (k * ph + rng.random((weights.size, 1))))).sum(0)
    return (wave / np.abs(wave).max()).astype(np.float32)


class AircraftCabin(SoundModel):
    name = "aircraft_cabin"
    category = "ambience"
    keywords = ("aircraft cabin", "airplane cabin", "aeroplane cabin", "plane cabin", "on a plane", "in a plane",
                "airplane interior", "airliner", "in flight", "in-flight", "inside a plane", "inside an airplane",
                "flight cabin", "on a flight", "jet cabin", "airplane", "aeroplane")
    description = ("an airliner's cabin at cruise: broad boundary-layer roar, the engines' fan tones beating "
                   "against each other, air-vent hiss")
    outdoor = False
    option_words = {}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.roar = StatefulFilter(np.vstack([pink_sos(sr), butter("bandpass", (60, 600), sr, 1),
                                              peak_sos(rng.uniform(150, 260), 4.0, 0.8, sr)]))
        self.vent = ColoredNoise(sr, np.vstack([butter("bandpass", (2500, 9000), sr, 2)]), fade=256)
        self.g_vent = 0.006 * (0.5 + i)
        # the fans turn at ~4500 rpm at cruise; with supersonic blade tips they radiate
        # "buzz-saw" tones at every shaft order (uneven blades), and the fuselage lets
        # through mostly the low ones. The two engines never run at exactly the same speed,
        # so each order beats, the k-th k times faster: the airliner's slow wah-wah drone.
        self.n1 = rng.uniform(70, 80)
        self.detune = rng.uniform(0.002, 0.005)  # N1 split: the two fans turn within ~0.5 % of each other
        self.blades = blades = int(rng.integers(22, 27))
        k = np.arange(1, blades + 1)
        w = rng.uniform(0.4, 1.0, k.size) / (1 + (k * self.n1 / 500.0) ** 2)
        w[0] *= 1.5
        w[-1] = 0.5  # the fan's blade-pass tone, ~1.5-2 kHz: the whine of a jet
        self.tables = [_engine_table(rng, w), _engine_table(rng, w * rng.uniform(0.7, 1.3, k.size))]
        self.oscs = [Oscillator(sr, rng.random()), Oscillator(sr, rng.random())]
        # the core's compressor whine (N2 blade pass), faint through the wall
        self.whine = (rng.uniform(2500, 3500), 0.006)
        self.osc_whine = Oscillator(sr, rng.random())
        self.g_tone = 0.04
        self.gain = 0.5 * (0.6 + 0.8 * i)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = self.roar(noise(rng, 2, n, dtype=np.float32)).astype(np.float32)
        out += self.vent(rng, n, gain=self.g_vent / self.gain)
        size = self.tables[0].size
        for c, (table, osc, f) in enumerate(zip(self.tables, self.oscs, (self.n1, self.n1 * (1 + self.detune)))):
            idx = (osc.phases(f, n) * size).astype(np.intp) % size
            tone = table[idx] * np.float32(self.g_tone / self.gain)
            out[c] += tone  # the port engine a little louder on the left, starboard on the right
            out[1 - c] += tone * np.float32(0.7)
        out += np.float32(self.whine[1] / self.gain) * sin_cycles(self.osc_whine.phases(self.whine[0], n))
        return to_output(out * np.float32(self.gain))


class TrainCarriage(Timeline, SoundModel):
    name = "train_carriage"
    category = "ambience"
    keywords = ("train carriage", "inside a train", "on a train", "in a train", "train interior", "train ride",
                "railway carriage", "train compartment", "subway car", "on the subway", "metro ride",
                "clickety clack", "clickety-clack", "train journey", "passenger train", "train carriages",
                "on the rails", "rails", "wheels clattering", "clattering on the rails", "rail joints")
    description = "inside a train: rumble and sway with the clickety-clack of wheels over rail joints"
    outdoor = False
    option_words = {"subway": ("kind", "subway"), "metro": ("kind", "subway"), "underground": ("kind", "subway"),
                    "tube": ("kind", "subway"), "fast": ("speed", 40.0), "slow": ("speed", 15.0)}

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        try:
            v = float(self.params.options.get("speed", rng.uniform(22, 30)))
        except (TypeError, ValueError):
            v = 25.0
        subway = self.params.options.get("kind") == "subway"
        self.period = 25.0 / v * sr  # one rail joint per rail length
        # the axles that cross each joint within earshot: the rear bogie of the car ahead, this
        # car's two bogies 17 m apart, the front bogie of the car behind; two axles per bogie
        # 2.5 m apart, coupled bogies ~7 m apart: the ta-dum ta-dum ... ta-dum ta-dum of a train
        self.pattern = [(0.0, 0.35), (2.5 / v, 0.3), (7.0 / v, 1.0), (9.5 / v, 0.8),
                        (24.0 / v, 0.55), (26.5 / v, 0.45), (31.0 / v, 0.3), (33.5 / v, 0.25)]
        self.hits = [self._hit(rng) for _ in range(6)]
        self.longest = int((33.5 / v + 0.2) * sr)
        self.jitter = np.abs(rng.normal(0, 0.004 * sr, _TABLE))
        self.amps = rng.uniform(0.7, 1.0, (_TABLE, len(self.pattern)))
        self.rumble = StatefulFilter(np.vstack([butter("lowpass", 380 if subway else 280, sr, 2),
                                                butter("highpass", 25, sr, 1),
                                                peak_sos(rng.uniform(55, 80), 6.0, 1.5, sr)]))
        # rolling noise, the carriage's roar: a broad band ~100 Hz-1.5 kHz through the floor with
        # the floor panels' resonances (a few hundred hertz) standing out
        self.roll = ColoredNoise(sr, np.vstack([pink_sos(sr), butter("bandpass", (70, 1100), sr, 1),
                                                peak_sos(rng.uniform(160, 220), 5.0, 1.5, sr),
                                                peak_sos(rng.uniform(420, 600), 4.0, 1.2, sr)]), fade=256)
        self.g_roll = 0.3 * (1.3 if subway else 1.0) * (0.7 + 0.6 * i)
        # out-of-round wheels (0.9 m) pulse the roar at their turning rate, each axle its own
        self.f_wheel = v / (np.pi * 0.9)
        self.osc_wheel = (Oscillator(sr, rng.random()), Oscillator(sr, rng.random()))
        # the air-conditioning's supply hiss: at speed a carriage's rolling roar is ~70-75 dB(A)
        # and a modern car's supply diffusers ~45-50 dB(A), so the hiss is a faint top ~25-30
        # dB(A) under the roar (at 0.012 it stood 20 dB under and read as a fan in the room)
        self.air = ColoredNoise(sr, np.vstack([butter("bandpass", (1200, 7000), sr, 1)]), fade=256)
        self.g_air = 0.004
        self.ctl = Control(sr)
        self.sway = Wander(rng, 0.3, self.ctl.rate)
        self.g_hit = 1.6 * (0.6 + 0.8 * i)
        self.g_rumble = 0.5 * (0.7 + 0.6 * i)
        # wheel (0.9 m) turns at v / (pi 0.9); a ~1:5 gearbox and a 17-tooth pinion mesh at
        # about 17 x 5 x that: ~600-900 Hz at speed (subway motors scream higher)
        self.f_mesh = 17 * 5 * v / (np.pi * 0.9) * (1.4 if subway else 1.0)
        self.osc = Oscillator(sr, rng.random())
        self.g_whine = 0.008 * (2.0 if subway else 1.0)

    def _hit(self, rng: np.random.Generator) -> np.ndarray:
        """A wheel dropping across a rail joint: a sharp steel click, the wheel's own modes
        ringing briefly (a railway wheel rings at ~400 Hz, 1.1, 2.1 and 3.3 kHz), and the
        thud of the bogie carried through the floor."""
        sr = self.sr
        thud = _modes(sr, 0.15, (rng.uniform(55, 80), rng.uniform(120, 180)), (0.03, 0.02), (0.45, 0.3))
        w = rng.uniform(0.95, 1.05)
        ring = _modes(sr, 0.12, tuple(f * w for f in (410, 1120, 2080, 3300)), (0.03, 0.02, 0.012, 0.008),
                      tuple(rng.uniform(0.1, 0.25, 4)))
        click = self._knock(rng)
        rattle = _burst(rng, sr, 0.15, 0.035, (200, 2000)) * 0.5  # the body panels and fittings shake
        out = thud.copy()
        out[:rattle.size] += rattle
        out[:ring.size] += ring
        out[:click.size] += click
        return out

    def _knock(self, rng: np.random.Generator) -> np.ndarray:
        """The steel-on-steel click of the wheel landing on the next rail, as heard in a seat.

        It reaches the seats through the bogie's springs and the floor, whose transmission
        falls off above ~1 kHz (mass law): inside it is a knock, not the bright 2-3 kHz tick
        heard at the trackside (which, over a steady roar, reads as a door latch or a mechanism).
        The wheel's own ring (:meth:`_hit`) keeps the metal in the sound."""
        return _burst(rng, self.sr, 0.02, 0.0025, (300, 1000)) * 1.2

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        start = self._block_start(n)
        sway = _wander_curve(self.sway, rng, self.ctl, n).astype(np.float32)
        out = self.rumble(noise(rng, 2, n, dtype=np.float32)).astype(np.float32)
        out *= np.float32(self.g_rumble) * (0.85 + 0.3 * sway)
        wob = (sin_cycles(self.osc_wheel[0].phases(self.f_wheel, n))
               + sin_cycles(self.osc_wheel[1].phases(self.f_wheel * 1.013, n)))
        out += self.roll(rng, n, gain=self.g_roll) * (np.float32(1.0) + np.float32(0.08) * wob)
        out += self.air(rng, n, gain=self.g_air)
        # traction motors under the floor: the gear-mesh whine and its second harmonic,
        # drifting a little with the speed
        ph = self.osc.phases(self.f_mesh * (0.995 + 0.01 * sway), n)
        out += (sin_cycles(ph) + np.float32(0.4) * sin_cycles(2 * ph)) * np.float32(self.g_whine)
        hits = np.zeros((2, n))
        for k, onset in grid_events(start, n, self.period, self.longest, self.jitter):
            for j, (dt, a) in enumerate(self.pattern):
                ev = self.hits[(k * len(self.pattern) + j) % len(self.hits)]
                _add(hits, start, onset + int(dt * sr), ev, self.g_hit * a * self.amps[k % _TABLE, j])
        return to_output(out + hits.astype(np.float32))
