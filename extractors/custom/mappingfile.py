"""The mapping file (`mapping_format: 1`) read into a checked model, every problem with its line.

`load_mapping()` reads `mapping.yaml` without looking at any data: unknown keys, tables
and fields, missing required fields of the format, value-map targets that are not codes,
bad formats, key templates and references are collected as `MappingProblem`s, each with
the line of the YAML file. The files themselves (do they exist, do sheets and columns)
are checked by `check.py`. Column and sheet names are only ever compared as text.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from nffs_migration.errors import ConfigurationError
from nffs_migration.extractors.custom.crosschecks import cross_check
from nffs_migration.extractors.custom.fieldrules import FieldRule, parse_rule
from nffs_migration.extractors.custom.keys import KeyTemplate, parse_template
from nffs_migration.extractors.custom.yamlnodes import MappingProblem, Node, Problems, compose
from nffs_migration.intermediate_format.definition import TABLES

FORMAT = 1
TOP_KEYS = ("mapping_format", "service_id", "files", "documents_folder", "tables", "value_maps")
FILE_KEYS = ("type", "encoding", "delimiter", "quote")
TABLE_KEYS = ("source", "key", "fields", "skip_rows", "one_record_per", "parent", "ignore_columns")
SOURCE_KEYS = ("file", "sheet", "header_row")
#: Codec names of the encodings the format allows.
ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252"}
DELIMITERS = (";", ",", "\t")
#: Fields the extractor fills itself (besides the key and lineage columns).
DERIVED = {"documents": ("media_type", "size_bytes", "sha256")}
#: Tables whose records others hang on: a reference to them decides exclusion.
OWNERS = ("cases", "persons", "budgets")


@dataclass(frozen=True)
class FileSpec:
    """One file of the source folder and how to read it."""

    path: str
    type: str
    line: int
    encoding: str | None = None
    delimiter: str = ";"
    quote: str = '"'


@dataclass(frozen=True)
class SourceSpec:
    """Where a table's rows come from: a file, a sheet of it, the header row."""

    file: str
    sheet: str | None
    header_row: int
    line: int

    @property
    def label(self) -> str:
        """`Klientenliste.xlsx:Klienten` or `auszahlungen.csv`."""
        return f"{self.file}:{self.sheet}" if self.sheet is not None else self.file

    @property
    def identity(self) -> tuple[str, str | None, int]:
        """What makes two tables read the same rows."""
        return (self.file, self.sheet, self.header_row)


@dataclass
class TableSpec:
    """One table of the mapping."""

    name: str
    line: int
    source: SourceSpec | None = None
    key: KeyTemplate | None = None
    key_line: int = 0
    fields: dict[str, FieldRule] = field(default_factory=dict)
    skip_blank: tuple[str, ...] = ()
    one_record_per: tuple[str, ...] = ()
    parent: str | None = None
    parent_line: int = 0
    ignore_columns: tuple[str, ...] = ()
    #: Every column the table names, with the line that names it.
    refs: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Mapping:
    """A mapping file, read and checked."""

    path: Path
    digest: str
    service_id: str = ""
    files: dict[str, FileSpec] = field(default_factory=dict)
    documents_folder: str | None = None
    documents_line: int = 0
    tables: dict[str, TableSpec] = field(default_factory=dict)
    value_maps: dict[str, dict[str, tuple[Any, int]]] = field(default_factory=dict)
    map_lines: dict[str, int] = field(default_factory=dict)

    def constant(self, table: str, name: str) -> Any:
        """A constant field (`value:`) of a table, or None."""
        spec = self.tables.get(table)
        rule = spec.fields.get(name) if spec else None
        return rule.value if rule is not None and rule.has_value else None

    @property
    def data_as_of(self) -> datetime | None:
        """The moment of the export (`organisation.data_as_of`)."""
        value = self.constant("organisation", "data_as_of")
        return value if isinstance(value, datetime) else None


def suggest(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """` (did you mean X?)` for a close known name, else nothing."""
    found = process.extractOne(name, list(choices), scorer=fuzz.ratio, score_cutoff=70)
    return f" (did you mean {found[0]!r}?)" if found else ""


def _text_list(node: Node, problems: Problems, where: str) -> list[tuple[str, int]]:
    items = node.children() if node.is_seq else []
    if not node.is_seq:
        problems.error(node.line, f"{where}: expected a list of column names")
    result = []
    for item in items:
        value = item.value()
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            result.append((str(value).strip(), item.line))
        else:
            problems.error(item.line, f"{where}: a column name must be text")
    return result


def load_mapping(path: Path) -> tuple[Mapping | None, list[MappingProblem]]:
    """Read and check a mapping file; returns the mapping (None if unreadable) and problems."""
    problems = Problems()
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(0, f"cannot read the mapping file ({exc.strerror or type(exc).__name__})")
        return None, problems.sorted()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.error(0, "the mapping file is not UTF-8 text")
        return None, problems.sorted()
    root = compose(text, problems)
    if root is None:
        return None, problems.sorted()
    if not root.is_map:
        problems.error(
            root.line, "expected a mapping with mapping_format, service_id, files, tables"
        )
        return None, problems.sorted()
    mapping = Mapping(path=path, digest=hashlib.sha256(data).hexdigest())
    _Reader(mapping, problems).read(root)
    return mapping, problems.sorted()


class _Reader:
    def __init__(self, mapping: Mapping, problems: Problems) -> None:
        self.mapping = mapping
        self.problems = problems

    def read(self, root: Node) -> None:
        entries = {key: (line, node) for key, line, node in root.items()}
        for key, (line, _) in entries.items():
            if key not in TOP_KEYS:
                self.problems.error(line, f"unknown key {key!r}{suggest(key, TOP_KEYS)}")
        for key in ("mapping_format", "service_id", "files", "tables"):
            if key not in entries:
                self.problems.error(root.line, f"{key} is missing")
        if "mapping_format" in entries:
            line, node = entries["mapping_format"]
            if node.value() != FORMAT:
                self.problems.error(line, f"mapping_format must be {FORMAT}")
        if "service_id" in entries:
            line, node = entries["service_id"]
            value = node.value()
            if not (isinstance(value, str) and len(value) == 4 and value.isdigit()):
                self.problems.error(line, 'service_id must be four digits, quoted: "0942"')
            else:
                self.mapping.service_id = value
        if "files" in entries:
            self.files(entries["files"][1])
        if "documents_folder" in entries:
            line, node = entries["documents_folder"]
            value = node.value()
            if not isinstance(value, str) or not value.strip():
                self.problems.error(line, "documents_folder must be a folder (text)")
            else:
                self.mapping.documents_folder = value.strip()
                self.mapping.documents_line = line
        if "value_maps" in entries:
            self.value_maps(entries["value_maps"][1])
        if "tables" in entries:
            self.tables(entries["tables"][1])
        cross_check(self.mapping, self.problems)

    def files(self, node: Node) -> None:
        if not node.is_map:
            self.problems.error(node.line, "files: one entry per file, e.g. a.csv: {type: csv}")
            return
        for name, line, spec in node.items():
            where = f"files.{name}"
            entries = {key: (ln, value.value()) for key, ln, value in spec.items()}
            if not spec.is_map:
                self.problems.error(line, f"{where}: expected {{type: csv}} or {{type: xlsx}}")
                continue
            for key, (ln, _) in entries.items():
                if key not in FILE_KEYS:
                    self.problems.error(
                        ln, f"{where}: unknown key {key!r}{suggest(key, FILE_KEYS)}"
                    )
            kind = entries.get("type", (line, None))[1]
            if kind not in ("csv", "xlsx"):
                self.problems.error(
                    entries.get("type", (line,))[0], f"{where}: type is csv or xlsx"
                )
                continue
            options: dict[str, Any] = {}
            if kind == "xlsx":
                for key in ("encoding", "delimiter", "quote"):
                    if key in entries:
                        self.problems.error(entries[key][0], f"{where}: {key} is for csv files")
            if "encoding" in entries:
                ln, value = entries["encoding"]
                codec = _codec(value)
                if codec is None:
                    self.problems.error(
                        ln, f"{where}: encoding is utf-8, utf-8-sig or windows-1252"
                    )
                options["encoding"] = codec
            if "delimiter" in entries:
                ln, value = entries["delimiter"]
                if value not in DELIMITERS:
                    self.problems.error(ln, f'{where}: delimiter is ";", "," or a tab ("\\t")')
                else:
                    options["delimiter"] = value
            if "quote" in entries:
                ln, value = entries["quote"]
                if not isinstance(value, str) or len(value) != 1:
                    self.problems.error(ln, f"{where}: quote is one character")
                else:
                    options["quote"] = value
            self.mapping.files[name] = FileSpec(name, kind, line, **options)

    def value_maps(self, node: Node) -> None:
        if not node.is_map:
            self.problems.error(node.line, "value_maps: one named map per code list")
            return
        for name, line, entries in node.items():
            table: dict[str, tuple[Any, int]] = {}
            if not (entries.is_map or entries.is_null):
                self.problems.error(line, f"value_maps.{name}: expected source value: code pairs")
                continue
            for source, ln, target in entries.items():
                key = source.strip()
                if not key:
                    self.problems.error(ln, f"value_maps.{name}: an empty source value")
                elif key in table:
                    self.problems.error(ln, f"value_maps.{name}: {key!r} is given twice")
                elif not target.is_scalar or target.is_null:
                    self.problems.error(ln, f"value_maps.{name}: the target of {key!r} is missing")
                else:
                    table[key] = (target.value(), ln)
            self.mapping.value_maps[name] = table
            self.mapping.map_lines[name] = line
            if not table:
                self.problems.warning(line, f"value_maps.{name} is empty: no value is mapped")

    def tables(self, node: Node) -> None:
        if not node.is_map:
            self.problems.error(node.line, "tables: one entry per table of the format")
            return
        for name, line, spec in node.items():
            if name not in TABLES:
                self.problems.error(line, f"unknown table {name!r}{suggest(name, list(TABLES))}")
                continue
            if not spec.is_map:
                self.problems.error(line, f"tables.{name}: expected source, key and fields")
                continue
            self.mapping.tables[name] = self.table(name, line, spec)

    def table(self, name: str, line: int, node: Node) -> TableSpec:
        table = TableSpec(name, line)
        where = f"tables.{name}"
        entries = {key: (ln, value) for key, ln, value in node.items()}
        for key, (ln, _) in entries.items():
            if key not in TABLE_KEYS:
                self.problems.error(ln, f"{where}: unknown key {key!r}{suggest(key, TABLE_KEYS)}")
        for key in ("key", "fields") + (("source",) if name != "organisation" else ()):
            if key not in entries:
                self.problems.error(line, f"{where}: {key} is missing")
        if "source" in entries:
            ln, source = entries["source"]
            if name == "organisation":
                self.problems.error(ln, f"{where}: the organisation has no source (constants only)")
            else:
                table.source = self.source(source, where)
        if "key" in entries:
            ln, key_node = entries["key"]
            table.key_line = ln
            try:
                table.key = parse_template(key_node.value())
            except ConfigurationError as exc:
                self.problems.error(ln, f"{where}.key: {exc.message}")
            else:
                table.refs.extend((column, ln) for column in table.key.columns)
        if "skip_rows" in entries:
            ln, skip = entries["skip_rows"]
            skip_entries = {k: (kl, v) for k, kl, v in skip.items()}
            if not skip.is_map or set(skip_entries) - {"blank"}:
                self.problems.error(ln, f"{where}.skip_rows: expected {{blank: [columns]}}")
            if "blank" in skip_entries:
                items = _text_list(skip_entries["blank"][1], self.problems, f"{where}.skip_rows")
                table.skip_blank = tuple(c for c, _ in items)
                table.refs.extend(items)
        if "one_record_per" in entries:
            items = _text_list(entries["one_record_per"][1], self.problems, where)
            table.one_record_per = tuple(c for c, _ in items)
            table.refs.extend(items)
        if "ignore_columns" in entries:
            items = _text_list(entries["ignore_columns"][1], self.problems, where)
            table.ignore_columns = tuple(c for c, _ in items)
            table.refs.extend(items)
        if "parent" in entries:
            ln, parent = entries["parent"]
            value = parent.value()
            if not isinstance(value, str) or value not in TABLES:
                self.problems.error(ln, f"{where}.parent: not a table of the format")
            else:
                table.parent, table.parent_line = value, ln
        if "fields" in entries:
            self.fields(table, *entries["fields"])
        return table

    def source(self, node: Node, where: str) -> SourceSpec | None:
        entries = {key: (ln, value.value()) for key, ln, value in node.items()}
        if not node.is_map:
            self.problems.error(node.line, f"{where}.source: expected {{file: …, sheet: …}}")
            return None
        for key, (ln, _) in entries.items():
            if key not in SOURCE_KEYS:
                self.problems.error(ln, f"{where}.source: unknown key {key!r}")
        file = entries.get("file", (node.line, None))[1]
        if not isinstance(file, str):
            self.problems.error(node.line, f"{where}.source: file is missing")
            return None
        spec = self.mapping.files.get(file)
        if spec is None:
            self.problems.error(
                entries["file"][0], f"{where}.source: {file!r} is not listed under files"
            )
        sheet = entries.get("sheet", (node.line, None))[1]
        if sheet is not None and not isinstance(sheet, str | int):
            self.problems.error(entries["sheet"][0], f"{where}.source: sheet is a sheet's name")
            sheet = None
        sheet = None if sheet is None else str(sheet)
        if spec is not None and spec.type == "xlsx" and sheet is None:
            self.problems.error(node.line, f"{where}.source: an xlsx file needs the sheet")
        if spec is not None and spec.type == "csv" and sheet is not None:
            self.problems.error(entries["sheet"][0], f"{where}.source: a csv file has no sheets")
            sheet = None
        header_row = entries.get("header_row", (node.line, 1))[1]
        if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
            self.problems.error(entries["header_row"][0], f"{where}.source: header_row is 1, 2, …")
            header_row = 1
        return SourceSpec(file, sheet, header_row, node.line)

    def fields(self, table: TableSpec, line: int, node: Node) -> None:
        where = f"tables.{table.name}.fields"
        if not node.is_map:
            self.problems.error(node.line, f"{where}: one entry per field")
            return
        definition = TABLES[table.name]
        derived = DERIVED.get(table.name, ())
        names = [c.name for c in definition.columns if not c.lineage and c.name not in derived]
        given: set[str] = set()
        for name, field_line, rule_node in node.items():
            given.add(name)
            if name not in definition.column_names:
                self.problems.error(
                    field_line,
                    f"{where}: {table.name} has no field {name!r}{suggest(name, names)}",
                )
                continue
            column = definition.column(name)
            if column.lineage or name in derived:
                self.problems.error(
                    field_line, f"{where}.{name}: is set by the extractor, not mapped"
                )
                continue
            rule = parse_rule(table.name, name, column, rule_node, self.problems, f"{where}.{name}")
            if rule is not None:
                table.fields[name] = rule
                if rule.source_column:
                    table.refs.append((rule.source_column, rule.column_line))
        required = [c.name for c in definition.columns if c.required and c.name in names]
        for name in required:
            if name not in given:
                self.problems.error(line, f"{where}: the required field {name!r} is missing")
        if table.name == "documents" and not {"case_id", "person_id"} & given:
            self.problems.error(line, f"{where}: give case_id, person_id or both")


def _codec(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        name = codecs.lookup(value).name
    except LookupError:
        return None
    return ENCODINGS.get(name)


def refused(path: Path, errors: list[MappingProblem]) -> ConfigurationError:
    """The error for a refused mapping: the first problems, and how to see them all."""
    shown = "; ".join(str(p) for p in errors[:10])
    more = f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
    return ConfigurationError(
        f"{path.name}: the mapping is refused ({len(errors)} problems: {shown}{more}); "
        f"see them all with `nffs-migrate mapping check`",
        file=str(path),
    )


__all__ = [
    "FORMAT",
    "OWNERS",
    "FileSpec",
    "Mapping",
    "SourceSpec",
    "TableSpec",
    "load_mapping",
    "refused",
    "suggest",
]
