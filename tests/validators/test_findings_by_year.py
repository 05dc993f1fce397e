"""The chart of findings by case opening year: each finding counted under its own case."""

from __future__ import annotations

from nffs_migration.intermediate_format.findings import (
    Category,
    Finding,
    Report,
    RuleResult,
    Severity,
)
from nffs_migration.validators.cases import PREFIX, build_source
from nffs_migration.validators.engine import findings_by_year


def _finding(rule: str, table: str, key: str) -> Finding:
    return Finding(rule, Severity.ERROR, table, PREFIX + key, key, None, "m")


def test_findings_count_under_their_cases_opening_year_by_category() -> None:
    source = build_source(
        {
            "cases": [
                {"source_key": "1", "opened_on": "2019-02-01"},
                {"source_key": "2", "opened_on": "2024-05-06"},
            ],
            "persons": [{"source_key": "1"}],  # the same id string as case 1
            "budgets": [{"source_key": "b1", "case_id": "2"}],
        }
    )
    rules = [
        RuleResult(
            "closed-case-without-reason", Category.COMPLETENESS, Severity.ERROR, "cases", "", 1, 1
        ),
        RuleResult(
            "budget-periods-overlap", Category.PLAUSIBILITY, Severity.ERROR, "budgets", "", 1, 1
        ),
        RuleResult(
            "date-in-the-future", Category.PLAUSIBILITY, Severity.ERROR, "persons", "", 1, 1
        ),
    ]
    report = Report(
        rules=rules,
        findings=[
            _finding("closed-case-without-reason", "cases", "1"),
            _finding("budget-periods-overlap", "budgets", "b1"),
            _finding("date-in-the-future", "persons", "1"),
        ],
    )
    counts = findings_by_year(source, report)
    assert list(counts) == ["2019", "2024", "no case"]
    assert counts["2019"][Category.COMPLETENESS.value] == 1
    assert counts["2024"][Category.PLAUSIBILITY.value] == 1
    # A person's finding belongs to no case, even when its id equals a case's id.
    assert counts["no case"][Category.PLAUSIBILITY.value] == 1
    assert sum(sum(by_kind.values()) for by_kind in counts.values()) == 3
