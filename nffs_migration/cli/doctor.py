"""`nffs-migrate doctor`: check an installation and a service's setup before converting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from nffs_migration.cli.app import app, example
from nffs_migration.errors import EXIT_DATA_ERRORS
from nffs_migration.ui import err_console, out_console


@app.command(
    epilog=example(
        "nffs-migrate doctor",
        "nffs-migrate doctor --config services/0942.yaml",
    ),
)
def doctor(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="A service's configuration: also check its source, document share, "
            "mapping, profile, target, ledger.",
        ),
    ] = None,
    installation: Annotated[
        bool,
        typer.Option("--installation", help="Check the installation only (data files, drivers)."),
    ] = False,
) -> None:
    """Check that this installation, and a service's setup, can run a migration.

    One line per check, with a fix where one fails: the data files the toolkit ships
    (mapping lists, rule profile, rule cases), the drivers (psycopg; pyodbc with
    unixODBC and the ODBC drivers offered), and with `--config` the source, document
    share, mapping, rule profile, target and ledger (reachable, schema version) and
    Prefect's API where `PREFECT_API_URL` is set. Connects and reads table lists and
    headers only, never the data.

    Exits 1 when something a migration needs is missing, 0 otherwise.
    """
    from nffs_migration.flows.doctor import diagnose

    with err_console.status("checking"):
        diagnosis = diagnose(config, installation_only=installation)
    for check in diagnosis.checks:
        if check.ok:
            mark = "[green]ok[/]  "
        elif check.needed:
            mark = "[red]FAIL[/]"
        else:
            mark = "[yellow]warn[/]"
        out_console.print(
            f"{mark} {check.group} · [bold]{escape(check.name)}[/]: {escape(check.detail)}",
            highlight=False,
            soft_wrap=True,
        )
        if not check.ok and check.hint:
            out_console.print(f"       fix: {escape(check.hint)}", highlight=False, soft_wrap=True)
    failed = sum(1 for check in diagnosis.checks if check.blocking)
    if failed:
        out_console.print(f"[red]{failed} check(s) failed[/]: fix them before migrating")
        raise typer.Exit(EXIT_DATA_ERRORS)
    out_console.print("[green]ready[/]: nothing a migration needs is missing")
