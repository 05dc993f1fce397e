"""`nffs-migrate demo` on a fresh folder: exits 0 and prints the status table."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_migrates_four_services_and_prints_the_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["COLUMNS"] = "200"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nffs_migration",
            "demo",
            "--workdir",
            str(tmp_path / "nffs-demo"),
            "--cases",
            "30",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "migration status" in out
    for service in ("0942", "0351", "0371", "0355"):
        assert service in out
    assert out.count(" done ") >= 3 and "blocked" in out  # KLIBnet carries the field's defects
    assert (tmp_path / "nffs-demo" / "target.db").exists() and (
        tmp_path / "nffs-demo" / "ledger.db"
    ).exists()
    print(f"demo took {seconds:.0f} s")
