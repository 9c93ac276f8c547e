"""Hostile input, generated: every RenderRequest / FrameRange field and the CLI's numeric options.

Whatever arrives, the answer is a request or a refusal naming the field, and it
comes fast: each case runs in a child process under a wall-clock bound
(:data:`BOUND`, see fuzz_cases.py), so a parser that hangs (``Fraction("1e15000000")``
builds a 15-million-digit integer) fails the case instead of stalling the suite. The daemon is also probed over gRPC,
where a stuck event loop would show up as a health check that does not answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
import xml.dom.minidom

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from fuzz_cases import BoundedRunner
from scenefill.engine.errors import InvalidRequest
from scenefill.server import scenefill_pb2 as pb
from scenefill.server import scenefill_pb2_grpc as pb_grpc
from scenefill.server.convert import request_from_proto
from scenefill.server.testing import DaemonProcess

MAX_SECONDS = 600
BOUND = 5.0  # seconds one case may take; parsing anything here takes milliseconds
MAX_MESSAGE_CHARS = 600  # a refusal never echoes a long value back
# explore, don't shrink: a hanging case is reported as found (shrinking would start more of them)
FUZZ = dict(deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

HOSTILE_NUMBERS = ["1e15000000", "1e999999999", "-1e-999999999", "9" * 5000, "1/" + "9" * 5000,
                   "9" * 5000 + "/7", "0/0", "1/0", "nan", "inf", "-inf", "1_000", "\u0661\u0662", "0x19",
                   "23.976 DF", "24000/1001", "29.97", "1e3", "1E-3", ".5", "5.", "+25", "2.5e+0", " 25 ", ""]


@pytest.fixture(scope="module")
def runner():
    r = BoundedRunner(BOUND)
    yield r
    r.close()


numbers = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.from_regex(r"\A[+-]?\d{1,30}(\.\d{0,25})?([eE][+-]?\d{1,12})?\Z"),
    st.from_regex(r"\A\d{1,40}/\d{1,40}\Z"),
    st.integers().map(str),
    st.floats().map(str),
    st.text(max_size=40),
)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
int32 = st.integers(-2**31, 2**31 - 1)
int64 = st.integers(-2**63, 2**63 - 1)
# lengths that are either refused or short enough to render in a moment
samples = st.one_of(st.integers(-2**63, 0), st.integers(1, 9600), st.integers(MAX_SECONDS * 48000, 2**63 - 1))
frame_counts = st.one_of(st.integers(-2**63, 0), st.integers(1, 4), st.integers(10**6, 2**63 - 1))
deep = "[" * 1000 + "]" * 1000
extra_jsons = st.one_of(
    st.just(""),
    st.sampled_from(["{", "[]", "1", "null", '"x"', '{"a": ' + deep + "}", deep, '{"x": "' + "y" * 70000 + '"}',
                     '{"time_reference": "abc"}', '{"time_reference": -1}', '{"time_reference": 1e400}',
                     '{"time_reference": 18446744073709551616}', '{"time_reference": true}',
                     '{"time_reference": 48000}']),
    st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.floats(), st.text(max_size=20), st.none()),
                    max_size=4).map(json.dumps),
    texts,
)
notes = st.one_of(
    st.sampled_from(["rain on a tin roof", "wind\x00 and rain", "birds\x01\x02\x1b[31m at dawn\x7f",
                     "room tone\ufffe\uffff", "a" * 9000, "", " \t\n"]),
    texts,
)


@st.composite
def wire_requests(draw) -> pb.RenderRequest:
    msg = pb.RenderRequest(note=draw(notes))
    if draw(st.booleans()):
        msg.n_samples = draw(samples)
    elif draw(st.booleans()):
        msg.frames.CopyFrom(pb.FrameRange(start_frame=draw(int64), n_frames=draw(frame_counts),
                                          rate=draw(st.one_of(numbers, st.sampled_from(["25", "23.976", "29.97 DF"])))))
    msg.sample_rate = draw(st.one_of(st.sampled_from([0, 44100, 48000, 96000]), int32))
    msg.channels = draw(st.one_of(st.sampled_from([0, 1, 2]), int32))
    msg.seed = draw(int64)
    if draw(st.booleans()):
        msg.loudness = draw(st.floats())
    msg.loudness_preset = draw(st.one_of(st.sampled_from(["", "broadcast", "streaming"]), texts,
                                         st.just("p" * 100000)))
    msg.loop = draw(st.booleans())
    handles = draw(st.sampled_from(["none", "samples", "frames"]))
    if handles == "samples":
        msg.handle_samples = draw(samples)
    elif handles == "frames":
        msg.handle_frames = draw(frame_counts)
    msg.format = draw(st.one_of(st.sampled_from(["", "wav", "flac"]), texts, st.just("f" * 100000)))
    msg.bit_depth = draw(st.one_of(st.sampled_from([0, 16, 24, 32]), int32))
    msg.backend = draw(st.one_of(st.sampled_from(["", "procedural"]), texts, st.just("b" * 100000)))
    msg.voice = draw(st.one_of(st.sampled_from(["", "joe", "/etc/passwd", "../x.onnx"]), texts,
                               st.just("v" * 100000)))
    msg.extra_json = draw(extra_jsons)
    return msg


@st.composite
def valid_requests(draw) -> pb.RenderRequest:
    """Requests the daemon renders (short ones), with the free-form fields still drawn freely."""
    msg = pb.RenderRequest(note=draw(notes.filter(lambda n: n.strip() and len(n) <= 8000)),
                           sample_rate=draw(st.sampled_from([0, 44100, 48000, 96000])),
                           channels=draw(st.sampled_from([0, 1, 2])), seed=draw(st.integers(0, 2**63 - 1)),
                           loop=draw(st.booleans()), format=draw(st.sampled_from(["", "wav", "flac"])),
                           bit_depth=draw(st.sampled_from([0, 16, 24])),
                           loudness_preset=draw(st.sampled_from(["", "broadcast", "streaming"])),
                           extra_json=draw(st.one_of(st.just(""), st.dictionaries(
                               st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=20)), max_size=3
                           ).map(json.dumps), st.integers(0, 2**64 - 1).map(lambda t: json.dumps({"time_reference": t})))))
    if draw(st.booleans()):
        msg.n_samples = draw(st.integers(1, 9600))
        msg.handle_samples = draw(st.integers(0, 4800))
    else:
        msg.frames.CopyFrom(pb.FrameRange(start_frame=draw(st.integers(0, 10**9)), n_frames=draw(st.integers(1, 4)),
                                          rate=draw(st.sampled_from(["23.976", "24", "25", "29.97 DF", "24000/1001",
                                                                     "59.94", "2.5e1"]))))
        msg.handle_frames = draw(st.integers(0, 3))
    return msg


def check_refusal(outcome: tuple, *, invalid_request: bool = True) -> None:
    """An error outcome (from fuzz_cases) must be a short refusal naming the field."""
    _, name, is_invalid, is_ours, field, message, length = outcome
    if invalid_request:
        assert is_invalid and field, f"{name}: {message:.300}"
    else:
        assert is_ours, f"{name}: {message:.300}"  # a SceneFillError: one line, exit 2
    assert length < MAX_MESSAGE_CHARS, message[:300]


def check_outcome(outcome: tuple) -> None:
    """A validated request or a short refusal naming the field; nothing else."""
    if outcome[0] == "error":
        check_refusal(outcome)
        return
    kind, note, extra_chars, _ = outcome
    assert kind == "request", outcome
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", note), "control characters kept"
    assert extra_chars <= 16 * 1024


# ---------------------------------------------------------------- wire -> engine, in process


@settings(max_examples=400, **FUZZ)
@given(msg=wire_requests())
@example(msg=pb.RenderRequest(note="rain", frames=pb.FrameRange(n_frames=24, rate="1e15000000")))
@example(msg=pb.RenderRequest(note="rain", frames=pb.FrameRange(n_frames=24, rate="1e999999999")))
@example(msg=pb.RenderRequest(note="rain", n_samples=4800, extra_json='{"a": ' + deep + "}"))
@example(msg=pb.RenderRequest(note="rain", n_samples=4800, extra_json='{"x": "' + "y" * 6_000_000 + '"}'))
@example(msg=pb.RenderRequest(note="rain", n_samples=4800, extra_json='{"time_reference": "abc"}'))
def test_every_wire_request_converts_fast_to_a_request_or_a_refusal(runner, msg):
    check_outcome(runner.run("wire", msg.SerializeToString(), MAX_SECONDS))


@pytest.mark.parametrize("extra, field", [
    ('{"a": ' + deep + "}", "extra_json"),
    ('{"x": "' + "y" * 6_000_000 + '"}', "extra_json"),
    ('{"time_reference": "abc"}', "extra_json.time_reference"),
    ('{"time_reference": 2.5}', "extra_json.time_reference"),
])
def test_bad_extras_are_refused_by_name(extra, field):
    with pytest.raises(InvalidRequest) as info:
        request_from_proto(pb.RenderRequest(note="rain", n_samples=4800, extra_json=extra), MAX_SECONDS)
    assert info.value.field == field and len(str(info.value)) < MAX_MESSAGE_CHARS


def test_a_good_time_reference_is_kept():
    req = request_from_proto(pb.RenderRequest(note="rain", n_samples=4800, extra_json='{"time_reference": 48000}'),
                             MAX_SECONDS)
    assert req.extra == {"time_reference": 48000}


# ---------------------------------------------------------------- the CLI's numeric options


cli_lengths = st.one_of(
    st.tuples(st.just("--seconds"), numbers).map(list),
    st.tuples(st.just("--samples"), numbers).map(list),
    st.tuples(st.just("--frames"), numbers, st.just("--fps"), numbers).map(list),
    st.tuples(st.just("--tc-in"), st.one_of(st.just("00:00:01:00"), texts, numbers), st.just("--tc-out"),
              st.one_of(st.just("00:00:02:00"), texts, numbers), st.just("--fps"), numbers).map(list),
)


@settings(max_examples=300, **FUZZ)
@given(length=cli_lengths, handles=st.one_of(st.none(), numbers), sample_rate=st.one_of(st.none(), numbers))
@example(length=["--seconds", "1e15000000"], handles=None, sample_rate=None)
@example(length=["--frames", "24", "--fps", "1e999999999"], handles=None, sample_rate=None)
@example(length=["--seconds", "2"], handles="1e15000000", sample_rate=None)
@example(length=["--samples", "9" * 4000], handles=None, sample_rate=None)
def test_the_cli_numeric_options_parse_fast_to_a_request_or_a_refusal(runner, length, handles, sample_rate):
    argv = ["render", "rain on a roof", "-o", "x.wav", *length]
    if handles is not None:
        argv += ["--handles", handles]
    if sample_rate is not None:
        argv += ["--sample-rate", sample_rate]
    outcome = runner.run("cli", argv)
    if outcome[0] == "exit":
        assert outcome[1] == 2  # argparse refused a value: one usage line, exit 2
    elif outcome[0] == "error":
        check_refusal(outcome, invalid_request=False)
    else:
        assert outcome[0] == "request", outcome


# ---------------------------------------------------------------- the daemon, over gRPC


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-daemon")
    with DaemonProcess(root / "out", "--max-seconds", str(MAX_SECONDS), workers=1) as d:
        d.wait_workers()
        yield d


@pytest.fixture(scope="module")
def channel(daemon):
    with grpc.insecure_channel(daemon.address, options=[("grpc.enable_http_proxy", 0)]) as ch:
        yield ch


def _health(channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=BOUND).status


@settings(max_examples=50, **FUZZ)
@given(msg=st.one_of(wire_requests(), valid_requests()))
@example(msg=pb.RenderRequest(note="rain", frames=pb.FrameRange(n_frames=24, rate="1e15000000")))
@example(msg=pb.RenderRequest(note="rain", n_samples=4800, extra_json='{"a": ' + deep + "}"))
@example(msg=pb.RenderRequest(note="rain", n_samples=4800, extra_json='{"x": "' + "y" * 6_000_000 + '"}'))
@example(msg=pb.RenderRequest(note="wind\x00 and \x01rain", n_samples=4800, seed=11))
def test_the_daemon_answers_every_request_with_a_result_or_invalid_argument(channel, msg):
    stub = pb_grpc.SceneFillStub(channel)
    started = time.monotonic()
    call = stub.Render(msg, timeout=60)
    result = None
    try:
        for event in call:
            if event.WhichOneof("event") == "accepted":
                # while it works, the daemon keeps answering others
                assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
            if event.WhichOneof("event") == "result":
                result = event.result
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, (exc.code(), exc.details()[:300])
        assert time.monotonic() - started < BOUND, "a refusal took seconds: parsing is not bounded"
        field = dict(exc.trailing_metadata() or ()).get("scenefill-field", "")
        assert field and len(exc.details()) < MAX_MESSAGE_CHARS
    assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    note_event("rendered" if result is not None else "refused")
    if result is not None and result.path.endswith(".wav"):
        from scenefill.engine.wavio import read_chunks

        xml.dom.minidom.parseString(read_chunks(result.path)["iXML"])  # well-formed, whatever the note held


def test_a_hostile_rate_does_not_stall_the_daemon_for_others(daemon, channel):
    """While one caller sends `1e999999999` as a frame rate, a health check still answers at once."""
    stub = pb_grpc.SceneFillStub(channel)
    hostile = pb.RenderRequest(note="rain", frames=pb.FrameRange(n_frames=24, rate="1e999999999"))
    errors = []
    senders = [threading.Thread(target=lambda: errors.append(_render_error(stub, hostile)), daemon=True)
               for _ in range(4)]
    for t in senders:
        t.start()
    assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    for t in senders:
        t.join(BOUND * 2)
        assert not t.is_alive()
    assert [e.code() for e in errors] == [grpc.StatusCode.INVALID_ARGUMENT] * 4


def _render_error(stub, msg):
    try:
        list(stub.Render(msg, timeout=BOUND * 2))
    except grpc.RpcError as exc:
        return exc
    raise AssertionError("a hostile request rendered")
