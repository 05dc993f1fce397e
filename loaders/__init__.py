"""Loaders: validated packages into the target case store, once, in one transaction.

- `schema`: the target's tables generated from the format definition, created or
  upgraded by `init_target`, with a schema version table and a load log;
- `load`: `load_package()`: refuse damaged or unvalidated packages, load everything in one
  transaction with set-based upserts (COPY on PostgreSQL), idempotently;
- `reconcile`: counts, sums and id hashes of a package against the target;
- `documents`: the content-addressed documents store.
"""

from nffs_migration.loaders.load import LoadResult, load_package
from nffs_migration.loaders.reconcile import Reconciliation, reconcile_package
from nffs_migration.loaders.schema import create_target_engine, init_target

__all__ = [
    "LoadResult",
    "Reconciliation",
    "create_target_engine",
    "init_target",
    "load_package",
    "reconcile_package",
]
