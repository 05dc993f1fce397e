"""Helpers for the tests of deltas: run a service's batches and compare targets row by row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nffs_migration.extractors import get_extractor
from nffs_migration.extractors.run import ExtractResult, extract_package
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.loaders import create_target_engine, init_target, load_package
from nffs_migration.loaders.schema import PACKAGE_COLUMN

SERVICE = "0942"


@dataclass
class Service:
    """One service's source and the batches extracted from it."""

    system: str
    source: str
    documents: Path | None
    work: Path
    batches: list[ExtractResult]

    def extract(
        self,
        as_of: datetime,
        *,
        delta: bool = True,
        name: str | None = None,
        since_override: str | None = None,
        **extra: Any,
    ) -> ExtractResult:
        """The next batch: a delta after the last one, or a full batch."""
        extractor = get_extractor(self.system)
        last = self.batches[-1].manifest if self.batches else None
        sequence = last.batch.sequence + 1 if last else 1
        source, since = self.source, last.batch.high_water_mark if (delta and last) else None
        since = since_override or since
        if self.system == "tutoris":
            # A Tutoris delta is a file of its own; it knows no change markers.
            source = str(Path(self.source).with_name("export-delta.xml")) if delta else source
            since = None
        options = extractor.options_class(
            source=source,
            service_id=SERVICE,
            documents=self.documents,
            as_of=as_of,
            sequence=sequence,
            since=since,
            previous=last.package_id if (delta and last) else None,
            **extra,
        )
        out = self.work / (name or f"batch-{sequence}")
        result = extract_package(extractor, options, out)
        self.batches.append(result)
        return result


def target(url: str) -> str:
    """A target with the schema created."""
    engine = create_target_engine(url)
    try:
        init_target(engine)
    finally:
        engine.dispose()
    return url


def load(package: Path, url: str, **options: Any) -> dict[str, dict[str, int]]:
    """Load without the validation gate (the tests judge convergence, not the data)."""
    # Documents go beside the package, never into the working directory.
    options.setdefault("documents_store", package.parent / "documents-store")
    return load_package(package, url, validate=False, **options).rows


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def scope_rows(url: str, system: str) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every row of the scope, by table and id, without the loader's bookkeeping column."""
    engine = create_target_engine(url)
    rows: dict[str, dict[str, tuple[Any, ...]]] = {}
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine, only=list(TABLES))
        with engine.connect() as connection:
            for name, table in TABLES.items():
                target = metadata.tables[name]
                columns = [c for c in target.columns if c.name != PACKAGE_COLUMN]
                query = sa.select(*columns).where(
                    target.c.service_id == SERVICE, target.c.source_system == system
                )
                rows[name] = {
                    row[0]: tuple(_value(v) for v in row)
                    for row in connection.execute(query.order_by(target.c[table.primary_key]))
                }
    finally:
        engine.dispose()
    return rows


def differences(converged: str, fresh: str, system: str) -> list[str]:
    """Rows that differ between two targets (empty when they are the same, row by row)."""
    ours, theirs = scope_rows(converged, system), scope_rows(fresh, system)
    lines = []
    for name in TABLES:
        a, b = ours[name], theirs[name]
        for key in sorted(set(a) - set(b)):
            lines.append(f"{name}: {key} only after the deltas (stale)")
        for key in sorted(set(b) - set(a)):
            lines.append(f"{name}: {key} only in the fresh load (missing)")
        for key in sorted(set(a) & set(b)):
            if a[key] != b[key]:
                changed = [i for i, (x, y) in enumerate(zip(a[key], b[key], strict=True)) if x != y]
                lines.append(f"{name}: {key} differs in columns {changed}")
    return lines


def days(start: datetime, count: float) -> datetime:
    """A moment `count` days after `start`."""
    return start + timedelta(days=count)
