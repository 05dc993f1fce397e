"""The terminal: one console for results (stdout) and one for progress and logs (stderr).

The library never prints; commands render results on ``out_console`` and progress on
``err_console`` so that a command's output can be piped while progress stays visible.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

# Piped output (a file, CI logs) gets room for the wide status and summary tables.
_WIDTH = int(os.environ.get("COLUMNS", "0")) or (None if sys.stdout.isatty() else 160)
out_console = Console(width=_WIDTH)
err_console = Console(stderr=True)


def progress(*, transient: bool = False) -> Progress:
    """A progress display for long work (per table or file), drawn on stderr."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
        disable=not err_console.is_terminal,
    )


__all__ = ["err_console", "out_console", "progress"]
