"""Client library for the SceneFill daemon (``scenefill serve``).

Used by the CLI (``scenefill render --server``), the OTIO adapter and the Resolve
scripts. Addresses: ``"127.0.0.1:50051"``, ``"localhost:50051"``,
``"unix:///path/to.sock"`` (a bare absolute path is taken as a Unix socket).

Token: the ``token`` argument, else ``$SCENEFILL_TOKEN``, else the file named by
``$SCENEFILL_TOKEN_FILE``. Errors are the engine's: a bad field raises
:class:`~scenefill.engine.errors.InvalidRequest` with the same field and message
a local render gives; everything else raises a :class:`ServerError` subclass.

    with SceneFillClient("127.0.0.1:50051") as client:
        result = client.render(RenderRequest("rain on a tin roof", 48000 * 10))
        for item_id, outcome in client.render_batch([("a", req_a), ("b", req_b)]):
            ...
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import grpc

from scenefill.engine.api import RenderResult
from scenefill.engine.errors import Cancelled, InvalidRequest, SceneFillError
from scenefill.engine.pipeline import FILE_MODE, check_output_path
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
            return address[len(prefix):]
    return address


def _error_from_status(code: grpc.StatusCode, details: str, field: str, address: str) -> SceneFillError:
    details = details or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        field = field or (details.split(":", 1)[0] if ":" in details else "request")
        prefix = f"{field}: "
        return InvalidRequest(field, details[len(prefix):] if details.startswith(prefix) else details)
    if code == grpc.StatusCode.UNAVAILABLE:
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
        return ServerError(f"server did not answer in time: {details}", code)
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

    def render_events(self, request: RenderRequest | pb.RenderRequest) -> Iterator[pb.RenderEvent]:
        """The raw event stream of one render (accepted, progress..., result); closing it cancels the call."""
        msg = request if isinstance(request, pb.RenderRequest) else request_to_proto(request)
        call = self._stub.Render(msg, metadata=self._metadata)
        try:
            yield from call
        except grpc.RpcError as exc:
            raise _translate(exc, self.address) from None
        finally:
            call.cancel()  # no-op when finished; stops the server job when the caller gives up

    def render(self, request: RenderRequest, progress: ProgressFn | None = None) -> RenderResult:
        """Render on the daemon; the file stays under the server's output directory (``result.path``).

        ``progress(fraction, stage)`` is called for each progress event. Interrupting
        (KeyboardInterrupt, an exception from ``progress``) cancels the server job.
        """
        result = None
        events = self.render_events(request)
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
                     ) -> Iterator[tuple[str, RenderResult | Exception]]:
        """Render many requests; yields ``(id, RenderResult or exception)`` as each finishes.

        Item ids must be unique. A bad item yields its InvalidRequest without failing the
        others; a failure of the whole call (server unreachable, queue full) raises.
        Closing the iterator early cancels what is still running.
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
        call = self._stub.RenderBatch(batch, metadata=self._metadata)
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
    directory = dest.parent if str(dest.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=directory)
    tmp = Path(tmp_name)
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
                              max_seconds: float | None = None) -> RenderResult:
    """Render on the daemon at ``address`` and copy the file to ``out_path`` atomically.

    Same contract as a local ``render_to_file``: InvalidRequest for a bad field
    (the daemon's refusal carries the field), nothing left under ``out_path`` on
    failure. The daemon's file must be readable here (same machine or a shared disk).
    ``max_seconds``: the caller's own length limit, checked here before sending (the
    daemon also applies its ``--max-seconds``).
    """
    if max_seconds is not None:
        request.validate(max_seconds)
    out_path = Path(out_path)
    check_output_path(out_path)
    with SceneFillClient(address, token) as client:
        result = client.render(request, progress)
    try:
        _copy_atomically(result.path, out_path, result.sha256)
    except FileNotFoundError as exc:
        if exc.filename and Path(exc.filename) == result.path:
            raise ServerError(f"the server wrote {result.path}, which is not visible on this machine; "
                              "render_to_path_via_server needs the server's output directory on a shared disk") from None
        raise
    return RenderResult(path=out_path, n_samples=result.n_samples, sample_rate=result.sample_rate,
                        channels=result.channels, sha256=result.sha256, provenance=result.provenance)
