"""Traffic: a distant city roar, vehicles passing by and the odd far-off horn.

Each pass-by is a moving source on a straight road: its emission time is
solved in closed form from the listener geometry, so the engine note gets an
exact Doppler glide, the level follows 1/distance, the highs follow air
absorption and the image pans across the stereo field; tyre roar is a shared
noise band weighted by every vehicle's gain. Engines are what make it traffic
rather than water: firing harmonics (rpm/60 x cylinders/2) with exhaust grit
(a noise band riding on the firing waveform), and on a city street many
vehicles pull away through their gears, the revs climbing and dropping at each
change. At night there are fewer vehicles, most of them a street or two away. All vehicles are computed at once
as arrays (no per-vehicle array work), the geometry on a coarse grid. The
roar and tyres run at ~12 kHz, engines at ~3 kHz, both brought up by cubic
splines; the tyre hiss above 5 kHz is read from a pre-filtered noise table
and its gain is interpolated straight from the coarse geometry grid to the
output rate. Float32 throughout.
"""

from __future__ import annotations

import numpy as np

from ._amb import (ColoredNoise, Control, Sparse, SplineUpsampler, Upsampler, Wander, blasts_envelope, factor_for, low_len,
                   pan_pair, peak_sos, polyphase, sin_cycles, to_output)
from .base import EventBus, SoundModel, StatefulFilter, butter

C_SOUND = 343.0
SPAN = 6.5  # seconds a pass-by is audible either side of its closest approach
_TABLE = 2048  # samples in one engine cycle
_ENG = 4  # engine notes run at a quarter of the mid rate (~3 kHz): their harmonics stay under 1.2 kHz
_COARSE = 16  # geometry is evaluated every this many engine-rate samples and interpolated

# kind -> (engine f0 range Hz, harmonic weights, engine level, tyre level, speed range m/s, probability)
_KINDS = {
    "car": ((45, 85), (0.8, 1.0, 0.6, 0.7, 0.4, 0.45, 0.25, 0.3, 0.15, 0.18, 0.1, 0.1), 1.0, 1.0, (9, 16), 0.72),
    "truck": ((28, 45), (1.0, 0.9, 0.8, 0.65, 0.5, 0.4, 0.3, 0.22, 0.15), 1.2, 1.3, (7, 12), 0.1),
    "bus": ((32, 50), (1.0, 0.85, 0.7, 0.5, 0.4, 0.3, 0.2), 1.0, 1.2, (6, 11), 0.08),
    "motorbike": ((70, 130), (0.7, 1.0, 0.85, 0.7, 0.6, 0.5, 0.4, 0.3), 1.5, 0.6, (10, 18), 0.1),
}
_FIELDS = ("t0", "v", "d", "f0", "accel", "g_eng", "g_tyre", "side", "phase0", "gear", "gear0", "rise")
_JITTER = 0.45  # how far (in mean gaps) a vehicle strays from its slot on the street's grid
# lateral distance bands, m: near lane, far lane, the next street, far off (one of each per deck)
_BANDS = ((3.5, 6.0), (6.0, 9.5), (9.5, 16.0), (16.0, 30.0))
BED_HISS = 0.05
EXHAUST = 0.6
G_ENG, G_TYRE, G_HISS = 0.2, 0.09, 0.01  # engine, tyre roar and tyre hiss levels of a pass-by
_SQUASH = 0.35  # per-vehicle gain goes as energy^-this: pass-bys' energies span 0.3 of the dB range


def _passby_energy(veh: dict) -> float:
    """Rough K-weighted energy of one pass-by (engine, tyre roar and hiss as rendered)."""
    s = np.linspace(-SPAN, SPAN, 129)
    r = np.sqrt((veh["v"] * s) ** 2 + veh["d"] ** 2)
    near = 6.0 / r
    g2 = (near * np.clip((SPAN - np.abs(s)) / 2.5, 0, 1)) ** 2
    eng = 0.25 * (G_ENG * veh["g_eng"]) ** 2 * (1.0 + 0.5 * EXHAUST ** 2)
    tyre = (G_TYRE * veh["g_tyre"] * (0.5 + 0.5 * near)) ** 2
    hiss = 1.6 * (G_HISS * veh["g_tyre"] * near) ** 2
    return float(np.sum(g2 * (eng + tyre + hiss)) * (s[1] - s[0]))


_E_REF = _passby_energy({"v": 12.0, "d": 8.0, "g_eng": 0.45, "g_tyre": 0.95})


class Traffic(SoundModel):
    name = "traffic"
    category = "ambience"
    keywords = ("traffic", "cars", "car traffic", "road traffic", "street traffic", "city traffic",
                "passing cars", "cars passing", "car passing", "vehicles", "rush hour", "busy street",
                "busy road", "highway", "freeway", "motorway", "cars going by", "traffic noise")
    description = "traffic: distant city roar, cars and trucks passing by with Doppler, occasional far horns"
    outdoor = True
    option_words = {
        "highway": ("road", "highway"), "freeway": ("road", "highway"), "motorway": ("road", "highway"),
        "city": ("road", "city"), "street": ("road", "city"), "downtown": ("road", "city"),
        "quiet": ("road", "quiet"), "suburban": ("road", "quiet"), "residential": ("road", "quiet"),
        "night": ("time", "night"), "midnight": ("time", "night"), "nighttime": ("time", "night"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        road = self.params.options.get("road", "city")
        self.road = road
        self.fac = factor_for(sr, 12000)
        self.mid_sr = ms = sr / self.fac
        self.eng_sr = ms / _ENG
        # pass-bys per second, horns per second
        # at night the streets empty: fewer vehicles, most of them a street or two away
        self.night = self.params.options.get("time") == "night"
        self.far = 1.8 if self.night else 1.0
        self.rate = (0.14 + 0.5 * i) * {"highway": 3.0, "quiet": 0.55}.get(road, 1.0) * (0.55 if self.night else 1.0)
        self.horn_rate = 0.0 if road == "highway" else (0.012 + 0.045 * i) * (0.4 if road == "quiet" else 1.0) \
            * (0.3 if self.night else 1.0)
        self.speed_scale = 1.9 if road == "highway" else 1.0
        self.pulling = {"highway": 0.1, "quiet": 0.5}.get(road, 0.45)  # share of vehicles accelerating
        self.veh = {f: np.zeros(0) for f in _FIELDS}
        self.waves = np.zeros((0, _TABLE + 1), dtype=np.float32)
        self.pos = 0  # samples rendered so far
        self.deck: list[int] = []  # distance bands still to deal (see _distance)
        # the street is already busy when the scene starts: vehicles scheduled over the last
        # 2 * SPAN seconds (closest approach up to SPAN s ago) are on their way or passing
        self.jit = rng.uniform(-_JITTER, _JITTER)  # the last scheduled vehicle's offset from its slot
        s = -2 * SPAN + rng.uniform(0.0, 1.0) / self.rate
        while s < 0:
            self._add_vehicle(rng, s + SPAN)
            s += self._gap(rng)
        self.sched = Sparse(int(s * sr))
        self.horn_sched = Sparse(int(rng.uniform(3.0, 12.0) / max(0.3, i) * sr)) if self.horn_rate else None
        self.horns = EventBus()
        self.horn_sos = butter("bandpass", (300, 2600), ms, 2)
        # distant roar: engine drone plus road roar, slowly ebbing (pre-filtered table at the mid rate)
        top = 900 if self.night else {"quiet": 1100, "highway": 2600}.get(road, 1800)
        self.bed = ColoredNoise(int(ms), np.vstack([butter("bandpass", (60, top), ms, 1),
                                                    peak_sos(90, 6.0, 1.0, ms)]), fade=512)
        self.g_bed = 0.028 * (0.45 + 0.55 * i) * {"highway": 1.6, "quiet": 0.6}.get(road, 1.0) \
            * (1.2 if self.night else 1.0)  # at night the far hum of the city carries
        self.tyre = ColoredNoise(int(ms), np.vstack([butter("bandpass", (300, 2200), ms, 1),
                                                     peak_sos(900, 4.0, 0.7, ms)]), channels=1, fade=256)
        self.exhaust = ColoredNoise(int(ms), np.vstack([butter("bandpass", (120, 1800), ms, 1)]), fade=256)
        self.hiss = ColoredNoise(sr, np.vstack([butter("highpass", 3500, sr, 2),
                                                butter("lowpass", 11000, sr, 1)]))
        self.ctl = Control(sr)
        self.ebb = _centred(Wander(rng, 0.05, self.ctl.rate), rng)
        self.swell = _centred(Wander(rng, 0.4, self.ctl.rate), rng)
        self.rough = Wander(rng, 25.0, self.ctl.rate)  # engine roughness, ~25 Hz wobble
        self.ctl_up = Upsampler(self.ctl.factor // self.fac, 1)
        self.rough_up = Upsampler(self.ctl.factor // (self.fac * _ENG), 1)
        self.eng_up = SplineUpsampler(_ENG, 2)
        self.up = SplineUpsampler(self.fac, 2)
        self.mix = np.array([[1.0, 0.3], [0.3, 1.0]], dtype=np.float32)
        self.ebb_last = None  # the roar's level at the end of the previous block (hiss gain knots)

    def _gap(self, rng: np.random.Generator) -> float:
        """Seconds to the next vehicle. Vehicles keep to a jittered grid at the mean rate
        (each one early or late by up to ~half a slot), so gaps vary from near-bumper pairs
        to long lulls while the count per minute stays at its mean, whatever the seed."""
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = (1.0 + jit - self.jit) / self.rate
        self.jit = jit
        return gap

    def _distance(self, rng: np.random.Generator) -> float:
        """Lateral distance of the next vehicle: the near lane, the far lane, the next street
        or further off. Dealt from a shuffled deck of the four, in pairs of one near and one
        far, so every few vehicles cover all of them: a run of kerb-side pass-bys, or none at
        all, would otherwise set the level of a whole render."""
        if not self.deck:
            near, far = rng.permutation(2), 2 + rng.permutation(2)
            flip = rng.random(2) < 0.5
            for k in (1, 0):  # popped from the end: pair 0 first
                pair = [int(near[k]), int(far[k])]
                self.deck += pair[::-1] if flip[k] else pair
        lo, hi = _BANDS[self.deck.pop()]
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) * self.far

    def _add_vehicle(self, rng: np.random.Generator, t0: float) -> None:
        kinds = list(_KINDS)
        p = np.array([_KINDS[k][5] for k in kinds])
        kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
        f_rng, weights, g_eng, g_tyre, v_rng, _ = _KINDS[kind]
        new = {
            "t0": t0,  # seconds, absolute, of the closest approach
            "v": rng.uniform(*v_rng) * self.speed_scale,
            "d": self._distance(rng),
            "f0": rng.uniform(*f_rng),
            "accel": rng.uniform(-0.04, 0.05),
            "g_eng": g_eng * rng.uniform(0.6, 1.2),
            "g_tyre": g_tyre * rng.uniform(0.7, 1.2),
            "side": 1.0 if rng.random() < 0.5 else -1.0,
            "phase0": rng.random(),
            # pulling away through the gears (city streets; a motorway cruises)
            "gear": rng.uniform(1.6, 3.0),
            "gear0": rng.random(),
            "rise": (rng.uniform(0.35, 0.6) if rng.random() < self.pulling else 0.0),
        }
        # a pass-by's loudness grows steeply as it comes closer and slower (its energy goes
        # as ~1/(v d), more for the near tyre roar); keep the swell but narrow the range
        c = (_passby_energy(new) / _E_REF) ** -_SQUASH
        new["g_eng"] *= c
        new["g_tyre"] *= c
        for f in _FIELDS:
            self.veh[f] = np.append(self.veh[f], new[f])
        # one cycle of the engine note, harmonics with random phases
        ph = np.arange(_TABLE + 1) / _TABLE
        w = np.asarray(weights) * rng.uniform(0.7, 1.0, len(weights))
        k = np.arange(1, len(w) + 1)
        wave = w.astype(np.float32) @ sin_cycles(k[:, None] * ph + rng.random((len(w), 1)))
        self.waves = np.vstack([self.waves, wave / (np.max(np.abs(wave)) + 1e-12)])

    def _drop_vehicles(self, t_now: float) -> None:
        keep = self.veh["t0"] + SPAN > t_now
        if not keep.all():
            for f in _FIELDS:
                self.veh[f] = self.veh[f][keep]
            self.waves = self.waves[keep]

    def _horn(self, rng: np.random.Generator) -> np.ndarray:
        ms = self.mid_sr
        f1 = rng.uniform(340, 480)
        f2 = f1 * rng.choice([1.19, 1.25, 1.26])
        honks = [rng.uniform(0.15, 0.7)]
        if rng.random() < 0.4:
            honks += [rng.uniform(0.1, 0.3)]
        gap = rng.uniform(0.08, 0.2)
        total = sum(honks) + gap * (len(honks) - 1) + 0.35
        m = int(total * ms)
        t = np.arange(m) / ms
        env = blasts_envelope(t, honks, gap, 0.01, 0.02)
        tone = np.zeros(m)
        cycle = _horn_cycle()
        for f in (f1, f2):  # bright, buzzy horn: odd and even harmonics, read from one cycle
            pos = (f * t + rng.random()) % 1.0 * _HORN_N
            i = pos.astype(np.intp)
            pos -= i
            tone += cycle[i] + pos * (cycle[i + 1] - cycle[i])  # linear interpolation
        tone = StatefulFilter(self.horn_sos, channels=1)((np.tanh(1.5 * tone) * env)[None])[0]
        # a street of building facades: a few late, darker reflections
        out = tone.copy()
        for delay, g in ((rng.uniform(0.04, 0.08), 0.45), (rng.uniform(0.09, 0.16), 0.3),
                         (rng.uniform(0.17, 0.3), 0.18)):
            k = int(delay * ms)
            out[k:] += g * tone[:-k]
        out /= np.max(np.abs(out)) + 1e-12
        gl, gr = pan_pair(rng.uniform(-0.8, 0.8))
        level = 0.1 * rng.uniform(0.5, 1.0) * (0.6 + 0.4 * self.i) * (0.6 if self.road == "quiet" else 1.0)
        return np.vstack([out * gl, out * gr]) * level

    def _passbys(self, rng: np.random.Generator, tc: np.ndarray, n_e: int, n_m: int, n_c: int,
                 out: np.ndarray, ebb_c: np.ndarray) -> np.ndarray:
        """Engines and tyres of the passing vehicles (added to ``out`` at the mid rate);
        returns the hiss gain on the coarse grid."""
        f32 = np.float32
        veh = self.veh
        if not veh["t0"].size:
            return np.vstack([ebb_c, ebb_c]) * BED_HISS
        col = {f: veh[f][:, None] for f in _FIELDS}
        s = tc[None, :] - col["t0"]
        v2 = col["v"] ** 2
        c2 = C_SOUND ** 2
        # emission time u (relative to the closest approach) of the sound heard at s
        u = (c2 * s - np.sqrt(c2 * v2 * s * s + col["d"] ** 2 * (c2 - v2))) / (c2 - v2)
        x = col["v"] * u * col["side"]
        r = np.sqrt(x * x + col["d"] ** 2)
        near = 6.0 / r
        g = near * np.minimum(np.maximum((SPAN - np.abs(s)) * 0.4, 0), 1)
        gl, gr = pan_pair(x / (r + 2.0) * 0.85)  # |x| < r: inside (-1, 1) already
        gl *= g
        gr *= g
        ph = col["f0"] * (u + 0.5 * col["accel"] * u * u) + col["phase0"]
        # a vehicle pulling away climbs through its gears: in each gear the revs rise by
        # ``rise`` over ``gear`` seconds then drop at the change; the phase is the integral
        # of that sawtooth in closed form, and the engine is louder while it pulls
        pos = u / col["gear"] + col["gear0"]
        ph += col["f0"] * col["rise"] * col["gear"] * (_saw_integral(pos) - _saw_integral(col["gear0"]))
        load = 1.0 + col["rise"] * 1.2 * (pos - np.floor(pos) - 0.5)
        ph -= np.floor(ph[:, :1])
        nv = ph.shape[0]
        ge = col["g_eng"] * G_ENG * load
        fine = _interp(np.vstack([ph, gl * ge, gr * ge]).astype(f32), _COARSE, n_e)
        ph_f = fine[:nv]
        ph_f -= np.floor(ph_f)
        ph_f *= _TABLE
        idx = ph_f.astype(np.intp)
        idx += (np.arange(nv) * (_TABLE + 1))[:, None]
        eng = np.take(self.waves, idx)  # (vehicles, n_e)
        engine = np.empty((2, n_e), dtype=f32)
        np.einsum("vn,vn->n", eng, fine[nv:2 * nv], out=engine[0])
        np.einsum("vn,vn->n", eng, fine[2 * nv:], out=engine[1])
        engine *= self.rough_up((self.rough(rng, n_c) * 0.7 + 0.65).astype(f32)[None], n_e)
        engine = self.eng_up(engine, n_m)
        out += engine
        # the exhaust: each firing pulse is a puff of turbulent noise, so a noise band rides
        # on the engine waveform (the grit that makes an engine, not an organ pipe)
        out += np.abs(engine) * self.exhaust(rng, n_m, gain=EXHAUST)
        tg = col["g_tyre"] * (0.5 + 0.5 * near) * G_TYRE
        h = near * col["g_tyre"] * G_HISS  # air absorption: the highs fall faster with distance
        tyre_g = _interp(np.vstack([(gl * tg).sum(0), (gr * tg).sum(0)]).astype(f32), _COARSE * _ENG, n_m)
        out += tyre_g * self.tyre(rng, n_m)
        return np.vstack([(gl * h).sum(0), (gr * h).sum(0)]) + BED_HISS * ebb_c

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr, fac = self.sr, self.fac
        n_m = low_len(n, fac)
        n_e = low_len(n_m, _ENG)
        n_c = self.ctl.length(n)
        f32 = np.float32
        # new vehicles are scheduled by the time they become audible
        for start in self.sched.onsets(n, lambda: sr * self._gap(rng)):
            self._add_vehicle(rng, (self.pos + start) / sr + SPAN)
        horns = self.horns.begin(n_m)
        if self.horn_sched is not None:
            for start in self.horn_sched.onsets(n, lambda: sr * rng.exponential(1.0 / self.horn_rate)):
                self.horns.add(start // fac, self._horn(rng))

        # the roar
        ebb = (0.75 + 0.5 * self.ebb(rng, n_c) * (0.8 + 0.4 * self.swell(rng, n_c))) * self.g_bed
        out = self.mix @ self.bed(rng, n_m, gain=self.ctl_up(ebb.astype(f32)[None], n_m))
        out += horns
        # the roar's level on the coarse grid (for the hiss): ctl sample i sits at full-rate
        # position (i + 1) * factor - 1, the previous block's last one at -1
        step = _COARSE * _ENG * fac  # full-rate samples between coarse grid points
        nc = -(-n_e // _COARSE)
        knots = np.concatenate([[ebb[0] if self.ebb_last is None else self.ebb_last], ebb])
        self.ebb_last = float(ebb[-1])
        ebb_c = np.interp(np.arange(nc + 1) * step, np.arange(-1, n_c * self.ctl.factor, self.ctl.factor), knots)

        # pass-bys, all vehicles at once: geometry on a coarse grid covering both block ends
        tc = (self.pos / (fac * _ENG) + np.arange(nc + 1) * _COARSE) / self.eng_sr
        self._drop_vehicles(tc[0])
        hiss_c = self._passbys(rng, tc, n_e, n_m, n_c, out, ebb_c)
        self.pos += n
        full = self.up(out, n)
        full += self.hiss(rng, n, gain=_interp(hiss_c.astype(f32), step, n))
        return to_output(full)


def _centred(w: Wander, rng: np.random.Generator, spread: float = 0.3) -> Wander:
    """Start a slow :class:`Wander` near its long-run mean (0.5): it takes several of its time
    constants to forget where it starts, so a start drawn from all of 0..1 would set the level
    of a short render."""
    start = 0.5 + spread * (rng.random() - 0.5)
    w.state[0] = start
    w.zi = np.array([start * (1.0 - w.b[0])])  # the smoother's memory: a * y[-1], a = 1 - b
    return w


_HORN_N = 4096
_HORN_CYCLE: list[np.ndarray] = []


def _horn_cycle() -> np.ndarray:
    """One cycle of the horn's raw tone: harmonics 1-8 falling as 1/k^0.9, sampled finely enough
    (4096 points, linear interpolation) to be indistinguishable from summing the sines."""
    if not _HORN_CYCLE:
        k = np.arange(1, 9)[:, None]
        ph = np.arange(_HORN_N + 1) / _HORN_N
        _HORN_CYCLE.append((np.sin(2 * np.pi * k * ph) / k ** 0.9).sum(0))
    return _HORN_CYCLE[0]


def _saw_integral(x: np.ndarray) -> np.ndarray:
    """Integral from 0 to x of the unit sawtooth frac(t): floor(x)/2 + frac(x)^2/2."""
    fl = np.floor(x)
    return 0.5 * fl + 0.5 * (x - fl) ** 2


def _interp(coarse: np.ndarray, step: int, n: int) -> np.ndarray:
    """Linear interpolation of rows sampled every ``step`` samples (both block ends included).
    Keeps the input's dtype."""
    m = coarse.shape[1]
    ramp = np.arange(step) / step
    w = np.vstack([1 - ramp, ramp]).astype(coarse.dtype)
    return polyphase(coarse, w, m - 1)[:, :n]
