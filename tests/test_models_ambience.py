"""Ambience models: each sounds like what it is named, and every registered model
keeps the engine's streaming promises (determinism, prefix stability, bounded
peaks, any sample rate, intensity that does something).

The character checks measure the signal property that would fail for the
wrong sound: rain is broadband and full of drop transients, hvac has a line
at exactly its mains frequency, birds are swept narrowband chirps in 2-8 kHz,
crickets pulse at a regular chirp rate near 4-5 kHz, and so on.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from scenefill.engine.models import BLOCK, REGISTRY, ModelParams
from scenefill.engine.models.base import block_rng

SR = 48000
AMBIENCE = ("rain", "wind", "thunder", "room_tone", "hvac", "traffic", "crowd", "birds", "insects",
            "stream", "waves", "fire", "city", "nature")


def render(name: str, seconds: float, intensity: float = 0.5, seed: int = 3, sr: int = SR,
           **options) -> np.ndarray:
    model = REGISTRY[name](sr, seed, 0, ModelParams(intensity=intensity, options=options))
    blocks = int(np.ceil(seconds * sr / BLOCK))
    return np.concatenate([model.next_block() for _ in range(blocks)], axis=1)[:, : int(seconds * sr)]


def blocks(name: str, count: int, seed: int = 3, sr: int = SR, intensity: float = 0.5) -> np.ndarray:
    model = REGISTRY[name](sr, seed, 0, ModelParams(intensity=intensity))
    return np.concatenate([model.next_block() for _ in range(count)], axis=1)


# -- measuring tools -----------------------------------------------------------------

def psd(x: np.ndarray, sr: int = SR, nperseg: int = 8192):
    return signal.welch(x.mean(axis=0), sr, nperseg=nperseg)


def share(f: np.ndarray, p: np.ndarray, lo: float, hi: float) -> float:
    """Fraction of the power between lo and hi Hz."""
    return float(p[(f >= lo) & (f < hi)].sum() / p.sum())


def flatness(f: np.ndarray, p: np.ndarray, lo: float, hi: float) -> float:
    q = p[(f >= lo) & (f < hi)]
    return float(np.exp(np.mean(np.log(q + 1e-30))) / np.mean(q))


def band(x: np.ndarray, lo: float, hi: float, sr: int = SR) -> np.ndarray:
    sos = signal.butter(4, [lo, hi], "bandpass", fs=sr, output="sos")
    return signal.sosfilt(sos, x.mean(axis=0) if x.ndim == 2 else x)


def frame_rms(y: np.ndarray, frame: int) -> np.ndarray:
    m = len(y) // frame
    return np.sqrt(np.mean(y[: m * frame].reshape(m, frame) ** 2, axis=1))


def kurtosis(y: np.ndarray) -> float:
    y = y - y.mean()
    return float(np.mean(y ** 4) / np.mean(y ** 2) ** 2)


def transientness(y: np.ndarray, frame: int = 12, local: int = 200) -> float:
    """Kurtosis of short-frame energy relative to its local average: high for
    clicks and drops, ~3-5 for steady or slowly swelling noise."""
    e = frame_rms(y, frame) ** 2
    ref = np.convolve(e, np.ones(local) / local, mode="same") + 1e-20
    return kurtosis(e / ref)


def envelope(y: np.ndarray, rate: float, sr: int = SR, cutoff: float | None = None) -> np.ndarray:
    """Amplitude envelope of y sampled at ``rate`` Hz."""
    sos = signal.butter(2, cutoff or rate / 2.5, fs=sr, output="sos")
    return signal.sosfilt(sos, np.abs(y))[:: int(sr / rate)]


def modulation_spectrum(e: np.ndarray, rate: float):
    e = e - e.mean()
    spec = np.abs(np.fft.rfft(e * np.hanning(len(e)))) ** 2
    return np.fft.rfftfreq(len(e), 1 / rate), spec


def autocorr(e: np.ndarray) -> np.ndarray:
    e = e - e.mean()
    r = np.correlate(e, e, "full")[len(e) - 1:]
    return r / r[0]


# -- every registered model: the streaming promises ----------------------------------

ALL = sorted(REGISTRY)


@pytest.mark.parametrize("name", ALL)
def test_deterministic_and_seed_dependent(name):
    a = blocks(name, 2, seed=11)
    b = blocks(name, 2, seed=11)
    c = blocks(name, 2, seed=12)
    assert a.dtype == np.float64 and a.shape == (2, 2 * BLOCK)
    assert np.array_equal(a, b), "same seed must give identical samples"
    if np.any(a) or np.any(c):
        assert not np.array_equal(a, c), "different seeds must differ"


@pytest.mark.parametrize("name", ALL)
def test_prefix_stable(name):
    long = blocks(name, 5, seed=5)
    short = blocks(name, 3, seed=5)
    assert np.array_equal(long[:, : 3 * BLOCK], short)


@pytest.mark.parametrize("name", ALL)
def test_finite_and_below_full_scale(name):
    for intensity in (0.0, 1.0):
        x = blocks(name, 4, seed=7, intensity=intensity)
        assert np.all(np.isfinite(x))
        assert np.max(np.abs(x)) < 1.0


@pytest.mark.parametrize("name", ALL)
def test_intensity_does_something(name):
    low = blocks(name, 8, seed=9, intensity=0.1)
    high = blocks(name, 8, seed=9, intensity=0.9)

    def rms(x):
        return float(np.sqrt(np.mean(x ** 2)))

    def busy(x):  # how much of the time something is going on (density of events)
        e = frame_rms(x.mean(axis=0), 480)
        return float(np.mean(e > 0.1 * (e.max() + 1e-12)))

    def centroid(x):
        f, p = psd(x, nperseg=2048)
        return float(np.sum(f * p) / (np.sum(p) + 1e-30))

    assert rms(high) > 0 or rms(low) > 0
    changed = abs(np.log((rms(high) + 1e-12) / (rms(low) + 1e-12))) > np.log(1.12) \
        or abs(busy(high) - busy(low)) > 0.05 or abs(np.log((centroid(high) + 1) / (centroid(low) + 1))) > 0.1
    assert changed, "intensity 0.1 and 0.9 sound the same"


@pytest.mark.parametrize("sr", [44100, 96000])
@pytest.mark.parametrize("name", ALL)
def test_other_sample_rates(name, sr):
    x = blocks(name, 2, seed=4, sr=sr)
    assert x.shape == (2, 2 * BLOCK)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) < 1.0
    if REGISTRY[name].category == "ambience":
        assert np.sqrt(np.mean(x ** 2)) > 1e-4


@pytest.mark.parametrize("name", ALL)
def test_short_final_block(name):
    model = REGISTRY[name](SR, 2, 0, ModelParams())
    model.next_block()
    out = model.render_block(block_rng(2, 0, 1), 1000)
    assert out.shape == (2, 1000) and out.dtype == np.float64 and np.all(np.isfinite(out))


@pytest.mark.parametrize("name", AMBIENCE)
def test_ambience_metadata(name):
    cls = REGISTRY[name]
    assert cls.category == "ambience" and cls.description and cls.keywords
    assert all(k == k.lower() for k in cls.keywords)
    for word, (key, _value) in cls.option_words.items():
        assert word == word.lower() and key


# -- each ambience sounds like itself ----------------------------------------------------

def test_rain_broadband_with_dense_drop_transients():
    x = render("rain", 8, 0.8)
    f, p = psd(x)
    assert flatness(f, p, 300, 12000) > 0.45  # broadband hiss, no dominant band
    assert transientness(band(x, 2000, 12000), frame=48) > 9  # drops, not steady noise
    for steady in ("room_tone", "wind"):
        assert transientness(band(render(steady, 8), 2000, 12000), frame=48) < 7.5


@pytest.mark.parametrize("mains,asked", [(60, {}), (50, {"mains": 50}), (60, {"mains": 60})])
def test_hvac_hum_at_the_mains_frequency(mains, asked):
    x = render("hvac", 10, **asked).mean(axis=0)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1 / SR)
    low = (f > 30) & (f < 75)
    peak = f[low][np.argmax(spec[low])]
    assert abs(peak - mains) < 0.2
    other = 110 - mains  # 50 <-> 60
    near = lambda hz: spec[(f > hz - 0.5) & (f < hz + 0.5)].max()  # noqa: E731
    assert 20 * np.log10(near(mains) / near(other)) > 20
    assert 20 * np.log10(near(mains) / np.median(spec[low])) > 30
    # and the air: broadband energy well beyond the hum harmonics
    fw, pw = psd(render("hvac", 4, **asked))
    assert share(fw, pw, 300, 4000) > 0.2


def chirpiness(x: np.ndarray) -> tuple[float, float]:
    """(narrowness, motion) over loud 21 ms frames hopping 5.3 ms: the share of a frame's
    1.5-9 kHz energy within 200 Hz of its peak, and the share of consecutive frames
    whose peak glides by 40-600 Hz (a sweep, not a steady tone nor a random jump)."""
    f, _, s = signal.spectrogram(x.mean(axis=0), SR, nperseg=1024, noverlap=768)
    sel = (f > 1500) & (f < 9000)
    f, s = f[sel], s[sel]
    loud = s.sum(axis=0) > 0.05 * s.sum(axis=0).max()
    k = np.argmax(s, axis=0)
    near = np.abs(f[:, None] - f[k][None, :]) <= 200
    narrow = float(np.median(((s * near).sum(axis=0) / (s.sum(axis=0) + 1e-30))[loud]))
    both = loud[1:] & loud[:-1]
    d = np.abs(np.diff(f[k]))[both]
    return narrow, float(np.mean((d >= 40) & (d <= 600)))


def test_chirpiness_measure_tells_sweeps_from_tones_and_noise():
    t = np.arange(4 * SR) / SR
    tone = np.vstack([np.sin(2 * np.pi * 4000 * t)] * 2)
    sweep = np.vstack([np.sin(2 * np.pi * (3000 * t + 2500 * np.sin(2 * np.pi * 3 * t) / (2 * np.pi * 3)))] * 2)
    hiss = np.random.default_rng(0).standard_normal((2, 4 * SR))
    assert chirpiness(tone)[1] < 0.05 and chirpiness(sweep)[1] > 0.5 and chirpiness(hiss)[0] < 0.3


def test_birds_are_swept_chirps_between_2_and_8_khz():
    x = render("birds", 20, 0.6)
    f, p = psd(x)
    assert share(f, p, 2000, 8000) > 0.8
    narrow, motion = chirpiness(x)
    assert narrow > 0.5  # whistled notes, not noise
    assert motion > 0.25  # their pitch moves fast: sweeps, trills, warbles
    # and they are sparse: there are gaps between phrases
    e = frame_rms(band(x, 2000, 8000), 4800)
    assert np.mean(e < 0.1 * e.max()) > 0.1


def test_crickets_pulse_at_a_regular_chirp_rate_near_4_5_khz():
    model = REGISTRY["insects"](SR, 3, 0, ModelParams(intensity=0.2))
    x = np.concatenate([model.next_block() for _ in range(22)], axis=1)
    f, p = psd(x)
    assert share(f, p, 3800, 5600) > 0.9
    rate = 200.0
    e = envelope(band(x, 3500, 6000), rate, cutoff=8)
    r = autocorr(e[int(rate):])
    period = 1.0 / float(np.mean(model.chirp_rate))
    lag = int(round(period * rate))
    assert r[lag - 3:lag + 4].max() > 0.3  # chirps repeat at the chirp rate
    assert r[lag // 2 - 2:lag // 2 + 3].min() < r[lag - 3:lag + 4].max() - 0.2
    # within chirps: pulses at ~30 per second
    fast = envelope(band(x, 3500, 6000), 1000.0, cutoff=120)
    fm, sm = modulation_spectrum(fast, 1000.0)
    pr = float(np.mean(model.pulse_rate))
    near = (fm > pr - 4) & (fm < pr + 4)
    away = (fm > 50) & (fm < 90)
    assert sm[near].max() > 5 * np.median(sm[away])


def test_cicadas_buzz_in_a_high_band():
    f, p = psd(render("insects", 6, kind="cicada"))
    assert share(f, p, 4000, 7500) > 0.85


def test_thunder_is_sparse_and_low():
    x = render("thunder", 60, 0.5)
    f, p = psd(x)
    assert share(f, p, 0, 300) > 0.7
    e = frame_rms(x.mean(axis=0), 4800)
    assert np.mean(e > 0.3 * e.max()) < 0.35  # mostly quiet between strikes
    assert np.sum(np.diff((e > 0.3 * e.max()).astype(int)) == 1) >= 2  # several separate strikes


def test_close_thunder_cracks():
    x = render("thunder", 40, 0.9, closeness="close")
    hp = band(x, 2000, 10000)
    assert transientness(hp, frame=48, local=400) > 20


def test_waves_swell_every_5_to_15_seconds():
    x = render("waves", 90, 0.6)
    rate = 20.0
    e = envelope(x.mean(axis=0), rate, cutoff=0.8)
    fm, sm = modulation_spectrum(e[int(4 * rate):], rate)
    sel = (fm > 0.02) & (fm < 2)
    peak = fm[sel][np.argmax(sm[sel])]
    assert 1 / 15 <= peak <= 1 / 5
    assert e.max() / np.median(e) > 1.6  # audible swells, not a steady hiss
    f, p = psd(x)
    assert flatness(f, p, 100, 8000) > 0.1  # broadband surf


def test_wind_is_low_with_slow_level_changes():
    x = render("wind", 40, 0.5)
    f, p = psd(x)
    assert share(f, p, 0, 600) > 0.6
    e = frame_rms(x.mean(axis=0), SR // 4)  # 250 ms frames
    assert np.std(e) / np.mean(e) > 0.2  # gusts
    fm, sm = modulation_spectrum(e, 4.0)
    assert sm[fm < 0.5].sum() > 0.6 * sm[fm > 0].sum()  # slow, not flutter


def howl(x: np.ndarray) -> float:
    """Median over loud frames of the strongest narrow peak (300-1400 Hz) above the local spectrum."""
    f, _, s = signal.spectrogram(x.mean(axis=0), SR, nperseg=4096, noverlap=2048)
    sel = (f > 150) & (f < 2500)
    q = s[sel]
    ratio = (q / (signal.medfilt2d(q, (31, 1)) + 1e-30))[(f[sel] > 300) & (f[sel] < 1400)].max(axis=0)
    loud = s.sum(axis=0) > np.median(s.sum(axis=0))
    return float(np.median(ratio[loud]))


def test_storm_wind_howls_and_a_breeze_does_not():
    assert howl(render("wind", 20, 0.9, style="storm")) > 15
    assert howl(render("wind", 20, 0.3, style="breeze")) < 12


def test_fire_crackles_over_a_low_roar():
    x = render("fire", 20, 0.6)
    f, p = psd(x)
    assert share(f, p, 0, 1000) > 0.5  # the roar carries most of the energy
    hp = band(x, 1500, 8000)
    assert transientness(hp, frame=24) > 50  # sharp, sparse crackles
    e = frame_rms(hp, 48)
    assert np.mean(e > 4 * np.median(e)) < 0.1  # sparse


def test_crowd_is_speech_band_babble_with_syllable_rhythm():
    x = render("crowd", 20, 0.1)  # a few voices: their syllables are still audible
    f, p = psd(x)
    assert share(f, p, 150, 3500) > 0.75
    rate = 100.0
    fm, sm = modulation_spectrum(envelope(band(x, 200, 3000), rate, cutoff=30), rate)
    octave = {lo: sm[(fm >= lo) & (fm < 2 * lo)].sum() for lo in (0.25, 0.5, 1, 2, 4, 8, 16)}
    syllables = max(octave[2], octave[4])  # 2-8 Hz: syllables
    assert syllables > 1.5 * max(octave[0.25], octave[0.5])  # more than phrase-level swells
    # and not a buzz (real speech, as the babble now is, keeps some consonant modulation at 8-16 Hz)
    assert syllables > 2 * octave[8]


def test_cafe_adds_clinks():
    f, plain = psd(render("crowd", 10, 0.5))
    f, cafe = psd(render("crowd", 10, 0.5, place="cafe"))
    # voices stay below ~6 kHz; cups and cutlery ring above (the near tables' more than the far
    # ones', whose top octaves are shadowed by the people and tables between)
    assert share(f, cafe, 6500, 14000) > 3 * share(f, plain, 6500, 14000)


def test_traffic_low_mid_with_pass_by_swells():
    x = render("traffic", 60, 0.4)
    f, p = psd(x)
    assert share(f, p, 0, 2000) > 0.7
    e = frame_rms(x.mean(axis=0), SR // 2)
    assert np.percentile(e, 98) / np.median(e) > 1.6  # cars passing stand out of the roar


def test_traffic_doppler_glide():
    """The engine note of a passing vehicle falls in pitch: check the analytic emission time."""
    from scenefill.engine.models.traffic import C_SOUND
    v, d = 15.0, 5.0
    s = np.linspace(-3, 3, 601)
    c2 = C_SOUND ** 2
    u = (c2 * s - np.sqrt(c2 * v * v * s * s + d * d * (c2 - v * v))) / (c2 - v * v)
    ratio = np.gradient(u, s)  # received frequency / emitted frequency
    assert ratio[0] == pytest.approx(C_SOUND / (C_SOUND - v), rel=0.01)
    assert ratio[-1] == pytest.approx(C_SOUND / (C_SOUND + v), rel=0.01)
    assert np.all(np.diff(ratio) < 0)


def test_stream_broadband_with_fast_irregular_bubbles():
    x = render("stream", 10, 0.5)
    f, p = psd(x)
    assert flatness(f, p, 300, 8000) > 0.2
    b = band(x, 400, 3500)
    assert transientness(b, frame=24) > 10  # individual bubbles
    rate = 200.0
    fm, sm = modulation_spectrum(envelope(b, rate, cutoff=60), rate)
    assert sm[(fm > 2) & (fm < 40)].sum() > sm[(fm > 0.05) & (fm <= 2)].sum()  # fast, not slow


def test_room_tone_is_steady_pinkish_noise():
    x = render("room_tone", 10, 0.5)
    f, p = psd(x)
    sel = (f > 150) & (f < 5000)
    slope = np.polyfit(np.log2(f[sel]), 10 * np.log10(p[sel]), 1)[0]  # dB per octave
    assert -5.5 < slope < -1.5
    e = frame_rms(x.mean(axis=0), SR // 2)
    assert np.std(e) / np.mean(e) < 0.12


def test_composite_beds():
    f, p = psd(render("city", 20, 0.5))
    assert share(f, p, 0, 2000) > 0.75
    f, p = psd(render("nature", 20, 0.5))
    assert share(f, p, 2000, 8000) > 0.2 and share(f, p, 0, 1000) > 0.1


# -- the streaming helpers the ambience models share ----------------------------------

def test_upsamplers_do_not_depend_on_block_boundaries():
    from scenefill.engine.models._amb import SplineUpsampler, Upsampler
    x = np.random.default_rng(1).standard_normal((2, 64))
    for cls in (SplineUpsampler, Upsampler):
        for factor in (2, 4, 32):
            whole = cls(factor, 2)(x, 64 * factor)
            u = cls(factor, 2)
            parts = np.concatenate([u(x[:, :16], 16 * factor), u(x[:, 16:], 48 * factor)], axis=1)
            assert np.allclose(whole, parts)


def test_kernel_bank32_matches_direct_convolution_across_blocks():
    from scenefill.engine.models._amb import KernelBank32
    rng = np.random.default_rng(2)
    kernels = [rng.standard_normal(300), rng.standard_normal(120)]
    trains = np.zeros((2, 2, 4096))
    trains[rng.integers(0, 2, 40), rng.integers(0, 2, 40), rng.integers(0, 4096, 40)] = 1.0
    bank = KernelBank32(kernels, block=1024)
    got = np.concatenate([bank(trains[:, :, k:k + 1024]) for k in range(0, 4096, 1024)], axis=1)
    want = sum(np.vstack([np.convolve(trains[k, c], kernels[k])[:4096] for c in range(2)]) for k in range(2))
    assert np.allclose(got, want, atol=1e-4)


def test_grain_bus_rings_into_the_next_block():
    from scenefill.engine.models._amb import GrainBus
    bus = GrainBus(100)
    grain = np.ones((1, 100))
    first = bus(64, np.array([10]), grain, np.array([[1.0], [0.5]]))
    second = bus(64, np.array([], dtype=int), np.zeros((0, 1)), np.zeros((2, 0)))
    assert first[0].sum() == 54 and second[0].sum() == 46 and second[1].sum() == 23


def test_colored_noise_tables_wrap_without_a_seam():
    from scenefill.engine.models._amb import _TABLE_LEN, _table
    from scenefill.engine.models.base import butter
    tab, _ = _table(SR, butter("lowpass", 80, SR, 2))
    step = np.abs(np.diff(tab[_TABLE_LEN - 50:_TABLE_LEN + 50]))
    assert step.max() < 5 * np.mean(np.abs(np.diff(tab[:100000])))
