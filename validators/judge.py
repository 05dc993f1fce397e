"""From check results to findings and a verdict, under a rule profile.

The results say which records failed which rule; the profile says how much that
matters. A rule fails when its share of failing records exceeds its threshold (0 by
default: any failure); the findings of a failing rule carry the rule's severity, those
of a tolerated rule become `info`. The package passes when no finding is an error.
Extraction's findings come with their own rule records and are judged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from nffs_migration.intermediate_format.findings import (
    Category,
    Finding,
    Report,
    Rule,
    RuleResult,
    Severity,
)
from nffs_migration.validators.catalog import ALL_RULES as RULES
from nffs_migration.validators.profile import Profile
from nffs_migration.validators.results import Results


@dataclass(frozen=True)
class JudgedRule(RuleResult):
    """A rule's result with its threshold and whether it was tolerated."""

    threshold: float = 0.0
    tolerated: bool = False

    def as_dict(self) -> dict[str, object]:
        """The result as a JSON-ready dict, with threshold and tolerance."""
        data = super().as_dict()
        data["threshold"] = self.threshold
        data["tolerated"] = self.tolerated
        return data


def _message(rule: Rule, field: str | None) -> str:
    template = rule.message or rule.description
    try:
        return template.format(field=field or "a value")
    except (KeyError, IndexError):
        return template


def judge(results: Results, profile: Profile, extraction_rules: dict[str, Rule]) -> Report:
    """Judge results under a profile: rule results with severities, findings, verdict."""
    rules: list[RuleResult] = []
    findings: list[Finding] = []
    for rule_id, outcome in sorted(results.outcomes.items(), key=lambda item: _order(item[0])):
        rule = RULES.get(rule_id) or extraction_rules.get(rule_id)
        if rule is None:
            rule = Rule(
                rule_id, Category.CONFORMANCE, Severity.WARNING, "*", rule_id, rule_id, rule_id
            )
        setting = profile.setting(rule_id)
        severity = setting.severity or rule.severity
        failed = outcome.failed
        checked = max(outcome.checked, failed)
        share = failed / checked if checked else 0.0
        tolerated = failed > 0 and share <= setting.threshold
        effective = Severity.INFO if tolerated else severity
        rules.append(
            JudgedRule(
                id=rule_id,
                category=rule.category,
                severity=severity,
                table=rule.table,
                description=rule.description,
                checked=checked,
                failed=failed,
                threshold=setting.threshold,
                tolerated=tolerated,
            )
        )
        messages: dict[str | None, str] = {}
        for table, record_id, source_key, field in outcome.failures:
            message = messages.get(field)
            if message is None:
                message = messages[field] = _message(rule, field)
            findings.append(
                Finding(rule_id, effective, table, record_id, source_key, field, message)
            )
    return Report(rules=rules, findings=findings)


def _order(rule_id: str) -> tuple[int, str]:
    categories = [c.value for c in Category]
    rule = RULES.get(rule_id)
    return (categories.index(rule.category.value) if rule else len(categories), rule_id)


__all__ = ["JudgedRule", "judge"]
