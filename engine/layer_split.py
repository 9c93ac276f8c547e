"""A render on two cores: a forked helper renders some of the scene's layers while
this process renders the rest, mixes, limits and writes.

Why a process and not threads: the sound models are many small numpy and scipy
calls, and under the GIL two threads rendering layers were slower than one
(measured on the bench scene: 0.16 s of models serially, 0.20 s on two threads).
The layers are independent streams, so a forked copy of the planned models can
run ahead on its own core; each block it renders goes back through shared
memory (a ring of a few blocks), never pickled.

Why it is safe to fork here, and only here:
- only on Linux, and only when the calling process runs one thread: a fork copies
  no other thread, so a lock another thread held (onnxruntime's, a BLAS pool's)
  would never be released in the child. The CLI's render is single-threaded; a
  render after Piper has spoken, or inside the daemon, stays serial.
- the child only renders blocks and writes them into shared memory; it never
  returns into the caller's code (``os._exit`` on every path), ignores Ctrl-C
  (the parent owns the render and ends it), and dies with its parent.
- every wait on the child is bounded: a child that dies, fails or stops making
  progress ends the render with an error naming why, and the child is killed.

The split is made after two blocks rendered here: the second block's timings
(the first carries one-off set-up) decide which layers the helper takes so the
two processes finish their blocks at about the same time. The models run in the
same order on the same state either way, so the audio is bit-identical.
"""

from __future__ import annotations

import mmap
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
from itertools import combinations
from typing import Sequence

import numpy as np

from .errors import SceneFillError

RING = 4                 # blocks the helper may run ahead
STALL_TIMEOUT_S = 120.0  # no block from the helper for this long: it is stopped or wedged
_OK, _FAILED = b"\x01", b"\x02"
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
MIN_GAIN = 0.1           # a split must save a tenth of each block's time
ENV_PROCESSES = "SCENEFILL_PROCESSES"  # "1" keeps every render in one process
BUSY_MARGIN = 0.5  # a helper is forked only while the load average leaves this much of a core idle


def cores_available() -> float:
    """Cores this process may use: its CPU affinity, capped by its cgroup's CPU quota (a
    container's ``--cpus``), not the machine's count."""
    try:
        cores: float = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return min(cores, quota) if quota is not None else cores


def _cgroup_cpu_quota() -> float | None:
    """The CPU quota (in cores) of this process's cgroup and its parents, v2 or v1; None: no quota."""
    try:
        with open("/proc/self/cgroup") as fh:
            lines = [line.rstrip("\n").split(":", 2) for line in fh]
    except OSError:
        return None
    quotas = []
    for _, controllers, path in (line for line in lines if len(line) == 3):
        if controllers == "":  # v2: "max 100000" or "150000 100000" in cpu.max
            files = [("/sys/fs/cgroup", path, "cpu.max")]
        elif "cpu" in controllers.split(","):  # v1: quota and period in microseconds
            files = [("/sys/fs/cgroup/cpu", path, "cpu.cfs_quota_us"),
                     ("/sys/fs/cgroup/cpu,cpuacct", path, "cpu.cfs_quota_us")]
        else:
            continue
        for root, rel, name in files:
            parts = [p for p in rel.split("/") if p]
            for depth in range(len(parts), -1, -1):  # the cgroup itself, then each parent
                quota = _read_quota(os.path.join(root, *parts[:depth], name))
                if quota is not None:
                    quotas.append(quota)
    return min(quotas) if quotas else None


def _read_quota(path: str) -> float | None:
    try:
        with open(path) as fh:
            fields = fh.read().split()
        if path.endswith("cpu.max"):
            quota, period = fields[0], fields[1]
        else:
            with open(path.replace("cpu.cfs_quota_us", "cpu.cfs_period_us")) as fh:
                quota, period = fields[0], fh.read().split()[0]
        if quota in ("max", "-1"):
            return None
        return int(quota) / int(period)
    except (OSError, ValueError, IndexError, ZeroDivisionError):
        return None


def _machine_busy() -> bool:
    """Whether the machine's other work would leave a helper no core of its own: the one-minute
    load average within half a core of the CPU count, and as many other tasks runnable right now
    (the average lags a finished burst by a minute or two; the count alone flickers). Measured on
    2 cores: at a load of 2.5-3.5 a two-process render took 3.6-4.2 s for 10 minutes of scene,
    one process 3.2-3.4 s."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return False
    limit = (os.cpu_count() or 1) - BUSY_MARGIN
    return load > limit and _runnable_others() > limit


def _runnable_others() -> float:
    """Tasks runnable now besides this one (/proc/loadavg's fourth field); infinite when unknown,
    so the load average alone decides."""
    try:
        with open("/proc/loadavg") as fh:
            running = fh.read().split()[3].split("/")[0]
        return int(running) - 1
    except (OSError, IndexError, ValueError):
        return float("inf")


def _single_threaded() -> bool:
    """True when this process has one thread (native ones included: /proc counts them all)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # pragma: no cover - no procfs: we cannot tell, so we do not fork
        return False


def allowed_by_environment() -> bool:
    """``SCENEFILL_PROCESSES``: unset, empty or a whole number of 2 or more lets a render use a
    helper; 1, 0 or anything else (a typo) keeps it in one process, the safe reading."""
    value = os.environ.get(ENV_PROCESSES, "").strip()
    return value == "" or (value.isdigit() and int(value) >= 2)


def can_split(processes: int) -> bool:
    """Whether a render asked to use ``processes`` processes may fork a helper now."""
    if processes < 2 or not allowed_by_environment():
        return False
    return sys.platform.startswith("linux") and hasattr(os, "fork") and cores_available() >= 2 \
        and _single_threaded() and not _machine_busy()


def choose_helper_layers(layer_seconds: Sequence[float], parent_fixed_s: float) -> list[int]:
    """The layers the helper renders: the split that makes the slower side fastest.

    The parent also mixes, limits and writes (``parent_fixed_s`` per block), so the
    helper usually takes the heavier layers. Exact over every subset up to 12 layers,
    greedy (heaviest first, to the lighter side) beyond. Empty when the split would save
    less than MIN_GAIN of a block's time: the fork and the hand-over are not free.
    """
    n = len(layer_seconds)
    total = sum(layer_seconds)
    serial = total + parent_fixed_s
    best: tuple[float, tuple[int, ...]] = (serial, ())
    if n <= 12:
        for size in range(1, n + 1):
            for subset in combinations(range(n), size):
                helper = sum(layer_seconds[i] for i in subset)
                slowest = max(helper, total - helper + parent_fixed_s)
                if slowest < best[0] - 1e-12:
                    best = (slowest, subset)
    else:
        helper, parent, picked = 0.0, parent_fixed_s, []
        for i in sorted(range(n), key=lambda i: -layer_seconds[i]):
            if helper <= parent:
                helper += layer_seconds[i]
                picked.append(i)
            else:
                parent += layer_seconds[i]
        if max(helper, parent) < serial:
            best = (max(helper, parent), tuple(picked))
    return sorted(best[1]) if best[0] <= (1 - MIN_GAIN) * serial else []


def start_helper(models: list, layer_seconds: Sequence[float], parent_fixed_s: float,
                 like: Sequence[np.ndarray], block: int) -> "LayerHelper | None":
    """Fork a helper for the layers that balance the two cores (:func:`choose_helper_layers`);
    None when no split pays, or when the system refuses a second process (a pids limit, no file
    descriptors, no memory for the ring): the render then simply goes on in one."""
    mine = choose_helper_layers(layer_seconds, parent_fixed_s)
    if not mine:
        return None
    helper = None
    try:
        # Ctrl-C, SIGTERM and SIGHUP wait until the fork is done: Python runs a handler at the next
        # chance, and during a fork that is inside an at-fork hook (logging's lock release), where
        # the CLI's "stop now" exception is printed as ignored and the render went on to the end
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            helper = LayerHelper(models, mine, like, block)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a signal that came meanwhile acts here
        return helper
    except OSError:
        return None
    except BaseException:  # stopped as the fork finished: the helper must not outlive the render
        if helper is not None:
            helper.close()
        raise


class HelperFailed(SceneFillError):
    """The helper process died or stopped; the render cannot go on (a model's own
    exception in the helper is raised as itself, with the helper's traceback as a note)."""


class LayerHelper:
    """A forked process rendering ``indices`` of ``models`` block after block.

    :meth:`next_blocks` gives every layer's next block (the helper's are views of shared
    memory, valid until :meth:`release`); :meth:`close` stops it.
    """

    def __init__(self, models: list, indices: Sequence[int], like: Sequence[np.ndarray], block: int) -> None:
        self.indices = list(indices)
        self._theirs = set(self.indices)
        self.names = ", ".join(type(models[i]).__name__ for i in self.indices)  # for messages
        self.block = block
        self.shapes = [(like[i].shape, like[i].dtype) for i in self.indices]
        self.slot_bytes = sum(int(np.prod(s)) * d.itemsize for s, d in self.shapes)
        self.next_slot = 0
        self.pid = 0
        # Any of these may be refused (a pids limit, no file descriptors, no memory): the OSError
        # goes to the caller, which renders in one process; nothing opened here is left open.
        self.shm = mmap.mmap(-1, RING * self.slot_bytes)  # anonymous and shared: the child writes, we read
        opened: list[int] = []
        try:
            self._data_r, data_w = os.pipe()
            opened += [self._data_r, data_w]
            ack_r, self._ack_w = os.pipe()
            opened += [ack_r, self._ack_w]
            self.pid = os.fork()
        except BaseException:
            for fd in opened:
                os.close(fd)
            self.shm.close()
            raise
        if self.pid == 0:  # the child: never returns
            os.close(self._data_r)
            os.close(self._ack_w)
            self._child(models, data_w, ack_r)
        os.close(data_w)
        os.close(ack_r)

    # -- parent side ---------------------------------------------------------------------------
    def _views(self, slot: int) -> list[np.ndarray]:
        out, offset = [], slot * self.slot_bytes
        for shape, dtype in self.shapes:
            count = int(np.prod(shape))
            out.append(np.frombuffer(self.shm, dtype=dtype, count=count, offset=offset).reshape(shape))
            offset += count * dtype.itemsize
        return out

    def _read_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            ready, _, _ = select.select([self._data_r], [], [], STALL_TIMEOUT_S)
            if not ready:
                raise HelperFailed(f"the helper process rendering {self.names} made no progress "
                                   f"for {STALL_TIMEOUT_S:g} s (stopped?); render stopped")
            piece = os.read(self._data_r, n - len(data))
            if not piece:
                raise HelperFailed(f"the helper process rendering {self.names} {self._exit_status()}; "
                                   "render stopped")
            data += piece
        return data

    def _exit_status(self) -> str:
        try:
            pid, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "ended"
        self.pid = 0
        if os.WIFSIGNALED(status):
            return f"was killed by signal {os.WTERMSIG(status)}"
        return f"exited with status {os.WEXITSTATUS(status)}"

    def blocks(self) -> list[np.ndarray]:
        """The helper's next block of each of its layers (views into shared memory)."""
        tag = self._read_exactly(1)
        if tag == _FAILED:
            size = struct.unpack("<I", self._read_exactly(4))[0]
            exc, text = pickle.loads(self._read_exactly(size))
            if hasattr(exc, "add_note"):  # Python 3.11+; the exception itself is the same either way
                exc.add_note(f"raised in the helper process rendering {self.names}:\n{text}")
            raise exc
        views = self._views(self.next_slot)
        self.next_slot = (self.next_slot + 1) % RING
        return views

    def next_blocks(self, models: list) -> list[np.ndarray]:
        """Every layer's next block: this process renders its own (in layer order), the helper's
        come from shared memory. Call :meth:`release` once they are mixed."""
        out: list = [None] * len(models)
        for i, model in enumerate(models):
            if i not in self._theirs:
                out[i] = model.next_block(self.block)
        for i, block in zip(self.indices, self.blocks()):
            out[i] = block
        return out

    def release(self) -> None:
        """The views of the last :meth:`blocks` are no longer used: the helper may reuse the slot."""
        try:
            os.write(self._ack_w, _OK)
        except BrokenPipeError:  # the helper is gone; the next blocks() says why
            pass

    def close(self) -> None:
        """Stop the helper (it may be blocks ahead) and reap it."""
        for fd in (self._ack_w, self._data_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0
        # the ring itself is unmapped when the last view of it (a block still being mixed) is gone

    # -- child side ----------------------------------------------------------------------------
    def _child(self, models: list, data_w: int, ack_r: int) -> None:
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent owns the render and ends it
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler: nothing here to clean up
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held by the parent around the fork
            _die_with_parent()
            mine = [models[i] for i in self.indices]
            credits, slot = RING, 0
            while True:
                while credits == 0:
                    got = os.read(ack_r, 64)
                    if not got:  # the parent closed the ring: done
                        os._exit(0)
                    credits += len(got)
                for model, view, (shape, dtype) in zip(mine, self._views(slot), self.shapes):
                    out = model.next_block(self.block)
                    if out.shape != shape or out.dtype != dtype:
                        raise RuntimeError(f"{type(model).__name__} returned a block of {out.shape} {out.dtype}, "
                                           f"not {shape} {dtype}")
                    view[...] = out
                os.write(data_w, _OK)
                credits -= 1
                slot = (slot + 1) % RING
        except BrokenPipeError:  # the parent is gone
            code = 0
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            code = 1
            text = traceback.format_exc()
            try:
                payload = pickle.dumps((exc, text))
                pickle.loads(payload)  # an exception that cannot be rebuilt goes back as text
            except Exception:
                payload = pickle.dumps((HelperFailed(f"{type(exc).__name__}: {exc}"), text))
            try:
                os.write(data_w, _FAILED + struct.pack("<I", len(payload)) + payload)
            except OSError:
                pass
        finally:
            os._exit(code)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (kill -9 included)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(0)
    except Exception:  # pragma: no cover - without it, the closed pipes still end the child
        pass


def time_blocks(models: list, block: int) -> tuple[list[np.ndarray], list[float]]:
    """One block of every model, and the seconds each took."""
    blocks, seconds = [], []
    for model in models:
        start = time.perf_counter()
        blocks.append(model.next_block(block))
        seconds.append(time.perf_counter() - start)
    return blocks, seconds
