"""The target case store's schema, generated from the format definition.

One table per table of the format, same names and columns, with primary keys, foreign
keys and an index on every foreign key; each row also records the package that last
wrote it (`loaded_package_id`). Three tables of the loader's own: `nffs_schema_version`
(the format version the schema follows), `nffs_load_log` (every load: package,
checksum, counts, times, outcome, and the batch's place in its scope's chain: data as
of, since, high-water mark, the batch it follows, final) and `nffs_scope_log` (cutover
and reopening of a service's scope: who, when, which package, why).

`init_target` creates the schema or upgrades it: a newer minor format version only adds
columns, which are added as nullable columns; a different major version is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, LoadError, TargetUnavailable
from nffs_migration.intermediate_format.definition import FORMAT_VERSION, TABLES
from nffs_migration.intermediate_format.model import Column, Kind

SCHEMA_VERSION_TABLE = "nffs_schema_version"
LOAD_LOG_TABLE = "nffs_load_log"
SCOPE_LOG_TABLE = "nffs_scope_log"
PACKAGE_COLUMN = "loaded_package_id"

SQL_TYPES: dict[Kind, Any] = {
    Kind.STRING: sa.Text(),
    Kind.CODE: sa.String(40),
    Kind.DATE: sa.Date(),
    Kind.TIMESTAMP: sa.DateTime(),
    Kind.INTEGER: sa.BigInteger(),
    Kind.BOOLEAN: sa.Boolean(),
    Kind.MONEY: sa.Numeric(12, 2),
    Kind.INTEGER_LIST: sa.Text(),
}


def _column(column: Column, primary_key: str) -> sa.Column[object]:
    kind = (
        sa.String(200)
        if column.name == primary_key or column.foreign_key
        else SQL_TYPES[column.kind]
    )
    foreign = []
    if column.foreign_key is not None:
        foreign = [
            sa.ForeignKey(
                f"{column.foreign_key.table}.{column.foreign_key.column}",
                deferrable=True,
                initially="DEFERRED",
            )
        ]
    return sa.Column(
        column.name,
        kind,
        *foreign,
        primary_key=column.name == primary_key,
        nullable=not column.required,
        index=column.foreign_key is not None or column.name in ("service_id",),
    )


def target_metadata() -> sa.MetaData:
    """The target's tables as SQLAlchemy metadata."""
    metadata = sa.MetaData()
    for table in TABLES.values():
        sa.Table(
            table.name,
            metadata,
            *(_column(column, table.primary_key) for column in table.columns),
            sa.Column(PACKAGE_COLUMN, sa.String(120), nullable=False),
            comment=table.description,
        )
    sa.Table(
        SCHEMA_VERSION_TABLE,
        metadata,
        sa.Column("format_version", sa.String(20), primary_key=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        LOAD_LOG_TABLE,
        metadata,
        sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.String(120), nullable=False, index=True),
        sa.Column("content_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("service_id", sa.String(4), nullable=False),
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("batch_kind", sa.String(10), nullable=False),
        sa.Column("batch_sequence", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("rows", sa.Text),
        sa.Column("message", sa.Text),
        # The scope's chain (format 1.1): what the next batch must follow.
        sa.Column("data_as_of", sa.DateTime(timezone=True)),
        sa.Column("since", sa.String(40)),
        sa.Column("high_water_mark", sa.String(40)),
        sa.Column("previous", sa.String(120)),
        sa.Column("final", sa.Boolean),
    )
    sa.Table(
        SCOPE_LOG_TABLE,
        metadata,
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(4), nullable=False, index=True),
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),  # cutover or reopen
        sa.Column("package_id", sa.String(120)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text),
    )
    return metadata


METADATA = target_metadata()


def create_target_engine(url: str) -> sa.Engine:
    """An engine for the target; SQLite with foreign keys enforced."""
    try:
        engine = sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigurationError(f"cannot use target URL ({type(exc).__name__}: {exc})") from None
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: object, _record: object) -> None:
            cursor = connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def _major(version: str) -> int:
    return int(version.split(".")[0])


def init_target(engine: sa.Engine) -> str:
    """Create or upgrade the target schema; return what was done."""
    try:
        with engine.begin() as connection:
            inspector = sa.inspect(connection)
            existing = set(inspector.get_table_names())
            if SCHEMA_VERSION_TABLE in existing:
                versions = [
                    row[0]
                    for row in connection.execute(
                        sa.select(METADATA.tables[SCHEMA_VERSION_TABLE].c.format_version)
                    )
                ]
                current = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
                if _major(current) != _major(FORMAT_VERSION):
                    raise LoadError(
                        f"the target follows format {current}; this tool writes {FORMAT_VERSION} "
                        "(a new major version needs a migration of the target)"
                    )
                added = _add_missing_columns(connection, inspector)
                METADATA.create_all(connection)
                if current == FORMAT_VERSION and not added:
                    return f"target is up to date (format {FORMAT_VERSION})"
                _record_version(connection)
                return (
                    f"target upgraded from format {current} to {FORMAT_VERSION} "
                    f"({added} columns added)"
                )
            METADATA.create_all(connection)
            _record_version(connection)
        _owner_only_file(engine)
        return f"target created (format {FORMAT_VERSION})"
    except sa.exc.OperationalError as exc:
        raise TargetUnavailable(
            f"cannot reach the target database ({type(exc.orig).__name__})"
        ) from None


def _owner_only_file(engine: sa.Engine) -> None:
    """A SQLite target holds personal data: owner-only file."""
    import os

    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and os.path.exists(database):
        os.chmod(database, 0o600)


def _record_version(connection: sa.Connection) -> None:
    table = METADATA.tables[SCHEMA_VERSION_TABLE]
    connection.execute(sa.delete(table).where(table.c.format_version == FORMAT_VERSION))
    connection.execute(
        sa.insert(table).values(format_version=FORMAT_VERSION, applied_at=datetime.now(UTC))
    )


def _add_missing_columns(connection: sa.Connection, inspector: sa.Inspector) -> int:
    added = 0
    preparer = connection.dialect.identifier_preparer
    for table in METADATA.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(
                sa.text(
                    # DDL takes no parameters; both names come from the format definition.
                    f"ALTER TABLE {preparer.quote(table.name)} "
                    f"ADD COLUMN {preparer.quote(column.name)} {kind}"
                )
            )
            added += 1
    return added


def check_target(engine: sa.Engine) -> None:
    """Refuse a target that was not initialised for this format version."""
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(SCHEMA_VERSION_TABLE):
                raise LoadError(
                    "the target has no nffs schema; "
                    "run `nffs-migrate target init --target URL` first"
                )
            versions = [
                r[0]
                for r in connection.execute(
                    sa.select(METADATA.tables[SCHEMA_VERSION_TABLE].c.format_version)
                )
            ]
    except sa.exc.OperationalError as exc:
        raise TargetUnavailable(
            f"cannot reach the target database ({type(exc.orig).__name__})"
        ) from None
    if FORMAT_VERSION not in versions:
        raise LoadError(
            f"the target is not at format {FORMAT_VERSION}; "
            "run `nffs-migrate target init` to upgrade it"
        )


__all__ = [
    "LOAD_LOG_TABLE",
    "METADATA",
    "PACKAGE_COLUMN",
    "SCHEMA_VERSION_TABLE",
    "SCOPE_LOG_TABLE",
    "check_target",
    "create_target_engine",
    "init_target",
    "target_metadata",
]
