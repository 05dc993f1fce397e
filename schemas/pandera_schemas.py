"""pandera schemas generated from the format definition, one per table.

Each column gets its Arrow-backed dtype, nullability, code list (`codes_valid_array`), format (a
regular expression, matched in Arrow with `pattern_valid_array`'s shortcuts, and the
AHVN13 check digit), range and uniqueness for ids. Checks are named, and their error
text is that name, so that pandera's `check` column of failure cases holds one of
`CHECK_KINDS` (or pandera's own `not_nullable`, `field_uniqueness`, `dtype(...)`); the
validators turn (table, column, check) into a rule id and keep only the record key and
field of pandera's failure cases, never the failing value.

    schema = pandera_schema("persons")
    schema.validate(frame, lazy=True)  # raises SchemaErrors with every failure
"""

from __future__ import annotations

from functools import cache, partial

import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.types as pa_types

from nffs_migration.intermediate_format.codes import CODE_LISTS
from nffs_migration.intermediate_format.definition import REJECTS, TABLES
from nffs_migration.intermediate_format.formats import (
    ahvn13_valid_array,
    codes_valid_array,
    pattern_valid_array,
)
from nffs_migration.intermediate_format.model import Column

#: Check names used in the schemas (pandera's `check` column of failure cases).
CHECK_KINDS = ("codes", "format", "check_digit", "range")


def _matches(series: pd.Series, *, pattern: str) -> pd.Series:
    """`str_matches` with RE2 and its shortcuts on Arrow strings (`pattern_valid_array`)."""
    if isinstance(series.dtype, pd.ArrowDtype) and pa_types.is_string(series.dtype.pyarrow_dtype):
        return pd.Series(
            pattern_valid_array(pyarrow.array(series.array), pattern), index=series.index
        )
    return series.str.match(pattern).fillna(True).astype(bool)


def _listed(series: pd.Series, *, codes: tuple[str, ...]) -> pd.Series:
    """`isin` of a code list, with `codes_valid_array`'s shortcut on Arrow strings."""
    if isinstance(series.dtype, pd.ArrowDtype) and pa_types.is_string(series.dtype.pyarrow_dtype):
        return pd.Series(codes_valid_array(pyarrow.array(series.array), codes), index=series.index)
    return (series.isin(codes) | series.isna()).astype(bool)


def _checks(column: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if column.codes:
        checks.append(
            pa.Check(
                partial(_listed, codes=tuple(CODE_LISTS[column.codes].values)),
                name="codes",
                error="codes",
                ignore_na=True,
            )
        )
    if column.fmt:
        checks.append(
            pa.Check(
                partial(_matches, pattern=column.fmt.pattern),
                name="format",
                error="format",
                ignore_na=True,
            )
        )
        if column.fmt.check_digit:
            checks.append(
                pa.Check(
                    lambda series: pd.Series(ahvn13_valid_array(series), index=series.index),
                    name="check_digit",
                    ignore_na=True,
                    error="check_digit",
                )
            )
    if column.minimum is not None:
        checks.append(pa.Check.ge(column.minimum, name="range", error="range", ignore_na=True))
    if column.maximum is not None:
        checks.append(pa.Check.le(column.maximum, name="range", error="range", ignore_na=True))
    return checks


def column_schema(column: Column, *, unique: bool = True) -> pa.Column:
    """The pandera column of a format column."""
    return pa.Column(
        column.pandas_dtype,
        nullable=not column.required,
        unique=column.unique and unique,
        checks=_checks(column),
        title=column.label.en,
        description=column.description or None,
        required=True,
    )


@cache
def pandera_schema(table_name: str, *, unique: bool = True) -> pa.DataFrameSchema:
    """The pandera schema of a table (or of reject files, `rejects`).

    `unique=False` leaves out the uniqueness of ids, for validating a table batch by
    batch (uniqueness is then checked over the whole table separately).
    """
    table = REJECTS if table_name == "rejects" else TABLES[table_name]
    return pa.DataFrameSchema(
        {column.name: column_schema(column, unique=unique) for column in table.columns},
        name=table.name,
        strict=True,
        ordered=False,
        coerce=False,
        description=table.description,
    )


__all__ = ["CHECK_KINDS", "column_schema", "pandera_schema"]
