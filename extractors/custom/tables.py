"""One extraction of a self-built source: the index first, then each table's records in chunks.

Decisions per chunk, in order (as the other families take them):

1. a record without a key (a key column blank) is rejected (`missing-required`); of
   records with the same key, the later wins and the earlier are rejected
   (`duplicate-key`, and a finding on the one kept);
2. exclusion by the parent: a case past retention with everything on it, a person whose
   every case is past retention with their addresses; a parent that does not exist
   rejects the record (`orphan-record`); a blank required reference is `missing-required`;
3. required fields: a code no value map covers rejects (`unmapped-code`), an unreadable
   amount or date rejects (`amount-format`, `date-format`, `date-impossible`), a blank
   one rejects (`missing-required`);
4. documents: unsafe or missing files rejected, the rest copied;
5. findings on the records kept: optional codes no map covers, unreadable dates and
   values, AHV numbers with a wrong check digit, references to records not in the
   source (set to null).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import Chunk, ExtractOptions
from nffs_migration.extractors.custom.check import Checked
from nffs_migration.extractors.custom.documents import Copier
from nffs_migration.extractors.custom.fields import MESSAGES, UNMAPPED, Evaluator
from nffs_migration.extractors.custom.index import Index, build_index
from nffs_migration.extractors.custom.mappingfile import OWNERS, TableSpec
from nffs_migration.extractors.custom.records import RecordReader, Records
from nffs_migration.extractors.documents import document_columns
from nffs_migration.extractors.frames import LIVE, Batch, lookup
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.model import Kind
from nffs_migration.log import get_logger

log = get_logger(__name__)
SYSTEM = "custom"
STRING = pd.ArrowDtype(pa.string())
ENTITY = {"cases": "case", "persons": "person", "budgets": "budget"}


@dataclass
class Pending:
    """A finding to report on the records still kept when the chunk is done."""

    rule: str
    field: str
    mask: np.ndarray
    message: str


def _series(values: list[Any], type_: pa.DataType) -> pd.Series:
    return pd.Series(pa.array(values, type=type_), dtype=pd.ArrowDtype(type_))


class Run:
    """Extracts every table of a checked mapping."""

    def __init__(self, checked: Checked, options: ExtractOptions, context: ExtractContext) -> None:
        self.checked = checked
        self.mapping = checked.mapping
        self.options = options
        self.ctx = context
        self.ordinals: dict[str, int] = {}
        self.copier = Copier(context, checked.documents)
        self.index = Index()
        shared: dict[Any, int] = {}
        for spec in self.mapping.tables.values():
            if spec.source is not None:
                shared[spec.source.identity] = shared.get(spec.source.identity, 0) + 1
        self.shared = {identity for identity, count in shared.items() if count > 1}

    def source_table(self, spec: TableSpec) -> str:
        """The accounting name: `file[:sheet]`, with `#table` when it feeds several tables."""
        assert spec.source is not None  # noqa: S101 - only tables with a source are read
        if spec.source.identity in self.shared:
            return f"{spec.source.label}#{spec.name}"
        return spec.source.label

    def chunks(self) -> Iterator[Chunk]:
        """Every table's chunks, parents before children (the format's table order)."""
        self.index = build_index(self.checked, self.ctx.retention_cutoff, self.options.chunk_rows)
        for name in TABLES:
            spec = self.mapping.tables.get(name)
            if spec is None or spec.source is None:
                continue
            parent = self.mapping.tables.get(spec.parent) if spec.parent else None
            groups = self.index.groups.get(spec.parent or "", {})
            evaluators = {
                field: Evaluator(rule, self.ctx.mapper.unmapped, self.ctx.mapper.mapped)
                for field, rule in spec.fields.items()
                if rule.source_column is not None
            }
            label = self.source_table(spec)
            for records in RecordReader(
                self.checked, spec, self.options.chunk_rows, parent, groups
            ):
                yield self.convert(spec, label, records, evaluators)
            log.info("read %s into %s", label, name)
        if "documents" in self.mapping.tables:
            own = set(self.checked.paths.values())
            findings = self.copier.unlisted(own)
            if findings:
                label = self.source_table(self.mapping.tables["documents"])
                empty = pd.DataFrame(index=range(0))
                batch = Batch("documents", label, empty, pd.Series([], dtype=object))
                batch.findings.extend(findings)
                yield batch.chunk({})

    # -- one chunk -------------------------------------------------------------------------

    def convert(
        self, spec: TableSpec, label: str, records: Records, evaluators: dict[str, Evaluator]
    ) -> Chunk:
        """One chunk of records into intermediate rows, with rejects, exclusions, findings."""
        name, count = spec.name, len(records)
        numbers = records.rows.numbers
        keys = [k if k is not None else f"#{numbers[i]}" for i, k in enumerate(records.keys)]
        batch = Batch(name, label, pd.DataFrame(index=range(count)), pd.Series(keys, dtype=object))
        blank_key = np.array([k is None for k in records.keys], dtype=bool)
        batch.reject(blank_key, "missing-required", "key: a column of the key is blank")
        pending: list[Pending] = []
        self.duplicates(spec, batch, records, pending)
        if name in ("cases", "persons") and name in self.index.status:
            # A case past retention, a person whose every case is: excluded themselves.
            batch.apply_status(lookup(batch.keys.astype(object), self.index.status[name]))
        values: dict[str, list[Any]] = {}
        problems: dict[str, list[str | None]] = {}
        precision: dict[str, list[str]] = {}
        for field, rule in spec.fields.items():
            if rule.has_value:
                values[field] = [rule.value] * count
            elif rule.parent_key:
                values[field] = list(records.parents)
            elif field in evaluators:
                outcome = evaluators[field].run(records.rows.column(rule.source_column or ""))
                values[field], problems[field] = outcome.values, outcome.problems
                if outcome.precision is not None:
                    precision[field] = outcome.precision
        for field, rule in spec.fields.items():
            if rule.precision_of is not None:
                dates = values.get(rule.precision_of, [None] * count)
                levels = precision.get(rule.precision_of, ["unknown"] * count)
                values[field] = [
                    lv if d is not None else "unknown" for d, lv in zip(dates, levels, strict=True)
                ]
        self.references(spec, batch, values, pending)
        self.required(spec, batch, values, problems)
        for field, found in problems.items():
            for problem in set(found) - {None}:
                assert problem is not None  # noqa: S101 - narrowed for the type checker
                mask = np.array([p == problem for p in found], dtype=bool)
                rule_id = "unmapped-code" if problem == UNMAPPED else problem
                pending.append(Pending(rule_id, field, mask, f"{field}: {MESSAGES[problem]}"))
        columns: dict[str, Any] = {}
        if "ahvn13" in values:
            columns.update(self.ahv(values, pending))
        if name == "documents":
            owners = [
                c or p
                for c, p in zip(
                    values.get("case_id", [None] * count),
                    values.get("person_id", [None] * count),
                    strict=True,
                )
            ]
            stored = self.copier.copy(batch, values.get("file", [None] * count), owners)
            columns.update(document_columns(stored))
        for item in pending:
            for key in batch.kept_keys(item.mask):
                batch.findings.append(
                    self.ctx.finding(item.rule, name, key, item.field, item.message)
                )
        return batch.chunk(self.columns(spec, batch, values, columns))

    def duplicates(
        self, spec: TableSpec, batch: Batch, records: Records, pending: list[Pending]
    ) -> None:
        """Of records with the same key the later wins; the earlier are rejected."""
        start = self.ordinals.get(spec.name, 0)
        self.ordinals[spec.name] = start + len(records)
        last = self.index.duplicates.get(spec.name)
        if not last:
            return
        earlier = np.zeros(len(records), dtype=bool)
        later = np.zeros(len(records), dtype=bool)
        for position, key in enumerate(records.keys):
            if key is not None and key in last:
                if last[key] == start + position:
                    later[position] = True
                else:
                    earlier[position] = True
        batch.reject(
            earlier,
            "duplicate-key",
            "the same key again later in the file; the later record is kept",
        )
        if later.any():
            pending.append(
                Pending(
                    "duplicate-key",
                    "key",
                    later,
                    "the same key earlier in the file; this record is kept",
                )
            )

    def references(
        self, spec: TableSpec, batch: Batch, values: dict[str, list[Any]], pending: list[Pending]
    ) -> None:
        """Exclusion by the parent, orphans, and references to records that do not exist."""
        owners = [
            f for f, r in spec.fields.items() if _target(r.column) in OWNERS and r.column.required
        ]
        if spec.name == "documents":
            self.document_owner(batch, values)
        for field in owners:
            target = _target(spec.fields[field].column) or ""
            keys = values[field]
            blank = np.array([k is None for k in keys], dtype=bool)
            batch.reject(blank, "missing-required", f"{field}: blank")
            codes = lookup(pd.Series(keys, dtype=object), self.index.status[target])
            batch.apply_status(codes, orphan_reason=f"{field}: the {ENTITY[target]} does not exist")
        for field, rule in spec.fields.items():
            referenced = _target(rule.column)
            if referenced is None or field in owners or rule.parent_key:
                continue
            if spec.name == "documents" and field == "case_id":
                continue  # decided by document_owner
            keys = values[field]
            if referenced in self.index.status:
                codes = lookup(pd.Series(keys, dtype=object), self.index.status[referenced])
                dangling = np.array([k is not None for k in keys], dtype=bool) & (codes != LIVE)
            else:
                known = self.index.keys.get(referenced, set())
                dangling = np.array([k is not None and k not in known for k in keys], dtype=bool)
            if dangling.any():
                values[field] = [None if d else k for k, d in zip(keys, dangling, strict=True)]
                pending.append(
                    Pending(
                        "dangling-reference",
                        field,
                        dangling,
                        f"{field}: the {referenced} record is not in the package; left empty",
                    )
                )

    def document_owner(self, batch: Batch, values: dict[str, list[Any]]) -> None:
        """A document hangs on its case, or on its person when it names no case."""
        count = batch.read
        cases = values.get("case_id", [None] * count)
        persons = values.get("person_id", [None] * count)
        codes = np.full(count, LIVE, dtype=np.int8)
        if "cases" in self.index.status:
            by_case = lookup(pd.Series(cases, dtype=object), self.index.status["cases"])
            has_case = np.array([c is not None for c in cases], dtype=bool)
            codes = np.where(has_case, by_case, codes)
        if "persons" in self.index.status:
            by_person = lookup(pd.Series(persons, dtype=object), self.index.status["persons"])
            only_person = np.array(
                [c is None and p is not None for c, p in zip(cases, persons, strict=True)],
                dtype=bool,
            )
            codes = np.where(only_person, by_person, codes)
        neither = np.array(
            [c is None and p is None for c, p in zip(cases, persons, strict=True)], dtype=bool
        )
        batch.reject(neither, "missing-required", "case_id, person_id: both blank")
        batch.apply_status(codes.astype(np.int8), orphan_reason="the case or person does not exist")

    def required(
        self,
        spec: TableSpec,
        batch: Batch,
        values: dict[str, list[Any]],
        problems: dict[str, list[str | None]],
    ) -> None:
        """Reject records whose required field is unmapped, unreadable or blank."""
        for field, rule in spec.fields.items():
            if not rule.column.required or _target(rule.column) in OWNERS:
                continue
            found = problems.get(field)
            if found is not None:
                for problem in set(found) - {None}:
                    assert problem is not None  # noqa: S101 - narrowed for the type checker
                    mask = np.array([p == problem for p in found], dtype=bool)
                    batch.reject(mask, problem, f"{field}: {MESSAGES[problem]}")
                    problems[field] = [None if p == problem else p for p in problems[field]]
            blank = np.array([v is None for v in values[field]], dtype=bool)
            batch.reject(blank, "missing-required", f"{field}: no value")

    def ahv(self, values: dict[str, list[Any]], pending: list[Pending]) -> dict[str, pd.Series]:
        """AHV numbers sorted into new and old numbers; wrong ones null with a finding."""
        sorted_ = normalise.ahv_column(pd.Series(values.pop("ahvn13"), dtype=object))
        if sorted_.wrong_check_digit.any():
            pending.append(
                Pending(
                    "ahvn13-check-digit",
                    "ahvn13",
                    sorted_.wrong_check_digit,
                    "ahvn13: wrong check digit; left empty",
                )
            )
        if sorted_.wrong_format.any():
            pending.append(
                Pending(
                    "ahvn13-format",
                    "ahvn13",
                    sorted_.wrong_format,
                    "ahvn13: neither AHVN13 nor an old number; left empty",
                )
            )
        columns = {"ahvn13": sorted_.ahvn13.reset_index(drop=True)}
        if "old_ahv_number" not in values:
            columns["old_ahv_number"] = sorted_.old.reset_index(drop=True)
        return columns

    def columns(
        self, spec: TableSpec, batch: Batch, values: dict[str, list[Any]], given: dict[str, Any]
    ) -> dict[str, Any]:
        """The intermediate columns: lineage, ids of references, the fields' values."""
        definition = TABLES[spec.name]
        columns: dict[str, Any] = {
            definition.primary_key: self.ctx.record_ids(batch.keys),
            "source_system": SYSTEM,
            "source_key": batch.keys,
            "service_id": self.options.service_id,
        }
        for column in definition.columns:
            if column.name in given:
                columns[column.name] = given[column.name]
            elif column.name in values:
                data = values[column.name]
                if column.foreign_key is not None:
                    columns[column.name] = self.ctx.record_ids(pd.Series(data, dtype=object))
                elif column.kind is Kind.INTEGER_LIST:
                    columns[column.name] = pd.Series([_json(v) for v in data], dtype=STRING)
                else:
                    columns[column.name] = _series(data, column.arrow_type)
        return columns


def _target(column: Any) -> str | None:
    return column.foreign_key.table if column.foreign_key is not None else None


def _json(value: Any) -> str | None:
    import json

    return None if value is None else json.dumps(value)


__all__ = ["Run"]
