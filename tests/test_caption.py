"""Notes as editors write them, free text or Dasheng AudioGen tags, are understood."""

import pytest

from scenefill.engine.api import parse_note
from scenefill.engine.caption import parse_caption
from scenefill.engine.errors import InvalidRequest


def test_tagged_note_fills_every_view():
    cap = parse_caption("<|caption|>A rainy street at night<|speech|>a tired man<|asr|>Taxi!"
                        "<|sfx|>car horn, footsteps<|music|>melancholy piano<|env|>light rain")
    assert cap.tagged
    assert cap.caption == "A rainy street at night"
    assert cap.speech == "a tired man"
    assert [line.text for line in cap.asr] == ["Taxi!"]
    assert cap.sfx == ["car horn", "footsteps"]
    assert cap.music == "melancholy piano"
    assert cap.env == "light rain"
    assert cap.to_prompt().startswith("<|caption|>A rainy street at night<|speech|>")


def test_free_text_quotes_become_speech():
    cap = parse_caption('busy cafe, a woman says "Two coffees, please." then "Thanks!"')
    assert [line.text for line in cap.asr] == ["Two coffees, please.", "Thanks!"]
    assert "says" in cap.speech
    assert "cafe" in cap.caption


def test_speech_lines_can_carry_a_start_time():
    cap = parse_caption("<|caption|>office<|asr|>[2.5s] Hello?<|asr|>@4 Anyone there?")
    assert [(line.text, line.start) for line in cap.asr] == [("Hello?", 2.5), ("Anyone there?", 4.0)]


@pytest.mark.parametrize("note", ["", "   ", "<|caption|>   "])
def test_empty_notes_are_refused(note):
    with pytest.raises(InvalidRequest) as err:
        parse_caption(note)
    assert err.value.field == "note"


def test_unknown_tags_are_refused_naming_the_tag():
    with pytest.raises(InvalidRequest, match=r"<\|voice\|>"):
        parse_caption("<|caption|>rain<|voice|>deep")


def test_parse_reports_models_room_and_intensity():
    result = parse_note("heavy rain on a tin roof, distant thunder")
    models = {layer["model"]: layer for layer in result["layers"]}
    assert models["rain"]["options"]["surface"] == "tin"
    assert models["rain"]["intensity"] > 0.7
    assert models["thunder"]["distance"] > 0.6
    assert result["outdoor"] is True


def test_open_vocabulary_gets_a_plausible_bed_and_says_how(monkeypatch):
    from scenefill.engine import vocab

    monkeypatch.setattr(vocab, "available", lambda: False)   # the keyword rules alone (no embeddings)
    result = parse_note("a busy bazaar in Marrakech")
    assert [layer["model"] for layer in result["layers"]] == ["crowd"]
    assert result["layers"][0]["via"] == "concept"
    unknown = parse_note("a walrus grunts")  # (a dog now has a model of its own)
    assert unknown["layers"][0]["via"] == "fallback" and unknown["unmatched"] == ["a walrus grunts"]


def test_misspelled_words_still_match():
    result = parse_note("hevy rainn")
    assert any(layer["model"] == "rain" for layer in result["layers"])


def test_indoor_notes_get_a_room():
    assert parse_note("quiet office with air conditioning")["room"] == "room"
    assert parse_note("empty cathedral")["room"] == "church"  # stone and height: RT60 4 s
    assert parse_note("an empty warehouse")["room"] == "large"


def test_the_prompt_is_dasheng_s_tagged_form_caption_first_and_empty_tags_left_out():
    cap = parse_caption('<|caption|>a  kitchen\n at dawn<|speech|>an old   man<|asr|>Where is<|asr|>the salt?'
                        '<|sfx|>kettle, cupboard')
    assert cap.to_prompt() == ("<|caption|>a kitchen at dawn<|speech|>an old man<|asr|>Where is the salt?"
                               "<|sfx|>kettle, cupboard")


def test_a_note_without_a_caption_gets_one_summed_up_from_its_views():
    # Dasheng rejects a prompt whose <|caption|> is empty
    assert parse_caption("<|sfx|>door slam<|env|>large hall").to_prompt() == \
        "<|caption|>large hall; door slam<|sfx|>door slam<|env|>large hall"
    assert parse_caption("<|asr|>Hello?").to_prompt() == "<|caption|>a person speaking<|asr|>Hello?"


def test_a_continuation_prompt_leaves_out_who_speaks_and_what_is_said():
    cap = parse_caption('<|caption|>a kitchen<|speech|>an old man<|asr|>where is the salt<|music|>radio')
    assert cap.to_prompt(speech=False) == "<|caption|>a kitchen<|music|>radio"


def test_church_bells_are_heard_outside_unless_the_note_goes_inside():
    assert (parse_note("a church bell tolls")["room"], parse_note("a church bell tolls")["outdoor"]) == ("outdoor", True)
    assert parse_note("a cathedral bell tower at noon")["room"] == "outdoor"
    assert parse_note("inside the church, a bell tolls")["room"] == "church"
    assert parse_note("an empty cathedral")["room"] == "church"
