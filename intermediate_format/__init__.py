"""The intermediate format as code: the one definition, and packages to write and read.

- `definition`: every table, column, key and code list of the contract (`TABLES`),
  and the format version;
- `writer` / `reader`: packages (manifest, Parquet tables, rejects, documents, reports);
- `findings`: the finding and report structure shared by extraction and validation;
- `tableschema`: Frictionless descriptors derived from the definition.
"""

from nffs_migration.intermediate_format.codes import CODE_LISTS
from nffs_migration.intermediate_format.definition import (
    FORMAT_VERSION,
    REJECTS,
    TABLES,
    code_list,
    table,
)
from nffs_migration.intermediate_format.findings import (
    Category,
    Finding,
    Report,
    Rule,
    RuleResult,
    Severity,
)
from nffs_migration.intermediate_format.manifest import Accounting, Batch, Manifest
from nffs_migration.intermediate_format.model import Column, Kind, Table
from nffs_migration.intermediate_format.reader import Package, open_package
from nffs_migration.intermediate_format.writer import PackageWriter, StoredDocument

__all__ = [
    "CODE_LISTS",
    "FORMAT_VERSION",
    "REJECTS",
    "TABLES",
    "Accounting",
    "Batch",
    "Category",
    "Column",
    "Finding",
    "Kind",
    "Manifest",
    "Package",
    "PackageWriter",
    "Report",
    "Rule",
    "RuleResult",
    "Severity",
    "StoredDocument",
    "Table",
    "code_list",
    "open_package",
    "table",
]
