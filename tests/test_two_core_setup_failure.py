"""QA r8: an editor renders a minute of scene from the shell on a machine that will not give
the CLI a second process (a container's pids limit, a user's `ulimit -u`, a shell out of file
descriptors). The helper is only a speed-up: the editor should still get the file that a
one-process render writes, not an error blaming the output file.

Found by hand: in a pids cgroup with pids.max 1, `scenefill render NOTE --seconds 60 -o x.wav`
ends with "scenefill: output: Resource temporarily unavailable x.wav" (exit 2) while the same
command with SCENEFILL_PROCESSES=1 writes the file; with `ulimit -n 12` it ends with
"scenefill: output: Too many open files x.wav" where SCENEFILL_PROCESSES=1 succeeds.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenefill.engine import layer_split

SCENE = "heavy rain, gusty wind, city traffic, calm piano music"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux")
                                or layer_split.cores_available() < 2, reason="two cores on Linux")

# Run the real CLI in a fresh single-threaded interpreter with one system call made to fail
# the way the kernel fails it when a limit is reached.
_DRIVER = r"""
import errno, mmap, os, sys
os.environ["OPENBLAS_NUM_THREADS"] = "1"
what = sys.argv[1]
def _fail(err):
    def refuse(*args, **kwargs):
        raise OSError(err, os.strerror(err))
    return refuse
if what == "fork":
    os.fork = _fail(errno.EAGAIN)          # pids.max / RLIMIT_NPROC reached
elif what == "fork-nomem":
    os.fork = _fail(errno.ENOMEM)          # no memory for a new process
elif what == "pipe":
    os.pipe = _fail(errno.EMFILE)          # out of file descriptors
elif what == "mmap":
    real = mmap.mmap
    def mm(fileno, *a, **k):
        if fileno == -1:
            raise OSError(errno.ENOMEM, os.strerror(errno.ENOMEM))
        return real(fileno, *a, **k)
    mmap.mmap = mm                         # RLIMIT_AS / overcommit refuses the shared ring
from scenefill.engine import layer_split
layer_split._machine_busy = lambda: False  # the fork is attempted whatever the machine's load
from scenefill.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@linux_only
@pytest.mark.parametrize("what", ["fork", "fork-nomem", "pipe", "mmap"])
def test_a_render_that_cannot_get_a_helper_process_is_rendered_in_one(tmp_path, what):
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    env.pop(layer_split.ENV_PROCESSES, None)
    one = tmp_path / "one.wav"
    subprocess.run([sys.executable, "-m", "scenefill.cli", "render", SCENE, "--seconds", "12", "-q",
                    "-o", str(one)], check=True, timeout=120, env={**env, layer_split.ENV_PROCESSES: "1"})
    two = tmp_path / "two.wav"
    proc = subprocess.run([sys.executable, "-c", _DRIVER, what, "render", SCENE, "--seconds", "12", "-q",
                           "-o", str(two)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"the render failed instead of staying in one process: {proc.stderr.strip()}"
    assert _digest(two) == _digest(one)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.wav", "two.wav"]  # no .part left
