"""`nffs-migrate target init`, `load` and `reconcile`: packages into the target case store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.errors import DataErrors
from nffs_migration.i18n import _, number
from nffs_migration.ui import out_console, progress

TARGET_HELP = (
    "SQLAlchemy URL of the target store (sqlite:///target.db, postgresql+psycopg://…). "
    "Default: $NFFS_TARGET_URL or sqlite:///target.db."
)

target_app = typer.Typer(help="The target case store.", no_args_is_help=True)
app.add_typer(target_app, name="target")


@target_app.command(
    "init",
    epilog=example(
        "nffs-migrate target init --target sqlite:///target.db",
        "nffs-migrate target init --target postgresql+psycopg://nffs@db.example/nffs",
    ),
)
def target_init(
    target: Annotated[
        str, typer.Option("--target", envvar="NFFS_TARGET_URL", help=TARGET_HELP)
    ] = "sqlite:///target.db",
) -> None:
    """Create the target schema from the format definition, or upgrade it to this format version."""
    from nffs_migration.loaders import create_target_engine, init_target

    engine = create_target_engine(target)
    try:
        out_console.print(init_target(engine))
    finally:
        engine.dispose()


@app.command(
    epilog=example(
        "nffs-migrate load packages/0942-full --target sqlite:///target.db",
        'nffs-migrate load packages/0942-delta-2 --target "$NFFS_TARGET_URL" '
        "--documents-store /srv/nffs/documents",
    ),
)
def load(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    target: Annotated[
        str, typer.Option("--target", envvar="NFFS_TARGET_URL", help=TARGET_HELP)
    ] = "sqlite:///target.db",
    documents_store: Annotated[
        Path | None,
        typer.Option(
            "--documents-store",
            help="Content-addressed document folder "
            "(default: beside a SQLite target, else ./nffs-documents).",
        ),
    ] = None,
    require_signer: Annotated[
        Path | None,
        typer.Option(
            "--require-signer",
            metavar="NAME.sign.pub",
            help="Refuse the package unless PKG.seal.json beside it is signed by this key "
            "(docs/sealing.md).",
        ),
    ] = None,
    max_age_hours: Annotated[
        float,
        typer.Option(
            "--max-age-hours",
            min=0,
            help="Refuse a final batch whose data is older than this at load time (0: no limit).",
        ),
    ] = 24,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who cuts over with a final batch (default: this user)."),
    ] = None,
) -> None:
    """Load a validated package into the target: all tables in one transaction, exactly once.

    Refuses a damaged package (exit 2) or one whose validation has errors (exit 1);
    validation runs first when the package has no report. Loading a package that is
    already loaded changes nothing and says so (exit 0).

    Batches load in order (exit 1, naming the batch expected): a delta needs the scope's
    full batch and must follow the last batch loaded; a package older than one already
    loaded is refused. A delta removes what left the source (its key sets, or the
    children of the parents it delivers). A final batch must be fresh (--max-age-hours)
    and cuts the service over: later loads are refused until `target reopen`.
    """
    from datetime import timedelta

    from nffs_migration.cli.validate import validate_first
    from nffs_migration.loaders import load_package

    validate_first(package)  # the loader gates on the report; the command makes one first

    started = time.perf_counter()
    with progress() as bar:
        tasks: dict[str, Any] = {}

        def report(table: str, rows: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=None, rate="")
            elapsed = max(time.perf_counter() - started, 1e-6)
            bar.update(tasks[table], completed=rows, rate=f"{rows / elapsed:,.0f} rows/s")

        result = load_package(
            package,
            target,
            documents_store=documents_store,
            progress=report,
            require_signer=require_signer,
            max_age=timedelta(hours=max_age_hours) if max_age_hours else None,
            by=by,
        )
    if result.already_loaded:
        out_console.print(
            _("{package} is already loaded; nothing to do").format(package=result.package_id)
        )
        return
    table = Table(
        _("table"),
        _("rows"),
        _("inserted"),
        _("updated"),
        _("unchanged"),
        _("deleted"),
        title=_("loaded {package}").format(package=result.package_id),
    )
    for name, counts in result.rows.items():
        table.add_row(
            name,
            f"{counts['rows']:,}",
            f"{counts['inserted']:,}",
            f"{counts['updated']:,}",
            f"{counts.get('unchanged', 0):,}",
            f"{counts.get('deleted', 0):,}",
        )
    out_console.print(table)
    out_console.print(
        _("{count} new documents stored; {seconds} s").format(
            count=number(result.documents_new), seconds=number(time.perf_counter() - started, 1)
        )
    )
    if result.cut_over:
        out_console.print(
            _(
                "[bold]cut over[/]: this was the final batch; service {service} takes no "
                "more loads unless reopened (nffs-migrate target reopen)"
            ).format(service=result.cut_over)
        )


@target_app.command(
    "reopen",
    epilog=example(
        'nffs-migrate target reopen --service 0942 --system klibnet --reason "late payments '
        'of December, agreed with the canton on 2027-01-05" --target sqlite:///target.db',
    ),
)
def target_reopen(
    service: Annotated[str, typer.Option("--service", help="Service id (4 digits).")],
    system: Annotated[str, typer.Option("--system", help="Source system of the scope.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the scope is reopened (logged).")],
    target: Annotated[
        str, typer.Option("--target", envvar="NFFS_TARGET_URL", help=TARGET_HELP)
    ] = "sqlite:///target.db",
    by: Annotated[
        str | None, typer.Option("--by", help="Who reopens (default: this user).")
    ] = None,
) -> None:
    """Reopen a cut-over service for further loads; who, when and why are logged.

    After its final batch a service is cut over and the target refuses further loads
    into its scope. Reopening takes a stated reason, kept in the target's scope log.
    """
    from nffs_migration.loaders import create_target_engine
    from nffs_migration.loaders.chain import reopen
    from nffs_migration.loaders.schema import check_target

    engine = create_target_engine(target)
    try:
        check_target(engine)
        state = reopen(engine, service, system, reason, by)
    finally:
        engine.dispose()
    out_console.print(
        f"service {service} ({system}) reopened by {state.by}: further loads are accepted",
        highlight=False,
    )


@app.command(
    epilog=example(
        "nffs-migrate reconcile packages/0942-full --target sqlite:///target.db",
    ),
)
def reconcile(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    target: Annotated[
        str, typer.Option("--target", envvar="NFFS_TARGET_URL", help=TARGET_HELP)
    ] = "sqlite:///target.db",
) -> None:
    """Compare a package with the target: rows, CHF sums to the centime and ids, per table.

    A full package is compared with the target's rows of its service and system; a
    delta with the target's rows of the ids it carries, and with the whole scope: a
    delta with key sets proves that the target holds no row the source no longer holds
    (stale) and none missing. Exit 1 on any difference.
    """
    from nffs_migration.loaders import reconcile_package

    result = reconcile_package(package, target)
    table = Table(
        "table",
        "package rows",
        "target rows",
        "sums",
        "ids",
        "stale",
        title=f"reconcile {result.package_id}",
    )
    for name, (ours, theirs) in result.tables.items():
        sums = "same" if ours.sums == theirs.sums else "[red]differ[/]"
        ids = "same" if ours.ids_sha256 == theirs.ids_sha256 else "[red]differ[/]"
        rows = f"{theirs.rows:,}" if ours.rows == theirs.rows else f"[red]{theirs.rows:,}[/]"
        scope = result.scope.get(name)
        stale = "" if scope is None else ("none" if not scope.stale else f"[red]{scope.stale:,}[/]")
        table.add_row(name, f"{ours.rows:,}", rows, sums, ids, stale)
    out_console.print(table)
    differences = result.differences()
    if differences:
        for line in differences:
            out_console.print(f"[red]difference:[/] {line}", highlight=False)
        raise DataErrors(
            _("{package} and the target differ in {count} places").format(
                package=package.name, count=len(differences)
            )
        )
    same = _("the target holds exactly what the package holds")
    out_console.print(f"[green]{same}[/]")
