"""QA story: `scenefill render ... --format flac -o take.wav` wrote FLAC bytes under a .wav name;
an NLE or DAW that trusts the extension refuses the file (or imports noise). The contradiction is
refused; a name without an audio extension still takes --format."""

from __future__ import annotations

import pytest

from scenefill.cli import main as scenefill_main


@pytest.mark.parametrize("fmt,name", [("flac", "take.wav"), ("wav", "take.flac"), ("flac", "take.WAV")])
def test_format_contradicting_the_file_extension_is_refused(fmt, name, tmp_path, capsys):
    out = tmp_path / name
    code = scenefill_main(["render", "light rain", "--seconds", "0.1", "--format", fmt, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "format" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize("fmt,name,magic", [("flac", "take.flac", b"fLaC"), ("flac", "take.audio", b"fLaC"),
                                            ("wav", "take", b"RIFF")])
def test_format_agreeing_with_or_naming_an_extensionless_output_is_written(fmt, name, magic, tmp_path, capsys):
    out = tmp_path / name
    assert scenefill_main(["render", "light rain", "--seconds", "0.1", "--format", fmt, "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == magic
