"""The rules of extraction: what an extractor reports, rejects or excludes, by stable id.

Findings of these rules travel with the package (`reports/extract-findings.json`) and
validation carries them into its report; their records are the extraction part of the
one rule catalog (`intermediate_format/rules.py`). Reject and exclusion rules name the
reason a record is in `rejects/` or counted as excluded in the manifest's accounting.
"""

from __future__ import annotations

from nffs_migration.intermediate_format.rules import EXTRACTION_RULES as FINDINGS

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
