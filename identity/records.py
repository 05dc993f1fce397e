"""The person records to link, read from packages or from a target case store.

A record is (service_id, person_id, family_name, given_name, birth_date,
birth_date_precision, sex, ahvn13); a membership ties a person to a case
(service_id, person_id, case_id, domain, opened_on, closed_on) for the conflict checks.
Packages are read through the format's reader (checksums verified); a target through
SQLAlchemy, read-only. Values stay in memory; nothing here logs or raises a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, PackageError, TargetUnavailable
from nffs_migration.intermediate_format import open_package

PERSON_COLUMNS = (
    "service_id",
    "person_id",
    "family_name",
    "given_name",
    "birth_date",
    "birth_date_precision",
    "sex",
    "ahvn13",
)
PERSON_SCHEMA = {
    "service_id": pl.String,
    "person_id": pl.String,
    "family_name": pl.String,
    "given_name": pl.String,
    "birth_date": pl.Date,
    "birth_date_precision": pl.String,
    "sex": pl.String,
    "ahvn13": pl.String,
}
MEMBERSHIP_SCHEMA = {
    "service_id": pl.String,
    "person_id": pl.String,
    "case_id": pl.String,
    "domain": pl.String,
    "opened_on": pl.Date,
    "closed_on": pl.Date,
}


@dataclass(frozen=True)
class Records:
    """Persons and their case memberships, sorted by person id."""

    persons: pl.DataFrame
    memberships: pl.DataFrame
    sources: tuple[str, ...]  # package names or the target's dialect, for the report

    @classmethod
    def of(
        cls,
        persons: pl.DataFrame,
        memberships: pl.DataFrame | None = None,
        sources: Sequence[str] = (),
    ) -> Records:
        """Records from frames with (at least) the columns above, cast and sorted."""
        persons = (
            persons.select([pl.col(c).cast(t) for c, t in PERSON_SCHEMA.items()])
            .unique("person_id", keep="last", maintain_order=True)
            .sort("person_id")
        )
        if memberships is None:
            memberships = pl.DataFrame(schema=MEMBERSHIP_SCHEMA)
        memberships = (
            memberships.select([pl.col(c).cast(t) for c, t in MEMBERSHIP_SCHEMA.items()])
            .unique(["person_id", "case_id"], keep="last", maintain_order=True)
            .sort("person_id", "case_id")
        )
        return cls(persons, memberships, tuple(sources))


def read_packages(
    paths: Sequence[Path], *, advance: Callable[[str], None] | None = None
) -> Records:
    """The persons and memberships of every package (full and delta, in the order given).

    Raises:
        PackageError: A package is unreadable, incomplete or tampered with (names the file).
    """
    persons: list[pl.DataFrame] = []
    memberships: list[pl.DataFrame] = []
    names = []
    for path in paths:
        with open_package(path) as package:
            names.append(package.name)
            people = pl.from_arrow(package.table("persons").select(list(PERSON_COLUMNS)))
            cases = pl.from_arrow(
                package.table("cases").select(["case_id", "domain", "opened_on", "closed_on"])
            )
            members = pl.from_arrow(
                package.table("case_members").select(["service_id", "case_id", "person_id"])
            )
        assert isinstance(people, pl.DataFrame)  # noqa: S101 - from_arrow of a table
        assert isinstance(cases, pl.DataFrame) and isinstance(members, pl.DataFrame)  # noqa: S101
        persons.append(people)
        memberships.append(members.join(cases, on="case_id", how="inner"))
        if advance is not None:
            advance(package.name)
    if not persons:
        raise PackageError("no package given")
    return Records.of(
        pl.concat(persons, how="vertical_relaxed"),
        pl.concat(memberships, how="vertical_relaxed"),
        names,
    )


def engine_for(url: str) -> sa.Engine:
    """An engine for a target URL (the URL's password never appears in a message)."""
    try:
        return sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigurationError(f"cannot use target URL ({type(exc).__name__})") from None


def read_target(engine: sa.Engine) -> Records:
    """The persons and memberships of a target case store (read-only).

    Raises:
        TargetUnavailable: The target cannot be reached.
        ConfigurationError: The target has no persons, cases or case_members table.
    """
    try:
        inspector = sa.inspect(engine)
        missing = [t for t in ("persons", "cases", "case_members") if not inspector.has_table(t)]
        if missing:
            raise ConfigurationError(
                f"the target has no table {', '.join(missing)}; load packages into it first"
            )
        with engine.connect() as connection:
            persons = _frame(
                connection,
                f"SELECT {', '.join(PERSON_COLUMNS)} FROM persons",  # noqa: S608 - fixed names
                PERSON_SCHEMA,
            )
            memberships = _frame(
                connection,
                "SELECT m.service_id, m.person_id, m.case_id, c.domain, c.opened_on, c.closed_on "
                "FROM case_members m JOIN cases c ON c.case_id = m.case_id",
                MEMBERSHIP_SCHEMA,
            )
    except sa.exc.OperationalError as exc:
        raise TargetUnavailable(f"the target cannot be reached ({type(exc).__name__})") from None
    return Records.of(persons, memberships, [engine.dialect.name])


def _frame(
    connection: sa.Connection, query: str, schema: dict[str, type[pl.DataType]] | dict[str, object]
) -> pl.DataFrame:
    """A query's rows as a frame, read in chunks (a canton holds millions of persons)."""
    chunks = []
    result = connection.execute(sa.text(query)).yield_per(200_000)
    columns = list(schema)
    for partition in result.partitions():
        rows = [tuple(row) for row in partition]
        chunks.append(pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None))
    if not chunks:
        return pl.DataFrame(schema=schema)  # type: ignore[arg-type]
    frame = pl.concat(chunks, how="vertical_relaxed")
    # SQLite returns dates as text: parse them as the format's dates.
    return frame.with_columns(
        [
            pl.col(name).cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
            if kind == pl.Date
            else pl.col(name).cast(kind)  # type: ignore[arg-type]
            for name, kind in schema.items()
        ]
    )


__all__ = [
    "MEMBERSHIP_SCHEMA",
    "PERSON_COLUMNS",
    "PERSON_SCHEMA",
    "Records",
    "engine_for",
    "read_packages",
    "read_target",
]
