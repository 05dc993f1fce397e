"""`nffs-migrate validate`: check a package and write the report people read."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.errors import DataErrors
from nffs_migration.ui import err_console, out_console

STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


@app.command(
    epilog=example(
        "nffs-migrate validate packages/0942-full",
        "nffs-migrate validate packages/0942-full --as-of 2026-06-30 --report-dir reports/0942",
        "nffs-migrate validate packages/0942-full --regrade --profile 0942-profile.yaml",
        "nffs-migrate validate packages/0942-full --export-findings findings.csv",
    ),
)
def validate(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", help="Judge currency against this date (default: data_as_of)."),
    ] = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Rule profile (YAML); default: the canton's.")
    ] = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Also write validation.json and .html here.")
    ] = None,
    regrade: Annotated[
        bool,
        typer.Option(
            "--regrade", help="Judge the stored results against --profile, without re-checking."
        ),
    ] = False,
    export_findings: Annotated[
        Path | None,
        typer.Option("--export-findings", help="Write every finding as CSV (for the clerks)."),
    ] = None,
) -> None:
    """Check a package: conformance, completeness, integrity, plausibility, currency.

    Writes reports/validation.json and reports/validation.html into the package. Exit 0
    when no finding is an error, 1 when there are errors, 2 when the package cannot be read.
    """
    from nffs_migration.validators import regrade_package, validate_package

    if regrade:
        outcome = regrade_package(package, profile_path=profile, report_dir=report_dir)
    else:
        day: date | None = as_of.date() if as_of else None
        with err_console.status(f"validating {package.name}"):
            outcome = validate_package(
                package, as_of=day, profile_path=profile, report_dir=report_dir
            )
    report = outcome.report
    table = Table(
        "rule",
        "category",
        "severity",
        "failed",
        "checked",
        title=f"{package.name}: rules with findings",
    )
    for rule in report.rules:
        if rule.failed:
            severity = (
                "info (tolerated)" if getattr(rule, "tolerated", False) else rule.severity.value
            )
            table.add_row(
                rule.id,
                rule.category.value,
                f"[{STYLE[rule.severity.value]}]{severity}[/]",
                f"{rule.failed:,}",
                f"{rule.checked:,}",
            )
    if table.row_count:
        out_console.print(table)
    summary = report.summary
    if export_findings is not None:
        with export_findings.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["rule_id", "severity", "table", "record_id", "source_key", "field", "message"]
            )
            for f in report.findings:
                writer.writerow(
                    [
                        f.rule_id,
                        f.severity.value,
                        f.table,
                        f.record_id,
                        f.source_key,
                        f.field,
                        f.message,
                    ]
                )
        out_console.print(f"wrote {len(report.findings):,} findings to {export_findings}")
    verdict = "[bold green]passed[/]" if summary["passed"] else "[bold red]failed[/]"
    out_console.print(
        f"{verdict}: {summary['errors']:,} errors, {summary['warnings']:,} warnings, "
        f"{summary['infos']:,} infos (as of {outcome.as_of}); "
        f"report in {package}/reports/validation.html"
    )
    if not summary["passed"]:
        raise DataErrors(f"{package.name} has {summary['errors']:,} errors; loading is blocked")
