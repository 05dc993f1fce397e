"""Prefect settings for the toolkit's commands, set before Prefect is imported.

Without `PREFECT_API_URL`, Prefect runs embedded: it starts a temporary local server
(about 20 s the first time a `PREFECT_HOME` is used, 7 s after). The toolkit keeps
Prefect's own console logs quiet (CRITICAL: our progress lines say what happens), turns
analytics off (no network), and lets a demo use its own `PREFECT_HOME`.

Prefect and Dask come with the extra `nffs-migration[flows]`; the core distribution
validates, extracts and loads without them, and `prepare` refuses with what to install.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

from nffs_migration.errors import ConfigurationError

#: What to install for orchestration: the core distribution leaves Prefect and Dask out.
FLOWS_EXTRA = "pip install 'nffs-migration[flows]'"


def require_prefect(what: str = "this command") -> None:
    """Refuse clearly when the orchestration extra is not installed."""
    if find_spec("prefect") is None:
        raise ConfigurationError(
            f"{what} runs flows with Prefect, which this installation leaves out: {FLOWS_EXTRA}"
        )


def prepare(home: Path | None = None) -> None:
    """Set Prefect's environment defaults (never overriding what the user set).

    Raises:
        ConfigurationError: Prefect is not installed (the core distribution).
    """
    require_prefect()
    if home is not None and "PREFECT_HOME" not in os.environ:
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(home)
    # Our own lines say what happens; Prefect's would repeat a failed step's traceback.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    # The embedded server's first start can take longer than Prefect's 20 s on a busy machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


__all__ = ["FLOWS_EXTRA", "prepare", "require_prefect"]
