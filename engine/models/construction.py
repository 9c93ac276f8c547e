"""A construction site: a pneumatic jackhammer, power tools, hammering and a reversing beeper.

Jackhammer (pneumatic breaker): a piston driven by compressed air strikes the
tool shank 15-25 times a second (900-1500 blows a minute). Each blow is a
bright steel-on-steel click, the chisel's bending modes ringing briefly (a
free-free bar: partials at 1 : 2.76 : 5.40 : 8.93 of the first, ~300-600 Hz
for a half-metre steel chisel, damped within ~10 ms by the hands and the
concrete), a crunch of broken concrete and a thump through the ground; after
each blow the cylinder exhausts: a hiss burst chopped at the blow rate. The
operator works in bursts of a few seconds and pauses to reposition.

Power tools are universal motors: a whine at the rotation rate and its
harmonics, a fan/blade-pass tone (blades x rotation), spin-up and a slower
spin-down, the speed sagging and the grinding/cutting noise rising under load
(Farnell, *Designing Sound*, "motors"). Hammering: steel on a nail, whose
ring rises in pitch as the nail goes in (its free length shortens), the last
blow a dull thud on wood. The reversing beeper of a truck is a ~1.1 kHz tone,
half a second on, half off. Under it all a diesel compressor drones at its
firing frequency (rpm/60 x cylinders/2) and the city roars far off.

Every episode (a burst, a tool run, a group of blows, a reversing) is
synthesised whole when it starts, from the block's random stream, and rings
into later blocks through an :class:`EventBus`: deterministic and
prefix-stable.
"""

from __future__ import annotations

import numpy as np

from ._amb import ColoredNoise, Oscillator, pan_pair, sin_cycles, to_output
from .base import _NOISE_LEN, EventBus, SoundModel, StatefulFilter, _noise_table, butter

_BAR_MODES = (1.0, 2.76, 5.40, 8.93)  # free-free bending modes of a bar
_CTL = 16  # control curves of an episode (envelopes, motor speed) are computed every this many samples
_JH_RMS, _MOTOR_RMS = 0.095, 0.16  # episode levels (by power) before the site's mix
_VARIANTS = 4  # distinct blows per burst (the chisel turns, the concrete differs)
_MOTORS = {
    # rotation Hz, harmonic weights, blade count, load noise band Hz
    "grinder": (180.0, (1.0, 0.5, 0.35, 0.5, 0.25, 0.2, 0.15, 0.12), 11, (2500, 9000)),
    "drill": (260.0, (1.0, 0.6, 0.3, 0.25, 0.15, 0.1), 7, (1200, 6000)),
    "saw": (85.0, (1.0, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1), 24, (1500, 8000)),
}
#: tool -> share of the site's activity: (jackhammer, motors, hammering, beeper) rates scale
_FOCUS = {"jackhammer": (1.0, 0.35, 0.4, 0.5), "drill": (0.3, 1.0, 0.5, 0.5), "grinder": (0.3, 1.0, 0.5, 0.5),
          "saw": (0.3, 1.0, 0.5, 0.5), "hammer": (0.3, 0.4, 1.0, 0.5), None: (0.8, 0.6, 0.7, 0.6)}


def _filtered(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """``x`` through ``sos`` from rest (float32 in, float32 out)."""
    return StatefulFilter(sos, channels=1, dtype=x.dtype)(x[None])[0]


def _white(rng: np.random.Generator, n: int) -> np.ndarray:
    """n samples of white Gaussian noise (float32) read from the engine's shared table,
    wrapping around it (an episode may be longer than the table's window reads allow)."""
    table = _noise_table(np.float32)
    start = int(rng.integers(0, _NOISE_LEN))
    return np.take(table, np.arange(start, start + n) % _NOISE_LEN)


def blow_times(rng: np.random.Generator, seconds: float, rate: float) -> np.ndarray:
    """Blow instants (s) of one jackhammer burst: the rate comes up over ~0.15 s as the
    trigger opens, then holds with a few percent of cycle-to-cycle jitter."""
    times = []
    t = 0.0
    while t < seconds:
        times.append(t)
        ramp = 0.65 + 0.35 * min(1.0, t / 0.15)
        t += (1.0 + 0.03 * rng.standard_normal()) / (rate * ramp)
    return np.asarray(times)


def jackhammer_burst(rng: np.random.Generator, sr: int, seconds: float, rate: float) -> np.ndarray:
    """One burst of a pneumatic breaker (mono): impacts at ``rate`` Hz with exhaust hiss."""
    times = blow_times(rng, seconds, rate)
    m = int(seconds * sr) + 1
    kernels = []
    f1 = rng.uniform(380, 560)
    t = np.arange(int(0.06 * sr)) / sr
    for _ in range(_VARIANTS):
        k = np.zeros(t.size)
        for ratio, a in zip(_BAR_MODES, (0.3, 0.45, 0.4, 0.3)):
            f = f1 * ratio * rng.uniform(0.97, 1.03)
            if f < 0.45 * sr:
                k += a * rng.uniform(0.4, 1.0) * np.exp(-t / rng.uniform(0.003, 0.007)) * np.sin(2 * np.pi * f * t)
        click = rng.standard_normal(t.size) * np.exp(-t / 0.0015)
        k += 1.0 * _filtered(click, butter("bandpass", (1500, 12000), sr, 2))
        crunch = rng.standard_normal(t.size) * np.exp(-t / 0.007)
        k += 0.8 * _filtered(crunch, butter("bandpass", (400, 6000), sr, 1))
        k += 0.3 * np.exp(-t / 0.01) * np.sin(2 * np.pi * rng.uniform(90, 140) * t)  # ground thump
        kernels.append(k)
    idx = np.minimum((times * sr).astype(int), m - 1)
    amp = rng.uniform(0.75, 1.0, idx.size) * np.clip(times / 0.12, 0.5, 1.0)
    which = rng.integers(0, _VARIANTS, idx.size)
    out = np.zeros(m + t.size, dtype=np.float32)
    kernels32 = [k.astype(np.float32) for k in kernels]
    for i0, a, w in zip(idx.tolist(), amp.tolist(), which.tolist()):  # ~20 blows a second: slices are cheap
        out[i0:i0 + t.size] += np.float32(a) * kernels32[w]
    # the exhaust: a hiss burst after each blow, and a steady leak between (its envelope
    # computed at a sixteenth of the rate: ~3 kHz resolves a 20 Hz cycle finely)
    pos = np.arange(0, out.size, _CTL) / sr
    cycle = np.interp(pos, times, np.arange(times.size), right=times.size)
    phase = cycle - np.floor(cycle)
    env = 0.25 + np.exp(-np.maximum(phase - 0.3, 0) / 0.18) * (phase > 0.3)
    env *= np.clip((seconds + 0.05 - pos) / 0.04, 0, 1)  # the exhaust stops with the last blow
    env = np.repeat(env.astype(np.float32), _CTL)[:out.size]
    hiss = _filtered(_white(rng, out.size),
                     np.vstack([butter("bandpass", (900, 10000), sr, 2), butter("highpass", 600, sr, 1)]))
    out += 0.45 * hiss * env
    # normalised by its power, not its highest blow: one odd peak must not set a burst's level
    return out * (_JH_RMS / (float(np.sqrt(np.mean(out[: int(seconds * sr)] ** 2))) + 1e-12))


def motor_run(rng: np.random.Generator, sr: int, seconds: float, kind: str) -> np.ndarray:
    """One run of a power tool (mono): spin-up, a working stretch whose speed sags under
    load while the cutting noise rises, and a spin-down after the trigger is let go."""
    f_rot, weights, blades, band = _MOTORS[kind]
    f_rot *= rng.uniform(0.9, 1.1)
    spin_down = 1.2
    m = int((seconds + spin_down) * sr)
    # the speed, load and phase curves are smooth: computed every _CTL samples, then
    # brought up by linear interpolation (of the phase: exact while the speed holds)
    t = np.arange(0, m + _CTL, _CTL) / sr
    speed = (1 - np.exp(-t / 0.18)) * np.where(t < seconds, 1.0, np.exp(-(t - seconds) / 0.35))
    # load: the tool bites in a few times (smooth segments)
    knots_t = np.arange(0, seconds + 0.5, 0.35)
    knots = (rng.random(knots_t.size) < 0.6) * rng.uniform(0.5, 1.0, knots_t.size)
    knots[:2] = 0.0
    # eased (raised-cosine) between knots: the operator leans in and backs off smoothly
    x = t / 0.35
    i = np.minimum(x.astype(np.intp), knots.size - 2)
    w = 0.5 - 0.5 * np.cos(np.pi * np.clip(x - i, 0, 1))
    load_c = (knots[i] * (1 - w) + knots[i + 1] * w) * (t < seconds)
    f = f_rot * speed * (1 - 0.15 * load_c)
    ph_c = np.concatenate([[0.0], np.cumsum(f[:-1]) * (_CTL / sr)])
    full = np.arange(m) / _CTL
    grid = np.arange(t.size)
    ph = np.interp(full, grid, ph_c)
    load = np.interp(full, grid, load_c).astype(np.float32)
    speed = np.interp(full, grid, speed).astype(np.float32)
    # one revolution of the whine (harmonics with random phases), read at the running phase
    size = 4096
    k = np.arange(1, len(weights) + 1)[:, None]
    cyc = np.arange(size) / size
    table = (np.asarray(weights)[:, None] * np.sin(2 * np.pi * (k * cyc + rng.random((k.size, 1))))).sum(0)
    out = table.astype(np.float32)[(ph * size).astype(np.intp) % size]
    if blades * f_rot < 0.4 * sr:
        out += np.float32(0.6) * sin_cycles(blades * ph) * (np.float32(0.3) + load)
    air = _filtered(_white(rng, m), butter("bandpass", (400, 5000), sr, 1))
    cut = _filtered(_white(rng, m), butter("bandpass", band, sr, 2))
    x = (np.float32(0.5) * out + np.float32(0.25) * air) * (speed * speed) + np.float32(1.4) * cut * load
    return x * (_MOTOR_RMS / (float(np.sqrt(np.mean(x[: int(seconds * sr)] ** 2))) + 1e-12))


def hammering(rng: np.random.Generator, sr: int, blows: int) -> np.ndarray:
    """Driving one nail (mono): blows ~0.5 s apart whose ring rises as the nail goes in;
    the last blow lands the head on the wood, a dull thud."""
    period = rng.uniform(0.4, 0.6)
    m = int((blows * period + 0.4) * sr)
    out = np.zeros(m, dtype=np.float32)
    t = (np.arange(int(0.18 * sr)) / sr).astype(np.float32)
    f_nail = rng.uniform(2200, 3000)
    wood = rng.uniform(180, 320)
    # the decays are the same for every blow: computed once
    d_ring, d_over, d_wood = (np.exp(-t / np.float32(tau)) for tau in (0.03, 0.015, 0.015))
    thud = d_wood * sin_cycles(wood * t)
    k = int(0.02 * sr)  # the strike itself: a couple of milliseconds of broadband noise
    strike = d_ring[:k] ** 12  # exp(-t / 2.5 ms)
    sos = butter("bandpass", (800, 8000), sr, 1)
    for b in range(blows):
        start = int((b * period + rng.uniform(-0.03, 0.03) + 0.03) * sr)
        last = b == blows - 1
        f = f_nail * (1 + 0.6 * b / max(1, blows - 1))  # shorter free length, higher ring
        ev = np.float32(1.6 if last else 1.0) * thud
        if not last:  # the last blow seats the head on the wood: no ring
            ev = ev + np.float32(0.5) * d_ring * sin_cycles(f * t) \
                + np.float32(0.25) * d_over * sin_cycles(2.9 * f * t)
        ev[:k] += np.float32(1.5) * _filtered(_white(rng, k) * strike, sos)  # steel on steel: a bright clack
        end = min(m, start + t.size)
        out[start:end] += ev[:end - start] * np.float32(rng.uniform(0.8, 1.0))
    return out / (np.abs(out).max() + 1e-12)


def reversing_beeper(sr: int, seconds: float, freq: float) -> np.ndarray:
    """A truck's reversing alarm (mono): a square-ish tone, 0.5 s on and 0.5 s off."""
    t = np.arange(sr) / sr  # one on/off period, tiled
    tone = sum(np.sin(2 * np.pi * k * freq * t) / k for k in (1, 3, 5) if k * freq < 0.4 * sr)
    ramp = np.clip(np.minimum(t, 0.5 - t) / 0.004, 0, 1) * (t < 0.5)  # 4 ms edges, no clicks
    cycle = tone * ramp / (np.abs(tone).max() + 1e-12)
    return np.resize(cycle, int(seconds * sr))


class Construction(SoundModel):
    name = "construction"
    category = "ambience"
    keywords = ("construction", "construction site", "building site", "construction work", "construction workers",
                "jackhammer", "jack hammer", "pneumatic drill", "pneumatic hammer", "road works", "roadworks",
                "road work", "demolition", "power tool", "power tools", "power drill",
                "angle grinder", "circular saw", "hammering nails", "nailing", "hammer and nails",
                "reversing beeper", "backup beeper", "workmen", "builders")
    description = ("a construction site: jackhammer bursts (blows at ~20 Hz with exhaust hiss), power tools, "
                   "hammering, a reversing beeper over a diesel compressor")
    outdoor = True
    option_words = {"jackhammer": ("tool", "jackhammer"), "pneumatic": ("tool", "jackhammer"),
                    "breaker": ("tool", "jackhammer"), "drill": ("tool", "drill"), "drilling": ("tool", "drill"),
                    "grinder": ("tool", "grinder"), "grinding": ("tool", "grinder"), "saw": ("tool", "saw"),
                    "sawing": ("tool", "saw"), "hammering": ("tool", "hammer"), "nails": ("tool", "hammer"),
                    "nailing": ("tool", "hammer")}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        tool = self.params.options.get("tool")
        self.focus = _FOCUS.get(tool, _FOCUS[None])
        self.tool = tool
        self.rate = rng.uniform(17.0, 24.0)  # blows per second of this site's breaker
        self.f_beep = rng.uniform(1000, 1250)
        self.bus = EventBus()
        # the next start of each source, samples from the current block's start
        jh, mo, ha, be = self.focus
        self.next = {
            "jackhammer": int(rng.uniform(0.0, 0.4 if jh >= 0.8 else 4.0) * sr),
            "motor": int(rng.uniform(0.5, 3.0) / mo * sr),
            "hammer": int(rng.uniform(1.0, 5.0) / ha * sr),
            "beeper": int(rng.uniform(4.0, 15.0) / be * sr),
        }
        # the tool the note names is already at work when the scene starts
        lead = {"hammer": "hammer", "jackhammer": "jackhammer"}.get(tool, "motor" if tool in _MOTORS else None)
        if lead is not None:
            self.next[lead] = int(rng.uniform(0.0, 0.4) * sr)
        # diesel compressor: 4 cylinders at ~1800-2200 rpm, firing at rpm/60 x 2
        self.f_fire = rng.uniform(1800, 2200) / 60 * 2
        self.osc = Oscillator(sr, rng.random())
        cyc = np.arange(4096) / 4096
        self.diesel = sum(a * np.sin(2 * np.pi * h * cyc) for h, a in
                          ((1, 1.0), (2, 0.6), (3, 0.45), (4, 0.3), (6, 0.2), (8, 0.1))).astype(np.float32)
        self.roar = ColoredNoise(sr, np.vstack([butter("bandpass", (50, 900), sr, 1)]), fade=1024)
        self.dust = ColoredNoise(sr, np.vstack([butter("bandpass", (300, 3000), sr, 1)]), fade=256)
        self.g_bed = 0.05 * (0.6 + 0.6 * i)

    def _episode(self, rng: np.random.Generator, kind: str) -> tuple[np.ndarray, float]:
        """Synthesise one episode of ``kind``: (stereo event, seconds until the next one starts)."""
        sr = self.sr
        jh, mo, ha, be = self.focus
        busy = 0.6 + 0.8 * self.i
        if kind == "jackhammer":
            dur = rng.uniform(1.5, 5.0) * (0.7 + 0.6 * jh)
            x = jackhammer_burst(rng, sr, dur, self.rate * rng.uniform(0.97, 1.03))
            level, pan = 0.55, rng.uniform(-0.35, 0.35)
            gap = dur + rng.uniform(0.5, 2.5) / (jh * busy)
        elif kind == "motor":
            tool = self.tool if self.tool in _MOTORS else ("grinder", "drill", "saw")[int(rng.integers(3))]
            dur = rng.uniform(1.5, 4.5)
            x = motor_run(rng, sr, dur, tool)
            level, pan = 0.3 * (1.6 if self.tool in _MOTORS else 1.0), rng.uniform(-0.8, 0.8)
            gap = dur + rng.uniform(3.0, 10.0) / (mo * busy)
        elif kind == "hammer":
            x = hammering(rng, sr, int(rng.integers(4, 9)))
            level, pan = 0.3 * (1.5 if self.tool == "hammer" else 1.0), rng.uniform(-0.9, 0.9)
            gap = x.size / sr + rng.uniform(1.0, 6.0) / (ha * busy)
        else:
            dur = float(rng.integers(4, 9))
            x = reversing_beeper(sr, dur, self.f_beep)
            level, pan = 0.08, rng.uniform(-0.9, 0.9)
            gap = dur + rng.uniform(12.0, 30.0) / be
        # the site between buildings: a couple of late, darker reflections
        wet = x.copy()
        for delay, g in ((rng.uniform(0.03, 0.07), 0.35), (rng.uniform(0.09, 0.16), 0.2)):
            k = int(delay * sr)
            wet[k:] += g * x[:-k]
        gl, gr = pan_pair(pan)
        # a busier site: more going on, and the work nearer the microphone
        return np.vstack([wet * gl, wet * gr]) * (level * (0.5 + self.i)), gap

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        buf = self.bus.begin(n)
        for kind in ("jackhammer", "motor", "hammer", "beeper"):
            while self.next[kind] < n:
                ev, gap = self._episode(rng, kind)
                self.bus.add(self.next[kind], ev)
                self.next[kind] += max(1, int(gap * sr))
            self.next[kind] -= n
        # the compressor's diesel: firing harmonics through the muffler, and the far city
        size = self.diesel.size
        eng = self.diesel[(self.osc.phases(self.f_fire, n) * size).astype(np.intp) % size]
        bed = self.roar(rng, n, gain=0.6 * self.roar.scale)
        bed += eng * np.float32(0.1)
        bed += self.dust(rng, n, gain=0.08)
        return to_output(buf + bed * self.g_bed)
