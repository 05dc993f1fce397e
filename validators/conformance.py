"""Conformance and integrity checks: one column at a time, then across tables and files.

Conformance runs the pandera schemas generated from the format definition (`lazy=True`,
every failure collected) on each table in batches, and maps pandera's failure reasons to
rule ids. Of pandera's failure cases only the row position and the column are kept;
the failing value is personal data and is never read. Uniqueness of ids is checked over
the whole table (pandera sees one batch at a time), then references between tables,
document files, the manifest's accounting and its alarms (`health.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.model import Table
from nffs_migration.schemas.pandera_schemas import pandera_schema
from nffs_migration.validators.health import check_health
from nffs_migration.validators.keys import row_hashes, sharing
from nffs_migration.validators.results import CheckContext, Results
from nffs_migration.validators.source import TableSource

#: pandera check name -> rule id (dtype checks start with "dtype(").
CHECK_RULES = {
    "not_nullable": "required-value-missing",
    "codes": "code-not-in-list",
    "format": "format-invalid",
    "check_digit": "ahvn13-check-digit",
    "range": "value-out-of-range",
    "column_in_dataframe": "wrong-type",
}


def check_conformance(source: TableSource, context: CheckContext, results: Results) -> None:
    """Types, required values, code lists, formats, AHV check digits, ranges."""
    source.prefetch(list(TABLES))
    for name, table in TABLES.items():
        schema = pandera_schema(name, unique=False)
        applicable = _applicable(table)
        failed = _TableFailures(table)
        for batch in source.batches(name):
            rows = len(batch)
            for rule_id in applicable:
                results.checked(rule_id, rows)
            if not rows:
                continue
            try:
                schema.validate(batch, lazy=True)
            except pandera.errors.SchemaErrors as errors:
                failed.add(errors.failure_cases, batch)
        failed.record(results)


def _applicable(table: Table) -> tuple[str, ...]:
    """The conformance rules that can fail on a table's records."""
    rules = ["required-value-missing", "wrong-type", "format-invalid"]
    if any(c.codes for c in table.columns):
        rules.append("code-not-in-list")
    if any(c.fmt is not None and c.fmt.check_digit for c in table.columns):
        rules.append("ahvn13-check-digit")
    if any(c.minimum is not None or c.maximum is not None for c in table.columns):
        rules.append("value-out-of-range")
    return tuple(rules)


class _TableFailures:
    """A table's failures over all its batches, recorded in an order batches do not change.

    Of pandera's failure cases only the row position and the column are read; pandera
    can report one cell in several failure rows, which a mask per rule and column folds
    into one. Recorded per rule: the failures without a row first, then the rows by
    column (in the table's column order) and position, as one run on the whole table
    gives them, however the table was cut into batches.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.unlocated: list[tuple[str, str]] = []
        self.located: dict[tuple[str, str], list[pd.DataFrame]] = {}

    def add(self, cases: pd.DataFrame, batch: pd.DataFrame) -> None:
        """Take in the failure cases of one batch (keys of the failing rows only)."""
        frame = cases[["check", "column", "index"]].astype({"check": str, "column": str})
        frame["rule"] = frame["check"].map(
            lambda check: "wrong-type" if check.startswith("dtype(") else CHECK_RULES.get(check)
        )
        frame = frame[frame["rule"].notna()]
        positions = pd.to_numeric(frame["index"], errors="coerce")
        # A failure without a row (a whole column) repeats in every batch: once is enough.
        unlocated = frame.loc[positions.isna(), ["rule", "column"]].itertuples(index=False)
        pairs = [(str(rule_id), str(column)) for rule_id, column in unlocated]
        if not self.unlocated:
            self.unlocated = pairs
        else:
            seen = set(self.unlocated)
            self.unlocated.extend(pair for pair in pairs if pair not in seen)
        keys = [self.table.primary_key, "source_key"]
        located = frame.assign(position=positions)[positions.notna()]
        for (rule_id, column), group in located.groupby(["rule", "column"], sort=False):
            mask = np.zeros(len(batch), dtype=bool)
            mask[group["position"].to_numpy(dtype=np.int64)] = True
            rows = batch.loc[mask, keys]
            self.located.setdefault((str(rule_id), str(column)), []).append(rows)

    def record(self, results: Results) -> None:
        """Record the table's failures."""
        name = self.table.name
        for rule_id, column in self.unlocated:
            results.fail_one(rule_id, name, None, None, column)
        order = {column: index for index, column in enumerate(self.table.column_names)}
        groups = sorted(
            enumerate(self.located.items()),
            key=lambda item: (order.get(item[1][0][1], len(order)), item[0]),
        )
        for _, ((rule_id, column), parts) in groups:
            rows = pd.concat(parts) if len(parts) > 1 else parts[0]
            results.fail(rule_id, name, rows, np.ones(len(rows), dtype=bool), column)


def check_integrity(source: TableSource, context: CheckContext, results: Results) -> None:
    """Unique ids, references that resolve, document files, accounting, one organisation."""
    referenced = {
        c.foreign_key.table for t in TABLES.values() for c in t.foreign_keys if c.foreign_key
    }
    # One pass over each table's id, source key and references, a part at a time: a
    # large table is read once for both rules. Referenced tables come first in TABLES,
    # so their ids are known when their references are checked.
    ids: dict[str, pa.Array] = {}
    for name, table in TABLES.items():
        key = table.primary_key
        # references of a delta point at the target; the loader checks them
        references = [] if context.delta else list(table.foreign_keys)
        wanted = [key, "source_key", *(c.name for c in references)] if references else [key]
        hashes = []
        unresolved: dict[str, list[pd.DataFrame]] = {c.name: [] for c in references}
        for part in source.column_batches(name, wanted):
            hashes.append(row_hashes(pa.array(part[key], from_pandas=True)))
            for column in references:
                assert column.foreign_key is not None  # noqa: S101
                target = column.foreign_key.table
                if target not in ids:
                    ids[target] = _ids(source, target)
                values = pa.array(part[column.name], from_pandas=True)
                present = np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
                results.checked("foreign-key-unresolved", int(present.sum()))
                resolves = pc.is_in(values, value_set=ids[target])
                resolved = np.asarray(
                    pc.fill_null(resolves, False).to_numpy(zero_copy_only=False), dtype=bool
                )
                mask = present & ~resolved
                if mask.any():
                    unresolved[column.name].append(part.loc[mask, [key, "source_key"]])
        _check_unique(source, name, key, hashes, results)
        for column_name, parts in unresolved.items():  # per column, as one pass per column
            for rows in parts:
                failing = np.ones(len(rows), dtype=bool)
                results.fail("foreign-key-unresolved", name, rows, failing, column_name)
        if name in referenced and name not in ids:
            ids[name] = _ids(source, name)
    _check_documents(source, results)
    organisations = source.rows("organisation")
    results.checked("organisation-missing", 1)
    if organisations != 1:
        results.fail_one("organisation-missing", "organisation", None, None, None)
    if source.manifest is not None:
        for source_table, counts in source.manifest.accounting.items():
            results.checked("accounting-unbalanced", 1)
            if not counts.balanced:
                results.fail_one("accounting-unbalanced", "*", None, source_table, None)
    check_health(source, context, results)
    cases = source.frame("cases", ["case_id", "source_key", "case_number"])
    results.checked("case-number-duplicate", len(cases))
    results.fail(
        "case-number-duplicate",
        "cases",
        cases,
        cases["case_number"].duplicated(keep="first").to_numpy(),
        "case_number",
    )


def _ids(source: TableSource, name: str) -> pa.Array:
    key = TABLES[name].primary_key
    return pa.array(source.frame(name, [key])[key], from_pandas=True)


def _check_unique(
    source: TableSource, name: str, key: str, hashes: list[np.ndarray], results: Results
) -> None:
    """Ids seen before in the table, from the 64-bit hashes of its parts.

    Only the rows sharing a hash are read again and compared as strings (`keys.py`).
    """
    rows = sum(len(h) for h in hashes)
    results.checked("duplicate-id", rows)
    candidates = sharing(np.concatenate(hashes)) if rows > 1 else None
    if candidates is None:
        return
    taken = source.take(name, [key, "source_key"], candidates)
    repeated = taken[key].duplicated(keep="first").to_numpy(dtype=bool)
    results.fail("duplicate-id", name, taken, repeated, key)


def _check_documents(source: TableSource, results: Results) -> None:
    frame = source.frame("documents", ["document_id", "source_key", "file", "sha256", "size_bytes"])
    results.checked("document-file-missing", len(frame))
    results.checked("document-checksum-mismatch", len(frame))
    missing = np.zeros(len(frame), dtype=bool)
    mismatch = np.zeros(len(frame), dtype=bool)
    rows = frame[["file", "sha256", "size_bytes"]].itertuples(index=False)
    for position, (file, digest, size) in enumerate(rows):
        found = source.file_checksum(str(file)) if isinstance(file, str) else None
        if found is None:
            missing[position] = True
        elif found[0] != digest or (isinstance(size, int | np.integer) and int(size) != found[1]):
            mismatch[position] = True
    results.fail("document-file-missing", "documents", frame, missing, "file")
    results.fail("document-checksum-mismatch", "documents", frame, mismatch, "sha256")


__all__ = ["check_conformance", "check_integrity"]
