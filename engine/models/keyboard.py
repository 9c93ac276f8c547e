"""Typing on a keyboard: keystrokes in words, spaces and pauses to think.

A keystroke is three small impacts (Asonov & Agrawal 2004; Zhuang et al.
2005): the finger hitting the keycap, the key bottoming out on the plate (the
loudest, exciting the keyboard's body resonance), and, ~60-120 ms later, the
softer release as the key returns. Keycaps ring in a few kilohertz, the body
and desk a few hundred hertz; the space bar is longer, lower and rattles on its
stabiliser wire. The rhythm is that of a typist: inter-key intervals around
120-200 ms within a word, a space between words, a longer pause now and then.
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


def _keystroke(rng, sr, kind: str, mech: bool) -> np.ndarray:
    """Press (finger on cap, then bottom-out) and release, as one prototype."""
    cap_f = rng.uniform(2500, 4500) if kind == "key" else rng.uniform(1200, 2000)
    body_f = rng.uniform(250, 500) if kind == "key" else rng.uniform(140, 260)
    click = 1.6 if mech else 0.25
    # a small key's bottom-out barely moves the case (a light thock under the plastic click);
    # the space bar is long, heavy and hits on its stabiliser: lower, louder
    press = _impact(rng, sr, cap_f, body_f, 1.0 if kind == "key" else 1.5, click,
                    body_gain=0.7 if kind == "key" else 1.2)
    travel = int(rng.uniform(0.006, 0.012) * sr)
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
    return _fade(out, sr, 0.0002, 0.01)


class KeyboardTyping(SoundModel):
    name = "keyboard_typing"
    category = "ambience"
    keywords = ("typing", "typing on a keyboard", "keyboard", "keyboard typing", "keystrokes", "keystroke",
                "typist", "typing away", "computer keyboard", "mechanical keyboard", "laptop keyboard",
                "clacking keys", "keys clacking", "someone typing", "typewriter")
    description = "typing on a keyboard: keystrokes in words, space bar between them, pauses to think"
    outdoor = False
    # "someone typing": a colleague at a desk a few metres away, not a keyboard under the
    # microphone. Heard across a room a keystroke loses its brightest edge to air and
    # furnishings and arrives with the room's early reflections; at the sfx default (0.3) the
    # 6-12 kHz tick was as loud as a coin on a table ("Coin (dropping)", "Scissors" on top)
    default_distance = 0.5
    option_words = {"mechanical": ("kind", "mechanical"), "clicky": ("kind", "mechanical"),
                    "typewriter": ("kind", "mechanical"), "laptop": ("kind", "laptop"),
                    "quiet": ("kind", "laptop"), "soft": ("kind", "laptop"), "fast": ("speed", 1.4),
                    "furiously": ("speed", 1.5), "slow": ("speed", 0.7), "slowly": ("speed", 0.7)}

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        mech = self.params.options.get("kind") == "mechanical"
        self.keys = [_keystroke(rng, sr, "key", mech) for _ in range(12)]
        self.spaces = [_keystroke(rng, sr, "space", mech) for _ in range(2)]
        try:
            speed = float(self.params.options.get("speed", 1.0))
        except (TypeError, ValueError):
            speed = 1.0
        # median seconds between keys in a word: 0.14 s is 7 keys/s, a steady office typist
        # (5-10 keys/s in bursts; 0.17 s made a slow hunt-and-peck)
        self.interval = 0.14 / (speed * (0.8 + 0.4 * i))
        self.bus = EventBus()
        self.next = int(rng.uniform(0.05, 0.4) * sr)  # samples to the next keystroke from the block start
        self.left = int(rng.integers(2, 8))  # letters left in the word
        self.words = int(rng.integers(4, 14))  # words left before a pause
        self.gain = 0.25
        self.pan = rng.uniform(-0.2, 0.2)

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
            self.bus.add(self.next, np.outer(lr * amp, ev))
            self.next += max(1, int(gap * sr))
        self.next -= n
        return buf
