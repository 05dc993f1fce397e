"""Kill a process at a chosen moment: the crash-safety tests of the loader."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def kill_when_marked(command: list[str], marker: Path, timeout: float = 180) -> None:
    """Run `command`, wait until it writes `marker`, then kill it with SIGKILL.

    Fails when the process ends before it writes the marker, or takes longer than
    `timeout` seconds to get there.
    """
    child = subprocess.Popen(command)
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert child.poll() is None, "the process ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
