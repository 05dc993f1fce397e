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

import hashlib
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
    """An order-independent hash of a set of ids: the sum of their BLAKE2b digests mod 2**128.

    Order-independent so that neither side has to sort (database collations differ).
    """

    def __init__(self) -> None:
        self.total = 0
        self.count = 0

    def add(self, ids: list[str]) -> None:
        """Add ids to the set."""
        for value in ids:
            digest = hashlib.blake2b(value.encode(), digest_size=16).digest()
            self.total = (self.total + int.from_bytes(digest, "big")) % (1 << 128)
        self.count += len(ids)

    def hexdigest(self) -> str:
        """The hash as hex."""
        return f"{self.total:032x}"


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
                    ids = chunk.column(key).to_pylist()
                    hashed.add(ids)
                    if batch.kind == "delta":
                        ids_here.update(ids)
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
    hashed = IdHash()
    sums = dict.fromkeys(amounts, Decimal(0))
    query = sa.select(table.c[key], table.c[column], *(table.c[a] for a in amounts)).where(where)
    result = connection.execution_options(stream_results=True, yield_per=100_000).execute(query)
    for partition in result.partitions():
        rows = [row for row in partition if only is None or row[1] in only]
        hashed.add([row[0] for row in rows])
        for index, amount in enumerate(amounts, start=2):
            # Each amount to the centime first: a SQLite target keeps money as REAL.
            sums[amount] += sum(
                (Decimal(str(row[index])).quantize(CENT) for row in rows if row[index] is not None),
                Decimal(0),
            )
    return Side(hashed.count, {c: v.quantize(CENT) for c, v in sums.items()}, hashed.hexdigest())


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
