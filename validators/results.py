"""Check results, kept apart from the verdict.

A check records, per rule, how many records it looked at and which failed (table,
record id, source key, field). Results hold no values of the records and no severity:
the rule profile turns them into findings with severities and a verdict (`judge.py`),
and `--regrade` can judge the same results against another profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from nffs_migration.intermediate_format.definition import TABLES

Failure = tuple[str, str | None, str | None, str | None]  # table, record_id, source_key, field


@dataclass
class RuleOutcome:
    """One rule's results: records checked and the failing ones."""

    checked: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Distinct failing records."""
        return len({(f[0], f[1] or f[2]) for f in self.failures})


@dataclass
class Results:
    """The results of every rule that ran on a package."""

    outcomes: dict[str, RuleOutcome] = field(default_factory=dict)

    def outcome(self, rule_id: str) -> RuleOutcome:
        """The outcome of a rule (created empty when first used)."""
        return self.outcomes.setdefault(rule_id, RuleOutcome())

    def checked(self, rule_id: str, count: int) -> None:
        """Record that `count` records were looked at by a rule."""
        self.outcome(rule_id).checked += int(count)

    def fail(
        self,
        rule_id: str,
        table: str,
        frame: pd.DataFrame,
        mask: np.ndarray | pd.Series,
        field_name: str | None = None,
    ) -> None:
        """Record the rows of `frame` where `mask` holds as failing `rule_id`.

        `frame` must hold the table's id column and `source_key`; their values are all
        that is kept of a failing record.
        """
        selected = np.asarray(
            mask.fillna(False) if isinstance(mask, pd.Series) else mask, dtype=bool
        )
        if not selected.any():
            return
        id_column = TABLES[table].primary_key
        # Select the failing rows first: converting a whole column to Python objects for
        # each failure made a package with many failures quadratic.
        positions = np.flatnonzero(selected)
        ids = frame[id_column].iloc[positions].to_numpy(dtype=object, na_value=None)
        keys = frame["source_key"].iloc[positions].to_numpy(dtype=object, na_value=None)
        self.outcome(rule_id).failures.extend(
            (table, record, key, field_name) for record, key in zip(ids, keys, strict=True)
        )

    def fail_one(
        self,
        rule_id: str,
        table: str,
        record_id: str | None,
        source_key: str | None,
        field_name: str | None,
    ) -> None:
        """Record a single failing record (or a package-level failure with no record)."""
        self.outcome(rule_id).failures.append((table, record_id, source_key, field_name))

    def merge(self, other: Results) -> None:
        """Add another run's counts and failures after this one's (checks run apart)."""
        for rule_id, outcome in other.outcomes.items():
            mine = self.outcome(rule_id)
            mine.checked += outcome.checked
            mine.failures.extend(outcome.failures)

    def to_dict(self) -> dict[str, Any]:
        """Results as JSON-ready data."""
        return {
            rule_id: {"checked": outcome.checked, "failures": [list(f) for f in outcome.failures]}
            for rule_id, outcome in sorted(self.outcomes.items())
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        """Results read back from a report."""
        return cls(
            {
                rule_id: RuleOutcome(
                    checked=int(entry["checked"]),
                    failures=[(f[0], f[1], f[2], f[3]) for f in entry.get("failures", [])],
                )
                for rule_id, entry in data.items()
            }
        )


@dataclass(frozen=True)
class Params:
    """Thresholds of the checks that a rule profile can set."""

    intake_days: int = 92
    window_a_days: int = 183
    window_bc_days: int = 365
    max_budget_item_chf: int = 20_000
    max_payment_chf: int = 50_000
    #: A source table may send this share of its records (in %) to the rejects.
    max_reject_percent: int = 20
    # The segment guidelines (seed 004; rules off unless a profile turns them on).
    segment_a_min_contacts: int = 4  # personal contacts per semester
    segment_b_min_contacts: int = 3  # per year
    segment_c_min_contacts: int = 1  # per year
    segment_a_months: int = 6  # time limit in the segment
    segment_b_months: int = 24
    segment_c_months: int = 36
    personal_share_ab: int = 80  # % of contacts that are physical, segments A and B
    personal_share_c: int = 100
    portfolio_a_min_percent: int = 10  # of a social worker's segmented cases
    portfolio_c_max_percent: int = 40

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        """Parameters from a profile's `params:` section (unknown keys refused by the profile)."""
        return cls(**{k: int(v) for k, v in data.items()})


@dataclass(frozen=True)
class CheckContext:
    """What a check needs besides the tables: the data's date and the parameters."""

    as_of: date
    params: Params = field(default_factory=Params)
    #: A delta package holds only what changed: references to unchanged records and the
    #: case-level rules that need a case's other records are judged on full packages.
    delta: bool = False
    #: What the source does not keep (`manifest.not_kept`): rules that need it do not judge.
    not_kept: frozenset[str] = frozenset()
    #: Optional rules (segment guidelines) the profile turns on.
    enabled: frozenset[str] = frozenset()

    def keeps(self, *names: str) -> bool:
        """True when the source keeps every table or column named (`table` or `table.column`)."""
        for name in names:
            table = name.split(".", 1)[0]
            if name in self.not_kept or table in self.not_kept:
                return False
        return True


__all__ = ["CheckContext", "Failure", "Params", "Results", "RuleOutcome"]
