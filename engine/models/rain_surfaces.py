"""Rain heard on one particular surface, each its own sound: a tent, a car roof from
inside, an umbrella overhead, puddles. Drops as in ``_drops``; what differs is the
struck body (its modes), how close the listener is and what else the water does.
"""

from __future__ import annotations

from ._drops import ImpactRain, Surface


class RainTent(ImpactRain):
    name = "rain_tent"
    category = "ambience"
    keywords = ("rain+tent", "tent in the rain", "rain on a tent", "rain on the tent", "raindrops on a tent")
    description = "rain on a tent from inside: the taut fabric drums low thuds, drop by drop, over a soft patter"
    outdoor = False
    supersedes = ("rain", "drizzle", "downpour")
    # a taut nylon fly: a membrane's low modes (roughly as the zeros of J0 over a ~1 m panel)
    # (light fabric radiates well: the air damps its ring within ~10 ms; a thud, not a note)
    surfaces = {"tent": Surface(modes=((240, 0.009), (380, 0.008), (560, 0.007), (830, 0.006), (1200, 0.005),
                                       (1800, 0.004)), detune=0.12, click_tau=2.5e-4, click=1.0, ring=0.6,
                                splash=0.1, wash_band=(200, 6000), wash_db=-4.0, near_db=8.0, rate=800,
                                near=(5, 24))}
    default_surface = "tent"


class RainCarRoof(ImpactRain):
    name = "rain_car"
    category = "ambience"
    keywords = ("rain+car", "rain on a car roof", "rain on the car roof", "rain on the car", "car in the rain",
                "rain on the windscreen", "rain on the windshield", "inside a car in the rain")
    description = "rain on a car from inside: dull drumming of the steel roof through the headliner, ticks on the glass"
    outdoor = False
    supersedes = ("rain", "drizzle", "downpour")
    # a pressed-steel roof panel damped by its headliner: low modes, heard through the lining
    surfaces = {"car": Surface(modes=((260, 0.01), (420, 0.009), (690, 0.007), (1100, 0.006), (2900, 0.005),
                                      (4300, 0.004)), detune=0.12, click_tau=2e-4, click=1.0, ring=0.5,
                               splash=0.2, lowpass=7000, wash_band=(300, 6000), wash_db=-5.0, near_db=7.0,
                               rate=1100, near=(6, 24))}
    default_surface = "car"


class RainUmbrella(ImpactRain):
    name = "rain_umbrella"
    category = "ambience"
    keywords = ("rain+umbrella", "umbrella", "rain on an umbrella", "rain on the umbrella", "under an umbrella")
    description = "rain on an umbrella overhead: dull pats on the taut canopy, drips off its edge into puddles"
    outdoor = True
    supersedes = ("rain", "drizzle", "downpour")
    # the canopy: a small, taut nylon membrane between ribs, right by the ears. Like the tent's
    # fly but smaller and tighter, so its low modes sit a little higher (~300 Hz up); light
    # fabric gives under the drop (a softer, longer pulse than on a hard roof: a dull pat, not a
    # tick) and soaks up most of the splash. Every drop lands within half a metre of the ears,
    # so the distinct drops are not nearer than the patter, only bigger (3 dB, not 6)
    surfaces = {"umbrella": Surface(modes=((300, 0.01), (480, 0.009), (700, 0.008), (1000, 0.006), (1500, 0.005),
                                           (2200, 0.004)), detune=0.1, click_tau=2.5e-4, click=1.0, ring=0.6,
                                    splash=0.2, bubble=0.1, radius=(1.0, 2.5), wash_band=(400, 9000),
                                    wash_db=-5.0, near_db=3.0, rate=900, near=(8, 28))}
    default_surface = "umbrella"


class RainPuddles(ImpactRain):
    name = "rain_puddles"
    category = "ambience"
    keywords = ("puddles", "puddle", "rain+puddles", "rain into puddles", "drops in puddles",
                "rain on water", "rain on a pond", "rain on the lake", "rain+pond")
    description = "rain into puddles: each drop plinks a ringing bubble (Minnaert resonance), rising in pitch"
    outdoor = True
    supersedes = ("rain", "drizzle", "downpour", "lake")
    # standing water: little impact ring, most drops entrain a bubble of 0.7-2.5 mm
    surfaces = {"water": Surface(modes=((900, 0.002), (2200, 0.0015)), detune=0.2, click_tau=2e-4,
                                 click=0.3, ring=0.1,
                                 splash=0.1, bubble=0.85, radius=(0.7, 2.5), wash_band=(800, 12000),
                                 wash_db=-9.0, near_db=8.0, rate=700, near=(6, 26))}
    default_surface = "water"
