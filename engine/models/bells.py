"""Church bells (a tolling bell or a peal rung in rounds) and a ticking clock.

Bells: a cast bronze bell rings in inharmonic partials whose ratios to the
prime are close to hum 0.5, prime 1, tierce 1.2 (the minor third that makes a
bell sound like a bell), quint 1.5, nominal 2, and upper partials near 2.5,
2.67, 3, 4 and 5.33 (Rossing, *The Science of Percussion Instruments*;
Farnell, *Designing Sound*, "bells"). Each partial is a doublet, two modes a
fraction of a hertz apart, so it warbles as it decays; the hum rings longest,
the upper partials die in a second. The clapper's strike adds a short metallic
clang. A peal is rung in rounds: the bells from treble to tenor in turn, a
major scale down, with the open handstroke gap after every second row.

Clock: a mechanical escapement tick is two clicks milliseconds apart (the
pallet locking and the wheel dropping), small inharmonic brass modes ringing
a wooden case (a box of damped panel modes); the tock of a pendulum clock
sounds a touch lower than its tick, and the beat follows the pendulum's length.

Events sit on an absolute grid (``grid_events``), so any block renders alone.
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _TABLE, _add, _burst, _fade, _filt, _modes, _norm, _panel, _reson, _t, grid_events
from .base import SoundModel, Timeline

# hum, prime, tierce, quint, nominal, then the upper partials as measured on a cast church bell
# (Rossing, *The Science of Percussion Instruments*, table of a D5 bell): above the nominal they
# drift sharp of the harmonic series (upper octave ~4.17, not 4), which is what keeps a bell
# from sounding like a plucked string. Tierce and quint as a tuned (Simpson) bell has them:
# a tempered minor third and fifth above the prime.
_PARTIALS = np.array([0.5, 1.0, 1.189, 1.498, 2.0, 2.514, 2.662, 3.011, 4.166, 5.433, 6.796, 8.215, 9.683,
                      11.2, 12.8])
# the quint is weak in most church bells (its nodal pattern barely couples to the clapper's blow
# at the soundbow); with it strong, hum, prime, quint and nominal would stack up as the first
# four harmonics of the hum: a plucked string's series, not a bell's
_AMPS = np.array([0.45, 0.6, 0.8, 0.12, 1.0, 0.5, 0.35, 0.35, 0.3, 0.22, 0.16, 0.12, 0.09, 0.07, 0.05])
_TAUS = np.array([1.0, 0.6, 0.45, 0.3, 0.35, 0.18, 0.15, 0.12, 0.08, 0.05,
                  0.035, 0.025, 0.02, 0.015, 0.012])  # of the hum's decay


def _bell(rng: np.random.Generator, sr: int, prime: float, hum_tau: float, dur: float,
          force: float = 0.5) -> np.ndarray:
    """One strike of a bell; ``force`` (0-1): a harder clapper blow is brighter, its brief
    contact exciting the upper partials and the clang more than the hum."""
    bright = 0.5 + force
    t = _t(sr, dur).astype(np.float32)
    out = np.zeros(t.size)
    for ratio, amp, tau in zip(_PARTIALS, _AMPS, _TAUS):
        f = prime * ratio * rng.uniform(0.995, 1.005)
        beat = rng.uniform(0.3, 1.6)
        p1, p2 = rng.random() * 6.28, rng.random() * 6.28
        if f > 0.45 * sr:
            continue
        m = min(t.size, int(hum_tau * tau * 8 * sr))  # to -70 dB, then nothing
        tt = t[:m]
        env = np.exp(tt * np.float32(-1 / (hum_tau * tau)))
        amp = amp * (bright if ratio > 2 else 1.0)
        out[:m] += amp * env * (np.sin(np.float32(2 * np.pi * f) * tt + np.float32(p1)) +
                                0.7 * np.sin(np.float32(2 * np.pi * (f + beat)) * tt + np.float32(p2)))
    # the strike: the clapper excites many high bending modes that die within tens of ms
    for _ in range(40):
        f = prime * np.exp(rng.uniform(np.log(4.0), np.log(30.0)))
        if f < 0.45 * sr:
            a, tau, ph = bright * rng.uniform(0.3, 0.8), rng.uniform(0.04, 0.2), rng.random() * 6.28
            m = min(t.size, int(6 * tau * sr))  # to -52 dB, then nothing
            tt = t[:m]
            out[:m] += a * np.exp(tt * np.float32(-1 / tau)) * np.sin(np.float32(2 * np.pi * f) * tt + np.float32(ph))
    thud = _burst(rng, sr, 0.02, 0.002, (200, 2000)) * 0.4
    out[:thud.size] += thud
    return _fade(out, sr, 0.0005, 0.3)


class ChurchBell(Timeline, SoundModel):
    name = "church_bell"
    category = "sfx"
    keywords = ("church bell", "church bells", "bell tower", "bells ringing", "bells ring", "bell ringing",
                "bell tolls", "bell tolling", "tolling bell", "tolling", "peal", "peal of bells", "carillon",
                "chiming bells", "cathedral bells", "bells", "bell")
    default_level_db = 0.0
    description = "church bells: a peal rung in rounds, or one bell tolling ('toll', 'funeral', 'single')"
    outdoor = True
    option_words = {"toll": ("style", "toll"), "tolls": ("style", "toll"), "tolling": ("style", "toll"),
                    "funeral": ("style", "toll"), "single": ("style", "toll"), "bell": ("style", "toll"),
                    "peal": ("style", "peal"), "pealing": ("style", "peal"), "bells": ("style", "peal"),
                    "wedding": ("style", "peal"), "chiming": ("style", "peal"), "rounds": ("style", "peal")}

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.style = self.params.options.get("style", "peal")
        if self.style == "toll":
            # one big bell, its strike note (the prime) at 300-450 Hz, its hum an octave below
            # ringing for tens of seconds: each toll rings on under the next
            self.bells = [_bell(rng, sr, rng.uniform(300, 450), 6.0, 12.0, i)]
            self.period = rng.uniform(2.6, 3.4) * sr
            self.cycle, self.rest = 1, 0
        else:
            nb = 6 if i < 0.7 else 8
            steps = [12, 11, 9, 7, 5, 4, 2, 0][-nb:]  # treble first, a major scale down
            tenor = rng.uniform(300, 420)
            self.bells = [_bell(rng, sr, tenor * 2 ** (s / 12), 5.0 * (tenor / (tenor * 2 ** (s / 12))) ** 0.7, 6.0, i)
                          for s in steps]
            self.period = rng.uniform(0.27, 0.33) * sr
            self.cycle, self.rest = 2 * nb + 1, 1  # two rows, then the handstroke gap
        self.pans = np.linspace(-0.5, 0.5, len(self.bells)) if len(self.bells) > 1 else np.zeros(1)
        self.jitter = np.abs(rng.normal(0, 0.012 * sr, _TABLE))
        self.amps = rng.uniform(0.8, 1.0, _TABLE)
        self.longest = max(b.size for b in self.bells)
        self.gain = 0.035  # headroom for a hard-struck peal of eight and its clangs (the level is calibrated)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        for k, onset in grid_events(start, n, self.period, self.longest, self.jitter):
            slot = k % self.cycle
            if slot >= self.cycle - self.rest:
                continue
            b = slot % len(self.bells)
            th = (self.pans[b] + 1) * np.pi / 4
            g = self.gain * self.amps[k % _TABLE] * np.sqrt(2)
            ev = self.bells[b]
            _add(out[:1], start, onset, ev, g * np.cos(th))
            _add(out[1:], start, onset, ev, g * np.sin(th))
        return out


def _tick(rng: np.random.Generator, sr: int, pitch: float, body: float) -> np.ndarray:
    """Escapement tick: two metal clicks (the pallet locking, then the wheel's tooth dropping)
    a few ms apart, each ringing the small brass parts (inharmonic modes around ``pitch``, damped
    in a few ms), carried by the movement's plate into the wooden case, a box whose many
    damped panel modes around ``body`` Hz ring for a couple of tens of ms."""
    n = int(0.08 * sr)
    t = np.arange(n) / sr
    out = np.zeros(n)
    case = _panel(rng, sr, 0.08, (body, body * 6), 30, (0.003, 0.008), tilt=0.3)
    for delay, amp in ((0.0, 1.0), (rng.uniform(0.004, 0.012), 0.6)):  # lock, then drop
        d = int(delay * sr)
        metal = _modes(sr, 0.08, pitch * np.array([1.0, 1.63, 2.41, 3.3]) * rng.uniform(0.97, 1.03, 4),
                       [0.002, 0.0015, 0.001, 0.0008], [1.0, 0.7, 0.5, 0.3])
        snap = rng.standard_normal(n) * np.exp(-t / 0.0004)
        hit = metal[:n] + 1.0 * snap
        out[d:] += amp * (hit[:n - d] + 0.7 * _norm(case, np.max(np.abs(metal)))[:n - d])
    return _fade(_filt(out, "highpass", 200, sr, 2), sr, 0.0002, 0.01)


class Clock(Timeline, SoundModel):
    name = "clock"
    category = "ambience"
    keywords = ("clock ticking", "clock ticks", "ticking clock", "ticking", "tick tock", "tick-tock", "ticks",
                "clock tick", "old clock", "clock on the wall", "mantel clock",
                "grandfather clock", "wall clock", "pendulum", "wristwatch", "watch ticking", "alarm clock ticking")
    needs_floor = True
    description = "a clock ticking: escapement tick-tock (wall clock; 'grandfather' slower and deeper, 'watch' fast)"
    outdoor = False
    option_words = {"grandfather": ("kind", "grandfather"), "pendulum": ("kind", "grandfather"),
                    "antique": ("kind", "grandfather"), "watch": ("kind", "watch"),
                    "wristwatch": ("kind", "watch"), "alarm": ("kind", "watch"), "wall": ("kind", "wall"),
                    "kitchen": ("kind", "wall")}

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        kind = self.params.options.get("kind", "wall")
        # the beat follows the pendulum: a longcase's metre-long one beats seconds, a wall or
        # mantel clock's shorter one half-seconds; a watch's balance five times a second
        pitch, body, period = {"grandfather": (1900, 260, 1.0), "watch": (5200, 1800, 0.2)}.get(
            kind, (3200, 500, 0.5))
        self.period = period * sr * rng.uniform(0.995, 1.005)
        self.protos = [_tick(rng, sr, pitch * rng.uniform(0.95, 1.05), body),
                       _tick(rng, sr, pitch * 0.88 * rng.uniform(0.95, 1.05), body * 0.93)]
        # every take carries the same energy, and faster clocks tick softer: the level holds
        self.protos = [p / np.sqrt(np.sum(p ** 2) / (0.01 * sr)) for p in self.protos]
        self.longest = max(p.size for p in self.protos)
        self.amps = rng.uniform(0.85, 1.0, _TABLE)
        self.jitter = np.abs(rng.normal(0, 0.0008 * sr, _TABLE))
        self.gain = 0.05 * np.sqrt(period) * (0.5 + i)  # 'loud' ticking: a nearer clock

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        for k, onset in grid_events(start, n, self.period, self.longest, self.jitter):
            _add(out, start, onset, self.protos[k % 2], self.gain * self.amps[k % _TABLE])
        return out
