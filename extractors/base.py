"""The extractor interface: options, what a source says about itself, and chunks of rows.

An extractor is a small object with a `name`, an options class, `describe()`,
`profile()` and `extract()`. `extract()` yields `Chunk`s: intermediate rows of one table
read from one source table, with the rejects, exclusions and findings of that read. The
framework (`run.py`) writes them into a package and keeps the accounting
(`read = migrated + rejected + excluded` per source table), so an extractor cannot lose
a record silently: a chunk whose counts do not add up is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from nffs_migration.intermediate_format.definition import REJECTS, SERVICE_ID
from nffs_migration.intermediate_format.findings import Finding

SWISS_TIME = ZoneInfo("Europe/Zurich")


class ExtractOptions(BaseModel):
    """Options every extractor takes; a family may extend them.

    Secrets never come from here: database passwords travel in the URL from the
    environment (`NFFS_SOURCE_URL`) or a Prefect block, never from a file.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    source: str = Field(
        description="SQLAlchemy URL of the database, or path of the export file or folder."
    )
    service_id: str = Field(pattern=SERVICE_ID.pattern, description="Four-digit service id.")
    documents: Path | None = Field(
        default=None, description="Root of the document share or folder."
    )
    mapping: Path | None = Field(default=None, description="The service's own mapping file (YAML).")
    as_of: datetime | None = Field(
        default=None, description="The moment the source reflects; default: the export date or now."
    )
    since: str | None = Field(
        default=None,
        description="Delta: only records changed after this high-water mark (ISO time).",
    )
    overlap_minutes: int = Field(
        default=5,
        ge=0,
        description="Delta: read again the records changed this long before `since`; "
        "application clocks and long transactions commit rows with an earlier marker.",
    )
    previous: str | None = Field(
        default=None, description="Delta: the package id of the batch it follows."
    )
    final: bool = Field(default=False, description="The service's last batch before cutover.")
    sequence: int = Field(
        default=1, ge=1, description="The batch's number within the service's migration."
    )
    retention_years: int = Field(
        default=10, ge=1, description="Cases closed longer ago are excluded."
    )
    chunk_rows: int = Field(default=50_000, ge=100, description="Rows read per chunk.")
    service_name: str | None = Field(
        default=None, description="Name of the service for the organisation row."
    )
    commune_numbers: list[int] | None = Field(
        default=None, description="BFS numbers of the communes served."
    )

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=SWISS_TIME)
        return value


@dataclass(frozen=True)
class SourceInfo:
    """What a source says about itself (no credentials)."""

    system: str
    version: str | None
    data_as_of: datetime
    name: str | None = None
    description: str = ""
    delta: bool = False


@dataclass
class Chunk:
    """Rows of one intermediate table read from one source table, and what became of the rest.

    Attributes:
        table: The intermediate table the rows belong to.
        source_table: The table, sheet or element they were read from.
        rows: The migrated rows, with every column of the table.
        read: How many source records this chunk read.
        rejects: Rejected records: (source_key, rule, reason) without values.
        excluded: Excluded records per exclusion rule.
        findings: What the extractor noticed on migrated records.
    """

    table: str
    source_table: str
    rows: pd.DataFrame | pa.Table
    read: int
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def migrated(self) -> int:
        """Number of migrated rows."""
        return len(self.rows) if isinstance(self.rows, pd.DataFrame) else self.rows.num_rows

    def reject_table(self) -> pa.Table:
        """The rejects as a table of the format's reject schema."""
        keys, rules, reasons = zip(*self.rejects, strict=True) if self.rejects else ((), (), ())
        return pa.table(
            {
                "source_key": list(keys),
                "source_table": [self.source_table] * len(keys),
                "rule": list(rules),
                "reason": list(reasons),
            },
            schema=REJECTS.arrow_schema,
        )


@dataclass(frozen=True)
class ColumnProfile:
    """Fill rate and value profile of one source column (no personal values)."""

    name: str
    type: str
    filled: int
    distinct: int | None = None
    frequencies: dict[str, int] | None = None
    minimum: str | None = None
    maximum: str | None = None


@dataclass(frozen=True)
class TableProfile:
    """Row count and columns of one source table."""

    name: str
    rows: int
    columns: list[ColumnProfile]


@dataclass(frozen=True)
class SourceProfile:
    """A source's tables as a profile shows them."""

    system: str
    version: str | None
    tables: list[TableProfile]

    def to_dict(self) -> dict[str, Any]:
        """The profile as a JSON-ready dict."""
        from dataclasses import asdict

        return asdict(self)


class Extractor(Protocol):
    """One source family: how to describe, profile and extract it."""

    name: ClassVar[str]
    title: ClassVar[str]
    options_class: ClassVar[type[ExtractOptions]]
    #: The family's mapping files (`<family>/mappings/*.csv`), a package resource.
    mappings_dir: ClassVar[Traversable]
    #: The lists that must be in `mappings_dir`, each with at least one row.
    mapping_lists: ClassVar[tuple[str, ...]]
    #: How a delta of this family shows what left the source: `key_sets` (the framework
    #: lists every id a full extraction would migrate now), `children` (a delta export
    #: holds whole subtrees: see `replaces`), or None (the family has no deltas).
    deletions: ClassVar[Literal["key_sets", "children"] | None]
    #: With `children`: table -> the column naming the parent whose subtree it belongs to.
    replaces: ClassVar[dict[str, str]]
    #: Tables and columns (`table.column`) the system has no records or fields for; the
    #: package says so (`manifest.not_kept`) and rules that need them do not judge it.
    not_kept: ClassVar[tuple[str, ...]]

    def describe(self, options: ExtractOptions) -> SourceInfo:
        """What the source is, its version and the moment it reflects."""
        ...

    def profile(self, options: ExtractOptions) -> SourceProfile:
        """Tables, row counts, fill rates and code frequencies of the source."""
        ...

    def extract(self, options: ExtractOptions, context: Any) -> Iterator[Chunk]:
        """Read the source in chunks and yield intermediate rows with their accounting."""
        ...


__all__ = [
    "SWISS_TIME",
    "Chunk",
    "ColumnProfile",
    "ExtractOptions",
    "Extractor",
    "SourceInfo",
    "SourceProfile",
    "TableProfile",
]
