"""Sustained music beds: an ambient pad and a tense drone, synthesised at half the sample
rate. The shared core (moods, harmony, synthesis, reverb) is in ``_musickit``.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._musickit import (_MOOD_OPTIONS, _MOODS, _PROGRESSIONS, _SECTIONS, _TABLE, _TWO_PI, _Bank, _Harmony,
                        _Reverb, _decaying_partials, _fade_in_start, _lowpass_gain, _midi_hz, _mood,
                        _render_banks)
from .base import SoundModel, StatefulFilter, Timeline, butter, noise, pan_gains

# --------------------------------------------------------------------------- pad and drone

def _upsample2(xh: np.ndarray, start: int, n: int) -> np.ndarray:
    """Full-rate (2, n) from half-rate samples x_j (j from (start+1)//2 - 1), where x_j sits
    at full-rate time 2j+1: odd positions take x_j, even ones the mean of two neighbours."""
    if start % 2 == 0 and n % 2 == 0:  # float64 out, whatever the input
        y = np.empty((2, n))
        np.add(xh[:, :-1], xh[:, 1:], out=y[:, 0::2])
        y[:, 0::2] *= 0.5
        y[:, 1::2] = xh[:, 1:]
        return y
    p = np.arange(start, start + n)
    j_lo = (start + 1) // 2 - 1
    odd = (p % 2) == 1
    ia = np.where(odd, (p - 1) // 2, p // 2 - 1) - j_lo
    ib = np.where(odd, (p - 1) // 2, p // 2) - j_lo
    return 0.5 * (xh[:, ia].astype(np.float64) + xh[:, ib])


class _HalfRateBed(Timeline, SoundModel):
    """Sustained beds synthesised at half the sample rate (their content stays well
    below a quarter of the rate), then interpolated up. Tonal parts are pure functions
    of the absolute position; stateful parts (noise, reverb) see each half-rate sample
    once, in order, and the one sample a block shares with the previous one is kept."""

    category = "music"

    def _half_setup(self, rt60: float, rng: np.random.Generator) -> None:
        self._clock_reset()
        self.hr = self.sr / 2
        self.chunk = 256 if self.sr <= 50000 else 512  # ~10 ms of half-rate samples
        self.verb = _Reverb(self.hr, rt60, rng)
        self._fed = -1  # last half-rate index the stateful parts have produced
        self._last = np.zeros((2, 1))

    def _half_block(self, n: int):
        start = self._block_start(n)
        j_lo = (start + 1) // 2 - 1
        j_hi = (start + n - 1) // 2
        length = j_hi - j_lo + 1
        mb = -(-length // self.chunk)
        pos = 2 * (j_lo + (np.arange(mb) + 0.5) * self.chunk) + 1  # chunk centres, full-rate samples
        return start, j_lo, j_hi, length, mb, pos

    def _stateful(self, j_lo: int, j_hi: int, make) -> np.ndarray:
        """Run ``make(k)`` -> (2, k) for the half-rate samples not produced yet and return
        (2, j_hi - j_lo + 1) covering the whole block."""
        k = j_hi - self._fed
        new = make(k) if k > 0 else np.zeros((2, 0), dtype=self._last.dtype)
        have = np.concatenate([self._last.astype(new.dtype), new], axis=1)  # covers [fed, j_hi]
        self._fed = j_hi
        if have.shape[1]:
            self._last = have[:, -1:]
        return have[:, have.shape[1] - (j_hi - j_lo + 1):]

    def _finish(self, dry: np.ndarray, j_lo: int, j_hi: int, start: int, n: int,
                extra=None) -> np.ndarray:
        """Add the stateful parts (``extra(k)`` mono for new samples, then reverb) and go up."""
        def make(k: int) -> np.ndarray:  # float32
            fresh = dry[:, dry.shape[1] - k:].astype(np.float32)
            if extra is not None:
                fresh += extra(k)[None, :]
            wet = self.verb(fresh.sum(axis=0))
            wet *= np.float32(self.wet)
            wet += fresh
            return wet
        mix = self._stateful(j_lo, j_hi, make)
        out = _upsample2(mix, start, n)
        out *= self.level
        _fade_in_start(out, start, self.sr)
        return out

    @staticmethod
    def _env(k: int, span: float, attack: float, release: float, pos: np.ndarray) -> np.ndarray:
        """Amplitude of section k (k*span ... (k+1)*span) at positions: slow rise, hold, slow release."""
        on = k * span - attack / 2
        off = (k + 1) * span - attack / 2
        rise = np.clip((pos - on) / attack, 0, 1)
        fall = np.clip((pos - off) / release, 0, 1)
        return np.sin(np.pi / 2 * rise) ** 2 * np.cos(np.pi / 2 * fall) ** 2


class Pad(_HalfRateBed):
    name = "pad"
    keywords = ("pad", "synth pad", "ambient music", "synth", "synthesizer", "ambient pad",
                "dreamy music", "ethereal music", "atmospheric music", "electronic music", "space music",
                "synth music", "ambient score", "warm pad")
    default_level_db = -8.0
    description = "ambient pad: slow detuned chords through a gently moving low-pass, long attack and release"
    option_words = _MOOD_OPTIONS

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.mood = _mood(self.params) or "dreamy"
        self.harmony = h = _Harmony(self.mood, rng, rng.random() < 0.5)
        lo, hi = h.tempo_range
        self.bpm = float(rng.uniform(lo, hi))
        bar = 4 * 60.0 / self.bpm
        self.chord_samples = 2 * bar * sr  # a chord lasts two bars (~7 s)
        self.attack = 0.35 * self.chord_samples
        self.release_len = 0.6 * self.chord_samples
        progs = _PROGRESSIONS[h.mode]
        a, b = rng.choice(len(progs), 2, replace=False)
        self.progressions = (progs[a], progs[b])
        bright = float(np.clip(h.brightness + 0.35 * (i - 0.5), 0.05, 1.0))
        self.cut_lo = 250 + 500 * bright
        self.cut_hi = 900 + 2600 * bright
        self.mod_rates = rng.uniform(1 / 23, 1 / 9, 2)
        self.mod_phase = rng.uniform(0, _TWO_PI, 2)
        self.detune = rng.uniform(4, 9)  # cents
        self._half_setup(3.5, rng)
        self.wet = 0.35
        extension = 4 if self.mood in ("dreamy", "calm", "hopeful", "happy") else 3  # add9 or 7th
        # one bank of partials per distinct chord (8 at most: two 4-chord progressions)
        self.banks: dict[tuple[int, int], _Bank] = {}
        for sec in (0, 1):
            for d in self.progressions[sec]:
                if (sec, d) not in self.banks:
                    self.banks[(sec, d)] = self._chord_bank(h, d, extension, rng)
        # level: the incoherent partials' rms at the middle cutoff, aimed at ~0.12 per chord
        mid = np.sqrt(self.cut_lo * self.cut_hi)
        rms = max(np.sqrt(0.5 * np.sum((b.amp[0] ** 2 + b.amp[1] ** 2)
                                       * _lowpass_gain(b.freqs, np.array([[mid]]))[0] ** 2))
                  for b in self.banks.values())
        self.level = (0.4 + 0.5 * i) * 0.12 / rms

    def _chord_bank(self, h: _Harmony, d: int, ext: int, rng: np.random.Generator) -> _Bank:
        tones = h.chord(d)
        root = tones[0]
        # upper voices placed around E4 so chord changes move little (smooth voice leading)
        upper = sorted(60 + ((h.root + t - 60 + 6) % 12) - 6 for t in (tones[1], tones[2], tones[ext]))
        notes = [(h.place(root, 36), 1.0, 16)] + [(m, 0.5, 10) for m in upper]
        fcap = min(0.42 * self.hr, 2.5 * self.cut_hi)
        freqs, al, ar = [], [], []
        for midi, gain, kmax in notes:
            f0 = float(_midi_hz(midi))
            det = self.detune * (0.35 if midi < 48 else 1.0)  # the bass beats slowly, or it wobbles
            for side, share in ((-1, 0.6), (1, 0.4)):
                f = f0 * 2 ** ((side * det + rng.uniform(-0.5, 0.5)) / 1200)
                pl, pr = pan_gains(0.55 * side)[:, 0] / np.sqrt(2)
                k = np.arange(1, max(1, int(min(kmax, fcap / f))) + 1)
                freqs.append(k * f)
                amp = 2 * share * gain / k  # sawtooth
                al.append(amp * pl)
                ar.append(amp * pr)
            if midi < 48:  # a sine sub an octave below the bass for warmth
                freqs.append(np.array([f0 / 2]))
                al.append(np.array([0.35 * gain]))
                ar.append(np.array([0.35 * gain]))
        return _Bank(self.hr, np.concatenate(freqs), np.concatenate(al), np.concatenate(ar), self.chunk)

    def _cutoff(self, pos: np.ndarray) -> np.ndarray:
        t = pos / self.sr
        m = 0.5 + 0.3 * np.sin(_TWO_PI * self.mod_rates[0] * t + self.mod_phase[0]) \
            + 0.2 * np.sin(_TWO_PI * self.mod_rates[1] * t + self.mod_phase[1])
        return self.cut_lo * (self.cut_hi / self.cut_lo) ** m

    def chord_at(self, c: int) -> tuple[int, int]:
        """(section, scale degree) of chord number c (chords last two bars; phrases A A B A)."""
        sec = _SECTIONS[(c // 4) % 4]
        return sec, self.progressions[sec][c % 4]

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start, j_lo, j_hi, length, mb, pos = self._half_block(n)
        cutoff = self._cutoff(pos)[:, None]
        items = []
        span = self.chord_samples
        c0 = int(np.floor((pos[0] - self.release_len) / span)) - 1
        c1 = int(np.floor((pos[-1] + self.attack) / span)) + 1
        for c in range(c0, c1 + 1):
            env = self._env(c, span, self.attack, self.release_len, pos)
            if env.any():
                bank = self.banks[self.chord_at(c)]
                items.append((bank, _lowpass_gain(bank.freqs, cutoff) * env[:, None]))
        dry = _render_banks(items, j_lo, length, self.chunk)
        return self._finish(dry, j_lo, j_hi, start, n)


class Drone(_HalfRateBed):
    name = "drone"
    keywords = ("drone", "tense", "suspense", "suspenseful", "ominous", "dark music", "tension",
                "tense music", "suspense music", "horror music", "dread", "menacing", "eerie music",
                "creepy music", "thriller music", "scary music", "dark drone", "ominous music")
    default_level_db = -8.0
    description = "tense drone: low dissonant cluster, slow pulse, filtered-noise swells and occasional low hits"
    option_words = _MOOD_OPTIONS

    _UPPER = (1, 6, 13, 8, 11, 1, 7, 13)  # dissonant intervals over the root, semitones

    def setup(self, rng: np.random.Generator) -> None:
        sr = self.sr
        i = float(np.clip(self.params.intensity, 0, 1))
        self.mood = _mood(self.params) or "tense"
        if _MOODS[self.mood][0] == "major":
            self.mood = "mysterious"  # a drone is never cheerful
        self.harmony = h = _Harmony(self.mood, rng, False)
        lo, hi = h.tempo_range
        self.bpm = float(rng.uniform(lo, hi))
        self.bar_samples = 4 * 60.0 / self.bpm * sr
        self.state_samples = 2 * self.bar_samples
        self.attack = 0.5 * self.state_samples
        self.release_len = 0.7 * self.state_samples
        self._half_setup(4.0, rng)
        self.wet = 0.4
        self.root = h.place(0, 31)  # G1..F#2
        bright = float(np.clip(h.brightness + 0.3 * (i - 0.5), 0.05, 1.0))
        self.cut = 180 + 700 * bright
        order = rng.permutation(len(self._UPPER))
        self.uppers = [self._UPPER[k] for k in order]
        self.banks = {u: self._bank(u, rng, i) for u in sorted(set(self.uppers))}
        self.core = self._core_bank(rng)
        # slow pulse at half the beat rate, on the grid
        self.pulse_w = _TWO_PI * (self.bpm / 60 / 2) / sr
        self.pulse_depth = 0.25 + 0.4 * i
        # filtered noise swells (filtered at the half rate)
        self.noise_filter = StatefulFilter(butter("bandpass", (90, 160 + 900 * bright), int(self.hr), 1),
                                           channels=1, dtype=np.float32)
        # (the main swell comes round at least twice in half a minute, so no render sits in one
        # long trough; the slower one only shades it)
        self.swell_rates = np.array([rng.uniform(1 / 17, 1 / 9), rng.uniform(1 / 31, 1 / 11)])
        self.swell_phase = rng.uniform(0, _TWO_PI, 2)
        imp = np.zeros(int(self.hr))
        imp[0] = 1.0
        noise_rms = np.sqrt(np.sum(signal.sosfilt(self.noise_filter.sos, imp) ** 2))
        self.noise_gain = (0.3 + 0.4 * i) / noise_rms  # relative to the tones' rms of 1
        # occasional low hits on bar lines (never in bar 0: the bed should not open with a bang)
        self.hits = [self._hit(rng) for _ in range(3)]
        # on a jittered grid of bars (every 1/p bars, each up to 0.3 of that early or late), so
        # half a minute holds its share of them whatever the seed
        p = 0.12 + 0.3 * i
        k = np.arange(int(np.ceil(_TABLE * p)) + 1)
        at = np.round((k + rng.uniform(0, 1) + rng.uniform(-0.3, 0.3, k.size)) / p).astype(int)
        self.hit_on = np.zeros(_TABLE, dtype=bool)
        self.hit_on[at[(at > 0) & (at < _TABLE)]] = True
        self.hit_pick = rng.integers(0, len(self.hits), _TABLE)
        self.hit_gain = rng.uniform(0.6, 1.0, _TABLE)
        self.hit_len = max(x.size for x in self.hits)
        # the tones are scaled to an rms of about 1, hits and hiss sit relative to that
        def rms(b):
            return np.sum(b.amp[0] ** 2 + b.amp[1] ** 2) / 2
        est = np.sqrt(rms(self.core) + np.mean([rms(b) for b in self.banks.values()]))
        for b in [self.core, *self.banks.values()]:
            b.amp = (b.amp[0] / est, b.amp[1] / est)
        # ...then to the same loudness whatever the seed: the reverb's answer to a sustained
        # partial is coherent with it and, from one seed's delay lines to another's, can double
        # it or cancel it, and the meter weighs the low partials down
        est = np.sqrt(self._tone_power() / 0.75)
        for b in [self.core, *self.banks.values()]:
            b.amp = (b.amp[0] / est, b.amp[1] / est)
        self.hit_gain *= 2.5 + 1.5 * i
        self.level = 0.075 * (0.8 + 0.4 * i)

    # BS.1770's K-weighting (pre-filter shelf and RLB high-pass) at 48 kHz
    _K_SOS = np.array([[1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241,
                        0.73248077421585],
                       [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621]])

    def _wet_response(self, freqs: np.ndarray) -> np.ndarray:
        """Complex steady-state gain (freqs, 2) of the reverb, as run on the half-rate dry
        signal (block-mean decimation, delay-line network, linear interpolation back up)."""
        verb = self.verb
        D = verb.D
        w = _TWO_PI * np.asarray(freqs, dtype=np.float64) / self.hr  # radians per half-rate sample
        d = np.array(verb.d)
        zd = np.exp(-1j * (w * D)[:, None] * d[None, :])  # each line's delay at the network's rate
        lines = np.linalg.solve(np.eye(d.size)[None] - zd[:, :, None] * verb.A[None],
                                (zd * verb.b[None, :])[:, :, None])[:, :, 0]
        r = np.arange(D)
        dec = np.mean(np.exp(-1j * w[:, None] * (r - (D - 1) / 2)), axis=1)
        up = np.mean((1 - r / D) * np.exp(-1j * w[:, None] * (2 * D + r - (D - 1) / 2))
                     + (r / D) * np.exp(-1j * w[:, None] * (D + r - (D - 1) / 2)), axis=1)
        return (lines @ verb.C.T) * (dec * up)[:, None]

    def _tone_power(self) -> float:
        """Loudness-weighted power of the tones with their reverb: the core plus an average
        cluster state, each partial summed with its (coherent) reverberation."""
        def power(b: _Bank) -> float:
            h = self._wet_response(b.freqs)
            mono = (b.amp[0] + b.amp[1]) * self.wet
            _, k = signal.sosfreqz(self._K_SOS, worN=b.freqs, fs=48000)
            return float(np.sum(np.abs(k) ** 2 * (np.abs(b.amp[0] + mono * h[:, 0]) ** 2
                                                  + np.abs(b.amp[1] + mono * h[:, 1]) ** 2)) / 2)
        return power(self.core) + float(np.mean([power(b) for b in self.banks.values()]))

    def _voice(self, midi: float, gain: float, kmax: int, spread: float, rng, freqs, al, ar) -> None:
        f0 = float(_midi_hz(midi))
        for side, share in ((-1, 0.65), (1, 0.35)):
            f = f0 * 2 ** ((side * rng.uniform(3, 8)) / 1200)  # slow beating between the pair
            pl, pr = pan_gains(spread * side)[:, 0] / np.sqrt(2)
            k = np.arange(1, int(min(kmax, 0.42 * self.hr / f)) + 1)
            amp = 2 * share * gain / k ** 1.3 / np.sqrt(1 + (k * f / self.cut) ** 4)
            freqs.append(k * f)
            al.append(amp * pl)
            ar.append(amp * pr)

    def _core_bank(self, rng) -> _Bank:
        freqs, al, ar = [], [], []
        self._voice(self.root, 1.0, 12, 0.2, rng, freqs, al, ar)
        self._voice(self.root + 12, 0.4, 8, 0.4, rng, freqs, al, ar)
        freqs.append(np.array([float(_midi_hz(self.root - 12))]))  # sub
        al.append(np.array([0.5]))
        ar.append(np.array([0.5]))
        return _Bank(self.hr, np.concatenate(freqs), np.concatenate(al), np.concatenate(ar), self.chunk)

    def _bank(self, upper: int, rng, i: float) -> _Bank:
        freqs, al, ar = [], [], []
        self._voice(self.root + 12 + upper, 0.35, 6, 0.6, rng, freqs, al, ar)
        if upper != 1:  # keep the semitone rub over the root's octave in every state
            self._voice(self.root + 13, 0.2, 4, 0.7, rng, freqs, al, ar)
        # high, thin, beating pair of sines: the eerie part
        for m, g in ((self.root + 36 + upper % 12, 0.03 + 0.05 * i), (self.root + 37 + upper % 12, 0.025 + 0.04 * i)):
            f = float(_midi_hz(m))
            if f < 0.42 * self.hr:
                freqs.append(np.array([f]))
                p = rng.uniform(-0.7, 0.7)
                pl, pr = pan_gains(p)[:, 0] / np.sqrt(2)
                al.append(np.array([g * pl]))
                ar.append(np.array([g * pr]))
        return _Bank(self.hr, np.concatenate(freqs), np.concatenate(al), np.concatenate(ar), self.chunk)

    def _hit(self, rng) -> np.ndarray:
        """A low boom at the half rate: a falling sine, a dull noise thud, a faint metallic ring."""
        hr = int(self.hr)
        n = int(3.0 * hr)
        t = np.arange(n) / hr
        f = 30 + rng.uniform(25, 45) * np.exp(-t / 0.25)
        boom = np.sin(_TWO_PI * np.cumsum(f) / hr) * np.exp(-t / 0.9)
        thud = signal.sosfilt(butter("lowpass", 250, hr, 2), rng.standard_normal(n)) * np.exp(-t / 0.08) * 0.6
        ring = _decaying_partials(hr, float(_midi_hz(self.root + 24)) * np.array([1, 2.76, 5.4]),
                                  [0.05, 0.03, 0.02], [2.0, 1.2, 0.7], n).astype(np.float64)
        x = boom + thud + ring
        x[:int(0.002 * hr)] *= np.linspace(0, 1, int(0.002 * hr))
        x[-int(0.2 * hr):] *= np.linspace(1, 0, int(0.2 * hr))
        return x / np.max(np.abs(x)) * 0.9

    def state_at(self, s: int) -> int:
        """Upper interval (semitones over the root) of cluster state s (states last two bars)."""
        return self.uppers[s % len(self.uppers)]

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start, j_lo, j_hi, length, mb, pos = self._half_block(n)
        items = [(self.core, np.ones((mb, self.core.size)))]
        span = self.state_samples
        s0 = int(np.floor((pos[0] - self.release_len) / span)) - 1
        s1 = int(np.floor((pos[-1] + self.attack) / span)) + 1
        for s in range(s0, s1 + 1):
            env = self._env(s, span, self.attack, self.release_len, pos)
            if env.any():
                bank = self.banks[self.state_at(s)]
                items.append((bank, np.broadcast_to(env[:, None], (mb, bank.size))))
        dry = _render_banks(items, j_lo, length, self.chunk)
        # slow pulse from the absolute position (half-rate sample j sits at full-rate 2j+1)
        w = 2 * self.pulse_w
        ph = np.float32((self.pulse_w * (2 * j_lo + 1)) % _TWO_PI) + np.arange(length, dtype=np.float32) * np.float32(w)
        dry *= 1.0 - self.pulse_depth * (0.5 - 0.5 * np.cos(ph))
        # low hits on bar lines (a pure function of the position, like the tones)
        hits = np.zeros(length)
        b0 = max(1, int((2 * j_lo - 2 * self.hit_len) // self.bar_samples))
        for b in range(b0, int((2 * j_hi + 1) // self.bar_samples) + 1):
            k = b % _TABLE
            if self.hit_on[k]:
                onset = int(round(b * self.bar_samples / 2))  # half-rate index
                x = self.hits[self.hit_pick[k]]
                a, z = max(onset, j_lo), min(j_hi + 1, onset + x.size)
                if z > a:
                    hits[a - j_lo:z - j_lo] += x[a - onset:z - onset] * self.hit_gain[k]
        dry += hits[None, :]

        def hiss(k: int) -> np.ndarray:  # noise swells for the k new half-rate samples
            t = (2 * (j_hi - k + 1) + 1 + 2 * np.arange(k)) / self.sr
            t_ends = np.array([t[0], t[-1]])
            sw = (0.5 + 0.5 * np.sin(_TWO_PI * self.swell_rates[0] * t_ends + self.swell_phase[0])) ** 2 \
                * (0.7 + 0.3 * np.sin(_TWO_PI * self.swell_rates[1] * t_ends + self.swell_phase[1]))
            ramp = (np.linspace(sw[0], sw[1], k) * self.noise_gain).astype(np.float32)
            return self.noise_filter(noise(rng, 1, k, dtype=np.float32))[0] * ramp
        return self._finish(dry, j_lo, j_hi, start, n, extra=hiss)
