"""What the checks read: a package on disk, or tables in memory (rule cases, tests).

Checks ask for the columns they need (`frame(name, columns)`) and conformance for
whole tables (`batches`). A package's tables are read once and kept in memory while
they fit (`PackageSource`); larger ones are read column by column and in batches.
Frames are Arrow-backed pandas frames in the format's types.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
from typing_extensions import override

from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.findings import Report
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.reader import Package

#: Tables of up to this many rows are read whole, once; larger ones in batches.
TABLE_ROWS_IN_MEMORY = 20_000_000
#: Arrow bytes of whole tables kept between checks (10 million rows take about 1.3 GB).
TABLE_CACHE_BYTES = 4 << 30
BATCH_ROWS = 1_000_000
#: Columns of tables too large to hold, kept in memory between checks.
COLUMN_CACHE = 24


class TableSource:
    """Access to a package's tables for the checks."""

    manifest: Manifest | None

    def frame(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """A table (or some of its columns) as a frame."""
        raise NotImplementedError

    def batches(self, name: str) -> Iterator[pd.DataFrame]:
        """A whole table in batches of at most `BATCH_ROWS` rows."""
        raise NotImplementedError

    def rows(self, name: str) -> int:
        """Number of rows of a table."""
        raise NotImplementedError

    def file_checksum(self, relative: str) -> tuple[str, int] | None:
        """SHA-256 and size of a file of the package, or None if it is not there."""
        raise NotImplementedError

    def extract_findings(self) -> Report:
        """What extraction recorded (empty when nothing)."""
        return Report()

    def prefetch(self, names: Sequence[str]) -> None:
        """A hint that these tables will be read whole soon, in this order."""

    def close(self) -> None:
        """Release what the source holds (background reads among them)."""

    def fill_rates(self, name: str) -> dict[str, float]:
        """Share of non-null values per column of a table."""
        filled: dict[str, int] = {}
        rows = 0
        for batch in self.batches(name):
            rows += len(batch)
            for column, count in batch.notna().sum().items():
                filled[str(column)] = filled.get(str(column), 0) + int(count)
        return {column: (count / rows if rows else 0.0) for column, count in filled.items()}


class PackageSource(TableSource):
    """The tables of a verified package on disk, each read once for every check.

    A table of up to `TABLE_ROWS_IN_MEMORY` rows is read whole (Parquet decoding on all
    cores) the first time a check asks for it and kept as Arrow columns while the
    tables read after it fit in `TABLE_CACHE_BYTES`; frames and batches are views of it.
    A larger table is read in batches and column by column instead, so memory stays
    bounded whatever the package's size.
    """

    def __init__(self, package: Package) -> None:
        self.package = package
        self.manifest = package.manifest
        # Checks may run on two threads: the caches are shared under one lock, and a
        # table being read is a Future that the other thread waits for.
        self._lock = threading.Lock()
        self._tables: OrderedDict[str, pa.Table] = OrderedDict()
        self._columns: OrderedDict[tuple[str, str], pd.Series] = OrderedDict()
        self._reading: dict[str, Future[pa.Table]] = {}
        self._reader: ThreadPoolExecutor | None = None

    @override
    def prefetch(self, names: Sequence[str]) -> None:
        """Start reading these tables in the background, in this order.

        Parquet decoding runs outside the GIL, so the next table is read while the
        checks work on the current one.
        """
        with self._lock:
            if self._reader is None:
                self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nffs-read")
            for name in names:
                held = name in self._tables or name in self._reading
                if not held and self.rows(name) <= TABLE_ROWS_IN_MEMORY:
                    self._reading[name] = self._reader.submit(self.package.table, name)

    @override
    def close(self) -> None:
        """Stop background reads (the package's files may go away after this)."""
        with self._lock:
            for future in self._reading.values():
                future.cancel()
            self._reading.clear()
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.shutdown(wait=True)

    def _table(self, name: str) -> pa.Table | None:
        """The whole table, read once; None when it is too large to hold."""
        with self._lock:
            cached = self._tables.get(name)
            if cached is not None:
                self._tables.move_to_end(name)
                return cached
            if self.rows(name) > TABLE_ROWS_IN_MEMORY:
                return None
            pending = self._reading.get(name)
            if pending is None:  # read it on this thread; another one asking waits for it
                pending = self._reading[name] = Future()
                pending.set_running_or_notify_cancel()
                mine = True
            else:
                mine = False
        if mine:
            try:
                pending.set_result(self.package.table(name))
            except BaseException as exc:
                pending.set_exception(exc)
                with self._lock:
                    self._reading.pop(name, None)
                raise
        table = pending.result()
        with self._lock:
            if self._reading.get(name) is pending:
                del self._reading[name]
                self._tables[name] = table
                while len(self._tables) > 1 and (
                    sum(t.nbytes for t in self._tables.values()) > TABLE_CACHE_BYTES
                ):
                    self._tables.popitem(last=False)
        return table

    def _column(self, name: str, column: str) -> pd.Series:
        """One column of a table, from the table in memory or read on its own."""
        import pyarrow.parquet as pq

        table = self._table(name)
        if table is not None:
            return pd.Series(
                table.column(column).to_pandas(types_mapper=pd.ArrowDtype), name=column
            )
        key = (name, column)
        with self._lock:
            cached = self._columns.get(key)
            if cached is not None:
                self._columns.move_to_end(key)
                return cached
        entry = self.package.manifest.tables[name]
        field = TABLES[name].arrow_schema.field(column)
        array = (
            pq.read_table(self.package.root / entry.file, columns=[column])
            .column(0)
            .cast(field.type)
        )
        series = pd.Series(array.to_pandas(types_mapper=pd.ArrowDtype), name=column)
        with self._lock:
            self._columns[key] = series
            while len(self._columns) > COLUMN_CACHE:
                self._columns.popitem(last=False)
        return series

    @override
    def frame(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        wanted = list(columns) if columns else list(TABLES[name].column_names)
        return pd.DataFrame({column: self._column(name, column) for column in wanted})

    @override
    def fill_rates(self, name: str) -> dict[str, float]:
        """Share of non-null values per column, from the Parquet statistics where present."""
        import pyarrow.parquet as pq

        entry = self.package.manifest.tables[name]
        metadata = pq.ParquetFile(self.package.root / entry.file).metadata
        rows = metadata.num_rows
        nulls = dict.fromkeys(TABLES[name].column_names, 0)
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            for index in range(row_group.num_columns):
                chunk = row_group.column(index)
                column = chunk.path_in_schema
                if column not in nulls:
                    continue
                statistics = chunk.statistics
                if statistics is None or not statistics.has_null_count:
                    return super().fill_rates(name)
                nulls[column] += statistics.null_count
        return {column: (1 - count / rows) if rows else 0.0 for column, count in nulls.items()}

    @override
    def batches(self, name: str) -> Iterator[pd.DataFrame]:
        table = self._table(name)
        if table is not None:
            yield table.to_pandas(types_mapper=pd.ArrowDtype)
            return
        for batch in self.package.iter_batches(name, BATCH_ROWS):
            yield batch.to_pandas(types_mapper=pd.ArrowDtype)

    @override
    def rows(self, name: str) -> int:
        return self.package.manifest.tables[name].rows

    @override
    def file_checksum(self, relative: str) -> tuple[str, int] | None:
        # The reader verified every file against the manifest when it opened the package.
        entry = self.package.manifest.files.get(relative)
        return None if entry is None else (entry.sha256, entry.bytes)

    @override
    def extract_findings(self) -> Report:
        return self.package.extract_findings()


@dataclass
class MemorySource(TableSource):
    """Tables held in memory, for rule cases and tests; missing tables are empty."""

    tables: dict[str, pd.DataFrame]
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: Manifest | None = None
    findings: Report = field(default_factory=Report)

    @override
    def frame(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        frame = self.tables.get(name)
        if frame is None:
            frame = TABLES[name].empty_frame()
        return frame[list(columns)] if columns else frame

    @override
    def batches(self, name: str) -> Iterator[pd.DataFrame]:
        yield self.frame(name)

    @override
    def rows(self, name: str) -> int:
        return len(self.frame(name))

    @override
    def file_checksum(self, relative: str) -> tuple[str, int] | None:
        content = self.files.get(relative)
        if content is None:
            return None
        return hashlib.sha256(content).hexdigest(), len(content)

    @override
    def extract_findings(self) -> Report:
        return self.findings


__all__ = ["BATCH_ROWS", "MemorySource", "PackageSource", "TableSource"]
