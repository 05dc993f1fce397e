"""Findings and reports: the structure shared by extraction and validation.

A *finding* says that one record (by id and source key) breaks one rule, in which field,
with a message that holds no personal value. A *report* gathers the rules that were
checked (with counts) and their findings. The extractor writes
`reports/extract-findings.json`, the validator `reports/validation.json`, both in this
structure, so that validation can carry the extractor's findings into its own report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters: errors block loading, warnings are listed."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Category(StrEnum):
    """Data-quality categories (Kahn's framework plus currency)."""

    CONFORMANCE = "conformance"
    COMPLETENESS = "completeness"
    PLAUSIBILITY = "plausibility"
    INTEGRITY = "integrity"
    CURRENCY = "currency"


@dataclass(frozen=True)
class Rule:
    """A rule of the catalog: a stable kebab id and what it checks.

    Attributes:
        id: Stable kebab-case id (`ahvn13-check-digit`).
        category: Data-quality category.
        severity: Default severity (a rule profile may change it).
        table: The table the rule looks at (`*` for the whole package).
        title: A few words.
        description: One line that says what is checked.
        message: Message template with `{field}` and other placeholders; no values.
    """

    id: str
    category: Category
    severity: Severity
    table: str
    title: str
    description: str
    message: str = ""


@dataclass(frozen=True)
class Finding:
    """One record that breaks one rule."""

    rule_id: str
    severity: Severity
    table: str
    record_id: str | None
    source_key: str | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict."""
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


@dataclass(frozen=True)
class RuleResult:
    """A rule as checked on one package: how many records it looked at and how many failed."""

    id: str
    category: Category
    severity: Severity
    table: str
    description: str
    checked: int
    failed: int

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        data = asdict(self)
        data["category"] = str(self.category)
        data["severity"] = str(self.severity)
        return data


@dataclass
class Report:
    """A set of rule results and findings, as in `reports/validation.json`.

    `summary.passed` is true when no finding has severity `error`.
    """

    rules: list[RuleResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def summary(self) -> dict[str, Any]:
        """`{passed, errors, warnings, infos}` as the contract asks."""
        counts = {severity: 0 for severity in Severity}
        for finding in self.findings:
            counts[finding.severity] += 1
        return {
            "passed": counts[Severity.ERROR] == 0,
            "errors": counts[Severity.ERROR],
            "warnings": counts[Severity.WARNING],
            "infos": counts[Severity.INFO],
        }

    def flatten(self, columns: Sequence[str] = ("rule_id", "source_key")) -> list[list[Any]]:
        """Findings as short lists of the given attributes, for tests and quick looks."""
        return [[getattr(f, column) for column in columns] for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict in the contract's structure."""
        data: dict[str, Any] = {
            "summary": self.summary,
            "rules": [rule.as_dict() for rule in self.rules],
            "findings": [finding.as_dict() for finding in self.findings],
        }
        if self.meta:
            data["meta"] = self.meta
        return data

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Read a report back from its dict form (raises KeyError/ValueError when malformed)."""
        rules = [
            RuleResult(
                id=r["id"],
                category=Category(r["category"]),
                severity=Severity(r["severity"]),
                table=r["table"],
                description=r["description"],
                checked=int(r["checked"]),
                failed=int(r["failed"]),
            )
            for r in data.get("rules", [])
        ]
        findings = [
            Finding(
                rule_id=f["rule_id"],
                severity=Severity(f["severity"]),
                table=f["table"],
                record_id=f.get("record_id"),
                source_key=f.get("source_key"),
                field=f.get("field"),
                message=f["message"],
            )
            for f in data.get("findings", [])
        ]
        return cls(rules=rules, findings=findings, meta=dict(data.get("meta", {})))


def rule_results(
    rules: Iterable[Rule], findings: Sequence[Finding], checked: dict[str, int] | None = None
) -> list[RuleResult]:
    """Summarise findings per rule; rules without findings are listed when `checked` names them."""
    failed: dict[str, set[str | None]] = {}
    for finding in findings:
        failed.setdefault(finding.rule_id, set()).add(finding.record_id or finding.source_key)
    results = []
    for rule in rules:
        if rule.id not in failed and not (checked and rule.id in checked):
            continue
        count = len(failed.get(rule.id, ()))
        results.append(
            RuleResult(
                id=rule.id,
                category=rule.category,
                severity=rule.severity,
                table=rule.table,
                description=rule.description,
                checked=(checked or {}).get(rule.id, count),
                failed=count,
            )
        )
    return results


__all__ = ["Category", "Finding", "Report", "Rule", "RuleResult", "Severity", "rule_results"]
