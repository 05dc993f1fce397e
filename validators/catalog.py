"""The rules validation judges a package by: the validation part of the one rule catalog.

The records live in `intermediate_format/rules.py`, beside extraction's, so that an id
has one record and one severity wherever it is raised. The checks in this package
report failures under these ids; the rule profile (`profile.py`) may change a rule's
severity or give it a threshold.
"""

from __future__ import annotations

from nffs_migration.intermediate_format.rules import RULES as ALL_RULES
from nffs_migration.intermediate_format.rules import VALIDATION_RULES as RULES
from nffs_migration.intermediate_format.rules import rule

__all__ = ["ALL_RULES", "RULES", "rule"]
