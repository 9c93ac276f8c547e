"""Interiors, machines and tech sound like what makes them (issue 9).

Each test checks a physical property an engineer would listen for: a fan's
blade-pass tone, a fridge's mains-locked hum and compressor stroke, a server
room's many fans beating, steady beds without fast flutter, FM static's
de-emphasised spectrum, a leaky tap's steady drip with a rising plink, and a
church's long reverberation. Plus the engine's promises for the new models:
exact length, prefix stability, loops.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from scenefill.engine.api import render_array
from scenefill.engine.pipeline import FADE_OUT_S
from scenefill.engine.models import BLOCK, REGISTRY, ModelParams
from scenefill.engine.request import RenderRequest
from scenefill.engine.room import impulse_response
from scenefill.engine.rooms import ROOMS
from scenefill.engine.scene import describe_note

SR = 48000


def make(name, seed=3, layer=1, intensity=0.5, sr=SR, **options):
    return REGISTRY[name](sr, seed, layer, ModelParams(intensity=intensity, options=dict(options)))


def render(name, seconds, seed=3, intensity=0.5, sr=SR, **options):
    m = make(name, seed, 1, intensity, sr, **options)
    n = int(seconds * sr)
    return np.concatenate([m.next_block() for _ in range(-(-n // BLOCK))], axis=1)[:, :n]


def welch(x, nperseg=1 << 15):
    return signal.welch(x.mean(axis=0) if x.ndim == 2 else x, SR, nperseg=nperseg)


def tone_above_floor(f, p, hz, width=1.5, around=25.0) -> float:
    """dB of the strongest bin within ``width`` Hz of ``hz`` over the median of its neighbourhood."""
    near = (f > hz - width) & (f < hz + width)
    ring = (f > hz - around) & (f < hz + around) & ~near
    return 10 * np.log10(p[near].max() / np.median(p[ring]))


def fast_flutter(x) -> float:
    """How much the 3-10 kHz level flutters from one 20 ms frame to the next, around its own
    one-second average: the coefficient of variation of the frames' RMS. Water, fire and rain
    swing it by tens of percent; steady air and machines stay near what stationary noise of
    that band gives (~0.1). (The band sits above the hum's harmonics.)"""
    sos = signal.butter(4, (3000, 10000), "bandpass", fs=SR, output="sos")
    mono = signal.sosfilt(sos, x.mean(axis=0))
    hop = SR // 50
    env = np.sqrt(np.mean(mono[: len(mono) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    trend = np.convolve(env, np.ones(50) / 50, "same")
    rel = env[25:-25] / trend[25:-25]
    return float(np.std(rel))


# -- air handling ------------------------------------------------------------------------

def test_office_air_conditioning_has_its_fan_tone_harmonics_and_bright_air():
    x = render("hvac", 8, rpm=900, blades=8)  # blade pass 120 Hz
    f, p = welch(x)
    for h in (1, 2, 3):
        assert tone_above_floor(f, p, 120 * h) > 8, f"no blade-pass harmonic {h}"
    # the diffuser's air reaches up: energy above 4 kHz is not cut off (falls ~5 dB/oct)
    band = lambda lo, hi: p[(f >= lo) & (f < hi)].sum()  # noqa: E731
    assert 10 * np.log10(band(4000, 8000) / band(500, 1000)) > -15


def test_fridge_hums_at_its_shaft_rate_and_twice_mains_with_its_compressor_stroke():
    x = render("hvac", 8, kind="fridge", mains=50)
    m = make("hvac", kind="fridge", mains=50)
    assert 47.5 < m.shaft < 49.0  # a 2-pole induction motor on 50 Hz, less its slip
    f, p = welch(x)
    # the piston's primary and secondary forces rattling the housing, and the motor's
    # magnetostriction at exactly twice mains
    assert tone_above_floor(f, p, 2 * m.shaft, width=0.5, around=10) > 20
    assert tone_above_floor(f, p, 100, width=0.5, around=10) > 15
    assert tone_above_floor(f, p, 120, width=0.5, around=10) < 6, "a 50 Hz fridge has no 60 Hz hum"
    # the piston's clatter: 250 Hz-3 kHz noise swelling once per shaft turn
    mid = signal.sosfilt(signal.butter(4, (400, 2500), "bandpass", fs=SR, output="sos"), x.mean(axis=0))
    fe, pe = signal.welch(np.abs(signal.hilbert(mid)), SR, nperseg=1 << 15)
    assert tone_above_floor(fe, pe, m.shaft, width=0.8, around=6) > 6


def test_server_room_is_many_small_fans_close_in_speed_over_the_air_handler():
    m = make("hvac", kind="server")
    assert len(m.fans) >= 8
    assert all(abs(f / m.bpf - 1) <= 0.011 for f in m.fans), "rack fans run at nearly one speed"
    assert 400 < m.bpf < 1000  # 4000-8000 rpm, 7 blades
    assert m.crac is not None and m.crac.kind == "hvac"
    f, p = welch(render("hvac", 8, kind="server"))
    assert tone_above_floor(f, p, m.bpf, width=0.02 * m.bpf, around=0.15 * m.bpf) > 3


@pytest.mark.parametrize("name,opts", [("hvac", {}), ("hvac", {"kind": "fan"}), ("hvac", {"kind": "server"}),
                                       ("hvac", {"kind": "computer"}), ("room_tone", {"place": "office"}),
                                       ("radio_static", {})])
def test_steady_beds_have_no_fast_amplitude_flutter(name, opts):
    assert fast_flutter(render(name, 10, **opts)) < 0.07


@pytest.mark.parametrize("name", ["rain", "fire"])
def test_rain_and_fire_do_flutter_so_the_measure_means_something(name):
    assert fast_flutter(render(name, 10)) > 0.1


# -- electrical and radio ----------------------------------------------------------------

def test_neon_buzz_is_twice_mains_with_harmonics_into_the_kilohertz():
    x = render("electrical_buzz", 6, mains=60)
    f, p = welch(x)
    for hz in (120, 240, 360, 600, 1200):
        assert tone_above_floor(f, p, hz) > 15, f"no {hz} Hz buzz harmonic"


def test_fm_static_rises_to_the_de_emphasis_corner_then_stays_flat():
    f, p = welch(render("radio_static", 8))
    level = lambda lo, hi: 10 * np.log10(p[(f >= lo) & (f < hi)].mean())  # noqa: E731
    assert level(1800, 2200) - level(450, 550) > 8  # ~+6 dB/oct below ~2 kHz
    assert abs(level(9000, 11000) - level(4500, 5500)) < 3  # flat above
    assert level(16500, 18000) - level(9000, 11000) < -20  # the 15 kHz audio limit


def test_am_static_stays_in_the_receiver_passband_and_crackles():
    x = render("radio_static", 8, band="am")
    f, p = welch(x)
    share = p[(f > 150) & (f < 6500)].sum() / p.sum()
    assert share > 0.95
    mono = x.mean(axis=0)
    assert np.abs(mono).max() > 6 * np.sqrt(np.mean(mono ** 2)), "no sferic clicks"


# -- a tap -------------------------------------------------------------------------------

def _onsets(x, thresh=0.3):
    env = np.abs(x.mean(axis=0))
    hop = SR // 1000
    e = env[: len(env) // hop * hop].reshape(-1, hop).max(axis=1)
    above = e > thresh * e.max()
    starts = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    keep = [starts[0]] if starts.size else []
    for s in starts[1:]:  # the second plink and ringing of one drop are not a new drop
        if s - keep[-1] > 200:
            keep.append(s)
    return np.array(keep) / 1000.0


def test_a_leaky_tap_drips_at_a_steady_period():
    m = make("tap")
    x = render("tap", 12)
    t = _onsets(x)
    assert len(t) >= 6
    gaps = np.diff(t)
    assert abs(np.median(gaps) - m.period) < 0.1 * m.period
    assert np.std(gaps) / np.mean(gaps) < 0.15


def test_a_drip_is_a_plink_rising_in_pitch():
    m = make("tap")
    y = m._drop(np.random.default_rng(4))[0]
    f, t, s = signal.spectrogram(y, SR, nperseg=256, noverlap=224)
    loud = s.sum(axis=0) > 0.05 * s.sum(axis=0).max()
    peak = f[np.argmax(s[:, loud], axis=0)]
    assert 800 < peak[0] < 4000
    assert np.median(peak[-3:]) > 1.3 * peak[0], "the bubble's pitch does not rise"


def test_a_running_tap_flows_where_a_leaky_one_drips():
    def spread_db(x):  # 90th over 10th percentile of the 50 ms level
        hop = SR // 20
        e = np.sqrt(np.mean(x.mean(axis=0)[: len(x[0]) // hop * hop].reshape(-1, hop) ** 2, axis=1))
        return 20 * np.log10(np.percentile(e, 90) / (np.percentile(e, 10) + 1e-12))
    assert make("tap", flow="running").stream is not None
    assert spread_db(render("tap", 6, flow="running")) < 10
    assert spread_db(render("tap", 6)) > 30


def test_notes_name_the_tap_and_the_church():
    models = [layer["model"] for layer in describe_note("a kitchen with a fridge hum and a dripping tap")["layers"]]
    assert "tap" in models and "hvac" in models
    church = describe_note("a large empty church, quiet reverberant room tone")
    assert church["room"] == "church"
    assert church["layers"][0]["model"] == "church_interior"


def test_the_source_the_note_names_leads_the_beds_its_setting_implies():
    """"A quiet apartment, the fridge humming": in a quiet flat at night the fridge is the room
    tone the editor asked for; the room tone and distant traffic that "apartment" implies sit
    under it, not over it, whatever order the note names them in."""
    for note in ("a quiet apartment, the fridge humming in the kitchen",
                 "the fridge humming in the kitchen, a quiet apartment at night"):
        level = {layer["model"]: layer["level_db"] for layer in describe_note(note)["layers"]}
        assert level["hvac"] == 0.0
        assert level["room_tone"] <= level["hvac"] - 6 and level["traffic"] <= level["room_tone"]
    # with nothing named, the setting's first bed is still the anchor
    level = {layer["model"]: layer["level_db"] for layer in describe_note("a quiet apartment")["layers"]}
    assert level["room_tone"] == 0.0 and level["traffic"] == -3.0


def test_a_sealed_fridge_compressor_hums_more_than_it_knocks():
    """A hermetic compressor sits in a steel shell on springs: the kitchen hears its hum (shaft
    rate, twice mains), the piston's stroke only faintly, well under the hum."""
    m = make("hvac", kind="fridge", mains=50)
    x = render("hvac", 8, kind="fridge", mains=50).mean(axis=0)
    f, p = signal.welch(x, SR, nperseg=1 << 15)
    hum = p[(f > 40) & (f < 130)].sum()
    # the stroke is the noise between the hum's lines (the core's harmonics of mains and the
    # housing's of the shaft rate reach up into this band too)
    lines = np.zeros_like(f, dtype=bool)
    for base in (50.0, m.shaft):
        lines |= np.abs(f - base * np.round(f / base)) < 1.0
    stroke = p[(f > 250) & (f < 3000) & ~lines].sum()
    assert hum > 16 * stroke
    assert m.g_knock < 0.05 * m.g_hum


def test_a_fridge_hum_is_a_harmonic_series_of_twice_mains_well_over_its_air():
    """What a kitchen hears of a fridge is the motor core's hum: twice mains and its harmonics
    (200, 300, 400 Hz on 50 Hz mains) standing clear of the noise between them, and its
    condenser fan's air far under the hum."""
    x = render("hvac", 8, kind="fridge", mains=50)
    f, p = welch(x)
    for h in (2, 3, 4, 5):
        assert tone_above_floor(f, p, 100 * h, width=1.0, around=12) > 15, f"no {100 * h} Hz line"
    m = make("hvac", kind="fridge", mains=50)
    on_line = np.zeros_like(f, dtype=bool)
    for base in (50.0, m.shaft):  # the core's lines and the housing's at the shaft rate
        on_line |= np.abs(f - base * np.round(f / base)) < 1.5
    band = (f > 150) & (f < 1050)
    assert p[band & on_line].sum() > 10 * p[band & ~on_line].sum(), "the hum stands well over the noise"


def test_the_fridge_a_kitchen_note_names_is_the_kitchens_one_fridge():
    """"A kitchen with a fridge hum": one fridge. The kitchen's room tone keeps its plain floor
    and leaves the fridge to the named layer; an office named with its air conditioning keeps
    both (an office has many air handlers)."""
    for note in ("a kitchen with a fridge hum and a dripping tap", "a kitchen", "a quiet kitchen at night"):
        fridges = [x for x in describe_note(note)["layers"]
                   if x["options"].get("kind") == "fridge" or x["options"].get("place") == "kitchen"]
        assert len(fridges) == 1 and fridges[0]["model"] == "hvac", note
    assert describe_note("kitchen room tone")["layers"][0]["options"] == {"place": "kitchen"}
    office = {x["model"]: x["options"] for x in describe_note("office room tone with air conditioning")["layers"]}
    assert office["room_tone"] == {"place": "office"} and "hvac" in office


def test_a_quiet_setting_sits_further_under_the_source_the_note_names():
    """"A quiet apartment, the fridge humming": the quiet flat's room tone is quieter than an
    ordinary kitchen's is under its fridge."""
    quiet = {x["model"]: x["level_db"] for x in describe_note("a quiet apartment, the fridge humming")["layers"]}
    plain = {x["model"]: x["level_db"] for x in describe_note("an apartment, the fridge humming")["layers"]}
    assert quiet["hvac"] == plain["hvac"] == 0.0
    assert quiet["room_tone"] <= plain["room_tone"] - 2.5


# -- a spaceship's engine room ----------------------------------------------------------------

def test_a_spaceship_engine_room_is_its_own_plant_not_an_office_air_conditioner_as_well():
    """"A spaceship engine room hum": the ship's model is the room's machinery and its air; the
    word "hum" must not add an office's air conditioning on top (a wash of duct noise)."""
    models = [x["model"] for x in describe_note("a spaceship engine room hum")["layers"]]
    assert models == ["spaceship_hum"]


def test_an_engine_room_is_tonal_machinery_not_a_wash_of_noise():
    """Between 100 Hz and 1 kHz an engine room is lines: the drive's shaft harmonics and the
    transformer's hum at twice the supply, standing far above the air between them; the
    bridge, by contrast, is mostly life-support air."""
    def tonal_share(x):
        f, p = welch(x)
        band = (f > 100) & (f < 1000)
        lines = p > 10 * signal.medfilt(p, 31)
        return p[band & lines].sum() / p[band].sum()

    engine = make("spaceship_hum", deck="engine")
    x = render("spaceship_hum", 8, deck="engine")
    assert tonal_share(x) > 0.8
    assert tonal_share(render("spaceship_hum", 8, deck="bridge")) < 0.5
    f, p = welch(x)
    for h in (2, 4, 6):  # twice the 60 Hz supply and its harmonics
        assert tone_above_floor(f, p, 60 * h, width=1.0, around=12) > 15, f"no {60 * h} Hz hum"
    assert 30 <= engine.machinery.f_drive <= 45


# -- a church ------------------------------------------------------------------------------

def _rt60(ir: np.ndarray, sr: int) -> float:
    """Schroeder backward integration, T30 extrapolated to 60 dB."""
    e = np.cumsum((ir ** 2)[::-1])[::-1]
    db = 10 * np.log10(e / e[0])
    i5, i35 = np.searchsorted(-db, 5), np.searchsorted(-db, 35)
    return 60 * (i35 - i5) / 30 / sr


def test_the_church_rings_for_seconds():
    rt60 = ROOMS["church"].rt60
    assert 3.0 <= rt60 <= 6.0
    ir = impulse_response("church", rt60, 24000).mean(axis=0)
    assert 0.75 * rt60 < _rt60(ir, 24000) < 1.25 * rt60
    assert _rt60(impulse_response("large", ROOMS["large"].rt60, 24000).mean(axis=0), 24000) < 0.6 * rt60


def test_the_church_bass_rings_longest_and_the_air_shortens_the_treble():
    """20 000 m3 of stone: the bass rings on longer than the 500 Hz band, and above 2 kHz the
    air itself absorbs, so 4 kHz dies in well under the mid-band time and 8 kHz in half of it
    (the old tail decayed alike at every frequency: a hiss ringing as long as the hum)."""
    rt60 = ROOMS["church"].rt60
    ir = impulse_response("church", rt60, 24000).mean(axis=0)

    def band(fc):
        sos = signal.butter(4, (fc / np.sqrt(2), fc * np.sqrt(2)), "bandpass", fs=24000, output="sos")
        return _rt60(signal.sosfilt(sos, ir), 24000)

    t125, t500, t4k, t8k = band(125), band(500), band(4000), band(8000)
    assert t125 > 1.1 * t500
    assert 0.8 * rt60 < t500 < 1.2 * rt60
    assert t4k < 0.75 * t500 and t8k < 0.5 * t500


def test_far_footsteps_on_stone_are_heel_clicks_not_a_drum():
    """A heel on flagstones heard across the nave: its energy sits above a few hundred hertz
    (no 100 Hz thump, which every 0.7 s is a kick drum) and the steps come at a slow walker's
    0.65-0.85 s, regular to a few per cent."""
    model = make("church_interior", seed=5)
    rng = np.random.default_rng(2)
    y = model._steps(rng)
    f, p = signal.welch(y, SR, nperseg=4096)
    assert p[f < 200].sum() < 0.02 * p[(f > 500) & (f < 5000)].sum()
    hop = SR // 200
    env = np.sqrt(np.mean(y[: len(y) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    peaks, _ = signal.find_peaks(env, height=0.3 * env.max(), distance=80)
    peaks = peaks * hop
    gaps = np.diff(peaks) / SR
    assert len(peaks) >= 6 and 0.6 < np.median(gaps) < 0.9
    assert np.std(gaps) / np.mean(gaps) < 0.1


def test_a_far_source_in_the_church_is_heard_mostly_as_its_reverberation():
    """Past the critical distance (~4 m in a stone church) the direct sound falls as 1/r under
    a diffuse field that does not: a footstep 25-30 m off is heard 12-17 dB under its
    reverberation, while in a large hall or a room the default law still holds."""
    from scenefill.engine.mixer import _dry, _send

    def direct_to_reverberant_db(room, distance):
        acoustics = ROOMS[room]
        return 10 * np.log10(_dry(distance) ** 2 / (0.5 * _send(acoustics.wet, distance, acoustics.far_send) ** 2))

    assert direct_to_reverberant_db("church", 1.0) < -10
    assert direct_to_reverberant_db("church", 0.0) > 10  # at the microphone: the voice, not the nave
    assert direct_to_reverberant_db("large", 1.0) > -5 and direct_to_reverberant_db("room", 1.0) > -2


def test_church_is_quiet_between_its_far_off_events():
    x = render("church_interior", 20)
    hop = SR // 20
    e = np.sqrt(np.mean(x.mean(axis=0)[: len(x[0]) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    assert 20 * np.log10(np.percentile(e, 99) / np.percentile(e, 20)) > 15


# -- the engine's promises ---------------------------------------------------------------

@pytest.mark.parametrize("name,opts", [("tap", {}), ("tap", {"flow": "running"}), ("church_interior", {}),
                                       ("hvac", {"kind": "server"}), ("hvac", {"kind": "fridge"}),
                                       ("radio_static", {"band": "am"}), ("electrical_buzz", {"fault": 1.0})])
def test_new_models_are_deterministic_bounded_and_prefix_stable(name, opts):
    a = render(name, 1.6, seed=11, sr=44100, **opts)
    assert np.array_equal(a, render(name, 1.6, seed=11, sr=44100, **opts))
    short = render(name, 0.9, seed=11, sr=44100, **opts)
    assert np.array_equal(a[:, :short.shape[1]], short)
    assert np.isfinite(a).all() and 1e-4 < np.abs(a).max() < 1.0


def test_a_kitchen_with_a_fridge_holds_its_loudness_whatever_the_seed():
    """The kitchen's room tone would carry its fridge and the note names one too: the named
    fridge is the kitchen's one (two on one supply hum at exactly twice mains and add or cancel
    with their phases), so the scene's loudness does not swing from seed to seed."""
    from scenefill.engine.loudness import integrated_loudness
    levels = []
    for seed in range(6):
        r = RenderRequest(note="a kitchen with a fridge hum and a dripping tap", n_samples=SR * 8,
                          sample_rate=SR, channels=2, seed=seed)
        a = np.asarray(render_array(r), dtype=np.float64)
        levels.append(integrated_loudness(a, SR))
        assert abs(levels[-1] - r.loudness) < 1.0
    assert max(levels) - min(levels) < 0.6


@pytest.mark.parametrize("note", ["a server room full of cooling fans", "a kitchen with a fridge hum and a dripping tap",
                                  "a large empty church, quiet reverberant room tone"])
def test_scenes_are_exact_length_and_prefix_stable(note):
    def req(n):
        return RenderRequest(note=note, n_samples=n, sample_rate=SR, channels=2, seed=5)
    long = np.asarray(render_array(req(SR * 3 + 123)))
    short = np.asarray(render_array(req(SR * 2 + 7)))
    assert long.shape == (2, SR * 3 + 123) and short.shape == (2, SR * 2 + 7)
    same = short.shape[1] - int(FADE_OUT_S * SR)  # the short one's end fade is its own
    assert np.array_equal(long[:, :same], short[:, :same])
