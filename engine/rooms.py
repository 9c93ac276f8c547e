"""The rooms a scene can play in, each one record of its acoustics.

Why one record: the scene picks a room by name, the mixer sets each source's direct and
reverberant share from it, and the room's response is built from it; when those lived in
three tables in three modules, a new room (or a change to the church) had to be made in all
three, and a room missing from one silently took defaults.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoomAcoustics:
    """One room type."""

    #: mid-band (500 Hz) reverberation time, seconds
    rt60: float
    #: the room's send for a close source (the room's share of what a listener hears up close)
    wet: float
    #: how much more of a far source (distance 1) than of a close one goes to the room. A
    #: source's direct sound falls as 1/r while the diffuse field is the same everywhere, so the
    #: direct-to-reverberant ratio goes as (critical distance / r). The default leaves a far
    #: source 3 dB under its reverberation; a room whose far end lies much further off needs more.
    far_send: float = 3.0
    #: reverberation time per octave band as a fraction of ``rt60``, (centre Hz, ratio) from the
    #: lowest band up, for rooms large enough that it matters; empty: one decay whose tail darkens
    band_rt60: tuple[tuple[float, float], ...] = ()


ROOMS: dict[str, RoomAcoustics] = {
    "outdoor": RoomAcoustics(rt60=0.35, wet=0.08),
    "small": RoomAcoustics(rt60=0.35, wet=0.10),
    "room": RoomAcoustics(rt60=0.6, wet=0.14),
    "large": RoomAcoustics(rt60=1.8, wet=0.22),
    # Stone, glass and height: RT60 3-6 s.
    # - far_send: critical distance ~4 m (0.057 sqrt(V/T) for 20 000 m3 and 4 s), so a source
    #   25-30 m off is heard 12-17 dB under its reverberation; 10 puts a far source 12 dB under.
    # - band_rt60: the bare stone and glass absorb little at low frequencies (the pews' and
    #   windows' panel absorption keeps it from more), so the bass rings longest; above 2 kHz the
    #   air itself absorbs (ISO 9613-1 at 20 C, 50 % RH: about 9, 25 and 80 dB/km at 2, 4 and
    #   8 kHz; Sabine's 4mV term then shortens a 4 s mid-band RT60 to ~3.3, ~2.5 and ~1.4 s)
    #   (Kuttruff, *Room Acoustics*, ch. 5; Beranek's church data).
    "church": RoomAcoustics(rt60=4.0, wet=0.3, far_send=10.0,
                            band_rt60=((125.0, 1.3), (250.0, 1.15), (500.0, 1.0), (1000.0, 0.95),
                                       (2000.0, 0.82), (4000.0, 0.62), (8000.0, 0.35))),
}
