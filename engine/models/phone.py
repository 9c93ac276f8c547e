"""Phone: ring cadences of landlines and mobiles."""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._sfxkit import _add, _burst, _filt, _fade, _mix, _modes, _norm, _osc, _t, _times
from .base import SoundModel, Timeline


# --------------------------------------------------------------------------- phone

class Phone(Timeline, SoundModel):
    name = "phone"
    steady_tones = True  # a ring of fixed pitches
    category = "sfx"
    # not bare "ringing": church bells and ears ring too
    keywords = ("phone", "phone ringing", "telephone", "cellphone", "cell phone", "mobile phone",
                "smartphone", "ringtone", "phone rings", "landline", "phone buzzing", "phone vibrating")
    default_level_db = 0.0
    description = "a ringing phone: classic bell ring (2 s on, 4 s off), electronic trill, mobile ringtone or vibration"
    option_words = {
        "classic": ("style", "bell"), "old": ("style", "bell"), "bell": ("style", "bell"),
        "rotary": ("style", "bell"), "vintage": ("style", "bell"), "landline": ("style", "bell"),
        "office": ("style", "electronic"), "desk": ("style", "electronic"),
        "electronic": ("style", "electronic"), "digital": ("style", "electronic"),
        "cellphone": ("style", "mobile"), "cell": ("style", "mobile"), "mobile": ("style", "mobile"),
        "smartphone": ("style", "mobile"), "ringtone": ("style", "mobile"), "iphone": ("style", "mobile"),
        "vibrate": ("style", "vibrate"), "vibrating": ("style", "vibrate"), "vibration": ("style", "vibrate"),
        "buzz": ("style", "vibrate"), "buzzing": ("style", "vibrate"), "silent": ("style", "vibrate"),
        "uk": ("cadence", "uk"), "british": ("cadence", "uk"), "english": ("cadence", "uk"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.style = self.params.options.get("style", "bell")
        uk = self.params.options.get("cadence") == "uk"
        if self.style == "mobile":
            ev, period = self._ringtone(rng)
        elif self.style == "vibrate":
            ev, period = self._vibrate(rng)
        else:
            # ring cadence: (on seconds, off seconds) segments
            cadence = [(0.4, 0.2), (0.4, 2.0)] if uk else [(2.0, 4.0)]
            period = sum(a + b for a, b in cadence)
            ring = self._bell if self.style == "bell" else self._trill
            parts, t = [], 0.0
            for on, off in cadence:
                parts.append((t, ring(rng, on)))
                t += on + off
            length = max(int(o * sr) + p.size for o, p in parts)
            ev = np.zeros(length)
            for o, p in parts:
                ev[int(o * sr):int(o * sr) + p.size] += p
        self.cadence_on = 2.0 if not uk else 0.4
        self.event = _fade(_norm(ev, 0.5 + 0.35 * i), sr, 0.001, 0.02)
        self.period = int(round(period * sr))
        times = _times(self.params.options, 0.05)
        # no time left in the range (it was asked for after the clip ends): the phone never rings
        self.offset = int(min(times) * sr) if times else None

    def _bell(self, rng: np.random.Generator, on: float) -> np.ndarray:
        """Electromechanical ringer: a clapper at ~20 Hz alternately striking two gongs."""
        sr = self.sr
        tail = 0.9
        strike_rate = rng.uniform(18, 22)
        n = int((on + tail) * sr)
        trains = [np.zeros(n), np.zeros(n)]
        for k in range(int(on * strike_rate)):
            pos = int((k / strike_rate + rng.uniform(-0.002, 0.002)) * sr)
            trains[k % 2][max(0, pos)] += rng.uniform(0.8, 1.0)
        out = np.zeros(n)
        f0 = rng.uniform(1050, 1250)
        for train, f in zip(trains, (f0, f0 * rng.uniform(1.16, 1.26))):
            gong = _modes(sr, tail, f * np.array([1.0, 2.76, 5.40, 8.93]), [0.3, 0.1, 0.04, 0.02],
                          [1.0, 0.6, 0.45, 0.3])
            gong[:int(0.002 * sr)] += rng.standard_normal(int(0.002 * sr)) * 0.3
            out += signal.fftconvolve(train, gong)[:n]
        # the clapper's mechanical buzz under the bells
        t = np.arange(n) / sr
        buzz = _filt(rng.standard_normal(n), "bandpass", (300, 3000), sr) * \
            (np.sin(np.pi * strike_rate * t) ** 8) * (t < on) * 0.15
        return out + buzz * np.max(np.abs(out))

    def _trill(self, rng: np.random.Generator, on: float) -> np.ndarray:
        """Electronic ringer: two tones alternating at ~16-20 Hz."""
        sr = self.sr
        rate = rng.uniform(16, 20)
        f1 = rng.uniform(950, 1100)
        f2 = f1 * rng.uniform(1.2, 1.35)
        t = _t(sr, on)
        sel = (np.floor(t * rate * 2) % 2).astype(bool)
        h = np.array([1.0, 0.0, 0.3, 0.0, 0.12, 0.0, 0.05])
        freq = np.where(sel, f2, f1)
        x = _osc(sr, freq, h)
        return _fade(x, sr, 0.005, 0.01)

    def _ringtone(self, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """A marimba-like melody through a small loudspeaker, repeated."""
        sr = self.sr
        root = int(rng.integers(72, 80))
        scale = np.array([0, 2, 4, 7, 9, 12, 14, 16])
        step = 60 / rng.uniform(110, 130) / 2  # eighth notes
        count = int(rng.integers(6, 10))
        notes = [root + int(rng.choice(scale)) for _ in range(count)]
        rhythm = [1 if rng.random() < 0.7 else 2 for _ in range(count)]
        length = int((sum(rhythm) * step + 0.6) * sr)
        out = np.zeros(length)
        t0 = 0.0
        for note, r in zip(notes, rhythm):
            f = 440 * 2 ** ((note - 69) / 12)
            tone = _modes(sr, 0.6, [f, f * 3.93, f * 9.2], [0.22, 0.05, 0.015], [1, 0.25, 0.08])
            tone = _mix(tone, _burst(rng, sr, 0.01, 0.001, (2000, 8000)) * 0.1)
            o = int(t0 * sr)
            out[o:o + tone.size] += tone[:max(0, length - o)]
            t0 += r * step
        out = _filt(out, "highpass", 450, sr, 2)  # phone speaker
        period = sum(rhythm) * step + rng.uniform(0.4, 0.8)
        return out, period

    def _vibrate(self, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Vibration motor on a table: a buzz with rattle, two pulses then a pause."""
        sr = self.sr
        f = rng.uniform(140, 190)
        on = rng.uniform(0.5, 0.8)
        gap = rng.uniform(0.35, 0.55)
        t = _t(sr, on)
        wobble = f * (1 + 0.02 * np.sin(2 * np.pi * 7 * t))
        k = np.arange(1, 30)
        buzz = _osc(sr, wobble, 1.0 / k ** 1.3)
        rattle = _filt(rng.standard_normal(t.size), "bandpass", (800, 5000), sr) * \
            np.maximum(np.sin(2 * np.pi * f * t), 0) ** 6
        pulse = _fade(buzz + 0.6 * rattle, sr, 0.03, 0.04)
        pulse = _filt(pulse, "highpass", 90, sr, 1)
        out = np.zeros(int((2 * on + gap) * sr) + 10)
        out[:pulse.size] += pulse
        o = int((on + gap) * sr)
        out[o:o + pulse.size] += pulse
        return out, 2 * on + gap + rng.uniform(1.2, 1.8)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        out = np.zeros((2, n))
        if self.offset is None:
            return out
        first = max(0, (start - self.offset - self.event.size) // self.period)
        last = (start + n - self.offset) // self.period + 1
        for k in range(first, last + 1):
            _add(out, start, self.offset + k * self.period, self.event)
        return out
