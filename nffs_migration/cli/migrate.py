"""`nffs-migrate migrate`, `demo`, `status`, `plan` and `service init`: the migration as a whole."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.errors import EXIT_DATA_ERRORS, UsageError
from nffs_migration.files import write_private_text
from nffs_migration.i18n import _
from nffs_migration.ui import err_console, out_console

LEDGER_HELP = (
    "SQLAlchemy URL of the migration ledger. Default: $NFFS_LEDGER_URL or sqlite:///ledger.db."
)

service_app = typer.Typer(help="Service configuration files.", no_args_is_help=True)
app.add_typer(service_app, name="service")


@service_app.command(
    "init",
    epilog=example("nffs-migrate service init --out 0942.yaml"),
)
def service_init(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the template.")],
) -> None:
    """Write a commented service configuration to fill in (source, target, ledger, batch plan)."""
    from nffs_migration.flows.config import TEMPLATE

    if out.exists():
        raise UsageError(f"{out} exists; choose another --out")
    out.write_text(TEMPLATE, encoding="utf-8")
    out_console.print(f"wrote {out}; fill it in, then: nffs-migrate migrate --config {out}")


def print_status(ledger_url: str, only: set[str] | None = None) -> None:
    """The status table of the services in a ledger."""
    from nffs_migration.flows.ledger import Ledger

    ledger = Ledger(ledger_url)
    try:
        rows = ledger.status()
    finally:
        ledger.close()
    table = Table(
        "service",
        "system",
        "wave",
        "batches",
        "step",
        "outcome",
        "migrated",
        "errors",
        "warnings",
        "blocking rule",
        "cutover",
        "last activity",
        title="migration status",
    )
    colours = {"done": "green", "blocked": "red", "failed": "red", "running": "yellow"}
    for s in rows:
        if only and s.service_id not in only:
            continue
        outcome = s.outcome or "planned"
        table.add_row(
            f"{s.service_id} {s.name}".strip(),
            s.source_system or "",
            "" if s.wave is None else str(s.wave),
            _journey(s),
            s.step or "",
            f"[{colours.get(outcome, 'white')}]{outcome}[/]",
            "" if s.migrated is None else f"{s.migrated:,}",
            "" if s.errors is None else f"{s.errors:,}",
            "" if s.warnings is None else f"{s.warnings:,}",
            s.blocking_rule or "",
            _cutover(s),
            s.last_activity.strftime("%Y-%m-%d %H:%M") if s.last_activity else "",
        )
    out_console.print(table)


MARKS = {"done": "[green]✓[/]", "blocked": "[red]✗[/]", "failed": "[red]![/]"}


def _journey(service: Any) -> str:
    """Each batch so far: its number, kind and a mark (✓ loaded, ✗ stopped by the gate)."""
    return " ".join(
        f"{sequence}{'Δ' if kind == 'delta' else 'F'}{MARKS.get(outcome, '…')}"
        for sequence, kind, outcome in service.journey
    )


def _cutover(service: Any) -> str:
    if service.cut_over_at is not None:
        return f"[green]cut over[/] {service.cut_over_at:%Y-%m-%d} ({service.cut_over_by})"
    if service.planned_cutover is not None:
        return f"planned {service.planned_cutover}"
    return ""


@app.command(
    epilog=example(
        "nffs-migrate migrate --config services/0942.yaml",
        "PREFECT_API_URL=http://prefect:4200/api nffs-migrate migrate --config services/0942.yaml",
        "nffs-migrate migrate -c services/0942.yaml -c services/0351.yaml --dask-workers 2",
        "nffs-migrate migrate --config services/0942.yaml --next",
    ),
)
def migrate(
    config: Annotated[
        list[Path],
        typer.Option("--config", "-c", help="A service's configuration file (repeat for several)."),
    ],
    dask_workers: Annotated[
        int | None,
        typer.Option(
            "--dask-workers", help="Several services in parallel on a local Dask cluster."
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address", help="Several services in parallel on a running Dask scheduler."
        ),
    ] = None,
    next_batch: Annotated[
        bool,
        typer.Option(
            "--next", help="Run only the next batch of the plan (a delta days after the full one)."
        ),
    ] = False,
) -> None:
    """Run a service's batch plan: extract, validate, gate, load, reconcile, per batch.

    The plan is a full batch, then the configured deltas; with a cutover date the last
    one is final and cuts the service over. `--next` runs one batch and stops.
    Progress in the terminal, and in the Prefect UI when a Prefect server is configured
    (PREFECT_API_URL); otherwise Prefect runs embedded. A re-run resumes where a crash
    left off and never loads a package twice.
    """
    from nffs_migration.flows.config import load_config
    from nffs_migration.flows.prefect_env import prepare

    configs = [load_config(path) for path in config]
    from nffs_migration import i18n
    from nffs_migration.cli.app import state

    i18n.set_language(state.lang, configured=configs[0].service.language)
    prepare()
    started = time.perf_counter()
    if next_batch and len(config) > 1:
        raise UsageError("--next runs the next batch of one service; give one --config")
    if len(config) > 1 or dask_workers or dask_address:
        from nffs_migration.flows.canton import run_services

        with err_console.status(f"migrating {len(config)} services"):
            run_services(config, cluster_address=dask_address, workers=dask_workers)
        out_console.print(f"done in {time.perf_counter() - started:.1f} s")
        for settings in configs:
            print_status(settings.url(settings.ledger, "ledger"), {settings.service.id})
        return
    from nffs_migration.flows.migrate import migrate_service

    settings = configs[0]
    with err_console.status(f"migrating {settings.service.id} {settings.service.name}"):
        outcomes = migrate_service(str(config[0]), batches=1 if next_batch else None)
    for outcome in outcomes:
        out_console.print(
            f"batch {outcome['sequence']} ({outcome['kind']}): {outcome['outcome']} "
            f"{outcome['package_id'] or ''}"
        )
    out_console.print(f"done in {time.perf_counter() - started:.1f} s")
    print_status(settings.url(settings.ledger, "ledger"), {settings.service.id})


@app.command(
    epilog=example("nffs-migrate demo", "nffs-migrate demo --workdir /tmp/demo --fresh"),
)
def demo(
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="Folder for sources, packages, reports, target and ledger."),
    ] = Path("nffs-demo"),
    cases: Annotated[int, typer.Option("--cases", min=10, help="Cases per demo service.")] = 60,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start from an empty folder.")] = False,
) -> None:
    """Run a whole migration on generated data: four services, one per source system.

    Generates legacy sources for KLIBnet, KiSS, Tutoris and a self-built system, migrates
    them with Prefect (embedded) into a SQLite target under ./nffs-demo/, and prints the
    status table. The KLIBnet source carries the field's defects: the gate stops its
    first batch, a clerk mends at the source what the report names, and the next batch
    loads. In the end the target holds the cases of all four systems.
    """
    from nffs_migration.flows.prefect_env import prepare

    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    prepare(workdir.resolve() / ".prefect")
    from nffs_migration.flows.demo import run_demo

    started = time.perf_counter()
    out_console.print(f"the demo works in {workdir.resolve()}/")
    ledger = run_demo(workdir, cases, say=lambda line: err_console.print(line, highlight=False))
    print_status(ledger)
    out_console.print(
        f"done in {time.perf_counter() - started:.0f} s. "
        f"Reports: {workdir}/runs/*/packages/*/reports/validation.html; dashboard: "
        f"nffs-migrate status --ledger sqlite:///{(workdir / 'ledger.db').resolve()} "
        "--html status.html"
    )


status_app = typer.Typer(
    help="Every service at a glance; snapshots carry a service's status to the canton.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(status_app, name="status")


@status_app.callback(
    epilog=example(
        "nffs-migrate status",
        'nffs-migrate status --ledger "$NFFS_LEDGER_URL" --html status.html',
        "nffs-migrate --lang fr status --xlsx steering-committee.xlsx",
        "nffs-migrate status export --service 0942 --out 0942-status.json",
        "nffs-migrate status import snapshots/ --trust keys/",
    ),
)
def status(
    ctx: typer.Context,
    ledger: Annotated[
        str, typer.Option("--ledger", envvar="NFFS_LEDGER_URL", help=LEDGER_HELP)
    ] = "sqlite:///ledger.db",
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained dashboard page.")
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write plan against actual per service (.xlsx)."),
    ] = None,
    csv_out: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write plan against actual per service (.csv)."),
    ] = None,
) -> None:
    """Show every service: system, wave, batch, step, quality, what blocks it, last activity.

    `--html` writes the dashboard (progress per wave, plan against actual, findings by
    rule and batch); `--xlsx`/`--csv` the plan against actual for the steering committee.
    """
    ctx.obj = ledger
    if ctx.invoked_subcommand is not None:
        return
    print_status(ledger)
    from nffs_migration.flows.ledger import Ledger
    from nffs_migration.flows.status import dashboard_html, write_status_table

    opened = Ledger(ledger)
    try:
        if html is not None:
            write_private_text(html, dashboard_html(opened))
            out_console.print(_("wrote {out}").format(out=html))
        for table in (xlsx, csv_out):
            if table is not None:
                count = write_status_table(opened, table)
                out_console.print(_("wrote {out}: {count} services").format(out=table, count=count))
    finally:
        opened.close()


@status_app.command(
    "export",
    epilog=example(
        "nffs-migrate status export --service 0942 --out 0942-status.json",
        "nffs-migrate status export --service 0942 --out 0942-status.json "
        "--sign-key keys/0942.sign.key",
    ),
)
def status_export(
    ctx: typer.Context,
    service: Annotated[str, typer.Option("--service", help="The service's 4-digit id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The snapshot file (.json).")],
    sign_key: Annotated[
        Path | None,
        typer.Option(
            "--sign-key",
            envvar="NFFS_SIGN_KEY",
            help="The service's Ed25519 key (nffs-migrate package keygen): sign the snapshot.",
        ),
    ] = None,
) -> None:
    """Write one service's status as a snapshot for the canton (no personal data).

    Plan, batches, outcomes, counts, blocking rules and cutover, from this ledger; signed
    with the service's key when given. The canton collects the files and runs
    `nffs-migrate status import`.
    """
    from nffs_migration.flows.ledger import Ledger
    from nffs_migration.flows.snapshots import export_snapshot, write_snapshot

    opened = Ledger(ctx.obj)
    try:
        passphrase = os.environ.get("NFFS_KEY_PASSPHRASE")
        document = export_snapshot(
            opened,
            service.zfill(4),
            signing_key=sign_key,
            passphrase=passphrase.encode() if passphrase else None,
        )
    finally:
        opened.close()
    write_snapshot(document, out)
    signed = _("signed") if "signature" in document else _("not signed")
    out_console.print(
        _("wrote {out}: service {service}, {batches} batches, {signed}").format(
            out=out,
            service=service.zfill(4),
            batches=len(document["snapshot"]["batches"]),
            signed=signed,
        )
    )


@status_app.command(
    "import",
    epilog=example(
        "nffs-migrate status import snapshots/ --ledger sqlite:///canton.db",
        "nffs-migrate status import snapshots/ --trust keys/",
    ),
)
def status_import(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A folder of snapshots (*.json) or one file.")],
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            help="A folder of the services' public keys (<service_id>.sign.pub): every "
            "snapshot must then be signed by its service's key.",
        ),
    ] = None,
) -> None:
    """Collect the services' snapshots into this ledger (idempotent; signatures checked).

    A snapshot already imported or older than the imported one changes nothing; the
    canton's plan (wave, planned dates) wins over the snapshot's. With `--trust`, an
    unsigned, changed or foreign-signed snapshot is refused. Exit 1 when any is refused.
    """
    from nffs_migration.flows.ledger import Ledger
    from nffs_migration.flows.snapshots import import_snapshots, trusted_keys

    keys = trusted_keys(trust) if trust is not None else None
    if keys is None:
        err_console.print(_("[yellow]no --trust: signatures are not checked[/]"))
    opened = Ledger(ctx.obj)
    try:
        result = import_snapshots(opened, folder, trusted=keys)
    finally:
        opened.close()
    out_console.print(
        _("imported {imported}, unchanged {unchanged}, refused {refused}").format(
            imported=len(result.imported),
            unchanged=len(result.unchanged),
            refused=len(result.refused),
        )
    )
    for _file, reason in result.refused:
        word = _("refused")
        out_console.print(f"[red]{word}:[/] {escape(reason)}", highlight=False)
    if result.refused:
        raise typer.Exit(EXIT_DATA_ERRORS)


@app.command(
    epilog=example('nffs-migrate plan --canton organisations.csv --ledger "$NFFS_LEDGER_URL"'),
)
def plan(
    canton: Annotated[
        Path, typer.Option("--canton", help="The canton's organisations and waves (CSV or YAML).")
    ],
    ledger: Annotated[
        str, typer.Option("--ledger", envvar="NFFS_LEDGER_URL", help=LEDGER_HELP)
    ] = "sqlite:///ledger.db",
) -> None:
    """Load the canton's list of organisations and their migration waves into the ledger.

    CSV or YAML with service_id, name and optionally source_system, wave, planned_start,
    cutover (YYYY-MM-DD).
    """
    from nffs_migration.flows.ledger import Ledger
    from nffs_migration.flows.status import load_canton_plan

    opened = Ledger(ledger)
    try:
        count = load_canton_plan(opened, canton)
    finally:
        opened.close()
    out_console.print(f"{count} services planned in the ledger")
