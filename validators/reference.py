"""The rule reference page (`docs/validation-rules.md`), generated from the catalog and cases."""

from __future__ import annotations

from pathlib import Path

from nffs_migration.intermediate_format.findings import Category
from nffs_migration.validators.cases import load_cases
from nffs_migration.validators.catalog import RULES
from nffs_migration.validators.profile import load_profile


def rules_markdown(profile_path: Path | None = None) -> str:
    """Every rule by category with its severity, description and example cases."""
    profile = load_profile(profile_path)
    cases: dict[str, list[str]] = {}
    for rule_id, case in load_cases():
        expected = ", ".join(f"{table} `{key}`" for table, key in case["expect"]) or "no finding"
        cases.setdefault(rule_id, []).append(f"{case['name']} → {expected}")
    lines = [
        "# Validation rules",
        "",
        "Generated from `validators/catalog.py` and the rule cases in `validators/cases/`; do",
        "not edit. Severities are the canton's default profile",
        "(`validators/profiles/canton-default.yaml`); a service profile may change them, with",
        "`allowed_by:` where it relaxes a rule. Extraction adds its own rules (AHV format,",
        "unmapped codes, repaired encodings, documents); their findings travel in",
        "`reports/extract-findings.json` and are judged the same way.",
        "",
    ]
    for category in Category:
        lines += [
            f"## {category.value}",
            "",
            "| rule | severity | table | what it checks |",
            "|---|---|---|---|",
        ]
        examples: list[str] = []
        for rule in RULES.values():
            if rule.category is not category:
                continue
            severity = profile.setting(rule.id).severity or rule.severity
            lines.append(f"| `{rule.id}` | {severity.value} | {rule.table} | {rule.description} |")
            for example in cases.get(rule.id, []):
                examples.append(f"- `{rule.id}`: {example}")
        lines.append("")
        if examples:
            lines += ["Examples (rule cases):", "", *examples, ""]
    return "\n".join(lines)


__all__ = ["rules_markdown"]
