"""KLIBnet (Diartis, database 5.x) into the intermediate format.

Reads the tables of `legacy-systems/klibnet.md` through any SQLAlchemy URL, in chunks.
The family's parts, as every family has them (`extractors/README.md`):

- `source.py`: the database's tables, their columns and declared types;
- `index.py`: the status maps (soft-deleted persons, cases past retention and what hangs
  on them) and, in a delta, what changed;
- `tables.py`: each table's rows into the format's rows;
- `documents.py`: the files on the document share;
- `mappings/`: the code lists.

Delta batches (`since`) read the rows whose `MutDatum` is later than the high-water
mark; addresses, memberships, budget positions and measures travel with their parent.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import ClassVar, Literal

from nffs_migration.extractors.base import ExtractOptions
from nffs_migration.extractors.database_family import DatabaseExtractor
from nffs_migration.extractors.klibnet.source import (
    CODE_COLUMNS,
    MARKER_TABLE,
    SYSTEM,
    TABLES,
    VERSION,
)
from nffs_migration.extractors.klibnet.tables import KlibnetTables
from nffs_migration.extractors.mapping import MAPPING_LISTS
from nffs_migration.resources import resource


class KlibnetExtractor(DatabaseExtractor):
    """Extractor for KLIBnet databases."""

    name: ClassVar[str] = SYSTEM
    title: ClassVar[str] = "KLIBnet (Diartis) 5.x database"
    label = "KLIBnet"
    version = VERSION
    marker_table = MARKER_TABLE
    source_tables = TABLES
    code_columns = CODE_COLUMNS
    run_class = KlibnetTables
    options_class: ClassVar[type[ExtractOptions]] = ExtractOptions
    mappings_dir: ClassVar[Traversable] = resource("nffs_migration.extractors.klibnet", "mappings")
    mapping_lists: ClassVar[tuple[str, ...]] = MAPPING_LISTS
    deletions: ClassVar[Literal["key_sets", "children"] | None] = "key_sets"
    replaces: ClassVar[dict[str, str]] = {}
    #: KLIBnet has no death date, file number or support flag, and files documents under
    #: dossiers.
    not_kept: ClassVar[tuple[str, ...]] = (
        "persons.death_date",
        "cases.file_number",
        "case_members.supported",
        "documents.person_id",
    )


__all__ = ["KlibnetExtractor"]
