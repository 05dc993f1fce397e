"""KiSS (Diartis, database 4.x) into the intermediate format.

Reads the tables of `legacy-systems/kiss.md` through any SQLAlchemy URL, in chunks.
The family's parts, as every family has them (`extractors/README.md`):

- `source.py`: the database's tables, their columns and declared types;
- `index.py`: the status maps (what is live, what is excluded by its parent) and, in a
  delta, what changed;
- `tables.py`: each table's rows into the format's rows (`households.py` the members of
  a case, `documents.py` the blobs and files);
- `mappings/`: the code lists.

Delta batches (`since`) read the rows whose `Modified` is later; plan members travel
with their plan or service, budget positions with their budget, cases with their file.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import ClassVar, Literal

from nffs_migration.extractors.base import ExtractOptions
from nffs_migration.extractors.database_family import DatabaseExtractor
from nffs_migration.extractors.kiss.source import (
    CODE_COLUMNS,
    MARKER_TABLE,
    SYSTEM,
    TABLES,
    VERSION,
)
from nffs_migration.extractors.kiss.tables import KissTables
from nffs_migration.extractors.mapping import MAPPING_LISTS
from nffs_migration.resources import resource


class KissExtractor(DatabaseExtractor):
    """Extractor for KiSS databases."""

    name: ClassVar[str] = SYSTEM
    title: ClassVar[str] = "KiSS (Diartis) 4.x database"
    label = "KiSS"
    version = VERSION
    marker_table = MARKER_TABLE
    source_tables = TABLES
    code_columns = CODE_COLUMNS
    run_class = KissTables
    options_class: ClassVar[type[ExtractOptions]] = ExtractOptions
    mappings_dir: ClassVar[Traversable] = resource("nffs_migration.extractors.kiss", "mappings")
    mapping_lists: ClassVar[tuple[str, ...]] = MAPPING_LISTS
    deletions: ClassVar[Literal["key_sets", "children"] | None] = "key_sets"
    replaces: ClassVar[dict[str, str]] = {}
    #: KiSS keeps no measures and no date the segment was set.
    not_kept: ClassVar[tuple[str, ...]] = ("measures", "cases.segment_since")


__all__ = ["KissExtractor"]
