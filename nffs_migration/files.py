"""Files that hold results about people are created for their owner only (0600, folders 0700).

Packages get this from the writer (`intermediate_format.writer.owner_only`); reports and
exports that a command writes elsewhere (`validate --report-dir`, `--export-findings`,
`profile --out`, `status --html`) use these functions. They hold record keys, not
values, but keys and findings about a person in hardship are still confidential.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Create a folder (and its parents) readable by its owner only; keep an existing one."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)


def open_private(path: Path, *, newline: str | None = None, encoding: str = "utf-8") -> IO[str]:
    """Open a text file for writing (UTF-8), created or truncated, owner-only (0600)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode otherwise
    except OSError:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "w", encoding=encoding, newline=newline)


def write_private_text(path: Path, text: str, *, newline: str | None = None) -> None:
    """Write a text file (UTF-8) owner-only (0600), replacing its content."""
    with open_private(path, newline=newline) as handle:
        handle.write(text)
