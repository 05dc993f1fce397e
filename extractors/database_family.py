"""The frame of a database family (KLIBnet, KiSS): declarations in, chunks out.

A family that reads a legacy database fills two classes with declarations and writes
only what is its own: which rows are live, expired or deleted (`index.py`) and how its
rows become the format's tables (`tables.py`).

`DatabaseExtractor` answers `describe()`, `profile()` and `extract()` from class
attributes: the source's tables with their declared column types (`source_tables`),
the table whose presence identifies the system (`marker_table`), the columns profiled
with their frequencies (`code_columns`) and the run class that builds the chunks.

`DatabaseRun` is one extraction's shared state and the helpers every table builder
uses: chunked reads (in a delta, only rows whose change marker is later than the
high-water mark, kept in the batch's `data_as_of`), record ids, references checked
against the records that exist, and code lookups that reject or report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from nffs_migration.errors import SourceError
from nffs_migration.extractors.base import (
    SWISS_TIME,
    Chunk,
    ExtractOptions,
    SourceInfo,
    SourceProfile,
)
from nffs_migration.extractors.database import Database, profile_table
from nffs_migration.extractors.frames import Batch, present
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.intermediate_format.definition import TABLES

STRING = pd.ArrowDtype(pa.string())


def local_mark(since: str | None) -> datetime | None:
    """The high-water mark as the naive local time a legacy change marker holds."""
    if not since:
        return None
    moment = datetime.fromisoformat(since)
    if moment.tzinfo is not None:
        moment = moment.astimezone(SWISS_TIME).replace(tzinfo=None)
    return moment


class DatabaseRun:
    """One extraction from a legacy database: reading, ids, references and codes.

    Subclasses declare `system`, `source_tables`, `change_marker` and, for tables without a key
    column, the columns that order their rows (`row_order`); they add the status maps
    (`load_status`) and the table builders (`chunks`).
    """

    #: The system's name in `source_system`.
    system: ClassVar[str]
    source_tables: ClassVar[dict[str, dict[str, str]]]
    #: The column that records a row's last change; delta batches filter on it.
    change_marker: ClassVar[str]
    #: Tables read in the order of several columns (keyless tables); others by the first.
    row_order: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, db: Database, options: ExtractOptions, context: ExtractContext) -> None:
        self.db = db
        self.options = options
        self.ctx = context
        self.mapper = context.mapper
        self.since = local_mark(options.since)

    def chunks(self) -> Iterator[Chunk]:
        """Every table's chunks, parents before children."""
        raise NotImplementedError

    # -- reading -----------------------------------------------------------------------

    def read(self, name: str, *, changed: bool = True) -> Iterator[pd.DataFrame]:
        """A table in chunks; in a delta (`changed`), only rows changed after `since`."""
        columns = self.source_tables[name]
        where = None
        if changed and self.since is not None and self.change_marker in columns:
            where = self.changed_after()
        order = self.row_order.get(name)
        for frame in self.db.read_chunks(
            name,
            columns,
            where=where,
            order_by=list(order) if order else None,
            chunk_rows=self.options.chunk_rows,
        ):
            if changed or self.since is None:
                self.track(frame)
            yield frame

    def changed_after(self) -> sa.ColumnElement[bool]:
        """`<change marker> > since`, on an unbound column of the one table read."""
        return sa.column(self.change_marker) > self.since

    def changed_keys(self, name: str, key: str) -> set[int]:
        """In a delta, the keys of a table's rows changed after `since`."""
        frame = self.db.read_all(name, {key: "int"}, where=self.changed_after())
        return set(frame[key].astype(int))

    def track(self, frame: pd.DataFrame) -> None:
        """Note the latest change marker of rows that go into the batch."""
        marker = self.change_marker
        if marker in frame and frame[marker].notna().any():
            self.ctx.saw_change(frame[marker].max())

    def changed_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """In a delta, the rows changed after `since` (all rows in a full batch)."""
        if self.since is None:
            return frame
        mask = (frame[self.change_marker] > self.since).fillna(False).to_numpy(dtype=bool)
        return frame[mask].reset_index(drop=True)

    def with_parent(
        self, frame: pd.DataFrame, column: str, changed: set[int] | None
    ) -> pd.DataFrame:
        """In a delta, child rows travel with their changed parent."""
        if changed is None:
            return frame
        mask = frame[column].isin(changed).fillna(False).to_numpy(dtype=bool)
        return frame[mask].reset_index(drop=True)

    # -- values ------------------------------------------------------------------------

    def ids(self, keys: pd.Series) -> pd.Series:
        """Stable record ids for a column of integer keys."""
        return self.ctx.record_ids(keys.astype("Int64").astype(STRING))

    def ref_ids(self, keys: pd.Series, known: pd.Series, batch: Batch, field: str) -> pd.Series:
        """Ids of referenced records; a reference to a missing record: null and a finding.

        `known` is a lookup series whose index holds the keys of the records that exist.
        """
        dangling = ~present(keys, known)
        for key in batch.kept_keys(dangling):
            batch.findings.append(self.ctx.finding("dangling-reference", batch.table, key, field))
        return self.ids(keys.mask(dangling))

    def rows(self, batch: Batch, ids: pd.Series, columns: dict[str, Any]) -> Chunk:
        """The batch's chunk: its ids, where the records come from, and the table's columns."""
        return batch.chunk(
            {
                TABLES[batch.table].primary_key: ids,
                "source_system": self.system,
                "source_key": batch.keys,
                "service_id": self.options.service_id,
                **columns,
            }
        )

    def code(
        self, batch: Batch, list_name: str, values: pd.Series, field: str, *, required: bool
    ) -> pd.Series:
        """Map a code column; unmapped: reject (required) or null with a finding (optional)."""
        mapped, missing = self.mapper.map_series(list_name, values)
        if required:
            batch.reject(
                missing | values.isna().to_numpy(),
                "unmapped-code",
                f"{field}: no mapping covers the source code",
            )
        else:
            for key in batch.kept_keys(missing):
                batch.findings.append(
                    self.ctx.finding(
                        "unmapped-code",
                        batch.table,
                        key,
                        field,
                        f"{field}: no mapping covers the source code ({list_name})",
                    )
                )
        return mapped


class DatabaseExtractor:
    """`describe`, `profile` and `extract` of a database family, from its declarations."""

    name: ClassVar[str]
    title: ClassVar[str]
    #: How the system calls itself in messages (`KLIBnet`) and the version read (`5.x`).
    label: ClassVar[str]
    version: ClassVar[str]
    #: The table whose presence identifies the system's schema (`dbo` or the default).
    marker_table: ClassVar[str]
    source_tables: ClassVar[dict[str, dict[str, str]]]
    #: Per table, the columns a profile shows with their value frequencies.
    code_columns: ClassVar[dict[str, tuple[str, ...]]]
    run_class: ClassVar[type[DatabaseRun]]

    def _open(self, options: ExtractOptions) -> Database:
        return Database.open(options.source, self.marker_table, self.label)

    def describe(self, options: ExtractOptions) -> SourceInfo:
        """A database reflects the moment it is read (or `--as-of`)."""
        db = self._open(options)
        try:
            missing = [name for name in self.source_tables if not db.has_table(name)]
        finally:
            db.dispose()
        if missing:
            raise SourceError(
                f"not a {self.label} {self.version} database: "
                f"tables {', '.join(missing)} are missing"
            )
        return SourceInfo(
            self.name,
            self.version,
            options.as_of or datetime.now(SWISS_TIME),
            description=f"{sa.make_url(options.source).get_backend_name()} database",
            delta=bool(options.since),
        )

    def profile(self, options: ExtractOptions) -> SourceProfile:
        """Row counts, fill rates, code frequencies and date ranges (never document contents)."""
        db = self._open(options)
        try:
            tables = [
                profile_table(db, name, columns, codes=self.code_columns.get(name, ()))
                for name, columns in self.source_tables.items()
            ]
        finally:
            db.dispose()
        return SourceProfile(self.name, self.version, tables)

    def extract(self, options: ExtractOptions, context: ExtractContext) -> Iterator[Chunk]:
        """Yield every table's rows, parents before children."""
        db = self._open(options)
        try:
            yield from self.run_class(db, options, context).chunks()
        finally:
            db.dispose()


__all__ = ["STRING", "DatabaseExtractor", "DatabaseRun", "local_mark"]
