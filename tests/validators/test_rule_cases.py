"""Every rule's cases: tiny inputs and exactly the findings they must give."""

from __future__ import annotations

from collections import Counter

import pytest

from nffs_migration.validators.cases import (
    AS_OF,
    WITHOUT_CASES,
    build_source,
    case_context,
    load_cases,
)
from nffs_migration.validators.catalog import RULES
from nffs_migration.validators.engine import run_checks
from nffs_migration.validators.results import CheckContext

CASES = load_cases()


def test_the_clean_baseline_gives_no_finding_at_all() -> None:
    # Under the canton's default: the optional segment guidelines stay off here.
    results = run_checks(build_source({}), CheckContext(as_of=AS_OF))
    assert {rule: o.failures for rule, o in results.outcomes.items() if o.failures} == {}


def test_every_rule_of_the_catalog_has_cases() -> None:
    covered = {rule for rule, _ in CASES}
    assert set(RULES) - covered == set(WITHOUT_CASES)


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r}: {c['name']}" for r, c in CASES])
def test_rule_case(rule: str, case: dict) -> None:
    assert rule in RULES
    source = build_source(case["tables"])
    results = run_checks(source, case_context(source))
    outcome = results.outcomes.get(rule)
    found = Counter((f[0], f[2]) for f in outcome.failures) if outcome else Counter()
    expected = Counter((table, key) for table, key in case["expect"])
    assert found == expected


def test_committed_rule_reference_matches_the_catalog() -> None:
    from pathlib import Path

    from nffs_migration.validators.reference import rules_markdown

    path = Path(__file__).resolve().parents[2] / "docs" / "validation-rules.md"
    assert path.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/validation-rules.md is stale: regenerate with nffs_migration.validators.reference.rules_markdown()"
    )
