"""The extraction framework: runs an extractor into a package and keeps the books.

`extract_package()` asks the extractor what the source is, then writes each chunk it
yields into a `PackageWriter`: rows to `tables/`, rejects to `rejects/`, counts to the
manifest's accounting, findings to `reports/extract-findings.json`. It adds the
organisation row, the exclusion rules with their cut-off, the mapping versions and the
list of unmapped values, and refuses a chunk whose counts do not add up. Nothing is
written at the output path unless the whole extraction succeeds.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, cast

import pandas as pd
import pyarrow as pa

from nffs_migration.errors import ConfigurationError, PackageError
from nffs_migration.extractors.base import SWISS_TIME, Chunk, ExtractOptions, Extractor, SourceInfo
from nffs_migration.extractors.mapping import CodeMapper
from nffs_migration.extractors.rules import EXCLUSIONS, FINDINGS
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.findings import Finding, Rule
from nffs_migration.intermediate_format.manifest import Batch, Manifest
from nffs_migration.intermediate_format.writer import PackageWriter, StoredDocument
from nffs_migration.log import get_logger

log = get_logger(__name__)

#: progress(table, source_table, records read so far in this table)
Progress = Callable[[str, str, int], None]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass
class ExtractContext:
    """What an extractor needs while it runs: ids, mapping, findings, documents, cut-offs."""

    options: ExtractOptions
    info: SourceInfo
    mapper: CodeMapper
    writer: PackageWriter
    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    high_water_mark: str | None = None
    #: What this source does not keep (the family's, and what a mapping leaves out).
    not_kept: set[str] = field(default_factory=set)

    @property
    def system(self) -> str:
        """The source family."""
        return self.info.system

    @property
    def service_id(self) -> str:
        """The service's id."""
        return self.options.service_id

    @property
    def data_as_of(self) -> datetime:
        """The moment the source reflects, as local civil time (naive), like the tables."""
        return self.info.data_as_of.astimezone(SWISS_TIME).replace(tzinfo=None)

    @property
    def retention_cutoff(self) -> date:
        """Cases closed before this date are past retention."""
        return _years_before(self.data_as_of.date(), self.options.retention_years)

    @property
    def prefix(self) -> str:
        """The start of every record id of this package."""
        return f"{self.service_id}:{self.system}:"

    def record_id(self, source_key: str) -> str:
        """The stable id `{service_id}:{source_system}:{source_key}`."""
        return self.prefix + source_key

    def record_ids(self, keys: pd.Series) -> pd.Series:
        """Stable ids for a column of source keys (nulls stay null)."""
        text = keys.astype("string[pyarrow]")
        return (self.prefix + text).astype(pd.ArrowDtype(pa.string()))

    def finding(
        self,
        rule_id: str,
        table: str,
        source_key: str | None,
        field_name: str | None,
        message: str | None = None,
    ) -> Finding:
        """A finding of an extraction rule on one record (attach it to the chunk's findings)."""
        rule = FINDINGS[rule_id]
        finding = Finding(
            rule_id=rule.id,
            severity=rule.severity,
            table=table,
            record_id=self.record_id(source_key) if source_key is not None else None,
            source_key=source_key,
            field=field_name,
            message=message or rule.description,
        )
        return finding

    def add_document(self, name: str, source: Path | IO[bytes]) -> StoredDocument:
        """Copy a document into the package (streaming) and return its checksum and size."""
        return self.writer.add_document(name, source)

    def add_documents(self, items: list[tuple[str, Path]]) -> list[StoredDocument]:
        """Copy many documents into the package at once (in threads)."""
        return self.writer.add_documents(items)

    def saw_change(self, value: datetime | str | None) -> None:
        """Track the latest change marker seen (the batch's high-water mark)."""
        if value is None:
            return
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        if self.high_water_mark is None or text > self.high_water_mark:
            self.high_water_mark = text


@dataclass(frozen=True)
class ExtractResult:
    """What an extraction produced."""

    out: Path
    manifest: Manifest
    findings: dict[str, int]
    unmapped: dict[str, dict[str, int]]


def organisation_row(context: ExtractContext) -> pd.DataFrame:
    """The one organisation row of a package."""
    options, info = context.options, context.info
    communes = options.commune_numbers or [int(options.service_id)]
    row = {
        "organisation_id": context.record_id(options.service_id),
        "source_system": context.system,
        "source_key": options.service_id,
        "service_id": options.service_id,
        "name": options.service_name or info.name or f"Sozialdienst {options.service_id}",
        "commune_numbers": json.dumps(communes),
        "source_version": info.version,
        "data_as_of": context.data_as_of,
    }
    return pd.DataFrame([row])


def _check_chunk(chunk: Chunk) -> None:
    if chunk.table not in TABLES:
        raise PackageError(f"extractor yielded rows for an unknown table {chunk.table!r}")
    accounted = chunk.migrated + len(chunk.rejects) + sum(chunk.excluded.values())
    if accounted != chunk.read:
        raise PackageError(
            f"{chunk.source_table} -> {chunk.table}: read {chunk.read} records but accounted for "
            f"{accounted} (migrated {chunk.migrated}, rejected {len(chunk.rejects)}, "
            f"excluded {sum(chunk.excluded.values())})",
            table=chunk.table,
        )


def extract_package(
    extractor: Extractor,
    options: ExtractOptions,
    out: Path,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> ExtractResult:
    """Run an extractor and write its package to `out` (a folder, or a `.zip` file).

    A delta (`options.since`, or a source that says it is one) reads the records changed
    since `since` minus the overlap window, and carries what the target needs to
    converge (`Batch.deletions`): for a family with `deletions = "key_sets"`, a second,
    keys-only pass over the whole source lists every id a full extraction would migrate
    now (`keys/<table>.parquet`); it runs after the changes are read, so a record
    written in between is either in both or picked up by the next delta.
    """
    # The mapping first: a broken installation fails before the source is touched.
    mapper = CodeMapper.load(
        extractor.mappings_dir, options.mapping, required=extractor.mapping_lists
    )
    read_from = _earlier(options.since, options.overlap_minutes) if options.since else None
    run_options = options.model_copy(update={"since": read_from}) if read_from else options
    info = extractor.describe(run_options)
    # A delta is asked for (`since`) or declared by the source itself (a Tutoris delta export).
    delta = bool(options.since) or info.delta
    deletions = getattr(extractor, "deletions", None) if delta else None
    if delta and deletions is None:
        raise ConfigurationError(
            f"{extractor.name} sources have no change markers: extract them in full (no --delta)"
        )
    batch = Batch(
        kind="delta" if delta else "full",
        sequence=options.sequence,
        since=options.since,
        read_from=read_from,
        previous=options.previous if delta else None,
        deletions=deletions,
        replaces=dict(getattr(extractor, "replaces", {})) if deletions == "children" else {},
        final=options.final,
    )
    writer = PackageWriter(
        out,
        service_id=options.service_id,
        source_system=info.system,
        data_as_of=info.data_as_of,
        batch=batch,
        source_version=info.version,
        overwrite=overwrite,
    )
    read: Counter[str] = Counter()
    migrated: Counter[str] = Counter()
    exclusion_rules: set[str] = set()
    with writer:
        context = ExtractContext(run_options, info, mapper, writer)
        context.not_kept.update(getattr(extractor, "not_kept", ()))
        writer.write("organisation", organisation_row(context))
        for chunk in extractor.extract(run_options, context):
            _check_chunk(chunk)
            if chunk.migrated:
                writer.write(chunk.table, chunk.rows)
            if chunk.rejects:
                writer.reject(chunk.table, chunk.reject_table())
            writer.account(
                chunk.source_table,
                read=chunk.read,
                migrated=chunk.migrated,
                rejected=len(chunk.rejects),
                excluded=sum(chunk.excluded.values()),
                excluded_by_rule=chunk.excluded,
            )
            for finding in chunk.findings:
                context.findings[finding.rule_id].append(finding)
            read[chunk.source_table] += chunk.read
            migrated[chunk.table] += chunk.migrated
            exclusion_rules.update(rule for rule, count in chunk.excluded.items() if count)
            if progress is not None:
                progress(chunk.table, chunk.source_table, read[chunk.source_table])
        if deletions == "key_sets":
            _write_key_sets(extractor, options, info, mapper, writer, context, progress)
        cutoff = context.retention_cutoff.isoformat()
        writer.exclusion_rule(
            "retention-expired",
            EXCLUSIONS["retention-expired"] + f" Retention: {options.retention_years} years.",
            cutoff=cutoff,
        )
        for rule_id in sorted(exclusion_rules - {"retention-expired"}):
            writer.exclusion_rule(rule_id, EXCLUSIONS.get(rule_id, rule_id))
        for rule_id, findings in sorted(context.findings.items()):
            rule: Rule = FINDINGS[rule_id]
            tables = {f.table for f in findings} if rule.table == "*" else {rule.table}
            checked = max(sum(migrated[t] for t in tables), len(findings))
            writer.add_findings(rule, findings, checked=checked)
        mark = context.high_water_mark
        if delta and options.since and (mark is None or _later(options.since, mark)):
            mark = options.since  # a delta that saw nothing newer keeps the mark it followed
        writer.batch = batch.model_copy(update={"high_water_mark": mark})
        writer.not_kept = set(context.not_kept)
        writer.set_mapping(mapper.versions, mapper.unmapped_report(), mapper.mapped_report())
    assert writer.manifest is not None  # noqa: S101
    log.info("extracted %s into %s", info.system, out.name)
    return ExtractResult(
        out=out,
        manifest=writer.manifest,
        findings={rule_id: len(items) for rule_id, items in sorted(context.findings.items())},
        unmapped=mapper.unmapped_report(),
    )


class _KeysOnly:
    """The writer of the keys pass: documents are looked at, never copied or hashed."""

    def add_document(self, name: str, source: Path | IO[bytes]) -> StoredDocument:
        size = source.stat().st_size if isinstance(source, Path) else 1
        return StoredDocument(file=f"documents/{name}", sha256="0" * 64, size_bytes=size)

    def add_documents(self, items: list[tuple[str, Path]]) -> list[StoredDocument]:
        return [self.add_document(name, source) for name, source in items]


def _write_key_sets(
    extractor: Extractor,
    options: ExtractOptions,
    info: SourceInfo,
    mapper: CodeMapper,
    writer: PackageWriter,
    context: ExtractContext,
    progress: Progress | None,
) -> None:
    """The keys pass: every id a full extraction of the source would migrate now.

    The extractor runs in full, with its own rules (exclusions, rejects), but nothing is
    written but the ids: no rows, no documents, no findings, no accounting.
    """
    full = options.model_copy(update={"since": None})
    fresh = CodeMapper(mapper.tables, dict(mapper.versions))
    keys = ExtractContext(full, info, fresh, cast(PackageWriter, _KeysOnly()))
    writer.key_set("organisation", pa.array([context.record_id(options.service_id)]))
    seen: Counter[str] = Counter()
    for chunk in extractor.extract(full, keys):
        _check_chunk(chunk)
        if chunk.migrated:
            column = TABLES[chunk.table].primary_key
            rows = chunk.rows
            ids = (
                pa.array(rows[column], type=pa.string(), from_pandas=True)
                if isinstance(rows, pd.DataFrame)
                else rows.column(column)
            )
            writer.key_set(chunk.table, ids)
        seen[chunk.source_table] += chunk.read
        if progress is not None:
            progress(chunk.table, f"{chunk.source_table} (keys)", seen[chunk.source_table])


def _earlier(mark: str, minutes: int) -> str:
    """A change marker `minutes` before `mark` (same form: ISO time)."""
    try:
        moment = datetime.fromisoformat(mark)
    except ValueError:
        raise ConfigurationError(f"--since {mark!r} is not an ISO time") from None
    return (moment - timedelta(minutes=minutes)).isoformat()


def _later(first: str, second: str) -> bool:
    """True when change marker `first` is later than `second`."""
    try:
        one, two = datetime.fromisoformat(first), datetime.fromisoformat(second)
        if (one.tzinfo is None) != (two.tzinfo is None):
            one, two = one.replace(tzinfo=None), two.replace(tzinfo=None)
        return one > two
    except ValueError:
        return first > second


__all__ = ["ExtractContext", "ExtractResult", "Progress", "extract_package", "organisation_row"]
