"""What else a playground at break sounds like besides voices: balls bounced and kicked, a whistle.

Not a model module (the registry skips names that start with ``_``): the crowd's
children (``crowd`` with place "children") mix a :class:`Play` into their yard.

- A *ball*: an inflated rubber ball rings briefly at each impact (its air cavity and
  shell, a few hundred Hz to ~1.2 kHz, dying in tens of milliseconds) over a dull thump
  of contact. Dribbled, it comes back every ~0.4-0.6 s at much the same height; dropped
  or thrown, each bounce keeps a share ``e`` (the coefficient of restitution, ~0.75-0.85)
  of its speed, so the gaps shrink by ``e`` and the impacts soften by ``e`` until it
  rolls. A kick is a harder slap of foot on ball, then the ball landing further off.
- A *whistle*: a teacher's pea whistle, a tone near 3 kHz warbled 25-40 times a second
  by the pea interrupting the air, in one to three blasts. Rare.

Every sound is 5-25 m off in the open: level as 1/distance, and one late, dull
reflection from the school wall.
"""

from __future__ import annotations

import numpy as np

from ._amb import Sparse, blasts_envelope, pan_pair, sin_cycles


def _impact(sr: int, length: int, rng: np.random.Generator, hard: float) -> np.ndarray:
    """One ball impact: the cavity/shell ring over a contact thump; ``hard`` 0..1."""
    t = np.arange(length) / sr
    f = rng.uniform(500, 1100)
    ring = sin_cycles(f * t + rng.random()) * np.exp(-t / rng.uniform(0.02, 0.045))
    ring += 0.4 * sin_cycles(f * rng.uniform(2.1, 2.5) * t + rng.random()) * np.exp(-t / 0.015)
    thump = sin_cycles(rng.uniform(90, 160) * t) * np.exp(-t / 0.012)
    slap = rng.standard_normal(length) * np.exp(-t / (0.0015 + 0.002 * hard))
    return ring * 0.6 + thump * 0.8 + slap * (0.3 + 0.9 * hard)


def ball_take(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A ball dribbled, dropped or kicked (mono float32)."""
    style = rng.random()
    hit_len = int(0.12 * sr)
    times, amps, hards = [], [], []
    if style < 0.4:  # dribbled: steady bounces
        gap = rng.uniform(0.4, 0.6)
        for k in range(int(rng.integers(3, 8))):
            times.append(k * gap * rng.uniform(0.95, 1.05))
            amps.append(rng.uniform(0.7, 1.0))
            hards.append(0.3)
    else:  # dropped or kicked: bounces that shorten and soften by the restitution
        e = rng.uniform(0.75, 0.85)
        t, gap, amp = 0.0, rng.uniform(0.5, 0.9), 1.0
        if style > 0.75:  # kicked: the foot first, the ball lands ~0.5-1 s later
            times.append(0.0)
            amps.append(1.2)
            hards.append(1.0)
            t = rng.uniform(0.5, 1.0)
        while gap > 0.06 and amp > 0.08:
            times.append(t)
            amps.append(amp)
            hards.append(0.4)
            t += gap
            gap *= e
            amp *= e
    length = int((times[-1] + 0.2) * sr) + hit_len
    out = np.zeros(length)
    for t0, a, h in zip(times, amps, hards):
        k = int(t0 * sr)
        out[k:k + hit_len] += a * _impact(sr, hit_len, rng, h)
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def whistle_take(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A pea whistle: one to three blasts of a ~3 kHz tone warbled by the pea (mono float32)."""
    blasts = [rng.uniform(0.25, 0.9) for _ in range(int(rng.integers(1, 4)))]
    gap = rng.uniform(0.12, 0.25)
    length = int((sum(blasts) + gap * len(blasts) + 0.1) * sr)
    t = np.arange(length) / sr
    env = blasts_envelope(t, blasts, gap, 0.015, 0.03)
    f = rng.uniform(2700, 3400)
    warble = rng.uniform(25, 40)
    depth = rng.uniform(0.03, 0.06)
    phase = np.cumsum(f * (1 + depth * np.sin(2 * np.pi * warble * t))) / sr
    am = 0.7 + 0.3 * np.sin(2 * np.pi * warble * t + 1.0)
    tone = sin_cycles(phase) + 0.25 * sin_cycles(2 * phase)
    breath = rng.standard_normal(length) * 0.08
    return ((tone * am + breath) * env * 0.5).astype(np.float32)


class Play:
    """Balls and the odd whistle across a playground, as full-rate stereo blocks."""

    def __init__(self, rng: np.random.Generator, sr: int, intensity: float) -> None:
        self.sr = sr
        self.ball_rate = 0.12 + 0.2 * intensity  # ball sequences a second, somewhere in the yard
        self.whistle_rate = 1.0 / 45.0
        self.balls = [self._with_wall(ball_take(rng, sr), rng) for _ in range(8)]
        self.whistles = [self._with_wall(whistle_take(rng, sr), rng) for _ in range(3)]
        self.ball_sched = Sparse(int(rng.uniform(0.2, 1.0) / self.ball_rate * sr))
        self.whistle_sched = Sparse(int(rng.uniform(0.3, 1.0) / self.whistle_rate * sr))
        self.active: list[list] = []  # sounding takes, see _place (played < 0: starts within the block)

    def _with_wall(self, take: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A take with the school wall's reflection: later (40-90 ms) and duller (an 8-point mean)."""
        wall = int(rng.uniform(0.04, 0.09) * self.sr)
        mono = np.concatenate([take, np.zeros(wall, dtype=np.float32)])
        echo = np.convolve(take, np.full(8, 1 / 8, dtype=np.float32))[: take.size]
        mono[wall:wall + take.size] += 0.3 * echo
        return mono

    def _place(self, take: np.ndarray, rng: np.random.Generator, level: float) -> list:
        """A sounding take: [samples played, mono take, left gain, right gain]."""
        g = level * 5.0 / rng.uniform(5.0, 25.0)  # 5-25 m off: level as 1/distance
        gl, gr = pan_pair(rng.uniform(-0.9, 0.9))
        return [0, take, np.float32(g * gl), np.float32(g * gr)]

    def add_to(self, rng: np.random.Generator, out: np.ndarray) -> None:
        """Mix this block's share of every sounding ball and whistle into ``out`` (2, n) in place
        (no buffer of its own: most blocks are silent)."""
        n = out.shape[1]
        sr = self.sr
        for s in self.ball_sched.onsets(n, lambda: sr * rng.exponential(1.0 / self.ball_rate)):
            self.active.append(self._place(self.balls[int(rng.integers(len(self.balls)))], rng, 0.1))
            self.active[-1][0] = -s
        for s in self.whistle_sched.onsets(n, lambda: sr * rng.exponential(1.0 / self.whistle_rate)):
            self.active.append(self._place(self.whistles[int(rng.integers(len(self.whistles)))], rng, 0.05))
            self.active[-1][0] = -s
        for ev in self.active:
            done, take, gl, gr = ev
            a, b = max(0, -done), min(n, take.size - done)
            if b > a:
                piece = take[a + done:b + done]
                out[0, a:b] += piece * gl
                out[1, a:b] += piece * gr
            ev[0] = done + n
        self.active = [ev for ev in self.active if ev[0] < ev[1].size]
