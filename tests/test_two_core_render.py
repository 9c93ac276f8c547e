"""An editor renders a minute of scene from the shell: the CLI puts some of the layers on the
second core, and whatever happens to that helper process, the editor gets either the very same
file a one-core render writes, or a clear error, an empty folder and no process left behind."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scenefill.engine import layer_split
from scenefill.engine.api import render_to_file
from scenefill.engine.request import RenderRequest

SCRIPT = Path(__file__).with_name("two_core_script.py")
SCENEFILL = Path(sys.executable).parent / "scenefill"
SCENE = "heavy rain, gusty wind, city traffic, calm piano music"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux")
                                or layer_split.cores_available() < 2, reason="two cores on Linux")


def _run(mode: str, out: Path, seconds: float = 12.0, note: str = SCENE) -> dict:
    proc = subprocess.run([sys.executable, str(SCRIPT), mode, note, str(seconds), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@linux_only
def test_a_two_core_render_is_the_one_core_file_to_the_byte(tmp_path):
    report = _run("normal", tmp_path / "two.wav")
    assert report["error"] is None and report["children"] == "none"
    assert len(report["helpers"]) == 1 and report["split"][0], "no helper took a layer"
    render_to_file(RenderRequest(note=SCENE, n_samples=12 * 48000), tmp_path / "one.wav")
    assert _digest(tmp_path / "two.wav") == _digest(tmp_path / "one.wav")


@linux_only
def test_a_short_render_is_not_worth_a_fork(tmp_path):
    report = _run("normal", tmp_path / "short.wav", seconds=3.0)
    assert report["error"] is None and report["helpers"] == []


@linux_only
def test_the_cli_writes_the_same_file_on_two_cores_as_on_one(tmp_path):
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    for name, processes in (("two.wav", ""), ("one.wav", "1")):
        subprocess.run([str(SCENEFILL), "render", SCENE, "--seconds", "9", "-q", "-o", str(tmp_path / name)],
                       check=True, timeout=120, env={**env, layer_split.ENV_PROCESSES: processes})
    assert _digest(tmp_path / "two.wav") == _digest(tmp_path / "one.wav")


@linux_only
def test_a_model_failing_in_the_helper_fails_the_render_with_its_own_error(tmp_path):
    report = _run("raise", tmp_path / "x.wav")
    assert report["error"]["type"] == "ValueError"
    assert "cannot render block 5" in report["error"]["message"]
    if sys.version_info >= (3, 11):
        assert "helper process" in report["error"]["notes"][0] and "Traceback" in report["error"]["notes"][0]
    assert report["children"] == "none"
    assert os.listdir(tmp_path) == []  # no file, no hidden part file


@linux_only
def test_a_helper_killed_mid_render_is_named_and_nothing_is_left(tmp_path):
    report = _run("kill", tmp_path / "x.wav")
    assert report["error"]["type"] == "HelperFailed"
    assert "killed by signal 9" in report["error"]["message"]
    assert report["children"] == "none" and os.listdir(tmp_path) == []


@linux_only
def test_a_stopped_helper_cannot_hang_the_render(tmp_path):
    start = time.monotonic()
    report = _run("stop", tmp_path / "x.wav")
    assert report["error"]["type"] == "HelperFailed" and "made no progress" in report["error"]["message"]
    assert report["children"] == "none" and os.listdir(tmp_path) == []
    assert time.monotonic() - start < 60


@linux_only
def test_cancelling_stops_the_helper_too(tmp_path):
    report = _run("cancel", tmp_path / "x.wav")
    assert report["error"]["type"] == "Cancelled"
    assert report["children"] == "none" and os.listdir(tmp_path) == []


@linux_only
def test_the_helper_dies_with_a_killed_render(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "orphan", SCENE, "60", str(tmp_path / "x.wav")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9
    helper = json.loads(proc.stdout.strip().splitlines()[0])["helper"]
    deadline = time.monotonic() + 10
    while _alive(helper):
        assert time.monotonic() < deadline, f"helper {helper} outlived its killed parent"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_no_fork_while_another_thread_runs(monkeypatch):
    """A fork copies one thread; a lock another thread held would stay held in the copy for ever."""
    monkeypatch.delenv(layer_split.ENV_PROCESSES, raising=False)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not layer_split.can_split(2)
    finally:
        stop.set()
        thread.join()


def test_one_process_when_asked(monkeypatch):
    assert not layer_split.can_split(1)
    for value, allowed in (("", True), ("2", True), (" 4 ", True), ("1", False), ("0", False),
                           ("one", False), ("-2", False), ("2.5", False)):
        monkeypatch.setenv(layer_split.ENV_PROCESSES, value)
        assert layer_split.allowed_by_environment() is allowed, value
    monkeypatch.setenv(layer_split.ENV_PROCESSES, "1")
    assert not layer_split.can_split(2)


def test_no_helper_on_a_busy_machine(monkeypatch):
    """At a load of 2.5-3.5 on two cores, two processes were slower than one."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(layer_split, "_runnable_others", lambda: 3)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 2.0, 1.0))
    assert layer_split._machine_busy()
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 2.0, 1.0))
    assert not layer_split._machine_busy()
    # a burst that has just ended: the average still says busy, nothing else is runnable now
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 2.0, 1.0))
    monkeypatch.setattr(layer_split, "_runnable_others", lambda: 0)
    assert not layer_split._machine_busy()


def test_a_container_s_cpu_quota_caps_the_cores(tmp_path):
    v2 = tmp_path / "cpu.max"
    v2.write_text("150000 100000\n")
    assert layer_split._read_quota(str(v2)) == 1.5
    v2.write_text("max 100000\n")
    assert layer_split._read_quota(str(v2)) is None
    (tmp_path / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu.cfs_period_us").write_text("100000\n")
    assert layer_split._read_quota(str(tmp_path / "cpu.cfs_quota_us")) == 1.0
    (tmp_path / "cpu.cfs_quota_us").write_text("-1\n")
    assert layer_split._read_quota(str(tmp_path / "cpu.cfs_quota_us")) is None


def test_the_helper_takes_the_layers_that_balance_the_two_cores():
    # the parent also mixes and writes: 1.6 ms a block
    assert layer_split.choose_helper_layers([1.05, 0.66, 0.91, 0.68], 1.6) in ([0, 1, 3], [0, 2, 3], [0, 1, 2])
    assert layer_split.choose_helper_layers([5.0, 4.0], 0.5) == [0]    # the heavy layer goes; the light one stays
    assert layer_split.choose_helper_layers([0.1], 5.0) == []          # the mixing dominates: no gain
    assert layer_split.choose_helper_layers([0.2, 0.2], 5.0) == []     # 7 % saved: not worth a fork
    many = [float(i % 5 + 1) for i in range(20)]                       # beyond 12 layers: greedy
    picked = layer_split.choose_helper_layers(many, 2.0)
    helper = sum(many[i] for i in picked)
    assert abs(helper - (sum(many) - helper + 2.0)) <= max(many)


_TERM_AT_FORK = r"""
import os, signal, sys
os.environ["OPENBLAS_NUM_THREADS"] = "1"
from scenefill.engine import layer_split
layer_split._machine_busy = lambda: False
# SIGTERM lands while the fork runs its at-fork hooks (where logging releases its lock): what a
# `timeout` or a job runner does when it stops a render in the moment the helper is forked
os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGTERM))
from scenefill.cli import main
sys.exit(main(sys.argv[1:]))
"""


@linux_only
def test_a_stop_signal_during_the_fork_still_stops_the_render(tmp_path):
    """Python ran the CLI's SIGTERM handler inside an at-fork hook, printed its exception as
    'ignored', and the render went on to write the whole file (exit 0)."""
    out = tmp_path / "renders"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", _TERM_AT_FORK, "render", SCENE, "--seconds", "60",
                           "-o", str(out / "x.wav")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 143, done.stderr
    assert "ignored" not in done.stderr and "interrupted" in done.stderr
    assert os.listdir(out) == []
