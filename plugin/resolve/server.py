"""Reach the SceneFill daemon: ``SCENEFILL_SERVER`` or the default address, started on request.

Resolve's Python must not render in-process (the engine forks workers), so the
jobs always render on a daemon. When none answers, the job says how to start
one, or starts ``scenefill serve`` itself when asked to (``start_server=True``
or ``SCENEFILL_AUTOSTART=1``), using the ``scenefill`` command the installer
recorded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .errors import ResolveJobError

DEFAULT_ADDRESS = "127.0.0.1:50051"


def server_address(server: str | None = None) -> str:
    return (server or os.environ.get("SCENEFILL_SERVER") or DEFAULT_ADDRESS).strip()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def scenefill_command() -> str | None:
    """The ``scenefill`` executable: $SCENEFILL_EXE, the one the installer recorded, or on PATH."""
    exe = os.environ.get("SCENEFILL_EXE")
    if exe:
        return exe
    try:
        from .install import recorded_command

        exe = recorded_command()
    except Exception:  # noqa: BLE001
        exe = None
    return exe or shutil.which("scenefill")


def _reachable(address: str, timeout: float) -> bool:
    from ..client import SceneFillClient, ServerUnavailable

    client = SceneFillClient(address)
    try:
        client.wait_ready(timeout=timeout)
        return True
    except ServerUnavailable:
        return False
    finally:
        client.close()


def start_daemon(address: str, timeout: float = 60.0) -> int:
    """Start ``scenefill serve`` in the background for ``address``, wait until it answers; its pid."""
    exe = scenefill_command()
    if not exe:
        raise ResolveJobError("cannot start a SceneFill server: the `scenefill` command was not found "
                              "(run `scenefill resolve install` again, or set SCENEFILL_EXE)")
    args = [exe, "serve"]
    if address.startswith("unix:"):
        args += ["--socket", address[len("unix://"):] if address.startswith("unix://") else address[len("unix:"):]]
    else:
        host, _, port = address.rpartition(":")
        if not port.isdigit():
            raise ResolveJobError(f"cannot start a SceneFill server for the address {address!r}")
        args += ["--host", host.strip("[]") or "127.0.0.1", "--port", port]
    log_dir = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "scenefill"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "serve.log"
    with open(log, "ab") as fh:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, start_new_session=True,
                                close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ResolveJobError(f"`scenefill serve` exited at once (status {proc.returncode}); see {log}")
        if _reachable(address, 1.0):
            return proc.pid
    raise ResolveJobError(f"started `scenefill serve` but nothing answers at {address} after {timeout:g} s; "
                          f"see {log}")


def connect(server: str | None = None, start: bool | None = None, wait: float = 2.0) -> tuple[str, int | None]:
    """(address of a daemon that answers, pid when this call started it), or ResolveJobError saying what to do."""
    address = server_address(server)
    if _reachable(address, wait):
        return address, None
    if start is None:
        start = _truthy(os.environ.get("SCENEFILL_AUTOSTART"))
    if not start:
        raise ResolveJobError(
            f"no SceneFill server answers at {address}: start one in a terminal with `scenefill serve` "
            "(or set SCENEFILL_AUTOSTART=1 to let SceneFill start it), then run again")
    return address, start_daemon(address)
