"""Helpers to turn typed source frames into intermediate rows, with the books kept.

A `Batch` is one chunk in the making: the source frame, its source keys, and the
decisions taken on its records (rejected with a rule, excluded with a rule, findings).
Status arrays decide exclusion by the parent (`LIVE`, `EXPIRED`, `DELETED`, `MISSING`
for an orphan), and `Batch.chunk()` builds the intermediate rows of the records that
remain, conformed to the table's schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.rules import REJECTS
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.findings import Finding

LIVE, EXPIRED, DELETED, MISSING = 0, 1, 2, -1
EXCLUSION_RULE = {EXPIRED: "retention-expired", DELETED: "soft-deleted"}


def as_mask(mask: np.ndarray | pd.Series | list[bool]) -> np.ndarray:
    """A boolean array from a mask that may hold nulls (null counts as false)."""
    if isinstance(mask, pd.Series):
        return mask.fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def status_series(keys: pd.Series, codes: np.ndarray | pd.Series | int) -> pd.Series:
    """A lookup table from a key column to status codes (int8)."""
    values = (
        np.full(len(keys), codes, dtype=np.int8)
        if isinstance(codes, int)
        else np.asarray(codes, dtype=np.int8)
    )
    index = pd.Index(keys.to_numpy(dtype=object, na_value=None))
    series = pd.Series(values, index=index)
    return series[~series.index.duplicated(keep="last")]


def present(keys: pd.Series, known: pd.Series) -> np.ndarray:
    """True where a key is null or names a record of `known` (a lookup series)."""
    values = pd.Series(keys.to_numpy(dtype=object, na_value=None))
    return np.asarray(keys.isna().to_numpy() | values.isin(known.index).to_numpy(), dtype=bool)


def lookup(keys: pd.Series, status: pd.Series) -> np.ndarray:
    """Status codes for a column of parent keys; `MISSING` where the parent does not exist."""
    found = status.reindex(keys.to_numpy(dtype=object, na_value=None))
    return found.fillna(MISSING).to_numpy(dtype=np.int8)


@dataclass
class Batch:
    """Records of one source chunk on their way to one intermediate table."""

    table: str
    source_table: str
    frame: pd.DataFrame
    keys: pd.Series
    keep: np.ndarray = field(init=False)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = self.keys.astype(str).reset_index(drop=True)
        self.frame = self.frame.reset_index(drop=True)
        self.keep = np.ones(len(self.frame), dtype=bool)

    @property
    def read(self) -> int:
        """Source records in this batch."""
        return len(self.frame)

    def apply_status(
        self, codes: np.ndarray, *, orphan_reason: str = "its parent record does not exist"
    ) -> None:
        """Exclude or reject records by their parent's status (only records still kept)."""
        for code, rule in EXCLUSION_RULE.items():
            mask = self.keep & (codes == code)
            if mask.any():
                self.excluded[rule] = self.excluded.get(rule, 0) + int(mask.sum())
                self.keep &= ~mask
        self.reject(codes == MISSING, "orphan-record", orphan_reason)

    def reject(self, mask: np.ndarray | pd.Series, rule: str, reason: str | None = None) -> None:
        """Reject the kept records where `mask` is true."""
        selected = self.keep & as_mask(mask)
        if not selected.any():
            return
        text = reason or REJECTS[rule]
        for key in self.keys[selected]:
            self.rejects.append((key, rule, text))
        self.keep &= ~selected

    def require(self, values: pd.Series | list[pd.Series], reason: str) -> None:
        """Reject the kept records where a required value (any of `values`) is missing."""
        columns = values if isinstance(values, list) else [values]
        missing = np.zeros(len(self.frame), dtype=bool)
        for column in columns:
            missing |= column.isna().to_numpy(dtype=bool)
        self.reject(missing, "missing-required", reason)

    def exclude(self, mask: np.ndarray | pd.Series, rule: str) -> None:
        """Exclude the kept records where `mask` is true under `rule`."""
        selected = self.keep & as_mask(mask)
        if selected.any():
            self.excluded[rule] = self.excluded.get(rule, 0) + int(selected.sum())
            self.keep &= ~selected

    def kept_keys(self, mask: np.ndarray | pd.Series | None = None) -> Iterable[str]:
        """Source keys of kept records (where `mask` is true, if given)."""
        selected = self.keep if mask is None else self.keep & as_mask(mask)
        return self.keys[selected]

    def chunk(self, columns: dict[str, Any]) -> Chunk:
        """The chunk: intermediate rows of the kept records, conformed to the table's schema.

        `columns` maps intermediate column names to a Series/array over the whole
        source frame or to a scalar; columns not given are null.
        """
        schema = TABLES[self.table].arrow_schema
        keep = self.keep
        count = int(keep.sum())
        arrays = []
        for column in schema:
            value = columns.get(column.name)
            if value is None:
                arrays.append(pa.nulls(count, column.type))
                continue
            if np.isscalar(value):
                arrays.append(pa.array([value] * count, column.type))
                continue
            series = value if isinstance(value, pd.Series) else pd.Series(value)
            selected = series.reset_index(drop=True)[keep]
            try:
                array = pa.array(selected, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                array = pa.array(selected.tolist(), column.type)
            arrays.append(array.cast(column.type) if not array.type.equals(column.type) else array)
        rows = pa.Table.from_arrays(arrays, schema=schema)
        return Chunk(
            table=self.table,
            source_table=self.source_table,
            rows=rows,
            read=self.read,
            rejects=self.rejects,
            excluded=self.excluded,
            findings=self.findings,
        )


__all__ = [
    "DELETED",
    "EXPIRED",
    "LIVE",
    "MISSING",
    "Batch",
    "as_mask",
    "lookup",
    "present",
    "status_series",
]
