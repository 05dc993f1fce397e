"""Rule cases as data: per rule, tiny inputs and the findings they must give.

`validators/cases/<rule-id>.yaml` holds named cases. Each case starts from a clean
package (one open economic-aid case `1` in segment B with lead `p1`, staff `s1`, a
current budget `b1`, a payment and a recent personal talk, data as of 2026-03-14);
a table listed in the case replaces that table. Rows name only what matters: other
columns take defaults, ids are built from `source_key`, and references may be given
as source keys (`case_id: "1"`). A case may give `_manifest:` (accounting, rejects,
mapped and unmapped codes) for the rules that read the manifest. The cases run in one
parametrized test and are the examples of the rule reference
(`docs/validation-rules.md`, `nffs-migrate rules`).

Every rule of the catalog has its case file, except the few in `WITHOUT_CASES`; the
files are package data, and a missing one is an installation fault (`case_files()`
raises, naming the file).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources.abc import Traversable
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format.definition import FORMAT_VERSION, TABLES
from nffs_migration.intermediate_format.manifest import (
    Accounting,
    Batch,
    DocumentsEntry,
    Manifest,
    TableEntry,
)
from nffs_migration.intermediate_format.model import Kind
from nffs_migration.resources import listing, require, resource
from nffs_migration.validators.results import CheckContext
from nffs_migration.validators.source import MemorySource

#: The rule cases shipped with the toolkit (package data).
CASES = resource("nffs_migration.validators", "cases")
#: Rules no tiny case can show: a column of the wrong type cannot be built from the
#: format's own types.
WITHOUT_CASES = frozenset({"wrong-type"})
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


def build_manifest(tables: dict[str, pd.DataFrame], partial: dict[str, Any]) -> Manifest:
    """A manifest for the tables, with a case's accounting, rejects and code counts."""
    accounting = {
        name: Accounting(**{"excluded": 0, **counts})
        for name, counts in (partial.get("accounting") or {}).items()
    }
    entry = {"sha256": "0" * 64}
    return Manifest(
        format_version=FORMAT_VERSION,
        package_id="0942-klibnet-full-0001-000000000000",
        service_id="0942",
        source_system="klibnet",
        batch=Batch(kind="full", sequence=1),
        data_as_of=datetime(2026, 3, 14, 18, 22, tzinfo=UTC),
        created_at=datetime(2026, 3, 14, 18, 30, tzinfo=UTC),
        tool_version="cases",
        tables={
            name: TableEntry(file=f"tables/{name}.parquet", rows=len(frame), **entry)
            for name, frame in tables.items()
        },
        rejects={
            name: TableEntry(file=f"rejects/{name}.parquet", rows=int(rows), **entry)
            for name, rows in (partial.get("rejects") or {}).items()
        },
        documents=DocumentsEntry(count=0, bytes=0),
        accounting=accounting,
        unmapped_codes=partial.get("unmapped_codes") or {},
        mapped_codes=partial.get("mapped_codes"),
        not_kept=partial.get("not_kept") or [],
        files={},
        content_sha256="0" * 64,
    )


def build_source(tables: dict[str, Any]) -> MemorySource:
    """The clean baseline with the case's tables in place of the baseline's."""
    merged = {**BASELINE, **{k: v for k, v in tables.items() if not k.startswith("_")}}
    files = {path: content.encode() for path, content in tables.get("_files", {}).items()}
    built = {name: build_table(name, rows) for name, rows in merged.items()}
    partial = tables.get("_manifest")
    manifest = build_manifest(built, partial) if partial is not None else None
    return MemorySource(built, files=files, manifest=manifest)


def case_context(source: MemorySource) -> CheckContext:
    """The context a rule case runs in: its data's date, what its source keeps, every rule on.

    Optional rules (the segment guidelines) are on: each case names the rule it shows.
    """
    from nffs_migration.intermediate_format.rules import OPTIONAL_RULES

    manifest = source.manifest
    return CheckContext(
        as_of=AS_OF,
        not_kept=frozenset(manifest.not_kept if manifest is not None else ()),
        enabled=OPTIONAL_RULES,
    )


def case_files() -> dict[str, Traversable]:
    """The case file of every rule of the catalog (but `WITHOUT_CASES`), each present."""
    from nffs_migration.validators.catalog import RULES

    listing(CASES, ".yaml", "rule cases")
    return {
        rule_id: require(CASES / f"{rule_id}.yaml", f"the rule cases of {rule_id}")
        for rule_id in RULES
        if rule_id not in WITHOUT_CASES
    }


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case of every rule: (rule id, case)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in case_files().values():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            found.extend((data["rule"], case) for case in data["cases"])
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"{path}: cannot read the rule cases ({exc})") from None
    return found


__all__ = [
    "AS_OF",
    "BASELINE",
    "WITHOUT_CASES",
    "build_manifest",
    "build_source",
    "build_table",
    "case_context",
    "case_files",
    "load_cases",
]
