"""Run a real daemon in a child process: for tests, benchmarks and adapter tests.

    with DaemonProcess(tmp_path / "out", "--workers", "1") as daemon:
        with SceneFillClient(daemon.address) as client:
            ...
        daemon.wait_log(r"status=ok")

The daemon listens on an ephemeral loopback port (``--port 0``); its address is
read from the ``listening on`` line it prints. Its log (stderr) goes to a file
so tests can look for the one-line-per-job records.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().decode(errors="replace").rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 if gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class DaemonProcess:
    def __init__(self, output_dir: str | Path, *args: str, workers: int | None = None,
                 env: dict | None = None, port: bool = True, cwd: str | Path | None = None) -> None:
        self.output_dir = Path(output_dir)
        self.args = list(args)
        if workers is not None:
            self.args += ["--workers", str(workers)]
        self.env = env
        self.port = port
        self.cwd = cwd  # the daemon's working directory (default: the caller's)
        self.proc: subprocess.Popen | None = None
        self.address: str | None = None
        self.addresses: list[str] = []
        self.log_path = self.output_dir.parent / f"{self.output_dir.name}.daemon.log"
        self.started_at: float | None = None

    @property
    def cache_dir(self) -> Path:
        if "--cache-dir" in self.args:
            return Path(self.args[self.args.index("--cache-dir") + 1])
        return self.output_dir / ".cache"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> "DaemonProcess":
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "scenefill.server"]
        if self.port:
            cmd += ["--port", "0"]
        cmd += ["--output-dir", str(self.output_dir), *self.args]
        env = dict(os.environ)
        env.update(self.env or {})
        self._log = open(self.log_path, "ab")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, env=env,
                                     start_new_session=True, cwd=self.cwd)
        deadline = time.monotonic() + timeout
        buffer = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError(f"daemon did not start in {timeout} s:\n{self.log()}")
            ready, _, _ = select.select([self.proc.stdout], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    self.proc.wait()
                    raise RuntimeError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
                buffer += chunk
                self.addresses = re.findall(r"listening on (\S+)", buffer.decode())
                expected = int(self.port) + int("--socket" in self.args)
                if len(self.addresses) >= expected and buffer.endswith(b"\n"):
                    self.address = self.addresses[0]
                    return self
            elif self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 120.0, count: int = 1) -> list[str]:
        """Lines of the daemon log matching ``pattern`` once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            lines = [line for line in self.log().splitlines() if rx.search(line)]
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} log line(s) matching {pattern!r}:\n{self.log()}")
            time.sleep(0.05)

    def wait_workers(self, timeout: float = 120.0) -> None:
        """Until every worker has warmed up (GetInfo.workers_ready)."""
        from scenefill.plugin.client import SceneFillClient

        deadline = time.monotonic() + timeout
        with SceneFillClient(self.address) as client:
            while True:
                info = client.info()
                if info["workers_ready"] >= info["workers"]:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError("workers did not become ready")
                time.sleep(0.05)

    def descendants(self) -> list[int]:
        return descendants(self.proc.pid)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def terminate(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def kill_group(self) -> None:
        """SIGKILL the daemon and every process in its session (workers, forkserver)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            raise

    def close(self) -> None:
        if self.proc is not None:
            try:
                if self.proc.poll() is None:
                    self.terminate(60.0)
            finally:
                # anything of ours still around (only after a failed test) goes too
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                if self.proc.stdout:
                    self.proc.stdout.close()
                self._log.close()

    def __enter__(self) -> "DaemonProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
