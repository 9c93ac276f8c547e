"""A single car passing by: Doppler, level and air absorption from the geometry.

The car drives a straight line at speed v, closest approach d metres at time
t_c. Sound emitted at t_e arrives at t_r = t_e + r(t_e)/c, so the received
signal is the emitted one read at the emission time of each output sample
(solved by interpolating the monotonic map t_e -> t_r). Everything physical
follows: the engine's firing harmonics (rpm/60 x cylinders/2) glide down by
the Doppler ratio (c - v_r)/(c + ...) as the car passes, the level goes as 1/r,
the top end dulls with distance, and the image pans across. Tyre noise
(the road-tyre roar peaking near 1 kHz, Sandberg & Ejsmont, *Tyre/Road Noise*)
rides on the same geometry. The requested time is the moment of closest
approach; the car is heard ~4 s before and after.
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _fade, _filt, _times

C_SOUND = 343.0
LEAD = 4.0  # seconds audible before closest approach


class CarPassBy(_OneShot):
    name = "car_passby"
    keywords = ("car passes", "car passing by", "car pass by", "car pass-by", "car drives by", "car drives past",
                "car goes by", "passing car", "car zooms by", "car whooshes by", "drive-by", "drive by",
                "car speeds past", "a car passes", "vehicle passes", "truck passes", "motorbike passes")
    default_level_db = 2.0
    description = "one car passing by: engine harmonics gliding down with Doppler, tyre roar, panning across"
    outdoor = True
    option_words = {"fast": ("speed", 30.0), "speeding": ("speed", 33.0), "zooms": ("speed", 35.0),
                    "races": ("speed", 38.0), "slow": ("speed", 8.0), "slowly": ("speed", 8.0),
                    "truck": ("kind", "truck"), "lorry": ("kind", "truck"), "motorbike": ("kind", "motorbike"),
                    "motorcycle": ("kind", "motorbike"), "left": ("direction", -1.0), "right": ("direction", 1.0)}

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        times = _times(self.params.options, LEAD)
        self._start_events([int(round((t - LEAD) * self.sr)) for t in times], rng)

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        opts = self.params.options
        kind = opts.get("kind", "car")
        try:
            v = float(opts.get("speed", rng.uniform(14, 22) * (0.8 + 0.4 * i)))
        except (TypeError, ValueError):
            v = 18.0
        d = rng.uniform(3.5, 6.0)
        direction = float(opts.get("direction", rng.choice([-1.0, 1.0])))
        rpm = rng.uniform(1800, 3200) * (1.6 if kind == "motorbike" else 1.0)
        cyl = {"truck": 6, "motorbike": 2}.get(kind, 4)
        f_fire = rpm / 60 * cyl / 2 * (0.6 if kind == "truck" else 1.0)
        dur = 2 * LEAD
        te = np.arange(int((dur + 0.2) * sr)) / sr - LEAD  # emission time, 0 = closest approach
        x = v * te * direction
        r = np.sqrt(x ** 2 + d ** 2)
        tr = te + r / C_SOUND  # arrival time, monotonic since v < c
        out_t = np.arange(int(dur * sr)) / sr - LEAD + d / C_SOUND
        t_emit = np.interp(out_t, tr, te)
        r_o = np.interp(t_emit, te, r)
        x_o = np.interp(t_emit, te, x)
        # engine: firing harmonics, with a little throttle wobble
        ph = f_fire * (t_emit + 0.002 * np.sin(2 * np.pi * 0.7 * t_emit))
        k = np.arange(1, 16)
        w = (1.0 / k ** 0.8) * (1 + (k % 2 == 0) * 0.6)
        eng = np.zeros(t_emit.size)
        for kk, ww in zip(k, w):
            if kk * f_fire * 1.1 < 0.45 * sr:
                eng += ww * np.sin(2 * np.pi * kk * ph + kk)
        eng *= {"truck": 1.2, "motorbike": 1.6}.get(kind, 0.7)
        # tyre roar: noise emitted in t_e, read at each output sample's emission time
        raw = rng.standard_normal(te.size)
        at = (t_emit + LEAD) * sr  # fractional sample index into the emitted noise
        grid = np.arange(te.size)
        tyre = np.interp(at, grid, _filt(raw, "bandpass", (500, 2200), sr, 2)) + \
            0.5 * np.interp(at, grid, _filt(raw, "bandpass", (80, 400), sr, 2))
        tyre *= (v / 15) ** 1.5 * 1.6
        src = eng * 0.12 + tyre * 0.2
        near = (d / r_o)
        dull = _filt(src, "lowpass", 1500, sr, 2)
        mono = (near * src + (1 - near) * dull) * near  # air and ground dull the far car
        pan = np.clip(x_o / np.sqrt(x_o ** 2 + 4.0), -1, 1)
        th = (pan + 1) * np.pi / 4
        ev = np.vstack([mono * np.cos(th), mono * np.sin(th)]) * np.sqrt(2)
        ev = _fade(_filt(ev, "highpass", 35, sr, 2), sr, 0.5, 0.5)
        return ev * (0.5 + 0.4 * i) / max(1e-9, np.abs(ev).max())
