"""From a caption to a scene spec: which sound models, how strong, how far, in what room.

The spec is plain data; everything downstream (stems, mix, file) is a function
of it. Matching is open-vocabulary: model keywords first, then a table of scene
words that imply beds ("market" -> crowd), then fuzzy spelling, then a bed
that fits indoors or out. The result records how each phrase was matched so
``scenefill parse`` can show an editor why a note sounds as it does.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from . import events as ev
from .caption import Caption, SpeechLine, parse_caption
from .models import CATALOG
from .voices import choose_voice

INTENSITY_WORDS = {
    "faint": 0.12, "barely": 0.12, "light": 0.25, "gentle": 0.25, "soft": 0.25, "quiet": 0.25,
    "calm": 0.3, "low": 0.3, "slight": 0.2, "drizzle": 0.2, "sparse": 0.25, "occasional": 0.3,
    "steady": 0.5, "moderate": 0.5, "busy": 0.7, "strong": 0.75, "heavy": 0.85, "loud": 0.85,
    "intense": 0.9, "pouring": 0.9, "torrential": 1.0, "violent": 1.0, "raging": 0.95,
    "roaring": 0.9, "howling": 0.9, "crowded": 0.8, "packed": 0.85, "storm": 0.85, "stormy": 0.85,
    # the adverbs ("someone typing quietly", "rain falling softly")
    "faintly": 0.12, "lightly": 0.25, "gently": 0.25, "softly": 0.25, "quietly": 0.25, "calmly": 0.3,
    "steadily": 0.5, "loudly": 0.85, "heavily": 0.85, "violently": 1.0,
}
DISTANCE_WORDS = {
    "distant": 0.8, "far": 0.8, "faraway": 0.85, "far-off": 0.85, "remote": 0.8, "muffled": 0.7,
    "background": 0.6, "nearby": 0.15, "close": 0.1, "close-up": 0.05, "near": 0.15, "overhead": 0.3,
    "next": 0.2, "outside": 0.5,
}
PAN_WORDS = {"left": -0.6, "right": 0.6}

#: scene words that imply beds when no model keyword is present (open vocabulary)
CONCEPTS: dict[str, tuple[str, ...]] = {
    "city": ("traffic", "pedestrians"), "street": ("traffic",), "downtown": ("traffic", "pedestrians"),
    "highway": ("traffic",), "freeway": ("traffic",), "motorway": ("traffic",), "road": ("traffic",),
    "intersection": ("traffic",), "parking": ("traffic",), "market": ("crowd",), "marketplace": ("crowd",), "bazaar": ("crowd",),
    "station": ("crowd",), "airport": ("crowd", "hvac"), "mall": ("crowd", "hvac"),
    "party": ("crowd",), "bar": ("crowd",), "pub": ("crowd",), "stadium": ("crowd",),
    "office": ("room_tone",), "hospital": ("beeps", "hvac"), "icu": ("beeps", "hvac"),
    "server": ("hvac",), "kitchen": ("room_tone", "hvac"), "bedroom": ("room_tone",),
    "room": ("room_tone",), "interior": ("room_tone",), "indoors": ("room_tone",), "inside": ("room_tone",),
    "library": ("room_tone",), "classroom": ("room_tone", "crowd"), "corridor": ("room_tone", "hvac"),
    "hallway": ("room_tone", "hvac"), "spaceship": ("hvac", "beeps"), "cockpit": ("hvac", "beeps"),
    "forest": ("birds", "wind"), "woods": ("birds", "wind"), "jungle": ("birds", "insects"),
    "meadow": ("birds", "insects"), "field": ("wind", "insects"), "garden": ("birds",),
    "park": ("birds", "crowd"), "countryside": ("birds", "wind"), "farm": ("birds", "wind"),
    "summer": ("insects", "birds"), "dawn": ("birds",), "morning": ("birds",),
    "beach": ("waves", "wind"), "coast": ("waves", "wind"), "shore": ("waves",), "sea": ("waves",),
    "harbour": ("waves", "wind"), "harbor": ("waves", "wind"), "lake": ("stream", "birds"),
    "mountain": ("wind",), "desert": ("wind",), "cliff": ("wind", "waves"), "arctic": ("wind",),
    "cave": ("stream", "room_tone"), "waterfall": ("stream",), "fountain": ("stream",),
    "camp": ("fire", "insects"), "hearth": ("fire",), "cabin": ("fire", "room_tone"),
    "weather": ("wind", "rain"), "tempest": ("wind", "rain", "thunder"), "hurricane": ("wind", "rain"),
    "typhoon": ("wind", "rain"), "lightning": ("thunder",), "blizzard": ("wind",),
    "lab": ("beeps", "hvac"), "laboratory": ("beeps", "hvac"), "factory": ("hvac",), "engine": ("hvac",),
    "silence": ("room_tone",), "quiet": ("room_tone",), "tone": ("room_tone",),
    # interiors, urban, crowds and tech (h-models-b): scene words composed from the models
    "apartment": ("room_tone", "traffic"), "flat": ("room_tone", "traffic"), "church": ("church_interior",), "clock": ("clock",),
    "cathedral": ("church_interior",), "chapel": ("church_interior",), "concert": ("crowd", "applause"),
    "theatre": ("crowd", "applause"), "theater": ("crowd", "applause"), "auditorium": ("crowd", "applause"),
    "audience": ("crowd", "applause"), "arena": ("crowd", "applause"), "ward": ("beeps", "room_tone"),
    "restaurant": ("crowd",), "cafe": ("crowd",), "café": ("crowd",), "playground": ("crowd", "birds"),
    "schoolyard": ("crowd", "birds"), "construction": ("construction", "traffic"),
    # "night" alone implies nothing: a time of day is not a source ("a lighthouse on a cliff at
    # night" got city traffic); "a city at night" has its traffic from "city"
    "nightlife": ("traffic", "crowd"), "ambulance": ("siren", "traffic"),
    "police": ("siren", "traffic"), "emergency": ("siren", "traffic"), "plane": ("aircraft_cabin",),
    "flight": ("aircraft_cabin",), "subway": ("train_carriage",),
    "metro": ("train_carriage",), "car": ("car_interior",), "taxi": ("car_interior",),
    "computer": ("hvac",), "datacenter": ("hvac",), "starship": ("spaceship_hum",),
    "scifi": ("spaceship_hum",), "sci-fi": ("spaceship_hum",), "spacecraft": ("spaceship_hum",),
    "radio": ("radio_static",), "transmission": ("radio_static",), "newsroom": ("keyboard_typing", "room_tone"),
    "study": ("clock", "room_tone"), "grandmother's": ("clock", "room_tone"), "waiting": ("clock", "room_tone"),
}
INDOOR_WORDS = {
    "room", "inside", "indoors", "interior", "office", "kitchen", "bedroom", "bathroom", "hall",
    "church", "cathedral", "warehouse", "corridor", "hallway", "lab", "laboratory", "hospital",
    "cafe", "café", "restaurant", "bar", "pub", "library", "classroom", "studio", "apartment",
    "house", "home", "attic", "basement", "garage", "car", "cabin", "tent", "under", "gym", "station",
}
OUTDOOR_WORDS = {
    "outside", "outdoors", "street", "forest", "woods", "beach", "field", "park", "garden",
    "meadow", "mountain", "desert", "city", "road", "highway", "jungle", "coast", "shore", "sea",
    "countryside", "farm", "yard", "market", "marketplace", "bazaar", "lake", "river", "courtyard", "square", "alley", "rooftop", "open",
    "playground", "schoolyard", "stadium",
}
_CHURCH = {"church", "cathedral", "chapel", "basilica", "abbey", "nave", "crypt"}
_BELL_TOWER = {"bell", "bells", "tower", "steeple", "outside"}
_LARGE = {"hall", "church", "cathedral", "warehouse", "gym", "station", "cave", "atrium", "hangar"}
_SMALL = {"bathroom", "car", "closet", "booth", "tent", "cockpit", "elevator", "lift", "cell"}

#: Levels in LU relative to the scene's loudness target. With speech, dialogue is the anchor.
#: With dialogue, the bed still sits at the target between lines and ducks (10 dB, and a further
#: 8 dB in the speech band) under each line; the voice takes the rest of the target, so a scene
#: meets its loudness target whatever share of it is dialogue, and a longer render keeps the
#: same gains (prefix stability). The ducked bed leaves about 6 % of the power under a line.
LEVEL_SPEECH = -0.3
LEVEL_BED_UNDER_SPEECH = 0.0
LEVEL_MUSIC_UNDER_SPEECH = -4.0  # a music bed sits a little lower still in a dialogue scene


@dataclass
class LayerSpec:
    """One rendered layer: a sound model with its settings."""

    model: str
    category: str
    phrase: str
    via: str                  # keyword | concept | fuzzy | fallback | tag
    intensity: float = 0.5
    distance: float = 0.3
    pan: float = 0.0
    level_db: float = 0.0     # relative level before the scene is normalised
    options: dict = field(default_factory=dict)
    #: one-shot events placed by the note ("at 3.5s", "halfway"); empty = the model's default
    events: list[ev.EventTime] = field(default_factory=list)
    #: events at stated times after the range's end: not played, but counted in the scene's level
    #: (:func:`.calibration.counted_times`), so a render extended after a recut keeps its gains
    events_after: list[ev.EventTime] = field(default_factory=list)
    #: how sure the match is (keyword 1.0, scene word 0.8, spelling: its similarity,
    #: embedding: cosine similarity) and, for the inexact ways, what the phrase was matched to
    confidence: float = 1.0
    matched: str = ""


@dataclass
class SceneSpec:
    """A scene as plain data: what the mixer needs, nothing else."""

    caption: Caption
    layers: list[LayerSpec]
    speech: list[SpeechLine]
    speech_style: str
    room: str
    unmatched: list[str] = field(default_factory=list)
    #: events the note placed outside the range (or could not place yet), reported not dropped
    events_outside: list[dict] = field(default_factory=list)
    #: things an editor should know about how the note was read (e.g. a time on a continuous bed)
    notes: list[str] = field(default_factory=list)
    #: who speaks the lines, chosen from the speaker's description (a request's voice overrides it)
    voice: str = ""
    #: each line's voice: ``voice`` for all, unless the note names different speakers for them
    line_voices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["caption"] = self.caption.to_dict()
        return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-zà-ÿ0-9'-]+", text.lower())


def _phrases(text: str) -> list[str]:
    """Split a description into phrases; times ("at 2, 5 and 8 seconds", "at 3.5s") stay whole."""
    masked, pieces = ev.mask_times(text)
    parts = re.split(r"[,;.\n]|\band\b|\bwith\b|\bover\b|\bunder\b|\bplus\b|\bwhile\b|\bthen\b", masked, flags=re.I)
    return [ev.unmask_times(p, pieces).strip() for p in parts if p and p.strip()]


def _stem(word: str) -> str:
    """Crude English suffix stripping, enough for "crowded", "raining", "windy", "birds"."""
    for suffix in ("ing", "ed", "es", "s", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(base) > 4 and base[-1] == base[-2]:
                base = base[:-1]  # "rumbling" keeps its l; "chatting" -> "chat"
            return base
    return word


def _keyword_hits(phrase: str) -> list[tuple[int, str]]:
    """(position, model) for model keywords in the phrase.

    One phrase names one piece of music: when several music models match ("dark
    ambient music" hits pad's "ambient music" and piano's "music"), the longest
    keyword wins.
    """
    words = _words(phrase)
    low = " " + " ".join(words) + " " + " ".join(_stem(w) for w in words) + " "
    hits: dict[str, tuple[int, int]] = {}
    for name, cls in CATALOG.items():
        for kw in sorted(cls.keywords, key=len, reverse=True):
            if "+" in kw:  # "rain+tent": every word (or its stem) somewhere in the phrase
                parts = kw.lower().split("+")
                if all(f" {w} " in low or f" {w}s " in low for w in parts):
                    hits[name] = (low.find(f" {parts[0]}"), len(kw))
                    break
                continue
            idx = low.find(" " + kw.lower() + " ")
            if idx < 0 and not kw.endswith("s"):
                idx = low.find(" " + kw.lower() + "s ")
            if idx >= 0:
                hits[name] = (idx, len(kw))
                break
    for name in list(hits):  # "rain on a tent" is rain_tent, not rain as well
        for general in getattr(CATALOG[name], "supersedes", ()):
            hits.pop(general, None)
    music = [name for name in hits if CATALOG[name].category == "music"]
    if len(music) > 1:
        best = max(music, key=lambda name: (hits[name][1], -hits[name][0]))
        hits = {name: hit for name, hit in hits.items() if name not in music or name == best}
    return sorted((pos, name) for name, (pos, _) in hits.items())


def _modifiers(phrase: str, cls) -> tuple[float, float, float, dict]:
    words = _words(phrase)
    intensity = 0.5
    found = [INTENSITY_WORDS[w] for w in words if w in INTENSITY_WORDS]
    if found:
        intensity = max(found) if max(found) > 0.5 else min(found)
    distance = getattr(cls, "default_distance", 0.3 if cls.category != "sfx" else 0.25)
    dist = [DISTANCE_WORDS[w] for w in words if w in DISTANCE_WORDS and w != "outside"]
    if dist:
        distance = max(dist)
    pan = next((PAN_WORDS[w] for w in words if w in PAN_WORDS), 0.0)
    options: dict = {}
    for w in words:
        w = w if w in cls.option_words else _stem(w)  # "at the boats" asks for what "boat" does
        if w in cls.option_words:
            key, value = cls.option_words[w]
            options.setdefault(key, value)
    low = " ".join(words)
    for phrase_kw, (key, value) in cls.option_words.items():
        if " " in phrase_kw and phrase_kw in low:
            options[key] = value
    return intensity, distance, pan, options


def option_level(cls, options: dict) -> float:
    """The level (dB) a model's options add to its default: a slam over the door's other sounds."""
    return float(sum(db for key, value, db in getattr(cls, "option_level_db", ()) if options.get(key) == value))


def takes_times(cls) -> bool:
    """Whether a model places its sound at given times (one-shots, and the phone's first ring)."""
    return bool(cls.one_shot or getattr(cls, "takes_times", False) or cls.name in _TIMED_BEDS)


#: continuous models that still start at a given time
_TIMED_BEDS = {"phone"}


def _fuzzy(word: str) -> tuple[str, str, float] | None:
    """(model, keyword, similarity) for a misspelt keyword ("thuner" -> thunder)."""
    vocab = {kw: name for name, cls in CATALOG.items() for kw in cls.keywords if " " not in kw}
    close = difflib.get_close_matches(word, list(vocab), n=1, cutoff=0.84)
    if not close or len(word) <= 3:
        return None
    return vocab[close[0]], close[0], round(difflib.SequenceMatcher(None, word, close[0]).ratio(), 3)


def match_phrase(phrase: str, default_category: str | None = None,
                 timeline: ev.Timeline | None = None) -> list[LayerSpec]:
    """The layers one phrase asks for (possibly none); times in the phrase place one-shot events."""
    layers: list[LayerSpec] = []
    original = phrase
    phrase, specs = ev.find_times(phrase)
    times = ev.resolve(specs, timeline or ev.Timeline()) if specs else []
    hits = _keyword_hits(phrase)
    via = "keyword"
    names = [name for _, name in hits]
    how: dict[str, tuple[float, str]] = {name: (1.0, "") for name in names}
    if not names:
        words = _words(phrase)
        for w in words:
            for name in CONCEPTS.get(w, CONCEPTS.get(_stem(w), ())):
                if name in CATALOG and name not in names:
                    names.append(name)
                    how[name] = (0.8, w)
        via = "concept"
    if not names:
        for w in _words(phrase):
            found = _fuzzy(w)
            if found and found[0] not in names:
                names.append(found[0])
                how[found[0]] = (found[2], found[1])
        via = "fuzzy"
    if not names and not _is_filler(phrase) and not _SPEAKER_RE.search(phrase):
        from . import vocab  # the sentence-embedding matcher (optional ``vocab`` extra)

        near = vocab.nearest(phrase, CATALOG, CONCEPTS, default_category)
        if near is not None:
            names = [near.model]
            how[near.model] = (near.confidence, near.matched)
            via = "embedding"
    if default_category:
        names = [n for n in names if CATALOG[n].category == default_category] or names
    for name in names:
        cls = CATALOG[name]
        intensity, distance, pan, options = _modifiers(phrase, cls)
        confidence, matched = how.get(name, (1.0, ""))
        layers.append(LayerSpec(model=name, category=cls.category, phrase=original, via=via,
                                intensity=intensity, distance=distance, pan=pan, options=options,
                                level_db=cls.default_level_db + option_level(cls, options), events=list(times),
                                confidence=confidence, matched=matched))
    if any(takes_times(CATALOG[layer.model]) for layer in layers):
        for layer in layers:  # "a door slams at 3s in the rain": the time is the door's, not the rain's
            if not takes_times(CATALOG[layer.model]):
                layer.events = []
    return layers


def _room_for(text: str, layers: list[LayerSpec]) -> str:
    words = set(_words(text))
    if words & _SMALL:
        return "small"
    if words & _CHURCH:
        # a church's bells hang in its tower and are heard outside, across the town, unless the
        # note puts the listener inside ("inside the church, the bell tolls")
        inside = words & (INDOOR_WORDS - _CHURCH - _LARGE)
        if not words & _BELL_TOWER or inside:
            return "church"
        words = words - _CHURCH
    if words & _LARGE:
        return "large"
    indoor = bool(words & INDOOR_WORDS)
    outdoor = bool(words & OUTDOOR_WORDS)
    if indoor and not outdoor:
        return "room"
    if outdoor:
        return "outdoor"
    votes = [CATALOG[layer.model].outdoor for layer in layers if layer.model in CATALOG]
    if any(v is True for v in votes) and not any(v is False for v in votes):
        return "outdoor"
    return "room"


def _same_time(a: ev.EventTime, b: ev.EventTime) -> bool:
    """Two events at one moment: the same sample, or (not yet placed) the same words."""
    if a.sample is not None or b.sample is not None:
        return a.sample == b.sample and a.status == b.status
    return a.text == b.text and a.basis == b.basis


def _differ(a: dict, b: dict) -> bool:
    """Whether two phrases ask one model for different events (a knock and a slam, a dog and a
    small dog): their options differ. The same event again ("the dog barks at 1s; the dog barks
    at 4s") is one layer with both times."""
    drop = ("times",)
    return {k: v for k, v in a.items() if k not in drop} != {k: v for k, v in b.items() if k not in drop}


def build_scene(caption: Caption, timeline: ev.Timeline | None = None) -> SceneSpec:
    """Choose layers, levels and the shared room for a caption.

    ``timeline`` (frame rate, start timecode, range length) resolves the times a note
    gives its events; without it relative times stay pending (``scenefill parse``).
    """
    layers: list[LayerSpec] = []
    unmatched: list[str] = []
    sources: list[tuple[str, str | None]] = []
    if caption.tagged:
        sources += [(p, None) for p in _phrases(caption.caption)]
        sources += [(p, None) for p in _phrases(caption.env)]
        sources += [(p, "sfx") for p in caption.sfx]
        sources += [(p, "music") for p in _phrases(caption.music)]
    else:
        sources += [(p, None) for p in _phrases(caption.caption)]
    by_model: dict[str, LayerSpec] = {}
    unread: list[str] = []
    for phrase, category in sources:
        unread += ev.unread_times(phrase)
        found = match_phrase(phrase, category, timeline)
        if category == "music" and not any(layer.category == "music" for layer in found) and "pad" in CATALOG:
            found = [LayerSpec(model="pad", category="music", phrase=phrase, via="tag",
                               level_db=CATALOG["pad"].default_level_db, options={})]
        if not found:
            if not _is_filler(phrase):
                unmatched.append(phrase)
            continue
        for layer in found:
            same = by_model.get(layer.model)
            if same is not None and CATALOG[layer.model].one_shot and _differ(same.options, layer.options):
                layers.append(layer)  # "someone knocks at 1s; the door slams at 4s": two events, two takes
            elif same is None:
                by_model[layer.model] = layer
                layers.append(layer)
            else:  # one layer per model: "busy cafe with chatter" is one crowd, with the cafe option
                for key, value in layer.options.items():
                    same.options.setdefault(key, value)
                if layer.via == "keyword" and same.via != "keyword":
                    same.phrase, same.via = layer.phrase, layer.via
                same.intensity = max(same.intensity, layer.intensity)
                # "a door slams at 1s; a door slams at 1s" is one slam, not two stacked takes
                same.events.extend(e for e in layer.events if not any(_same_time(e, f) for f in same.events))
    _share_parts(layers)
    _add_implied_beds(layers, set(caption.sfx) if caption.tagged else set())
    text = " ".join([caption.caption, caption.env, " ".join(caption.sfx)])
    room = _room_for(text, layers)
    # a bed, or only sounds with silence between them ("someone typing", "a clock ticking"): the
    # room's floor goes under them, so the file never drops to digital silence
    if not any(layer.category in ("ambience", "music") and not CATALOG[layer.model].needs_floor for layer in layers):
        # every scene sits on a bed: room tone indoors, a light breeze outside
        bed = "room_tone" if room != "outdoor" else "wind"
        if bed in CATALOG:
            layers.insert(0, LayerSpec(model=bed, category="ambience", phrase=bed.replace("_", " "),
                                       via="fallback", intensity=0.25 if bed == "wind" else 0.4,
                                       distance=0.5, level_db=-24.0 if layers else 0.0, confidence=0.0))
    _one_of_each_machine(layers)
    _balance(layers, has_speech=bool(caption.asr))
    outside, notes = _place_events(layers)
    notes += _cut_short(layers, timeline)
    notes += [f"{text!r} is not a time SceneFill reads (seconds, minutes, m:ss, a timecode, a frame, a share "
              f"of the range): it places nothing" for text in dict.fromkeys(unread)]
    outside += _place_lines(caption.asr, timeline)
    voice = choose_voice(caption.speech or caption.caption) if caption.asr else ""
    line_voices = _line_voices(caption.asr, voice)
    return SceneSpec(caption=caption, layers=layers, speech=list(caption.asr),
                     speech_style=caption.speech, room=room, unmatched=unmatched,
                     events_outside=outside, notes=notes, voice=voice, line_voices=line_voices)


def _line_voices(lines: list[SpeechLine], voice: str) -> list[str]:
    """Each line's voice. 'A woman says "hello", then a man says "go away"' is two people: each
    line takes the voice of the speaker named before it. A note of one speaker keeps the scene's
    voice for every line (read from the whole description, as it always was)."""
    picked = [choose_voice(line.speaker) if line.speaker else voice for line in lines]
    return picked if len(set(picked)) > 1 else [voice] * len(lines)


#: an event starting this close to the range's end is mostly cut off: the editor is told
CUT_SHORT_S = 0.25


def _cut_short(layers: list[LayerSpec], timeline: ev.Timeline | None) -> list[str]:
    """Notes for events placed so near the range's end that little of them is heard ("a door slams
    at 9.99s" in a 10 s clip plays 10 ms, under the end fade): accepted, but said."""
    if timeline is None or timeline.length_samples is None:
        return []
    notes = []
    for layer in layers:
        for e in layer.events:
            left = timeline.length_samples - e.sample
            if e.status == "ok" and e.sample is not None and left < CUT_SHORT_S * timeline.sample_rate \
                    and not e.period:  # a series running on to the clip's end is meant to
                notes.append(f"{layer.model} {e.text!r} starts {1000 * left / timeline.sample_rate:.0f} ms "
                             "before the range ends: only its start is heard (a longer range plays it whole)")
    return notes


def _share_parts(layers: list[LayerSpec]) -> None:
    """A setting that includes a source the note also names on its own leaves its own copy out.

    Why: "seagulls over a harbour, water lapping at the boats" names the gulls, the harbour
    and its water in three phrases; ``supersedes`` folds a general model into a specific one
    only within a phrase, so the harbour (whose mix holds gulls and lapping water) played a
    second flock and a second lake under the named ones. The named layer is the one the
    editor asked for (its level, distance and events), so it stays, and the setting is told
    which of its parts to leave out (the ``without`` option of composite models).
    """
    present = {layer.model for layer in layers}
    for layer in layers:
        named = [m for m in getattr(CATALOG[layer.model], "supersedes", ()) if m in present and m != layer.model]
        if named and getattr(CATALOG[layer.model], "shares_parts", False):
            layer.options["without"] = sorted(set(layer.options.get("without", [])) | set(named))


#: words that ask a source to come without the bed it usually brings ("dry thunder")
_WITHOUT_BED = {"dry", "alone", "isolated", "only"}


def _add_implied_beds(layers: list[LayerSpec], effect_phrases: set[str] = frozenset()) -> None:
    """A source that does not come alone brings its bed, as a scene word implies one.

    Why: a strike close enough to crack comes from the cell overhead, and under its core it
    rains (``implied_bed`` of thunder_crack): "a close crack of thunder" is a storm scene, not
    thunder in still, dry air. The bed is added only when the note names nothing of its kind
    (``implied_unless``: "rain on a tent, a close crack of thunder" keeps its tent), joins as
    a concept layer (so it sits under the named sources) and is left out for "dry" thunder.
    A source asked for in the ``<|sfx|>`` view (``effect_phrases``) is an effect for the editor's
    own bed: it brings nothing with it.
    """
    present = {layer.model for layer in layers}
    for layer in list(layers):
        info = CATALOG[layer.model]
        bed = getattr(info, "implied_bed", "")
        if not bed or bed not in CATALOG or bed in present or present & set(getattr(info, "implied_unless", ())):
            continue
        if _WITHOUT_BED & set(_words(layer.phrase)) or layer.phrase in effect_phrases:
            continue
        layers.append(LayerSpec(model=bed, category=CATALOG[bed].category, phrase=layer.phrase, via="concept",
                                intensity=layer.intensity, distance=layer.distance,
                                level_db=CATALOG[bed].default_level_db, confidence=0.8,
                                matched=f"implied by {layer.model}"))
        present.add(bed)


def _place_lines(lines: list[SpeechLine], timeline: ev.Timeline | None) -> list[dict]:
    """Resolve dialogue starts written as timecode or words ("[01:00:07:12]", "[halfway]");
    a line whose start cannot be placed keeps the default placement and is reported."""
    outside: list[dict] = []
    for line in lines:
        if not line.at:
            continue
        probe = line.at if re.match(r"[a-z]", line.at, re.I) else f"at {line.at}"
        placed = ev.resolve(ev.find_times(probe)[1], timeline or ev.Timeline())
        if placed and placed[0].status == "ok":
            line.start = placed[0].sample / placed[0].sample_rate
        else:
            outside += [{"model": "speech", "line": line.text, **asdict(e)} for e in placed]
    return outside


def _place_events(layers: list[LayerSpec]) -> tuple[list[dict], list[str]]:
    """Keep each layer's placeable events (sorted); report the rest, naming the model."""
    outside: list[dict] = []
    notes: list[str] = []
    for layer in layers:
        if not layer.events:
            continue
        if not takes_times(CATALOG[layer.model]):
            notes.append(f"{layer.model} plays throughout; "
                         + ", ".join(e.text for e in layer.events) + " does not place it")
            layer.events = []
            continue
        keep = []
        for e in layer.events:
            if e.status == "ok":
                keep.append(e)
            else:
                outside.append({"model": layer.model, **asdict(e)})
                if e.status == "outside" and e.sample is not None and e.sample >= 0:
                    layer.events_after.append(e)
        keep.sort(key=lambda e: e.sample)
        layer.events = keep
        if keep:
            layer.options["times"] = [e.seconds for e in keep]
        elif not any(e["status"] == "needs_length" for e in outside if e["model"] == layer.model):
            layer.options["times"] = []  # every time it was given is outside the range: it stays silent
    return outside, notes


#: "a woman says": who speaks is the voice's business (engine/voices.py), not a sound to match
_SPEAKER_RE = re.compile(r"\b(says|said|shouts|shouted|whispers|whispered|asks|asked|calls|yells|speaks|"
                         r"mutters|announces|narrates|narration|narrator|replies|cries out|sighs)\b", re.I)


def _is_filler(phrase: str) -> bool:
    return all(w in {"a", "an", "the", "of", "in", "on", "at", "some", "sound", "sounds", "audio",
                     "ambience", "ambient", "scene", "background", "noise", "distant", "light", "heavy"}
               for w in _words(phrase))


def _one_of_each_machine(layers: list[LayerSpec]) -> None:
    """"A kitchen with a fridge hum": the fridge the note names is the kitchen's fridge, not a
    second one. A place's room tone carries the machine it is ventilated by (a kitchen its
    fridge); where the note names that machine and the place holds only one of it, the room
    tone keeps its plain floor and leaves the machine to the named layer. (Two fridges on one
    supply hum at exactly twice mains: their lines add or cancel with their phases, and the
    scene's loudness with them, which calibrating each layer alone cannot foresee.)"""
    from .models.roomtone import RoomTone

    named = {layer.options.get("kind", "hvac") for layer in layers if layer.model == "hvac"}
    for layer in layers:
        if layer.model == "room_tone":
            machine = RoomTone.single_machine(layer.options.get("place", ""))
            if machine is not None and machine in named:
                layer.options = {k: v for k, v in layer.options.items() if k != "place"}


#: a bed only implied by a scene word sits this much further under the sources the note names
IMPLIED_BED_DB = -3.0
#: ... and a quiet one ("a quiet apartment", intensity 0.25) this much further again (scaled by
#: how quiet): a quiet flat's noise floor sits well under the fridge humming in it
QUIET_BED_DB = -3.0


def _bed_order(layers: list[LayerSpec]) -> dict[int, int]:
    """Each ambience layer's place in the mix: the sources the note names ("the fridge humming")
    come first, in the note's order; the beds a scene word only implies ("a quiet apartment":
    room tone, distant traffic) follow them. In a quiet flat at night the fridge IS the room
    tone an editor asks for; the setting's fill must not bury it."""
    beds = [i for i, layer in enumerate(layers) if layer.category == "ambience"]
    ranked = sorted(beds, key=lambda i: layers[i].via == "concept")  # stable: note order within each kind
    return {i: place for place, i in enumerate(ranked)}


def _balance(layers: list[LayerSpec], has_speech: bool) -> None:
    """Relative levels: the first bed is the anchor, later beds sit a little lower (named sources
    before implied ones, :func:`_bed_order`), distance costs level."""
    order = _bed_order(layers)
    named = any(layers[i].via != "concept" for i in order)
    for i, layer in enumerate(layers):
        base = layer.level_db
        if i in order:
            base += -3.0 * min(order[i], 2)
            if named and layer.via == "concept":
                base += IMPLIED_BED_DB + QUIET_BED_DB * max(0.0, 0.5 - layer.intensity) / 0.25
        base += -9.0 * max(0.0, layer.distance - 0.3)
        if has_speech:
            base += LEVEL_MUSIC_UNDER_SPEECH if layer.category == "music" else LEVEL_BED_UNDER_SPEECH
        layer.level_db = round(base, 2)


def describe_note(note: str, timeline: ev.Timeline | None = None) -> dict:
    """JSON-able account of what the engine understood: ``scenefill parse`` prints this."""
    spec = build_scene(parse_caption(note), timeline)
    return {
        "caption": spec.caption.to_dict(),
        "prompt": spec.caption.to_prompt(),
        "room": spec.room,
        "outdoor": spec.room == "outdoor",
        "intensity": max((layer.intensity for layer in spec.layers), default=0.5),
        "layers": [asdict(layer) for layer in spec.layers],
        "speech": [asdict(line) for line in spec.speech],
        "voice": spec.voice,
        "unmatched": spec.unmatched,
        "open_vocabulary": _open_vocabulary(),
        "events": [{"model": layer.model, **asdict(e)} for layer in spec.layers for e in layer.events],
        "events_outside": spec.events_outside,
        "notes": spec.notes,
    }


def _open_vocabulary() -> str:
    """Which matcher handles phrases no keyword names (``scenefill parse`` shows it)."""
    from . import vocab
    from .vocab_model import MODEL_NAME

    if vocab.available():
        return f"sentence embeddings ({MODEL_NAME}), then keywords, scene words and spelling"
    return "keywords, scene words and spelling (install the 'vocab' extra for sentence embeddings)"
