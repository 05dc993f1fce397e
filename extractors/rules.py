"""The rules of extraction: what an extractor reports, rejects or excludes, by stable id.

Findings of these rules travel with the package (`reports/extract-findings.json`) and
validation carries them into its report; their records are the extraction part of the
one rule catalog (`intermediate_format/rules.py`). Reject and exclusion rules name the
reason a record is in `rejects/` or counted as excluded in the manifest's accounting.
"""

from __future__ import annotations

from nffs_migration.intermediate_format.rules import EXCLUSION_RULES, REJECT_RULES
from nffs_migration.intermediate_format.rules import EXTRACTION_RULES as FINDINGS

#: Rejects: the record goes to rejects/ with this rule.
REJECTS = REJECT_RULES
#: Exclusions: the record is counted as excluded under this rule.
EXCLUSIONS = EXCLUSION_RULES

__all__ = ["EXCLUSIONS", "FINDINGS", "REJECTS"]
