"""Rule cases as data: per rule, tiny inputs and the findings they must give.

`validators/cases/<rule-id>.yaml` holds named cases. Each case starts from a clean
package (one open economic-aid case `1` in segment B with lead `p1`, staff `s1`, a
current budget `b1`, a payment and a recent personal talk, data as of 2026-03-14);
a table listed in the case replaces that table. Rows name only what matters: other
columns take defaults, ids are built from `source_key`, and references may be given
as source keys (`case_id: "1"`). The cases run in one parametrized test and are the
examples of the rule reference (`docs/validation-rules.md`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.model import Kind
from nffs_migration.validators.source import MemorySource

CASES = Path(__file__).parent / "cases"
AS_OF = date(2026, 3, 14)
PREFIX = "0942:klibnet:"

#: Values a row takes when the case does not say otherwise.
DEFAULT_ROWS: dict[str, dict[str, Any]] = {
    "organisation": {
        "name": "Sozialdienst Thun",
        "commune_numbers": "[942]",
        "data_as_of": "2026-03-14T18:22:00",
    },
    "staff": {"short_name": "GILD", "role": "social_worker", "active": True},
    "persons": {
        "family_name": "Muster",
        "given_name": "Anna",
        "birth_date": "1980-05-05",
        "birth_date_precision": "day",
        "sex": "2",
    },
    "addresses": {
        "person_id": "p1",
        "street": "Bahnhofstrasse",
        "house_number": "12",
        "postal_code": "3600",
        "town": "Thun",
        "commune_number": 942,
        "valid_from": "2020-01-01",
    },
    "cases": {
        "case_number": None,
        "domain": "economic_aid",
        "opened_on": "2024-01-10",
        "responsible_staff_id": "s1",
        "segment": "B",
        "segment_since": "2024-03-01",
    },
    "case_members": {"case_id": "1", "person_id": "p1", "role": "lead", "valid_from": "2024-01-10"},
    "budgets": {
        "case_id": "1",
        "valid_from": "2026-03-01",
        "valid_to": "2026-03-31",
        "status": "approved",
    },
    "budget_items": {
        "budget_id": "b1",
        "position": "GBL",
        "kind": "expense",
        "amount_chf": "1031.00",
    },
    "payments": {
        "case_id": "1",
        "value_date": "2026-03-01",
        "amount_chf": "1031.00",
        "category": "GBL",
        "status": "paid",
    },
    "journal_entries": {
        "case_id": "1",
        "occurred_at": "2026-02-20T10:00:00",
        "staff_id": "s1",
        "contact_type": "personal_talk",
        "duration_minutes": 45,
    },
    "measures": {"case_id": "1", "legal_basis": "ZGB 308"},
    "documents": {
        "case_id": "1",
        "file": "documents/1/d1.pdf",
        "sha256": "0" * 64,
        "size_bytes": 0,
    },
}
BASELINE: dict[str, list[dict[str, Any]]] = {
    "organisation": [{"source_key": "0942"}],
    "staff": [{"source_key": "s1"}],
    "persons": [{"source_key": "p1"}],
    "addresses": [{"source_key": "a1"}],
    "cases": [{"source_key": "1"}],
    "case_members": [{"source_key": "1/p1"}],
    "budgets": [{"source_key": "b1"}],
    "budget_items": [{"source_key": "i1"}],
    "payments": [{"source_key": "z1"}],
    "journal_entries": [{"source_key": "j1"}],
}


def _value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if kind is Kind.TIMESTAMP and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind is Kind.MONEY:
        return Decimal(str(value))
    return value


def build_table(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A table of the format from partial rows (defaults, ids and references filled in)."""
    table = TABLES[name]
    built = []
    for row in rows:
        values = {**DEFAULT_ROWS[name], **row}
        key = str(values["source_key"])
        full: dict[str, Any] = {}
        for column in table.columns:
            if column.name == table.primary_key:
                full[column.name] = values.get(column.name) or PREFIX + key
            elif column.name == "source_system":
                full[column.name] = "klibnet"
            elif column.name == "service_id":
                full[column.name] = "0942"
            elif column.name == "case_number" and values.get("case_number") is None:
                full[column.name] = f"WH-{key}"
            else:
                value = values.get(column.name)
                if column.foreign_key is not None and isinstance(value, str) and ":" not in value:
                    value = PREFIX + value
                full[column.name] = _value(column.kind, value)
        built.append(full)
    return pa.Table.from_pylist(built, schema=table.arrow_schema).to_pandas(
        types_mapper=pd.ArrowDtype
    )


def build_source(tables: dict[str, Any]) -> MemorySource:
    """The clean baseline with the case's tables in place of the baseline's."""
    merged = {**BASELINE, **{k: v for k, v in tables.items() if not k.startswith("_")}}
    files = {path: content.encode() for path, content in tables.get("_files", {}).items()}
    return MemorySource(
        {name: build_table(name, rows) for name, rows in merged.items()}, files=files
    )


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case of every rule: (rule id, case)."""
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            found.append((data["rule"], case))
    return found


__all__ = ["AS_OF", "BASELINE", "build_source", "build_table", "load_cases"]
