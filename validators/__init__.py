"""Validation of packages: rules beyond single columns and the report people read.

- `catalog`: every rule with a stable id, category, severity and message;
- `conformance`, `domain`: the checks (pandera for single columns; integrity,
  completeness, plausibility and currency across tables);
- `results`, `judge`, `profile`: results kept apart from the verdict, judged under a
  rule profile (the canton's default, or a service's with who allowed what);
- `engine`: `validate_package()` and `regrade_package()`; `html`: the report page.
- `source`, `memory`: what the checks read, within a memory budget (`--memory`).
"""

from nffs_migration.intermediate_format.reader import stored_report
from nffs_migration.validators.catalog import RULES
from nffs_migration.validators.engine import (
    ValidationOutcome,
    regrade_package,
    validate,
    validate_package,
)
from nffs_migration.validators.profile import load_profile
from nffs_migration.validators.source import MemorySource, PackageSource

__all__ = [
    "RULES",
    "MemorySource",
    "PackageSource",
    "ValidationOutcome",
    "load_profile",
    "regrade_package",
    "stored_report",
    "validate",
    "validate_package",
]
