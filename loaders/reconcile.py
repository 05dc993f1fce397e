"""Reconciliation: does the target hold what the package holds, and nothing stale?

Per table, the number of rows, the sums of the CHF amounts (to the centime) and a hash
over the ids, in the package and in the target. The scope follows the contract:

- a full package is compared with the target's rows of its service and source system;
- a delta with the target's rows of the ids it carries (their latest state), and with
  the state the chain should have produced for the whole scope: a delta with key sets
  proves that the scope holds exactly the ids its key sets list (a row the source no
  longer holds is *stale*; one the key set lists and the target lacks is *missing*); a
  delta of whole subtrees proves that a delivered parent holds exactly the rows
  delivered with it.

Every difference is listed; `nffs-migrate reconcile` exits 1 on any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.model import Kind
from nffs_migration.intermediate_format.reader import open_package
from nffs_migration.loaders.schema import check_target, create_target_engine

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Side:
    """Counts, sums and id hash of one table on one side."""

    rows: int
    sums: dict[str, Decimal]
    ids_sha256: str


@dataclass(frozen=True)
class ScopeCheck:
    """A delta's key set of a table against the target's rows of the scope."""

    listed: int
    stale: int
    missing: int


@dataclass
class Reconciliation:
    """Package against target, table by table."""

    package_id: str
    tables: dict[str, tuple[Side, Side]] = field(default_factory=dict)
    scope: dict[str, ScopeCheck] = field(default_factory=dict)

    def differences(self) -> list[str]:
        """One line per difference (empty when the target holds exactly the package)."""
        lines = []
        for name, check in self.scope.items():
            if check.stale:
                lines.append(
                    f"{name}: {check.stale:,} rows of the scope that the source no longer "
                    "holds (stale)"
                )
            if check.missing:
                lines.append(
                    f"{name}: {check.missing:,} ids of the key set are not in the target (missing)"
                )
        for name, (package, target) in self.tables.items():
            if package.rows != target.rows:
                lines.append(
                    f"{name}: {package.rows:,} rows in the package, {target.rows:,} in the target"
                )
            for column, amount in package.sums.items():
                if target.sums.get(column) != amount:
                    lines.append(
                        f"{name}.{column}: sum {amount} in the package, "
                        f"{target.sums.get(column)} in the target"
                    )
            if package.ids_sha256 != target.ids_sha256 and package.rows == target.rows:
                lines.append(f"{name}: the same number of rows but other ids")
        return lines

    @property
    def matches(self) -> bool:
        """True when nothing differs."""
        return not self.differences()


def _amount_columns(name: str) -> list[str]:
    return [c.name for c in TABLES[name].columns if c.kind is Kind.MONEY]


class IdHash:
    """An order-independent hash of a set of ids: two 64-bit hashes per id, summed mod 2**64.

    128 bits in all. Order-independent so that neither side has to sort (database
    collations differ); computed column-wise (polars), so that millions of ids take a
    fraction of a second. Both sides of a reconciliation are hashed in the same process:
    the value is compared, never stored.
    """

    SEEDS = (0x6E666673, 0x72656373)

    def __init__(self) -> None:
        self.sums = [0, 0]
        self.count = 0

    def add(self, ids: pa.Array | pa.ChunkedArray | list[str]) -> None:
        """Add ids to the set."""
        import numpy as np
        import polars as pl

        series = pl.Series("id", ids, dtype=pl.String)
        for index, seed in enumerate(self.SEEDS):
            # A sum of uint64 wraps around: it is the sum mod 2**64.
            total = int(series.hash(seed=seed).to_numpy().sum(dtype=np.uint64))
            self.sums[index] = (self.sums[index] + total) % (1 << 64)
        self.count += len(series)

    def hexdigest(self) -> str:
        """The hash as hex."""
        return f"{self.sums[0]:016x}{self.sums[1]:016x}"


def reconcile_package(path: Path, target_url: str) -> Reconciliation:
    """Compare a package with the target (see the module docstring for the scope)."""
    engine = create_target_engine(target_url)
    try:
        check_target(engine)
        with open_package(path) as package, engine.connect() as connection:
            manifest = package.manifest
            batch = manifest.batch
            scope = (manifest.service_id, manifest.source_system)
            result = Reconciliation(manifest.package_id)
            delivered: dict[str, set[str]] = {}
            for name, table in TABLES.items():
                key = table.primary_key
                amounts = _amount_columns(name)
                hashed = IdHash()
                sums = dict.fromkeys(amounts, Decimal(0))
                ids_here: set[str] = set()
                for chunk in package.iter_batches(name, 200_000):
                    hashed.add(chunk.column(key))
                    if batch.kind == "delta":
                        ids_here.update(chunk.column(key).to_pylist())
                    for column in amounts:
                        value = pc.sum(chunk.column(column)).as_py()
                        sums[column] += Decimal(str(value or 0))
                delivered[name] = ids_here
                package_side = Side(
                    hashed.count, {c: v.quantize(CENT) for c, v in sums.items()}, hashed.hexdigest()
                )
                column, only = key, None
                if batch.kind == "delta":
                    column, only = key, ids_here
                    parent_column = (
                        batch.replaces.get(name) if batch.deletions == "children" else None
                    )
                    reference = table.column(parent_column).foreign_key if parent_column else None
                    if parent_column and reference is not None:
                        # A delivered parent holds exactly the rows delivered with it.
                        column, only = parent_column, delivered.get(reference.table, set())
                target_side = _target_side(connection, name, key, amounts, scope, column, only)
                result.tables[name] = (package_side, target_side)
                keys = package.key_set(name) if batch.deletions == "key_sets" else None
                if keys is not None:
                    result.scope[name] = _scope_check(connection, name, key, scope, keys)
            return result
    finally:
        engine.dispose()


def _scoped(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in {*columns, "service_id", "source_system"}))


def _target_side(
    connection: sa.Connection,
    name: str,
    key: str,
    amounts: list[str],
    scope: tuple[str, str],
    column: str,
    only: set[str] | None,
) -> Side:
    """The target's rows of the scope (or those whose `column` is in `only`), streamed."""
    table = _scoped(name, key, column, *amounts)
    where = (table.c.service_id == scope[0]) & (table.c.source_system == scope[1])
    # Each amount to the centime first, as whole cents (a SQLite target keeps money as
    # REAL): summed exactly, by the database for a whole scope.
    cents = [sa.cast(sa.func.round(table.c[a] * 100), sa.BigInteger) for a in amounts]
    hashed = IdHash()
    totals = dict.fromkeys(amounts, 0)
    if only is None:
        if amounts:
            sums = connection.execute(sa.select(*(sa.func.sum(c) for c in cents)).where(where))
            totals = {a: int(value or 0) for a, value in zip(amounts, sums.one(), strict=True)}
        ids = sa.select(table.c[key]).where(where)
        result = connection.execution_options(stream_results=True, yield_per=200_000).execute(ids)
        for partition in result.scalars().partitions():
            hashed.add(partition)
    else:
        query = sa.select(table.c[key], table.c[column], *cents).where(where)
        result = connection.execution_options(stream_results=True, yield_per=100_000).execute(query)
        for partition in result.partitions():
            rows = [row for row in partition if row[1] in only]
            hashed.add([row[0] for row in rows])
            for index, amount in enumerate(amounts, start=2):
                totals[amount] += sum(row[index] for row in rows if row[index] is not None)
    return Side(
        hashed.count,
        {a: (Decimal(total) / 100).quantize(CENT) for a, total in totals.items()},
        hashed.hexdigest(),
    )


def _scope_check(
    connection: sa.Connection, name: str, key: str, scope: tuple[str, str], keys: pa.Array
) -> ScopeCheck:
    """The scope's ids in the target against a delta's key set of the table."""
    table = _scoped(name, key)
    where = (table.c.service_id == scope[0]) & (table.c.source_system == scope[1])
    query = sa.select(table.c[key]).where(where)
    result = connection.execution_options(stream_results=True, yield_per=200_000).execute(query)
    listed = pc.unique(keys)
    stale = found = 0
    for partition in result.partitions():
        ids = pa.array([row[0] for row in partition], pa.string())
        present = pc.sum(pc.is_in(ids, value_set=listed)).as_py() or 0
        found += present
        stale += len(ids) - present
    return ScopeCheck(len(listed), stale, len(listed) - found)


__all__ = ["IdHash", "Reconciliation", "ScopeCheck", "Side", "reconcile_package"]
