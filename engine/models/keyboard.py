"""Typing on a keyboard: keystrokes in words, spaces and pauses to think.

A keystroke is three small impacts (Asonov & Agrawal 2004; Zhuang et al.
2005): the finger hitting the keycap, the key bottoming out on the plate (the
loudest, exciting the keyboard's body resonance), and, ~60-120 ms later, the
softer release as the key returns. Keycaps ring in a few kilohertz, the body
and desk a few hundred hertz; the space bar is longer, lower and rattles on its
stabiliser wire. The rhythm is that of a typist: inter-key intervals around
120-200 ms within a word, a space between words, a longer pause now and then.
The keyboard stands on a desk: every bottom-out pushes through its feet into
the desk top, whose bending modes (50 Hz-1.2 kHz, a furnished desk's damping)
radiate the low "thock" that carries across a room and rings on under the next
keys; each key drives the shared modes by their shapes at its place on the desk.
Prototypes (a dozen keys, two space bars) are made once per
layer; the typing schedule is drawn causally from each block's random stream
and each keystroke rings on across blocks (:class:`EventBus`).
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _burst, _fade, _filt, _reson
from .base import EventBus, SoundModel


def _impact(rng, sr, cap_f: float, body_f: float, loud: float, click: float, body_gain: float = 0.7) -> np.ndarray:
    """Plastic on plastic: heavily damped, so a noisy click through low-Q resonances (the
    keycap's few kilohertz, the case's few hundred hertz), not a ringing tone."""
    n = int(0.04 * sr)
    t = np.arange(n) / sr
    hit = rng.standard_normal(n) * np.exp(-t / 0.0015)
    cap = _reson(hit, cap_f, 2.0, sr)
    body = _reson(rng.standard_normal(n) * np.exp(-t / 0.004), body_f, 2.5, sr) * body_gain
    tick = _burst(rng, sr, 0.004, 0.0004, (2000, 12000)) * click
    out = cap + body
    out[:tick.size] += tick
    return out * loud


def _keystroke(rng, sr, kind: str, mech: bool, laptop: bool = False) -> tuple[np.ndarray, int, int]:
    """Press (finger on cap, then bottom-out) and release, as one prototype; with the samples
    at which the key bottoms out and is released (where the desk is struck).

    ``laptop``: scissor switches under thin, small caps: half the travel (1-1.5 mm against
    3-4 mm), a soft tick rather than a click, the caps ringing higher and the thin chassis
    (not a deep case) answering the bottom-out, higher and weaker."""
    cap_f = (rng.uniform(2500, 4500) if kind == "key" else rng.uniform(1200, 2000)) * (1.15 if laptop else 1.0)
    body_f = (rng.uniform(250, 500) if kind == "key" else rng.uniform(140, 260)) * (1.6 if laptop else 1.0)
    click = 1.6 if mech else (0.12 if laptop else 0.25)
    # a small key's bottom-out barely moves the case (a light thock under the plastic click);
    # the space bar is long, heavy and hits on its stabiliser: lower, louder
    press = _impact(rng, sr, cap_f, body_f, 1.0 if kind == "key" else 1.5, click,
                    body_gain=(0.7 if kind == "key" else 1.2) * (0.5 if laptop else 1.0))
    travel = int(rng.uniform(0.006, 0.012) * sr * (0.5 if laptop else 1.0))
    release_at = int(rng.uniform(0.07, 0.12) * sr)
    release = _impact(rng, sr, cap_f * 1.1, body_f * 1.2, rng.uniform(0.25, 0.4), click * 0.5)
    out = np.zeros(release_at + release.size)
    touch = _burst(rng, sr, 0.004, 0.0006, (1500, 8000)) * 0.25
    out[:touch.size] += touch
    out[travel:travel + press.size] += press
    out[release_at:] += release
    if kind == "space":  # the stabiliser wire rattles
        out[travel:travel + int(0.02 * sr)] += _burst(rng, sr, 0.02, 0.006, (3000, 9000))[: int(0.02 * sr)] * 0.3
    out = _filt(out, "highpass", 120, sr, 2)
    return _fade(out, sr, 0.0002, 0.01), travel, release_at


#: a desk top: chipboard or MDF (Young's modulus, density, Poisson's ratio)
DESK_E, DESK_RHO, DESK_NU = 3e9, 650.0, 0.3
DESK_ETA = (0.03, 0.05)  # loss factor (see desk_modes)
#: the desk's ring under a key, relative to the key's own click (rms over the first 10 ms)
DESK_GAIN = 0.18
#: how hard the release strikes the desk, relative to the bottom-out: the key's stem stops
#: against its own housing, so only the small key's momentum reaches the desk, not the finger's
DESK_RELEASE = 0.15
DESK_TAIL = 0.3  # seconds of ring kept per keystroke (the last 0.1 s faded)
#: how much of a keystroke reaches the desk through a laptop's rubber feet (against a keyboard
#: lying on it): the feet are soft springs that isolate all but the lowest desk modes
LAPTOP_FEET = 0.3
SPEED_OF_SOUND = 343.0


def desk_modes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Frequencies and (m, n) indices of a desk top's bending modes up to 1.2 kHz, its size
    (a, b) in metres and its loss factor.

    A simply supported plate: f_mn = pi/2 sqrt(D / rho h) ((m/a)^2 + (n/b)^2), with
    D = E h^3 / 12 (1 - nu^2). For a 1.2-1.6 x 0.6-0.8 m top 18-30 mm thick that is a first mode
    near 50-90 Hz and then one every 25-55 Hz. Chipboard alone has a loss factor of 0.02-0.03;
    a desk on its legs with a keyboard, a screen and papers on it loses more (0.03-0.05), so a
    mode rings for tau = 1 / (pi f eta): 60-110 ms at 100 Hz, 6-11 ms at 1 kHz. (At 0.02-0.04 the
    lowest modes rang on from key to key as a pitched drone that a music detector heard.)
    """
    a, b, h = rng.uniform(1.2, 1.6), rng.uniform(0.6, 0.8), rng.uniform(0.018, 0.03)
    c = np.sqrt(DESK_E * h * h / (12 * (1 - DESK_NU ** 2) * DESK_RHO))  # sqrt(D / rho h), m^2/s
    m, n = np.meshgrid(np.arange(1, 40), np.arange(1, 20), indexing="ij")
    f = np.pi / 2 * c * ((m / a) ** 2 + (n / b) ** 2)
    keep = (f > 50) & (f < 1200)
    return f[keep], np.stack([m[keep], n[keep]]), a, b, rng.uniform(*DESK_ETA)


def _decaying_sines(f: np.ndarray, decay: np.ndarray, n: int, sr: int, chunk: int = 1024) -> np.ndarray:
    """(modes, n) exp(-decay t) sin(2 pi f t): one chunk of complex exponentials, then each
    next chunk as the previous times the step over a chunk (a few times cheaper than exp and
    sin of every sample)."""
    s = (-decay + 2j * np.pi * f)[:, None] / sr
    first = np.exp(s * np.arange(chunk))
    step = np.exp(s * chunk)
    out = np.empty((f.size, -(-n // chunk) * chunk))
    z = first
    for j in range(0, out.shape[1], chunk):
        out[:, j:j + chunk] = z.imag
        z = z * step
    return out[:, :n]


def desk_rings(rng: np.random.Generator, sr: int, n_keys: int, n_spaces: int) -> list[np.ndarray]:
    """What the desk radiates when each key (then each space bar) strikes it, at unit force.

    A key drives mode (m, n) by its shape sin(m pi x / a) sin(n pi y / b) at the key's place:
    the keyboard sits 15-30 cm in from the desk's front edge, its keys spread over 36 x 11 cm,
    the space bars at the front. The desk is not baffled: below the frequency where it is
    about half a wavelength across, its two faces cancel (a dipole, pressure ~ (ka)^2), so its
    lowest modes ring but are hardly heard; what is left under 80 Hz is high-passed away, as
    the keystrokes themselves are at 120 Hz."""
    f, (mi, ni), a, b, eta = desk_modes(rng)
    ka2 = (2 * np.pi * f * np.sqrt(a * b / np.pi) / SPEED_OF_SOUND) ** 2
    basis = (ka2 / (1 + ka2))[:, None] * _decaying_sines(f, np.pi * f * eta, int(DESK_TAIL * sr), sr)
    fall = int(0.1 * sr)
    basis[:, -fall:] *= np.linspace(1.0, 0.0, fall) ** 2
    x0, y0 = a / 2 + rng.uniform(-0.2, 0.2), rng.uniform(0.15, 0.3)
    spots = [(x0 + rng.uniform(-0.18, 0.18), y0 + rng.uniform(-0.05, 0.06)) for _ in range(n_keys)]
    spots += [(x0 + rng.uniform(-0.03, 0.03), y0 - 0.06) for _ in range(n_spaces)]
    x, y = np.array(spots).T
    shapes = np.sin(np.outer(x / a, mi * np.pi)) * np.sin(np.outer(y / b, ni * np.pi))  # (keys, modes)
    return list(_filt(shapes @ basis, "highpass", 80, sr, 2))


def on_desk(strokes: list[tuple[np.ndarray, int, int]], rings: list[np.ndarray], sr: int,
            weights: list[float]) -> list[np.ndarray]:
    """Each keystroke with its desk ring added at the bottom-out and (softer) at the release.

    The rings are scaled together so that on average a key's ring is ``DESK_GAIN`` of its
    click over the first 10 ms; ``weights`` are how hard each key lands (the space bar harder)."""
    ten = int(0.01 * sr)
    click = np.mean([np.mean(w[bottom:bottom + ten] ** 2) for w, bottom, _ in strokes])
    ring = np.mean([np.mean(r[:ten] ** 2) for r in rings])
    scale = DESK_GAIN * np.sqrt(click / ring)
    out = []
    for (wave, bottom, release), r, weight in zip(strokes, rings, weights):
        r = r * scale * weight
        x = np.zeros(max(wave.size, release + r.size))
        x[:wave.size] += wave
        x[bottom:bottom + r.size] += r
        x[release:release + r.size] += DESK_RELEASE * r
        out.append(x)
    return out


class KeyboardTyping(SoundModel):
    name = "keyboard_typing"
    category = "ambience"
    keywords = ("typing", "typing on a keyboard", "keyboard", "keyboard typing", "keystrokes", "keystroke",
                "typist", "typing away", "computer keyboard", "mechanical keyboard", "laptop keyboard",
                "clacking keys", "keys clacking", "someone typing", "typewriter")
    needs_floor = True
    description = "typing on a keyboard: keystrokes in words, space bar between them, pauses to think"
    outdoor = False
    # "someone typing": a colleague at a desk a few metres away, not a keyboard under the
    # microphone. Heard across a room a keystroke loses its brightest edge to air and
    # furnishings and arrives with the room's early reflections; at the sfx default (0.3) the
    # 6-12 kHz tick was as loud as a coin on a table ("Coin (dropping)", "Scissors" on top)
    default_distance = 0.5
    option_words = {"mechanical": ("kind", "mechanical"), "clicky": ("kind", "mechanical"),
                    "typewriter": ("kind", "mechanical"), "laptop": ("kind", "laptop"),
                    "quiet": ("kind", "laptop"), "soft": ("kind", "laptop"), "quietly": ("kind", "laptop"),
                    "softly": ("kind", "laptop"), "fast": ("speed", 1.4),
                    "furiously": ("speed", 1.5), "slow": ("speed", 0.7), "slowly": ("speed", 0.7)}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        mech = self.params.options.get("kind") == "mechanical"
        laptop = self.params.options.get("kind") == "laptop"
        keys = [_keystroke(rng, sr, "key", mech, laptop) for _ in range(12)]
        spaces = [_keystroke(rng, sr, "space", mech, laptop) for _ in range(2)]
        try:
            speed = float(self.params.options.get("speed", 1.0))
        except (TypeError, ValueError):
            speed = 1.0
        # median seconds between keys in a word: 0.14 s is 7 keys/s, a steady office typist
        # (5-10 keys/s in bursts; 0.17 s made a slow hunt-and-peck)
        self.interval = 0.14 / (speed * (0.8 + 0.4 * i))
        self.bus = EventBus(channels=1)  # mono keystrokes, panned once per block
        self.next = int(rng.uniform(0.05, 0.4) * sr)  # samples to the next keystroke from the block start
        self.left = int(rng.integers(2, 8))  # letters left in the word
        self.words = int(rng.integers(4, 14))  # words left before a pause
        self.gain = 0.25
        self.pan = rng.uniform(-0.2, 0.2)
        # the desk under the keyboard (drawn last: the keys above are as they were without it)
        rings = desk_rings(rng, sr, len(keys), len(spaces))
        # a laptop stands on rubber feet: little of a keystroke reaches the desk under it
        on_feet = LAPTOP_FEET if laptop else 1.0
        struck = on_desk(keys + spaces, rings, sr, [on_feet] * len(keys) + [1.5 * on_feet] * len(spaces))
        self.keys, self.spaces = struck[:len(keys)], struck[len(keys):]

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sr = self.sr
        buf = self.bus.begin(n)
        th = (self.pan + 1) * np.pi / 4
        lr = np.array([np.cos(th), np.sin(th)]) * np.sqrt(2)
        while self.next < n:
            if self.left > 0:
                ev = self.keys[int(rng.integers(len(self.keys)))]
                self.left -= 1
                gap = self.interval * rng.lognormal(0, 0.35)
            else:
                ev = self.spaces[int(rng.integers(2))]
                self.left = int(rng.integers(2, 9))
                self.words -= 1
                gap = self.interval * rng.lognormal(0.2, 0.3)
                if self.words <= 0:  # a pause to think or read, now and then
                    self.words = int(rng.integers(3, 10))
                    gap += rng.uniform(0.4, 1.6)
            amp = self.gain * rng.uniform(0.6, 1.0)
            self.bus.add(self.next, (ev * amp)[None])
            self.next += max(1, int(gap * sr))
        self.next -= n
        return lr[:, None] * buf
