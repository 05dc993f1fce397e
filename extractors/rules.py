"""The rules of extraction: what an extractor reports, rejects or excludes, by stable id.

Findings of these rules travel with the package (`reports/extract-findings.json`) and
validation carries them into its report. Reject and exclusion rules name the reason a
record is in `rejects/` or counted as excluded in the manifest's accounting.
"""

from __future__ import annotations

from nffs_migration.intermediate_format.findings import Category, Rule, Severity

W, INFO, E = Severity.WARNING, Severity.INFO, Severity.ERROR


def _rule(
    rule_id: str, category: Category, severity: Severity, table: str, title: str, description: str
) -> Rule:
    return Rule(rule_id, category, severity, table, title, description, description)


#: Findings: the record is migrated, the finding names it.
FINDINGS: dict[str, Rule] = {
    r.id: r
    for r in (
        _rule(
            "ahvn13-check-digit",
            Category.CONFORMANCE,
            W,
            "persons",
            "AHV check digit",
            "The source's AHV number has a wrong check digit; the AHV number is left empty.",
        ),
        _rule(
            "ahvn13-format",
            Category.CONFORMANCE,
            W,
            "persons",
            "AHV number format",
            "The source's AHV number is neither an AHVN13 nor an old 11-digit number; left empty.",
        ),
        _rule(
            "unmapped-code",
            Category.CONFORMANCE,
            W,
            "*",
            "Unmapped code",
            "A code that no mapping file covers; the field is left empty (add it to the mapping).",
        ),
        _rule(
            "date-impossible",
            Category.CONFORMANCE,
            W,
            "*",
            "Impossible date",
            "A date that does not exist (31.02.); the field is left empty.",
        ),
        _rule(
            "date-format",
            Category.CONFORMANCE,
            W,
            "*",
            "Unreadable date",
            "A date in no known format; the field is left empty.",
        ),
        _rule(
            "value-format",
            Category.CONFORMANCE,
            W,
            "*",
            "Unreadable value",
            "A value not in the form the mapping says (no match of `extract`, not an integer, "
            "not a boolean); the field is left empty.",
        ),
        _rule(
            "amount-format",
            Category.CONFORMANCE,
            E,
            "*",
            "Unreadable amount",
            "An amount that cannot be read as CHF.",
        ),
        _rule(
            "encoding-repaired",
            Category.CONFORMANCE,
            INFO,
            "*",
            "Encoding repaired",
            "Text held UTF-8 bytes in a Latin-1 file (mojibake); repaired.",
        ),
        _rule(
            "duplicate-key",
            Category.INTEGRITY,
            W,
            "*",
            "Duplicate key",
            "The same key twice in the source; the later record wins, the earlier is rejected.",
        ),
        _rule(
            "dangling-reference",
            Category.INTEGRITY,
            W,
            "*",
            "Dangling reference",
            "A reference to a record that is not in the source; the reference is left empty.",
        ),
        _rule(
            "document-empty",
            Category.INTEGRITY,
            W,
            "documents",
            "Empty document",
            "The document's file has zero bytes.",
        ),
        _rule(
            "document-duplicate-content",
            Category.INTEGRITY,
            INFO,
            "documents",
            "Duplicate document",
            "The document's content is identical to another document's.",
        ),
        _rule(
            "document-unlisted-file",
            Category.INTEGRITY,
            INFO,
            "documents",
            "Unlisted file",
            "A file in the document folder that the source does not list; not migrated.",
        ),
        _rule(
            "name-all-caps",
            Category.PLAUSIBILITY,
            INFO,
            "persons",
            "Name in capitals",
            "A family name written in capitals only; check the spelling at the source.",
        ),
    )
}

#: Rejects: the record goes to rejects/ with this rule.
REJECTS = {
    "orphan-record": "The record's parent does not exist in the source.",
    "unmapped-code": "A required code that no mapping file covers.",
    "missing-required": "A required value is missing in the source.",
    "amount-format": "An amount that cannot be read as CHF.",
    "document-file-missing": "The document's file is not in the document folder.",
    "document-path-unsafe": "The document's path leaves the document folder.",
    "duplicate-key": "The same key twice in the source; the later record wins.",
    "dangling-reference": "The record refers to a record that is not in the source.",
}

#: Exclusions: the record is counted as excluded under this rule.
EXCLUSIONS = {
    "soft-deleted": "Marked deleted in the source (with what hangs only on it).",
    "retention-expired": "Case closed more than the retention period before the data's date, "
    "with everything that hangs only on it; persons whose every case is excluded.",
}

__all__ = ["EXCLUSIONS", "FINDINGS", "REJECTS"]
