"""A scope's chain of batches: batches load in order, the last one is fresh, cutover sticks.

A *scope* is one service's rows from one source system (`service_id`, `source_system`).
Its batches form a chain: a full batch, then deltas, each following the last batch
loaded. The load log (`nffs_load_log`) records every link: sequence, data as of, the
high-water mark, the batch it follows, whether it was the final one. Before a package is
loaded, `guard()` refuses it (exit 1, naming the batch it expects) when it

- is a delta and the scope never saw a full batch;
- is older than a batch already loaded (a lower sequence, or an earlier `data_as_of`);
- is a delta that names another predecessor than the last batch loaded (`previous`), or
  whose `since` is later than that batch's high-water mark (the rows between would be
  missed);
- is the final batch and its `data_as_of` is older than the freshness limit (24 h by
  default) at load time;
- goes into a scope that is cut over, unless the scope was reopened since.

After the final batch loads, `cut_over()` records the cutover in `nffs_scope_log` (who,
when, which package); `reopen()` records a reopening with its stated reason.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, DataErrors
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.loaders.schema import LOAD_LOG_TABLE, METADATA, SCOPE_LOG_TABLE

#: How old the final batch's data may be when it is loaded.
DEFAULT_MAX_AGE = timedelta(hours=24)


class OutOfOrder(DataErrors):
    """A package that does not follow the scope's last loaded batch (exit 1)."""


class Stale(DataErrors):
    """A final batch whose data is older than the freshness limit (exit 1)."""


class CutOver(DataErrors):
    """A load into a scope that is cut over and not reopened (exit 1)."""


@dataclass(frozen=True)
class Link:
    """The last batch loaded into a scope."""

    package_id: str
    kind: str
    sequence: int
    data_as_of: datetime | None
    high_water_mark: str | None

    def describe(self) -> str:
        """The batch in a few words, for messages."""
        mark = f", high-water mark {self.high_water_mark}" if self.high_water_mark else ""
        return f"{self.package_id} ({self.kind} batch {self.sequence}{mark})"


@dataclass(frozen=True)
class ScopeState:
    """A scope's cutover: the last event of the scope log, if any."""

    event: str | None = None
    package_id: str | None = None
    at: datetime | None = None
    by: str | None = None
    reason: str | None = None

    @property
    def cut_over(self) -> bool:
        """True when the scope is cut over and not reopened since."""
        return self.event == "cutover"


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def last_link(connection: sa.Connection, service_id: str, source_system: str) -> Link | None:
    """The last batch loaded into the scope."""
    log = METADATA.tables[LOAD_LOG_TABLE]
    row = (
        connection.execute(
            sa.select(log)
            .where(
                log.c.service_id == service_id,
                log.c.source_system == source_system,
                log.c.outcome == "loaded",
            )
            .order_by(log.c.load_id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Link(
        row["package_id"],
        row["batch_kind"],
        row["batch_sequence"],
        _aware(row["data_as_of"]),
        row["high_water_mark"],
    )


def full_loaded(connection: sa.Connection, service_id: str, source_system: str) -> bool:
    """True when the scope has seen a full batch."""
    log = METADATA.tables[LOAD_LOG_TABLE]
    found = connection.execute(
        sa.select(sa.func.count())
        .select_from(log)
        .where(
            log.c.service_id == service_id,
            log.c.source_system == source_system,
            log.c.outcome == "loaded",
            log.c.batch_kind == "full",
        )
    ).scalar_one()
    return bool(found)


def scope_state(connection: sa.Connection, service_id: str, source_system: str) -> ScopeState:
    """Whether the scope is cut over (or was reopened), from the scope log."""
    events = METADATA.tables[SCOPE_LOG_TABLE]
    row = (
        connection.execute(
            sa.select(events)
            .where(events.c.service_id == service_id, events.c.source_system == source_system)
            .order_by(events.c.event_id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return ScopeState()
    return ScopeState(row["event"], row["package_id"], _aware(row["at"]), row["by"], row["reason"])


def _later(first: str, second: str) -> bool:
    try:
        one, two = datetime.fromisoformat(first), datetime.fromisoformat(second)
        if (one.tzinfo is None) != (two.tzinfo is None):
            one, two = one.replace(tzinfo=None), two.replace(tzinfo=None)
        return one > two
    except ValueError:
        return first > second


def guard(
    connection: sa.Connection,
    manifest: Manifest,
    *,
    max_age: timedelta | None = DEFAULT_MAX_AGE,
    now: datetime | None = None,
) -> None:
    """Refuse a package that does not follow the scope's chain (see the module docstring)."""
    batch = manifest.batch
    scope = (manifest.service_id, manifest.source_system)
    name = f"{manifest.package_id}"
    state = scope_state(connection, *scope)
    if state.cut_over:
        raise CutOver(
            f"{name}: service {scope[0]} ({scope[1]}) was cut over on {state.at:%Y-%m-%d %H:%M} "
            f"by {state.by} with {state.package_id}; reopen it with a reason first "
            "(nffs-migrate target reopen)"
        )
    last = last_link(connection, *scope)
    if batch.kind == "delta" and not full_loaded(connection, *scope):
        raise OutOfOrder(
            f"{name} is a delta, but service {scope[0]} ({scope[1]}) has no full batch in the "
            "target yet; load a full batch first"
        )
    if last is not None:
        if batch.sequence <= last.sequence:
            raise OutOfOrder(
                f"{name} is batch {batch.sequence}, older than {last.describe()} already "
                f"loaded; the next batch must have a sequence after {last.sequence}"
            )
        if last.data_as_of is not None and manifest.data_as_of < last.data_as_of:
            raise OutOfOrder(
                f"{name} reflects the source as of {manifest.data_as_of:%Y-%m-%d %H:%M}, before "
                f"{last.describe()} already loaded"
            )
    if batch.kind == "delta" and last is not None:
        if batch.previous is not None and batch.previous != last.package_id:
            raise OutOfOrder(
                f"{name} follows {batch.previous}, but the last batch loaded is "
                f"{last.describe()}; expected a delta that follows {last.package_id}"
            )
        if batch.since and last.high_water_mark and _later(batch.since, last.high_water_mark):
            raise OutOfOrder(
                f"{name} reads changes since {batch.since}, after the high-water mark of "
                f"{last.describe()}: the changes between would be lost; extract the delta "
                f"since {last.high_water_mark}"
            )
    if batch.final and max_age is not None:
        moment = now or datetime.now(UTC)
        age = moment - manifest.data_as_of
        if age > max_age:
            hours = age.total_seconds() / 3600
            raise Stale(
                f"{name} is the final batch, but its data is {hours:,.1f} h old (as of "
                f"{manifest.data_as_of:%Y-%m-%d %H:%M}); the limit is "
                f"{max_age.total_seconds() / 3600:g} h: extract it again just before loading"
            )


def log_values(manifest: Manifest) -> dict[str, Any]:
    """The chain's columns of a load log row."""
    batch = manifest.batch
    return {
        # In UTC: SQLite keeps no offset, and `_aware` reads a naive moment back as UTC.
        "data_as_of": manifest.data_as_of.astimezone(UTC),
        "since": batch.since,
        "high_water_mark": batch.high_water_mark,
        "previous": batch.previous,
        "final": batch.final,
    }


def cut_over(connection: sa.Connection, manifest: Manifest, by: str | None = None) -> None:
    """Record that the scope is cut over with this (final) package."""
    connection.execute(
        sa.insert(METADATA.tables[SCOPE_LOG_TABLE]).values(
            service_id=manifest.service_id,
            source_system=manifest.source_system,
            event="cutover",
            package_id=manifest.package_id,
            at=datetime.now(UTC),
            by=by or _user(),
            reason=None,
        )
    )


def reopen(
    engine: sa.Engine, service_id: str, source_system: str, reason: str, by: str | None = None
) -> ScopeState:
    """Reopen a cut-over scope for further loads; the reason is recorded."""
    if not reason.strip():
        raise ConfigurationError("say why the scope is reopened (--reason)")
    with engine.begin() as connection:
        state = scope_state(connection, service_id, source_system)
        if not state.cut_over:
            raise ConfigurationError(
                f"service {service_id} ({source_system}) is not cut over; nothing to reopen"
            )
        connection.execute(
            sa.insert(METADATA.tables[SCOPE_LOG_TABLE]).values(
                service_id=service_id,
                source_system=source_system,
                event="reopen",
                package_id=state.package_id,
                at=datetime.now(UTC),
                by=by or _user(),
                reason=reason.strip(),
            )
        )
        return scope_state(connection, service_id, source_system)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = [
    "DEFAULT_MAX_AGE",
    "CutOver",
    "Link",
    "OutOfOrder",
    "ScopeState",
    "Stale",
    "cut_over",
    "guard",
    "last_link",
    "log_values",
    "reopen",
    "scope_state",
]
