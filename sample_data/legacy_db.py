"""Writing a generated legacy database through SQLAlchemy, in batches, to any URL.

Shared by the KLIBnet and KiSS renderers: tables are declared with SQLAlchemy Core in
the types of the reference models (SQL Server types, portable equivalents elsewhere);
rows are buffered per table and inserted with `executemany` in batches, so a 100,000-case
source is written in bounded memory. A SQLite file is written under a temporary name
and renamed into place when complete, so an interrupted run never leaves a half-written
database behind. On servers (PostgreSQL, MySQL, SQL Server) the tables go to the
schema `dbo` where the server has schemas.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError

BATCH_ROWS = 5_000


def legacy_schema(url: sa.URL) -> str | None:
    """The schema the vendors' tables live in: `dbo`, except on SQLite and MySQL."""
    return None if url.get_backend_name() in ("sqlite", "mysql", "mariadb") else "dbo"


class DatabaseSink:
    """Creates the tables and takes rows per table, inserting them in batches."""

    def __init__(self, url: str, metadata: sa.MetaData, *, replace: bool = False) -> None:
        self.url = sa.make_url(url)
        self.metadata = metadata
        self.final_path: Path | None = None
        target = self.url
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database or ""
            if not database or database == ":memory:":
                raise ConfigurationError("a generated SQLite source needs a file path in --url")
            self.final_path = Path(database)
            if self.final_path.exists() and not replace:
                raise ConfigurationError(
                    f"{self.final_path} already exists; remove it or choose another --out"
                )
            self.final_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.final_path.with_name(f".{self.final_path.name}.tmp-{os.getpid()}")
            temporary.unlink(missing_ok=True)
            target = self.url.set(database=str(temporary))
        self.engine = sa.create_engine(target, hide_parameters=True)
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._statements: dict[str, tuple[str, list[str], list[tuple[int, Any]], bool]] = {}
        self.rows: dict[str, int] = {}
        self._connection: sa.Connection | None = None

    def __enter__(self) -> DatabaseSink:
        schema = self.metadata.schema
        with self.engine.begin() as connection:
            if schema and not connection.dialect.has_schema(connection, schema):
                connection.execute(sa.schema.CreateSchema(schema))
            self.metadata.drop_all(connection)
            self.metadata.create_all(connection)
        self._connection = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            # A temporary file renamed into place at the end: no journal needed.
            self._connection.exec_driver_sql("PRAGMA journal_mode=OFF")
            self._connection.exec_driver_sql("PRAGMA synchronous=OFF")
            self._connection.commit()
        # One transaction for the whole source; rows go through the driver's cursor
        # inside it, so commit() below commits them.
        self._connection.begin()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._connection is not None  # noqa: S101
        try:
            if exc_type is None:
                self.flush()
                self._connection.commit()
            else:
                self._connection.rollback()
        finally:
            self._connection.close()
            self.engine.dispose()
        if self.final_path is not None:
            temporary = Path(self.engine.url.database or "")
            if exc_type is None:
                temporary.replace(self.final_path)
            else:
                temporary.unlink(missing_ok=True)

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue one row; inserted when the table's batch is full."""
        buffer = self._buffers.setdefault(table, [])
        buffer.append(row)
        if len(buffer) >= BATCH_ROWS:
            self._flush_table(table)

    def extend(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        """Queue several rows."""
        for row in rows:
            self.add(table, row)

    def flush(self) -> None:
        """Insert every queued row, in the metadata's table order (parents first)."""
        for table in self.metadata.sorted_tables:
            self._flush_table(table.name)

    def _flush_table(self, name: str) -> None:
        buffer = self._buffers.get(name)
        if not buffer:
            return
        assert self._connection is not None  # noqa: S101
        statement, names, processors, positional = self._statement(name)
        rows: list[Any] = []
        for row in buffer:
            values = [row[column] for column in names]
            for index, processor in processors:
                if values[index] is not None:
                    values[index] = processor(values[index])
            rows.append(tuple(values) if positional else dict(zip(names, values, strict=True)))
        # The driver's executemany with SQLAlchemy's compiled statement and bind
        # processors: the same values SQLAlchemy would send, a few times faster.
        cursor = self._connection.connection.cursor()
        try:
            cursor.executemany(statement, rows)
        finally:
            cursor.close()
        self.rows[name] = self.rows.get(name, 0) + len(buffer)
        self._buffers[name] = []

    def _statement(self, name: str) -> tuple[str, list[str], list[tuple[int, Any]], bool]:
        cached = self._statements.get(name)
        if cached is None:
            table = self.metadata.tables[
                f"{self.metadata.schema}.{name}" if self.metadata.schema else name
            ]
            dialect = self.engine.dialect
            compiled = table.insert().compile(dialect=dialect)
            positional = bool(compiled.positiontup)
            columns = [c.name for c in table.columns]
            names = list(compiled.positiontup or []) if positional else columns
            processors = []
            for index, column_name in enumerate(names):
                processor = table.c[column_name].type._cached_bind_processor(dialect)
                if processor is not None:
                    processors.append((index, processor))
            cached = (str(compiled), names, processors, positional)
            self._statements[name] = cached
        return cached


__all__ = ["BATCH_ROWS", "DatabaseSink", "legacy_schema"]
