"""`nffs-migrate mapping init` and `mapping check`: the mapping file of a self-built source."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from nffs_migration.cli.app import app, example
from nffs_migration.errors import ConfigurationError, UsageError
from nffs_migration.ui import out_console

mapping_app = typer.Typer(
    help="The mapping file of a self-built (custom) source: propose one, check one.",
    no_args_is_help=True,
)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command(
    "check",
    epilog=example(
        "nffs-migrate mapping check sources/custom/mapping.yaml",
        "nffs-migrate mapping check 0942-mapping.yaml --source /mnt/export --documents /mnt/scans",
    ),
)
def check(
    mapping: Annotated[Path, typer.Argument(help="The mapping file (YAML) to check.")],
    source: Annotated[
        Path | None,
        typer.Option(
            "--source", "-s", help="The source folder (default: the mapping file's folder)."
        ),
    ] = None,
    documents: Annotated[
        Path | None,
        typer.Option("--documents", help="The documents folder, if not the mapping's."),
    ] = None,
) -> None:
    """Check a mapping before any data is read: every problem, with its line in the file.

    Unknown tables, fields and keys, missing required fields, value-map targets that
    are not codes of the format, files, sheets and columns that are not there. Exit 0
    when the mapping can be used (warnings are listed), 2 with the list of errors.
    """
    from nffs_migration.extractors.custom.check import check_mapping

    problems = check_mapping(mapping, source, documents)
    for problem in problems:
        where = f"{mapping.name}:{problem.line}" if problem.line else mapping.name
        style = "red" if problem.severity == "error" else "yellow"
        line = Text(f"{where}: ")
        line.append(problem.severity, style=style)
        line.append(f": {problem.message}")
        out_console.print(line, highlight=False, soft_wrap=True)
    errors = sum(problem.severity == "error" for problem in problems)
    if errors:
        raise ConfigurationError(
            f"{mapping}: {errors} error{'s' if errors != 1 else ''}; the mapping is refused",
            file=str(mapping),
        )
    warnings = len(problems) - errors
    out_console.print(
        "mapping OK" + (f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""),
        highlight=False,
    )


@mapping_app.command(
    "init",
    epilog=example(
        "nffs-migrate mapping init --source sources/custom --out mapping.yaml",
        "nffs-migrate mapping init --source /mnt/export --service 0942 --out 0942-mapping.yaml",
    ),
)
def init(
    source: Annotated[
        Path, typer.Option("--source", "-s", help="The folder with the CSV and XLSX files.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The mapping file to write (YAML).")],
    service: Annotated[
        str | None, typer.Option("--service", help="Service id (BFS number, 4 digits).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file at --out.")
    ] = False,
) -> None:
    """Propose a mapping from the headers of a source folder's CSV and XLSX files.

    Headers are matched against the format's field labels (German, French, English);
    comments say what was guessed and how sure (score 0-100), `# TODO` marks what is
    left to do. Value maps are never guessed: the values of code columns are listed
    with their counts for you to map. Then: `nffs-migrate mapping check`.
    """
    from nffs_migration.extractors.custom.propose import propose_mapping

    if not source.is_dir():
        raise UsageError(f"{source} is not a folder")
    if service is not None and not (len(service) == 4 and service.isdigit()):
        raise UsageError(f"--service {service!r} must be four digits (BFS number)")
    if out.exists() and not overwrite:
        raise UsageError(f"{out} exists; choose another --out or add --overwrite")
    text = propose_mapping(source, service)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="\n")
    os.replace(partial, out)
    todos = text.count("TODO")
    tables = sum(1 for line in text.splitlines() if line.startswith("    source: "))
    out_console.print(
        f"wrote {out}: {tables} tables proposed, {todos} TODOs; "
        f"then run `nffs-migrate mapping check {out}`",
        highlight=False,
        soft_wrap=True,
    )


__all__ = ["mapping_app"]
