"""Hypothesis strategies derived from the format definition: valid rows for any table."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
from hypothesis import strategies as st

from nffs_migration.intermediate_format import CODE_LISTS, TABLES, Column, Kind, Table

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


def _ahvn13() -> st.SearchStrategy[str]:
    def with_check(body: str) -> str:
        digits = [int(c) for c in "756" + body]
        total = sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
        return "756" + body + str((10 - total % 10) % 10)

    return st.text(alphabet="0123456789", min_size=9, max_size=9).map(with_check)


def value_strategy(column: Column, table: Table) -> st.SearchStrategy[Any]:
    """Values that conform to one column (not null)."""
    if column.codes:
        return st.sampled_from(CODE_LISTS[column.codes].values)
    if column.fmt is not None:
        name = column.fmt.name
        if name == "ahvn13":
            return _ahvn13()
        if name == "old_ahv_number":
            return st.text(alphabet="0123456789", min_size=11, max_size=11)
        if name == "postal_code":
            return st.integers(1000, 9999).map(str)
        if name == "service_id":
            return st.just("0942")
        if name == "sha256":
            return st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
        if name == "package_path":
            return st.from_regex(r"documents/[a-z0-9]{1,8}/[a-z0-9]{1,8}\.pdf", fullmatch=True)
        if name == "record_id":
            return st.from_regex(r"0942:klibnet:[A-Za-z0-9/-]{1,12}", fullmatch=True)
    low = column.minimum if column.minimum is not None else -(2**40)
    high = column.maximum if column.maximum is not None else 2**40
    kinds: dict[Kind, st.SearchStrategy[Any]] = {
        Kind.STRING: _TEXT,
        Kind.CODE: _TEXT,
        Kind.DATE: st.dates(dt.date(1900, 1, 2), dt.date(2099, 12, 31)),
        Kind.TIMESTAMP: st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2040, 1, 1)).map(
            lambda value: value.replace(microsecond=value.microsecond // 1000 * 1000)
        ),
        Kind.INTEGER: st.integers(low, high),
        Kind.BOOLEAN: st.booleans(),
        Kind.MONEY: st.decimals(
            min_value=Decimal("-9999999999.99"),
            max_value=Decimal("9999999999.99"),
            places=2,
            allow_nan=False,
            allow_infinity=False,
        ),
        Kind.INTEGER_LIST: st.lists(st.integers(1, 9999), min_size=1, max_size=5).map(json.dumps),
    }
    return kinds[column.kind]


def row_strategy(table: Table) -> st.SearchStrategy[dict[str, Any]]:
    """One valid row of a table (ids and lineage consistent within the row)."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for column in table.columns:
        if column.lineage:
            continue
        values = value_strategy(column, table)
        fields[column.name] = values if column.required else st.none() | values

    def with_lineage(row: dict[str, Any], key: str) -> dict[str, Any]:
        return {
            table.primary_key: f"0942:klibnet:{key}",
            "source_system": "klibnet",
            "source_key": key,
            "service_id": "0942",
            **row,
        }

    keys = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9/-]{0,11}", fullmatch=True)
    return st.builds(with_lineage, st.fixed_dictionaries(fields), keys)


def table_strategy(table: Table, max_rows: int = 20) -> st.SearchStrategy[pa.Table]:
    """A whole table with unique ids, as an Arrow table of the format's schema."""
    rows = st.lists(
        row_strategy(table), max_size=max_rows, unique_by=lambda row: row[table.primary_key]
    )
    return rows.map(lambda items: pa.Table.from_pylist(items, schema=table.arrow_schema))


def frame_strategy(table: Table, max_rows: int = 20) -> st.SearchStrategy[pd.DataFrame]:
    """A whole table as a pandas frame with Arrow-backed dtypes."""
    return table_strategy(table, max_rows).map(lambda t: t.to_pandas(types_mapper=pd.ArrowDtype))


def package_tables(max_rows: int = 10) -> st.SearchStrategy[dict[str, pa.Table]]:
    """Every table of the contract (foreign keys are not kept consistent)."""
    return st.fixed_dictionaries(
        {name: table_strategy(table, max_rows) for name, table in TABLES.items()}
    )
