"""The client library and ``scenefill render --server``: same files, same refusals as rendering locally."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from scenefill.cli import main
from scenefill.engine.api import render_to_file
from scenefill.engine.errors import InvalidRequest, SceneFillError
from scenefill.engine.request import RenderRequest
from scenefill.plugin.client import SceneFillClient, ServerUnavailable, render_to_path_via_server
from scenefill.server.testing import DaemonProcess

EPOCH = "1700000000"  # the same as tests/conftest.py, so daemon renders are byte-identical to local ones


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    root = tmp_path_factory.mktemp("client-daemon")
    with DaemonProcess(root / "out", workers=2, env={"SOURCE_DATE_EPOCH": EPOCH}) as d:
        yield d


def test_cli_render_via_server_matches_local_render(daemon, tmp_path, capsys):
    args = ["render", "room tone, air conditioner hum", "--frames", "24", "--fps", "23.976", "--seed", "11"]
    assert main([*args, "-o", str(tmp_path / "local.wav"), "-q"]) == 0
    assert main([*args, "-o", str(tmp_path / "remote.wav"), "-q", "--server", daemon.address]) == 0
    assert sf.info(str(tmp_path / "remote.wav")).frames == 48048
    assert (tmp_path / "remote.wav").read_bytes() == (tmp_path / "local.wav").read_bytes()
    assert (tmp_path / "remote.wav").stat().st_mode == (tmp_path / "local.wav").stat().st_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.wav", "remote.wav"]  # no temp files left


BAD = [
    (["", "--seconds", "1"], "note"),
    (["rain", "--seconds", "0"], "length"),
    (["rain", "--seconds", "99999"], "length"),
    (["rain", "--seconds", "1", "--sample-rate", "22050"], "sample_rate"),
    (["<|caption|>rain<|smell|>wet dog", "--seconds", "1"], "note"),
    (["<|caption|>rain<|asr|>Hello", "--seconds", "1", "--voice", "nobody"], "voice"),
    (["rain", "--seconds", "1", "--loudness", "3"], "loudness"),
    (["rain", "--seconds", "1", "--seed", "-4"], "seed"),
]


@pytest.mark.parametrize("args, field", BAD)
def test_refusals_read_the_same_through_the_server(daemon, tmp_path, capsys, args, field):
    local = main(["render", *args, "-o", str(tmp_path / "a.wav")])
    local_err = capsys.readouterr().err
    remote = main(["render", *args, "-o", str(tmp_path / "b.wav"), "--server", daemon.address])
    remote_err = capsys.readouterr().err
    assert local == remote == 2
    assert remote_err == local_err and field in remote_err and len(remote_err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_render_to_path_refusals_match_render_to_file(daemon, tmp_path):
    cases = [
        (RenderRequest("wind", 0), None),
        (RenderRequest("wind", 48000, channels=3), None),
        (RenderRequest("wind", 48000, fmt="mp3"), None),
        (RenderRequest("wind", 48000, bit_depth=12), None),
        (RenderRequest("wind", 48000, handle_samples=-1), None),
        (RenderRequest("wind", 20 * 48000), 10.0),  # the caller's own limit
        (RenderRequest("wind", 48000), None, tmp_path / "missing"),  # output directory
    ]
    for request, max_seconds, *where in cases:
        directory = where[0] if where else tmp_path
        kwargs = {} if max_seconds is None else {"max_seconds": max_seconds}
        with pytest.raises(InvalidRequest) as local:
            render_to_file(request, directory / "a.wav", **kwargs)
        with pytest.raises(InvalidRequest) as remote:
            render_to_path_via_server(daemon.address, request, directory / "b.wav", **kwargs)
        assert (remote.value.field, remote.value.message) == (local.value.field, local.value.message)
    assert list(tmp_path.iterdir()) == []


def test_progress_and_result(daemon, tmp_path):
    seen = []
    out = tmp_path / "clip.flac"
    result = render_to_path_via_server(daemon.address, RenderRequest("birds and a stream", 30000, fmt="flac",
                                                                     bit_depth=16, seed=5),
                                       out, progress=lambda f, s: seen.append((f, s)))
    assert result.path == out and sf.info(str(out)).frames == 30000
    assert seen and seen[-1][0] == 1.0 and [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert result.provenance["seed"] == 5
    with SceneFillClient(daemon.address) as client:
        kept = client.render(RenderRequest("birds and a stream", 30000, fmt="flac", bit_depth=16, seed=5))
        assert client.last_accepted.cache_hit
        assert kept.path.parent == daemon.output_dir.resolve() and kept.sha256 == result.sha256


def test_interrupting_the_client_cancels_the_server_job(daemon):
    class Stop(Exception):
        pass

    def progress(fraction, stage):
        if stage == "rendering":
            raise Stop

    with SceneFillClient(daemon.address) as client:
        with pytest.raises(Stop):
            client.render(RenderRequest("heavy rain", 3600 * 48000, seed=77), progress=progress)
        job = client.last_accepted.job_id
    assert "status=cancelled" in daemon.wait_log(rf"job={job} ")[0]


def test_batch_closing_early_cancels_the_rest(daemon):
    items = [("short", RenderRequest("wind", 4800, seed=31)), ("long", RenderRequest("wind", 3600 * 48000, seed=32))]
    with SceneFillClient(daemon.address) as client:
        batch = client.render_batch(items)
        first_id, first = next(batch)
        assert first_id == "short" and first.n_samples == 4800
        batch.close()
    lines = daemon.wait_log(r"samples=172800000 .*status=cancelled")
    assert lines


def test_unreachable_server(tmp_path, capsys):
    with pytest.raises(ServerUnavailable) as info:
        render_to_path_via_server(f"unix://{tmp_path}/none.sock", RenderRequest("wind", 100), tmp_path / "x.wav")
    assert isinstance(info.value, SceneFillError) and "cannot reach" in str(info.value)
    assert main(["render", "wind", "--seconds", "1", "-o", str(tmp_path / "x.wav"),
                 "--server", f"unix://{tmp_path}/none.sock"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the SceneFill server" in err and len(err.strip().splitlines()) == 1
    assert list(p for p in tmp_path.iterdir()) == []


def test_serve_is_a_scenefill_subcommand(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "scenefill", "serve", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0
    for option in ("--host", "--port", "--socket", "--output-dir", "--cache-dir", "--workers", "--token-file",
                   "--max-seconds", "--max-queue", "--cache-max-bytes"):
        assert option in help_text.stdout
    refused = subprocess.run([sys.executable, "-m", "scenefill", "serve", "--host", "0.0.0.0", "--port", "0",
                              "--output-dir", str(tmp_path / "o")], capture_output=True, text=True)
    assert refused.returncode == 2 and "non-loopback" in refused.stderr


def test_register_hook_sets_func():
    import argparse

    from scenefill.server.cli import parse_size, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--port", "0", "--socket", "/tmp/x.sock", "--cache-max-bytes", "1.5G",
                              "--workers", "3", "--max-seconds", "60"])
    assert callable(args.func) and args.port == 0 and args.workers == 3 and args.max_seconds == 60
    assert args.cache_max_bytes == parse_size("1536M") == 1536 * 1024**2
    assert Path(args.socket) == Path("/tmp/x.sock")
