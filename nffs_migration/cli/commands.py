"""Commands of the foundation: schema export, package inspection, demo."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.i18n import _, number
from nffs_migration.ui import out_console

schema_app = typer.Typer(
    help="Published schemas of the intermediate format, for vendors.", no_args_is_help=True
)
package_app = typer.Typer(help="Look into and check intermediate packages.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(package_app, name="package")


@schema_app.command(
    "export",
    epilog=example("nffs-migrate schema export --out published-schemas/"),
)
def schema_export(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write into (created if needed).")
    ],
) -> None:
    """Write the JSON Schema of the manifest, a Table Schema per table and the reference.

    Everything a vendor needs to produce packages without this toolkit: manifest and
    report JSON Schemas, a Frictionless Table Schema per table, a Data Package
    descriptor and the reference as Markdown and as a self-contained HTML page.
    """
    from nffs_migration.schemas.export import export_schemas

    written = export_schemas(out)
    out_console.print(f"wrote {len(written)} files to {out}")
    for path in written:
        out_console.print(f"  {path.relative_to(out)}", highlight=False)


@package_app.command(
    "inspect",
    epilog=example(
        "nffs-migrate package inspect packages/0942-klibnet-full-0001",
        "nffs-migrate package inspect delivery.zip",
    ),
)
def package_inspect(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
) -> None:
    """Verify a package (format version, every checksum) and summarise what it holds.

    Exits 2 when the package is incomplete, tampered with or of an unknown format
    version, naming the file at fault.
    """
    from nffs_migration.intermediate_format import open_package

    with open_package(package) as opened:
        manifest = opened.manifest
        out_console.print(
            f"[bold]{manifest.package_id}[/]  service {manifest.service_id}, "
            f"{manifest.source_system}, {manifest.batch.kind} batch {manifest.batch.sequence}, "
            f"format {manifest.format_version}, data as of {manifest.data_as_of:%Y-%m-%d %H:%M}"
        )
        tables = Table("table", "rows", "rejects", title="tables")
        for name, entry in manifest.tables.items():
            rejects = manifest.rejects.get(name)
            tables.add_row(name, f"{entry.rows:,}", f"{rejects.rows:,}" if rejects else "")
        out_console.print(tables)
        if manifest.accounting:
            accounting = Table(
                "source table",
                "read",
                "migrated",
                "rejected",
                "excluded",
                "balanced",
                title="accounting",
            )
            for name, counts in manifest.accounting.items():
                accounting.add_row(
                    name,
                    f"{counts.read:,}",
                    f"{counts.migrated:,}",
                    f"{counts.rejected:,}",
                    f"{counts.excluded:,}",
                    "yes" if counts.balanced else "[red]NO[/]",
                )
            out_console.print(accounting)
        out_console.print(
            f"documents: {manifest.documents.count:,} files, {manifest.documents.bytes:,} bytes; "
            f"all {len(manifest.files)} checksums verified"
        )


@package_app.command(
    "build",
    epilog=example(
        "nffs-migrate package build --tables export/ --documents export/documents "
        "--service 0942 --system kiss --as-of 2026-11-30T18:00 --out packages/0942-vendor",
    ),
)
def package_build(
    tables: Annotated[
        Path,
        typer.Option(
            "--tables",
            help="Folder with <table>.parquet or .csv per table (the published Table "
            "Schemas), accounting.csv and optionally rejects/.",
        ),
    ],
    service: Annotated[str, typer.Option("--service", help="The service's 4-digit id.")],
    system: Annotated[str, typer.Option("--system", help="The source system's family.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The package folder or .zip.")],
    documents: Annotated[
        Path | None,
        typer.Option("--documents", help="Folder with the files documents.file names."),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", help="The moment the export reflects (default: now)."),
    ] = None,
    accounting: Annotated[
        Path | None,
        typer.Option("--accounting", help="The accounting (default: TABLES/accounting.csv)."),
    ] = None,
    source_version: Annotated[
        str | None, typer.Option("--source-version", help="The vendor system's version.")
    ] = None,
) -> None:
    """Turn tables a vendor wrote with its own tools into a package, then validate it.

    The vendor's accounting (read, migrated, rejected, excluded per source table) is
    checked against the tables; documents are copied and their checksums checked. Judge
    the result with `nffs-migrate validate` (docs/vendors.md).
    """
    from zoneinfo import ZoneInfo

    from nffs_migration.intermediate_format.build import build_package

    moment = as_of or datetime.now(ZoneInfo("Europe/Zurich"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Zurich"))
    manifest = build_package(
        tables,
        out,
        service_id=service.zfill(4),
        source_system=system,
        data_as_of=moment,
        accounting=accounting,
        documents=documents,
        source_version=source_version,
    )
    rows = sum(entry.rows for entry in manifest.tables.values())
    out_console.print(
        _(
            "wrote {out}: {rows} rows, {documents} documents; next: nffs-migrate validate {out}"
        ).format(out=out, rows=number(rows), documents=number(manifest.documents.count))
    )
