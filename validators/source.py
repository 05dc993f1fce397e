"""What the checks read: a package on disk, or tables in memory (rule cases, tests).

Checks ask for the columns they need (`frame(name, columns)`) and conformance for
whole tables (`batches`). A package's tables are read within a memory budget
(`PackageSource`, `memory.py`): tables that fit are read once, whole, and kept while
they fit; larger ones are streamed in record batches and read column by column.
Frames are Arrow-backed pandas frames in the format's types.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from typing_extensions import override

from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.findings import Report
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.reader import Package
from nffs_migration.validators.memory import default_budget

#: Rows of a batch of a streamed table at most (fewer when the budget is small).
BATCH_ROWS = 1_000_000
#: Rows of the sample that estimates a table's decoded size.
SAMPLE_ROWS = 65_536
#: Bytes a row is taken to need when a table's first rows cannot be read.
UNKNOWN_ROW_BYTES = 512


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

    def column_batches(self, name: str, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        """Some columns of a table, in order, in as many parts as the memory needs.

        For per-row checks: a large table need not be held whole to be checked.
        """
        yield self.frame(name, columns)

    def take(self, name: str, columns: Sequence[str], positions: np.ndarray) -> pd.DataFrame:
        """The rows at these positions (ascending), some columns, in a frame of their own."""
        parts = []
        start = 0
        for part in self.column_batches(name, columns):
            end = start + len(part)
            inside = positions[(positions >= start) & (positions < end)]
            if len(inside):
                parts.append(part.iloc[inside - start])
            start = end
        if not parts:
            return self.frame(name, columns).iloc[:0]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

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
    """The tables of a verified package on disk, read within a memory budget.

    Decoded data held between checks (whole tables and single columns, Arrow) stays
    within half of `memory_budget`; the other half is room for what the checks compute.

    - A table whose decoded size (estimated from its first rows) is at most a quarter
      of the budget is read whole, once (Parquet decoding on all cores), ahead of the
      checks on a background thread while it fits; frames are views of it, batches
      slices. Once conformance is through with it, only the columns asked for stay.
    - A larger table is streamed: conformance reads it in record batches (a batch takes
      at most an eighth of the budget), per-row checks take their columns in parts
      (`column_batches`), the other checks read only the columns they ask for.
    - When something new does not fit, whole tables are dropped first, then the columns
      used least recently; a table dropped is read again column by column, never whole.

    The findings do not depend on the budget, only the time they take.
    """

    def __init__(self, package: Package, memory_budget: int | None = None) -> None:
        self.package = package
        self.manifest = package.manifest
        self.budget = default_budget() if memory_budget is None else memory_budget
        self._hold = self.budget // 2
        # Checks may run on two threads: what is held is shared under one lock, and a
        # table being read is a Future that the other thread waits for.
        self._lock = threading.Lock()
        self._held: OrderedDict[tuple[str, str | None], pa.Table | pa.ChunkedArray] = OrderedDict()
        self._held_bytes = 0
        self._reading: dict[str, Future[pa.Table]] = {}
        self._read: set[str] = set()  # tables read whole once (never whole again)
        self._ahead: list[str] = []
        self._sizes: dict[str, int] = {}
        self._reader: ThreadPoolExecutor | None = None

    def size(self, name: str) -> int:
        """Estimated bytes of a table decoded (Arrow), from its first rows."""
        with self._lock:
            known = self._sizes.get(name)
        if known is not None:
            return known
        import pyarrow.parquet as pq

        rows = self.rows(name)
        size = 0
        if rows:
            entry = self.package.manifest.tables[name]
            try:
                parquet = pq.ParquetFile(self.package.root / entry.file)
                sample = next(parquet.iter_batches(batch_size=SAMPLE_ROWS), None)
            except (OSError, pa.ArrowException):
                # Sizes are estimated before the files are verified: the verification
                # reports a damaged file, and the estimate takes it for a large one.
                sample = None
            if sample is not None and sample.num_rows:
                size = -(-sample.nbytes * rows // sample.num_rows)
            else:
                size = rows * UNKNOWN_ROW_BYTES
        with self._lock:
            self._sizes[name] = size
        return size

    def _whole(self, name: str) -> bool:
        return self.size(name) <= self.budget // 4

    @override
    def prefetch(self, names: Sequence[str]) -> None:
        """Read these tables ahead in the background, in this order, while they fit.

        Parquet decoding runs outside the GIL, so the next table is read while the
        checks work on the current one.
        """
        ahead = [name for name in names if self._whole(name)]
        with self._lock:
            if self._reader is None:
                self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nffs-read")
            self._ahead = ahead
            self._read_ahead()

    def _read_ahead(self) -> None:
        """Start reading the next tables ahead that fit beside what is held (under the lock)."""
        if self._reader is None:
            return
        for name in self._ahead:
            if name in self._read or name in self._reading or (name, None) in self._held:
                continue
            if self._held_bytes + self._pending_bytes() + self._sizes[name] > self._hold:
                return  # in order: a later, smaller table does not jump the queue
            self._reading[name] = self._reader.submit(self.package.table, name)

    def _pending_bytes(self) -> int:
        return sum(self._sizes.get(name, 0) for name in self._reading)

    def _keep(self, key: tuple[str, str | None], value: pa.Table | pa.ChunkedArray) -> None:
        """Hold a table or column, dropping what was used least recently (under the lock).

        Whole tables go first: after conformance has seen a table, the other checks ask
        for a few of its columns, which are held on their own.
        """
        size = value.nbytes
        room = self._hold - self._pending_bytes()
        if size > room or key in self._held:
            return
        for wanted in (lambda k: k[1] is None, lambda k: True):
            for old in [k for k in self._held if wanted(k)]:
                if self._held_bytes + size <= room:
                    break
                self._held_bytes -= self._held.pop(old).nbytes
        if self._held_bytes + size <= room:
            self._held[key] = value
            self._held_bytes += size

    def _drop(self, name: str) -> None:
        """Stop holding a whole table (its columns asked for stay held)."""
        with self._lock:
            table = self._held.pop((name, None), None)
            if table is not None:
                self._held_bytes -= table.nbytes
                self._read_ahead()

    @override
    def close(self) -> None:
        """Stop background reads and drop what is held (the files may go away after this)."""
        with self._lock:
            for future in self._reading.values():
                future.cancel()
            self._reading.clear()
            self._ahead = []
            self._held.clear()
            self._held_bytes = 0
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.shutdown(wait=True)

    def _table(self, name: str) -> pa.Table | None:
        """The whole table, read once; None when it is streamed or was dropped."""
        whole = self._whole(name)
        with self._lock:
            cached = self._held.get((name, None))
            if cached is not None:
                self._held.move_to_end((name, None))
                return cached
            pending = self._reading.get(name)
            mine = False
            if pending is None:
                if not whole or name in self._read:
                    return None
                # read it on this thread; another one asking waits for it
                pending = self._reading[name] = Future()
                pending.set_running_or_notify_cancel()
                mine = True
        if mine:
            try:
                pending.set_result(self.package.table(name))
            except BaseException as exc:
                pending.set_exception(exc)
                with self._lock:
                    self._reading.pop(name, None)
                raise
        try:
            table = pending.result()
        except BaseException:
            with self._lock:
                if self._reading.get(name) is pending:
                    del self._reading[name]
            raise
        with self._lock:
            if self._reading.get(name) is pending:
                del self._reading[name]
                self._read.add(name)
                self._keep((name, None), table)
                self._read_ahead()
        return table

    def _columns(self, name: str, columns: Sequence[str]) -> dict[str, pa.ChunkedArray]:
        """Columns of a table: held, from the whole table when held, else read on their own.

        Columns taken from a whole table are held on their own too, so that they outlive
        it (a column's buffers are its own; the count of bytes held counts them twice
        while both are held, which errs on the safe side).
        """
        import pyarrow.parquet as pq

        table = self._table(name)
        if table is not None:
            taken = {column: table.column(column) for column in columns}
            with self._lock:
                for column, array in taken.items():
                    if (name, column) in self._held:
                        self._held.move_to_end((name, column))
                    else:
                        self._keep((name, column), array)
            return taken
        found: dict[str, pa.ChunkedArray] = {}
        with self._lock:
            for column in columns:
                held = self._held.get((name, column))
                if held is not None:
                    self._held.move_to_end((name, column))
                    found[column] = held
        missing = [column for column in columns if column not in found]
        if missing:
            entry = self.package.manifest.tables[name]
            schema = TABLES[name].arrow_schema
            read = pq.read_table(self.package.root / entry.file, columns=missing)
            arrays = {c: read.column(c).cast(schema.field(c).type) for c in missing}
            del read
            with self._lock:
                for column, array in arrays.items():
                    self._keep((name, column), array)
                self._read_ahead()
            found.update(arrays)
        return found

    @override
    def frame(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        wanted = list(columns) if columns else list(TABLES[name].column_names)
        arrays = self._columns(name, wanted)
        return pd.DataFrame(
            {
                column: pd.Series(arrays[column].to_pandas(types_mapper=pd.ArrowDtype), name=column)
                for column in wanted
            }
        )

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
            # Slices of the table held (no copy): what the checks compute per batch
            # stays within the budget too.
            step = self._batch_rows(name)
            for start in range(0, max(len(table), 1), step):
                yield table.slice(start, step).to_pandas(types_mapper=pd.ArrowDtype)
            del table
            self._drop(name)  # conformance is the one check that reads whole tables
            return
        for batch in self.package.iter_batches(name, self._batch_rows(name)):
            yield batch.to_pandas(types_mapper=pd.ArrowDtype)

    @override
    def column_batches(self, name: str, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        """Columns held or of a table that fits: one frame; of a streamed table: in batches."""
        import pyarrow.parquet as pq

        with self._lock:
            held = (name, None) in self._held or all((name, c) in self._held for c in columns)
        if held or self._whole(name):
            yield self.frame(name, columns)
            return
        entry = self.package.manifest.tables[name]
        schema = TABLES[name].arrow_schema
        parquet = pq.ParquetFile(self.package.root / entry.file)
        for batch in parquet.iter_batches(batch_size=self._batch_rows(name), columns=columns):
            yield pd.DataFrame(
                {
                    column: pd.Series(
                        batch.column(column)
                        .cast(schema.field(column).type)
                        .to_pandas(types_mapper=pd.ArrowDtype),
                        name=column,
                    )
                    for column in columns
                }
            )

    def _batch_rows(self, name: str) -> int:
        """Rows of a batch of a streamed table: at most an eighth of the budget."""
        per_row = max(1, self.size(name) // max(self.rows(name), 1))
        return max(1024, min(BATCH_ROWS, self.budget // 8 // per_row))

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
