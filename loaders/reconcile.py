"""Reconciliation: does the target hold what the package holds?

Per table, the number of rows, the sums of the CHF amounts (to the centime) and a
SHA-256 over the sorted ids, in the package and in the target. The scope follows the
contract: a full package is compared with the target's rows of its service and source
system; a delta package with the target's rows of the ids it carries (the state the
full package and the deltas after it produce), since the delta holds only what
changed. Every difference is listed; `nffs-migrate reconcile` exits 1 on any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

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


@dataclass
class Reconciliation:
    """Package against target, table by table."""

    package_id: str
    tables: dict[str, tuple[Side, Side]] = field(default_factory=dict)

    def differences(self) -> list[str]:
        """One line per difference (empty when the target holds exactly the package)."""
        lines = []
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
    """Compare a package with the target."""
    engine = create_target_engine(target_url)
    try:
        check_target(engine)
        with open_package(path) as package, engine.connect() as connection:
            manifest = package.manifest
            result = Reconciliation(manifest.package_id)
            for name, table in TABLES.items():
                key = table.primary_key
                amounts = _amount_columns(name)
                hashed = IdHash()
                sums = dict.fromkeys(amounts, Decimal(0))
                wanted: set[str] = set()
                for batch in package.iter_batches(name, 200_000):
                    ids = batch.column(key).to_pylist()
                    hashed.add(ids)
                    if manifest.batch.kind == "delta":
                        wanted.update(ids)
                    for column in amounts:
                        value = pc.sum(batch.column(column)).as_py()
                        sums[column] += Decimal(str(value or 0))
                package_side = Side(
                    hashed.count, {c: v.quantize(CENT) for c, v in sums.items()}, hashed.hexdigest()
                )
                target_side = _target_side(
                    connection,
                    name,
                    key,
                    amounts,
                    manifest.service_id,
                    manifest.source_system,
                    wanted if manifest.batch.kind == "delta" else None,
                )
                result.tables[name] = (package_side, target_side)
            return result
    finally:
        engine.dispose()


def _target_side(
    connection: sa.Connection,
    name: str,
    key: str,
    amounts: list[str],
    service_id: str,
    source_system: str,
    only: set[str] | None,
) -> Side:
    """The target's rows of the scope (or of the given ids), streamed."""
    table = sa.table(
        name,
        sa.column(key),
        sa.column("service_id"),
        sa.column("source_system"),
        *(sa.column(a) for a in amounts),
    )
    scope = (table.c.service_id == service_id) & (table.c.source_system == source_system)
    hashed = IdHash()
    sums = dict.fromkeys(amounts, Decimal(0))
    query = sa.select(table.c[key], *(table.c[a] for a in amounts)).where(scope)
    result = connection.execution_options(stream_results=True, yield_per=100_000).execute(query)
    for partition in result.partitions():
        rows = [row for row in partition if only is None or row[0] in only]
        hashed.add([row[0] for row in rows])
        for index, column in enumerate(amounts, start=1):
            # Each amount to the centime first: a SQLite target keeps money as REAL.
            sums[column] += sum(
                (Decimal(str(row[index])).quantize(CENT) for row in rows if row[index] is not None),
                Decimal(0),
            )
    return Side(hashed.count, {c: v.quantize(CENT) for c, v in sums.items()}, hashed.hexdigest())


__all__ = ["IdHash", "Reconciliation", "Side", "reconcile_package"]
