"""Prefect settings for the toolkit's commands, set before Prefect is imported.

Without `PREFECT_API_URL`, Prefect runs embedded: it starts a temporary local server
(about 20 s the first time a `PREFECT_HOME` is used, 7 s after). The toolkit keeps
Prefect's own console logs quiet (CRITICAL: our progress lines say what happens), turns
analytics off (no network), and lets a demo use its own `PREFECT_HOME`.
"""

from __future__ import annotations

import os
from pathlib import Path


def prepare(home: Path | None = None) -> None:
    """Set Prefect's environment defaults (never overriding what the user set)."""
    if home is not None and "PREFECT_HOME" not in os.environ:
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(home)
    # Our own lines say what happens; Prefect's would repeat a failed step's traceback.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    # The embedded server's first start can take longer than Prefect's 20 s on a busy machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


__all__ = ["prepare"]
