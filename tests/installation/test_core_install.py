"""The core distribution works without orchestration: Prefect, Dask and FastAPI left out.

`nffs-migration` alone extracts, validates, loads and writes worklists; `migrate` and
`demo` need the extra `nffs-migration[flows]` and say so. Here the orchestration
packages are made unimportable in a child interpreter, which then runs the commands a
vendor or a clerk runs. (`.ci/installed` installs the real core wheel into a fresh
environment and prints its size and install time.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BLOCK = """
import importlib.abc, sys
class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"prefect", "prefect_dask", "dask", "distributed", "fastapi"}:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, _Absent())
import importlib.util
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name.split(".")[0] in {"prefect"} else _find(name, *a)
sys.argv = ["nffs-migrate", *sys.argv[1:]]
from nffs_migration.cli import main
main()
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_validation_and_the_worklist_run_without_prefect(tmp_path: Path) -> None:
    steps = [
        ("sample", "kiss", "--out", "source", "--cases", "20", "--dirt", "none"),
        (
            "extract",
            "kiss",
            "--source",
            "sqlite:///source/kiss.sqlite",
            "--documents",
            "source/share",
            "--service",
            "0942",
            "--out",
            "package",
        ),
        ("validate", "package"),
        ("worklist", "package", "--out", "worklist.csv"),
        ("target", "init", "--target", "sqlite:///target.db"),
        ("load", "package", "--target", "sqlite:///target.db"),
        ("reconcile", "package", "--target", "sqlite:///target.db"),
    ]
    for step in steps:
        result = _run(*step, cwd=tmp_path)
        assert result.returncode == 0, (step, result.stderr[-2000:])
    assert (tmp_path / "worklist.csv").exists()
    modules = _run("doctor", cwd=tmp_path)
    assert "nffs-migration[flows]" in modules.stdout


def test_migrate_and_demo_say_what_to_install(tmp_path: Path) -> None:
    result = _run("demo", "--workdir", "d", cwd=tmp_path)
    assert result.returncode == 2
    assert "pip install 'nffs-migration[flows]'" in result.stderr
