"""The daemon, tested as editors' tools use it: a real server process on an ephemeral loopback port.

No timed assertions: where a test needs a render to be "still running", it uses a
render far longer than the test (an hour of audio) and cancels it at the end.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import time
from pathlib import Path

import grpc
import pytest
import soundfile as sf
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scenefill.engine.errors import InvalidRequest
from scenefill.engine.request import RenderRequest
from scenefill.engine.timing import frames_to_samples, parse_rate
from scenefill.plugin.client import AuthenticationError, SceneFillClient, ServerBusy, ServerUnavailable
from scenefill.server import scenefill_pb2 as pb
from scenefill.server import scenefill_pb2_grpc as pb_grpc
from scenefill.server.convert import request_from_proto
from scenefill.server.testing import DaemonProcess, pid_alive

MAX_SECONDS = 7200
HOUR = 3600 * 48000  # samples: a render that cannot finish during a test (about a minute of CPU here)
_seeds = itertools.count(1000)


def seed() -> int:
    """A fresh seed per request, so tests never share a cache entry by accident."""
    return next(_seeds)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    root = tmp_path_factory.mktemp("daemon")
    with DaemonProcess(root / "out", "--max-seconds", str(MAX_SECONDS), workers=2) as d:
        yield d


@pytest.fixture(scope="module")
def stub(daemon):
    channel = grpc.insecure_channel(daemon.address, options=[("grpc.enable_http_proxy", 0)])
    yield pb_grpc.SceneFillStub(channel)
    channel.close()


@pytest.fixture(scope="module")
def client(daemon):
    with SceneFillClient(daemon.address) as c:
        yield c


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def events_of(stub, request: pb.RenderRequest) -> list[pb.RenderEvent]:
    return list(stub.Render(request))


def rpc_error(fn, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        result = fn(*args, **kwargs)
        if hasattr(result, "__iter__") and not isinstance(result, (str, bytes)):
            list(result)
    return info.value


def field_of(err: grpc.RpcError) -> str:
    return dict(err.trailing_metadata() or ()).get("scenefill-field", "")


def wait_progress(call, min_fraction: float = 0.0) -> pb.RenderEvent:
    """Read a Render stream until the worker reports rendering progress (the job is running)."""
    for event in call:
        if event.WhichOneof("event") == "progress" and event.progress.stage == "rendering" \
                and event.progress.fraction > min_fraction:
            return event
    raise AssertionError("stream ended before the render made progress")


def final_files(*dirs: Path, key: str) -> list[Path]:
    """Files under their final (non-hidden) name whose name carries this render's key."""
    found = []
    for d in dirs:
        for f in d.rglob("*"):
            if f.is_file() and not f.name.startswith(".") and key[:16] in f.name:
                found.append(f)
    return found


def wait_gone(pids: list[int], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def partial_files(*dirs: Path) -> list[Path]:
    return [f for d in dirs for f in d.rglob(".*") if f.is_file() and f.name.endswith((".part", ".partial"))]


# ---------------------------------------------------------------- basics


def test_health_reflection_and_info(daemon, client):
    assert client.health() == "SERVING"
    assert client.health("scenefill.v1.SceneFill") == "SERVING"
    info = client.info()
    assert info["workers"] == 2
    assert info["limits"]["max_seconds"] == MAX_SECONDS
    assert info["limits"]["max_note_chars"] == 8000
    assert Path(info["output_dir"]) == daemon.output_dir.resolve()
    assert info["token_required"] is False

    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    channel = grpc.insecure_channel(daemon.address, options=[("grpc.enable_http_proxy", 0)])
    try:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    finally:
        channel.close()
    assert {"scenefill.v1.SceneFill", "grpc.health.v1.Health"} <= services


def test_capabilities_and_parse(client):
    caps = client.capabilities()
    from scenefill.engine.models import REGISTRY
    from scenefill.engine.request import LOUDNESS_PRESETS

    assert {m["name"] for m in caps["sound_models"]} == set(REGISTRY)
    assert {p["name"]: p["lufs"] for p in caps["loudness_presets"]} == LOUDNESS_PRESETS
    assert any(b["name"] == "procedural" and b["available"] for b in caps["backends"])
    assert any(v["name"] == "joe" and v["is_default"] for v in caps["voices"])
    assert "23.976" in caps["frame_rates"] and 48000 in caps["sample_rates"]

    from scenefill.engine.api import parse_note

    note = "rain on a tin roof, distant thunder"
    assert client.parse(note) == json.loads(json.dumps(parse_note(note)))
    with pytest.raises(InvalidRequest) as info:
        client.parse("   ")
    assert info.value.field == "note"


# ---------------------------------------------------------------- rendering


def test_exact_length_samples_and_progress(daemon, stub):
    n = 48000 + 17
    events = events_of(stub, pb.RenderRequest(note="light rain on leaves", n_samples=n, seed=seed()))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "accepted" and kinds[-1] == "result"
    assert set(kinds[1:-1]) == {"progress"}
    fractions = [e.progress.fraction for e in events if e.WhichOneof("event") == "progress"]
    assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions[-1] == 1.0
    accepted, result = events[0].accepted, events[-1].result
    assert accepted.job_id and accepted.job_id == result.job_id and accepted.total_samples == n
    path = Path(result.path)
    assert path.parent == daemon.output_dir.resolve()  # the server picks the path, under its output dir
    assert sf.info(str(path)).frames == n == result.n_samples
    assert (result.sample_rate, result.channels) == (48000, 2)
    assert sha256(path) == result.sha256
    provenance = json.loads(result.provenance_json)
    assert provenance["note"] == "light rain on leaves" and provenance["total_samples"] == n


@pytest.mark.parametrize("rate,start,frames", [("23.976", 1001, 24), ("29.97 DF", 17982, 30), ("25", 3, 7)])
def test_exact_length_from_frames_and_rate(stub, rate, start, frames):
    fps = parse_rate(rate)
    for sr in (48000, 44100):
        expected = frames_to_samples(start, frames, fps, sr)
        req = pb.RenderRequest(note="room tone, air conditioner hum", sample_rate=sr, channels=1, seed=seed(),
                               frames=pb.FrameRange(start_frame=start, n_frames=frames, rate=rate))
        result = events_of(stub, req)[-1].result
        assert result.n_samples == expected
        assert sf.info(result.path).frames == expected and sf.info(result.path).channels == 1


def test_neighbouring_frame_ranges_tile(stub):
    """Two adjacent clips sum to the one long clip: no gap, no overlap, at an NTSC rate."""
    s = seed()

    def length(start, n):
        req = pb.RenderRequest(note="wind", frames=pb.FrameRange(start_frame=start, n_frames=n, rate="24000/1001"),
                               seed=s, channels=1)
        return events_of(stub, req)[-1].result.n_samples

    assert length(5, 7) + length(12, 9) == length(5, 16)


def test_handles_and_flac(stub):
    req = pb.RenderRequest(note="birds in a park", n_samples=24000, handle_samples=4800, format="flac",
                           bit_depth=16, seed=seed())
    result = events_of(stub, req)[-1].result
    assert result.path.endswith(".flac")
    assert sf.info(result.path).frames == 24000 + 2 * 4800 == result.n_samples
    req = pb.RenderRequest(note="birds in a park", frames=pb.FrameRange(n_frames=12, rate="24"), handle_frames=6,
                           seed=seed())
    result = events_of(stub, req)[-1].result
    assert result.n_samples == 24000 + 2 * 12000


def test_same_request_is_bit_identical_and_cached(daemon, stub):
    req = pb.RenderRequest(note="city traffic at night", n_samples=30000, seed=seed())
    first = events_of(stub, req)
    second = events_of(stub, req)
    assert not first[0].accepted.cache_hit and second[0].accepted.cache_hit
    assert second[-1].result.cache_hit and second[-1].result.sha256 == first[-1].result.sha256
    assert second[-1].result.path == first[-1].result.path
    assert sha256(second[-1].result.path) == first[-1].result.sha256
    key = first[0].accepted.key
    lines = daemon.wait_log(rf"key={key[:16]} .*cache=hit", count=1)
    assert len(lines) == 1


def test_corrupted_cache_entry_is_regenerated(daemon, stub):
    req = pb.RenderRequest(note="waves on a pebble beach", n_samples=30000, seed=seed())
    first = events_of(stub, req)
    key, digest = first[0].accepted.key, first[-1].result.sha256
    entry = daemon.cache_dir / "v1" / key[:2] / f"{key}.wav"
    assert sha256(entry) == digest
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the audio
    entry.write_bytes(bytes(data))
    again = events_of(stub, req)
    assert not again[0].accepted.cache_hit  # verification failed, so it rendered again
    assert again[-1].result.sha256 == digest  # and the render is deterministic
    assert sha256(entry) == digest and sha256(again[-1].result.path) == digest
    daemon.wait_log(rf"cache: entry {key[:16]} failed hash verification")
    # and the repaired entry is a hit again
    assert events_of(stub, req)[0].accepted.cache_hit


def test_published_file_damaged_by_a_user_is_replaced(stub):
    req = pb.RenderRequest(note="crowd murmur in a cafe", n_samples=20000, seed=seed())
    result = events_of(stub, req)[-1].result
    os.unlink(result.path)
    again = events_of(stub, req)[-1].result
    assert again.cache_hit and again.path == result.path and sha256(again.path) == result.sha256


# ---------------------------------------------------------------- batch


def test_batch_results_are_tagged_with_ids(stub):
    items = [
        pb.BatchItem(id="shot-1", request=pb.RenderRequest(note="fire crackling", n_samples=12000, seed=seed())),
        pb.BatchItem(id="shot-2", request=pb.RenderRequest(note="insects at night", n_samples=13000, seed=seed())),
        pb.BatchItem(id="bad", request=pb.RenderRequest(note="wind", n_samples=0)),
        pb.BatchItem(id="shot-3", request=pb.RenderRequest(note="fire crackling", n_samples=12000,
                                                           seed=seed(), channels=1)),
    ]
    events = list(stub.RenderBatch(pb.RenderBatchRequest(items=items)))
    terminal = {}
    for e in events:
        kind = e.WhichOneof("event")
        assert e.id in {"shot-1", "shot-2", "bad", "shot-3"}
        if kind in ("result", "error"):
            assert e.id not in terminal, "one result or error per item"
            terminal[e.id] = e
    assert set(terminal) == {"shot-1", "shot-2", "bad", "shot-3"}
    assert terminal["bad"].error.code == "INVALID_ARGUMENT" and terminal["bad"].error.field == "length"
    for item_id, n, ch in (("shot-1", 12000, 2), ("shot-2", 13000, 2), ("shot-3", 12000, 1)):
        r = terminal[item_id].result
        assert r.n_samples == n and sf.info(r.path).frames == n and sf.info(r.path).channels == ch
    # accepted comes before the item's result
    order = [(e.id, e.WhichOneof("event")) for e in events]
    for item_id in ("shot-1", "shot-2", "shot-3"):
        assert order.index((item_id, "accepted")) < order.index((item_id, "result"))


def test_batch_via_client_yields_as_each_finishes(client):
    items = [(f"clip{i}", RenderRequest("distant thunder and rain", 8000 + i, seed=seed())) for i in range(5)]
    items.append(("neg", RenderRequest("rain", 8000, seed=-5)))
    out = dict(client.render_batch(items))
    assert set(out) == {f"clip{i}" for i in range(5)} | {"neg"}
    assert isinstance(out["neg"], InvalidRequest) and out["neg"].field == "seed"
    for i in range(5):
        assert out[f"clip{i}"].n_samples == 8000 + i


def test_batch_refusals(stub):
    err = rpc_error(stub.RenderBatch, pb.RenderBatchRequest())
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err) == "items"
    item = pb.RenderRequest(note="wind", n_samples=100)
    err = rpc_error(stub.RenderBatch, pb.RenderBatchRequest(items=[pb.BatchItem(id="a", request=item),
                                                                   pb.BatchItem(id="a", request=item)]))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err) == "items[1].id"


# ---------------------------------------------------------------- cancellation


def test_client_cancel_stops_the_job_and_leaves_nothing(daemon, stub):
    req = pb.RenderRequest(note="heavy rain and wind", n_samples=HOUR, seed=seed())
    call = stub.Render(req)
    accepted = next(iter(call)).accepted
    wait_progress(call)
    call.cancel()
    # An hour of audio takes about a minute here: status=cancelled proves it stopped early.
    line = daemon.wait_log(rf"job={accepted.job_id} .*status=", count=1)[0]
    assert "status=cancelled" in line
    assert final_files(daemon.output_dir, key=accepted.key) == []
    assert partial_files(daemon.output_dir) == []
    # the worker is free again: a short render completes
    assert events_of(stub, pb.RenderRequest(note="wind", n_samples=4800, seed=seed()))[-1].result.n_samples == 4800


def test_client_that_disappears_cancels_its_job(daemon):
    """The process holding the call dies (no cancel sent): the server notices the broken connection."""
    import subprocess
    import sys

    code = (
        "import sys, grpc\n"
        "from scenefill.server import scenefill_pb2 as pb, scenefill_pb2_grpc as g\n"
        "ch = grpc.insecure_channel(sys.argv[1], options=[('grpc.enable_http_proxy', 0)])\n"
        f"call = g.SceneFillStub(ch).Render(pb.RenderRequest(note='babbling brook', n_samples={HOUR}, seed={seed()}))\n"
        "for e in call:\n"
        "    if e.WhichOneof('event') == 'accepted': print(e.accepted.job_id, flush=True)\n"
        "    if e.WhichOneof('event') == 'progress' and e.progress.stage == 'rendering':\n"
        "        print('running', flush=True)\n"
        "        import time; time.sleep(3600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, daemon.address], stdout=subprocess.PIPE, text=True)
    try:
        job_id = child.stdout.readline().strip()
        assert child.stdout.readline().strip() == "running"
    finally:
        child.kill()
        child.wait()
    line = daemon.wait_log(rf"job={job_id} .*status=", count=1)[0]
    assert "status=cancelled" in line


# ---------------------------------------------------------------- refusals


def test_refusals_name_the_field(stub):
    cases = [
        (pb.RenderRequest(note="", n_samples=100), "note"),
        (pb.RenderRequest(note="x" * 8001, n_samples=100), "note"),
        (pb.RenderRequest(note="wind"), "length"),
        (pb.RenderRequest(note="wind", n_samples=-1), "length"),
        (pb.RenderRequest(note="wind", n_samples=(MAX_SECONDS + 1) * 48000), "length"),
        (pb.RenderRequest(note="wind", frames=pb.FrameRange(n_frames=10, rate="")), "frames.rate"),
        (pb.RenderRequest(note="wind", frames=pb.FrameRange(n_frames=10, rate="17")), "frames.rate"),
        (pb.RenderRequest(note="wind", n_samples=100, handle_frames=2), "handles"),
        (pb.RenderRequest(note="wind", n_samples=100, loudness_preset="loud"), "loudness_preset"),
        (pb.RenderRequest(note="wind", n_samples=100, extra_json="[1]"), "extra_json"),
        (pb.RenderRequest(note="wind", n_samples=100, format="mp3"), "format"),
        (pb.RenderRequest(note="wind", n_samples=100, voice="/etc/passwd"), "voice"),
        (pb.RenderRequest(note="wind", n_samples=100, voice="../voices/x.onnx"), "voice"),
        (pb.RenderRequest(note="<|caption|>hall<|asr|>Hi", n_samples=100, voice="nobody"), "voice"),
    ]
    for req, field in cases:
        err = rpc_error(stub.Render, req)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (req, err)
        assert field_of(err) == field
        assert err.details().startswith(f"{field}: ")


def test_unknown_backend_is_refused_by_the_engine(stub):
    err = rpc_error(stub.Render, pb.RenderRequest(note="wind", n_samples=100, backend="magic", seed=seed()))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(err) == "backend"


def _valid_base() -> pb.RenderRequest:
    return pb.RenderRequest(note="rain on a window", n_samples=4800, sample_rate=48000, channels=2,
                            seed=1, loudness=-23.0, format="wav", bit_depth=24)


_int32 = st.integers(-2**31, 2**31 - 1)
_int64 = st.integers(-2**63, 2**63 - 1)
# (engine field named in the refusal, mutation that makes a valid request invalid in that field alone)
_mutations = st.one_of(
    st.tuples(st.just("note"), st.sampled_from(["", " ", "\n\t"]).map(lambda v: {"note": v})),
    st.tuples(st.just("note"), st.integers(8001, 9000).map(lambda n: {"note": "a" * n})),
    st.tuples(st.just("length"), _int64.filter(lambda n: n <= 0).map(lambda n: {"n_samples": n})),
    st.tuples(st.just("length"), st.integers(MAX_SECONDS * 48000 + 1, 2**63 - 1).map(lambda n: {"n_samples": n})),
    st.tuples(st.just("sample_rate"), _int32.filter(lambda v: v not in (0, 44100, 48000, 96000))
              .map(lambda v: {"sample_rate": v})),
    st.tuples(st.just("channels"), _int32.filter(lambda v: v not in (0, 1, 2)).map(lambda v: {"channels": v})),
    st.tuples(st.just("seed"), st.integers(-2**63, -1).map(lambda v: {"seed": v})),
    st.tuples(st.just("loudness"), st.floats(allow_nan=True).filter(lambda v: not -70 <= v <= -5)
              .map(lambda v: {"loudness": v})),
    st.tuples(st.just("handles"), st.integers(-2**63, -1).map(lambda v: {"handle_samples": v})),
    st.tuples(st.just("format"), st.text(min_size=1, max_size=8).filter(lambda v: v not in ("wav", "flac"))
              .map(lambda v: {"format": v})),
    st.tuples(st.just("bit_depth"), _int32.filter(lambda v: v not in (0, 16, 24, 32)).map(lambda v: {"bit_depth": v})),
    st.tuples(st.just("frames.rate"), st.text(max_size=12).map(lambda v: {"frames": pb.FrameRange(n_frames=24, rate=v)})),
    st.tuples(st.just("length"), st.integers(-2**40, 0).map(lambda v: {"frames": pb.FrameRange(n_frames=v, rate="25")})),
    st.tuples(st.just("extra_json"), st.sampled_from(["{", "[]", "1", "null", "\"x\""]).map(lambda v: {"extra_json": v})),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_mutations)
def test_every_invalid_field_is_refused_by_name(stub, mutation):
    field, change = mutation
    req = _valid_base()
    for name, value in change.items():
        if name == "frames":
            req.frames.CopyFrom(value)
        else:
            setattr(req, name, value)
    if field == "frames.rate":
        try:
            parse_rate(change["frames"].rate, field="frames.rate")
            assume(False)  # hypothesis found a real frame rate; not an invalid request
        except InvalidRequest:
            pass
    with pytest.raises(InvalidRequest) as local:
        request_from_proto(req, MAX_SECONDS)
    assert local.value.field == field
    err = rpc_error(stub.Render, req)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(err) == field
    assert err.details() == str(local.value)


# ---------------------------------------------------------------- daemons of their own


def test_queue_full_coalescing_and_cancel_while_queued(tmp_path):
    """One worker, one queue slot. A blocker runs; identical requests queued behind it are one job."""
    with DaemonProcess(tmp_path / "out", "--max-queue", "1", workers=1) as d:
        channel = grpc.insecure_channel(d.address, options=[("grpc.enable_http_proxy", 0)])
        stub = pb_grpc.SceneFillStub(channel)
        blocker = stub.Render(pb.RenderRequest(note="heavy rain", n_samples=HOUR, seed=1))
        wait_progress(blocker)  # the only worker is busy now

        same = pb.RenderRequest(note="a quiet forest with birds", n_samples=24000, seed=2)
        first, second = stub.Render(same), stub.Render(same)
        a1, a2 = next(first).accepted, next(second).accepted
        assert a1.job_id == a2.job_id and {a1.coalesced, a2.coalesced} == {False, True}

        # the queue (1 slot) is full: a different request is refused, and so is a batch
        err = rpc_error(stub.Render, pb.RenderRequest(note="a quiet forest with birds", n_samples=24000, seed=3))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        err = rpc_error(stub.RenderBatch, pb.RenderBatchRequest(items=[
            pb.BatchItem(id="x", request=pb.RenderRequest(note="wind", n_samples=100, seed=4))]))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        with SceneFillClient(d.address) as c, pytest.raises(ServerBusy):
            c.render(RenderRequest("wind", 100, seed=5))

        first.cancel()  # one of two subscribers leaves: the job stays
        blocker.cancel()  # free the worker
        rest = list(second)
        result = rest[-1].result
        assert result.n_samples == 24000 and sf.info(result.path).frames == 24000
        lines = d.wait_log(rf"job={a1.job_id} ", count=1)
        assert len(lines) == 1 and "cache=miss" in lines[0] and "subscribers=2" in lines[0] and "status=ok" in lines[0]
        d.wait_log(r"status=cancelled", count=1)  # the blocker

        # cancel while queued: a new blocker, then a queued job whose only caller leaves
        blocker = stub.Render(pb.RenderRequest(note="heavy rain", n_samples=HOUR, seed=7))
        wait_progress(blocker)
        queued = stub.Render(pb.RenderRequest(note="wind", n_samples=100, seed=8))
        qid = next(queued).accepted.job_id
        queued.cancel()
        line = d.wait_log(rf"job={qid} ", count=1)[0]
        assert "status=cancelled" in line
        blocker.cancel()
        channel.close()
        assert d.terminate() == 0


def test_token_required_and_wrong_token(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-0123456789\n")
    with DaemonProcess(tmp_path / "out", "--token-file", str(token_file), workers=1) as d:
        with SceneFillClient(d.address) as c:
            assert c.health() == "SERVING"  # health checks need no token
            with pytest.raises(AuthenticationError, match="requires a token"):
                c.info()
            with pytest.raises(AuthenticationError):
                c.render(RenderRequest("wind", 100))
        with SceneFillClient(d.address, token="wrong-token-0123456789") as c:
            with pytest.raises(AuthenticationError, match="wrong token"):
                c.parse("wind")
        with SceneFillClient(d.address, token="s3cret-token-0123456789") as c:
            assert c.info()["token_required"] is True
            assert c.render(RenderRequest("wind", 480, seed=1)).n_samples == 480
        old = os.environ.get("SCENEFILL_TOKEN")
        os.environ["SCENEFILL_TOKEN"] = "s3cret-token-0123456789"
        try:
            with SceneFillClient(d.address) as c:
                assert c.parse("wind")["layers"]
        finally:
            if old is None:
                del os.environ["SCENEFILL_TOKEN"]
            else:
                os.environ["SCENEFILL_TOKEN"] = old
        # raw stub with metadata
        channel = grpc.insecure_channel(d.address, options=[("grpc.enable_http_proxy", 0)])
        stub = pb_grpc.SceneFillStub(channel)
        err = rpc_error(stub.GetInfo, pb.GetInfoRequest(), metadata=(("authorization", "Bearer nope"),))
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        err = rpc_error(stub.Render, pb.RenderRequest(note="wind", n_samples=10))
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        channel.close()


def test_non_loopback_bind_needs_a_token(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "scenefill.server", "--host", "0.0.0.0", "--port", "0",
                           "--output-dir", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "non-loopback" in proc.stderr and "--token-file" in proc.stderr
    token_file = tmp_path / "token"
    token_file.write_text("another-long-secret-token\n")
    with DaemonProcess(tmp_path / "out2", "--host", "0.0.0.0", "--token-file", str(token_file), workers=1) as d:
        assert d.address.startswith("0.0.0.0:")


def test_unix_socket(tmp_path):
    sock = tmp_path / "sf.sock"
    # --max-queue 0: nothing may wait, but a free worker still takes a job
    with DaemonProcess(tmp_path / "out", "--socket", str(sock), "--max-queue", "0", workers=1, port=False) as d:
        assert d.address == f"unix://{sock}"
        assert (sock.stat().st_mode & 0o777) == 0o600
        with SceneFillClient(f"unix://{sock}") as c:
            assert c.render(RenderRequest("wind", 4800, seed=3)).n_samples == 4800
        assert d.terminate() == 0
    assert not sock.exists()


def test_unreachable_server_is_a_clear_error(tmp_path):
    with SceneFillClient(f"unix://{tmp_path}/nobody.sock") as c:
        with pytest.raises(ServerUnavailable, match="cannot reach"):
            c.render(RenderRequest("wind", 100))


def _running_render(d: DaemonProcess, samples: int):
    channel = grpc.insecure_channel(d.address, options=[("grpc.enable_http_proxy", 0)])
    call = pb_grpc.SceneFillStub(channel).Render(pb.RenderRequest(note="heavy rain and wind", n_samples=samples, seed=9))
    accepted = next(call).accepted
    wait_progress(call)
    return channel, call, accepted


def test_a_worker_that_dies_fails_its_job_and_is_replaced(tmp_path):
    out = tmp_path / "out"
    with DaemonProcess(out, workers=1) as d:
        channel, call, accepted = _running_render(d, HOUR)
        workers = [p for p in d.descendants() if p not in set(descendants_of_daemon_only(d))]
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
        with pytest.raises(grpc.RpcError) as info:
            list(call)
        assert info.value.code() == grpc.StatusCode.INTERNAL and "worker" in info.value.details()
        channel.close()
        d.wait_log(rf"job={accepted.job_id} .*status=error:WorkerCrashed")
        assert partial_files(out) == []  # the dead worker's temp file was removed for it
        with SceneFillClient(d.address) as c:  # a new worker took its place
            assert c.render(RenderRequest("wind", 4800, seed=4)).n_samples == 4800


def descendants_of_daemon_only(d: DaemonProcess) -> list[int]:
    """The daemon's direct children (the forkserver); workers are the forkserver's children."""
    from scenefill.server.testing import descendants

    return [p for p in descendants(d.pid) if _ppid(p) == d.pid]


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def test_kill_9_leaves_no_partial_file_under_a_final_name(tmp_path):
    out = tmp_path / "out"
    with DaemonProcess(out, workers=1) as d:
        channel, call, accepted = _running_render(d, HOUR)
        workers = d.descendants()
        d.kill()  # SIGKILL the daemon only: its workers notice the closed pipe and stop within a block
        assert wait_gone(workers), "an orphaned worker kept rendering"
        with pytest.raises(grpc.RpcError):
            list(call)
        channel.close()
    assert final_files(out, key=accepted.key) == []
    assert partial_files(out) == []  # the workers removed their temp files on the way out


def test_kill_9_of_everything_then_restart_cleans_up(tmp_path):
    out = tmp_path / "out"
    with DaemonProcess(out, workers=1) as d:
        channel, call, accepted = _running_render(d, HOUR)
        d.kill_group()  # daemon, forkserver and workers all die at once: temp files stay behind
        channel.close()
    assert final_files(out, key=accepted.key) == []
    leftovers = partial_files(out)
    assert leftovers, "expected the killed worker's temp file"
    assert all(f.name.startswith(".") for f in leftovers)
    with DaemonProcess(out, workers=1) as d:
        assert partial_files(out) == []  # the next start removes them
        with SceneFillClient(d.address) as c:
            r = c.render(RenderRequest("heavy rain and wind", 48000, seed=9))
            assert sf.info(str(r.path)).frames == 48000


def test_sigterm_finishes_running_renders_then_exits(tmp_path):
    out = tmp_path / "out"
    with DaemonProcess(out, "--shutdown-grace", "300", workers=1) as d:
        channel, call, accepted = _running_render(d, 90 * 48000)
        d.signal(signal.SIGTERM)
        rest = list(call)  # the render completes despite SIGTERM
        result = rest[-1].result
        assert result.n_samples == 90 * 48000 and sha256(result.path) == result.sha256
        assert d.wait() == 0
        channel.close()
        with SceneFillClient(d.address) as c, pytest.raises(ServerUnavailable):
            c.info()
        assert "stopped" in d.log()
    assert partial_files(out) == []


def test_sigterm_with_no_grace_abandons_cleanly(tmp_path):
    out = tmp_path / "out"
    with DaemonProcess(out, "--shutdown-grace", "0", workers=1) as d:
        channel, call, accepted = _running_render(d, HOUR)
        workers = d.descendants()
        d.signal(signal.SIGTERM)
        with pytest.raises(grpc.RpcError) as info:
            list(call)
        assert info.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        assert d.wait() == 0
        channel.close()
        assert wait_gone(workers)
        assert f"job={accepted.job_id}" in d.log() and "status=cancelled" in d.log()
    assert final_files(out, key=accepted.key) == []
    assert partial_files(out) == []
