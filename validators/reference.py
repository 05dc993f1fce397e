"""The rule reference page (`docs/validation-rules.md`), from the catalog, cases and notes.

Every rule of the one catalog (`intermediate_format/rules.py`), extraction's and
validation's, by category with its severity under a profile, its example cases
(`validators/cases/`) and its notes (`validators/rule-notes.yaml`): which source fields
it reads per system and why a clean source cannot trigger it. A rule without notes is
an installation fault, like a rule without cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format.findings import Category
from nffs_migration.intermediate_format.rules import (
    EXTRACTION_RULES,
    OPTIONAL_RULES,
    RULES,
    VALIDATION_RULES,
)
from nffs_migration.resources import require, resource
from nffs_migration.validators.cases import load_cases
from nffs_migration.validators.profile import load_profile

NOTES = resource("nffs_migration.validators", "rule-notes.yaml")
SYSTEMS = ("klibnet", "kiss", "tutoris", "custom")


def rule_notes() -> dict[str, dict[str, Any]]:
    """Per rule: the source fields it reads (`reads`) and why a clean source passes (`clean`)."""
    item = require(NOTES, "the rule notes")
    try:
        notes = yaml.safe_load(item.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{item}: cannot read the rule notes ({exc})") from None
    missing = sorted(set(RULES) - set(notes or {}))
    if missing:
        raise ConfigurationError(f"{item}: no notes for {', '.join(missing)}")
    return dict(notes)


def stage(rule_id: str) -> str:
    """Which stage raises a rule: extraction, validation or both."""
    stages = [
        stage
        for stage, rules in (("extraction", EXTRACTION_RULES), ("validation", VALIDATION_RULES))
        if rule_id in rules
    ]
    return " and ".join(stages)


def rules_markdown(profile_path: Path | None = None) -> str:
    """Every rule by category with its severity, description, cases and notes."""
    profile = load_profile(profile_path)
    notes = rule_notes()
    cases: dict[str, list[str]] = {}
    for rule_id, case in load_cases():
        expected = ", ".join(f"{table} `{key}`" for table, key in case["expect"]) or "no finding"
        cases.setdefault(rule_id, []).append(f"{case['name']} → {expected}")
    lines = [
        "# Validation rules",
        "",
        "Generated from the rule catalog (`intermediate_format/rules.py`), the rule cases in",
        "`validators/cases/` and the notes in `validators/rule-notes.yaml`; do not edit.",
        f"Severities are those of the profile `{profile.name}`; a service profile may change",
        "them, with `allowed_by:` where it relaxes a rule. One catalog holds the rules of",
        "extraction (what the extractor noticed in the source, in",
        "`reports/extract-findings.json`) and of validation; an id has one record and one",
        "severity wherever it is raised. Rules marked *optional* judge nothing unless a",
        "profile turns them on (`segment-guidelines`).",
        "",
    ]
    for category in Category:
        lines += [
            f"## {category.value}",
            "",
            "| rule | severity | stage | table | what it checks |",
            "|---|---|---|---|---|",
        ]
        examples: list[str] = []
        for rule in RULES.values():
            if rule.category is not category:
                continue
            severity = (profile.setting(rule.id).severity or rule.severity).value
            if rule.id in OPTIONAL_RULES:
                severity += ", optional"
            lines.append(
                f"| `{rule.id}` | {severity} | {stage(rule.id)} | {rule.table} "
                f"| {rule.description} |"
            )
            for example in cases.get(rule.id, []):
                examples.append(f"- `{rule.id}`: {example}")
        lines.append("")
        if examples:
            lines += ["Examples (rule cases):", "", *examples, ""]
    lines += [
        "## What each rule reads, and why a clean source does not trigger it",
        "",
        "Audited against the reference models of the four systems (`legacy-systems/`). A rule",
        "that needs a table or column a system does not keep (`manifest.not_kept`: KiSS keeps",
        "no measures, Tutoris no mandate holder and no segment date) does not judge that",
        "system's packages.",
        "",
    ]
    for rule in RULES.values():
        note = notes[rule.id]
        reads = note.get("reads", {})
        lines.append(f"### `{rule.id}`")
        lines.append("")
        if "all" in reads:
            lines.append(f"Reads: {reads['all']}.")
        else:
            for system in SYSTEMS:
                if system in reads:
                    lines.append(f"- {system}: {reads[system]}")
        lines += ["", f"Clean sources: {note['clean']}", ""]
    return "\n".join(lines)


__all__ = ["NOTES", "rule_notes", "rules_markdown", "stage"]
