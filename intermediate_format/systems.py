"""The source systems: the four of the contract, and any family a plugin registers.

The contract names `klibnet`, `kiss`, `tutoris` and `custom`. A vendor's own extractor
registers under the entry-point group `nffs_migration.extractors` (the entry point's
name is the system's name); that name joins the list here, read from the installed
distributions' metadata without importing the plugin. Everything that lists the
systems (the code list `source_system`, the record id pattern, the manifest, the service
configuration) takes them from `SOURCE_SYSTEMS`, so a registered family needs no edit of
the format.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points

#: The systems of the contract, in its order.
BUILT_IN = ("klibnet", "kiss", "tutoris", "custom")
#: Where a vendor's extractor registers.
ENTRY_POINT_GROUP = "nffs_migration.extractors"
#: What a system's name may be: it is part of every record id.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def registered() -> tuple[str, ...]:
    """The names of the installed plugin families (valid names only, sorted)."""
    names = {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
    return tuple(sorted(n for n in names - set(BUILT_IN) if NAME.match(n)))


#: Every source system this installation knows.
SOURCE_SYSTEMS: tuple[str, ...] = BUILT_IN + registered()

__all__ = ["BUILT_IN", "ENTRY_POINT_GROUP", "NAME", "SOURCE_SYSTEMS", "registered"]
