"""Hail: ice stones striking and bouncing. Ice is hard, so its impact pulse is several
times shorter than a raindrop's (a bright click reaching past 10 kHz, rendered at the
full rate), the surface rings harder, there is no splash, and each stone rebounds a
few times, every flight and every knock shorter than the last (a restitution of ~0.4).
"""

from __future__ import annotations

from ._drops import ImpactRain, Surface

_WORDS = {"roof": ("surface", "roof"), "tin": ("surface", "tin"), "metal": ("surface", "tin"),
          "car": ("surface", "car"), "window": ("surface", "window"), "glass": ("surface", "window"),
          "ground": ("surface", "ground"), "street": ("surface", "ground"), "pavement": ("surface", "ground")}


class Hail(ImpactRain):
    name = "hail"
    category = "ambience"
    keywords = ("hail", "hailstorm", "hailstones", "hail stones", "hailing", "sleet")
    description = "hail: hard, bright ice clicks that bounce, rattling on the surface (roof, tin, car, window, ground)"
    outdoor = True
    option_words = _WORDS
    supersedes = ("rain",)
    rate_hz = 48000.0
    surfaces = {
        "ground": Surface(modes=((2400, 0.003), (4700, 0.002), (7800, 0.0015), (10500, 0.001)), detune=0.15,
                          click_tau=3e-5, click=1.6, splash=0.0, wash_band=(800, 14000), wash_db=-10.0,
                          near_db=6.0, rate=350, near=(6, 30), bounce=0.4),
        # a tiled or shingled roof: stiff, heavy, loosely laid elements that damp themselves on
        # their neighbours and battens, so a stone knocks it (a few ms of ring), never drums it.
        # Heard from under it, the whole roof sounds (~100 m2: heavy hail lands 2-5 stones per m2 a
        # second, so ~200-500 a second at mid intensity), every stone at about the same distance:
        # only the few biggest stand out, by their size
        "roof": Surface(modes=((380, 0.004), (900, 0.003), (1700, 0.0025), (3300, 0.002), (6800, 0.0015)),
                        detune=0.12, click_tau=4e-5, click=1.3, splash=0.0, wash_band=(400, 12000),
                        wash_db=-10.0, near_db=6.0, rate=800, near=(4, 20), bounce=0.35),
        "tin": Surface(modes=((620, 0.09), (1130, 0.07), (1870, 0.06), (2750, 0.05), (3900, 0.04), (5300, 0.03)),
                       detune=0.1, click_tau=3e-5, click=1.0, splash=0.0, wash_band=(600, 13000),
                       wash_db=-11.0, near_db=6.0, rate=400, near=(6, 30), bounce=0.4),
        "car": Surface(modes=((85, 0.05), (140, 0.045), (230, 0.035), (380, 0.025), (640, 0.016), (2900, 0.006)),
                       detune=0.1, click_tau=4e-5, click=1.2, splash=0.0, wash_band=(300, 9000),
                       wash_db=-11.0, near_db=6.0, rate=400, near=(6, 30), bounce=0.35),
        "window": Surface(modes=((320, 0.02), (2400, 0.012), (3900, 0.01), (5600, 0.008), (7800, 0.006)),
                          detune=0.06, click_tau=2.5e-5, click=1.5, splash=0.0, wash_band=(1500, 14000),
                          wash_db=-12.0, near_db=6.0, rate=300, near=(5, 24), bounce=0.4),
    }
    default_surface = "ground"
