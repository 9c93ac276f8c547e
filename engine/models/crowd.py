"""Crowd murmur and cafe babble: many overlapping voices, none intelligible.

Babble is made of real speech: every voice reads lines the bundled Piper voice
synthesised (``_babble``), each at its own place in the material, its own
speed (pitch and pace together: higher voices read more slowly spoken
material, so their syllable rate stays natural), level, position and distance.
As in a real room, a few talkers are near; everyone else is a wash of far
voices (readers of a pre-mixed chorus: a dozen voices each), low-cut, dulled and
heard largely through the room's tail (``_hall.Wash``), which fills the gaps
between syllables. A pub laughs (contagiously: one laugh sets off more); a
playground is one child chatting near, and the yard's calls, shrieks and laughs
(``_vocal``: the bundled voice reshaped by WORLD), with balls and a whistle (``_play``). All readers are one vectorised gather per block at ~12 kHz
(24 kHz for children's high voices), brought up by a cubic spline. Without a voice installed the model
falls back to source-filter talkers: glottal pulses through vowel formant
kernels grouped into syllables, with consonant bursts (:class:`KernelBank32`).
The cafe adds its table-top sounds (``_tabletop``): cups bouncing on saucers,
stirring, knives scraping, cutlery clattering. Over a busy room people raise their
voices (the Lombard effect): near and middle talkers, and the wash, read WORLD-made
raised-effort readings (pitch up ~2.5 semitones, flatter spectral tilt, longer vowels;
``_babble.RAISED``); in a quiet room only some do (:func:`raised_share`). A station
or an airport "with announcements" has a PA now and then (``_announce``): a chime,
then a voice through horn loudspeakers, from the far end of the hall.
"""

from __future__ import annotations

import numpy as np
from scenefill.engine import dsp as signal

from ._amb import (ColoredNoise, unique, _axpy, KernelBank32, Sparse, SplineUpsampler, Upsampler, factor_for, low_len,
                   pan_pair, sin_cycles, to_output)
from . import _announce, _play, _tabletop, _vocal
from ._babble import material
from ._hall import Wash
from ._sfxkit import _filt
from .base import BLOCK, EventBus, SoundModel, StatefulFilter, butter, noise

# vowel formants (Hz), between adult male and female values: /a/ /e/ /i/ /o/ /u/ /ʌ/
_VOWELS = (
    (790, 1180, 2630), (570, 1990, 2680), (320, 2380, 3180), (610, 920, 2600),
    (360, 970, 2430), (690, 1290, 2580),
)
_NEUTRAL = ((500, 1500, 2500),)  # schwa, for breath noise
_BANDWIDTHS = (80, 110, 170)
_STEP = 32  # low-rate samples per grid step (~2.7 ms): under one glottal pulse per step

#: place -> (near talkers, far wash readers (each a dozen voices), reverberation RT60 s, wet share
#: of the far voices, far low-pass Hz, far power relative to the near talkers), at intensity ~0.5
PLACES = {
    "crowd": (3, 12, 0.9, 0.15, 4500, 0.75),
    "cafe": (4, 8, 0.6, 0.1, 4500, 0.5),
    "bar": (4, 10, 0.7, 0.12, 4500, 0.6),
    "audience": (3, 14, 1.4, 0.2, 4500, 0.75),
    "hall": (3, 14, 2.2, 0.3, 4000, 0.5),
    "outdoor": (5, 10, 0.3, 0.05, 4500, 0.5),
    "children": (1, 3, 0.3, 0.05, 5000, 0.3),  # a few dozen children: calls and laughs more than talk
}


def raised_share(intensity: float) -> float:
    """Share of near and middle talkers speaking with raised effort (Lombard): everyone in a
    busy room (intensity >= 0.5), fewer in a quiet one, where a conversational voice carries."""
    return float(np.clip(0.25 + 1.5 * intensity, 0.0, 1.0))


#: the announcement against the near talkers: a PA at the far end of the hall, ~4 dB under the crowd
ANNOUNCE_LEVEL = 0.25
#: middle-distance talkers and their power relative to the near talkers, at intensity ~0.5: the
#: tables 3-9 m away, each one reader on their own, dulled like the far voices. The same for every
#: adult place; a playground has none (its children beyond the nearest are heard as shouts)
MIDDLE = (12, 1.5)
MIDDLE_BY_PLACE = {"children": (0, 0.0)}


_SHOUTS: dict[int, list[np.ndarray]] = {}


def _child_shouts(rate: int) -> np.ndarray:
    """The calls, shrieks and laughs of children at play strung into one reel (for the far
    wash of a playground): falls back to the calls alone where a kind is missing. The list of
    takes is kept per rate, so the reel and its chorus (cached by the list's identity) are
    made once per process."""
    takes = _SHOUTS.get(rate)
    if takes is None:
        kinds = [_vocal.takes(k, rate) for k in ("child-call", "child-scream", "child-laugh")]
        takes = _SHOUTS.setdefault(rate, [t for got in kinds if got for t in got])
    return _vocal.reel(takes, rate, (0.05, 0.4), 12)


def _vowel_kernel(formants, sr: float, length: int) -> np.ndarray:
    """Impulse response of a glottal pulse through a formant cascade, tilted like speech."""
    imp = np.zeros(length)
    imp[0] = 1.0
    sos = []
    for f, bw in zip(formants, _BANDWIDTHS):
        f = min(f, sr * 0.42)
        r = np.exp(-np.pi * bw / sr)
        a = [1.0, -2 * r * np.cos(2 * np.pi * f / sr), r * r]
        sos.append(np.concatenate([[sum(a), 0.0, 0.0], a]))  # unity gain at DC per resonator
    sos.append(butter("highpass", 150, sr, 1)[0])
    sos.append(butter("lowpass", 300, sr, 1)[0])  # glottal source and lip radiation: -6 dB/oct
    y = signal.sosfilt(np.vstack(sos), imp)
    y *= np.exp(-np.arange(length) / (0.35 * length))
    return y / np.sqrt(np.sum(y ** 2))


class Crowd(SoundModel):
    name = "crowd"
    category = "ambience"
    keywords = ("crowd", "crowds", "murmur", "murmuring", "babble", "chatter", "chattering", "walla",
                "people talking", "people chatting", "talking", "conversation", "conversations",
                "restaurant", "cafe", "café", "coffee shop", "coffeeshop", "diner", "canteen",
                "cafeteria", "busy room", "party chatter", "children playing", "kids playing",
                "children shouting", "playground", "audience murmur", "background voices",
                "indistinct voices", "distant voices", "voices", "bustling", "bustle", "hustle and bustle", "announcements", "station announcements", "tannoy", "cups clinking", "clinking cups", "cutlery",
                "cups and saucers", "clattering dishes", "dishes clattering", "clinking cutlery",
                "laughter", "people laughing", "crowd laughing", "laughing")
    description = ("crowd murmur: many overlapped readers of real speech at varied pitch, pace and distance; "
                   "cafe/restaurant adds cup and cutlery clinks; children on a playground")
    outdoor = None
    option_words = {
        "cafe": ("place", "cafe"), "café": ("place", "cafe"), "coffee": ("place", "cafe"),
        "restaurant": ("place", "cafe"), "diner": ("place", "cafe"), "canteen": ("place", "cafe"),
        "cafeteria": ("place", "cafe"), "dinner": ("place", "cafe"), "bistro": ("place", "cafe"),
        "cups": ("place", "cafe"), "cutlery": ("place", "cafe"), "dishes": ("place", "cafe"),
        "bar": ("place", "bar"), "pub": ("place", "bar"), "party": ("place", "bar"),
        "market": ("place", "outdoor"), "street": ("place", "outdoor"), "square": ("place", "outdoor"),
        "plaza": ("place", "outdoor"), "park": ("place", "outdoor"), "station": ("place", "hall"),
        "hall": ("place", "hall"), "lobby": ("place", "hall"), "airport": ("place", "hall"),
        "children": ("place", "children"), "kids": ("place", "children"), "playground": ("place", "children"),
        "schoolyard": ("place", "children"), "school": ("place", "children"),
        "theatre": ("place", "audience"), "theater": ("place", "audience"), "audience": ("place", "audience"),
        "auditorium": ("place", "audience"), "concert": ("place", "audience"),
        "laughter": ("laughs", True), "laughing": ("laughs", True), "laughs": ("laughs", True),
        "announcements": ("announce", True), "announcement": ("announce", True), "tannoy": ("announce", True),
    }

    def setup(self, rng: np.random.Generator) -> None:
        i = float(np.clip(self.params.intensity, 0, 1))
        self.i = i
        sr = self.sr
        place = self.params.options.get("place", "crowd")
        self.place = place
        # children call out with harmonics up to ~8 kHz: they need twice the rate of adult walla
        self.fac = factor_for(sr, 24000 if place == "children" else 12000)
        self.lo_sr = lo = sr / self.fac
        self.grid = lo / _STEP
        v = int(round(6 + 40 * i * (0.75 if place == "cafe" else 1.0)))
        self.nv = v
        female = rng.random(v) < 0.5
        self.base_f0 = np.where(female, rng.uniform(175, 245, v), rng.uniform(95, 145, v))
        self.female = female
        near = rng.random(v) ** 1.6  # most voices are some way off
        self.level = (0.25 + 0.75 * (1 - near)) * rng.uniform(0.7, 1.0, v)
        self.level /= np.sqrt(np.sum(self.level ** 2))
        self.pan = rng.uniform(-0.9, 0.9, v)
        # spaced-pair time differences decorrelate the channels: up to ~0.7 ms each way
        self.itd = np.round(self.pan * 0.0007 * lo + rng.uniform(-0.3, 0.3, v) * 0.0007 * lo).astype(np.int64)
        self.syl_rate = rng.uniform(3.6, 5.6, v)
        self.phrase_rate = rng.uniform(0.12, 0.35, v)
        self.talk_frac = rng.uniform(0.55, 0.85, v)
        # state per voice: syllable clock, phrase clock, glottal phase, the syllable in progress
        self.syl_ph = rng.random(v) * 3
        self.phr_ph = rng.random(v)
        self.glot = rng.random(v)
        self.cur_vowel = rng.integers(0, len(_VOWELS), v)
        self.cur_amp = rng.uniform(0.4, 1.0, v)
        self.cur_pitch = rng.normal(0, 2.0, v)
        self.cur_fric = rng.random(v)
        self.up = SplineUpsampler(self.fac, 2)
        # a room or street seems to smear voices: a little cross-feed
        self.mix = np.array([[1.0, 0.15], [0.15, 1.0]], dtype=np.float32)
        self.gain = 0.6 * (0.5 + 0.5 * i)
        # cafe: cups, saucers, cutlery
        self.clink_rate = {"cafe": 0.6 + 1.6 * i, "bar": 0.3 + 0.8 * i}.get(place, 0.0)
        self.clinks = EventBus()
        self.clink_sched = Sparse(int(rng.uniform(0.2, 1.5) * sr)) if self.clink_rate else None
        # a set of takes made once; each clink picks one, with its own level and place
        # (from their own stream: how the china sounds does not move who talks where)
        table_rng = np.random.default_rng(rng.integers(1 << 62)) if self.clink_rate else None
        self.clink_takes = [self._clink(table_rng) for _ in range(24)] if self.clink_rate else []
        # the same takes from the far tables: past a few metres of people, chairs and tables the
        # top octaves of a clink are shadowed (a gentle low-pass) before the room's tail adds them
        self.clink_far = [_filt(t, "lowpass", 3000, self.sr, 1) for t in self.clink_takes]
        # real speech: a few near readers of the bundled voice's lines, each on its own, and a
        # diffuse wash of dozens of far ones (see _setup_readers)
        self.material = material(int(round(lo)))
        slow = material(int(round(lo)), "slow") if self.material is not None else None
        if slow is None:
            self.material = None
        if self.material is not None and slow is not None:
            self._setup_readers(rng, self.material, slow)
        else:  # no voice installed: synthetic talkers
            self._build_synth(lo)
        # a playground: balls bounced and kicked, now and then a whistle
        self.play = _play.Play(rng, sr, i) if place == "children" else None

    def _setup_readers(self, rng: np.random.Generator, speech: np.ndarray, slow: np.ndarray) -> None:
        """The readers of real speech, as a listener in the room hears them.

        A few *near* talkers (the next tables) are each one reader of the bundled voice's
        lines at their own pitch and pace. Everyone further off is a *wash*: readers of a
        chorus (a dozen voices pre-mixed, :func:`_vocal.chorus`), so 8-14 far readers are
        ~100-170 voices, dulled by distance (a low-pass) and mostly heard through the
        room's reverberation, which fills the gaps between their syllables. Laughs and,
        on a playground, children's calls come and go as events among them.
        """
        place = self.place
        lo = self.lo_sr
        i = self.i
        near_n, far_n, rt60, wet, far_lp, far_share = PLACES.get(place, PLACES["crowd"])
        near_n = max(1, int(round(near_n * (0.6 + 0.7 * i))))
        far_n = max(2, int(round(far_n * (0.5 + 0.8 * i))))
        mid_n, mid_share = MIDDLE_BY_PLACE.get(place, MIDDLE)
        mid_n = int(round(mid_n * (0.6 + 0.7 * i)))
        rate = int(round(lo))
        child = place == "children" and _vocal.takes("child-talk", rate) is not None
        if child:  # the nearest children chatting (their lines in a child's voice, as one reel);
            # the playground beyond them is heard as its shouts, shrieks and laughs, not its talk
            near_mat = _vocal.reel(_vocal.takes("child-talk", rate), rate, (0.15, 0.5), 11)
            wash = _vocal.chorus(_child_shouts(rate), 12, (0.9, 1.12), seed=0xC40)
            mats, share = [near_mat], [1.0]
        else:  # adults: higher voices read slowly spoken lines played faster (pitch and pace up);
            # women and deeper men (WORLD: their own vocal-tract lengths) where pyworld is there
            mats, share = [speech, slow], [0.5, 0.5]
            others = [m for m in (material(rate, "woman"), material(rate, "deep")) if m is not None]
            wash = _vocal.chorus(speech, 12, (0.84, 1.3), seed=0xC40, length=speech.size)
            if len(others) == 2:
                mats, share = [speech, slow] + others, [0.2, 0.2, 0.4, 0.2]
        own = near_n + mid_n  # near and middle talkers each read on their own
        v = own + far_n
        self.nv = v
        self.near_n = near_n
        self.mid_n = mid_n
        which = rng.choice(len(mats), size=v, p=share)
        if len(mats) >= 2 and mats[1] is slow:  # one voice: pitch and pace up together
            read_rate = np.where(which == 1, rng.uniform(1.15, 1.32, v), rng.uniform(0.84, 1.06, v))
            read_rate = np.where(which >= 2, rng.uniform(0.92, 1.08, v), read_rate)
        else:
            read_rate = rng.uniform(0.92, 1.08, v)
        self.female = which == 1
        # over a crowd people raise their voices (Lombard): near and middle talkers read the
        # raised-effort versions of their speakers (joe, the woman, the deeper man)
        raised = [material(rate, k) for k in ("raised", "raised-woman", "raised-deep")] if not child else []
        if len(mats) == 4 and raised and all(m is not None for m in raised):
            raise_rng = np.random.default_rng(rng.integers(1 << 62))
            up = raise_rng.random(v) < raised_share(i)
            up[own:] = False
            speaker = np.array([0, 0, 1, 2])[which]
            which = np.where(up, len(mats) + speaker, which)
            read_rate = np.where(up, raise_rng.uniform(0.94, 1.06, v), read_rate)
            mats = mats + raised
            if raised_share(i) >= 0.7:  # the room beyond talks over itself too
                wash = _vocal.chorus(raised[0], 12, (0.84, 1.3), seed=0xC40, length=raised[0].size)
        which[own:] = len(mats)  # the far readers read the wash
        read_rate[own:] = rng.uniform(0.95, 1.05, far_n)
        self.read_rate = read_rate
        segs = list(mats) + [wash]
        starts = np.cumsum([0] + [a.size for a in segs])
        # all readings in one array: reader k reads [base_k, base_k + size_k)
        self.reading = np.concatenate(segs + [a[:1] for a in segs])
        self.read_base = starts[which].astype(np.float64)
        self.read_size = np.array([segs[w].size for w in which], dtype=np.float64)
        self.read_pos = rng.uniform(0, 1, v) * self.read_size
        self.is_far = np.arange(v) >= near_n  # middle and far voices share the dulled, reverberant bus
        level = np.empty(v)
        level[:near_n] = rng.uniform(0.55, 1.0, near_n)
        level[:near_n] /= np.sqrt(np.sum(level[:near_n] ** 2))
        if mid_n:  # inverse distance, 3-9 m: a few tables off are clearly quieter than the next one
            level[near_n:own] = rng.uniform(0.7, 1.0, mid_n) / rng.uniform(3.0, 9.0, mid_n)
            level[near_n:own] *= np.sqrt(mid_share / np.sum(level[near_n:own] ** 2))
            # however the draw falls, no table 3 m off is as loud as the nearest talker
            np.minimum(level[near_n:own], 0.9 * level[:near_n].max(), out=level[near_n:own])
        else:
            mid_share = 0.0
        level[own:] = rng.uniform(0.7, 1.0, far_n)
        level[own:] *= np.sqrt(far_share / np.sum(level[own:] ** 2))
        norm = np.sqrt(1.0 + mid_share + far_share)
        self.level = level / norm
        self.pan = rng.uniform(-0.9, 0.9, v)
        self.pan_l, self.pan_r = pan_pair(self.pan)
        gains = np.zeros((4, v))
        far_k = self.is_far.astype(float)
        gains[0], gains[1] = self.level * self.pan_l * (1 - far_k), self.level * self.pan_r * (1 - far_k)
        gains[2], gains[3] = self.level * self.pan_l * far_k, self.level * self.pan_r * far_k
        self.bus_gains = gains.astype(np.float32)
        self.bus_rows = [(2, 3) if f else (0, 1) for f in self.is_far]
        self.far_filter = StatefulFilter(np.vstack([butter("lowpass", far_lp, lo, 2),
                                                     butter("highpass", 300, lo, 1)]), dtype=np.float32)
        self.wash_room = Wash(rt60, lo, seed=int(rng.integers(1 << 30)))
        self.wet = wet
        # events among the crowd at the low rate: laughs, children's calls
        self.vocal_events = []
        laugh_kind = "child-laugh" if child else "laugh"
        laugh_rate = {"bar": 0.3 + 0.5 * i}.get(place, 0.04 + 0.08 * i)
        if child:
            laugh_rate = 0.5 + 0.6 * i
        if self.params.options.get("laughs"):
            laugh_rate = max(laugh_rate, 0.6 + 0.6 * i)
        plan = [(laugh_kind, laugh_rate, 0.9, 3)]
        if child:
            plan.append(("child-call", 2.0 + 2.4 * i, 1.4, 1))
            plan.append(("child-scream", 0.2 + 0.3 * i, 1.0, 1))  # a shriek every few seconds
        for kind, ev_rate, ev_level, group in plan:
            got = _vocal.takes(kind, rate)
            if got:
                self.vocal_events.append((got, ev_rate, ev_level / norm, group,
                                          Sparse(int(rng.uniform(0.05, 1.0) / ev_rate * lo))))
        self.near_events = EventBus()
        self.far_events = EventBus()
        # a station's announcements: a chime and a voice through the horns, across the hall
        self.pa_take = None
        if self.params.options.get("announce") and not child:
            pa_rng = np.random.default_rng(rng.integers(1 << 62))
            self.pa_take = _announce.announcement(pa_rng, speech, lo) * (ANNOUNCE_LEVEL / norm)
            self.pa_sched = Sparse(int(pa_rng.uniform(0.8, 2.5) * lo))

    def _build_synth(self, lo: float) -> None:
        """Formant kernels and consonant noise of the fallback (synthetic) talkers."""
        # kernels: each vowel for male and female vocal tracts
        klen = int(0.03 * lo)
        kernels = [_vowel_kernel(f, lo, klen) for f in _VOWELS + _NEUTRAL]
        self.bank = KernelBank32(kernels, block=BLOCK // self.fac + 1)
        self.nk = len(kernels)  # the last one, a neutral vowel, shapes the breath noise
        # consonants: bright noise bursts at syllable onsets
        self.fric = ColoredNoise(int(lo), np.vstack([butter("highpass", 2200, lo, 2)]), fade=32)
        self.fric_up = Upsampler(_STEP, 2)
        self.breath_up = Upsampler(_STEP, 2)
        self.breath = 0.025

    def _clink(self, rng: np.random.Generator) -> np.ndarray:
        """One table-top sound: a cup on its saucer, stirring, a knife across a plate,
        cutlery put down or gathered, a plate set down (:mod:`._tabletop`)."""
        return _tabletop.take(rng, self.sr)

    def _speak(self, rng: np.random.Generator, n_l: int) -> np.ndarray:
        """This block of every reader (2, n_l) float32: each reads the material at its own
        place and speed (pitch and tempo move together, as a range of larynx and vocal-tract
        sizes and speaking rates); the far readers (and far laughs and calls) are dulled by
        one shared filter and sent through the room's tail. All voices at once: one gather,
        then adds."""
        y, self.read_pos = _vocal.read_voices(self.reading, self.read_rate, self.read_pos, self.read_size,
                                              self.read_base, n_l)
        # each voice into its two buses (single-threaded BLAS adds; a matrix product here
        # wakes OpenBLAS's thread pool, which costs more than it saves)
        buses = np.zeros((4, n_l), dtype=np.float32)
        for k, (r0, r1) in enumerate(self.bus_rows):
            _axpy(buses[r0], y[k], float(self.bus_gains[r0, k]))
            _axpy(buses[r1], y[k], float(self.bus_gains[r1, k]))
        near = np.ascontiguousarray(buses[:2])
        far = np.ascontiguousarray(buses[2:])
        if self.vocal_events or self.pa_take is not None:
            near_ev, far_ev = self.near_events.begin(n_l), self.far_events.begin(n_l)
            if self.pa_take is not None:  # every 25-60 s, from the loudspeakers overhead
                for s in self.pa_sched.onsets(n_l, lambda: self.lo_sr * rng.uniform(25, 60)):
                    self.far_events.add(s, self.pa_take)
            for takes, ev_rate, ev_level, group, sched in self.vocal_events:
                for s in sched.onsets(n_l, lambda: self.lo_sr * rng.exponential(1.0 / ev_rate)):
                    # laughter is catching: at a table, one laugh sets off one or two more
                    bus = self.near_events if rng.random() < 0.4 else self.far_events
                    for j in range(1 + int(rng.integers(group))):
                        take = takes[int(rng.integers(len(takes)))]
                        gl, gr = pan_pair(rng.uniform(-0.85, 0.85))
                        g = ev_level * rng.uniform(0.3, 1.0)
                        bus.add(s + int(j * rng.uniform(0.05, 0.3) * self.lo_sr),
                                np.vstack([take * (gl * g), take * (gr * g)]))
            near += near_ev.astype(np.float32)
            far += far_ev.astype(np.float32)
        far = self.far_filter(far)
        near += far * np.float32(1.0 - 0.5 * self.wet)
        near += self.wash_room(far) * np.float32(self.wet * 2.0)
        return near * np.float32(2.0)

    def render_block(self, rng: np.random.Generator, n: int) -> np.ndarray:
        n_l = low_len(n, self.fac)
        voiced = self._speak(rng, n_l) if self.material is not None else self._synth(rng, n_l)
        low = self.mix @ voiced
        low *= self.gain
        out = self.up(low, n)
        if self.clink_sched is not None:
            buf = self.clinks.begin(n)
            for s in self.clink_sched.onsets(n, lambda: self.sr * rng.exponential(1.0 / self.clink_rate)):
                k = int(rng.integers(len(self.clink_takes)))
                gl, gr = pan_pair(rng.uniform(-0.8, 0.8))
                # tables spread evenly over the floor, 1-6 m off: inverse distance
                d = float(np.sqrt(rng.uniform(1.0, 36.0)))
                take = self.clink_takes[k] if d < 2.5 else self.clink_far[k]
                level = 0.07 * 1.6 / d
                self.clinks.add(s, np.vstack([take * (gl * level), take * (gr * level)]))
            out += buf
        if self.play is not None:
            self.play.add_to(rng, out)
        return to_output(out)

    def _synth(self, rng: np.random.Generator, n_l: int) -> np.ndarray:
        """Fallback voices (no Piper voice installed): source-filter talkers, as arrays."""
        steps = -(-n_l // _STEP)
        v = self.nv
        dt = 1.0 / self.grid
        k = np.arange(1, steps + 1)
        # clocks at the end of each grid step
        syl = self.syl_ph[:, None] + self.syl_rate[:, None] * dt * k
        phr = self.phr_ph[:, None] + self.phrase_rate[:, None] * dt * k
        first = np.floor(self.syl_ph).astype(np.int64)
        last = np.floor(syl[:, -1]).astype(np.int64)
        new = int(np.max(last - first))
        # parameters of the syllables that start in this block (column 0: the one in progress)
        vowel = np.hstack([self.cur_vowel[:, None], rng.integers(0, len(_VOWELS), (v, new))])
        amp = np.hstack([self.cur_amp[:, None],
                         np.where(rng.random((v, new)) < 0.2, 0.0, rng.uniform(0.45, 1.0, (v, new)))])
        pitch = np.hstack([self.cur_pitch[:, None], rng.normal(0, 2.2, (v, new))])
        fric = np.hstack([self.cur_fric[:, None], rng.random((v, new))])
        col = np.floor(syl).astype(np.int64) - first[:, None]
        rows = np.arange(v)[:, None]
        frac = syl - np.floor(syl)
        phr_frac = phr - np.floor(phr)
        talking = phr_frac < self.talk_frac[:, None]
        amp_now = amp[rows, col]
        # syllable envelope: voiced from 15% to 90% of the syllable
        shape = np.sin((np.pi / 0.75 * (frac - 0.15)).astype(np.float32))
        np.maximum(shape, 0, out=shape)
        np.sqrt(shape, out=shape)
        shape *= (frac > 0.15) & (frac < 0.9)
        env = shape * amp_now * talking * self.level[:, None]
        # pitch: per-syllable offset, falling a little within the syllable, phrase declination
        semis = pitch[rows, col] - 1.5 * frac - 2.0 * phr_frac
        f0 = self.base_f0[:, None] * np.exp2(semis / 12)
        glot = self.glot[:, None] + np.cumsum(f0 * dt, axis=1)
        start = np.hstack([self.glot[:, None], glot[:, :-1]])
        # one pulse wherever the glottal phase crosses an integer inside a step
        hit = np.floor(glot) > np.floor(start)
        vi, si = np.nonzero(hit & (env > 0.01))
        pos = (si + (np.floor(glot[vi, si]) - start[vi, si]) / (glot[vi, si] - start[vi, si])) * _STEP
        pos = np.minimum(pos.astype(np.int64), n_l - 1)
        kern = vowel[vi, col[vi, si]]
        a = env[vi, si] * (1 + 0.15 * rng.standard_normal(vi.size))  # shimmer
        gl, gr = pan_pair(self.pan[vi])
        # trains straight into the bank's FFT frames (float32): pulse k of vowel v, channel c
        # lands in row (v, c) at the frame offset of its position
        trains = self.bank.framed(n_l)
        flat = trains.reshape(-1)
        row = trains.shape[2] * trains.shape[3]
        base = kern * (2 * row)
        np.add.at(flat, base + self.bank.offsets(np.clip(pos - self.itd[vi], 0, n_l - 1)), (a * gl).astype(np.float32))
        np.add.at(flat, base + row + self.bank.offsets(np.clip(pos + self.itd[vi], 0, n_l - 1)),
                  (a * gr).astype(np.float32))
        # breath: a little noise through a neutral vowel, wherever voices are voicing
        gv_l, gv_r = pan_pair(self.pan)
        breath = noise(rng, 2, n_l, dtype=np.float32)
        breath *= self.breath_up((np.vstack([gv_l @ env, gv_r @ env]) * self.breath).astype(np.float32), n_l)
        seg = self.bank.seg
        frames = trains[-1, :, :, :seg]
        if n_l == frames.shape[1] * seg:
            frames[...] = breath.reshape(2, -1, seg)
        else:
            padded = np.zeros((2, frames.shape[1] * seg), dtype=np.float32)
            padded[:, :n_l] = breath
            frames[...] = padded.reshape(2, -1, seg)
        voiced = self.bank(trains, n_l, used=np.append(unique(kern), self.nk - 1))

        # consonants at syllable onsets, summed over voices per channel on the grid
        burst = np.minimum(frac * 40.0, 1.0) * np.exp(frac * -16.0)
        burst *= ((frac < 0.17) & (fric[rows, col] < 0.55) & talking) * amp_now
        burst *= self.level[:, None] * 0.25
        fr_env = np.vstack([gv_l @ burst, gv_r @ burst]).astype(np.float32)
        voiced += self.fric(rng, n_l, gain=self.fric_up(fr_env, n_l))
        # advance the state to the end of the block
        self.syl_ph = syl[:, -1] % 1.0  # only the syllable boundaries matter
        self.phr_ph = phr[:, -1] % 1.0
        self.glot = glot[:, -1] % 1.0
        end_col = last - first
        self.cur_vowel = vowel[np.arange(v), end_col]
        self.cur_amp = amp[np.arange(v), end_col]
        self.cur_pitch = pitch[np.arange(v), end_col]
        self.cur_fric = fric[np.arange(v), end_col]
        return voiced
