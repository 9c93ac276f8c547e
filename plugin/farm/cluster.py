"""Find Ray and connect to a cluster.

``ADDRESS`` forms: ``ray://host:10001`` (Ray Client, from a workstation outside the
cluster), ``auto`` (a node of a running cluster), ``host:6379`` (a head node's GCS),
``local`` or nothing (a private Ray started on this machine for the job and stopped after,
even when another Ray runs here: use ``auto`` for that one).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re

INSTALL_HINT = "pip install 'scenefill[farm]'"
LOCAL = "local"
ENV = "SCENEFILL_RAY"
_HOST_PORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


def require_ray() -> None:
    """Raise RuntimeError with the install line when Ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise RuntimeError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}")


def normalize_address(address: str | None, field: str = "--ray") -> str:
    """``None``/``""``/``local`` -> ``local``; ``auto``, ``ray://...`` and ``host:port`` as given.

    Anything else is refused with a hint: ``--ray`` takes an optional value, so a timeline
    name written right after it would otherwise be taken for the address.
    """
    text = (address or "").strip()
    if not text or text.lower() in (LOCAL, "1", "true", "yes"):
        return LOCAL
    if text == "auto" or text.startswith("ray://") or _HOST_PORT.match(text):
        return text
    hint = " (write --ray=ADDRESS, or put --ray after the timeline)" if field == "--ray" else ""
    raise ValueError(f"{field}: {text!r} is not a Ray address; use ray://HOST:10001, auto, HOST:PORT "
                     f"or local{hint}")


def env_address() -> str | None:
    """The ``SCENEFILL_RAY`` setting, or None when unset or empty."""
    value = os.environ.get(ENV, "").strip()
    return value or None


class Connection:
    """Ray connected for one job; the private local Ray it started is shut down on close.

    When this process is already connected (a test, a notebook, a driver script run with
    ``ray job submit``), that connection is used and left open.
    """

    def __init__(self, address: str, *, num_cpus: int | None = None,
                 object_store_memory: int | None = None):
        require_ray()
        self.address = normalize_address(address)
        self.num_cpus = num_cpus
        self.object_store_memory = object_store_memory
        self.started = False

    def open(self):
        import ray

        if ray.is_initialized():
            return ray
        kwargs = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_log = logging.getLogger("ray")
        level = ray_log.level
        ray_log.setLevel(logging.ERROR)     # its start-up notices are not the user's business
        try:
            if self.address == LOCAL:
                # address="local": always a private Ray, never a stray one this machine runs
                ray.init(address="local", num_cpus=self.num_cpus,
                         object_store_memory=self.object_store_memory, **kwargs)
            elif self.address.startswith("ray://"):
                ray.init(address=self.address)
            else:
                ray.init(address=self.address, **kwargs)
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, grpc errors ...
            where = "start a local Ray" if self.address == LOCAL else f"reach the Ray cluster at {self.address}"
            text = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise RuntimeError(f"cannot {where}: {text}") from None
        finally:
            ray_log.setLevel(level)
        self.started = True
        return ray

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
            self.started = False
