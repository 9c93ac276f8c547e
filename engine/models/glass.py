"""Glass: a clink of two glasses, and a glass or window shattering.

Struck glass rings in a few inharmonic bending modes of the bowl (for a wine
glass the (n, 0) modes lie near 1 : 2.6 : 4.9 : 7.8 of the lowest, ~500-1200 Hz;
Rossing, *The Science of Sound*), each decaying exponentially. In a toast the
two glasses are of one set, so their modes pair up a few Hz apart and beat; the
rim contact is brief enough to drive the dense high modes (the "chink"), and a
small bowl radiates its low mode poorly, so a clink is heard at 2-6 kHz. A
shatter (Farnell, *Designing Sound*, "breaking glass") is an impact and a crack,
then a shower of pieces that land and bounce, each bounce sooner and softer:
small pieces are heard as contact clicks (their own modes are ultrasonic),
pieces of a few cm ring plate modes of a few kHz, and the small pieces, thrown
furthest, land last. Both are synthesised once per take in ``setup`` (see
``_sfxkit``).
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _burst, _fade, _filt, _modes, _norm, _norm_energy, _t

# the (n, 0) bending modes n = 2..7 of a bowl; the higher ones (several kHz) are what a hard,
# brief rim contact excites most, and what makes a clink a clink rather than a bell's ding
_BOWL = np.array([1.0, 2.62, 4.93, 7.8, 11.3, 15.4])
# what a clink radiates, mode by mode: a rim contact of ~0.1 ms drives every mode alike, but a
# bowl of a few cm is a poor radiator of its lowest (quadrupole) mode at ~1 kHz, its
# efficiency climbing steeply with frequency, and the hand on the bowl damps the low modes most;
# so a clink is heard in its 2-6 kHz modes, over a soft low note (a struck bar is the reverse)
_CLINK_AMPS = (0.3, 0.75, 1.0, 0.8, 0.55, 0.35)


def _ring(rng: np.random.Generator, sr: int, f1: float, tau1: float, dur: float, amps,
          decay_power: float = 1.1) -> np.ndarray:
    """A glass's bowl modes, each split into a slightly detuned pair (a real bowl is never
    perfectly round), the mode ``k`` decaying in ``tau1 / ratio_k ** decay_power``."""
    t = _t(sr, dur)
    out = np.zeros(t.size)
    for ratio, a in zip(_BOWL, amps):
        f = f1 * ratio * rng.uniform(0.985, 1.015)
        if f > 0.45 * sr:
            continue
        tau = tau1 / ratio ** decay_power
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
        # glasses held in the hand, with a drink in them, are damped by the fingers and the liquid:
        # their bright modes ring for under a second (60 dB), not a bell's seconds
        f_lo, f_hi, tau = (1400, 2600, 0.15) if tumbler else (700, 1300, 0.35)
        count = int(self.params.options.get("count", 1))
        ev = np.zeros(int((tau * 5 + 0.3 * count) * sr))
        for c in range(count):
            at = int(c * rng.uniform(0.18, 0.28) * sr)
            tap = np.zeros(int(tau * 5 * sr))
            # two glasses of one set: the same shape within a few per cent, so each of their
            # modes pairs with the other's a few to tens of Hz away and the pair beats
            f1 = rng.uniform(f_lo, f_hi)
            for f in (f1, f1 * (1 + rng.uniform(0.006, 0.03) * rng.choice([-1, 1]))):
                # a bowl's lower modes reach further down it, into the drink and the fingers, so
                # they are damped the most: a held glass's decay barely falls with mode order
                tap += _ring(rng, sr, f, tau * rng.uniform(0.8, 1.2), tau * 5, _CLINK_AMPS,
                             decay_power=0.2) * rng.uniform(0.7, 1.0)
            # rim on rim: a hard contact of a tenth of a millisecond drives the bowls' many high
            # modes too (orders of 8 and up, dense from ~4 kHz), which die within milliseconds:
            # that bright "chink" opens the clink, then the lower modes ring on
            chink = _modes(sr, 0.06, np.exp(rng.uniform(np.log(3500), np.log(16000), 28)),
                           rng.uniform(0.004, 0.025, 28), rng.uniform(0.4, 1.0, 28) * rng.choice([-1, 1], 28))
            tick = _burst(rng, sr, 0.008, 0.0008, (2000, 14000))
            chink[:tick.size] += _norm(tick, 0.5 * np.max(np.abs(chink)))
            tap[:chink.size] += _norm(chink, 1.2 * np.max(np.abs(tap[:int(0.01 * sr)])))
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
        pieces = {"window": 400, "bottle": 180, "glass": 260}.get(kind, 160)
        pieces = int(pieces * (0.6 + 0.8 * i))
        dur = {"window": 2.4, "bottle": 1.6, "glass": 1.8}.get(kind, 1.8)
        n = int(dur * sr)
        out = np.zeros((2, n))
        # the blow: a hard contact of a millisecond on the floor or the pane, a broadband knock
        # with the floor's (or frame's) thump under it, and the object's own modes struck but
        # cut short at once as it comes apart (a tenth of the ring of a clink)
        knock = _burst(rng, sr, 0.05, 0.006, (150, 9000), attack=0.0002)
        out[:, :knock.size] += _norm(knock, 1.6)
        ting = _ring(rng, sr, rng.uniform(900, 1500), 0.04, 0.25, (0.8, 0.7, 0.6, 0.5, 0.35, 0.25))
        out[:, :ting.size] += _norm(ting, 0.5)
        # the crack running through it: a rapid train of fracture snaps over tens of ms
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
        out += _shards(rng, sr, n, pieces, dur)
        out = _filt(out, "highpass", 120, sr, 2)
        return _norm_energy(_fade(out, sr, 0.0005, 0.05), sr, 0.25 * (0.6 + 0.35 * i))


def _landings(rng: np.random.Generator, pieces: int, dur: float) -> tuple[np.ndarray, ...]:
    """Every impact of the shower as (time s, piece index, piece size 0-1, amplitude, pan):
    each piece flies off at the break, lands, and bounces, each bounce a fraction (the
    restitution, ~0.4-0.6) of the last in height, so sooner and softer, until it settles."""
    size = rng.random(pieces) ** 2.5  # most pieces are small
    # airborne before it first lands: the big pieces drop where the glass broke, the small ones
    # are thrown further and higher and come down later, so the tinkle of small pieces is last
    fly = rng.exponential(0.04 + 0.2 * (1 - size)) + rng.uniform(0.0, 0.03, pieces)
    pans = rng.uniform(0.1, 0.9, pieces)
    rows = []
    for p, (t, s) in enumerate(zip(fly, size)):
        e = rng.uniform(0.4, 0.6)              # restitution: each bounce e**2 the height
        gap = rng.uniform(0.06, 0.3)            # the first bounce's flight: thrown up 0.5-11 cm
        amp = (0.25 + 0.75 * s) * rng.uniform(0.5, 1.0)
        while t < dur - 0.12 and amp > 0.01:
            rows.append((t, p, s, amp * rng.choice([-1, 1]), pans[p]))
            t += gap
            gap *= e
            amp *= e * rng.uniform(0.8, 1.0)
    rows.sort()
    return tuple(np.array(c) for c in zip(*rows)) if rows else tuple(np.zeros(0) for _ in range(5))


def _shards(rng: np.random.Generator, sr: int, n: int, pieces: int, dur: float) -> np.ndarray:
    """The shower (see :func:`_landings`). What a landing sounds like follows the piece's size.
    A shard of a centimetre or two is a stiff little plate whose lowest bending mode lies above
    hearing (tens of kHz for 2 mm glass), so it is heard only as its contact: a click whose
    brightness follows how short the contact is, band-limited noise of a fraction of a
    millisecond. Larger pieces (a rim, a stem, a base, the shards of 3-6 cm; a few in ten) ring
    a few inharmonic plate modes of 1.8-7 kHz for tens of ms. Dozens of pieces landing together
    make the dense, bright, random shower; its density falls as the bounces shrink."""
    from scenefill.engine.fft import convolve

    out = np.zeros((2, n))
    # three kernels of contact, small to large: brighter and shorter as the piece gets smaller
    clicks = [_burst(rng, sr, 0.004, tau, band, attack=0.00005) for tau, band in
              ((0.0003, (4000, 16000)), (0.0006, (2500, 12000)), (0.0012, (1500, 9000)))]
    trains = np.zeros((3, 2, n))
    tt = np.arange(int(0.12 * sr)) / sr
    times, piece, sizes, amps, pans = _landings(rng, pieces, dur)
    rings: dict[int, np.ndarray] = {}
    for t, p, s, amp, pan in zip(times, piece.astype(int), sizes, amps, pans):
        gains = np.array([np.sqrt(1 - pan), np.sqrt(pan)])
        a = int(t * sr)
        trains[0 if s < 0.1 else (1 if s < 0.3 else 2), :, a] += amp * gains
        if s > 0.3:  # a piece of a few cm rings its own plate modes, the smaller higher
            if p not in rings:  # the same modes at every bounce
                f1 = 1800 * np.exp(1.4 * (1 - s)) * rng.uniform(0.9, 1.1)
                ring = np.zeros(tt.size)
                for ratio, ma in ((1.0, 1.0), (2.76, 0.6), (5.40, 0.35)):  # a free plate's modes
                    tau = 0.05 / ratio ** 0.7 * (0.5 + s)
                    m = min(tt.size, int(tau * 6 * sr))
                    ring[:m] += ma * np.exp(-tt[:m] / tau) * np.sin(
                        2 * np.pi * f1 * ratio * rng.uniform(0.97, 1.03) * tt[:m] + rng.random() * 6.28)
                rings[p] = ring * 0.35
            b = min(n, a + tt.size)
            out[:, a:b] += np.outer(gains * amp, rings[p][:b - a])
    for cls, click in enumerate(clicks):
        if np.any(trains[cls]):
            for ch in range(2):
                out[ch] += convolve(trains[cls, ch], _norm(click, 1.0))[:n]
    return out
