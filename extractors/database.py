"""Reading legacy databases: read-only connections, typed chunks, profiles.

Shared by the database families (KLIBnet, KiSS). A source is any SQLAlchemy URL:
`sqlite:///…`, `postgresql+psycopg://…`, `mysql+pymysql://…`, `mssql+pyodbc://…`.
Connections are read-only where the driver allows it (SQLite opened with `mode=ro`,
PostgreSQL sessions `default_transaction_read_only`), statements are built with
SQLAlchemy Core from the reference models' table and column names (quoted
identifiers, bound parameters, never string SQL), and engines hide bound parameters
in their errors.

Values arrive differently per driver (SQLite: dates as text, `money` as REAL; pyodbc:
booleans as '1'/'0', amounts as Decimal); `read_chunks` converts each column by the
type the reference model declares, never by guessing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, SourceError, SourceUnavailable
from nffs_migration.extractors.base import ColumnProfile, TableProfile
from nffs_migration.extractors.normalise import swiss_amount
from nffs_migration.log import get_logger

log = get_logger(__name__)

#: Declared column types of the reference models.
TYPES = ("int", "str", "date", "datetime", "money", "decimal", "bool", "bytes")
#: Values seen fewer times than this are shown as a count only in profiles.
MIN_CELL = 5


def create_source_engine(url: str) -> sa.Engine:
    """An engine that reads the source without being able to change it, where possible."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if parsed.get_driver_name() == "pyodbc":
        try:
            import pyodbc  # noqa: F401
        except ImportError as exc:
            raise ConfigurationError(
                f"the ODBC driver manager is missing ({exc}); install it with "
                "`apt-get install unixodbc` and the database's ODBC driver"
            ) from None
    kwargs: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or not Path(database).is_file():
            raise SourceError(f"source database {database or '(none)'} does not exist")
        parsed = parsed.set(
            database=f"file:{Path(database).resolve()}?mode=ro", query={"uri": "true"}
        )
    elif backend == "postgresql" and parsed.get_driver_name() in ("psycopg", "psycopg2"):
        kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    try:
        return sa.create_engine(parsed, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigurationError(f"cannot use source URL ({type(exc).__name__}: {exc})") from None


@dataclass
class Database:
    """A connected legacy database and the schema its tables live in."""

    engine: sa.Engine
    schema: str | None

    @classmethod
    def open(cls, url: str, marker_table: str, system: str) -> Database:
        """Connect and find the schema that holds `marker_table` (`dbo` or the default)."""
        engine = create_source_engine(url)
        try:
            inspector = sa.inspect(engine)
            candidates: list[str | None] = [None]
            if engine.dialect.name not in ("sqlite", "mysql", "mariadb"):
                candidates = ["dbo", None]
            for schema in candidates:
                try:
                    names = set(inspector.get_table_names(schema=schema))
                except sa.exc.NoSuchTableError:
                    continue
                except sa.exc.ProgrammingError:
                    continue
                if marker_table in names:
                    return cls(engine, schema)
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise SourceUnavailable(
                f"cannot connect to the source database ({type(exc.orig).__name__})"
            ) from None
        engine.dispose()
        raise SourceError(f"not a {system} database: table {marker_table} not found")

    def table(self, name: str, columns: Sequence[str]) -> sa.TableClause:
        """A lightweight table clause with quoted identifiers."""
        return sa.table(name, *(sa.column(c) for c in columns), schema=self.schema)

    def count(self, name: str) -> int:
        """Rows of a table."""
        clause = sa.table(name, schema=self.schema)
        with self.engine.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(clause)).scalar_one()
            )

    def has_table(self, name: str) -> bool:
        """True when the table exists in the source's schema."""
        return name in set(sa.inspect(self.engine).get_table_names(schema=self.schema))

    def read_chunks(
        self,
        name: str,
        columns: dict[str, str],
        *,
        where: sa.ColumnElement[bool] | None = None,
        order_by: str | list[str] | None = None,
        chunk_rows: int = 50_000,
    ) -> Iterator[pd.DataFrame]:
        """Read a table in chunks, each column converted by its declared type."""
        clause = self.table(name, list(columns))
        statement = sa.select(*(clause.c[c] for c in columns))
        if where is not None:
            statement = statement.where(where)
        # Rows come in a stable order on every database: by the given columns or the first.
        keys = [order_by] if isinstance(order_by, str) else (order_by or [next(iter(columns))])
        statement = statement.order_by(*(clause.c[key] for key in keys))
        try:
            with self.engine.connect() as connection:
                result = connection.execution_options(
                    stream_results=True, yield_per=chunk_rows
                ).execute(statement)
                for partition in result.partitions(chunk_rows):
                    yield typed_frame(partition, columns)
        except sa.exc.OperationalError as exc:
            raise SourceUnavailable(
                f"reading {name} failed ({type(exc.orig).__name__}); the connection may be lost"
            ) from None
        except sa.exc.DBAPIError as exc:
            raise SourceError(f"reading {name} failed ({type(exc.orig).__name__})") from None

    def read_all(self, name: str, columns: dict[str, str], **kwargs: Any) -> pd.DataFrame:
        """A whole (narrow) table as one frame: use for key and status columns only."""
        frames = list(self.read_chunks(name, columns, **kwargs))
        if not frames:
            return typed_frame([], columns)
        return pd.concat(frames, ignore_index=True)

    def column(self, name: str, column: str) -> sa.ColumnClause[Any]:
        """A column for `where` clauses of `read_chunks` on table `name` (quoted, unbound).

        Unbound, so that it refers to the table being read rather than adding a second
        FROM entry.
        """
        del name
        return sa.column(column)

    def dispose(self) -> None:
        """Close the connections."""
        self.engine.dispose()


@lru_cache(maxsize=200_000)
def _amount(value: Any) -> Decimal | None:
    return swiss_amount(value)


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "-1", "yes"):
        return True
    if text in ("0", "false", "f", "no", ""):
        return False
    return None


def _infer(values: list[Any]) -> pa.Array | None:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _to_arrow(values: list[Any], kind: str) -> pa.Array:
    """Values from a driver as an Arrow array of the declared type (fast paths first)."""
    if kind == "bytes":
        return pa.array(values, pa.binary())
    array = _infer(values)
    if array is not None and pa.types.is_null(array.type):
        target = {
            "int": pa.int64(),
            "str": pa.string(),
            "bool": pa.bool_(),
            "money": pa.decimal128(19, 2),
            "decimal": pa.decimal128(19, 2),
            "date": pa.date32(),
            "datetime": pa.timestamp("us"),
        }[kind]
        return pa.nulls(len(values), target)
    if kind == "int":
        if array is not None and pa.types.is_integer(array.type):
            return array.cast(pa.int64())
        return pa.array([None if v is None else int(v) for v in values], pa.int64())
    if kind == "str":
        if array is not None and pa.types.is_string(array.type):
            return array
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    if kind == "bool":
        if array is not None and (
            pa.types.is_boolean(array.type) or pa.types.is_integer(array.type)
        ):
            return array.cast(pa.bool_())
        return pa.array([_bool(v) for v in values], pa.bool_())
    if kind in ("money", "decimal"):
        if array is not None and pa.types.is_floating(array.type):
            # SQLite keeps money as REAL: round to the centime, then exact decimals.
            return pc.round(array, 2).cast(pa.decimal128(19, 2))
        if array is not None and pa.types.is_integer(array.type):
            return array.cast(pa.decimal128(21, 2)).cast(pa.decimal128(19, 2))
        return pa.array([_amount(v) for v in values], pa.decimal128(19, 2))
    if kind in ("date", "datetime"):
        target = pa.date32() if kind == "date" else pa.timestamp("us")
        if array is None:
            raise SourceError(f"mixed value types in a {kind} column")
        if pa.types.is_string(array.type):
            if kind == "date":
                return pc.utf8_slice_codeunits(array, 0, 10).cast(pa.date32())
            return pc.replace_substring(array, "T", " ").cast(pa.timestamp("us"))
        if pa.types.is_timestamp(array.type):
            array = array.cast(pa.timestamp("us"))
            return array.cast(pa.date32()) if kind == "date" else array
        if pa.types.is_date(array.type):
            return array.cast(target)
        raise SourceError(f"unexpected values of type {array.type} for a {kind} column")
    raise ValueError(f"unknown column type {kind}")


def typed_frame(rows: Sequence[Sequence[Any]], columns: dict[str, str]) -> pd.DataFrame:
    """Rows from a driver as a frame with Arrow-backed columns of the declared types."""
    names = list(columns)
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = {
        name: _to_arrow(list(values), columns[name])
        for name, values in zip(names, transposed, strict=True)
    }
    table = pa.table(arrays)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def profile_table(
    db: Database,
    name: str,
    columns: dict[str, str],
    *,
    codes: Sequence[str] = (),
    chunk_rows: int = 50_000,
) -> TableProfile:
    """Row count, fill rate per column, code frequencies and date ranges: no personal values."""
    rows = 0
    filled: dict[str, int] = dict.fromkeys(columns, 0)
    frequencies: dict[str, dict[str, int]] = {c: {} for c in codes}
    lows: dict[str, Any] = {}
    highs: dict[str, Any] = {}
    for frame in db.read_chunks(name, columns, chunk_rows=chunk_rows):
        rows += len(frame)
        for column, kind in columns.items():
            series = frame[column]
            filled[column] += int(series.notna().sum())
            if column in frequencies:
                for value, count in series.dropna().astype(str).value_counts().items():
                    frequencies[column][str(value)] = frequencies[column].get(str(value), 0) + int(
                        count
                    )
            if kind in ("date", "datetime") and series.notna().any():
                low, high = series.min(), series.max()
                lows[column] = low if column not in lows else min(lows[column], low)
                highs[column] = high if column not in highs else max(highs[column], high)
    profiles = []
    for column, kind in columns.items():
        frequency = None
        distinct = None
        if column in frequencies:
            counts = frequencies[column]
            distinct = len(counts)
            shown = {value: count for value, count in sorted(counts.items()) if count >= MIN_CELL}
            rare = sum(count for count in counts.values() if count < MIN_CELL)
            if rare:
                shown[f"(values seen fewer than {MIN_CELL} times)"] = rare
            frequency = shown
        profiles.append(
            ColumnProfile(
                name=column,
                type=kind,
                filled=filled[column],
                distinct=distinct,
                frequencies=frequency,
                # Month precision: the earliest birth date alone would describe a person.
                minimum=str(lows[column])[:7] if column in lows else None,
                maximum=str(highs[column])[:7] if column in highs else None,
            )
        )
    return TableProfile(name=name, rows=rows, columns=profiles)


__all__ = ["MIN_CELL", "TYPES", "Database", "create_source_engine", "profile_table", "typed_frame"]
