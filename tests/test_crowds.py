"""Crowds that sound like crowds: what an audio engineer checks, not what a classifier says.

An audience applauding is hundreds of independent clappers, each clap a few
milliseconds long, so dense that no single pair of hands stands out. A crowd's
walla is many talkers, a few near and dozens far off, fused by the room. A stadium
cheers with shouted, voiced calls pitched well above speech; a pub laughs in
voiced "ha" pulses four to six a second with a falling pitch; children at play
have high voices. And every model keeps the engine's promises: exact length,
prefix stability, seamless loops.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from scenefill.engine.models import BLOCK, REGISTRY, ModelParams, _vocal
from scenefill.engine.scene import describe_note

SR = 48000


def make(name, seed=3, layer=1, intensity=0.5, sr=SR, **options):
    return REGISTRY[name](sr, seed, layer, ModelParams(intensity=intensity, options=dict(options)))


def render(name, seconds, seed=3, layer=1, intensity=0.5, sr=SR, **options):
    m = make(name, seed, layer, intensity, sr, **options)
    n = int(seconds * sr)
    return np.concatenate([m.next_block() for _ in range(-(-n // BLOCK))], axis=1)[:, :n]


def f0_track(x: np.ndarray, sr: int) -> np.ndarray:
    """Voiced-frame pitch (Hz) of a mono take, by WORLD's DIO + StoneMask."""
    import pyworld

    y = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pyworld.dio(y, sr, frame_period=5.0)
    f0 = pyworld.stonemask(y, f0, t, sr)
    return f0


def _voice_installed() -> bool:
    """Whether the vocal material can be made (checked without making it: collection runs
    before the test session's cache directory is set)."""
    try:
        import piper  # noqa: F401
        import pyworld  # noqa: F401
        from scenefill.engine.speech import resolve_voice

        resolve_voice("joe")
    except Exception:
        return False
    return True


needs_voice = pytest.mark.skipif(not _voice_installed(),
                                 reason="the bundled Piper voice and pyworld make the vocal material")


# --------------------------------------------------------------------------- applause

def test_applause_is_a_hundred_clappers_at_three_to_six_claps_a_second():
    m = make("applause")
    assert 20 <= m.people <= 500 and m.people >= 80
    assert np.all((m.rate >= 3) & (m.rate <= 6))
    # count the claps the trains actually carry over two seconds
    rng = np.random.default_rng(0)
    n_l = BLOCK // m.fac
    claps = 0
    for _ in range(3):
        trains = m._trains(rng, n_l)
        claps += int(np.count_nonzero(trains[:, 0]))
    seconds = 3 * n_l / m.lo_sr
    assert claps / seconds > 300, "a hundred people clapping make hundreds of claps a second"


def test_each_clap_is_a_short_burst_in_the_hand_cavity_band():
    m = make("applause")
    for k in m.kernels:
        e = np.cumsum(k.astype(float) ** 2)
        assert np.searchsorted(e, 0.9 * e[-1]) / m.lo_sr < 0.010, "a clap is over within ~10 ms"
        f, p = signal.periodogram(k, m.lo_sr, nfft=4096)
        assert 600 < f[np.argmax(p)] < 3500, "the hands' cavity rings between ~0.8 and 2.5 kHz"


@pytest.mark.parametrize("size", ["", "large"])
def test_no_single_clap_stands_out_of_the_applause(size):
    x = render("applause", 6, **({"size": size} if size else {})).mean(axis=0)
    k = int(0.01 * SR)
    env = np.sqrt((x[: x.size // k * k].reshape(-1, k) ** 2).mean(axis=1))
    # the loudest 10 ms is within a few times the typical one: a dense, grainy texture
    assert env.max() < 4.0 * np.median(env)
    k = int(0.02 * SR)
    env = np.sqrt((x[: x.size // k * k].reshape(-1, k) ** 2).mean(axis=1))
    assert env.min() > 0.2 * np.median(env), "never a gap between claps"


# --------------------------------------------------------------------------- walla

@needs_voice
@pytest.mark.parametrize("place", ["cafe", "bar", "audience", "hall", "outdoor"])
def test_walla_is_a_few_near_talkers_and_a_hundred_far_ones(place):
    m = make("crowd", place=place)
    assert m.material is not None
    far = int(np.count_nonzero(m.is_far))
    near = m.nv - far
    assert 2 <= near <= 8, "a few talkers near enough to follow"
    assert far * 12 >= 80, "dozens more voices further off (each wash reader is a dozen voices)"
    # the near talkers are individually louder than any one far voice, but the far ones, all
    # together, carry at least as much power: a wash, not a handful of readers
    near_power = np.sum(m.level[~m.is_far] ** 2)
    far_power = np.sum(m.level[m.is_far] ** 2)
    assert far_power >= 0.9 * near_power
    assert m.level[~m.is_far].max() > m.level[m.is_far].max() / np.sqrt(12)


@needs_voice
def test_a_big_crowd_fuses_the_syllables_a_few_voices_leave_audible():
    """The syllable rhythm (3-8 Hz envelope modulation) of a few talkers is deep; a big
    crowd in a hall fills the gaps, so its envelope is much steadier."""
    def syllable_depth(x):
        mono = x.mean(axis=0)
        b, a = signal.butter(2, (300, 3000), "bandpass", fs=SR)
        env = np.abs(signal.hilbert(signal.lfilter(b, a, mono)))
        env = signal.resample_poly(env, 1, 480)  # 100 Hz
        f, p = signal.welch(env - env.mean(), 100, nperseg=256)
        return p[(f > 3) & (f < 8)].sum() / env.mean() ** 2

    few = make("crowd", intensity=0.0, place="cafe")
    assert few.nv < make("crowd", intensity=1.0, place="hall").nv
    assert syllable_depth(render("crowd", 8, intensity=1.0, place="hall")) < \
        0.7 * syllable_depth(render("crowd", 8, intensity=0.0, place="cafe"))


def _modulation_depth(x: np.ndarray, sr: int) -> float:
    """Mean modulation index of the Hilbert envelope of the 0.5, 1, 2 and 4 kHz octave bands
    in the 1/3-octave modulation bands 2-8 Hz (the syllable rhythm of speech)."""
    out = []
    for fc in (500, 1000, 2000, 4000):
        sos = signal.butter(3, [fc / 2 ** 0.5, min(fc * 2 ** 0.5, 0.95 * sr / 2)], "bandpass", fs=sr, output="sos")
        env = np.abs(signal.hilbert(signal.sosfilt(sos, x)))
        env = signal.resample_poly(env, 1, sr // 200)[100:]
        power = np.abs(np.fft.rfft(env - env.mean())) ** 2 * 2 / env.size ** 2
        f = np.fft.rfftfreq(env.size, 1 / 200)
        out += [np.sqrt(2 * power[(f >= b * 2 ** -(1 / 6)) & (f < b * 2 ** (1 / 6))].sum()) / env.mean()
                for b in (2, 2.5, 3.15, 4, 5, 6.3, 8)]
    return float(np.mean(out))


@needs_voice
def test_walla_is_modulated_like_babble_of_many_talkers_not_a_narrator_nor_a_roar():
    """Real multi-talker babble: the syllabic envelope modulation of N equal talkers falls as
    1/sqrt(N), flat past N ~ 8. A theatre audience's walla must sit past that (no one voice
    carries it, as a narrator would) yet keep more syllable rhythm than a steady noise of the
    same spectrum (a roar heard as aircraft). The law is measured on our own material."""
    from scenefill.engine.models._babble import material

    rate, seconds = 12000, 8
    mats = [m for m in (material(rate), material(rate, "woman"), material(rate, "deep")) if m is not None]
    rng = np.random.default_rng(5)
    n = seconds * rate

    def talkers(count: int) -> np.ndarray:
        x = np.zeros(n)
        for _ in range(count):
            m = mats[rng.integers(len(mats))]
            at = rng.integers(m.size - n)
            x += m[at:at + n]
        return x

    one = np.mean([_modulation_depth(talkers(1), rate) for _ in range(2)])
    eight = np.mean([_modulation_depth(talkers(8), rate) for _ in range(3)])
    assert eight < 0.5 * one, "the babble law: eight talkers are much steadier than one"
    walla = render("crowd", seconds, intensity=0.5, place="audience").mean(axis=0)
    depth = _modulation_depth(walla, SR)
    spectrum = np.abs(np.fft.rfft(walla))
    roar = np.fft.irfft(spectrum * np.exp(2j * np.pi * rng.random(spectrum.size)), walla.size)
    assert depth < eight, "the walla is steadier than eight talkers: no one voice carries it"
    assert depth > 2 * _modulation_depth(roar, SR), "the syllables are still there: not a steady roar"


# --------------------------------------------------------------------------- cheering

@needs_voice
def test_cheers_are_voiced_shouts_pitched_above_speech_that_rise_and_fall():
    takes = _vocal.takes("cheer", 16000)
    assert len(takes) >= 12
    peaks_inside = 0
    for take in takes:
        f0 = f0_track(take, 16000)
        voiced = f0[f0 > 0]
        assert voiced.size >= 0.4 * f0.size, "a cheer is held, voiced vowels"
        assert 150 < np.median(voiced) < 600, "shouting pitch: well above the voice's ~120 Hz speech"
        peak = np.argmax(np.convolve(voiced, np.ones(5) / 5, "valid")) / max(1, voiced.size - 4)
        peaks_inside += 0.1 < peak < 0.9
    assert peaks_inside >= 0.6 * len(takes), "most calls rise to a peak and fall away"


@needs_voice
def test_cheering_has_voiced_harmonics_and_whistles():
    x = render("cheering", 8).mean(axis=0)
    f, p = signal.welch(x, SR, nperseg=8192)
    band = lambda lo, hi: p[(f >= lo) & (f < hi)].sum()  # noqa: E731
    assert band(300, 3000) > 0.7 * p.sum(), "the energy of shouted vowels"
    # voiced: a short-time spectrum of the near shouters shows harmonic peaks (the cepstrum
    # has a clear peak at a shouting pitch period, 2-6 ms)
    frames = x[: x.size // 2048 * 2048].reshape(-1, 2048) * np.hanning(2048)
    ceps = np.fft.irfft(np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-9), axis=1)
    q = np.arange(2048) / SR
    pitch = ceps[:, (q > 0.0017) & (q < 0.006)].max(axis=1)
    noise_floor = np.median(np.abs(ceps[:, (q > 0.012) & (q < 0.02)]), axis=1)
    assert np.median(pitch / noise_floor) > 3


def test_a_stadium_is_cheering_and_clapping_outdoors():
    spec = describe_note("a stadium crowd cheering")
    assert [layer["model"] for layer in spec["layers"]] == ["stadium"]
    assert spec["room"] == "outdoor"
    parts = {type(sub).__name__ for sub in make("stadium").subs}
    assert parts == {"Cheering", "Applause"}


# --------------------------------------------------------------------------- laughter

@needs_voice
def test_laughs_are_voiced_ha_pulses_four_to_six_a_second_with_falling_pitch():
    takes = _vocal.takes("laugh", 16000)
    falling = 0
    rates = []
    for take in takes:
        f0 = f0_track(take, 16000)
        voiced = f0[f0 > 0]
        assert np.median(voiced) > 170, "laughing pitch sits well above speech"
        half = voiced.size // 2
        falling += np.median(voiced[:half]) > np.median(voiced[half:])
        # pulses: the voicing switches on and off (each 'ha' a breathy onset then a vowel)
        on = (f0 > 0).astype(int)
        pulses = int(np.count_nonzero(np.diff(on) == 1)) + int(on[0])
        if pulses >= 2:
            rates.append(pulses / (take.size / 16000))
    assert falling >= 0.75 * len(takes)
    assert 3.0 < np.median(rates) < 7.5


@needs_voice
def test_a_pub_with_laughter_laughs():
    spec = describe_note("a lively pub with laughter")
    crowd = [layer for layer in spec["layers"] if layer["model"] == "crowd"]
    assert crowd and crowd[0]["options"].get("place") == "bar" and crowd[0]["options"].get("laughs")
    m = make("crowd", place="bar", laughs=True)
    kinds = [takes for takes, *_ in m.vocal_events]
    assert kinds and kinds[0] is _vocal.takes("laugh", int(round(m.lo_sr)))
    assert m.vocal_events[0][1] >= 0.5, "a laugh somewhere in the room every couple of seconds"


# --------------------------------------------------------------------------- children

@needs_voice
def test_children_on_a_playground_have_high_voices_and_call_out():
    talk = _vocal.takes("child-talk", 16000)
    calls = _vocal.takes("child-call", 16000)
    speech_f0 = np.median([np.median(f0_track(t, 16000)[f0_track(t, 16000) > 0]) for t in talk[:4]])
    call_f0 = np.median([np.median(f0_track(t, 16000)[f0_track(t, 16000) > 0]) for t in calls[:8]])
    assert speech_f0 > 190, "a child's speaking pitch"
    assert call_f0 > 1.3 * speech_f0, "calls are shouted higher still"
    spec = describe_note("a school playground, children playing")
    assert spec["room"] == "outdoor"
    m = make("crowd", place="children")
    assert {id(t) for t, *_ in m.vocal_events} >= {id(_vocal.takes("child-call", int(round(m.lo_sr))))}


# --------------------------------------------------------------------------- promises

@pytest.mark.parametrize("name, options", [
    ("cheering", {}), ("stadium", {}), ("crowd", {"place": "children"}), ("crowd", {"place": "bar", "laughs": True}),
    ("crowd", {"place": "hall"}), ("applause", {"size": "large"}),
])
def test_exact_length_prefix_stable_and_under_full_scale(name, options):
    sr = 44100
    a = render(name, 1.6, seed=11, sr=sr, **options)
    b = render(name, 0.9, seed=11, sr=sr, **options)
    assert a.shape == (2, int(1.6 * sr)) and b.shape == (2, int(0.9 * sr))
    assert np.array_equal(a[:, :b.shape[1]], b)
    assert np.isfinite(a).all() and 1e-4 < np.abs(a).max() < 1.0


# ------------------------------------------------------------- walla, not one person talking

def _alone(m, keep):
    """The crowd ``m`` with only the readers in ``keep`` (a bool mask) speaking: no laughs, no clinks."""
    gains = m.bus_gains.copy()
    gains[:, ~keep] = 0
    m.bus_gains = gains
    m.vocal_events = []
    m.clink_sched = None
    return m


def _energy_per_2s(m, seconds=8):
    n = int(seconds * SR)
    x = np.concatenate([m.next_block() for _ in range(-(-n // BLOCK))], axis=1)[:, :n]
    return (x.astype(np.float64) ** 2).reshape(2, -1, 2 * SR).sum(axis=(0, 2))


@needs_voice
def test_no_single_talker_dominates_the_walla_in_any_two_seconds():
    """A cafe recorded from a table among others: the next tables, the room beyond and everyone
    far off. No one voice carries more than a sixth of the sound in any 2 s, and the near
    talkers together carry less than half of it (the rest is the middle tables and the wash):
    otherwise a listener (and a classifier) hears one person speaking over a murmur."""
    total = _energy_per_2s(make("crowd", seed=0, intensity=0.8, place="cafe"))
    m = make("crowd", seed=0, intensity=0.8, place="cafe")
    talkers = m.near_n + m.mid_n
    assert m.mid_n >= 8, "a ring of tables between the near talkers and the far wash"
    near_only = _alone(make("crowd", seed=0, intensity=0.8, place="cafe"), np.arange(m.nv) < m.near_n)
    assert np.all(_energy_per_2s(near_only) < 0.5 * total)
    for k in range(talkers):
        one = _alone(make("crowd", seed=0, intensity=0.8, place="cafe"), np.arange(m.nv) == k)
        share = _energy_per_2s(one) / total
        assert share.max() < 1 / 6, f"talker {k} carries {share.max():.0%} of a 2 s window"


@needs_voice
def test_the_middle_tables_fall_off_with_distance_between_near_and_far():
    """Talkers 3-9 m off are quieter than the next table by their distance (inverse law), and
    each is louder than one far reader's share of the wash."""
    m = make("crowd", place="cafe", intensity=0.7)
    near = m.level[:m.near_n]
    mid = m.level[m.near_n:m.near_n + m.mid_n]
    assert mid.max() < near.max()
    assert mid.max() / mid.min() > 1.5, "a spread of distances, not one ring"
    assert np.all(m.is_far[m.near_n:]), "the middle tables are dulled and in the room like the far ones"


def _formant_centre(x: np.ndarray, sr: int) -> float:
    """Power-weighted mean frequency of 300-3500 Hz (where F1-F3 live): moves with vocal-tract length."""
    f, p = signal.welch(x, sr, nperseg=1024)
    band = (f > 300) & (f < 3500)
    return float(np.sum(f[band] * p[band]) / np.sum(p[band]))


@needs_voice
def test_the_crowd_is_many_speakers_with_their_own_vocal_tracts():
    """Women's formants sit ~15-20 % above men's and a big man's a little below: the walla's
    talkers are not one voice at different tape speeds (which moves pitch and formants
    together) but speakers whose pitch and formants move apart (WORLD envelope warping)."""
    from scenefill.engine.models._babble import material

    rate = 12000
    joe, woman, deep = material(rate), material(rate, "woman"), material(rate, "deep")
    assert joe.size == woman.size == deep.size
    c_joe, c_woman, c_deep = (_formant_centre(x, rate) for x in (joe, woman, deep))
    assert 1.06 < c_woman / c_joe < 1.3
    assert 0.85 < c_deep / c_joe < 0.98
    m = make("crowd", place="cafe", intensity=0.7)
    readers = m.read_base[:m.near_n + m.mid_n]
    assert len(np.unique(readers)) >= 3, "near and middle talkers read as at least three speakers"


def _band_db(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    f, p = signal.welch(x, sr, nperseg=1024)
    return float(10 * np.log10(np.sum(p[(f >= lo) & (f < hi)])))


@needs_voice
def test_talkers_raise_their_voices_over_a_busy_room():
    """The Lombard effect: over a crowd, people speak up. Their pitch rises (here ~2.5 semitones),
    the spectral tilt flattens (more of the voice above 2 kHz relative to the first formant
    region) and the vowels last longer; a conversational, read-aloud voice is what a listener
    hears as one person speaking. A busy cafe's near and middle talkers all read raised speech,
    a quiet room's only some."""
    from scenefill.engine.models._babble import material
    from scenefill.engine.models.crowd import raised_share

    rate = 12000
    calm, raised = material(rate), material(rate, "raised")
    pitch = lambda x: np.median(f0_track(x, rate)[f0_track(x, rate) > 0])  # noqa: E731
    assert 1.1 < pitch(raised) / pitch(calm) < 1.3
    tilt = lambda x: _band_db(x, rate, 2000, 5000) - _band_db(x, rate, 300, 1000)  # noqa: E731
    assert tilt(raised) - tilt(calm) > 1.5  # dB: flatter spectrum, as a sharper glottal closure makes
    assert 1.05 < raised.size / calm.size < 1.2  # vowels held longer
    assert raised_share(0.8) == 1.0 and raised_share(0.1) < 0.5
    busy = make("crowd", place="cafe", intensity=0.8)
    own = busy.near_n + busy.mid_n
    # every near and middle talker reads one of the raised readings (all of the raised length)
    assert np.all(busy.read_size[:own] == material(int(round(busy.lo_sr)), "raised").size)
    quiet = make("crowd", place="cafe", intensity=0.1)
    calm_n = np.sum(quiet.read_size[:quiet.near_n + quiet.mid_n] != material(int(round(quiet.lo_sr)), "raised").size)
    assert calm_n >= 1, "in a quiet room some talk at conversational effort"
