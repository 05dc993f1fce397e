"""Headless Chromium for the tests of pages: render a file and return its DOM."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def dump_dom(page: Path, profile: Path, *, width: int = 1280, height: int = 900) -> str:
    """The DOM of a page after Chromium loaded it (skips when Chromium is missing).

    In CI a skip fails (tests/conftest.py); `.ci/run` installs Debian's chromium.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--window-size={width},{height}",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
