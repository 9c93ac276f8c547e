"""The piano bed: an arpeggiated chord progression with a sparse melody in A A B A phrases,
closing on a V-I cadence when the render's end is known. The shared core (moods, harmony,
synthesis, reverb) is in ``_musickit``; the sustained beds (pad, drone) in ``ambient_music``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ._amb import _axpy
from ._musickit import (_Harmony, _MOOD_OPTIONS, _PROGRESSIONS, _Reverb, _SECTIONS, _TABLE, _TWO_PI,
                        _decaying_partials, _fade_in_start, _midi_hz, _mood)
from .base import SoundModel, StatefulFilter, Timeline, butter, pan_gains

# --------------------------------------------------------------------------- piano

_NOTE_CACHE: OrderedDict = OrderedDict()
_NOTE_CACHE_LIMIT = 64 << 20  # bytes of cached note waveforms across all layers
_note_cache_bytes = [0]


def _piano_note(sr: int, midi: int, hard: float, length: float, voice: int = 0) -> np.ndarray:
    """One struck piano string (float32, mono): inharmonic partials with per-partial
    decay, a slightly detuned second string on the low partials (beating and a slower
    'aftersound'), hammer noise and a soundboard knock. ``voice`` (drawn once per layer
    from its setup generator) seeds the small per-note variations. Cached by its parameters."""
    key = (sr, midi, round(hard, 2), round(length, 2), voice)
    hit = _NOTE_CACHE.get(key)
    if hit is not None:
        _NOTE_CACHE.move_to_end(key)
        return hit
    f0 = float(_midi_hz(midi))
    n = int(length * sr)
    rng = np.random.default_rng([voice, sr, midi, int(hard * 100)])  # a child of the layer's stream
    fmax = min(0.45 * sr, 2500 + 8000 * hard)
    inharm = 3.5e-4 * 2 ** ((midi - 60) / 19)
    t60_1 = float(np.clip(14 * (f0 / 65) ** -0.6, 1.0, 16))
    slope = 1.7 - 0.9 * hard
    fc = 600 + 3500 * hard
    k = np.arange(1, 48, dtype=np.float64)
    fk = k * f0 * np.sqrt(1 + inharm * k * k)
    a = np.abs(np.sin(np.pi * k / 7.3)) / k ** slope / (1 + (fk / fc) ** 2)  # hammer at ~1/7 of the string
    keep = (fk <= fmax) & (a >= 1e-3)  # fk grows with k: the first partial above fmax ends the series
    k, fk, a = k[keep], fk[keep], a[keep]
    total = float(a.sum())
    t60 = t60_1 / (1 + 0.3 * (k - 1) * (f0 / 262) ** 0.25)
    low = k <= 8  # the low partials have a second, slightly detuned string
    det = 2 ** (rng.uniform(0.3, 1.5, int(low.sum())) / 1200)
    freqs = np.concatenate([fk[low], fk[low] * det, fk[~low]])
    amps = np.concatenate([0.7 * a[low], 0.3 * a[low], a[~low]])
    t60s = np.concatenate([t60[low], t60[low] * 2.5, t60[~low]])
    x = _decaying_partials(sr, freqs, amps / total, t60s, n)
    nh = int(0.05 * sr)
    th = np.arange(nh) / sr
    hammer = StatefulFilter(butter("lowpass", 1200 + 5000 * hard, sr, 2), channels=1)(
        rng.standard_normal(nh)[None])[0] * np.exp(-th / 0.004)
    knock = np.sin(_TWO_PI * rng.uniform(80, 110) * th) * np.exp(-th / 0.012)
    x[:nh] += (0.10 * hard * hammer + 0.05 * knock).astype(np.float32)
    na = max(1, int(0.001 * sr))
    x[:na] *= np.linspace(0, 1, na, dtype=np.float32)
    _NOTE_CACHE[key] = x
    _note_cache_bytes[0] += x.nbytes
    while _note_cache_bytes[0] > _NOTE_CACHE_LIMIT and len(_NOTE_CACHE) > 1:
        _, old = _NOTE_CACHE.popitem(last=False)
        _note_cache_bytes[0] -= old.nbytes
    return x


# arpeggio patterns over 8 eighth notes: index into the voicing (low root, fifth, root,
# third, fifth above); None is a rest (slot 0 belongs to the bass note)
_PATTERNS = (
    (None, 1, 2, 3, 4, 3, 2, 1),
    (None, 2, 1, 3, 2, 4, 3, 2),
    (None, 1, 2, 4, 3, 2, 1, 2),
    (None, 1, 3, 2, 4, 2, 3, 1),
    (None, 2, 3, 4, None, 2, 3, 4),
)
_BUS_MATRIX = np.hstack([pan_gains(-0.35), pan_gains(0.0), pan_gains(0.35)]).astype(np.float32)  # (2, 3)


class Piano(Timeline, SoundModel):
    name = "piano"
    category = "music"
    keywords = ("piano", "piano music", "music", "score", "soundtrack", "underscore", "background music",
                "calm music", "gentle music", "soft music", "sad music", "happy music",
                "melancholy", "melancholic", "melancholy music", "emotional music", "romantic music",
                "hopeful music", "uplifting music", "sad piano", "gentle piano", "nostalgic music",
                "epic music", "orchestral music", "cinematic music", "playful music", "whimsical music",
                "heroic music", "trailer music")
    default_level_db = -8.0
    description = ("calm piano: arpeggiated chord progression with a sparse melody in A A B A phrases; mood sets "
                   "key, mode and tempo; a render of known length ends on a V-I cadence held to the end")
    option_words = _MOOD_OPTIONS

    def setup(self, rng: np.random.Generator) -> None:
        self._clock_reset()
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.mood = _mood(self.params) or "calm"
        self.harmony = h = _Harmony(self.mood, rng, rng.random() < 0.6)
        self.voice = int(rng.integers(1 << 30))  # seeds the notes' small variations (string detune, hammer noise)
        lo, hi = h.tempo_range
        self.bpm = float(np.clip(rng.uniform(lo, hi) + 6 * (i - 0.5), 60, 104))
        self.beat = 60.0 / self.bpm
        self.bar_samples = 4 * self.beat * sr
        self.eighth_samples = self.beat * sr / 2
        progs = _PROGRESSIONS[h.mode]
        a, b = rng.choice(len(progs), 2, replace=False)
        self.progressions = (progs[a], progs[b])
        p1, p2 = rng.choice(len(_PATTERNS), 2, replace=False)
        self.patterns = (_PATTERNS[p1], _PATTERNS[p2])
        self.sevenths = rng.random() < (0.6 if self.mood in ("romantic", "dreamy", "calm") else 0.25)
        self.bright = float(np.clip(h.brightness + 0.3 * (i - 0.5), 0.05, 1.0))
        self.level = 0.45 + 0.45 * i
        self.note_len = 4 * self.beat + 0.45  # a note rings at most to the next bar plus its release
        self.release = int(0.35 * sr)
        self.fade = (np.cos(np.linspace(0, np.pi / 2, self.release)) ** 2).astype(np.float32)
        self.hardness = [float(np.clip(0.2 + 0.22 * k + 0.35 * self.bright, 0.05, 1.0)) for k in range(3)]
        # per-bar tables: timing nudges (s), velocities, rests, melody choices
        self.t_jit = rng.uniform(-0.008, 0.008, (_TABLE, 11)) * sr
        self.t_jit[:, 0] = rng.uniform(-0.004, 0.004, _TABLE) * sr
        self.vel = rng.uniform(0.8, 1.0, (_TABLE, 11))
        self.rest = rng.random((_TABLE, 8)) < 0.22 * (1 - i)
        self.mel_on = rng.random((_TABLE, 2)) < (0.2 + 0.55 * i)
        self.mel_pick = rng.integers(0, 3, _TABLE)
        self.mel_step = rng.choice([-2, -1, 1, 2], _TABLE)
        self._bars: dict[int, list] = {}
        self._notes: dict[int, list] = {}
        self.maxlen = int(self.note_len * sr) + self.release
        self.verb = _Reverb(sr, 2.2, rng)
        self.wet = 0.55
        self.final_bar = self._final_bar()

    def _final_bar(self) -> int | None:
        """The bar that holds the closing tonic chord when the render's end is known
        (``options["end_s"]``, seconds of the last sample): the last bar whose chord can ring
        out before the end. The bar before it is the dominant: an authentic V-I cadence."""
        try:
            end = float(self.params.options["end_s"]) * self.sr
        except (KeyError, TypeError, ValueError):
            return None
        bar = int(np.floor((end - (self.note_len + 0.3) * self.sr) / self.bar_samples))
        return bar if bar >= 2 else None

    def _cadence_events(self, b: int) -> list | None:
        """Bars at the end: the dominant (V, major even in minor) arpeggiated, then the tonic
        struck as one held chord with the tonic in the bass and the melody, then silence."""
        fb = self.final_bar
        if fb is None or b < fb - 1:
            return None
        if b > fb:
            return []
        h, sr = self.harmony, self.sr
        start = b * self.bar_samples
        if b == fb - 1:  # V: root, major third, fifth and the seventh leading home
            root = h.degree(4)
            tones = (root, root + 4, root + 7, root + 10)
            stop = int(round(start + self.bar_samples + 0.06 * sr))
            ev = [(int(round(start)), h.place(root, 36), 1, 0.85, 0, stop)]
            for slot in range(8):
                m = h.place(tones[slot % 4], 48) + (12 if slot >= 4 else 0)
                onset = int(round(start + slot * self.eighth_samples))
                ev.append((onset, m, 0, 0.5 * (1 - 0.03 * slot), 1 if m < 67 else 2, stop))
            return ev
        root, third, fifth, _, _ = h.chord(0)
        stop = int(round(start + self.note_len * sr))  # the last chord rings out
        onset = int(round(start + 0.03 * sr))  # a breath before the resolution
        ev = [(onset, h.place(root, 36), 1, 0.9, 0, stop)]
        for m in (h.place(root, 48), h.place(fifth, 55), h.place(root, 60), h.place(third, 64)):
            ev.append((onset + int(0.012 * sr), m, 0, 0.45, 1 if m < 67 else 2, stop))
        ev.append((onset + int(0.025 * sr), h.place(root, 72), 1, 0.6, 2, stop))
        return ev

    def _bar_events(self, b: int) -> list:
        ev = self._bars.get(b)
        if ev is not None:
            return ev
        h, sr = self.harmony, self.sr
        closing = self._cadence_events(b)
        if closing is not None:
            self._bars[b] = closing
            return closing
        j = b % _TABLE
        sec = _SECTIONS[(b // 4) % 4]
        deg = self.progressions[sec][b % 4]
        root, third, fifth, seventh, _ = h.chord(deg)
        start = b * self.bar_samples
        stop = int(round(start + self.bar_samples + 0.06 * sr))
        ev = []
        bass = h.place(root, 36)
        ev.append((int(round(start + self.t_jit[j, 0])), bass, 1, 0.85 * self.vel[j, 0], 0, stop))
        r3 = h.place(root, 48)
        top = seventh - root + 12 if self.sevenths and sec == 1 else fifth - root + 12
        voicing = (r3, r3 + fifth - root, r3 + 12, r3 + 12 + third - root, r3 + top)
        arp_bucket = 0 if self.params.intensity < 0.6 else 1
        for slot, idx in enumerate(self.patterns[sec]):
            if idx is None or self.rest[j, slot]:
                continue
            onset = int(round(start + slot * self.eighth_samples + self.t_jit[j, slot + 1]))
            gain = 0.55 * self.vel[j, slot + 1] * (1 - 0.02 * slot)
            m = voicing[idx]
            ev.append((onset, m, arp_bucket, gain, 1 if m < 67 else 2, stop))
        # sparse melody: a chord tone on beat 1, sometimes a step away on beat 3
        if self.mel_on[j, 0]:
            tone = (root, third, fifth)[self.mel_pick[j]]
            m1 = h.place(tone, 69)
            ev.append((int(round(start + self.t_jit[j, 9])), m1, 1, 0.7 * self.vel[j, 9], 2, stop))
            if self.mel_on[j, 1]:
                k = h.scale.index(tone % 12) if tone % 12 in h.scale else 0
                m2 = m1 + h.degree(k + self.mel_step[j]) - h.degree(k)
                onset = int(round(start + 4 * self.eighth_samples + self.t_jit[j, 10]))
                ev.append((onset, m2, 1, 0.6 * self.vel[j, 10], 2, stop))
        if len(self._bars) > 16:
            self._bars.clear()
        self._bars[b] = ev
        return ev

    def _bar_notes(self, b: int) -> list:
        """Bar b's events with their note waveforms looked up: (onset, note, gain, bus, stop)."""
        got = self._notes.get(b)
        if got is None:
            got = [(onset, _piano_note(self.sr, midi, self.hardness[bucket], self.note_len, self.voice),
                    gain, bus, stop) for onset, midi, bucket, gain, bus, stop in self._bar_events(b)]
            if len(self._notes) > 8:
                self._notes.clear()
            self._notes[b] = got
        return got

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start = self._block_start(n)
        end = start + n
        buses = np.zeros((3, n), dtype=np.float32)
        first = int(np.floor((start - self.maxlen) / self.bar_samples)) - 1
        last = int(np.floor(end / self.bar_samples))
        R = self.release
        for b in range(max(first, -2), last + 1):
            for onset, note, gain, bus, stop in self._bar_notes(b):
                if onset >= end or stop + R <= start:
                    continue
                a = max(onset, start)
                z = min(end, onset + note.size, stop + R)
                if z <= a:
                    continue
                y = buses[bus]
                s1 = min(z, stop)
                if s1 > a:
                    _axpy(y[a - start:s1 - start], note[a - onset:s1 - onset], gain)
                f0 = max(a, stop)
                if z > f0:
                    fade = self.fade[f0 - stop:z - stop]
                    y[f0 - start:z - start] += note[f0 - onset:z - onset] * (np.float32(gain) * fade)
        # dry buses panned, plus the reverb of their sum; level applied on the way (float32)
        scale = self.level * 0.5
        out = (_BUS_MATRIX * np.float32(scale)) @ buses
        wet = self.verb(buses.sum(axis=0))
        for ch in range(2):
            _axpy(out[ch], wet[ch], self.wet * scale)
        _fade_in_start(out, start, self.sr)
        return out.astype(np.float64)
