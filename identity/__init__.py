"""One person across services: links between the person records of several services.

    records = read_packages([Path("packages/0942-full"), Path("packages/0351-full")])
    linkage = link(records, threshold=0.9)
    conflicts = find_conflicts(records, linkage)

A stage of its own: it reads packages (or a target case store) through the format and
writes a link table, clusters and conflict findings that hold keys, scores and reasons
only (docs/identity.md).
"""

from nffs_migration.identity.conflicts import find_conflicts
from nffs_migration.identity.link import DEFAULT_FLOOR, DEFAULT_THRESHOLD, Linkage, link
from nffs_migration.identity.records import Records, engine_for, read_packages, read_target

__all__ = [
    "DEFAULT_FLOOR",
    "DEFAULT_THRESHOLD",
    "Linkage",
    "Records",
    "engine_for",
    "find_conflicts",
    "link",
    "read_packages",
    "read_target",
]
