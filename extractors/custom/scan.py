"""What `mapping init` sees in a source folder: files, sheets, header rows, column profiles.

Every CSV and XLSX file of the folder (and its subfolders) is opened; the header row is
the first row with several non-empty text cells. Per column a small profile is kept:
how many cells are filled, whether the values are all different (a key), which date
and amount formats the cells are written in, and, for columns with few distinct short
values, those values with their counts. The values are handed only to fields with a
code list (`propose.py` decides), never to names, AHV numbers or texts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nffs_migration.errors import NffsError
from nffs_migration.extractors.custom.source import (
    Table,
    detect_encoding,
    sheet_names,
    sniff_dialect,
)
from nffs_migration.extractors.custom.values import (
    AMOUNT_FORMATS,
    EXCEL,
    cell_text,
    date_format,
    parse_amount,
)

#: Rows read per file or sheet to profile its columns.
MAX_ROWS = 50_000
#: Rows searched for the header.
HEADER_SEARCH = 30
#: Text cells per column whose date or amount format is sniffed.
SNIFF_CELLS = 2_000
#: A column with at most this many distinct values (each short) counts as code-like.
MAX_CODES = 25
MAX_CODE_LENGTH = 40
DATE_FORMATS = ("DD.MM.YYYY hh:mm", "DD.MM.YYYY", "MM.YYYY", "YYYY-MM-DD", "YYYY")
_DATE_PATTERNS = [(name, date_format(name).pattern) for name in DATE_FORMATS]
_AMOUNTS = [(name,) for name in AMOUNT_FORMATS if name != EXCEL]
_NUMBER = re.compile(r"[-+]?\d+([.,']\d+)*")


@dataclass
class ColumnScan:
    """The profile of one column (no values beyond the code-like ones)."""

    name: str
    filled: int = 0
    texts: int = 0
    date_cells: int = 0
    number_cells: int = 0
    date_formats: Counter[str] = field(default_factory=Counter)
    amount_formats: Counter[str] = field(default_factory=Counter)
    values: Counter[str] | None = field(default_factory=Counter)
    seen: set[str] | None = field(default_factory=set)
    unique: bool = True

    def add(self, cell: Any) -> None:
        """Profile one cell."""
        text = cell_text(cell)
        if text is None:
            return
        self.filled += 1
        if isinstance(cell, datetime | date):
            self.date_cells += 1
        elif isinstance(cell, int | float) and not isinstance(cell, bool):
            self.number_cells += 1
        elif self.texts < SNIFF_CELLS:
            self.texts += 1
            for name, pattern in _DATE_PATTERNS:
                if pattern is not None and pattern.fullmatch(text):
                    self.date_formats[name] += 1
                    break
            else:
                if len(text) <= 20:
                    for formats in _AMOUNTS:
                        if parse_amount(text, formats) is not None:
                            self.amount_formats[formats[0]] += 1
                            break
        if self.seen is not None:
            if text in self.seen:
                self.unique = False
                self.seen = None
            else:
                self.seen.add(text)
        if self.values is not None:
            if len(text) > MAX_CODE_LENGTH:
                self.values = None
            else:
                self.values[text] += 1
                if len(self.values) > MAX_CODES:
                    self.values = None

    @property
    def code_like(self) -> bool:
        """Few distinct short values (and some at all)."""
        return self.values is not None and bool(self.values)

    def date_format_guess(self) -> list[str]:
        """The formats its dates are written in, most frequent first (`excel` for date cells)."""
        found = [name for name, _ in self.date_formats.most_common()]
        if self.date_cells:
            found.insert(0, EXCEL)
        return found

    def amount_format_guess(self) -> list[str]:
        """The formats its amounts are written in, most frequent first."""
        found = [name for name, _ in self.amount_formats.most_common()]
        if self.number_cells:
            found.insert(0, EXCEL)
        return found


@dataclass
class SourceScan:
    """One file or sheet with a header row."""

    file: str
    kind: str
    sheet: str | None
    header_row: int
    columns: list[ColumnScan]
    rows: int = 0
    encoding: str | None = None
    delimiter: str = ";"
    quote: str = '"'

    @property
    def label(self) -> str:
        """`file:sheet` or `file`."""
        return f"{self.file}:{self.sheet}" if self.sheet is not None else self.file

    @property
    def stem(self) -> str:
        """The name that says what it holds: the sheet, or the file name without suffix."""
        return self.sheet if self.sheet is not None else Path(self.file).stem


def _is_text(cell: Any) -> bool:
    text = cell_text(cell)
    return isinstance(cell, str) and text is not None and not _NUMBER.fullmatch(text)


def _header_row(rows: list[list[Any]]) -> int | None:
    for number, row in enumerate(rows, start=1):
        if sum(_is_text(cell) for cell in row) >= 2:
            return number
    return None


def files_in(root: Path) -> Iterator[Path]:
    """The CSV and XLSX files of a folder and its subfolders (no hidden or lock files)."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix.lower() in (".csv", ".xlsx"):
            yield path


def _scan(table: Table, file: str, kind: str, sheet: str | None) -> SourceScan | None:
    head: list[list[Any]] = []
    rows = table.raw_rows()
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SEARCH:
            break
    close = getattr(rows, "close", None)
    if close is not None:
        close()
    header_row = _header_row(head)
    if header_row is None:
        return None
    table.header_row = header_row
    names = [cell_text(cell) or "" for cell in head[header_row - 1]]
    columns = [ColumnScan(name) for name in names]
    scan = SourceScan(file, kind, sheet, header_row, columns)
    for chunk in table.chunks(5_000):
        for cells in chunk.cells:
            for column, cell in zip(columns, cells, strict=False):
                column.add(cell)
        scan.rows += len(chunk)
        if scan.rows >= MAX_ROWS:
            break
    return scan


def scan_folder(root: Path) -> tuple[list[SourceScan], list[str]]:
    """Every file or sheet with a header row, and notes on what could not be read."""
    scans: list[SourceScan] = []
    notes: list[str] = []
    for path in files_in(root):
        file = path.relative_to(root).as_posix()
        try:
            if path.suffix.lower() == ".xlsx":
                for sheet in sheet_names(path):
                    found = _scan(
                        Table(path, "xlsx", f"{file}:{sheet}", sheet=sheet), file, "xlsx", sheet
                    )
                    if found is None:
                        notes.append(f"{file}:{sheet}: no header row found, not proposed")
                    else:
                        scans.append(found)
                continue
            encoding = detect_encoding(path)
            delimiter, quote = sniff_dialect(path, encoding)
            table = Table(path, "csv", file, encoding=encoding, delimiter=delimiter, quote=quote)
            found = _scan(table, file, "csv", None)
            if found is None:
                notes.append(f"{file}: no header row found, not proposed")
                continue
            found.encoding, found.delimiter, found.quote = encoding, delimiter, quote
            scans.append(found)
        except NffsError as exc:
            notes.append(f"{file}: not read ({exc.message})")
    return scans, notes


__all__ = ["ColumnScan", "SourceScan", "files_in", "scan_folder"]
