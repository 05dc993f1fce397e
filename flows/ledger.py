"""The migration ledger: every service, batch and step, for the canton's overview.

A SQLAlchemy database (SQLite by default, PostgreSQL at canton scale) with three tables:

- `ledger_services`: the canton's organisations, their source system, wave, planned
  cutover, and the cutover as it happened (who, when, which package);
- `ledger_batches`: per service and batch: kind, package, content checksum, the step it
  reached, start and end, counts read/migrated/rejected/excluded, errors, warnings,
  the rule that blocks it, the outcome;
- `ledger_steps`: every step run (extract, validate, gate, load, reconcile) with its
  outcome, times and message.

Rows hold keys, counts and rule ids, never a record's values. `status()` gives the
latest state of every service for `nffs-migrate status`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from nffs_migration.errors import TargetUnavailable

METADATA = sa.MetaData()

SERVICES = sa.Table(
    "ledger_services",
    METADATA,
    sa.Column("service_id", sa.String(4), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("source_system", sa.String(20)),
    sa.Column("wave", sa.Integer),
    sa.Column("planned_start", sa.Date),
    sa.Column("cutover", sa.Date),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The cutover as it happened: the final batch loaded (who, when, which package).
    sa.Column("cut_over_at", sa.DateTime(timezone=True)),
    sa.Column("cut_over_by", sa.String(120)),
    sa.Column("cut_over_package", sa.String(120)),
    # When the service's history came from a status snapshot: the snapshot's moment.
    sa.Column("snapshot_at", sa.DateTime(timezone=True)),
)
BATCHES = sa.Table(
    "ledger_batches",
    METADATA,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.String(4), nullable=False, index=True),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("source_system", sa.String(20), nullable=False),
    sa.Column("package_id", sa.String(120)),
    sa.Column("content_sha256", sa.String(64)),
    sa.Column("high_water_mark", sa.String(40)),
    sa.Column("step", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("read", sa.BigInteger),
    sa.Column("migrated", sa.BigInteger),
    sa.Column("rejected", sa.BigInteger),
    sa.Column("excluded", sa.BigInteger),
    sa.Column("errors", sa.Integer),
    sa.Column("warnings", sa.Integer),
    sa.Column("infos", sa.Integer),
    sa.Column("findings_by_rule", sa.Text),
    sa.Column("blocking_rule", sa.String(80)),
    sa.Column("message", sa.Text),
    sa.Column("final", sa.Boolean),
    sa.UniqueConstraint("service_id", "sequence", name="one_row_per_batch"),
)
STEPS = sa.Table(
    "ledger_steps",
    METADATA,
    sa.Column("step_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.String(4), nullable=False, index=True),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("step", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("output_sha256", sa.String(64)),
    sa.Column("message", sa.Text),
)

STEP_ORDER = ("extract", "validate", "gate", "load", "reconcile")


def now() -> datetime:
    """The current time, aware, UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServiceStatus:
    """The latest state of one service, as `nffs-migrate status` shows it."""

    service_id: str
    name: str
    source_system: str | None
    wave: int | None
    sequence: int | None
    kind: str | None
    step: str | None
    outcome: str | None
    errors: int | None
    warnings: int | None
    migrated: int | None
    rejected: int | None
    excluded: int | None
    blocking_rule: str | None
    last_activity: datetime | None
    planned_cutover: Any = None
    cut_over_at: datetime | None = None
    cut_over_by: str | None = None
    #: Every batch so far: (sequence, kind, outcome), oldest first.
    journey: tuple[tuple[int, str, str], ...] = ()
    planned_start: Any = None
    #: When the last batch that went through (outcome done) finished.
    last_loaded_at: datetime | None = None


class Ledger:
    """Read and write the migration ledger."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)
        try:
            METADATA.create_all(self.engine)
            _add_missing_columns(self.engine)
        except sa.exc.OperationalError as exc:
            raise TargetUnavailable(
                f"cannot reach the ledger ({type(exc.orig).__name__})"
            ) from None

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    # -- services ------------------------------------------------------------------------

    def plan_service(
        self,
        service_id: str,
        name: str,
        *,
        source_system: str | None = None,
        wave: int | None = None,
        planned_start: Any = None,
        cutover: Any = None,
    ) -> None:
        """Add or update a service of the canton's plan."""
        values = {
            "name": name,
            "source_system": source_system,
            "wave": wave,
            "planned_start": planned_start,
            "cutover": cutover,
            "updated_at": now(),
        }
        with self.engine.begin() as connection:
            exists = connection.execute(
                sa.select(SERVICES.c.service_id).where(SERVICES.c.service_id == service_id)
            ).first()
            if exists:
                values = {k: v for k, v in values.items() if v is not None}
                connection.execute(
                    sa.update(SERVICES).where(SERVICES.c.service_id == service_id).values(**values)
                )
            else:
                connection.execute(sa.insert(SERVICES).values(service_id=service_id, **values))

    # -- batches and steps ----------------------------------------------------------------

    def batch(self, service_id: str, sequence: int) -> dict[str, Any] | None:
        """A batch's row, or None."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(BATCHES).where(
                        BATCHES.c.service_id == service_id, BATCHES.c.sequence == sequence
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def batches(self, service_id: str) -> list[dict[str, Any]]:
        """Every batch of a service, by sequence."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(BATCHES)
                    .where(BATCHES.c.service_id == service_id)
                    .order_by(BATCHES.c.sequence)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def cut_over(self, service_id: str, package_id: str | None, *, by: str) -> None:
        """Record that the service's final batch loaded: it is cut over."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(SERVICES)
                .where(SERVICES.c.service_id == service_id)
                .values(
                    cut_over_at=now(), cut_over_by=by, cut_over_package=package_id, updated_at=now()
                )
            )

    def start_batch(
        self, service_id: str, sequence: int, kind: str, source_system: str, *, final: bool = False
    ) -> None:
        """Record that a batch starts (or starts again after a crash)."""
        with self.engine.begin() as connection:
            existing = connection.execute(
                sa.select(BATCHES.c.batch_id).where(
                    BATCHES.c.service_id == service_id, BATCHES.c.sequence == sequence
                )
            ).first()
            if existing:
                connection.execute(
                    sa.update(BATCHES)
                    .where(BATCHES.c.batch_id == existing[0])
                    .values(outcome="running", finished_at=None)
                )
            else:
                connection.execute(
                    sa.insert(BATCHES).values(
                        service_id=service_id,
                        sequence=sequence,
                        kind=kind,
                        source_system=source_system,
                        step="extract",
                        outcome="running",
                        started_at=now(),
                        final=final,
                    )
                )

    def update_batch(self, service_id: str, sequence: int, **values: Any) -> None:
        """Set columns of a batch's row (counts, package, step, outcome...)."""
        if "findings_by_rule" in values and not isinstance(values["findings_by_rule"], str | None):
            values["findings_by_rule"] = json.dumps(values["findings_by_rule"], sort_keys=True)
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(BATCHES)
                .where(BATCHES.c.service_id == service_id, BATCHES.c.sequence == sequence)
                .values(**values)
            )

    def step(
        self,
        service_id: str,
        sequence: int,
        step: str,
        outcome: str,
        *,
        started_at: datetime,
        output_sha256: str | None = None,
        message: str | None = None,
    ) -> None:
        """Record a step's outcome, and move the batch's step marker."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(STEPS).values(
                    service_id=service_id,
                    sequence=sequence,
                    step=step,
                    outcome=outcome,
                    started_at=started_at,
                    finished_at=now(),
                    output_sha256=output_sha256,
                    message=message,
                )
            )
            connection.execute(
                sa.update(BATCHES)
                .where(BATCHES.c.service_id == service_id, BATCHES.c.sequence == sequence)
                .values(step=step)
            )

    def steps(self, service_id: str, sequence: int) -> list[dict[str, Any]]:
        """Every step run of a batch, oldest first."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(STEPS)
                    .where(STEPS.c.service_id == service_id, STEPS.c.sequence == sequence)
                    .order_by(STEPS.c.step_id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def completed(self, service_id: str, sequence: int, step: str) -> dict[str, Any] | None:
        """The last successful run of a step of a batch, or None."""
        runs = [
            r
            for r in self.steps(service_id, sequence)
            if r["step"] == step and r["outcome"] == "done"
        ]
        return runs[-1] if runs else None

    def last_successful(self, service_id: str) -> dict[str, Any] | None:
        """The service's latest batch that was loaded and reconciled."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(BATCHES)
                    .where(BATCHES.c.service_id == service_id, BATCHES.c.outcome == "done")
                    .order_by(BATCHES.c.sequence.desc())
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    # -- snapshots: a service's history carried to another ledger -------------------------

    def service(self, service_id: str) -> dict[str, Any] | None:
        """A service's row, or None."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(sa.select(SERVICES).where(SERVICES.c.service_id == service_id))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def service_steps(self, service_id: str) -> list[dict[str, Any]]:
        """Every step run of a service, in order."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(STEPS)
                    .where(STEPS.c.service_id == service_id)
                    .order_by(STEPS.c.sequence, STEPS.c.step_id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def replace_history(
        self,
        service: dict[str, Any],
        batches: list[dict[str, Any]],
        steps: list[dict[str, Any]],
        snapshot_at: datetime,
    ) -> None:
        """Put a service's history as a snapshot holds it, in one transaction.

        The plan this ledger holds (wave, planned start and cutover) wins over the
        snapshot's; the service's batches and steps are the snapshot's.
        """
        service_id = service["service_id"]
        batch_columns = {c.name for c in BATCHES.columns} - {"batch_id"}
        step_columns = {c.name for c in STEPS.columns} - {"step_id"}
        with self.engine.begin() as connection:
            current = (
                connection.execute(sa.select(SERVICES).where(SERVICES.c.service_id == service_id))
                .mappings()
                .first()
            )
            values = {
                "name": service.get("name") or "",
                "source_system": service.get("source_system"),
                "wave": service.get("wave"),
                "planned_start": service.get("planned_start"),
                "cutover": service.get("cutover"),
                "cut_over_at": service.get("cut_over_at"),
                "cut_over_by": service.get("cut_over_by"),
                "cut_over_package": service.get("cut_over_package"),
                "updated_at": now(),
                "snapshot_at": snapshot_at,
            }
            if current is None:
                connection.execute(sa.insert(SERVICES).values(service_id=service_id, **values))
            else:
                for planned in ("name", "source_system", "wave", "planned_start", "cutover"):
                    if current[planned] not in (None, ""):
                        values.pop(planned)
                connection.execute(
                    sa.update(SERVICES).where(SERVICES.c.service_id == service_id).values(**values)
                )
            connection.execute(sa.delete(BATCHES).where(BATCHES.c.service_id == service_id))
            connection.execute(sa.delete(STEPS).where(STEPS.c.service_id == service_id))
            if batches:
                connection.execute(
                    sa.insert(BATCHES),
                    [{k: v for k, v in b.items() if k in batch_columns} for b in batches],
                )
            if steps:
                connection.execute(
                    sa.insert(STEPS),
                    [{k: v for k, v in s.items() if k in step_columns} for s in steps],
                )

    # -- overview ----------------------------------------------------------------------

    def status(self) -> list[ServiceStatus]:
        """Every service with its latest batch."""
        with self.engine.connect() as connection:
            services = {
                r["service_id"]: dict(r) for r in connection.execute(sa.select(SERVICES)).mappings()
            }
            batches = (
                connection.execute(
                    sa.select(BATCHES).order_by(BATCHES.c.service_id, BATCHES.c.sequence)
                )
                .mappings()
                .all()
            )
        latest: dict[str, dict[str, Any]] = {}
        loaded: dict[str, datetime] = {}
        journeys: dict[str, list[tuple[int, str, str]]] = {}
        for row in batches:
            latest[row["service_id"]] = dict(row)
            if row["outcome"] == "done" and row["finished_at"] is not None:
                loaded[row["service_id"]] = row["finished_at"]
            journeys.setdefault(row["service_id"], []).append(
                (row["sequence"], row["kind"], row["outcome"])
            )
        result = []
        for service_id in sorted(set(services) | set(latest)):
            service = services.get(service_id, {})
            batch = latest.get(service_id, {})
            result.append(
                ServiceStatus(
                    service_id=service_id,
                    name=service.get("name") or "",
                    source_system=batch.get("source_system") or service.get("source_system"),
                    wave=service.get("wave"),
                    sequence=batch.get("sequence"),
                    kind=batch.get("kind"),
                    step=batch.get("step"),
                    outcome=batch.get("outcome"),
                    errors=batch.get("errors"),
                    warnings=batch.get("warnings"),
                    migrated=batch.get("migrated"),
                    rejected=batch.get("rejected"),
                    excluded=batch.get("excluded"),
                    blocking_rule=batch.get("blocking_rule"),
                    last_activity=batch.get("finished_at")
                    or batch.get("started_at")
                    or service.get("updated_at"),
                    planned_cutover=service.get("cutover"),
                    cut_over_at=service.get("cut_over_at"),
                    cut_over_by=service.get("cut_over_by"),
                    journey=tuple(journeys.get(service_id, [])),
                    planned_start=service.get("planned_start"),
                    last_loaded_at=loaded.get(service_id),
                )
            )
        return result

    def history(self) -> list[dict[str, Any]]:
        """Every batch of every service (for the dashboard's trends)."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(BATCHES).order_by(BATCHES.c.service_id, BATCHES.c.sequence)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]


def _add_missing_columns(engine: sa.Engine) -> None:
    """A ledger made by an earlier version gets the columns added since (all nullable)."""
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        preparer = connection.dialect.identifier_preparer
        for table in METADATA.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=connection.dialect)
                connection.execute(
                    sa.text(  # DDL takes no parameters; both names are this module's own
                        f"ALTER TABLE {preparer.quote(table.name)} "
                        f"ADD COLUMN {preparer.quote(column.name)} {kind}"
                    )
                )


__all__ = ["STEP_ORDER", "Ledger", "ServiceStatus"]
