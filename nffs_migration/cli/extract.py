"""`nffs-migrate extract` and `nffs-migrate profile`: a legacy source into a package."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.errors import EXIT_DATA_ERRORS, UsageError
from nffs_migration.files import write_private_text
from nffs_migration.i18n import _, number
from nffs_migration.ui import err_console, out_console, progress

if TYPE_CHECKING:
    from nffs_migration.extractors.base import SourceProfile

SOURCE_HELP = (
    "SQLAlchemy URL of the database (sqlite:///…, postgresql+psycopg://…, mssql+pyodbc://…) "
    "or path of the export file or folder. Default: $NFFS_SOURCE_URL (keep passwords there)."
)


@app.command(
    epilog=example(
        "nffs-migrate extract klibnet --source sqlite:///klibnet.sqlite --documents share/ "
        "--service 0942 --out packages/0942-full",
        'nffs-migrate extract klibnet --source "$KLIBNET_URL" --service 0942 '
        "--documents /mnt/ablage "
        "--delta --previous packages/0942-full --out packages/0942-delta-2",
    ),
)
def extract(
    system: Annotated[str, typer.Argument(help="Source family: klibnet, kiss, tutoris or custom.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The package to write (folder, or .zip).")
    ],
    service: Annotated[str, typer.Option("--service", help="Service id (BFS number, 4 digits).")],
    source: Annotated[
        str | None, typer.Option("--source", "-s", envvar="NFFS_SOURCE_URL", help=SOURCE_HELP)
    ] = None,
    documents: Annotated[
        Path | None, typer.Option("--documents", help="Root of the document share or folder.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="The service's own mapping file (YAML).")
    ] = None,
    delta: Annotated[
        bool,
        typer.Option("--delta", help="Only what changed since the previous batch (--previous)."),
    ] = False,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="The service's last successful package (for --delta)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Delta from this high-water mark (ISO time) instead."),
    ] = None,
    overlap_minutes: Annotated[
        int,
        typer.Option(
            "--overlap-minutes",
            min=0,
            help="A delta reads again what changed this long before the mark (late commits).",
        ),
    ] = 5,
    final: Annotated[
        bool,
        typer.Option(
            "--final", help="The service's last batch: must be fresh at load, then cuts over."
        ),
    ] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            help="The moment the source reflects "
            "(default: a database's time of reading, an export's date).",
        ),
    ] = None,
    retention_years: Annotated[
        int, typer.Option("--retention-years", help="Exclude cases closed longer ago than this.")
    ] = 10,
    service_name: Annotated[
        str | None, typer.Option("--service-name", help="Name of the service.")
    ] = None,
    communes: Annotated[
        str | None,
        typer.Option("--communes", help="BFS numbers of the communes served, comma-separated."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing package.")
    ] = False,
    profile_path: Annotated[
        Path | None,
        typer.Option(
            "--profile",
            help="Rule profile whose max_reject_percent judges the reject shares "
            "(default: the canton's, 20 %).",
        ),
    ] = None,
) -> None:
    """Convert a legacy source into an intermediate package (tables, rejects, documents, findings).

    Reads the source read-only, in chunks, and accounts for every record:
    read = migrated + rejected + excluded, per source table, in the manifest.

    Exits 1 when the extraction as a whole looks wrong: a source table rejected more
    than the profile's share of its records, a code list translated none of its values,
    or the document share yielded no file. Each says so in one line; validation then
    keeps the gate closed (`reject-rate-high`, `code-list-unmapped`,
    `documents-not-found`) until someone has looked.
    """
    from nffs_migration.extractors import ExtractOptions, get_extractor
    from nffs_migration.extractors.run import extract_package
    from nffs_migration.intermediate_format import open_package
    from nffs_migration.validators.health import alarms
    from nffs_migration.validators.profile import load_profile

    rules = load_profile(profile_path)  # a wrong profile fails before the source is read
    if not source:
        raise UsageError("give the source with --source or $NFFS_SOURCE_URL")
    sequence = 1
    previous_id = None
    if delta and not (previous or since):
        raise UsageError("--delta needs --previous PKG (the last successful batch) or --since")
    if previous is not None:
        with open_package(previous) as last_package:
            since = since or last_package.manifest.batch.high_water_mark
            sequence = last_package.manifest.batch.sequence + 1
            previous_id = last_package.manifest.package_id
        if not since:
            raise UsageError(f"{previous} records no high-water mark; give --since")
    options = get_extractor(system).options_class(
        source=source,
        service_id=service,
        documents=documents,
        mapping=mapping,
        as_of=as_of,
        since=since if (delta or since) else None,
        overlap_minutes=overlap_minutes,
        previous=previous_id,
        final=final,
        sequence=sequence,
        retention_years=retention_years,
        service_name=service_name,
        commune_numbers=[int(c) for c in communes.split(",")] if communes else None,
    )
    assert isinstance(options, ExtractOptions)  # noqa: S101
    started = time.perf_counter()
    with progress() as bar:
        tasks: dict[str, Any] = {}
        last: dict[str, tuple[float, int]] = {}

        def report(table: str, source_table: str, read: int) -> None:
            label = f"{source_table} → {table}"
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=None, rate="")
                last[label] = (time.perf_counter(), 0)
            elapsed = max(time.perf_counter() - last[label][0], 1e-6)
            bar.update(tasks[label], completed=read, rate=f"{read / elapsed:,.0f} rows/s")

        result = extract_package(
            get_extractor(system), options, out, overwrite=overwrite, progress=report
        )
    manifest = result.manifest
    summary = Table(
        _("source table"),
        _("read"),
        _("migrated"),
        _("rejected"),
        _("excluded"),
        title=f"{manifest.package_id}",
    )
    for name, counts in manifest.accounting.items():
        summary.add_row(
            name,
            f"{counts.read:,}",
            f"{counts.migrated:,}",
            f"{counts.rejected:,}",
            f"{counts.excluded:,}",
        )
    out_console.print(summary)
    if result.findings:
        out_console.print(
            _("findings: ")
            + ", ".join(f"{rule} {count:,}" for rule, count in result.findings.items())
        )
    for name, values in result.unmapped.items():
        out_console.print(
            _("unmapped {list}: ").format(list=name)
            + ", ".join(f"{value!r} ×{count}" for value, count in values.items()),
            highlight=False,
        )
    out_console.print(
        _("wrote {out} in {seconds} s: {rows} rows, {documents} documents").format(
            out=out,
            seconds=number(time.perf_counter() - started, 1),
            rows=number(sum(t.rows for t in manifest.tables.values())),
            documents=number(manifest.documents.count),
        )
    )
    found, _unused = alarms(manifest, rules.params.max_reject_percent)
    for alarm in found:
        word = _("alarm")
        out_console.print(f"[bold red]{word}:[/] {escape(alarm.text)}", highlight=False)
    if found:
        out_console.print(
            _(
                "the extraction as a whole looks wrong; validation keeps the gate closed "
                "({rules}) until someone has looked"
            ).format(rules=", ".join(sorted({a.rule_id for a in found}))),
            highlight=False,
        )
        raise typer.Exit(EXIT_DATA_ERRORS)


@app.command(
    epilog=example(
        "nffs-migrate profile klibnet --source sqlite:///klibnet.sqlite",
        'nffs-migrate profile kiss --source "$KISS_URL" --out kiss-profile.html',
    ),
)
def profile(
    system: Annotated[str, typer.Argument(help="Source family: klibnet, kiss, tutoris or custom.")],
    source: Annotated[
        str | None, typer.Option("--source", "-s", envvar="NFFS_SOURCE_URL", help=SOURCE_HELP)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the profile as .json or .html.")
    ] = None,
) -> None:
    """Profile a legacy source: tables, row counts, fill rates, code frequencies, date ranges.

    No personal values appear: names, AHV numbers and texts are counted, never shown, and
    code values seen fewer than 5 times are shown as a count only.
    """
    from nffs_migration.extractors import get_extractor

    if not source:
        raise UsageError("give the source with --source or $NFFS_SOURCE_URL")
    extractor = get_extractor(system)
    options = extractor.options_class(source=source, service_id="0000")
    with err_console.status(f"profiling the {system} source"):
        result = extractor.profile(options)
    for table in _profile_tables(result, shown=8):
        view = Table(
            "column", "type", "filled", "values", title=f"{table['name']}: {table['rows']:,} rows"
        )
        for column in table["columns"]:
            view.add_row(column["name"], column["type"], column["filled"], column["shown"])
        out_console.print(view)
    if out is not None:
        data = result.to_dict()
        if out.suffix.lower() == ".html":
            write_private_text(out, _profile_html(result))
        else:
            write_private_text(out, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        out_console.print(f"wrote {out}")


def _profile_tables(profile: SourceProfile, shown: int | None = None) -> list[dict[str, Any]]:
    """Per table its rows; per column its type, fill rate and values (first `shown`) or range."""
    tables = []
    for table in profile.tables:
        columns = []
        for column in table.columns:
            values = ""
            if column.frequencies is not None:
                first = list(column.frequencies.items())[:shown]
                values = ", ".join(f"{v} {c:,}" for v, c in first)
            elif column.minimum is not None:
                values = f"{column.minimum} … {column.maximum}"
            columns.append(
                {
                    "name": column.name,
                    "type": column.type,
                    "filled": f"{column.filled / table.rows:.0%}" if table.rows else "-",
                    "shown": values,
                }
            )
        tables.append({"name": table.name, "rows": table.rows, "columns": columns})
    return tables


def _profile_html(profile: SourceProfile) -> str:
    from nffs_migration.pages import render

    return render(
        "profile.html",
        title=f"Profile of a {profile.system} source",
        system=profile.system,
        version=profile.version,
        tables=_profile_tables(profile),
    )
