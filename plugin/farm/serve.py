"""The engine as a Ray Serve deployment: GPU backends for the whole farm.

A neural backend wants its model loaded once and kept warm on a GPU, and requests from
many editors batched into one forward pass. Ray Serve gives exactly that: one replica per
GPU (``num_gpus=1`` each), requests routed to the least busy replica, and ``serve.batch``
gathering requests that arrive together. The deployment wraps the engine's own render
call and passes ``RenderRequest.backend`` through, so it serves whatever backends the
engine on the cluster has (the procedural one on CPU replicas, for tests).

Two ways in:

* :func:`deploy` -- start (or update) the ``scenefill`` Serve application on a cluster.
* :func:`render_via_serve` -- a ``render_impl`` for the daemon's workers
  (``scenefill serve --ray ADDRESS``): editors keep their usual daemon address, its
  cache and queue; the renders happen on the farm's replicas and the bytes come back
  to the daemon, which publishes them atomically as always.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from .tasks import DEFAULT_RENDER_IMPL, error_payload, load_impl, raise_payload

APP_NAME = "scenefill"
DEPLOYMENT_NAME = "SceneFillEngine"
DEFAULT_MAX_BATCH = 8
DEFAULT_BATCH_WAIT_S = 0.02


class SceneFillEngine:
    """One replica: the engine, warm, rendering batches of requests to bytes."""

    def __init__(self, render_impl: str = DEFAULT_RENDER_IMPL):
        from scenefill import ENGINE_VERSION

        self.render = load_impl(render_impl)
        self.engine = ENGINE_VERSION

    def render_many(self, items: list[dict]) -> list[dict]:
        """Render each item ({request, name, source_date_epoch}) to bytes; an error is returned
        in the item's slot, so one bad request does not fail its batch-mates."""
        import tempfile

        from scenefill.engine.request import RenderRequest

        out = []
        for item in items:
            t0 = time.perf_counter()
            sde = item.get("source_date_epoch")
            if sde is not None:
                os.environ["SOURCE_DATE_EPOCH"] = sde
            else:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            try:
                with tempfile.TemporaryDirectory(prefix="scenefill-serve-") as tmp:
                    path = Path(tmp) / item["name"]
                    result = self.render(RenderRequest(**item["request"]), path)
                    data = path.read_bytes()
                out.append({"data": data, "sha256": result.sha256, "n_samples": result.n_samples,
                            "engine": self.engine, "seconds": time.perf_counter() - t0,
                            "batch": len(items)})
            except Exception as exc:  # noqa: BLE001 - travels back to the caller as a value
                out.append({"error": error_payload(exc), "engine": self.engine, "batch": len(items)})
        return out

    async def batched(self, items: list[dict]) -> list[dict]:
        # the render is CPU/GPU-bound: keep the replica's event loop free to gather the next batch
        return await asyncio.to_thread(self.render_many, items)

    async def __call__(self, item: dict) -> dict:
        return await self._batched(item)


def build_app(*, render_impl: str = DEFAULT_RENDER_IMPL, replicas: int = 1, gpus_per_replica: float = 0.0,
              max_batch_size: int = DEFAULT_MAX_BATCH, batch_wait_s: float = DEFAULT_BATCH_WAIT_S):
    """The Serve application (not yet running): ``replicas`` copies of :class:`SceneFillEngine`."""
    from ray import serve

    class Replica(SceneFillEngine):
        @serve.batch(max_batch_size=max_batch_size, batch_wait_timeout_s=batch_wait_s)
        async def _batched(self, items: list[dict]) -> list[dict]:
            return await self.batched(items)

    cls = Replica
    actor = {"num_gpus": gpus_per_replica} if gpus_per_replica else {"num_cpus": 1}
    dep = serve.deployment(name=DEPLOYMENT_NAME, num_replicas=replicas, ray_actor_options=actor,
                           max_ongoing_requests=2 * max_batch_size)(cls)
    return dep.bind(render_impl)


def deploy(*, render_impl: str = DEFAULT_RENDER_IMPL, replicas: int | None = None,
           max_batch_size: int = DEFAULT_MAX_BATCH, batch_wait_s: float = DEFAULT_BATCH_WAIT_S):
    """Run the ``scenefill`` application on the connected cluster; returns its handle.

    One replica per GPU of the cluster, each holding one GPU; with no GPU, ``replicas``
    CPU replicas (default 1). No HTTP proxy is started: callers use the handle.
    """
    import ray
    from ray import serve

    gpus = int(ray.cluster_resources().get("GPU", 0))
    if replicas is None:
        replicas = gpus or 1
    serve.start(proxy_location="Disabled")
    app = build_app(render_impl=render_impl, replicas=replicas, gpus_per_replica=1.0 if gpus else 0.0,
                    max_batch_size=max_batch_size, batch_wait_s=batch_wait_s)
    return serve.run(app, name=APP_NAME, route_prefix=None)


def get_handle():
    from ray import serve

    return serve.get_deployment_handle(DEPLOYMENT_NAME, app_name=APP_NAME)


_handle = None


def _connected_handle():
    """This process's handle, connecting to ``SCENEFILL_RAY`` first (a daemon worker)."""
    global _handle
    if _handle is None:
        import ray

        from .cluster import env_address, normalize_address

        if not ray.is_initialized():
            address = normalize_address(env_address() or "auto")
            if address == "local":
                address = "auto"
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        _handle = get_handle()
    return _handle


def render_via_serve(request, path, *, progress=None, cancel=None, max_seconds=None):
    """A ``render_impl`` with the engine's signature: render on the Serve deployment, then
    write the bytes at ``path`` atomically. Errors come back as the engine raised them."""
    from scenefill import ENGINE_VERSION
    from scenefill.engine.api import RenderResult
    from scenefill.engine.errors import Cancelled

    from .ray_renderer import write_atomically

    if max_seconds:
        request.validate(max_seconds)
    else:
        request.validate()
    if cancel and cancel():          # checked once: a render on a replica runs to its end
        raise Cancelled("cancelled before it started")
    path = Path(path)
    reply = _connected_handle().remote({
        "request": request.to_dict(), "name": path.name,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH")}).result()
    if reply.get("engine") != ENGINE_VERSION:
        raise RuntimeError(f"the farm runs {reply.get('engine')}, this daemon {ENGINE_VERSION}: "
                           "install the same scenefill on every node")
    if "error" in reply:
        raise_payload(reply["error"])
    write_atomically(reply["data"], path)
    if progress:
        progress(1.0, "done")
    return RenderResult(path=path, n_samples=reply["n_samples"], sample_rate=request.sample_rate,
                        channels=request.channels, sha256=reply["sha256"])


RENDER_IMPL = "scenefill.plugin.farm.serve:render_via_serve"


def is_running() -> bool:
    """True when the cluster already runs the ``scenefill`` application (the farm's own
    deployment, with its replica count and batch settings: daemons attach to it)."""
    from ray import serve

    try:
        app = serve.status().applications.get(APP_NAME)
    except Exception:  # noqa: BLE001 - no Serve on this cluster yet
        return False
    return app is not None and str(getattr(app.status, "value", app.status)) == "RUNNING"


def attach_daemon(address: str | None, *, max_batch_size: int = DEFAULT_MAX_BATCH):
    """For ``scenefill serve --ray``: connect, deploy the application unless the cluster
    already runs it, and point the daemon's
    workers at it (``SCENEFILL_RAY`` in their environment). Returns the open
    :class:`~.cluster.Connection` (close it when the daemon stops: a local Ray goes with it)
    and the ``render_impl`` for the daemon's configuration. RuntimeError when Ray is missing
    or the cluster cannot be reached."""
    from .cluster import Connection, normalize_address

    try:
        conn = Connection(normalize_address(address))
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    ray = conn.open()
    try:
        if not is_running():
            deploy(max_batch_size=max_batch_size)
    except Exception as exc:  # noqa: BLE001
        conn.close()
        raise RuntimeError(f"cannot deploy the SceneFill Serve application: {exc}") from None
    if conn.address.startswith("ray://"):
        os.environ["SCENEFILL_RAY"] = conn.address
    else:
        os.environ["SCENEFILL_RAY"] = ray.get_runtime_context().gcs_address
    return conn, RENDER_IMPL
