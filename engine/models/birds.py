"""Birdsong: a few individual birds, each with its own song type, pitch, tempo,
place in the stereo field and distance, singing phrases at irregular intervals
over a faint outdoor air bed.

Song types: sparrow-like chirp series (fast down-sweeps), trills (rapid short
notes), fluted whistles with slow glides, warbles (fast frequency wobble) and
two-note "tea-cher" calls. Notes are swept sines (with a weak second
harmonic) in 2-8 kHz; a phrase is rendered once, when it starts, and rings
through an event bus. Birds further away are quieter and duller.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from ._amb import ColoredNoise, Sparse, pan_pair, sin_cycles, soft_limit
from .base import EventBus, SoundModel, butter

_SONGS = ("chirp", "trill", "whistle", "warble", "teacher")
# per song: mean loudness-weighted energy of a phrase (near, pitch and tempo 1, level 1) and the
# typical pitch of its notes, Hz (for the dulling with distance)
_PHRASE_ENERGY = {"chirp": 0.225, "trill": 0.466, "whistle": 0.647, "warble": 0.686, "teacher": 0.605}
_PHRASE_PITCH = {"chirp": 4500.0, "trill": 4500.0, "whistle": 2900.0, "warble": 4100.0, "teacher": 4700.0}
# ...and the mean energy of a phrase's mono notes, unweighted (same conditions)
_PHRASE_RAW = {"chirp": 0.056, "trill": 0.128, "whistle": 0.183, "warble": 0.18, "teacher": 0.163}
_BIRD_POWER = 0.039  # a typical bird's _Bird.power as drawn (outside a chorus; a little under the mean)
_JITTER = 0.45  # how far (in its mean gaps) a bird's phrase strays from its slot
_SQUASH = 0.25  # above the average bird, gain goes as power^-this: its excess (in dB) is halved


class _Bird:
    def __init__(self, rng: np.random.Generator, song: str, chorus: bool) -> None:
        self.song = song
        self.pitch = rng.uniform(0.85, 1.2)
        self.tempo = rng.uniform(0.85, 1.2)
        self.pan = rng.uniform(-0.9, 0.9)
        self.dist = rng.random() ** 0.8  # 0 near .. 1 far
        self.gap = rng.uniform(2.0, 6.0) * (0.5 if chorus else 1.0)  # mean seconds between phrases
        self.seed_notes = rng.integers(2, 6)
        self.jit = 0.0  # the last phrase's offset from its slot, in mean gaps
        self.gain = 1.0  # set by the model: narrows the range of the birds' loudness

    def _dulled(self) -> float:
        """Energy left to this bird's notes by the dulling with distance (1 when near)."""
        f = _PHRASE_PITCH[self.song] * self.pitch
        return (1 + (f / 9000) ** 2) / (1 + (f / (9000 - 6000 * self.dist)) ** 2)

    def power(self) -> float:
        """Loudness-weighted power of this bird's singing at level 1 (phrase energy by song,
        slower and nearer birds louder, far ones dulled, over the mean gap)."""
        near = (1 - 0.75 * self.dist) ** 2 * self._dulled()
        return _PHRASE_ENERGY[self.song] * self.tempo ** -1.25 * near / self.gap

    def phrase_energy(self) -> float:
        """Mean energy of this bird's phrases as notes (mono, before their level)."""
        return _PHRASE_RAW[self.song] * self.tempo ** -1.25 * self._dulled()


class Birds(SoundModel):
    name = "birds"
    category = "ambience"
    keywords = ("birds", "bird", "birdsong", "bird song", "birdsongs", "songbirds", "songbird",
                "birds singing", "birds chirping", "birds tweeting", "tweeting", "dawn chorus", "morning birds",
                "sparrows", "robin", "blackbird", "finches", "warbler", "thrush", "chirps")
    description = "birdsong: a few birds with different songs (chirps, trills, whistles, warbles) near and far"
    outdoor = True
    option_words = {
        "dawn": ("chorus", True), "chorus": ("chorus", True), "morning": ("chorus", True),
        "many": ("chorus", True), "lots": ("chorus", True), "jungle": ("chorus", True),
        "single": ("chorus", False), "lone": ("chorus", False), "one": ("chorus", False),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        chorus = bool(self.params.options.get("chorus", False))
        count = int(round(2 + 4 * i)) if not chorus else int(round(7 + 6 * i))
        if self.params.options.get("chorus") is False:
            count = 1
        order = rng.permutation(len(_SONGS))
        self.birds = [_Bird(rng, _SONGS[order[k % len(_SONGS)]], chorus) for k in range(count)]
        for b in self.birds:
            b.gap /= 0.6 + 0.8 * i
        # the first phrases come early, so a short clip has birds in it
        self.sched = [Sparse(int(rng.uniform(0.05, 1.2 + 0.8 * k) * sr)) for k, _ in enumerate(self.birds)]
        self.bus = EventBus()
        self.air = ColoredNoise(sr, np.vstack([butter("bandpass", (250, 6000), sr, 1)]), fade=128)
        self.g_air = 0.004 * (0.6 + 0.4 * i)
        self.level = 0.25 * (0.6 + 0.4 * i)
        # which songs, how near and how busy the birds drawn above are sets how loud they are
        # together (a near warbler against three far chirpers): hold back the birds louder than
        # the average bird (near ones stay louder, busy ones busier, but one bird must not carry
        # the scene), then bring their summed power to what birds as drawn give on average
        mean = _BIRD_POWER * (0.6 + 0.8 * i) * (2.0 if chorus else 1.0)
        for b in self.birds:
            b.gain = min(1.0, (b.power() / mean) ** -_SQUASH)
        total = sum(b.power() * b.gain ** 2 for b in self.birds)
        self.level *= float(np.clip(np.sqrt(mean * len(self.birds) / total), 0.25, 4.0))

    # -- notes -----------------------------------------------------------------------
    def _note(self, rng, dur: float, f_start: float, f_end: float, shape: str = "lin",
              fm: float = 0.0, fm_dev: float = 0.0, dull: float = 0.0) -> np.ndarray:
        """One swept note; ``dull`` (0..1) rolls its highs off as distance does."""
        sr = self.sr
        m = max(16, int(dur * sr))
        u = np.arange(m, dtype=np.float32) / np.float32(m)
        if shape == "exp":
            f = f_start * (f_end / f_start) ** u
        elif shape == "arch":  # up then down
            f = f_start + (f_end - f_start) * np.sin(np.float32(np.pi) * u)
        else:
            f = f_start + (f_end - f_start) * u
        if fm:
            f = f + np.float32(fm_dev) * sin_cycles(fm / sr * np.arange(m) + rng.random())
        f = np.minimum(f, np.float32(sr * 0.45))
        ph = np.cumsum(f, dtype=np.float64)
        ph *= 1.0 / sr
        ph += rng.random()
        ph -= np.floor(ph)
        frac = ph.astype(np.float32)  # phase in cycles, wrapped: float32 is plenty from here on
        # envelope: ~4 ms attack, release over the second half
        att = min(0.3, 0.004 * sr / m)
        env = np.minimum(u / np.float32(att), 1) * np.minimum((1 - u) * 2, 1)
        env *= env * (3 - 2 * env)  # smoothstep both ways
        if dull > 0:
            fc = 9000.0 - 6000.0 * dull
            env /= np.sqrt(1 + (f / np.float32(fc)) ** 2)
        tone = np.sin(frac * np.float32(2 * np.pi))
        over = frac * np.float32(4 * np.pi)  # the octave: sin(2 pi (2 ph + 0.3))
        over += np.float32(0.6 * np.pi)
        tone += np.float32(0.12) * np.sin(over, out=over)
        tone *= env
        return tone

    def _phrase(self, rng: np.random.Generator, bird: _Bird) -> np.ndarray:
        sr = self.sr
        p, t = bird.pitch, bird.tempo
        note = lambda *a, **k: self._note(rng, *a, dull=bird.dist, **k)  # noqa: E731
        notes: list[tuple[float, np.ndarray]] = []
        at = 0.0
        if bird.song == "chirp":
            for _ in range(int(rng.integers(2, 7))):
                d = rng.uniform(0.04, 0.09) / t
                notes.append((at, note(d, p * rng.uniform(5200, 6800), p * rng.uniform(3000, 3900),
                                             "exp") * rng.uniform(0.6, 1.0)))
                at += d + rng.uniform(0.05, 0.14) / t
        elif bird.song == "trill":
            count = int(rng.integers(9, 26))
            base = p * rng.uniform(3800, 5200)
            glide = rng.uniform(-0.25, 0.15)
            rate = rng.uniform(13, 20) * t
            for k in range(count):
                f = base * (1 + glide * k / count)
                d = 0.55 / rate
                notes.append((at, note(d, f * 0.92, f * 1.12, "arch") *
                              (0.5 + 0.5 * np.sin(np.pi * (k + 1) / (count + 1)))))
                at += 1.0 / rate
        elif bird.song == "whistle":
            for _ in range(int(rng.integers(2, 5))):
                d = rng.uniform(0.15, 0.4) / t
                f0 = p * rng.uniform(2200, 3400)
                notes.append((at, note(d, f0, f0 * rng.uniform(0.85, 1.3), "lin",
                                             fm=rng.uniform(5, 9), fm_dev=f0 * 0.012) * rng.uniform(0.6, 1.0)))
                at += d + rng.uniform(0.08, 0.25) / t
        elif bird.song == "warble":
            segs = int(rng.integers(4, 10))
            for _ in range(segs):
                d = rng.uniform(0.08, 0.2) / t
                f0 = p * rng.uniform(2800, 5500)
                notes.append((at, note(d, f0, f0 * rng.uniform(0.8, 1.25), "lin",
                                             fm=rng.uniform(18, 35), fm_dev=f0 * rng.uniform(0.05, 0.12)) *
                              rng.uniform(0.5, 1.0)))
                at += d + rng.uniform(0.01, 0.05) / t
        else:  # "tea-cher": a high and a low note, repeated
            hi, lo = p * rng.uniform(5000, 6500), p * rng.uniform(3200, 4200)
            for _ in range(int(rng.integers(3, 6))):
                d = 0.07 / t
                notes.append((at, note(d, hi * 1.05, hi * 0.95)))
                at += d + 0.03 / t
                notes.append((at, note(d * 1.2, lo * 1.1, lo * 0.9) * 0.8))
                at += d * 1.2 + 0.09 / t
        length = int(at * sr) + max(len(x) for _, x in notes) + 8
        mono = np.zeros(length)
        for start, x in notes:
            k = int(start * sr)
            mono[k:k + len(x)] += x
        # a long phrase is a little softer and a short one a little louder than its notes alone
        # would make it (half their spread in energy): a few long trills in a row must not set
        # the level of a whole clip
        mono *= (bird.phrase_energy() * self.sr / (float(np.einsum("i,i->", mono, mono)) + 1e-12)) ** 0.25
        level = self.level * bird.gain * (1.0 - 0.75 * bird.dist) * rng.uniform(0.7, 1.0)
        gl, gr = pan_pair(bird.pan + rng.uniform(-0.05, 0.05))
        return np.vstack([mono * gl, mono * gr]) * level

    def _gap(self, rng: np.random.Generator, bird: _Bird) -> float:
        """Samples to a bird's next phrase: its phrases keep to a jittered grid of its mean gap
        (each up to ~half a gap early or late), so a bird sings its share of any half-minute."""
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = bird.gap * (1.0 + jit - bird.jit)
        bird.jit = jit
        return self.sr * gap

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = self.bus.begin(n)
        for bird, sched in zip(self.birds, self.sched):
            for start in sched.onsets(n, lambda b=bird: self._gap(rng, b)):
                self.bus.add(start, self._phrase(rng, bird))
        out += self.air(rng, n, gain=self.g_air)
        return soft_limit(out)


class DawnChorus(Birds):
    name = "dawn_chorus"
    category = "ambience"
    keywords = ("dawn chorus", "birds at dawn", "morning chorus", "birds at sunrise", "sunrise birds",
                "early morning birds", "dawn birds", "chorus of birds", "birds+dawn", "birds+sunrise")
    description = "dawn chorus: a dozen or more birds singing at once, near and far, songs overlapping"
    outdoor = True
    option_words = {}
    supersedes = ("birds",)

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.params = replace(self.params, intensity=0.6 + 0.4 * i,
                              options={**self.params.options, "chorus": True})
        super().setup(rng)
