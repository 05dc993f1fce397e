"""Extractors: one module per legacy source family, one small interface, one registry.

`EXTRACTORS` maps the contract's four families to their extractor classes
(`"module:Class"`, imported when used, which keeps the command line fast); any further
family, in this project or a vendor's package, registers through the entry-point group
`nffs_migration.extractors` (`name = "package.module:Class"`). A family is a folder with
the same roles under the same file names (`extractor.py`, `source.py`, `index.py`,
`tables.py`, `documents.py`, `mappings/`): see `extractors/README.md`. The framework
(`run.py`) keeps the accounting, rejects, findings and documents; an extractor only
reads its source and yields chunks.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from nffs_migration.errors import ConfigurationError
from nffs_migration.extractors.base import (
    Chunk,
    ExtractOptions,
    Extractor,
    SourceInfo,
    SourceProfile,
)
from nffs_migration.intermediate_format.systems import ENTRY_POINT_GROUP

EXTRACTORS: dict[str, str] = {
    "klibnet": "nffs_migration.extractors.klibnet.extractor:KlibnetExtractor",
    "kiss": "nffs_migration.extractors.kiss.extractor:KissExtractor",
    "tutoris": "nffs_migration.extractors.tutoris.extractor:TutorisExtractor",
    "custom": "nffs_migration.extractors.custom.extractor:CustomExtractor",
}


def available() -> list[str]:
    """Names of every extractor: the built-in ones and those of installed plugins."""
    names = set(EXTRACTORS) | {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def extractor_class(name: str) -> type[Any]:
    """The extractor class of a family (a plugin's entry point, if no built-in has the name)."""
    if name in EXTRACTORS:
        module, _, attribute = EXTRACTORS[name].partition(":")
        found: type[Any] = getattr(import_module(module), attribute)
        return found
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            loaded: type[Any] = entry.load()
            return loaded
    raise ConfigurationError(f"unknown source system {name!r}; known: {', '.join(available())}")


def get_extractor(name: str) -> Extractor:
    """An extractor by family name (`klibnet`, `kiss`, `tutoris`, `custom`, or a plugin's)."""
    extractor: Extractor = extractor_class(name)()
    return extractor


__all__ = [
    "EXTRACTORS",
    "Chunk",
    "ExtractOptions",
    "Extractor",
    "SourceInfo",
    "SourceProfile",
    "available",
    "extractor_class",
    "get_extractor",
]
