"""Air handling as it is built: fans, motors and ducts (air conditioning, desk
fans, a fridge, a server room).

What makes each sound (Farnell, *Designing Sound*, "fans" and "motors";
ASHRAE, *Sound and Vibration Control*):

* **Blade pass.** Each blade of a fan pushes a pressure pulse past any point
  rpm/60 x blades times a second: the blade-pass frequency (BPF) and its
  harmonics are the fan's tonal whirr. The pulse is short, so its harmonics
  fall slowly (~1/h).
* **Chopped air.** The turbulent wake shed by each blade makes the air noise
  itself swell once per blade: broadband noise amplitude-modulated at the
  BPF. On a small fast fan (a computer's, a server's) that modulation is
  the whine; on a big slow one, the "whoom" of the blades.
* **Motor hum.** An induction motor or a compressor is locked to the mains:
  its hum is the mains frequency and a strong second harmonic (the
  magnetostriction of the core at twice mains) with more harmonics above.
* **Duct and diffuser air.** Broadband turbulence, smooth and steady (no fast
  amplitude fluctuation: that is water or fire), hissing out of the grilles
  with a broad hump of ~0.5-2 kHz and falling ~5 dB per octave above it;
  the duct adds a low rumble and standing waves at multiples of c/2L.

Kinds: ``hvac`` (an air handler down the ducts, the diffuser's air in the
room), ``fan`` (a desk or ceiling fan in the room), ``fridge`` (a compressor
hum with its condenser fan), ``server`` (a room of racks: many small fast
fans, detuned so they beat, over the air conditioning's roar).

Everything is steady, so the bed loops; the only slow motion is the fans'
speed wandering by a fraction of a percent as the load varies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._amb import (ColoredNoise, Control, Oscillator, SplineUpsampler, Upsampler, Wander, factor_for,
                   low_len, peak_sos, pink_sos, sin_cycles, to_output)
from .base import ModelParams, SoundModel, StatefulFilter, butter, noise


@dataclass(frozen=True)
class FanKind:
    """How one kind of air handling is built (levels relative to the diffuser air)."""

    fans: tuple[int, int]          #: how many fans (min, max)
    rpm: tuple[float, float]       #: shaft speed range
    blades: tuple[int, int]        #: blade count range
    air_peak: float                #: centre of the air noise's hump, Hz
    air: float                     #: broadband air level
    rumble: float                  #: duct rumble level (under ~300 Hz)
    tone: float                    #: blade-pass tone level (all fans together)
    chop: float                    #: depth of the air's blade-rate modulation, 0..1
    hum: float                     #: motor/compressor hum level
    spread: float                  #: relative detuning between fans
    buzz: float = 0.0              #: how far the hum's harmonics reach (0: a motor, 1: a compressor's buzz)
    knock: float = 0.0             #: a compressor's piston and valve noise, once per shaft turn


#: the fridge: a hermetic compressor sealed in a steel shell on springs, inside the cabinet's
#: insulation. The kitchen hears its hum (shaft rate and twice mains, the core's harmonics of
#: twice mains reaching a few hundred Hz) with only a light buzz of higher orders, the piston
#: and valves faintly, and the condenser fan's air far under the hum: a steady hum, not a
#: motorboat's putt nor a fan's whoosh.
_KINDS = {
    "hvac": FanKind((1, 1), (700, 1100), (7, 9), 900, 1.0, 0.35, 0.05, 0.12, 0.012, 0.0),
    "fan": FanKind((1, 1), (900, 1300), (3, 5), 700, 0.8, 0.25, 0.06, 0.2, 0.010, 0.0),
    "fridge": FanKind((1, 1), (1300, 1700), (4, 5), 600, 0.08, 0.1, 0.02, 0.1, 0.07, 0.0, 0.1, 0.06),
    "computer": FanKind((5, 9), (1500, 2600), (7, 7), 1200, 0.6, 0.2, 0.015, 0.3, 0.004, 0.01),
    "server": FanKind((8, 12), (4200, 7800), (7, 7), 2000, 0.5, 0.2, 0.025, 0.25, 0.004, 0.01),
}

#: harmonic amplitudes of a blade's pressure pulse (short pulse: slow fall)
_BLADE_HARMONICS = np.array([1.0, 0.55, 0.35, 0.22, 0.15, 0.1])
#: mains hum: fundamental, the strong second (core magnetostriction), then weaker ones
_HUM_HARMONICS = np.array([1.0, 0.9, 0.35, 0.3, 0.12, 0.1, 0.05, 0.04])
_TABLE = 4096


def _cycle_table(amps: np.ndarray, phases: np.ndarray | None = None) -> np.ndarray:
    """One cycle of a sum of harmonics (amplitude ``amps[h-1]`` at harmonic h), as a
    float32 table: reading it at a phase costs one lookup however many harmonics."""
    t = np.arange(_TABLE) / _TABLE
    ph = np.zeros(len(amps)) if phases is None else phases
    y = sum(a * np.sin(2 * np.pi * ((h + 1) * t + p)) for h, (a, p) in enumerate(zip(amps, ph)))
    return np.asarray(y, dtype=np.float32)


def _read(table: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Table lookup at phases in cycles (nearest entry: the tables hold low harmonics only)."""
    return table[(phase * _TABLE).astype(np.int64) % _TABLE]


class HVAC(SoundModel):
    name = "hvac"
    steady_tones = True
    category = "ambience"
    keywords = ("hvac", "aircon", "air con", "air conditioning", "air conditioner", "air-conditioning",
                "ac unit", "ventilation", "vent", "air vent", "fan noise", "fan hum", "fridge hum",
                "refrigerator hum", "fridge", "refrigerator", "server room", "machine hum", "hum",
                "electrical hum", "mains hum", "ducting", "extractor fan", "heating", "radiator",
                "computer room", "data center", "data centre", "server rack", "servers", "ceiling fan",
                "desk fan", "fan whirring", "air handling", "fans whirring", "cooling fans", "fans", "whirring",
                "humming", "humming equipment", "humming machines", "whir", "whirr")
    description = ("air conditioning: fan blade-pass whirr (rpm x blades / 60) and harmonics, blade-chopped "
                   "duct air and motor hum at the mains frequency; fridge = compressor hum, server room = a "
                   "rack of small beating fans over the air roar")
    outdoor = False
    option_words = {
        "uk": ("mains", 50), "british": ("mains", 50), "europe": ("mains", 50), "european": ("mains", 50),
        "50hz": ("mains", 50), "50 hz": ("mains", 50), "60hz": ("mains", 60), "60 hz": ("mains", 60),
        "us": ("mains", 60), "usa": ("mains", 60), "american": ("mains", 60), "japan": ("mains", 60),
        "fridge": ("kind", "fridge"), "refrigerator": ("kind", "fridge"), "kitchen": ("kind", "fridge"),
        "server": ("kind", "server"), "servers": ("kind", "server"), "computer": ("kind", "computer"),
        "computers": ("kind", "computer"), "pc": ("kind", "computer"), "pcs": ("kind", "computer"),
        "data": ("kind", "server"), "fan": ("kind", "fan"), "ceiling": ("kind", "fan"), "desk": ("kind", "fan"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        sr = self.sr
        opts = self.params.options
        try:
            mains = float(opts.get("mains", 60))
        except (TypeError, ValueError):
            mains = 60.0
        self.mains = 50.0 if abs(mains - 50) < abs(mains - 60) else 60.0
        kind = opts.get("kind", "hvac")
        self.kind = kind if kind in _KINDS else "hvac"
        k = _KINDS[self.kind]
        self.fac = factor_for(sr, 12000)
        lo_sr = sr / self.fac
        # the fans: the first one's rpm and blades may be given; the rest are its detuned siblings
        try:
            rpm = float(opts.get("rpm", rng.uniform(*k.rpm) * (0.9 + 0.2 * i)))
            blades = int(opts.get("blades", rng.integers(k.blades[0], k.blades[1] + 1)))
        except (TypeError, ValueError):
            rpm, blades = float(np.mean(k.rpm)), k.blades[0]
        self.rpm, self.blades = rpm, max(1, blades)
        self.bpf = rpm * self.blades / 60.0
        count = int(rng.integers(k.fans[0], k.fans[1] + 1))
        self.fans = [self.bpf] + [self.bpf * (1 + rng.uniform(-k.spread, k.spread)) for _ in range(count - 1)]
        # the blade pulse as one table; harmonics that would pass the low rate's Nyquist are left out
        fit = int(np.clip(0.4 * lo_sr / (max(self.fans) * 1.01), 1, len(_BLADE_HARMONICS)))
        self.blade_table = _cycle_table(_BLADE_HARMONICS[:fit])
        self.fan_osc = [Oscillator(lo_sr, rng.random()) for _ in self.fans]
        pans = np.linspace(-0.7, 0.7, count) if count > 1 else np.zeros(1)
        self.fan_lr = np.vstack([np.cos((pans + 1) * np.pi / 4), np.sin((pans + 1) * np.pi / 4)]) * np.sqrt(2)
        self.g_tone = k.tone * (0.6 + 0.8 * i) / np.sqrt(count)
        # the air in the room: a broad hump falling ~5 dB/oct above it, full rate (hiss reaches 8 kHz+)
        peak = k.air_peak * (0.5 + i)  # slower air, lower Strouhal peak: a quiet system is darker
        self.air = ColoredNoise(sr, np.vstack([
            butter("highpass", peak / 4, sr, 2), pink_sos(sr), peak_sos(peak, 6.0, 0.5, sr),
            butter("lowpass", 2500 + 11000 * i, sr, 1)]), fade=256)
        self.g_air = k.air * 0.05 * (0.5 + 0.5 * i)
        # a short swell as each blade passes: (1/2 + sin/2)^3, mean 5/16, as a gain around 1
        swell = (0.5 + 0.5 * np.sin(2 * np.pi * np.arange(_TABLE) / _TABLE)) ** 3
        self.chop_table = ((1.0 - k.chop * 5 / 16) + k.chop * swell).astype(np.float32)
        self.chop_osc = Oscillator(sr, rng.random())
        # duct rumble and the duct's standing waves, at the low rate
        duct = rng.uniform(3.0, 7.0)  # metres from the fan to the grille
        self.rumble = StatefulFilter(np.vstack([
            pink_sos(int(lo_sr)), butter("bandpass", (25, 320), lo_sr, 2),
            peak_sos(343 / (2 * duct), 5.0, 3.0, lo_sr), peak_sos(343 / duct, 3.0, 3.0, lo_sr)]))
        self.g_rumble = k.rumble * 0.05 * (0.5 + 0.5 * i)
        # motor or compressor hum, mains-locked
        # a compressor's hum is a buzz: its harmonics reach up to ~1 kHz
        # a reciprocating compressor's 2-pole induction motor turns a few percent under the mains
        # rate (its slip, which differs from one unit to the next)
        self.shaft = self.mains * rng.uniform(0.96, 0.975) if (k.buzz or k.knock) else self.mains
        self.em_table = None
        if k.buzz:
            # the compressor: the piston's primary and (stronger, crank) secondary forces at the
            # shaft rate, rattling the housing into a clipped buzz; its motor's magnetostriction
            # adds a clean line at exactly twice mains
            t = np.arange(_TABLE) / _TABLE
            x = 0.08 * np.sin(2 * np.pi * t) + np.sin(4 * np.pi * t) + 0.3 * np.sin(8 * np.pi * t + 0.7)
            wave = np.tanh((1.0 + 4.0 * k.buzz) * (0.7 + 0.6 * i) * x)
            spec = np.fft.rfft(wave)
            spec[int(0.4 * lo_sr / self.mains):] = 0  # band-limited for the low rate
            wave = np.fft.irfft(spec, _TABLE)
            self.hum_table = (wave / np.abs(wave).max()).astype(np.float32)
            self.hum_f = self.shaft
            # the motor's magnetostriction: a line at twice mains with the harmonics of a core
            # driven into saturation (even orders of mains, falling ~1/order), the odd ones weak
            em = np.array([0.06 if h % 2 else 0.6 * 2.0 / h for h in range(1, 17)])
            self.em_table = _cycle_table(em, rng.random(len(em)))
            self.em_osc = Oscillator(lo_sr, rng.random())
        else:
            amps = _HUM_HARMONICS * (0.6 + 0.8 * i) ** np.arange(len(_HUM_HARMONICS))
            self.hum_table = _cycle_table(amps, rng.random(len(amps)))
            self.hum_f = self.mains
        self.g_hum = k.hum * (0.6 + 0.8 * i)
        self.hum_osc = Oscillator(lo_sr, rng.random())  # two machines on one supply are not in phase
        # the compressor's piston and valves clatter once per turn
        self.g_knock = k.knock * 0.04 * (0.6 + 0.8 * i)
        if self.g_knock:
            self.shaft_osc = Oscillator(sr, rng.random())
            self.knock = ColoredNoise(sr, np.vstack([butter("bandpass", (250, 3000), sr, 2),
                                                     peak_sos(rng.uniform(700, 1200), 6.0, 1.5, sr)]), fade=64)
            stroke = (0.5 + 0.5 * np.sin(2 * np.pi * np.arange(_TABLE) / _TABLE)) ** 6
            self.knock_table = (stroke / stroke.mean()).astype(np.float32)
        # the only slow motion: rpm wandering with the load (a fraction of a percent)
        self.ctl = Control(sr)
        self.wobble = Wander(rng, 0.25, self.ctl.rate)
        self.ctl_up = Upsampler(self.ctl.factor // self.fac, 1)
        self.up = SplineUpsampler(self.fac, 2)
        self.mix = np.array([[1.0, 0.5], [0.5, 1.0]]) / np.sqrt(1.25)
        # a server room is cooled by big air handlers (CRAC units) as well as its racks' small fans
        self.crac = None
        if self.kind in ("server", "computer"):  # a room of desktops has the building's air conditioning
            big = 0.4 + 0.6 * i if self.kind == "server" else 0.2 + 0.4 * i
            self.crac = HVAC(sr, self.seed, int(rng.integers(1 << 30)) * 8 + 3,
                             ModelParams(intensity=big, options={"kind": "hvac", "mains": self.mains}))

    def _chop(self, n: int) -> np.ndarray:
        """The air's swell once per blade of the first fan: 1 + depth x (pulse - its mean)."""
        return _read(self.chop_table, self.chop_osc.phases(self.bpf, n))

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_lo = low_len(n, self.fac)
        wob = self.ctl_up(self.wobble(rng, self.ctl.length(n))[None], n_lo)[0]
        low = self.rumble(self.mix @ noise(rng, 2, n_lo)) * self.g_rumble
        if self.g_hum:
            low += _read(self.hum_table, self.hum_osc.phases(self.hum_f, n_lo)) * np.float32(self.g_hum)
            if self.em_table is not None:
                low += _read(self.em_table, self.em_osc.phases(self.mains, n_lo)) * np.float32(self.g_hum)
        speed = 1 + 0.004 * (wob - 0.5)
        for f, osc, lr in zip(self.fans, self.fan_osc, self.fan_lr.T):
            tone = _read(self.blade_table, osc.phases(f * speed, n_lo)) * np.float32(self.g_tone)
            low += lr[:, None] * tone
        out = self.up(low, n)
        out += self.air(rng, n, gain=(self._chop(n) * self.g_air).astype(np.float32))
        if self.g_knock:
            pulse = _read(self.knock_table, self.shaft_osc.phases(self.shaft, n))
            out += self.knock(rng, n, gain=pulse * np.float32(self.g_knock))
        if self.crac is not None:
            out += self.crac.render_block(rng.spawn(1)[0], n)
        return to_output(out)
