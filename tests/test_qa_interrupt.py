"""QA story: a render is stopped with SIGTERM (`timeout`, a render farm's job runner, an editor's
tool cancelling). The target folder holds nothing afterwards: no file under the requested name,
and no hidden `.part` file of hundreds of megabytes either."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCENEFILL = Path(sys.executable).parent / "scenefill"


# SIGTERM: `timeout`, a render farm's job runner; SIGHUP: the editor closes the terminal (or the
# ssh session drops) while a render runs
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_render_stopped_mid_way_leaves_the_folder_empty(tmp_path, sig):
    out_dir = tmp_path / "renders"
    out_dir.mkdir()
    proc = subprocess.Popen([str(SCENEFILL), "render", "steady rain on a window", "--seconds", "3600",
                             "-o", str(out_dir / "rain.wav")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out_dir.glob(".*.part")):          # wait until the render is writing
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the render never started writing"
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig
    assert "interrupted" in err and "Traceback" not in err
    assert os.listdir(out_dir) == []
