"""The command line: help with examples everywhere, documented commands, exit codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from nffs_migration.cli import app

REPO = Path(__file__).resolve().parents[2]


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            found.extend(_commands(command, path))
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(typer.main.get_group(app))


def _documentation() -> str:
    texts = [(REPO / "README.md").read_text(encoding="utf-8")]
    texts.extend(p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").rglob("*.md")))
    return "\n".join(texts)


def test_top_level_help_lists_every_command_with_one_line(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for name in typer.main.get_group(app).commands:
        assert re.search(rf"│ {re.escape(name)}\s+\S", result.stdout), name


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example(cli, path: str) -> None:
    result = cli(*path.split(), "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"$ nffs-migrate {path}" in result.stdout


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in COMMANDS])
def test_every_command_is_documented_in_readme_or_docs(path: str) -> None:
    assert f"nffs-migrate {path}" in _documentation()


def test_version(cli) -> None:
    from nffs_migration import __version__

    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"nffs-migrate {__version__}"


def test_unreadable_package_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    result = cli("package", "inspect", str(tmp_path / "nothing-here"))
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_debug_shows_a_traceback_without_locals(cli, tmp_path: Path) -> None:
    result = cli("--debug", "package", "inspect", str(tmp_path / "nothing-here"))
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "locals" not in result.stderr.lower()


def test_usage_error_exits_2(cli) -> None:
    assert cli("schema", "export").exit_code == 2
    assert cli("no-such-command").exit_code == 2


def test_schema_export_and_package_inspect_work_end_to_end(cli, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from nffs_migration.intermediate_format import PackageWriter

    result = cli("schema", "export", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "s" / "reference.html").exists()
    with PackageWriter(
        tmp_path / "p.zip",
        service_id="0351",
        source_system="custom",
        data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
    ) as writer:
        writer.account("Klienten", read=3, migrated=2, rejected=1)
    result = cli("package", "inspect", str(tmp_path / "p.zip"))
    assert result.exit_code == 0, result.stderr
    assert "0351-custom-full-0001" in result.stdout and "Klienten" in result.stdout


def test_demo_command_exists_and_exits_0(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("demo", "--help").exit_code == 0


def test_the_command_line_starts_without_heavy_imports() -> None:
    """`--help` and the command table import neither orchestration nor the data stack."""
    import subprocess
    import sys

    code = (
        "import sys; import nffs_migration.cli; "
        "print(sorted(m for m in ('prefect', 'dask', 'fastapi', 'pandas', 'pyarrow', 'polars') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_validating_a_small_package_imports_no_orchestration_or_web_stack(
    tmp_path: Path,
) -> None:
    """`validate` runs without Prefect, Dask or the web stack (they cost a second to load)."""
    import subprocess
    import sys
    from datetime import UTC, datetime

    from nffs_migration.intermediate_format import PackageWriter

    with PackageWriter(
        tmp_path / "p",
        service_id="0351",
        source_system="custom",
        data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
    ) as writer:
        writer.account("Klienten", read=3, migrated=2, rejected=1)
    code = (
        "import sys\n"
        "from nffs_migration.cli import main\n"
        "try:\n"
        f"    sys.argv = ['nffs-migrate', 'validate', {str(tmp_path / 'p')!r}]\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, file=sys.stderr)\n"
        "heavy = ('prefect', 'dask', 'distributed', 'fastapi', 'uvicorn', 'starlette')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "exit" in result.stderr or (tmp_path / "p" / "reports").exists()
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
