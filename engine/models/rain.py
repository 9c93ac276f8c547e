"""Rain, drizzle and downpour: drops striking a surface (see ``_drops`` for the physics).

The surface sets what each drop rings like: a tin roof's long metallic pings, a
window's bright ticks, leaves' soft flaps, pavement's splashes, a tiled roof's
dull patter heard from below. Drizzle is small drops (short, high ticks) thinly
spread; a downpour is big drops (duller thumps) in a dense sheet, with water
running off gutters and pooling (ringing bubbles).
"""

from __future__ import annotations

from ._drops import ImpactRain, Surface

SURFACES = {
    # a pitched roof heard from the room below: dull knocks on tiles and battens
    "roof": Surface(modes=((320, 0.012), (610, 0.009), (1100, 0.007), (1900, 0.005), (3100, 0.003)),
                    detune=0.15, click_tau=3e-4, click=1.0, ring=0.5, splash=0.2, lowpass=6000,
                    wash_band=(250, 7000), wash_db=-4.0, near_db=7.0, rate=1100, near=(4, 18)),
    # corrugated iron: a bright, clattering drumming; each drop rings the sheet's dense high
    # modes briefly (a wet, fixed sheet is well damped), the close ones with a metallic ping;
    # the drumming is the sheet's low bending modes between purlins (~200-500 Hz), which every
    # drop knocks. Heard from under it, the whole roof is at about the same distance (1-3 m):
    # no drop is much closer than the rest, so the "close" drops stand out only by their size
    "tin": Surface(modes=((200, 0.03), (330, 0.03), (520, 0.025), (900, 0.02), (1500, 0.018), (2300, 0.015),
                          (3300, 0.012), (4600, 0.01), (6200, 0.008)), detune=0.3, click_tau=1.5e-4, click=1.0,
                   ring=0.3, splash=0.5, wash_band=(300, 11000), wash_db=-4.0, near_db=0.0, rate=1200,
                   near=(5, 22)),
    # a window pane: soft dense patter, high ticks and a faint low knock of the pane
    "window": Surface(modes=((320, 0.02), (2400, 0.01), (3900, 0.008), (5600, 0.006), (7800, 0.005)),
                      detune=0.08, click_tau=2e-4, click=1.0, ring=0.7, splash=0.05,
                      wash_band=(800, 10000), wash_db=-4.0, near_db=5.0, rate=1000, near=(3, 10),
                      radiate_hz=2500.0),  # 4 mm glass: coincidence near 3 kHz
    # leaves: soft flaps that bounce back, a lot of them
    "leaves": Surface(modes=((900, 0.01), (1500, 0.008), (2300, 0.006), (3400, 0.004)),
                      detune=0.3, click_tau=3e-4, click=1.0, ring=0.4, splash=0.5,
                      wash_band=(400, 8000), wash_db=-4.0, near_db=7.0, rate=1400, near=(6, 24)),
    # wet pavement: splashes on a water film, the odd small bubble
    "pavement": Surface(modes=((1200, 0.003), (2600, 0.002), (4500, 0.0015)), detune=0.2, click_tau=1.5e-4,
                        click=1.0, ring=0.25, splash=0.8, bubble=0.04, radius=(0.5, 1.5),
                        wash_band=(250, 10000), wash_db=-4.0, near_db=8.0, rate=1400, near=(6, 28)),
}

_WORDS = {
    "roof": ("surface", "roof"), "attic": ("surface", "roof"), "tiles": ("surface", "roof"),
    "tin": ("surface", "tin"), "metal": ("surface", "tin"), "corrugated": ("surface", "tin"),
    "shed": ("surface", "tin"), "window": ("surface", "window"), "windows": ("surface", "window"),
    "glass": ("surface", "window"), "windowpane": ("surface", "window"),
    "leaves": ("surface", "leaves"), "forest": ("surface", "leaves"), "trees": ("surface", "leaves"),
    "jungle": ("surface", "leaves"), "garden": ("surface", "leaves"),
    "pavement": ("surface", "pavement"), "street": ("surface", "pavement"), "road": ("surface", "pavement"),
    "sidewalk": ("surface", "pavement"), "city": ("surface", "pavement"),
}


class Rain(ImpactRain):
    name = "rain"
    category = "ambience"
    keywords = ("rain", "raining", "rainfall", "shower", "rainy", "rainstorm", "raindrops", "rain drops")
    description = ("rain: distinct close drops, a patter and a far wash, ringing the surface "
                   "(roof, tin, window, leaves, pavement)")
    outdoor = True
    option_words = dict(_WORDS)
    surfaces = SURFACES
    default_surface = "pavement"


class Drizzle(ImpactRain):
    name = "drizzle"
    category = "ambience"
    keywords = ("drizzle", "drizzling", "spitting rain", "fine rain", "misty rain", "mizzle",
                "gentle rain", "soft rain", "sprinkle of rain")
    description = "drizzle: fine drops, thinly spread: soft high ticks and a faint hiss, few distinct drops"
    outdoor = True
    option_words = dict(_WORDS)
    supersedes = ("rain",)
    # fine drops splash a little higher: the wash of countless tiny ticks sits half an octave up
    # (an octave up, with the ticks on top, it is a fizz: frying rather than rain)
    surfaces = {k: s.__class__(**{**s.__dict__,
                                  "wash_band": (1.4 * s.wash_band[0], min(14000.0, 1.15 * s.wash_band[1]))})
                for k, s in SURFACES.items()}
    default_surface = "pavement"
    size = 0.45
    intensity_range = (0.0, 0.35)
    # drizzle drops are 0.2-0.5 mm: several times as many per litre as rain's, each a faint tick,
    # and all much alike (a dense fine patter; no big drop among them to crack out of it)
    rate_scale = 1.5
    drop_floor = 0.3

    def setup(self, rng) -> None:
        super().setup(rng)
        self.near_rate *= 0.5  # few drops big enough to pick out, and those soft
        self.g_near *= 0.3


class Downpour(ImpactRain):
    name = "downpour"
    category = "ambience"
    keywords = ("downpour", "torrential rain", "pouring rain", "rain pouring", "torrential", "cloudburst",
                "deluge", "monsoon", "pouring down", "bucketing down", "sheets of rain", "rain bucketing")
    description = "downpour: a dense sheet of big drops, duller thumps, water gushing and pooling"
    outdoor = True
    option_words = dict(_WORDS)
    supersedes = ("rain",)
    surfaces = {k: s.__class__(**{**s.__dict__, "bubble": max(s.bubble, 0.2), "radius": (0.9, 3.0),
                                  "wash_db": s.wash_db + 3.0, "rate": s.rate * 2.2,
                                  "wash_band": (s.wash_band[0], 0.6 * s.wash_band[1]),  # big drops thud
                                  "near": (s.near[1], s.near[1] * 2.0)})
                for k, s in SURFACES.items()}
    default_surface = "pavement"
    size = 1.6
    intensity_range = (0.7, 1.0)
