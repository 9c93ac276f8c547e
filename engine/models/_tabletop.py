"""The table-top sounds of a cafe or restaurant: china and cutlery, as physics makes them.

Not a model module (the registry skips names that start with ``_``). A crowded cafe
has a steady trickle of small hard impacts: a cup set on its saucer (it bounces
two or three times), a spoon stirring (light ticks on a cup's wall), a knife
scraping and cutting across a plate, a fork put down, cutlery gathered up (a
clatter of a dozen ticks). What makes them sound like crockery and not like
bells or wine glasses:

- the contact is hard and brief (ceramic or steel on ceramic: a fraction of a
  millisecond), so each hit starts with a broadband click that carries much of
  its energy;
- the objects rest on a table or in a hand, which damps them: ceramic modes die
  in 3-25 ms, cutlery's in 15-80 ms; nothing rings on like a glass or a bell;
- each object has many inharmonic modes (a plate's or a cup wall's 2-D modes, a
  knife's free-bar modes at 1 : 2.76 : 5.40 : 8.93 ...), and where it is struck
  decides which of them sound, so no two hits have the same "pitch";
- events come in groups (bounces, stirring, a clatter), not as single dings.

Every take is a plain mono array at the output rate, made once per model from
its own random stream.
"""

from __future__ import annotations

import numpy as np

from ._amb import sin_cycles

#: free-free bar (knife, fork, spoon) mode ratios to the first
_BAR = np.array([1.0, 2.756, 5.404, 8.933, 13.34, 18.64])


def _modes(rng: np.random.Generator, sr: int, length: int, freqs: np.ndarray, amps: np.ndarray,
           decays: np.ndarray) -> np.ndarray:
    """Sum of exponentially decaying sinusoids (one row per mode), from t = 0."""
    keep = freqs < 0.45 * sr
    freqs, amps, decays = freqs[keep], amps[keep], decays[keep]
    t = np.arange(length) / sr
    env = np.exp(-t[None, :] / decays[:, None])
    ph = rng.random(freqs.size)[:, None]
    return (amps[:, None] * env * sin_cycles(freqs[:, None] * t[None, :] + ph)).sum(axis=0)


def _contact(rng: np.random.Generator, sr: int, ms: float) -> np.ndarray:
    """The click of hard contact: a raised-cosine force pulse of ``ms`` milliseconds
    (its spectrum falls off above ~1/ms kHz) roughened by a little noise (surface grit)."""
    n = max(3, int(ms * 1e-3 * sr))
    pulse = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    grit = rng.standard_normal(n + 24) * np.exp(-np.arange(n + 24) / (n * 0.7 + 4))
    out = np.zeros(n + 24)
    out[:n] += np.diff(np.concatenate([[0.0], pulse])) * 3.0  # the force's derivative radiates
    out += 0.35 * grit
    return out


def _struck(rng: np.random.Generator, sr: int, seconds: float, freqs, amps, decays,
            click_ms: tuple[float, float], ring_gain: float, click_gain: float) -> np.ndarray:
    """A hard object struck: its modes ringing (levelled on their first 10 ms) under the contact
    click (levelled on its RMS; ``click_ms`` the range its length is drawn from), so the
    balance of click and ring is set by the two gains, whatever the draw."""
    ring = _modes(rng, sr, int(seconds * sr), freqs, amps, decays)
    ring /= max(1e-9, float(np.sqrt(np.mean(ring[: int(0.01 * sr)] ** 2))))
    click = _contact(rng, sr, rng.uniform(*click_ms))
    click /= max(1e-9, float(np.sqrt(np.mean(click ** 2))))
    out = ring * ring_gain
    out[: click.size] += click * click_gain
    return out


def ceramic_hit(rng: np.random.Generator, sr: int, strength: float = 1.0, size: float = 1.0) -> np.ndarray:
    """China struck (a cup on a saucer, a plate set down): a hard click over a dozen
    damped, inharmonic wall modes between ~1 and ~9 kHz. ``size`` > 1 is a bigger piece
    (a plate: lower, denser modes)."""
    n_modes = int(rng.integers(10, 16))
    lo = 900.0 / size
    freqs = np.exp(rng.uniform(np.log(lo), np.log(9000.0), n_modes))
    amps = rng.uniform(0.2, 1.0, n_modes) * (freqs / 1000.0) ** -0.4  # the struck point picks some
    decays = rng.uniform(0.6, 1.4, n_modes) * 0.018 * (freqs / 1500.0) ** -0.6
    return _struck(rng, sr, 0.12, freqs, amps, decays, (0.12, 0.35), 0.35, 0.6) * strength


def metal_hit(rng: np.random.Generator, sr: int, strength: float = 1.0) -> np.ndarray:
    """A piece of cutlery struck (against a plate, a cup, another piece): a hard click
    and the bar's upper modes (2-9 kHz; the low ones are barely excited by a tap and
    damped by the hand or the table), ringing some tens of milliseconds."""
    f1 = rng.uniform(180.0, 600.0)
    freqs = f1 * _BAR * rng.uniform(0.98, 1.02, _BAR.size)
    freqs = np.concatenate([freqs, rng.uniform(2500.0, 8500.0, 4)])  # tines, handle, the plate touched
    amps = rng.uniform(0.3, 1.0, freqs.size) * np.where((freqs > 1800) & (freqs < 9000), 1.0, 0.15)
    decays = rng.uniform(0.015, 0.07, freqs.size) * (freqs / 3000.0) ** -0.3
    return _struck(rng, sr, 0.2, freqs, amps, decays, (0.08, 0.2), 0.3, 0.5) * strength


def scrape(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A knife cutting across a plate: friction noise (stick-slip: the grip catches and
    releases thousands of times a second) exciting the plate's modes, one to three strokes."""
    strokes = int(rng.integers(1, 4))
    stroke = rng.uniform(0.08, 0.22)
    gap = rng.uniform(0.05, 0.15)
    length = int((strokes * (stroke + gap) + 0.05) * sr)
    out = np.zeros(length)
    freqs = np.exp(rng.uniform(np.log(1200.0), np.log(7000.0), 12))
    for j in range(strokes):
        n = int(stroke * sr)
        t = np.arange(n) / sr
        # stick-slip: the force is a train of little releases, jittered, one to three thousand a
        # second (steel on glaze: a rough hiss, never a pitched growl)
        rate = rng.uniform(1000, 3000)
        slips = np.zeros(n)
        k = np.cumsum(rng.exponential(1.0 / rate, int(stroke * rate * 2) + 4))
        k = (k * sr).astype(np.int64)
        k = k[k < n]
        slips[k] = rng.uniform(0.3, 1.0, k.size)
        force = slips + 0.15 * rng.standard_normal(n)
        env = np.sin(np.pi * t / stroke) ** 0.7
        # the plate's response: the force through its damped modes (a short resonant kernel)
        kern = _modes(rng, sr, int(0.02 * sr), freqs, rng.uniform(0.2, 1.0, freqs.size),
                      np.full(freqs.size, 0.004))
        y = np.convolve(force * env, kern)[:n]
        s0 = int(j * (stroke + gap) * sr)
        out[s0:s0 + n] += y * rng.uniform(0.6, 1.0)
    return out / max(1e-9, float(np.sqrt(np.mean(out[out != 0] ** 2)))) * 0.12


def _place(out: np.ndarray, at: float, sr: int, take: np.ndarray) -> None:
    s0 = int(at * sr)
    if s0 >= out.size:
        return
    n = min(take.size, out.size - s0)
    out[s0:s0 + n] += take[:n]


def cup_on_saucer(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A cup put down: it lands, bounces once or twice (each rebound sooner and softer),
    and may rock in the saucer: china on china."""
    out = np.zeros(int(0.25 * sr))
    at, gap, strength = 0.0, rng.uniform(0.018, 0.04), 1.0
    for _ in range(int(rng.integers(2, 5))):
        _place(out, at, sr, ceramic_hit(rng, sr, strength))
        at += gap
        gap *= rng.uniform(0.5, 0.75)
        strength *= rng.uniform(0.35, 0.6)
    return out


def stirring(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A spoon stirring a cup: light ticks on the cup's wall, three to five a second,
    each a small metal tap on china."""
    ticks = int(rng.integers(3, 8))
    period = rng.uniform(0.17, 0.3)
    out = np.zeros(int((ticks * period + 0.2) * sr))
    for j in range(ticks):
        at = j * period * rng.uniform(0.9, 1.1)
        hit = ceramic_hit(rng, sr, rng.uniform(0.2, 0.45), size=0.6) + metal_hit(rng, sr, rng.uniform(0.1, 0.3))[:int(0.12 * sr)]
        _place(out, at, sr, hit)
    return out


def clatter(rng: np.random.Generator, sr: int) -> np.ndarray:
    """Cutlery gathered, or dropped on a plate: a dozen quick hits of steel and china."""
    hits = int(rng.integers(5, 14))
    out = np.zeros(int(0.6 * sr))
    at = 0.0
    for _ in range(hits):
        strength = rng.uniform(0.3, 1.0)
        take = metal_hit(rng, sr, strength) if rng.random() < 0.7 else ceramic_hit(rng, sr, strength, size=1.4)
        _place(out, at, sr, take)
        at += rng.exponential(0.03) + 0.006
    return out


def plate_down(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A plate set down or stacked: a low-ish ceramic knock, sometimes another on top."""
    out = np.zeros(int(0.35 * sr))
    at = 0.0
    for _ in range(int(rng.integers(1, 4))):
        _place(out, at, sr, ceramic_hit(rng, sr, rng.uniform(0.6, 1.0), size=rng.uniform(1.3, 2.0)))
        at += rng.uniform(0.04, 0.12)
    return out


#: kind -> (maker, share of a cafe's table-top events)
KINDS = {"cup": (cup_on_saucer, 0.25), "stir": (stirring, 0.15), "scrape": (scrape, 0.2),
         "cutlery": (clatter, 0.2), "fork": (lambda r, sr: metal_hit(r, sr, 1.0), 0.1),
         "plate": (plate_down, 0.1)}


def take(rng: np.random.Generator, sr: int, kind: str | None = None) -> np.ndarray:
    """One table-top sound (mono, unit-ish level), of ``kind`` or one drawn by its share;
    trimmed of its silent tail."""
    if kind is None:
        names = list(KINDS)
        share = np.array([KINDS[k][1] for k in names])
        kind = names[int(rng.choice(len(names), p=share / share.sum()))]
    out = KINDS[kind][0](rng, sr)
    loud = np.flatnonzero(np.abs(out) > 1e-4 * max(1e-12, float(np.abs(out).max())))
    out = out[: loud[-1] + 1] if loud.size else out
    out *= np.clip(np.arange(out.size) / 4, 0, 1)
    return out
