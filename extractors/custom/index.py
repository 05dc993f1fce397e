"""What a custom extraction decides before any row is built: the index.

`build_index()` reads every table once before extraction for what decisions need up
front: which keys occur twice (the later record wins), which cases are past retention,
which persons belong only to such cases, the budgets' groups and their cases, and the
staff members' keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from nffs_migration.extractors.custom.check import Checked
from nffs_migration.extractors.custom.fields import Evaluator
from nffs_migration.extractors.custom.mappingfile import TableSpec
from nffs_migration.extractors.custom.records import Group, RecordReader, Records, column_places
from nffs_migration.extractors.custom.values import cell_text
from nffs_migration.extractors.frames import EXPIRED, LIVE, MISSING, lookup, status_series


@dataclass
class Index:
    """What extraction decides before reading a table for real."""

    #: Per table: keys that occur more than once, with the ordinal of their last record.
    duplicates: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Per table with `one_record_per`: group -> record key.
    groups: dict[str, dict[Group, str]] = field(default_factory=dict)
    #: Status (LIVE, EXPIRED) per key of cases, persons and budgets.
    status: dict[str, pd.Series] = field(default_factory=dict)
    #: Keys of every table read (for references that must exist).
    keys: dict[str, set[str]] = field(default_factory=dict)


def _column(records: Records, spec: TableSpec, name: str) -> list[Any]:
    rule = spec.fields.get(name)
    if rule is None:
        return [None] * len(records)
    if rule.parent_key:
        return list(records.parents)
    if rule.has_value:
        return [rule.value] * len(records)
    if rule.source_column is None:
        return [None] * len(records)
    return Evaluator(rule, None).run(records.rows.column(rule.source_column)).values


def build_index(checked: Checked, cutoff: date, chunk_rows: int) -> Index:
    """Read every table's keys (and the columns status needs) once, in mapping order."""
    mapping = checked.mapping
    index = Index()
    closed: dict[str | None, Any] = {}
    members: list[tuple[str | None, str | None]] = []
    budget_cases: dict[str | None, str | None] = {}
    for name, spec in mapping.tables.items():
        if spec.source is None or spec.key is None:
            continue
        needs_keys = not spec.key.has_seq or name in ("cases", "persons", "staff", "budgets")
        if spec.parent is not None or not (needs_keys or spec.one_record_per):
            continue  # keys with {seq} under a parent are unique by construction
        seen: set[str] = set()
        last: dict[str, int] = {}
        groups: dict[Group, str] = {}
        ordinal = 0
        for records in RecordReader(checked, spec, chunk_rows):
            if spec.one_record_per:
                group_at = column_places(records.rows.header.index, spec.one_record_per)
                for row, key in zip(records.rows.cells, records.keys, strict=True):
                    if key is not None:
                        groups[tuple(cell_text(row[i]) for i in group_at)] = key
            if name == "cases":
                closed.update(zip(records.keys, _column(records, spec, "closed_on"), strict=True))
            elif name == "case_members":
                members.extend(
                    zip(
                        _column(records, spec, "case_id"),
                        _column(records, spec, "person_id"),
                        strict=True,
                    )
                )
            elif name == "budgets":
                budget_cases.update(
                    zip(records.keys, _column(records, spec, "case_id"), strict=True)
                )
            for key in records.keys:
                if key is not None:
                    if key in seen:
                        last[key] = ordinal
                    seen.add(key)
                ordinal += 1
        index.duplicates[name] = last
        if name in ("staff", "persons"):  # staff: checked by key; persons: status built on them
            index.keys[name] = seen
        if spec.one_record_per:
            index.groups[name] = groups
    _statuses(index, closed, members, budget_cases, cutoff)
    return index


def _statuses(
    index: Index,
    closed: dict[str | None, Any],
    members: list[tuple[str | None, str | None]],
    budget_cases: dict[str | None, str | None],
    cutoff: date,
) -> None:
    case_keys = [key for key in closed if key is not None]
    expired = [closed[key] is not None and closed[key] < cutoff for key in case_keys]
    case_status = status_series(
        pd.Series(case_keys, dtype=object), np.where(expired, EXPIRED, LIVE)
    )
    index.status["cases"] = case_status
    person_keys = sorted(index.keys.get("persons", set()))
    if members:
        member_cases = pd.Series([case for case, _ in members], dtype=object)
        member_persons = [person for _, person in members]
        codes = lookup(member_cases, case_status)
        in_case = {p for p, c in zip(member_persons, codes, strict=True) if c != MISSING}
        live = {p for p, c in zip(member_persons, codes, strict=True) if c == LIVE}
    else:
        in_case, live = set(), set()
    person_codes = [EXPIRED if p in in_case and p not in live else LIVE for p in person_keys]
    index.status["persons"] = status_series(
        pd.Series(person_keys, dtype=object), np.asarray(person_codes, dtype=np.int8)
    )
    budget_keys = [key for key in budget_cases if key is not None]
    index.status["budgets"] = status_series(
        pd.Series(budget_keys, dtype=object),
        lookup(pd.Series([budget_cases[k] for k in budget_keys], dtype=object), case_status),
    )


__all__ = ["Index", "build_index"]
