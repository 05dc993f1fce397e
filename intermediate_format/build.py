"""A package from tables a vendor wrote with its own tools: the vendor kit.

A vendor that exports its system's data into the format's tables (with DuckDB, pandas,
Spark, SQL Server's bcp or a spreadsheet) turns the folder into a conforming package
with `build_package`, then judges it with `nffs-migrate validate` before any commune runs
the export:

- `tables/`: per table `<table>.parquet` or `<table>.csv` (UTF-8, comma, header row,
  empty cell = missing), with the columns of the published Table Schemas
  (`nffs-migrate schema export`); a table without a file is empty, a column the
  format lacks is refused, a column it has but the file lacks is empty;
- `rejects/` (optional): per table `<table>.parquet|csv` with `source_key, source_table,
  rule, reason` for the source records the export could not convert;
- `accounting.csv` (or `.json`): per source table `source_table, read, migrated,
  rejected, excluded` and optionally `excluded_by_rule` (a JSON object such as
  `{"retention-expired": 18}`), as the vendor counted them. It is checked: each line balances
  (read = migrated + rejected + excluded), the migrated records add up to the rows of
  the tables (the organisation row aside) and the rejected ones to the reject rows;
- `--documents DIR`: the documents' files, at the path each `documents.file` names
  below `documents/`; each is copied into the package, and a `sha256` or `size_bytes`
  the vendor gave must match the file.

The package gets its manifest, checksums and `datapackage.json` from the writer, like
every package; nothing is converted or corrected: a value of the wrong type is refused
with its table and column, never its value.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from nffs_migration.errors import ConfigurationError, PackageError
from nffs_migration.intermediate_format.definition import REJECTS, TABLES
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.writer import PackageWriter

ACCOUNTING_FIELDS = ("source_table", "read", "migrated", "rejected", "excluded")


@dataclass(frozen=True)
class VendorCounts:
    """One line of the vendor's accounting."""

    source_table: str
    read: int
    migrated: int
    rejected: int
    excluded: int
    excluded_by_rule: dict[str, int]


def _table_file(folder: Path, name: str) -> Path | None:
    found = [p for p in (folder / f"{name}.parquet", folder / f"{name}.csv") if p.is_file()]
    if len(found) > 1:
        raise ConfigurationError(f"{folder.name}/{name}: both .parquet and .csv; keep one")
    return found[0] if found else None


def read_vendor_table(path: Path, schema: pa.Schema, name: str) -> pa.Table:
    """A vendor's table as the format's schema: columns checked, types converted, no guess."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
    else:
        header = path.open(encoding="utf-8-sig").readline().strip()
        columns = [c.strip().strip('"') for c in next(csv.reader([header]))] if header else []
        types = {f.name: f.type for f in schema if f.name in columns}
        # Money and lists arrive as text and are converted below with the other casts.
        read_types = {
            k: (pa.string() if pa.types.is_decimal(t) or pa.types.is_list(t) else t)
            for k, t in types.items()
        }
        try:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(encoding="utf-8"),
                convert_options=pacsv.ConvertOptions(
                    column_types=read_types,
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    timestamp_parsers=[pacsv.ISO8601],
                ),
            )
        except pa.ArrowInvalid as exc:
            raise PackageError(
                f"{name}: the CSV does not read as the format's types ({_column_of(exc, columns)})"
            ) from None
    unknown = sorted(set(table.column_names) - set(schema.names))
    if unknown:
        raise PackageError(f"{name}: columns the format does not have: {', '.join(unknown)}")
    arrays = []
    for field in schema:
        if field.name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table[field.name]
        try:
            if pa.types.is_list(field.type) and pa.types.is_string(column.type):
                column = pa.array(
                    [json.loads(v) if v is not None else None for v in column.to_pylist()],
                    field.type,
                )
            arrays.append(column.cast(field.type) if not column.type.equals(field.type) else column)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
            raise PackageError(
                f"{name}.{field.name}: a value does not convert to {field.type}"
            ) from None
    return pa.Table.from_arrays(arrays, schema=schema)


def _column_of(exc: Exception, columns: list[str]) -> str:
    """The column Arrow names in a conversion error (`column #6`), never the cell's value."""
    found = re.search(r"column #(\d+)", str(exc))
    if found and int(found.group(1)) < len(columns):
        return f"column {columns[int(found.group(1))]}"
    return type(exc).__name__


def read_accounting(path: Path) -> list[VendorCounts]:
    """The vendor's accounting (`.csv` with a header, or `.json`: a list of objects)."""
    try:
        if path.suffix == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
        else:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        return [
            VendorCounts(
                source_table=str(row["source_table"]),
                read=int(row["read"]),
                migrated=int(row["migrated"]),
                rejected=int(row["rejected"]),
                excluded=int(row["excluded"]),
                excluded_by_rule=_by_rule(row.get("excluded_by_rule")),
            )
            for row in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"{path.name}: not an accounting of {', '.join(ACCOUNTING_FIELDS)} "
            f"({type(exc).__name__})"
        ) from None


def _by_rule(value: object) -> dict[str, int]:
    """The optional `excluded_by_rule`: a JSON object of rule id to count (CSV: its text)."""
    if value in (None, ""):
        return {}
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict):
        raise TypeError("excluded_by_rule")
    return {str(rule): int(count) for rule, count in data.items()}


def _batches(table: pa.Table, size: int = 65_536) -> Iterator[pa.Table]:
    for start in range(0, max(table.num_rows, 1), size):
        yield table.slice(start, size)


def build_package(
    tables: Path,
    out: Path,
    *,
    service_id: str,
    source_system: str,
    data_as_of: datetime,
    accounting: Path | None = None,
    documents: Path | None = None,
    source_version: str | None = None,
) -> Manifest:
    """Write a package from a vendor's tables folder (see the module docstring)."""
    if not tables.is_dir():
        raise ConfigurationError(f"{tables}: not a folder of tables")
    accounting = accounting or next(
        (p for p in (tables / "accounting.csv", tables / "accounting.json") if p.is_file()), None
    )
    if accounting is None:
        raise ConfigurationError(
            f"{tables}: no accounting.csv; the vendor counts read, migrated, rejected and "
            "excluded records per source table"
        )
    counts = read_accounting(accounting)
    unbalanced = [c.source_table for c in counts if c.read != c.migrated + c.rejected + c.excluded]
    if unbalanced:
        raise PackageError(
            f"accounting does not balance (read = migrated + rejected + excluded) for "
            f"{', '.join(unbalanced)}"
        )
    source = tables / "tables" if (tables / "tables").is_dir() else tables
    rows = 0
    rejected = 0
    writer = PackageWriter(
        out,
        service_id=service_id,
        source_system=source_system,
        data_as_of=data_as_of,
        source_version=source_version,
    )
    with writer:
        for name, definition in TABLES.items():
            path = _table_file(source, name)
            if path is None:
                continue
            table = read_vendor_table(path, definition.arrow_schema, name)
            if name == "documents":
                table = _with_documents(writer, table, documents)
            if name != "organisation":
                rows += table.num_rows
            for part in _batches(table):
                writer.write(name, part)
        for name in TABLES:
            path = _table_file(tables / "rejects", name) if (tables / "rejects").is_dir() else None
            if path is None:
                continue
            table = read_vendor_table(path, REJECTS.arrow_schema, f"rejects/{name}")
            rejected += table.num_rows
            for part in _batches(table):
                writer.reject(name, part)
        migrated = sum(c.migrated for c in counts)
        if migrated != rows:
            raise PackageError(
                f"the accounting says {migrated} records were migrated, the tables hold {rows} "
                "rows (the organisation row aside)"
            )
        if sum(c.rejected for c in counts) != rejected:
            raise PackageError(
                f"the accounting says {sum(c.rejected for c in counts)} records were rejected, "
                f"rejects/ holds {rejected}"
            )
        for line in counts:
            writer.account(
                line.source_table,
                read=line.read,
                migrated=line.migrated,
                rejected=line.rejected,
                excluded=line.excluded,
                excluded_by_rule=line.excluded_by_rule,
            )
    assert writer.manifest is not None  # noqa: S101 - close() sets it
    return writer.manifest


def _with_documents(writer: PackageWriter, table: pa.Table, folder: Path | None) -> pa.Table:
    """Copy each document's file into the package; check the checksum and size given."""
    files = table["file"].to_pylist()
    if any(files) and folder is None:
        raise ConfigurationError("the documents table names files: give --documents DIR")
    given_sha = table["sha256"].to_pylist()
    given_size = table["size_bytes"].to_pylist()
    keys = table["source_key"].to_pylist()
    sha, size = [], []
    for key, file, digest, length in zip(keys, files, given_sha, given_size, strict=True):
        if file is None:
            sha.append(digest)
            size.append(length)
            continue
        name = file.removeprefix("documents/")
        path = (folder / name) if folder is not None else None
        if path is None or not path.is_file():
            raise PackageError(f"documents {key}: its file {file} is not in the documents folder")
        stored = writer.add_document(name, path)
        if (digest is not None and digest != stored.sha256) or (
            length is not None and length != stored.size_bytes
        ):
            raise PackageError(f"documents {key}: the file does not match its sha256 or size")
        sha.append(stored.sha256)
        size.append(stored.size_bytes)
    table = table.set_column(
        table.schema.get_field_index("sha256"), "sha256", pa.array(sha, pa.string())
    )
    table = table.set_column(
        table.schema.get_field_index("size_bytes"),
        "size_bytes",
        pc.cast(pa.array(size, pa.int64()), table.schema.field("size_bytes").type),
    )
    return table


__all__ = ["VendorCounts", "build_package", "read_accounting", "read_vendor_table"]
