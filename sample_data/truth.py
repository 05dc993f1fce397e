"""`truth.json`: what a generated source holds and what a correct toolkit makes of it.

Written beside every generated source. It lists, per dirt kind, the source keys where
the defect was injected and the treatment expected (see `dirt.KINDS`), for a few kinds
what the record held before (`repairs`, what a clerk restores from the paper file), and per
intermediate table the rows expected as migrated, rejected and excluded, with the sum
of the amounts of migrated rows (CHF, to the centime). Tests compare the toolkit's
packages and reports against it; the generator never imports the extractors, so a
mistake on one side is not mirrored on the other.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from nffs_migration.intermediate_format.definition import TABLES

OUTCOMES = ("migrated", "rejected", "excluded")
AMOUNT_TABLES = ("budget_items", "payments")
#: Source keys listed per dirt kind; beyond this only the count (facts such as RTF in
#: old journal entries can concern a million records of a large source).
MAX_KEYS = 20_000


class Truth:
    """Collects the expected outcome of every generated record and every injected defect."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.dirt: dict[str, list[str]] = defaultdict(list)
        self.dirt_counts: dict[str, int] = defaultdict(int)
        self.counts: dict[str, dict[str, int]] = {
            name: dict.fromkeys(OUTCOMES, 0) for name in TABLES
        }
        self.sums: dict[str, Decimal] = {name: Decimal("0.00") for name in AMOUNT_TABLES}
        self.excluded_by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.rejected_by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.extra: dict[str, Any] = {}
        self.repairs: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

    def has(self, kind: str) -> bool:
        """True when the kind has been injected at least once."""
        return bool(self.dirt.get(kind))

    def inject(self, kind: str, key: str) -> None:
        """Record that `kind` was injected into the record with source key `key`.

        Only the first `MAX_KEYS` keys per kind are kept (memory stays flat); the count
        is always complete.
        """
        self.dirt_counts[kind] += 1
        keys = self.dirt[kind]
        if len(keys) < MAX_KEYS:
            keys.append(key)

    def repair(self, kind: str, key: str, **values: Any) -> None:
        """Record what the record `key` held before `kind` was injected (a clerk's fix).

        Only for defects a clerk mends from the paper file, where the source itself no
        longer holds the answer (a removed lead, a removed social worker);
        `sample_data.clerk` applies them.
        """
        self.repairs[kind][key] = values

    def row(
        self,
        table: str,
        outcome: str = "migrated",
        *,
        amount: Decimal | None = None,
        rule: str | None = None,
        count: int = 1,
    ) -> None:
        """Record the expected outcome of `count` source records for an intermediate table."""
        self.counts[table][outcome] += count
        if outcome == "migrated" and amount is not None and table in self.sums:
            self.sums[table] += amount
        if outcome == "excluded" and rule:
            self.excluded_by_rule[table][rule] += count
        if outcome == "rejected" and rule:
            self.rejected_by_rule[table][rule] += count

    def to_dict(self) -> dict[str, Any]:
        """The truth as a JSON-ready dict."""
        from nffs_migration.sample_data.dirt import KINDS

        expected: dict[str, Any] = {}
        for table, counts in self.counts.items():
            entry: dict[str, Any] = dict(counts)
            if table in self.sums:
                entry["amount_chf_sum"] = f"{self.sums[table]:.2f}"
            if self.excluded_by_rule.get(table):
                entry["excluded_by_rule"] = dict(sorted(self.excluded_by_rule[table].items()))
            if self.rejected_by_rule.get(table):
                entry["rejected_by_rule"] = dict(sorted(self.rejected_by_rule[table].items()))
            expected[table] = entry
        dirt = {
            kind: {
                "table": KINDS[kind].table,
                "expect": KINDS[kind].expect,
                "description": KINDS[kind].description,
                "count": self.dirt_counts[kind],
                "source_keys": keys,
                "truncated": self.dirt_counts[kind] > len(keys),
                **({"repairs": self.repairs[kind]} if self.repairs.get(kind) else {}),
            }
            for kind, keys in sorted(self.dirt.items())
        }
        return {"generator": self.meta, **self.extra, "expected": expected, "dirt": dirt}

    def write(self, path: Path) -> None:
        """Write truth.json."""
        path.write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


__all__ = ["AMOUNT_TABLES", "OUTCOMES", "Truth"]
