"""Doors: slams, creaks and knocks as one-shot effects.

A door is a wooden panel (a plate: many modes, evenly dense, damped in tens of
milliseconds) hung in a frame. A knuckle is a soft, brief contact (about 1-2 ms)
with a hard click of bone on wood: it excites the panel's modes from ~150 Hz to
about 1 kHz, and a knock is 2-4 such hits a fifth of a second apart. A slam
drives the whole panel into the frame: a push of air, a heavy impact exciting
the panel's low modes (60-250 Hz) and the frame and wall, the latch snapping
home, and the loose hardware rattling for a moment after (Farnell, *Designing
Sound*, "doors"). A few sine modes alone make a wood block; dozens make a door.
"""

from __future__ import annotations

import numpy as np

from ._sfxkit import _OneShot, _burst, _filt, _fade, _mix, _modes, _norm, _norm_energy, _panel, _reson, _room, _swell, _t, _wood


# --------------------------------------------------------------------------- door

def _creak(rng: np.random.Generator, sr: int, dur: float, pitch: float) -> np.ndarray:
    """Stick-slip friction of a hinge: a pulse train with a wandering rate through wood modes."""
    t = _t(sr, dur)
    knots = rng.uniform(0.5, 1.5, 6)
    rate = pitch * np.interp(t, np.linspace(0, dur, knots.size), knots)
    # stick-slip is irregular: a fast random wobble on the pulse rate
    wobble = _filt(rng.standard_normal(t.size), "lowpass", 25, sr, 2)
    rate *= 1 + 0.25 * wobble / (np.std(wobble) + 1e-12)
    rate = np.maximum(rate, 3.0)
    phase = np.cumsum(rate) / sr
    pulses = np.zeros(t.size)
    idx = np.nonzero(np.diff(np.floor(phase)) > 0)[0] + 1
    pulses[idx] = rng.uniform(0.5, 1.0, idx.size)
    env = np.sin(np.pi * np.clip(t / dur, 0, 1)) ** 0.7
    x = np.zeros(t.size)
    base = rng.uniform(380, 700)
    for ratio, q, a in ((1.0, 12, 1.0), (1.9, 14, 0.6), (3.1, 16, 0.35), (4.6, 18, 0.2)):
        x += a * _reson(pulses, base * ratio, q, sr)
    x += _filt(rng.standard_normal(t.size), "bandpass", (1500, 5000), sr) * 0.02
    return x * env


def _rattle(rng: np.random.Generator, sr: int, amp: float) -> np.ndarray:
    """What the blow shakes loose: the handle on its spindle, the latch tongue in its strike,
    a hinge pin and the window panes in their frames, each knocking against its seat every
    5-20 ms (the panel's and the wall's vibration throwing it back and forth) for a few
    tenths of a second, weaker with each knock. Each knock is a small, hard contact: a short
    metallic click (the steel parts ring 1.5-5 kHz, damped by the wood in a few ms) or the
    glass's brighter tick."""
    dur = rng.uniform(0.25, 0.4)
    out = np.zeros(int((dur + 0.02) * sr))
    parts = [(rng.uniform(1500, 2800), 1.0, rng.uniform(0.006, 0.012)),   # handle / latch
             (rng.uniform(2200, 3800), 0.6, rng.uniform(0.008, 0.016)),   # hinge pin, strike plate
             (rng.uniform(3500, 5500), 0.5, rng.uniform(0.01, 0.02))]     # a window pane in its putty
    for f0, a0, period in parts:
        t, decay = rng.uniform(0.0, 0.004), rng.uniform(0.06, 0.14)
        click = _modes(sr, 0.012, f0 * np.array([1, 1.63, 2.4]), [0.002, 0.0015, 0.001], [1, 0.5, 0.3])
        click = _mix(click, _burst(rng, sr, 0.006, 0.0007, (1500, 9000)) * 0.6)
        while t < dur:
            i = int(t * sr)
            g = a0 * np.exp(-t / decay) * rng.uniform(0.5, 1.0)
            seg = click[:out.size - i] * g * rng.choice([-1, 1])
            out[i:i + seg.size] += seg
            t += period * rng.uniform(0.7, 1.3)
    return _norm(out, amp)


class Door(_OneShot):
    name = "door"
    keywords = ("door", "doors", "door slam", "slam", "slams", "slammed", "knock", "knocks",
                "knocking", "knock on the door", "creak", "creaks", "creaking", "creaky door",
                "door opens", "door closes")
    default_level_db = 3.0
    #: A slam is the loudest thing a door does: at 1 m it peaks 15-20 dB over a knock or a
    #: latch clicking shut (80-90 dB SPL against 65-75), and every take is calibrated to the
    #: layer's level, so without this a slam plays exactly as loud as a knock. The mix allows
    #: less than the physics: over a bed at the loudness target (-23 LUFS) a slam at the door's
    #: level peaks 1.7-2.9 dB under the -1.5 dBTP ceiling ("steady rain, a door slams at 3s",
    #: seeds 0-2), so +4 dB brings its crack to the ceiling with the limiter taking 1.1-2.3 dB of
    #: it; at +8 it takes 5.1-6.4 dB and the crack is flattened. In a scene of events alone the
    #: loudness target pulls the other events down by what the slam gains (a phone ringing after
    #: it), which also argues for the smaller figure.
    option_level_db = (("action", "slam", 4.0),)
    description = "a door: open, close, slam, creak, or a knock (2-3 knocks); one-shot at 0.5 s or given times"
    option_words = {
        "open": ("action", "open"), "opens": ("action", "open"), "opening": ("action", "open"),
        "opened": ("action", "open"),
        "close": ("action", "close"), "closes": ("action", "close"), "closing": ("action", "close"),
        "closed": ("action", "close"), "shut": ("action", "close"), "shuts": ("action", "close"),
        "slam": ("action", "slam"), "slams": ("action", "slam"), "slammed": ("action", "slam"),
        "slamming": ("action", "slam"), "bang": ("action", "slam"),
        "knock": ("action", "knock"), "knocks": ("action", "knock"), "knocking": ("action", "knock"),
        "knocked": ("action", "knock"),
        "creak": ("action", "creak"), "creaks": ("action", "creak"), "creaking": ("action", "creak"),
        "creaky": ("action", "creak"),
        "metal": ("material", "metal"), "steel": ("material", "metal"), "iron": ("material", "metal"),
        "wooden": ("material", "wood"), "wood": ("material", "wood"),
    }

    def make_event(self, rng: np.random.Generator) -> np.ndarray:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        action = self.params.options.get("action", "close")
        metal = self.params.options.get("material") == "metal"
        if action == "knock":
            return self._knock(rng, i, metal)
        parts: list[tuple[float, np.ndarray]] = []
        if action in ("open", "creak"):
            parts.append((0.0, self._latch(rng, 0.5)))
            dur = rng.uniform(1.4, 2.4) if action == "creak" else rng.uniform(0.7, 1.3)
            parts.append((0.12, _norm(_creak(rng, sr, dur, rng.uniform(25, 60)), 0.35 + 0.25 * i)))
        elif action == "close":
            dur = rng.uniform(0.35, 0.7)
            parts.append((0.0, _norm(_creak(rng, sr, dur, rng.uniform(30, 60)), 0.2)))
            parts.append((dur, self._thud(rng, 0.55 + 0.25 * i, metal)))
            parts.append((dur + 0.01, self._latch(rng, 0.6)))
        else:  # slam
            parts.append((0.0, self._thud(rng, 1.0, metal, slam=True)))
            parts.append((rng.uniform(0.008, 0.02), self._latch(rng, 0.3)))  # the bolt snaps into the strike
            # the loose hardware and the panes buzzing in their seats, ~20 dB under the hit
            parts.append((0.003, _rattle(rng, sr, 0.08)))
        length = max(int(o * sr) + p.size for o, p in parts)
        ev = np.zeros(length)
        for o, p in parts:
            ev[int(o * sr):int(o * sr) + p.size] += p
        if action == "slam":
            # loud enough to wake the room: its reverberation is part of a slam. The door is
            # in front (the same direct sound in both ears); the room's width comes from its
            # tail, different at each ear. (A delayed copy for width would comb-filter the
            # crack away in mono: a null at 1.25 kHz for 0.4 ms.)
            rt60 = rng.uniform(0.6, 0.9)
            left, right = _room(rng, sr, ev, rt60, 0.5), _room(rng, sr, ev, rt60, 0.5)
            n = min(left.size, right.size)
            return _fade(_norm_energy(np.vstack([left[:n], right[:n]]), sr, 0.3 * (0.5 + 0.5 * i)),
                         sr, 0.0005, 0.02)
        stereo = np.vstack([ev, ev])  # a door in front (a delayed copy would comb-filter it in mono)
        return _fade(_norm(stereo, 0.45 + 0.45 * i), sr, 0.0005, 0.02)

    def _latch(self, rng: np.random.Generator, amp: float) -> np.ndarray:
        sr = self.sr
        # a steel bolt and strike plate screwed into wood: the wood damps their ring in a few ms
        # (free steel would ring on like a glass)
        a = _modes(sr, 0.06, rng.uniform(2500, 3500) * np.array([1, 1.7, 2.9]), [0.004, 0.003, 0.002],
                   [1, 0.6, 0.4])
        a = _mix(a, _burst(rng, sr, 0.02, 0.001, (3000, 12000)) * 0.6)
        b = _modes(sr, 0.05, rng.uniform(1800, 2600) * np.array([1, 2.3]), [0.004, 0.002], [0.7, 0.4])
        gap = int(rng.uniform(0.012, 0.03) * sr)
        out = np.zeros(gap + b.size)
        out[:a.size] += a
        out[gap:] += b
        return _norm(out, amp * 0.5)

    def _thud(self, rng: np.random.Generator, amp: float, metal: bool, slam: bool = False) -> np.ndarray:
        sr = self.sr
        if metal:
            f = rng.uniform(140, 220)
            x = _modes(sr, 1.2, f * np.array([1, 2.71, 4.1, 6.3, 9.2]), [0.3, 0.2, 0.12, 0.08, 0.05],
                       [1, 0.6, 0.4, 0.3, 0.2])
            x = _mix(x, _burst(rng, sr, 0.15, 0.012, (80, 2500)) * 0.5)
            return _norm(x, amp)
        if slam:
            return self._slam_hit(rng, amp)
        # the panel's modes, damped in tens of ms (wood; dozens of them, or it rings like a drum): the low
        # ones carry the thump, the higher the body of the bang; then the frame and the wall
        door = _panel(rng, sr, 0.5, (60, 900), 70, (0.015, 0.04), tilt=0.4)
        frame = _panel(rng, sr, 0.4, (200, 3000), 40, (0.02, 0.05), tilt=0.5)
        # the impact itself: edge on frame, a few ms of broadband crack
        crack = _burst(rng, sr, 0.1, 0.003, (200, 7000), attack=0.0005)
        x = _mix(_norm(door, 1.0), _norm(frame, 0.4), _norm(crack, 0.3))
        return _norm(x, amp)

    def _slam_hit(self, rng: np.random.Generator, amp: float) -> np.ndarray:
        """A panel thrown into its frame. Hard wood on hard wood is a contact of well under a
        millisecond, so the hit excites the panel and the jamb far up, to several kHz: what a
        listener (and a small speaker) hears of a slam is that crack and the bright ring of the
        panel and frame (200 Hz-5 kHz); the panel's low bending modes and the air pushed
        ahead of it are a thump felt more than heard, well below the crack."""
        sr = self.sr
        # the panel struck hard: dozens of modes up to ~3 kHz; the jamb and the stop (stiffer,
        # smaller): brighter modes. Wood loses a fixed fraction of each mode's energy per cycle
        # (loss factor ~0.02-0.04), so a mode rings for a number of cycles, not of seconds: the
        # 150 Hz modes for tens of ms, the 3 kHz ones for a few ms (ringing longer, they would
        # sound like glass or a pan).
        door = _wood(rng, sr, 0.5, (120, 3000), 150, tilt=0.1)
        frame = _wood(rng, sr, 0.35, (300, 4500), 50, tilt=0.2)
        # the crack: wood on wood, a sharp broadband click with a short noisy decay
        crack = _burst(rng, sr, 0.08, rng.uniform(0.004, 0.007), (250, 6000), attack=0.0003)
        # the panel's low modes and the wall taking the blow: the thump
        thump = _panel(rng, sr, 0.5, (55, 200), 25, (0.02, 0.05), tilt=0.3)
        whoomp = _swell(rng, sr, 0.12, (40, 220), 0.03)  # the air pushed out ahead of the panel
        x = _mix(_norm(door, 1.0), _norm(frame, 0.9), _norm(crack, 1.0), _norm(thump, 0.18),
                 _norm(whoomp, 0.08))
        # a 2 m edge never meets its stop all at once (the panel is never quite flat): the
        # contact runs along it over a few ms, which rounds the very first peak (and keeps it
        # under the limiter: the audio parts from a slam-free render on the slam's sample)
        x *= np.clip(np.arange(x.size) / (0.004 * sr), 0, 1)
        return _norm(x, amp)

    def _knock(self, rng: np.random.Generator, i: float, metal: bool) -> np.ndarray:
        sr = self.sr
        count = int(rng.choice([2, 3, 3, 3, 4]))
        gap = rng.uniform(0.16, 0.24)
        # one door, so one set of panel modes for every knock; the knuckle lands a little differently
        panel = _panel(rng, sr, 0.35, (150, 1200), 36, (0.012, 0.035), tilt=0.6)
        if metal:
            f = rng.uniform(300, 420)
            panel = _mix(panel * 0.3, _modes(sr, 0.5, f * np.array([1, 2.4, 3.9, 5.6]), [0.12, 0.07, 0.05, 0.03],
                                             [1, .6, .4, .3]))
        hits = []
        for _ in range(count):
            contact = rng.uniform(0.001, 0.002)  # the soft knuckle: a half-sine press
            m = max(2, int(contact * sr))
            press = np.sin(np.pi * np.arange(m) / m)
            body = np.convolve(panel * rng.uniform(0.85, 1.15, 1), press)[:panel.size]
            click = _burst(rng, sr, 0.02, 0.0012, (1200, 6000))  # bone on wood
            h = _mix(_norm(body, 1.0), _norm(click, rng.uniform(0.25, 0.45)))
            hits.append(_norm_energy(h, sr, rng.uniform(0.75, 1.0)))
        hits[-1 if rng.random() < 0.5 else 0] *= 1.15  # an accent on the first or the last
        length = int((gap * (count - 1) + 0.03) * sr) + max(h.size for h in hits)
        ev = np.zeros(length)
        for k, h in enumerate(hits):
            o = int((k * gap + rng.uniform(-0.015, 0.015) * (k > 0)) * sr)
            ev[o:o + h.size] += h
        stereo = np.vstack([ev, ev])
        return _fade(_norm_energy(stereo, sr, 0.35 * (0.6 + 0.3 * i) * np.sqrt(count)), sr, 0.0005, 0.02)
