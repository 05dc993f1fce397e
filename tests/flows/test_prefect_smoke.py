"""A trivial Prefect flow runs: catches a resolver picking a fastapi that breaks Prefect.

prefect 3.8 with fastapi >= 0.155 dies at the first flow run with
`TypeError: Body() got an unexpected keyword argument 'min_items'`; pyproject.toml
pins `fastapi<0.155`. This test runs in a subprocess with its own PREFECT_HOME, in
Prefect's embedded mode (no API URL), as users of the toolkit will.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FLOW = """
from prefect import flow, task

@task
def add(a: int, b: int) -> int:
    return a + b

@flow(log_prints=False)
def smoke() -> int:
    return add(2, 3)

print("result", smoke())
"""


def test_a_trivial_prefect_flow_runs_in_embedded_mode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_LOGGING_LEVEL="WARNING",
        # The first start of the embedded server can take longer than 20 s on a busy machine.
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    result = subprocess.run(
        [sys.executable, "-c", FLOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "result 5" in result.stdout
