"""Tutoris (Infogate, XML export format 7) into the intermediate format.

Reads `export.xml` as `legacy-systems/tutoris.md` describes it, streamed with lxml in
bounded memory and refused outright when it declares a DOCTYPE or entities (see
`source`). The file is read once: `index` collects ids and statuses, `rows` raw
columns, parked on disk in chunks of `chunk_rows` (`spill`) because a record's status
can depend on what comes after it; then `tables` and `documents` build the chunks in
the order they filled. A large export is read in two parts on two cores (`parts`).
Decisions, in order:

1. exclusion by the parent: cases closed before the retention cut-off with all that
   hangs on them; persons whose every case is excluded, with their addresses;
2. rejects: the earlier of two `Person` (or `Fall`) elements with the same key, with
   what hangs on it (`duplicate-key`); members naming a person not in the export
   (`dangling-reference`); required codes no mapping covers; missing required values;
   documents whose file is missing or whose path leaves the document folder;
3. normalisation with findings: `dd.mm.yyyy` and `00.00.yyyy` dates (impossible ones
   null), Swiss amounts, `hh:mm` durations, AHV numbers, mojibake repaired, free-text
   marital status and country names (German and French) through the mapping files, the
   address line split into its parts, staff references not in the export set to null.

`data_as_of` is the export's `exportDatum`; `vollExport="false"` makes the package a
delta batch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import ClassVar, Literal

from nffs_migration.errors import ConfigurationError, SourceError
from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import (
    SWISS_TIME,
    Chunk,
    ExtractOptions,
    SourceInfo,
    SourceProfile,
)
from nffs_migration.extractors.mapping import MAPPING_LISTS
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.extractors.tutoris import parts
from nffs_migration.extractors.tutoris.documents import Documents
from nffs_migration.extractors.tutoris.index import SourceIndex
from nffs_migration.extractors.tutoris.profile import profile_export
from nffs_migration.extractors.tutoris.rows import TABLE_ORDER, Collector
from nffs_migration.extractors.tutoris.source import read_header
from nffs_migration.extractors.tutoris.spill import Parked, Spill
from nffs_migration.extractors.tutoris.tables import SYSTEM, Builders, Columns
from nffs_migration.log import get_logger
from nffs_migration.resources import resource

log = get_logger(__name__)

#: The export's name in a folder given as `--source`.
EXPORT_NAME = "export.xml"
#: Export format versions this extractor reads.
FORMAT_MAJOR = "7"


def export_path(options: ExtractOptions) -> Path:
    """The export file: `--source` itself, or `export.xml` in the folder it names."""
    path = Path(options.source)
    if path.is_dir() and (path / EXPORT_NAME).is_file():
        path = path / EXPORT_NAME
    if not path.is_file():
        raise SourceError(f"{path}: no Tutoris export file there", file=str(path))
    return path


def export_moment(header: dict[str, str], path: Path) -> datetime:
    """`exportDatum` (`dd.mm.yyyy hh:mm`, Swiss local time) as an aware datetime."""
    moment = normalise.text_datetime(header.get("exportDatum"))
    if moment is None:
        raise SourceError(
            f"{path}: the export has no readable exportDatum; give the moment with --as-of",
            file=str(path),
        )
    return moment.replace(tzinfo=SWISS_TIME)


class TutorisExtractor:
    """Extractor for Tutoris XML exports (format 7) and their document folder."""

    name: ClassVar[str] = SYSTEM
    title: ClassVar[str] = "Tutoris (Infogate) XML export, format 7"
    options_class: ClassVar[type[ExtractOptions]] = ExtractOptions
    mappings_dir: ClassVar[Traversable] = resource("nffs_migration.extractors.tutoris", "mappings")
    mapping_lists: ClassVar[tuple[str, ...]] = tuple(
        name
        for name in MAPPING_LISTS
        if name != "language"  # Tutoris records no language
    )
    #: A delta export (`vollExport="false"`) holds changed persons and cases with their
    #: whole subtrees: it shows removed children, never a removed person or case.
    deletions: ClassVar[Literal["key_sets", "children"] | None] = "children"
    replaces: ClassVar[dict[str, str]] = {
        "addresses": "person_id",
        "case_members": "case_id",
        "budgets": "case_id",
        "budget_items": "budget_id",
        "payments": "case_id",
        "journal_entries": "case_id",
        "measures": "case_id",
        "documents": "case_id",
    }
    #: The export has no language, death date, commune number, segment date, file number,
    #: membership dates, support flag or mandate holder, and files documents under cases.
    not_kept: ClassVar[tuple[str, ...]] = (
        "persons.language",
        "persons.death_date",
        "addresses.commune_number",
        "cases.segment_since",
        "cases.file_number",
        "case_members.valid_from",
        "case_members.valid_to",
        "case_members.supported",
        "measures.mandate_holder_staff_id",
        "documents.person_id",
    )

    def describe(self, options: ExtractOptions) -> SourceInfo:
        """The export's version, service, date and whether it is a full or a delta export."""
        path = export_path(options)
        header = read_header(path)
        version = header.get("formatVersion", "")
        if version.split(".")[0] != FORMAT_MAJOR:
            raise SourceError(
                f"{path}: export format {version or '(none)'} is not supported; "
                f"this extractor reads Tutoris format {FORMAT_MAJOR}.x",
                file=str(path),
            )
        as_of = options.as_of or export_moment(header, path)
        return SourceInfo(
            SYSTEM,
            version,
            as_of,
            name=header.get("mandant") or None,
            description=f"Tutoris XML export {path.name}",
            delta=header.get("vollExport", "true").strip().lower() in ("false", "0"),
        )

    def profile(self, options: ExtractOptions) -> SourceProfile:
        """Element counts, fill rates and code frequencies (no personal values)."""
        path = export_path(options)
        version = read_header(path).get("formatVersion")
        return SourceProfile(SYSTEM, version, profile_export(path))

    def extract(self, options: ExtractOptions, context: ExtractContext) -> Iterator[Chunk]:
        """Yield every table's rows in chunks of at most `chunk_rows` source records."""
        yield from _Run(export_path(options), options, context).chunks()


class _Run:
    """One extraction: the export read once into parked chunks, then the chunks built."""

    def __init__(self, path: Path, options: ExtractOptions, context: ExtractContext) -> None:
        self.path = path
        self.options = options
        self.ctx = context

    def chunks(self) -> Iterator[Chunk]:
        # Parked chunks go beside the package being written, not to a small /tmp.
        where = self.ctx.writer.out.parent
        with tempfile.TemporaryDirectory(prefix=".tutoris-chunks-", dir=where) as folder:
            yield from self._chunks(Spill(Path(folder)))

    def _read(self, spill: Spill) -> tuple[SourceIndex, Collector, list[Parked]]:
        """Read the export once: the index, and the raw chunks in the order to build them.

        A large export is read in two parts on two cores where it can be (`parts`).
        """
        cutoff, limit = self.ctx.retention_cutoff, self.options.chunk_rows
        cut = parts.plan(self.path)
        if cut is not None:
            read = parts.read_in_two(self.path, cut, cutoff, limit, spill)
            if read is not None:
                return read
            spill.clear()
        return parts.read_in_one(self.path, cutoff, limit, spill)

    def _chunks(self, spill: Spill) -> Iterator[Chunk]:
        index, collector, parked = self._read(spill)
        log.info(
            "export read: %d staff, %d persons, %d cases, %d documents",
            index.counts["MA"],
            index.counts["Person"],
            index.counts["Fall"],
            index.counts["Dokument"],
        )
        folder = self.options.documents
        if index.counts["Dokument"] and folder is None:
            raise ConfigurationError(
                "the export lists documents: give the folder that holds dokumente/ "
                "with --documents DIR"
            )
        if folder is not None and not folder.is_dir():
            raise ConfigurationError(f"{folder}: the document folder does not exist")
        info = self.ctx.info
        self.ctx.saw_change(info.data_as_of)
        builders = Builders(self.ctx, index, delta=info.delta)
        documents = Documents(self.ctx, builders, folder)
        build: dict[str, Callable[[Columns], Chunk]] = {
            table: getattr(builders, table) for table in TABLE_ORDER if table != "documents"
        }
        build["documents"] = documents.build
        statuses = collector.statuses(index)
        for chunk in parked:
            yield build[chunk.table](statuses.resolve(chunk.table, chunk.columns()))
        yield documents.unlisted()


__all__ = ["EXPORT_NAME", "TutorisExtractor", "export_moment", "export_path"]
