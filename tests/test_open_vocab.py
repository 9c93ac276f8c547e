"""A note that names a sound we have no keyword for still gets the closest plausible sound,
and ``scenefill parse`` says what it matched and how sure it is."""

from __future__ import annotations

import numpy as np
import pytest

from scenefill.engine import vocab, vocab_model
from scenefill.engine.api import parse_note

needs_vocab = pytest.mark.skipif(not vocab.available(), reason="the 'vocab' extra is not installed")


class _Model:
    """A stand-in sound model: only what the matcher reads."""

    def __init__(self, category: str, description: str, keywords: tuple[str, ...]) -> None:
        self.category, self.description, self.keywords = category, description, keywords


LIBRARY = {
    "glass_shatter": _Model("sfx", "glass shattering: a sharp crack, then a shower of falling shards",
                            ("glass shatter", "smash", "broken glass")),
    "glass_clink": _Model("sfx", "glasses clinking in a toast", ("clink", "toast", "cheers")),
    "door": _Model("sfx", "a door: open, close, slam, creak, or a knock", ("door", "slam", "knock")),
    "crowd": _Model("ambience", "crowd murmur: many voices; cafe adds cup and cutlery clinks",
                    ("crowd", "babble", "chatter")),
    "rain": _Model("ambience", "rain with drop impacts on a surface", ("rain", "drizzle", "downpour")),
    "piano": _Model("music", "calm piano: arpeggiated chords with a sparse melody", ("piano", "music")),
}
CONCEPTS = {"cafe": ("crowd",), "restaurant": ("crowd",), "storm": ("rain",)}


@needs_vocab
@pytest.mark.parametrize("phrase, model", [
    ("a glass shatters", "glass_shatter"),
    ("a window smashes", "glass_shatter"),
    ("wine glasses touching", "glass_clink"),
    ("cups and saucers in a coffee shop", "crowd"),
    ("it is pouring outside", "rain"),
    ("a sad melody on the keys", "piano"),
])
def test_a_phrase_finds_the_closest_model_by_meaning(phrase, model):
    match = vocab.nearest(phrase, LIBRARY, CONCEPTS)
    assert match is not None and match.model == model
    assert vocab.MIN_CONFIDENCE <= match.confidence <= 1.0 and match.matched


@needs_vocab
def test_cups_clinking_is_heard_in_a_cafe_or_as_clinks():
    match = vocab.nearest("cups clinking", LIBRARY, CONCEPTS)
    assert match is not None and match.model in ("crowd", "glass_clink")


@needs_vocab
def test_the_category_of_a_tag_narrows_the_choice():
    match = vocab.nearest("something gentle", LIBRARY, CONCEPTS, category="music")
    assert match is None or match.model == "piano"


@needs_vocab
def test_nonsense_is_not_claimed():
    assert vocab.nearest("qwxz vbnm", LIBRARY, CONCEPTS) is None


@needs_vocab
def test_the_real_library_gets_a_plausible_bed_and_parse_says_how_sure():
    result = parse_note("people milling about")          # no keyword of any model
    layer = next(layer for layer in result["layers"] if layer["via"] != "fallback")
    assert layer["model"] == "crowd" and layer["via"] == "embedding"
    assert vocab.MIN_CONFIDENCE <= layer["confidence"] < 1.0 and layer["matched"]
    assert result["unmatched"] == [] and "sentence embeddings" in result["open_vocabulary"]


def test_a_bustling_place_is_walla_not_a_cheering_stadium():
    # the embeddings put "people bustling about" a hair nearer "crowd roaring" than "crowds"
    layer = parse_note("people bustling about")["layers"][0]
    assert (layer["model"], layer["via"]) == ("crowd", "keyword")


@needs_vocab
def test_keywords_still_win_and_say_they_are_certain():
    layer = parse_note("heavy rain")["layers"][0]
    assert (layer["model"], layer["via"], layer["confidence"]) == ("rain", "keyword", 1.0)


@needs_vocab
def test_model_vectors_are_cached_on_disk_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENEFILL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(vocab, "_memory", {})
    first = vocab.nearest("a glass shatters", LIBRARY, CONCEPTS)
    files = list((tmp_path / "vocab").glob("*.npy"))
    assert len(files) == 1
    monkeypatch.setattr(vocab, "_memory", {})

    def no_encoding(*args, **kwargs):  # a second process reads the vectors instead of recomputing
        raise AssertionError("model vectors recomputed")

    encoder = vocab_model.load()
    monkeypatch.setattr(encoder, "encode", lambda texts, batch=64: (
        no_encoding() if len(texts) > 1 else vocab_model.MiniLM.encode(encoder, texts, batch)))
    assert vocab.nearest("a glass shatters", LIBRARY, CONCEPTS) == first


@needs_vocab
def test_a_sentence_vector_does_not_depend_on_its_batch():
    encoder = vocab_model.load()
    alone = encoder.encode(["rain on a tin roof"])[0]
    batched = encoder.encode(["a", "rain on a tin roof", "a much longer sentence about a crowded train station"])[1]
    assert np.allclose(alone, batched, atol=1e-5)
    assert abs(float(np.linalg.norm(alone)) - 1.0) < 1e-5


def test_without_the_extra_the_keyword_rules_are_the_documented_fallback(monkeypatch):
    monkeypatch.setattr(vocab, "available", lambda: False)
    result = parse_note("people milling about, light rain")
    assert [layer["model"] for layer in result["layers"]] == ["rain"]
    assert result["unmatched"] == ["people milling about"]
    assert "install the 'vocab' extra" in result["open_vocabulary"]
    assert parse_note("a busy bazaar")["layers"][0]["via"] == "concept"  # scene words still work


def test_station_announcements_are_the_hall_s_walla_not_a_newsroom():
    # the embeddings once put "announcements" nearest "newsroom" (keyboard typing) at 0.46
    layers = parse_note("a busy train station hall with announcements")["layers"]
    assert [(layer["model"], layer["options"].get("place")) for layer in layers] == [("crowd", "hall")]
