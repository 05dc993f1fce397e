"""`nffs-migrate demo` on a fresh folder: exits 0 and prints the status table."""

from __future__ import annotations

import os
import sqlite3
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
    assert out.count(" done ") == 4
    # KLIBnet carries the field's defects: the gate stopped its first batch, a clerk
    # mended the source, and its next full batch loaded; then the deltas, and cutover.
    assert "the gate stopped the batch" in result.stderr
    assert "a clerk of Sozialdienst Thun mends" in result.stderr
    workdir = tmp_path / "nffs-demo"
    with sqlite3.connect(workdir / "ledger.db") as ledger:
        batches = ledger.execute(
            "SELECT service_id, sequence, kind, outcome, final FROM ledger_batches "
            "ORDER BY service_id, sequence"
        ).fetchall()
        cut_over = ledger.execute(
            "SELECT service_id FROM ledger_services WHERE cut_over_at IS NOT NULL"
        ).fetchall()
    assert batches == [
        ("0351", 1, "full", "done", 0),
        ("0351", 2, "delta", "done", 0),
        ("0351", 3, "delta", "done", 1),
        ("0355", 1, "full", "done", 1),
        ("0371", 1, "full", "done", 0),
        ("0371", 2, "delta", "done", 0),
        ("0371", 3, "full", "done", 1),  # a Tutoris service ends with a full export
        ("0942", 1, "full", "blocked", 0),
        ("0942", 2, "full", "done", 0),
        ("0942", 3, "delta", "done", 0),
        ("0942", 4, "delta", "done", 1),
    ]
    assert sorted(row[0] for row in cut_over) == ["0351", "0355", "0371", "0942"]
    with sqlite3.connect(workdir / "target.db") as target:
        systems = dict(
            target.execute("SELECT source_system, COUNT(*) FROM cases GROUP BY source_system")
        )
        scope_log = target.execute("SELECT COUNT(*) FROM nffs_scope_log").fetchone()[0]
    assert set(systems) == {"klibnet", "kiss", "tutoris", "custom"}
    assert all(count > 0 for count in systems.values())
    assert scope_log == 4
    assert "1F✗ 2F✓ 3Δ✓ 4Δ✓" in out
    print(f"demo took {seconds:.0f} s")
