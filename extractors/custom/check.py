"""`mapping check`: a mapping against its source folder, before any data row is read.

`check_mapping()` adds to the problems of the file itself (`mappingfile`) what only the
source can tell: files that are missing or leave the source folder, sheets that are not
in the workbook, header rows beyond the end, columns that are not in the header row,
and a missing documents folder. Columns that no table uses (and none ignores) are
warnings. Only header rows are read; messages name files, sheets and columns, never a
cell of a data row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nffs_migration.errors import ConfigurationError, SourceError
from nffs_migration.extractors.custom.mappingfile import (
    FileSpec,
    Mapping,
    SourceSpec,
    load_mapping,
    refused,
)
from nffs_migration.extractors.custom.source import Header, Table, sheet_names, source_path
from nffs_migration.extractors.custom.yamlnodes import MappingProblem, Problems


@dataclass
class Checked:
    """A mapping that passed, with what checking learnt about its source."""

    mapping: Mapping
    root: Path
    headers: dict[str, Header] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    documents: Path | None = None
    warnings: list[MappingProblem] = field(default_factory=list)

    def table(self, source: SourceSpec) -> Table:
        """A reader for a table's source."""
        spec = self.mapping.files[source.file]
        return reader(self.paths[source.file], spec, source)


def reader(path: Path, spec: FileSpec, source: SourceSpec) -> Table:
    """A reader for one file or sheet as the mapping describes it."""
    return Table(
        path,
        spec.type,
        source.label,
        sheet=source.sheet,
        header_row=source.header_row,
        encoding=spec.encoding,
        delimiter=spec.delimiter,
        quote=spec.quote,
    )


def _files(
    mapping: Mapping, root: Path, problems: Problems, checked: Checked
) -> dict[str, list[str]]:
    sheets: dict[str, list[str]] = {}
    for name, spec in mapping.files.items():
        try:
            path = source_path(root, name)
        except ConfigurationError as exc:
            problems.error(spec.line, f"files.{name}: {exc.message}")
            continue
        if not path.is_file():
            problems.error(spec.line, f"files.{name}: no such file in the source folder")
            continue
        if spec.type == "xlsx":
            try:
                sheets[name] = sheet_names(path)
            except SourceError as exc:
                problems.error(spec.line, f"files.{name}: {exc.message}")
                continue
        checked.paths[name] = path
    return sheets


def _sources(
    mapping: Mapping, problems: Problems, checked: Checked, sheets: dict[str, list[str]]
) -> None:
    used: dict[tuple[str, str | None, int], set[str]] = {}
    first_line: dict[tuple[str, str | None, int], int] = {}
    for table in mapping.tables.values():
        source = table.source
        if source is None or source.file not in checked.paths:
            continue
        where = f"tables.{table.name}.source"
        if source.sheet is not None and source.sheet not in sheets.get(source.file, []):
            known = ", ".join(repr(s) for s in sheets.get(source.file, []))
            problems.error(
                source.line,
                f"{where}: {source.file} has no sheet {source.sheet!r} (sheets: {known})",
            )
            continue
        header = checked.headers.get(source.label + f"@{source.header_row}")
        if header is None:
            try:
                header = checked.table(source).header()
            except SourceError as exc:
                problems.error(source.line, f"{where}: {exc.message}")
                continue
            checked.headers[source.label + f"@{source.header_row}"] = header
        for column, line in table.refs:
            if column not in header.index:
                problems.error(
                    line,
                    f"tables.{table.name}: column {column!r} is not in the header of "
                    f"{source.label} (row {source.header_row})",
                )
            elif column in header.duplicates:
                problems.error(
                    line, f"tables.{table.name}: column {column!r} appears twice in {source.label}"
                )
        used.setdefault(source.identity, set()).update(column for column, _ in table.refs)
        first_line.setdefault(source.identity, source.line)
    for identity, columns in used.items():
        file, sheet, header_row = identity
        label = f"{file}:{sheet}" if sheet is not None else file
        header = checked.headers[f"{label}@{header_row}"]
        for position, name in enumerate(header.names):
            if not name:
                continue  # a column without a header cannot be named; blank ones are common
            if name not in columns:
                problems.warning(
                    first_line[identity],
                    f"column {name!r} of {label} (column {position + 1}) is used by no table; "
                    "list it in ignore_columns if that is on purpose",
                )


def _documents(
    mapping: Mapping, root: Path, documents: Path | None, problems: Problems, checked: Checked
) -> None:
    if "documents" not in mapping.tables:
        return
    if documents is not None:
        folder: Path | None = documents
    elif mapping.documents_folder is not None:
        try:
            folder = source_path(root, mapping.documents_folder)
        except ConfigurationError as exc:
            problems.error(mapping.documents_line, f"documents_folder: {exc.message}")
            return
    else:
        return
    if folder is None or not folder.is_dir():
        problems.error(mapping.documents_line, "documents_folder: no such folder")
        return
    checked.documents = folder


def check_source(
    mapping: Mapping, root: Path, problems: Problems, documents: Path | None = None
) -> Checked:
    """Check a mapping's files, sheets, header columns and documents folder."""
    checked = Checked(mapping, root)
    if not root.is_dir():
        problems.error(0, f"the source folder {root} does not exist")
        return checked
    sheets = _files(mapping, root, problems, checked)
    _sources(mapping, problems, checked, sheets)
    _documents(mapping, root, documents, problems, checked)
    return checked


def check_mapping(
    path: Path, source: Path | None = None, documents: Path | None = None
) -> list[MappingProblem]:
    """Every problem of a mapping file, and of its source folder when given, by line.

    The source folder defaults to the mapping file's folder.
    """
    mapping, found = load_mapping(path)
    problems = Problems(list(found))
    if mapping is not None:
        check_source(mapping, source if source is not None else path.parent, problems, documents)
    return problems.sorted()


def prepare(path: Path, source: Path, documents: Path | None = None) -> Checked:
    """A mapping ready for extraction.

    Raises:
        ConfigurationError: The mapping or its source has errors (listed with their lines).
    """
    mapping, found = load_mapping(path)
    problems = Problems(list(found))
    checked = None
    if mapping is not None:
        checked = check_source(mapping, source, problems, documents)
    errors = problems.errors
    if checked is None or errors:
        raise refused(path, sorted(errors))
    checked.warnings = [p for p in problems.sorted() if p.severity == "warning"]
    return checked


__all__ = ["Checked", "check_mapping", "check_source", "prepare", "reader"]
