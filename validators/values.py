"""The values behind findings, for `validate --show-values`: personal data, on request only.

Findings name a record by its keys and a field, never by its value (the report, the
logs and the ledger are read by people who must not see the data). A clerk who fixes a
record sometimes needs the value itself; `nffs-migrate validate PKG --show-values` looks
it up here and prints it to the terminal, and nowhere else: the values are never logged,
written to a report or returned in an exception.

Only findings on a table of the package with a record id and a single field have a value
here. Findings of the extraction on a source table (no record id) are looked up in the
legacy system by their source key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration.intermediate_format import TABLES, open_package
from nffs_migration.intermediate_format.findings import Finding


@dataclass(frozen=True)
class ShownValue:
    """A finding with the value of its field, as text (None: not in the package)."""

    finding: Finding
    value: str | None


def first_per_rule(findings: Iterable[Finding], per_rule: int) -> list[Finding]:
    """At most `per_rule` findings of each rule, in report order."""
    seen: dict[str, int] = defaultdict(int)
    chosen = []
    for finding in findings:
        if seen[finding.rule_id] < per_rule:
            seen[finding.rule_id] += 1
            chosen.append(finding)
    return chosen


def _text(value: object) -> str:
    if value is None:
        return "(empty)"
    return str(value)


def finding_values(package_path: Path, findings: Sequence[Finding]) -> list[ShownValue]:
    """The value of each finding's field in the package, read column by column.

    Each table is read once, with only its key and the fields the findings name.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        table = TABLES.get(finding.table)
        if table and finding.record_id and finding.field in table.column_names:
            wanted[finding.table].add(finding.field)
    values: dict[tuple[str, str, str], str] = {}
    if wanted:
        with open_package(package_path) as package:
            for name, fields in wanted.items():
                key = TABLES[name].primary_key
                ids = pa.array(
                    sorted({f.record_id for f in findings if f.table == name and f.record_id})
                )
                data = package.table(name).select([key, *sorted(fields)])
                data = data.filter(pc.is_in(data.column(key), value_set=ids))
                for row in data.to_pylist():
                    for field in fields:
                        values[(name, str(row[key]), field)] = _text(row[field])
    return [
        ShownValue(f, values.get((f.table, f.record_id or "", f.field or ""))) for f in findings
    ]
