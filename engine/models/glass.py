"""Glass: a clink of two glasses, and a glass or window shattering.

Struck glass rings in a few inharmonic bending modes of the bowl (for a wine
glass the (n, 0) modes lie near 1 : 2.6 : 4.9 : 7.8 of the lowest, ~500-1200 Hz;
Rossing, *The Science of Sound*), each decaying exponentially, the higher
faster; two glasses touching ring together and beat against each other. A
shatter (Farnell, *Designing Sound*, "breaking glass") is an impact crack, then
a shower of fragments: hundreds of tiny, high, short-lived modal pings whose
density falls as the pieces land, bounce and settle, with a few larger pieces
ringing lower. Both are synthesised once per take in ``setup`` (see ``_sfxkit``).
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _burst, _fade, _filt, _norm, _norm_energy, _t

# the (n, 0) bending modes n = 2..7 of a bowl; the higher ones (several kHz) are what a hard,
# brief rim contact excites most, and what makes a clink a clink rather than a bell's ding
_BOWL = np.array([1.0, 2.62, 4.93, 7.8, 11.3, 15.4])


def _ring(rng: np.random.Generator, sr: int, f1: float, tau1: float, dur: float, amps) -> np.ndarray:
    """A glass's bowl modes, each split into a slightly detuned pair (a real bowl is never
    perfectly round), decaying faster with frequency."""
    t = _t(sr, dur)
    out = np.zeros(t.size)
    for ratio, a in zip(_BOWL, amps):
        f = f1 * ratio * rng.uniform(0.985, 1.015)
        if f > 0.45 * sr:
            continue
        tau = tau1 / ratio ** 1.1
        split = rng.uniform(0.5, 3.0)
        env = np.exp(-t / tau)
        out += a * env * (np.sin(2 * np.pi * f * t + rng.random() * 6.28) +
                          0.6 * np.sin(2 * np.pi * (f + split) * t + rng.random() * 6.28))
    return out


class GlassClink(_OneShot):
    name = "glass_clink"
    keywords = ("glass clink", "glasses clink", "clinking glasses", "glasses clinking", "clink of glasses",
                "toast", "raise a toast", "wine glass", "wine glasses", "champagne glasses", "glass tap",
                "glasses")
    default_level_db = 0.0
    description = "two glasses touching in a toast: bright, ringing, beating bowl modes; one-shot"
    option_words = {"wine": ("kind", "wine"), "champagne": ("kind", "wine"), "crystal": ("kind", "wine"),
                    "beer": ("kind", "tumbler"), "tumbler": ("kind", "tumbler"), "whisky": ("kind", "tumbler"),
                    "twice": ("count", 2)}

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        tumbler = self.params.options.get("kind") == "tumbler"
        # glasses held in the hand are damped by the fingers: tenths of a second, not a bell's seconds
        f_lo, f_hi, tau = (1400, 2600, 0.2) if tumbler else (700, 1300, 0.5)
        count = int(self.params.options.get("count", 1))
        ev = np.zeros(int((tau * 5 + 0.3 * count) * sr))
        for c in range(count):
            at = int(c * rng.uniform(0.18, 0.28) * sr)
            tap = np.zeros(int(tau * 5 * sr))
            for _ in range(2):  # the two glasses, each at its own pitch
                tap += _ring(rng, sr, rng.uniform(f_lo, f_hi), tau * rng.uniform(0.7, 1.2), tau * 5,
                             (0.8, 0.7, 0.7, 0.6, 0.45, 0.3)) * rng.uniform(0.6, 1.0)
            # rim on rim: a hard contact of a fraction of a millisecond, a bright broadband chink
            tick = _burst(rng, sr, 0.008, 0.0008, (2000, 14000))
            tap[:tick.size] += _norm(tick, 1.2 * np.max(np.abs(tap[:int(0.01 * sr)])))
            tap = _fade(tap, sr, 0.0003, 0.2)
            ev[at:at + tap.size] += tap[:ev.size - at]
        return _norm_energy(np.vstack([ev, ev]), sr, 0.15 * (0.35 + 0.4 * i) * np.sqrt(count))


class GlassShatter(_OneShot):
    name = "glass_shatter"
    keywords = ("glass shatters", "glass shattering", "shatter", "shatters", "shattering", "smash",
                "smashes", "smashing", "breaking glass", "glass breaking", "glass breaks", "broken glass",
                "window smash", "window breaks", "window shatters", "bottle smash", "bottle breaks",
                "glass break", "glass smash", "smashed glass", "glass crash")
    default_level_db = 3.0
    description = "glass shattering: an impact crack, then a shower of tinkling shards that bounce and settle"
    option_words = {"window": ("kind", "window"), "pane": ("kind", "window"),
                    "bottle": ("kind", "bottle"), "glass": ("kind", "glass"), "wine": ("kind", "glass"),
                    "drop": ("kind", "glass"), "dropped": ("kind", "glass")}

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        kind = self.params.options.get("kind", "glass")
        shards = {"window": 900, "bottle": 400, "glass": 600}.get(kind, 600)
        shards = int(shards * (0.6 + 0.8 * i))
        dur = {"window": 2.4, "bottle": 1.6, "glass": 1.8}.get(kind, 1.8)
        n = int(dur * sr)
        out = np.zeros((2, n))
        # the break: the object's own modes struck (a "ting" as it is hit), then the crack running
        # through it: a rapid train of fracture snaps over tens of ms, broadband from ~500 Hz
        ting = _ring(rng, sr, rng.uniform(900, 1500), 0.08, 0.4, (0.8, 0.7, 0.6, 0.5, 0.35, 0.25))
        out[:, :ting.size] += _norm(ting, 1.0)
        snaps = np.zeros(int(0.15 * sr))
        k = rng.poisson(60)
        when = (rng.exponential(0.025, k) * sr).astype(int)
        when = when[when < snaps.size]
        snaps[when] = rng.uniform(-1, 1, when.size) * np.exp(-when / (0.04 * sr))
        crack = _filt(np.convolve(snaps, _burst(rng, sr, 0.01, 0.0015, (500, 14000)))[:snaps.size],
                      "highpass", 400, sr, 2)
        out[:, :crack.size] += _norm(crack, 2.5)
        if kind == "bottle":
            thud = _burst(rng, sr, 0.08, 0.02, (120, 600)) * 2.0
            out[:, :thud.size] += thud
        # fragments: a burst at the break, then bounces whose density falls away
        t_on = np.concatenate([rng.exponential(0.03, shards // 2),
                               rng.exponential(dur * 0.22, shards - shards // 2) + 0.02])
        t_on = t_on[t_on < dur - 0.1]
        size = rng.random(t_on.size) ** 2  # most fragments are small
        tt = np.arange(int(0.08 * sr)) / sr
        for ton, s in zip(t_on, size):
            f = 1200 * np.exp(2.2 * (1 - s)) * rng.uniform(0.8, 1.2)  # small pieces ring high: 1.2-11 kHz
            tau = 0.004 + 0.03 * s
            m = min(tt.size, int(tau * 6 * sr))
            ping = np.exp(-tt[:m] / tau) * (np.sin(2 * np.pi * f * tt[:m]) +
                                              0.5 * np.sin(2 * np.pi * f * rng.uniform(2.1, 2.9) * tt[:m]))
            amp = (0.3 + 0.7 * s) * np.exp(-ton / (dur * 0.5)) * rng.uniform(0.3, 1.0)
            pan = rng.uniform(0.15, 0.85)
            a = int(ton * sr)
            b = min(n, a + m)
            out[0, a:b] += ping[:b - a] * amp * np.sqrt(1 - pan)
            out[1, a:b] += ping[:b - a] * amp * np.sqrt(pan)
        out = _filt(out, "highpass", 120, sr, 2)
        return _norm_energy(_fade(out, sr, 0.0005, 0.05), sr, 0.25 * (0.6 + 0.35 * i))
