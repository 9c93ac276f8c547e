"""Client library for the SceneFill daemon (``scenefill serve``).

Used by the CLI (``scenefill render --server``), the OTIO adapter and the Resolve
scripts. Addresses: ``"127.0.0.1:50051"``, ``"localhost:50051"``,
``"unix:///path/to.sock"`` (a bare absolute path is taken as a Unix socket).

Token: the ``token`` argument, else ``$SCENEFILL_TOKEN``, else the file named by
``$SCENEFILL_TOKEN_FILE``. Errors are the engine's: a bad field raises
:class:`~scenefill.engine.errors.InvalidRequest` with the same field and message
a local render gives; everything else raises a :class:`ServerError` subclass.

No call waits for ever: a render's deadline grows with the audio it asks for
(:func:`render_deadline`: ten minutes plus one second per second of audio), and a
daemon that cannot render (no worker can start) answers at once with
:class:`ServerUnavailable` naming the reason.

    with SceneFillClient("127.0.0.1:50051") as client:
        result = client.render(RenderRequest("rain on a tin roof", 48000 * 10))
        for item_id, outcome in client.render_batch([("a", req_a), ("b", req_b)]):
            ...
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterator

import grpc

from scenefill.engine.api import RenderResult
from scenefill.engine.errors import Cancelled, InvalidRequest, SceneFillError
from scenefill.engine.output_paths import FILE_MODE, check_output_path, not_a_regular_input, temp_beside
from scenefill.engine.request import RenderRequest
from scenefill.server import scenefill_pb2 as pb
from scenefill.server import scenefill_pb2_grpc as pb_grpc
from scenefill.server.convert import request_to_proto

__all__ = [
    "AuthenticationError", "SceneFillClient", "ServerBusy", "ServerError", "ServerUnavailable",
    "render_to_path_via_server",
]

FIELD_METADATA_KEY = "scenefill-field"
_MAX_MESSAGE = 16 * 1024 * 1024
ProgressFn = Callable[[float, str], None]

#: A render's deadline: time to wait in the daemon's queue plus one second per second
#: of audio (the engine renders ~100x faster than that). Generous, but never infinite.
DEADLINE_BASE_SECONDS = 600.0
DEADLINE_PER_AUDIO_SECOND = 1.0
_UNHEALTHY_PREFIX = "no render worker can start"  # the daemon's UNAVAILABLE while it cannot render


def render_deadline(audio_seconds: float) -> float:
    """Seconds a client waits for a render of ``audio_seconds`` (range plus handles) before giving up."""
    return DEADLINE_BASE_SECONDS + DEADLINE_PER_AUDIO_SECOND * max(0.0, min(float(audio_seconds), 1e7))


def _audio_seconds(msg: "pb.RenderRequest") -> float:
    """The audio a wire request asks for, in seconds (0 when it cannot tell; the daemon will refuse it)."""
    sample_rate = msg.sample_rate or 48000
    try:
        if msg.WhichOneof("length") == "frames":
            from scenefill.engine.timing import parse_rate

            seconds = msg.frames.n_frames / float(parse_rate(msg.frames.rate, "frames.rate"))
            if msg.WhichOneof("handles") == "handle_frames":
                seconds += 2 * msg.handle_frames / float(parse_rate(msg.frames.rate, "frames.rate"))
            return max(0.0, seconds)
        samples = msg.n_samples + 2 * (msg.handle_samples if msg.WhichOneof("handles") == "handle_samples" else 0)
        return max(0.0, samples / sample_rate)
    except (InvalidRequest, ZeroDivisionError, OverflowError):
        return 0.0


class ServerError(SceneFillError):
    """The daemon could not do what was asked (not a problem with the request's fields)."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class ServerUnavailable(ServerError):
    """No daemon answers at the address, or it is shutting down."""


class ServerBusy(ServerError):
    """The daemon's queue is full (RESOURCE_EXHAUSTED); try again later."""


class AuthenticationError(ServerError):
    """The daemon wants a token, or a different one."""


def resolve_token(token: str | None = None) -> str | None:
    """The token to send: explicit, else $SCENEFILL_TOKEN, else the file in $SCENEFILL_TOKEN_FILE."""
    if token:
        return token.strip()
    env = os.environ.get("SCENEFILL_TOKEN", "").strip()
    if env:
        return env
    path = os.environ.get("SCENEFILL_TOKEN_FILE")
    if path:
        if (why := not_a_regular_input(Path(path).expanduser())) is not None:
            raise InvalidRequest("token-file", why)
        try:
            return Path(path).expanduser().read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise InvalidRequest("token-file", f"cannot read {path}: {exc.strerror}") from None
    return None


def normalize_address(address: str) -> str:
    address = (address or "").strip()
    if not address:
        raise InvalidRequest("server", "no server address given")
    if address.startswith("/"):
        return "unix://" + address
    for prefix in ("grpc://", "http://"):
        if address.startswith(prefix):
            address = address[len(prefix):]
            break
    if address.isdigit():  # a port alone: gRPC would look it up as a host name
        raise InvalidRequest("server", f"{address!r} is a port alone: give HOST:PORT (127.0.0.1:{address}), "
                                       "or unix:///path/to.sock")
    return address


def _error_from_status(code: grpc.StatusCode, details: str, field: str, address: str) -> SceneFillError:
    details = details or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        field = field or (details.split(":", 1)[0] if ":" in details else "request")
        prefix = f"{field}: "
        return InvalidRequest(field, details[len(prefix):] if details.startswith(prefix) else details)
    if code == grpc.StatusCode.UNAVAILABLE:
        if details.startswith(_UNHEALTHY_PREFIX):
            return ServerUnavailable(f"the SceneFill server at {address} cannot render now: {details} "
                                     "(it keeps retrying; see its log)", code)
        lowered = details.lower()
        if "connect" in lowered or "refused" in lowered or "no such file" in lowered or not details:
            return ServerUnavailable(f"cannot reach the SceneFill server at {address} "
                                     "(is `scenefill serve` running?)", code)
        return ServerUnavailable(f"server at {address} is unavailable: {details}", code)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ServerBusy(f"server busy: {details}", code)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AuthenticationError(f"server refused the call: {details} "
                                   "(set SCENEFILL_TOKEN or pass --token-file)", code)
    if code == grpc.StatusCode.CANCELLED:
        return Cancelled(details or "render cancelled")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return ServerError(f"the server at {address} did not answer in time ({details}); it may be overloaded "
                           "or stuck: see its log, and `grpc.health.v1` Check", code)
    if code == grpc.StatusCode.ABORTED:
        return ServerError(f"the server abandoned the render: {details}", code)
    return ServerError(f"server error ({code.name}): {details}", code)


def _translate(exc: grpc.RpcError, address: str) -> SceneFillError:
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    details = exc.details() if hasattr(exc, "details") else str(exc)
    field = ""
    try:
        for key, value in exc.trailing_metadata() or ():
            if key == FIELD_METADATA_KEY:
                field = value
    except Exception:  # noqa: BLE001 - some errors carry no trailing metadata
        pass
    return _error_from_status(code, details, field, address)


def _message_to_dict(msg) -> dict:
    """Plain dict of a message, every field present, int64 kept as int (unlike json_format)."""
    out = {}
    for fd in msg.DESCRIPTOR.fields:
        value = getattr(msg, fd.name)
        repeated = getattr(fd, "is_repeated", None)
        if repeated is None:
            repeated = fd.label == fd.LABEL_REPEATED
        if fd.message_type is not None:
            out[fd.name] = [_message_to_dict(v) for v in value] if repeated else _message_to_dict(value)
        else:
            out[fd.name] = list(value) if repeated else value
    return out


def _result_from_proto(r: pb.RenderResult) -> RenderResult:
    provenance = json.loads(r.provenance_json) if r.provenance_json else {}
    return RenderResult(path=Path(r.path), n_samples=r.n_samples, sample_rate=r.sample_rate,
                        channels=r.channels, sha256=r.sha256, provenance=provenance)


class SceneFillClient:
    """A connection to one daemon. Thread-safe; reuse it for many calls, then :meth:`close`."""

    def __init__(self, address: str, token: str | None = None) -> None:
        self.address = normalize_address(address)
        token = resolve_token(token)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._channel = grpc.insecure_channel(self.address, options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
            ("grpc.max_send_message_length", _MAX_MESSAGE),
            ("grpc.enable_http_proxy", 0),  # the daemon is local; never route it through a proxy
        ])
        self._stub = pb_grpc.SceneFillStub(self._channel)
        self.last_accepted: pb.Accepted | None = None  # of the most recent render(), for callers who care

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "SceneFillClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until the channel connects (or raise ServerUnavailable)."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise ServerUnavailable(f"cannot reach the SceneFill server at {self.address} "
                                    "(is `scenefill serve` running?)") from None

    def health(self, service: str = "") -> str:
        """The grpc.health.v1 status name: SERVING, NOT_SERVING, ..."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        try:
            reply = health_pb2_grpc.HealthStub(self._channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=10)
        except grpc.RpcError as exc:
            raise _translate(exc, self.address) from None
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    # ------------------------------------------------------------ calls

    def _unary(self, method, request, timeout: float | None = 60.0):
        try:
            return method(request, metadata=self._metadata, timeout=timeout)
        except grpc.RpcError as exc:
            raise _translate(exc, self.address) from None

    def parse(self, note: str) -> dict:
        """What the engine understood of ``note`` (same dict as ``scenefill parse``)."""
        return json.loads(self._unary(self._stub.Parse, pb.ParseRequest(note=note)).json)

    def capabilities(self) -> dict:
        """Backends, sound models, voices, loudness presets, formats, sample and frame rates."""
        return _message_to_dict(self._unary(self._stub.ListCapabilities, pb.ListCapabilitiesRequest()))

    def info(self) -> dict:
        """Versions, limits, device, queue and cache state."""
        return _message_to_dict(self._unary(self._stub.GetInfo, pb.GetInfoRequest()))

    def render_events(self, request: RenderRequest | pb.RenderRequest,
                      timeout: float | None = None) -> Iterator[pb.RenderEvent]:
        """The raw event stream of one render (accepted, progress..., result); closing it cancels the call.

        ``timeout``: seconds for the whole render; default :func:`render_deadline` of its length.
        """
        msg = request if isinstance(request, pb.RenderRequest) else request_to_proto(request)
        if timeout is None:
            timeout = render_deadline(_audio_seconds(msg))
        call = self._stub.Render(msg, metadata=self._metadata, timeout=timeout)
        try:
            yield from call
        except grpc.RpcError as exc:
            raise _translate(exc, self.address) from None
        finally:
            call.cancel()  # no-op when finished; stops the server job when the caller gives up

    def render(self, request: RenderRequest, progress: ProgressFn | None = None,
               timeout: float | None = None) -> RenderResult:
        """Render on the daemon; the file stays under the server's output directory (``result.path``).

        ``progress(fraction, stage)`` is called for each progress event. Interrupting
        (KeyboardInterrupt, an exception from ``progress``) cancels the server job.
        ``timeout``: seconds before giving up (default :func:`render_deadline` of the length).
        """
        result = None
        events = self.render_events(request, timeout)
        try:
            for event in events:
                kind = event.WhichOneof("event")
                if kind == "accepted":
                    self.last_accepted = event.accepted
                elif kind == "progress":
                    if progress is not None:
                        progress(event.progress.fraction, event.progress.stage)
                elif kind == "result":
                    result = event.result
        finally:
            events.close()
        if result is None:
            raise ServerError("the server ended the render without a result")
        return _result_from_proto(result)

    def render_batch(self, items: list[tuple[str, RenderRequest]], *,
                     progress: Callable[[str, float, str], None] | None = None,
                     timeout: float | None = None,
                     ) -> Iterator[tuple[str, RenderResult | Exception]]:
        """Render many requests; yields ``(id, RenderResult or exception)`` as each finishes.

        Item ids must be unique. A bad item yields its InvalidRequest without failing the
        others; a failure of the whole call (server unreachable, queue full) raises.
        Closing the iterator early cancels what is still running. ``timeout``: seconds for the
        whole batch (default :func:`render_deadline` of all the items' audio together).
        """
        batch = pb.RenderBatchRequest()
        early: list[tuple[str, Exception]] = []
        for item_id, request in items:
            try:
                batch.items.append(pb.BatchItem(id=str(item_id), request=request_to_proto(request)))
            except InvalidRequest as exc:
                early.append((str(item_id), exc))
        yield from early
        if not batch.items:
            return
        if timeout is None:
            timeout = render_deadline(sum(_audio_seconds(item.request) for item in batch.items))
        call = self._stub.RenderBatch(batch, metadata=self._metadata, timeout=timeout)
        try:
            for event in call:
                kind = event.WhichOneof("event")
                if kind == "result":
                    yield event.id, _result_from_proto(event.result)
                elif kind == "error":
                    e = event.error
                    code = getattr(grpc.StatusCode, e.code, grpc.StatusCode.UNKNOWN)
                    yield event.id, _error_from_status(code, e.message, e.field, self.address)
                elif kind == "progress" and progress is not None:
                    progress(event.id, event.progress.fraction, event.progress.stage)
        except grpc.RpcError as exc:
            raise _translate(exc, self.address) from None
        finally:
            call.cancel()




def _copy_atomically(src: Path, dest: Path, expected_sha256: str) -> None:
    """Copy ``src`` to ``dest`` through a temp file in dest's directory, verifying the hash."""
    fd, tmp = temp_beside(dest)
    try:
        digest = hashlib.sha256()
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(1 << 20):
                digest.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        if digest.hexdigest() != expected_sha256:
            raise ServerError(f"the server's file {src} changed while it was copied; try again")
        os.chmod(tmp, FILE_MODE)  # like a local render, an ordinary file
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_to_path_via_server(address: str, request: RenderRequest, out_path: str | Path, *,
                              progress: ProgressFn | None = None, token: str | None = None,
                              max_seconds: float | None = None, timeout: float | None = None) -> RenderResult:
    """Render on the daemon at ``address`` and copy the file to ``out_path`` atomically.

    Same contract as a local ``render_to_file``: InvalidRequest for a bad field
    (the daemon's refusal carries the field), nothing left under ``out_path`` on
    failure. The daemon's file must be readable here (same machine or a shared disk).
    ``max_seconds``: the caller's own length limit, checked here before sending (the
    daemon also applies its ``--max-seconds``). ``timeout``: as for :meth:`SceneFillClient.render`.
    """
    if max_seconds is not None:
        request.validate(max_seconds)
    if timeout is not None and not 0 < timeout < float("inf"):
        raise InvalidRequest("timeout", f"--timeout must be a positive number of seconds, got {timeout}")
    out_path = Path(out_path)
    check_output_path(out_path)
    with SceneFillClient(address, token) as client:
        result = client.render(request, progress, timeout)
    try:
        _copy_atomically(result.path, out_path, result.sha256)
    except FileNotFoundError as exc:
        if exc.filename and Path(exc.filename) == result.path:
            raise ServerError(f"the server wrote {result.path}, which is not visible on this machine; "
                              "render_to_path_via_server needs the server's output directory on a shared disk") from None
        raise
    return RenderResult(path=out_path, n_samples=result.n_samples, sample_rate=result.sample_rate,
                        channels=result.channels, sha256=result.sha256, provenance=result.provenance)
