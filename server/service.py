"""The gRPC daemon: the ``scenefill.v1.SceneFill`` service, health, reflection, auth, lifecycle.

Runs on one asyncio loop (``grpc.aio``). Renders never run on it: they go to the
worker processes (:mod:`.workers`) through the job queue (:mod:`.jobs`); hashing
and file publishing run in threads. See ``proto/scenefill/v1/scenefill.proto``
for the wire contract and ``scenefill serve --help`` for the options.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import ipaddress
import json
import logging
import os
import platform
import signal
import socket
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from scenefill import ENGINE_VERSION, __version__
from scenefill.engine.backends import BackendUnavailable
from scenefill.engine.errors import Cancelled, InvalidRequest, SceneFillError
from scenefill.engine.request import BIT_DEPTHS, FORMATS, LOUDNESS_PRESETS, MAX_NOTE_CHARS
from scenefill.engine.timing import KNOWN_RATES, SUPPORTED_SAMPLE_RATES, format_rate, shown

from . import scenefill_pb2 as pb
from . import scenefill_pb2_grpc as pb_grpc
from .cache import RenderCache, clean_output_dir
from .convert import request_from_proto, result_to_proto
from .jobs import JobManager, QueueFull, ShuttingDown, Subscription
from .neural_stall import DEFAULT_STALL_BASE_S, DEFAULT_STALL_PER_STEP_S, BackendStalled, StallPolicy
from .workers import (DEFAULT_RENDER_IMPL, DEFAULT_STALL_TIMEOUT, WorkerCrashed, WorkerError, WorkerPool,
                      WorkersUnavailable, WorkerStalled)

log = logging.getLogger("scenefill.server")

SERVICE_NAME = "scenefill.v1.SceneFill"
FIELD_METADATA_KEY = "scenefill-field"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_CONCURRENT_RPCS = 1024  # beyond this gRPC answers RESOURCE_EXHAUSTED before our handlers run
MAX_BATCH_ID_CHARS = 256  # a batch item's id is echoed on every event of the item


class ConfigError(SceneFillError):
    """The server cannot start with these options."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int | None = 50051           # None: no TCP listener (socket only)
    socket_path: Path | None = None
    output_dir: Path = Path("scenefill-renders")
    cache_dir: Path | None = None       # default: <output_dir>/.cache
    cache_max_bytes: int = 5 * 1024**3
    workers: int = 2
    max_queue: int = 64
    max_batch: int = 1000
    max_seconds: float = 4 * 3600.0
    token: str | None = None
    shutdown_grace: float = 10.0
    render_impl: str = DEFAULT_RENDER_IMPL
    start_method: str | None = None
    stall_timeout: float = DEFAULT_STALL_TIMEOUT  # a worker silent this long is killed (watchdog)
    default_backend: str = "procedural"  # for requests that name none (serve --backend)
    model_dirs: dict = field(default_factory=dict)  # neural backend -> weights directory (serve --model-dir)
    device: str | None = None  # neural device (default: cuda when present, else cpu)
    # a neural batch silent for base + per_step x steps x windows seconds is given up (neural_stall.py)
    neural_stall_base: float = DEFAULT_STALL_BASE_S
    neural_stall_per_step: float = DEFAULT_STALL_PER_STEP_S

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else Path(self.output_dir) / ".cache"


# ---------------------------------------------------------------- binding / auth checks


def is_loopback_host(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    name = host.strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    addrs = {info[4][0] for info in infos}
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def check_config(config: ServerConfig) -> None:
    if config.port is None and config.socket_path is None:
        raise ConfigError("give --port or --socket")
    if config.port is not None and not 0 <= config.port <= 65535:
        raise ConfigError(f"--port {config.port} is not a TCP port")
    if config.port is not None and not is_loopback_host(config.host) and not config.token:
        raise ConfigError(f"refusing to listen on non-loopback address {config.host!r} without a token; "
                          "add --token-file FILE (clients send it as 'authorization: Bearer <token>')")
    if config.token is not None and len(config.token) < 16:
        raise ConfigError("the token is too short; use at least 16 characters (e.g. `openssl rand -hex 32`)")
    if config.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if config.max_queue < 0:
        raise ConfigError("--max-queue cannot be negative")
    if not config.max_seconds > 0 or config.max_seconds == float("inf"):
        raise ConfigError("--max-seconds must be a positive number")
    if not 0 < config.stall_timeout < float("inf"):
        raise ConfigError("--stall-timeout must be a positive number of seconds")
    if not 0 < config.neural_stall_base < float("inf"):
        raise ConfigError("--neural-stall-timeout must be a positive number of seconds")
    if not 0 <= config.neural_stall_per_step < float("inf"):
        raise ConfigError("--neural-stall-per-step must be a number of seconds, 0 or more")


def _tcp_address(host: str, port: int) -> str:
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _prepare_socket_path(path: Path) -> None:
    """Remove a stale socket file left by a crashed server; refuse to steal a live one."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"--socket {path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    finally:
        probe.close()
    raise ConfigError(f"another server is listening on {path}")


class TokenInterceptor(grpc.aio.ServerInterceptor):
    """Every call except the health ``Check`` needs ``authorization: Bearer <token>`` (constant-time compare).

    Only the unary ``Check`` is open (load balancers and supervisors probe without a
    secret); the streaming ``Watch`` holds a call slot for as long as the client
    likes, so an anonymous caller must not be able to open them.
    """

    OPEN_METHODS = frozenset({"/grpc.health.v1.Health/Check"})

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def intercept_service(self, continuation, details):
        if details.method in self.OPEN_METHODS:
            return await continuation(details)
        supplied = None
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                supplied = value if isinstance(value, str) else value.decode("latin-1")
        ok = False
        if supplied is not None:
            scheme, _, credential = supplied.partition(" ")
            ok = scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), self._token)
        handler = await continuation(details)
        if ok or handler is None:
            return handler
        message = "this server requires a token" if supplied is None else "wrong token"

        async def deny(request, context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        async def deny_stream(request_iterator, context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        kinds = {
            (False, False): grpc.unary_unary_rpc_method_handler,
            (False, True): grpc.unary_stream_rpc_method_handler,
            (True, False): grpc.stream_unary_rpc_method_handler,
            (True, True): grpc.stream_stream_rpc_method_handler,
        }
        make = kinds[(handler.request_streaming, handler.response_streaming)]
        return make(deny_stream if handler.request_streaming else deny,
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer)


# ---------------------------------------------------------------- errors -> status


def backend_health_name(backend: str) -> str:
    """The health service name of one neural backend (``scenefill.v1.SceneFill/dasheng``)."""
    return f"{SERVICE_NAME}/{backend}"


def status_for(exc: BaseException, closing: bool = False) -> tuple[grpc.StatusCode, str, str]:
    """(code, field, message) for an exception from the job path."""
    if isinstance(exc, BackendUnavailable) or (isinstance(exc, InvalidRequest) and exc.field == "model_dir"):
        return grpc.StatusCode.FAILED_PRECONDITION, "backend", str(exc)  # the server's setup, not the request
    if isinstance(exc, InvalidRequest):
        return grpc.StatusCode.INVALID_ARGUMENT, exc.field, str(exc)
    if isinstance(exc, QueueFull):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, "", str(exc)
    if isinstance(exc, (ShuttingDown, WorkersUnavailable, BackendStalled)):
        return grpc.StatusCode.UNAVAILABLE, "", str(exc)
    if isinstance(exc, (Cancelled, asyncio.CancelledError)):
        if closing:
            return grpc.StatusCode.UNAVAILABLE, "", "the server shut down before the render finished"
        return grpc.StatusCode.CANCELLED, "", "render cancelled"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return grpc.StatusCode.RESOURCE_EXHAUSTED, "", f"the server's disk is full: {exc.strerror}"
        return grpc.StatusCode.INTERNAL, "", f"server file error: {exc.strerror or exc}"
    if isinstance(exc, WorkerStalled):
        return grpc.StatusCode.ABORTED, "", str(exc)
    if isinstance(exc, WorkerCrashed):
        return grpc.StatusCode.INTERNAL, "", str(exc)
    if isinstance(exc, WorkerError):
        return grpc.StatusCode.INTERNAL, "", f"render failed: {exc}"
    return grpc.StatusCode.INTERNAL, "", f"internal error: {type(exc).__name__}"


async def _abort(context, exc: BaseException, closing: bool = False):
    code, field_name, message = status_for(exc, closing)
    trailing = ((FIELD_METADATA_KEY, field_name),) if field_name else ()
    await context.abort(code, message, trailing_metadata=trailing)


# ---------------------------------------------------------------- the service


def _accepted(sub: Subscription) -> pb.Accepted:
    return pb.Accepted(job_id=sub.job_id, key=sub.key, cache_hit=sub.cache_hit, coalesced=sub.coalesced,
                       queue_position=sub.queue_position, total_samples=sub.total_samples)


def _result(sub: Subscription, started: float) -> pb.RenderResult:
    o = sub.outcome()
    return result_to_proto(path=o.path, n_samples=o.n_samples, sample_rate=o.sample_rate, channels=o.channels,
                           sha256=o.sha256, provenance=o.provenance, cache_hit=o.cache_hit,
                           job_id=sub.job_id, key=o.key, seconds=time.monotonic() - started)


def capabilities(model_dirs: dict | None = None, neural=None) -> pb.Capabilities:
    """Everything a client can ask for, from the engine's own tables."""
    from scenefill.engine.models import CATALOG

    caps = pb.Capabilities(
        formats=list(FORMATS), sample_rates=list(SUPPORTED_SAMPLE_RATES), bit_depths=list(BIT_DEPTHS),
        frame_rates=[format_rate(r) for r in KNOWN_RATES],
        loudness_presets=[pb.LoudnessPreset(name=k, lufs=v) for k, v in LOUDNESS_PRESETS.items()],
    )
    from scenefill.engine.backends import backend_states

    for state in (neural.states() if neural is not None else backend_states(model_dirs or {})):
        reason = f" ({'note' if state.available else 'unavailable'}: {state.reason})" if state.reason else ""
        caps.backends.append(pb.Backend(name=state.name, available=state.available, device=state.device,
                                        description=state.description + reason, views=list(state.views)))
    for name, cls in CATALOG.items():
        caps.sound_models.append(pb.SoundModel(name=name, category=cls.category, description=cls.description,
                                               keywords=list(cls.keywords)))
    try:
        from scenefill.engine.speech import DEFAULT_VOICE, builtin_voices

        for name, path in builtin_voices().items():
            caps.voices.append(pb.Voice(name=name, backend="piper", source=str(path),
                                        is_default=name == DEFAULT_VOICE))
    except ImportError:  # pragma: no cover - piper is a dependency
        pass
    return caps


class SceneFillService(pb_grpc.SceneFillServicer):
    def __init__(self, config: ServerConfig, manager: JobManager, pool: WorkerPool, cache: RenderCache) -> None:
        self.config = config
        self.manager = manager
        self.pool = pool
        self.cache = cache
        self.started = time.monotonic()
        self._caps: pb.Capabilities | None = None

    async def _convert(self, msg: pb.RenderRequest):
        """Wire -> engine request in a thread: bounded, but never on the loop every other call shares."""
        return await asyncio.to_thread(request_from_proto, msg, self.config.max_seconds,
                                       self.config.default_backend)

    async def Render(self, request, context):
        started = time.monotonic()
        try:
            engine_request = await self._convert(request)
            sub = await self.manager.open(engine_request)
        except Exception as exc:  # noqa: BLE001 - mapped to a status
            await _abort(context, exc, self.manager.closing)
            return
        try:
            yield pb.RenderEvent(accepted=_accepted(sub))
            last = None
            async for fraction, stage in sub.progress():
                last = fraction
                yield pb.RenderEvent(progress=pb.Progress(fraction=fraction, stage=stage))
            try:
                result = _result(sub, started)
            except Exception as exc:  # noqa: BLE001
                await _abort(context, exc, self.manager.closing)
                return
            if last != 1.0:
                yield pb.RenderEvent(progress=pb.Progress(fraction=1.0, stage="cached" if sub.cache_hit else "done"))
            yield pb.RenderEvent(result=result)
        finally:
            sub.close()  # the last caller leaving cancels the job

    async def RenderBatch(self, request, context):
        items = list(request.items)
        if not items:
            await _abort(context, InvalidRequest("items", "the batch is empty"))
        if len(items) > self.config.max_batch:
            await _abort(context, InvalidRequest(
                "items", f"{len(items)} items is over the batch limit of {self.config.max_batch}"))
        seen: set[str] = set()
        for index, item in enumerate(items):
            if not item.id:
                await _abort(context, InvalidRequest(f"items[{index}].id", "every item needs an id"))
            if len(item.id) > MAX_BATCH_ID_CHARS:
                await _abort(context, InvalidRequest(
                    f"items[{index}].id", f"the id is {len(item.id)} characters long; the limit is {MAX_BATCH_ID_CHARS}"))
            if item.id in seen:
                await _abort(context, InvalidRequest(f"items[{index}].id", f"duplicate id {shown(item.id)}"))
            seen.add(item.id)
        if self.manager.closing:
            await _abort(context, ShuttingDown("the server is shutting down"))
        if self.manager.queue_full():
            await _abort(context, QueueFull(f"the render queue is full ({self.manager.waiting} waiting)"))

        started = time.monotonic()
        out: asyncio.Queue = asyncio.Queue()
        in_flight = asyncio.Semaphore(max(2, 2 * self.pool.size))

        async def run_item(item) -> None:
            sub = None
            try:
                engine_request = await self._convert(item.request)
                async with in_flight:
                    sub = await self.manager.open(engine_request, force=True)
                    out.put_nowait(pb.BatchEvent(id=item.id, accepted=_accepted(sub)))
                    async for fraction, stage in sub.progress():
                        out.put_nowait(pb.BatchEvent(id=item.id, progress=pb.Progress(fraction=fraction, stage=stage)))
                    out.put_nowait(pb.BatchEvent(id=item.id, result=_result(sub, started)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported on the item
                code, field_name, message = status_for(exc, self.manager.closing)
                out.put_nowait(pb.BatchEvent(id=item.id, error=pb.ItemError(
                    code=code.name, field=field_name, message=message)))
            finally:
                if sub is not None:
                    sub.close()

        loop = asyncio.get_running_loop()
        tasks = []
        for item in items:
            task = loop.create_task(run_item(item))
            task.add_done_callback(lambda _t: out.put_nowait(None))
            tasks.append(task)
        remaining = len(tasks)
        try:
            while remaining:
                event = await out.get()
                if event is None:
                    remaining -= 1
                    continue
                yield event
            while not out.empty():  # events queued after the last sentinel (none expected)
                event = out.get_nowait()
                if event is not None:
                    yield event
        finally:
            for task in tasks:
                task.cancel()

    async def Parse(self, request, context):
        from scenefill.engine.api import parse_note

        note = request.note
        try:
            if not note.strip():
                raise InvalidRequest("note", "the scene note is empty")
            if len(note) > MAX_NOTE_CHARS:
                raise InvalidRequest("note", f"the note is longer than {MAX_NOTE_CHARS} characters")
            parsed = await asyncio.to_thread(parse_note, note)
        except InvalidRequest as exc:
            await _abort(context, exc)
            return None
        return pb.ParseResponse(json=json.dumps(parsed, ensure_ascii=False))

    async def ListCapabilities(self, request, context):
        if self._caps is None:
            self._caps = await asyncio.to_thread(capabilities, self.config.model_dirs, self.manager.neural)
        return self._caps

    async def GetInfo(self, request, context):
        c = self.config
        return pb.ServerInfo(
            version=__version__, engine_version=ENGINE_VERSION, device="cpu", workers=self.pool.size,
            limits=pb.Limits(max_seconds=c.max_seconds, max_note_chars=MAX_NOTE_CHARS, max_queue=c.max_queue,
                             max_batch=c.max_batch, max_message_bytes=MAX_MESSAGE_BYTES),
            output_dir=str(Path(c.output_dir).resolve()), cache_dir=str(self.cache.root),
            cache_bytes=self.cache.total_bytes, cache_max_bytes=self.cache.max_bytes,
            cache_entries=len(self.cache), jobs_running=self.manager.running, jobs_queued=self.manager.queued,
            uptime_seconds=time.monotonic() - self.started, token_required=bool(c.token),
            python_version=platform.python_version(), pid=os.getpid(), workers_ready=self.pool.ready_workers,
        )


# ---------------------------------------------------------------- lifecycle


class Daemon:
    """Owns the pieces; ``await run()`` serves until SIGTERM / SIGINT (or :meth:`request_stop`)."""

    def __init__(self, config: ServerConfig, *, announce=None) -> None:
        check_config(config)
        self.config = config
        self.announce = announce or (lambda line: print(line, flush=True))
        self.addresses: list[str] = []
        self._stop = asyncio.Event()
        self._hurry = asyncio.Event()
        self._signals = 0

    def request_stop(self, hurry: bool = False) -> None:
        self._signals += 1
        self._stop.set()
        if hurry or self._signals > 1:
            self._hurry.set()

    async def run(self) -> int:
        c = self.config
        out_dir = Path(c.output_dir).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(out_dir, os.W_OK):
            raise ConfigError(f"cannot write to the output directory {out_dir}")
        removed = clean_output_dir(out_dir)
        if removed:
            log.info("removed %d partial file(s) from an earlier run in %s", removed, out_dir)
        cache = RenderCache(c.resolved_cache_dir, c.cache_max_bytes)
        await asyncio.to_thread(cache.open)
        loop = asyncio.get_running_loop()
        health_servicer = health.aio.HealthServicer()
        health_updates: set[asyncio.Task] = set()

        def on_health(reason: str | None) -> None:
            """No worker can start (reason) or one has (None): what health Check/Watch report."""
            status = health_pb2.HealthCheckResponse.NOT_SERVING if reason else health_pb2.HealthCheckResponse.SERVING
            for name in ("", SERVICE_NAME):
                task = loop.create_task(health_servicer.set(name, status))
                health_updates.add(task)
                task.add_done_callback(health_updates.discard)

        pool = WorkerPool(c.workers, render_impl=c.render_impl, max_seconds=c.max_seconds,
                          start_method=c.start_method, stall_timeout=c.stall_timeout, on_health=on_health)
        manager = JobManager(pool, cache, out_dir, max_queue=c.max_queue)
        from .neural_queue import NeuralService

        def on_backend_health(backend: str, reason: str | None) -> None:
            """A neural backend stalled on every device (reason) or renders again (None); from any thread."""
            status = health_pb2.HealthCheckResponse.NOT_SERVING if reason else health_pb2.HealthCheckResponse.SERVING

            def apply() -> None:
                task = loop.create_task(health_servicer.set(backend_health_name(backend), status))
                health_updates.add(task)
                task.add_done_callback(health_updates.discard)

            loop.call_soon_threadsafe(apply)

        manager.neural = NeuralService(c.model_dirs, device=c.device, on_health=on_backend_health,
                                       stall=StallPolicy(c.neural_stall_base, c.neural_stall_per_step))
        service = SceneFillService(c, manager, pool, cache)
        self.pool, self.manager, self.cache = pool, manager, cache

        interceptors = [TokenInterceptor(c.token)] if c.token else []
        server = grpc.aio.server(interceptors=interceptors, maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS, options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ])
        pb_grpc.add_SceneFillServicer_to_server(service, server)
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        reflection.enable_server_reflection(
            (pb.DESCRIPTOR.services_by_name["SceneFill"].full_name, health.SERVICE_NAME, reflection.SERVICE_NAME),
            server)
        await health_servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)

        try:
            if c.port is not None:
                address = _tcp_address(c.host, c.port)
                try:
                    port = server.add_insecure_port(address)
                except RuntimeError:
                    port = 0
                if not port:
                    raise ConfigError(f"cannot listen on {address} (address in use or not available)")
                self.addresses.append(_tcp_address(c.host, port))
            if c.socket_path is not None:
                sock = Path(c.socket_path).expanduser().resolve()
                _prepare_socket_path(sock)
                try:
                    ok = server.add_insecure_port(f"unix://{sock}")
                except RuntimeError:
                    ok = 0
                if not ok:
                    raise ConfigError(f"cannot listen on unix socket {sock}")
                self.addresses.append(f"unix://{sock}")
        except BaseException:
            cache.close()
            raise

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        await server.start()
        if c.socket_path is not None:
            os.chmod(Path(c.socket_path).expanduser().resolve(), 0o600)
        await pool.start()
        if pool.unavailable_reason is None:  # SERVING while the workers warm up: requests queue for them
            await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
            await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        for backend in manager.neural.model_dirs:   # NOT_SERVING while a stall keeps it from rendering
            await health_servicer.set(backend_health_name(backend), health_pb2.HealthCheckResponse.SERVING)
        for address in self.addresses:
            self.announce(f"scenefill serve: listening on {address}")
        log.info("serving %s; output %s; cache %s (%d entries, %.1f MB of %.1f MB); %d %s workers",
                 ", ".join(self.addresses), out_dir, cache.root, len(cache), cache.total_bytes / 1e6,
                 cache.max_bytes / 1e6, pool.size, pool.start_method)
        loop.run_in_executor(None, _warm_main_process)

        await self._stop.wait()

        # ---- graceful shutdown: stop taking work, let running renders finish for the grace period,
        # then cancel what is left (workers stop within one block and delete their temp files).
        log.info("shutting down: finishing running renders (grace %.1f s)", c.shutdown_grace)
        manager.stop_accepting()
        await health_servicer.enter_graceful_shutdown()
        stop_task = loop.create_task(server.stop(c.shutdown_grace))
        hurry_task = loop.create_task(self._hurry.wait())
        await asyncio.wait([stop_task, hurry_task], return_when=asyncio.FIRST_COMPLETED)
        if not stop_task.done():
            log.info("second signal: abandoning running renders")
            manager.cancel_all()
        await stop_task
        hurry_task.cancel()
        manager.cancel_all()
        if not await manager.drain(timeout=30.0):
            log.warning("some renders did not stop in time")
        await pool.close()
        await asyncio.to_thread(manager.neural.close)
        cache.close()
        if c.socket_path is not None:
            Path(c.socket_path).expanduser().resolve().unlink(missing_ok=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        log.info("stopped")
        return 0


def _warm_main_process() -> None:
    """Import what the first request needs in the daemon itself (request keys, parser) off the loop."""
    try:
        from scenefill.engine import api  # noqa: F401
    except Exception:  # pragma: no cover
        log.debug("warm-up import failed", exc_info=True)


def serve(config: ServerConfig) -> int:
    """Run a daemon in this process until SIGTERM / SIGINT; returns the exit code."""
    return asyncio.run(Daemon(config).run())
