"""Thunder: sparse strikes, each a rolling low rumble made of several
overlapping rolls with a fluttering texture; close strikes open with a
ripping, broadband crack. A faint distant grumble fills the gaps.

The rumbles are rendered at ~1.5 kHz (their content sits below a few hundred
hertz) on their own event bus and brought up to the output rate; only the
cracks are rendered at the full rate.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import SplineUpsampler, Sparse, Upsampler, Wander, factor_for, low_len, soft_limit
from .base import EventBus, SoundModel, StatefulFilter, butter, noise


_JITTER = 0.3  # how far (in mean gaps) a strike strays from its slot on the storm's grid
_RUMBLE_LOUD = 0.17  # gated, weighted RMS every rumble is brought to before its strike's level


class Thunder(SoundModel):
    # 0..1: how much of the roll is its claps (the N-waves of the channel's kinks, heard one by one)
    # rather than the smooth growl of their overlap
    clap_share = 0.5

    # level each roll by its whole energy (rolls that overlap into one long grumble, whose loudness
    # is the sum of theirs) rather than by its loud stretch (separate strikes, each judged alone)
    level_by_energy = False
    # the rate the rolls are made at: a near roll reaches ~2 kHz, and at 6 kHz its upper band would
    # come back mirrored at 4-5.5 kHz through the upsampler; far rolls stay under ~700 Hz
    roll_rate_hz = 12000.0
    # strikes come every 5-25 s with rolls of varied length: 30 s holds too few of them for the
    # calibration (engine/calibration.py) to read the storm's long-term level within a decibel
    calibration_seconds = 120.0

    name = "thunder"
    category = "ambience"
    keywords = ("thunder", "thunderstorm", "thunderclap", "thunder clap", "thunder crack",
                "rumble of thunder", "rolling thunder", "lightning", "thunderous")
    description = "thunder: sparse rolling rumbles in the distance, close strikes crack first"
    outdoor = True
    option_words = {
        "distant": ("closeness", "distant"), "far": ("closeness", "distant"), "rolling": ("closeness", "distant"),
        "rumble": ("closeness", "distant"), "rumbling": ("closeness", "distant"),
        "close": ("closeness", "close"), "crack": ("closeness", "close"), "cracks": ("closeness", "close"),
        "clap": ("closeness", "close"), "overhead": ("closeness", "close"), "nearby": ("closeness", "close"),
        "strike": ("closeness", "close"), "lightning": ("closeness", "close"),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        self.fac = factor_for(sr, self.roll_rate_hz)
        self.lo_sr = sr / self.fac
        self.mean_gap = 24.0 - 15.0 * i  # seconds between strikes on average
        mode = self.params.options.get("closeness")
        self.close_bias = {"distant": -0.45, "close": 0.45}.get(mode, 0.0)
        first = rng.uniform(0.3, 2.5) if i > 0.15 else rng.uniform(1.0, 6.0)
        self.sched = Sparse(int(first * sr))
        self.jit = 0.0  # the last strike's offset from its slot on the storm's grid, in mean gaps
        self.deck: list[int] = []  # closeness strata still to deal (see _closeness)
        # what the loudness meter hears of a rumble: its K-weighting's low cut, at the low rate
        self.meter_sos = butter("highpass", 40, self.lo_sr, 2)
        self.low_bus = EventBus()
        self.crack_bus = EventBus()
        self.up = SplineUpsampler(self.fac, 2)
        self.bed = StatefulFilter(np.vstack([butter("lowpass", 90, self.lo_sr, 2),
                                             butter("highpass", 22, self.lo_sr, 1)]))
        self.bed_mod = Wander(rng, 0.12, self.lo_sr / 8)
        self.bed_up = Upsampler(8, 1)
        self.g_bed = 0.05 * (0.4 + 0.6 * i) / np.sqrt(self.fac)
        self.first = True
        self.prelude = False  # whether a strike from before the clip is still rolling at its start
        self.prelude_s = 18.0  # how far back before the clip the storm is played (longer than a roll)

    # -- one strike -----------------------------------------------------------------
    def _rumble(self, rng: np.random.Generator, close: float) -> np.ndarray:
        """One strike's roll: the N-waves of every stretch of the channel, arriving in turn.

        A channel is kilometres long and tortuous, so its stretches lie at very different
        ranges: their sound arrives over several seconds (close: 6-10 s, the nearest first;
        far off: 9-16 s, slow to swell) and in bunches (the branches and kinks at one range
        give the roll its swells). Each arrival is an N-wave whose spectrum peaks near 1/its
        length (tens to a few hundred hertz) and falls at 6 dB an octave above, so the roll
        reaches well past 125 Hz; the air then takes the highs in proportion to the range:
        later arrivals and farther strikes are darker. Ground reflections and the terrain's
        echoes smear it all into a continuous growl under the claps.
        """
        fs = self.lo_sr
        dur = rng.uniform(7.0, 10.0) * (1.0 + 0.6 * (1.0 - close))
        m = int(dur * fs)
        t = np.arange(m) / fs
        # the envelope moves no faster than ~30 ms: drawn at 400 Hz and interpolated
        cr = 400.0
        tc = np.arange(int(dur * cr) + 2) / cr
        env = np.zeros(tc.size)
        rolls = int(rng.integers(4, 9))
        # the bunches of arrivals: the nearest stretch first, the rest spread over the roll
        starts = np.sort(rng.uniform(0.0, 0.7 * dur, rolls))
        starts[0] = rng.uniform(0.0, 0.08) if close > 0.5 else rng.uniform(0.0, 0.4)
        slow = 1.0 - close  # far strikes swell and fade slowly
        for k, t0 in enumerate(starts):
            amp = rng.uniform(0.6, 1.0) * (1.0 if k == 0 else 0.92 ** k)
            attack = rng.uniform(0.03, 0.1) if (k == 0 and close > 0.5) else rng.uniform(0.15, 0.5) * (1 + 2 * slow)
            decay = rng.uniform(0.8, 2.0) * (1 + 1.2 * slow)
            x = np.clip(tc - t0, 0, None)
            env += amp * (1 - np.exp(-x / attack)) * np.exp(-x / decay)
        # rolling texture: fast random flutter of the level
        flut = signal.sosfilt(butter("lowpass", rng.uniform(5, 12), cr, 2), rng.standard_normal(tc.size))
        flut /= np.std(flut) + 1e-12
        env *= np.clip(1 + 0.25 * flut, 0.05, None)
        env = np.interp(t, tc, env)
        env *= np.clip((dur - t) / 2.5, 0, 1) ** 2  # a clean, gradual end
        env *= np.clip(t / 0.01, 0, 1)
        raw = rng.standard_normal((2, m))
        raw[1] = 0.6 * raw[0] + 0.8 * raw[1]
        # the air's loss over the range: a near strike keeps its growl to ~1 kHz, a far one to a few
        # hundred hertz; arrivals later in the roll come from farther and are a little darker still
        cut = 250 + 900 * close ** 1.5
        sos = np.vstack([butter("lowpass", min(cut, 0.4 * fs), fs, 2), butter("highpass", 24, fs, 2)])
        growl = signal.sosfilt(sos, raw, axis=-1)
        # N-wave spectra: the pressure of a pulse T long peaks near 1/T and falls 6 dB an octave
        growl = signal.sosfilt(butter("lowpass", 60 + 60 * close, fs, 1), growl, axis=-1) * 4.0 \
            + 0.35 * growl
        body = growl * (env * (1.0 - 0.5 * self.clap_share))
        claps = self._claps(rng, env, close)
        body += signal.sosfilt(np.vstack([butter("lowpass", min(1.6 * cut, 0.4 * fs), fs, 2),
                                          butter("highpass", 30, fs, 2)]),
                               claps, axis=-1) * (env * (1.0 + 2.0 * self.clap_share))
        if close > 0.3:
            # the first of the roll comes from the nearest stretch of the channel and is brighter;
            # the rest travels farther through air that soaks up the highs, so the upper band dies
            # away within a second or two while the low roll goes on
            bright = signal.sosfilt(butter("bandpass", (250, min(1800, 0.45 * fs)), fs, 2), raw, axis=-1)
            body += bright * env * (1.2 * close * np.exp(-t / (0.35 + 0.5 * close)))
        # level each rumble by how loud it sounds (rolls, flutter and length vary a lot), not by
        # its peak, within limits so a lone spike is not blown up
        body *= np.clip(_RUMBLE_LOUD / (self._loudness(body) + 1e-12), 0.5 / (np.max(np.abs(body)) + 1e-12),
                        (1.1 + 1.4 * self.clap_share) / (np.max(np.abs(body)) + 1e-12))
        return body

    def _claps(self, rng: np.random.Generator, env: np.ndarray, close: float) -> np.ndarray:
        """The roll's grain: the shock waves of the channel's many kinks arriving one after
        another, each an N-wave (a sharp rise, a linear fall through zero, a sharp return)
        a few to tens of milliseconds long, as frequent as the roll is loud. (2, m), about
        unit RMS where the roll is at its loudest."""
        fs = self.lo_sr
        m = env.size
        count = int(rng.uniform(25, 60) * m / fs)
        p = env / (env.sum() + 1e-12)
        at = rng.choice(m, size=count, p=p)
        amp = np.stack([rng.uniform(0.3, 1.0, count) * rng.choice((-1.0, 1.0), count) for _ in range(2)])
        widths = (0.004, 0.01, 0.025) if close > 0.5 else (0.01, 0.025, 0.05)
        shaped = np.zeros((2, m))
        lane = at % len(widths)  # the claps fall at random samples: a third on each width
        for k, w in enumerate(widths):
            n_w = max(3, int(w * fs))
            nwave = np.linspace(1.0, -1.0, n_w) / np.sqrt(n_w / 3.0)  # unit energy
            sel = lane == k
            # each clap written in place (a few hundred sparse N-waves: cheaper than convolving
            # the whole roll)
            idx = at[sel][:, None] + np.arange(n_w)[None, :]
            inside = idx < m
            for c in range(2):
                np.add.at(shaped[c], idx[inside], (amp[c, sel][:, None] * nwave[None, :])[inside])
        return shaped * 2.0

    def _loudness(self, body: np.ndarray) -> float:
        """RMS of a rumble as a loudness meter gates it: over its 400 ms blocks within 10 dB of
        the loudest, low end weighted down."""
        y = signal.sosfilt(self.meter_sos, body, axis=-1)
        p = (y * y).sum(0)
        if self.level_by_energy:  # overlapping rolls: what the ear sums is each one's energy
            return float(np.sqrt(p.sum() / (12.0 * self.lo_sr)))
        b = int(0.4 * self.lo_sr)
        k = max(1, p.size // b)
        blocks = p[:k * b].reshape(k, b).mean(1)
        return float(np.sqrt(np.mean(blocks[blocks > 0.1 * blocks.max()])))

    def _crack(self, rng: np.random.Generator, close: float) -> np.ndarray:
        sr = self.sr
        m = int(0.7 * sr)
        t = np.arange(m) / sr
        out = np.zeros((2, m))
        # the rip: clicks whose density rises then dies over a few hundred ms
        rip_len = rng.uniform(0.12, 0.35)
        count = int(rng.uniform(250, 600) * rip_len * (0.5 + close))
        times = rip_len * rng.beta(2.0, 1.5, count)
        idx = (times * sr).astype(int)
        amp = rng.uniform(0.2, 1.0, count) ** 2 * np.exp(-times / (rip_len * 0.9))
        pan = rng.uniform(0, 1, count)
        np.add.at(out[0], idx, amp * np.sqrt(1 - pan))
        np.add.at(out[1], idx, amp * np.sqrt(pan))
        # the blast: broadband noise with a fast attack and ~100 ms decay, at the end of the rip
        t0 = rip_len * rng.uniform(0.6, 1.0)
        x = np.clip(t - t0, 0, None)
        blast_env = (1 - np.exp(-x / 0.002)) * np.exp(-x / rng.uniform(0.08, 0.18)) * (t >= t0)
        blast = rng.standard_normal((2, m))
        blast[1] = 0.7 * blast[0] + 0.7 * blast[1]
        out += 0.22 * blast * blast_env
        sos = np.vstack([butter("highpass", 180, sr, 2), butter("lowpass", 7500, sr, 1)])
        out = signal.sosfilt(sos, out, axis=-1)
        out /= np.max(np.abs(out)) + 1e-12
        return out

    def _gap(self, rng: np.random.Generator) -> float:
        """Samples to the next strike: strikes keep to a jittered grid of the mean gap (each
        up to ~0.3 of a gap early or late), so a storm's pace holds whatever the seed."""
        jit = rng.uniform(-_JITTER, _JITTER)
        gap = self.mean_gap * (1.0 + jit - self.jit)
        self.jit = jit
        return self.sr * gap

    def _closeness(self, rng: np.random.Generator, opening: bool) -> float:
        """How close the next strike is, 0..1: drawn from the storm's distribution half of it at
        a time (a shuffled deck of its farther and nearer halves), so a short scene gets a mix
        of near and far strikes rather than a run of one kind. An opening strike that must be
        a rumble takes from the farther half and leaves the nearer one for the next."""
        if opening:  # the second quarter: a rumble, but not one so far off it barely registers
            self.deck = [1]
            u = (1 + rng.random()) / 4
        else:
            if not self.deck:
                self.deck = [int(k) for k in rng.permutation(2)]
            u = (self.deck.pop() + rng.random()) / 2
        from scipy import special  # imported by the first strike, not by every render

        return float(special.betaincinv(1.2 + 2.0 * self.i, 2.2, u))

    def _strike(self, rng: np.random.Generator, start: int) -> None:
        i = self.i
        opening = self.first and self.close_bias <= 0 and i < 0.8
        close = float(np.clip(self._closeness(rng, opening) + self.close_bias, 0, 1))
        if opening:
            close = min(close, 0.5)  # open on a rumble, not a crack, unless asked
        self.first = False
        level = (0.5 + 0.35 * close) * rng.uniform(0.9, 1.0)
        body = self._rumble(rng, close) * level
        lo_start = start // self.fac
        if start < 0:  # a strike from before the clip began: only the rest of its roll is heard
            body = body[:, -lo_start:]
            lo_start = 0
        elif close > 0.55:
            crack = self._crack(rng, close) * (0.9 * level * (close - 0.3))
            self.crack_bus.add(start, crack)
            lo_start += int(rng.uniform(0.03, 0.15) * self.lo_sr)
        self.low_bus.add(lo_start, body)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_lo = low_len(n, self.fac)
        low = self.low_bus.begin(n_lo)
        crack = self.crack_bus.begin(n)
        if self.prelude:  # the storm was already rolling when the clip began (see ThunderRoll):
            self.prelude = False  # its strikes of the last prelude_s seconds still roll on into it
            at = -int(self.prelude_s * self.sr)
            while at < 0:
                self._strike(rng, at)
                at += max(1, int(self._gap(rng)))
            self.sched = Sparse(at)
        for start in self.sched.onsets(n, lambda: self._gap(rng)):
            self._strike(rng, start)
        mod = self.bed_up(self.bed_mod(rng, low_len(n_lo, 8))[None], n_lo)[0]
        low += self.bed(noise(rng, 2, n_lo)) * (self.g_bed * (0.3 + 1.4 * mod ** 2))
        out = self.up(low, n)
        out += crack
        return soft_limit(out)
