"""The package manifest (`manifest.json`): what a package holds and how to check it.

The model is pydantic, so reading a manifest validates it and the JSON Schema that
vendors receive (`nffs-migrate schema export`) is generated from the same class.
Besides the fields of the contract, the manifest lists every file of the package with
its SHA-256 (`files`) and a `content_sha256` over the data files, which identifies the
package's content independently of reports added later by validation.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from nffs_migration.intermediate_format.definition import SERVICE_ID, SHA256
from nffs_migration.intermediate_format.systems import SOURCE_SYSTEMS

Sha256 = Field(pattern=SHA256.pattern)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Batch(_Model):
    """Which batch of a service's migration the package is."""

    kind: Literal["full", "delta"] = Field(
        description="A full extraction or a delta since the last batch."
    )
    sequence: int = Field(ge=1, description="1 for the first batch of a service, then counting up.")
    high_water_mark: str | None = Field(
        default=None,
        description="The change marker up to which this batch reaches (ISO timestamp); "
        "the next delta starts after it.",
    )
    since: str | None = Field(
        default=None, description="For a delta: the high-water mark of the batch it follows."
    )
    read_from: str | None = Field(
        default=None,
        description="For a delta: the change marker from which rows were read, `since` minus "
        "an overlap window, so that rows committed late with an earlier marker are not missed.",
    )
    previous: str | None = Field(
        default=None,
        description="For a delta: the package id of the batch it follows. The loader refuses "
        "a delta whose predecessor is not the last batch it loaded for the scope.",
    )
    deletions: Literal["key_sets", "children"] | None = Field(
        default=None,
        description="How a delta shows what left the source. `key_sets`: `keys/<table>.parquet` "
        "lists every id the scope holds after this batch, and the loader removes the others. "
        "`children`: the children delivered with a parent (see `replaces`) are all of that "
        "parent's children; rows whose parent is not delivered cannot be judged, so the "
        "service's last batch must be a full one. A full batch replaces the whole scope.",
    )
    replaces: dict[str, str] = Field(
        default_factory=dict,
        description="With `deletions: children`: table -> the column naming its parent. The "
        "rows of a delivered parent replace that parent's rows in the target.",
    )
    final: bool = Field(
        default=False,
        description="The service's last batch before cutover: the loader refuses it when "
        "`data_as_of` is older than its freshness limit, and records the cutover after it.",
    )


class TableEntry(_Model):
    """A Parquet file of the package."""

    file: str = Field(description="Path inside the package.")
    rows: NonNegativeInt
    sha256: str = Sha256


class DocumentsEntry(_Model):
    """The document files of the package."""

    count: NonNegativeInt
    bytes: NonNegativeInt


class Accounting(_Model):
    """What became of the records of one source table: read = migrated + rejected + excluded."""

    read: NonNegativeInt
    migrated: NonNegativeInt
    rejected: NonNegativeInt
    excluded: NonNegativeInt
    excluded_by_rule: dict[str, NonNegativeInt] = Field(
        default_factory=dict, description="Excluded records per exclusion rule id."
    )

    @property
    def balanced(self) -> bool:
        """True when every record read is migrated, rejected or excluded, once."""
        by_rule = sum(self.excluded_by_rule.values())
        rules_add_up = not self.excluded_by_rule or by_rule == self.excluded
        return self.read == self.migrated + self.rejected + self.excluded and rules_add_up


class FileEntry(_Model):
    """Checksum and size of one file of the package."""

    sha256: str = Sha256
    bytes: NonNegativeInt


class ExclusionRule(_Model):
    """A documented rule that excludes source records (retention, soft delete, test data)."""

    description: str
    cutoff: str | None = Field(
        default=None, description="The cut-off date, where the rule has one."
    )


class Manifest(_Model):
    """`manifest.json`: the table of contents and checksums of a package."""

    format_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    package_id: str
    service_id: str = Field(pattern=SERVICE_ID.pattern)
    source_system: str = Field(
        json_schema_extra={"enum": list(SOURCE_SYSTEMS)},
        description="The legacy system family: one of the code list `source_system`.",
    )
    source_version: str | None = None
    batch: Batch
    data_as_of: AwareDatetime
    created_at: AwareDatetime
    tool_version: str
    tables: dict[str, TableEntry]
    rejects: dict[str, TableEntry] = Field(default_factory=dict)
    key_sets: dict[str, TableEntry] = Field(
        default_factory=dict,
        description="A delta with `deletions: key_sets`: per table, `keys/<table>.parquet` with "
        "one column `id`, every id of the table the scope holds after this batch.",
    )
    documents: DocumentsEntry
    accounting: dict[str, Accounting] = Field(
        description="Per source table (as the source names it)."
    )
    exclusion_rules: dict[str, ExclusionRule] = Field(default_factory=dict)
    mapping_versions: dict[str, str] = Field(
        default_factory=dict,
        description="Version of each code mapping used, and the override file.",
    )
    unmapped_codes: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="Per code list, every source value that no mapping covered, with its count.",
    )
    mapped_codes: dict[str, NonNegativeInt] | None = Field(
        default=None,
        description="Per code list, how many source values a mapping translated. With "
        "`unmapped_codes` it shows a list that translated none of its values (a missing or "
        "wrong mapping file); absent when the producer does not count them.",
    )
    not_kept: list[str] = Field(
        default_factory=list,
        description="What the source system does not keep: a table it has no records of "
        "(`measures`) or a column it has no field for (`cases.segment_since`). Such tables and "
        "columns are empty for want of a source, not for want of care: rules that need them "
        "do not judge the package.",
    )
    files: dict[str, FileEntry] = Field(
        description="Every file of the package except manifest.json, with its checksum."
    )
    content_sha256: str = Field(
        pattern=SHA256.pattern,
        description="SHA-256 over the sorted paths and checksums of tables, rejects, key sets "
        "and documents: the identity of the package's data.",
    )
    manifest_sha256: str = Field(
        default="",
        description="SHA-256 of this manifest's canonical JSON (sorted keys, no blanks) with this "
        "field empty: detects a changed manifest. Signatures protect against deliberate change.",
    )

    @field_validator("source_system")
    @classmethod
    def _known_system(cls, value: str) -> str:
        if value not in SOURCE_SYSTEMS:
            raise ValueError(
                f"not a source system of this installation ({', '.join(SOURCE_SYSTEMS)})"
            )
        return value

    def self_digest(self) -> str:
        """The manifest's own checksum, as `manifest_sha256` should hold it."""
        return json_digest(self.model_dump(mode="json"))

    def sealed(self) -> Manifest:
        """A copy with `manifest_sha256` filled in."""
        return self.model_copy(update={"manifest_sha256": self.self_digest()})


def json_digest(data: dict[str, Any]) -> str:
    """The checksum of a manifest as JSON: canonical, with `manifest_sha256` empty.

    Canonical is sorted keys and no blanks. A reader checks the manifest as it was
    written, not as this tool's model would write it: a package of an earlier minor
    version lacks fields added since, and stays valid.
    """
    canonical = json.dumps(
        {**data, "manifest_sha256": ""}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def content_digest(files: dict[str, FileEntry]) -> str:
    """The content checksum: SHA-256 over `path sha256` lines of the data files, sorted."""
    digest = hashlib.sha256()
    for path in sorted(files):
        if path.startswith(("tables/", "rejects/", "keys/", "documents/")):
            digest.update(f"{path} {files[path].sha256}\n".encode())
    return digest.hexdigest()


def package_id(service_id: str, source_system: str, batch: Batch, content_sha256: str) -> str:
    """A deterministic package id: the same data gives the same id."""
    return f"{service_id}-{source_system}-{batch.kind}-{batch.sequence:04d}-{content_sha256[:12]}"


def to_json(manifest: Manifest) -> str:
    """Serialise a manifest with stable key order."""
    return manifest.model_dump_json(indent=2) + "\n"


def now() -> datetime:
    """The current time, aware, in UTC (for `created_at`)."""
    return datetime.now(UTC)


__all__ = [
    "Accounting",
    "Batch",
    "DocumentsEntry",
    "ExclusionRule",
    "FileEntry",
    "Manifest",
    "TableEntry",
    "content_digest",
    "json_digest",
    "package_id",
    "to_json",
]
