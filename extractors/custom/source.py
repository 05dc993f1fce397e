"""Reading the files of a self-built source: CSV in chunks, XLSX sheets row by row.

CSV: the mapping's encoding wins; without one, a byte-order mark means UTF-8 with BOM,
otherwise `charset-normalizer` judges a sample (UTF-8 or Windows-1252), confirmed by
decoding the whole file as UTF-8 in blocks, with Windows-1252 as the fallback. Quoted
fields may span lines; the standard `csv` module reads them. XLSX: `python-calamine`
(fast, and it reports merged ranges, so openpyxl is not needed); calamine holds a sheet
as its compact cell grid, and rows become Python lists one at a time.

Rows above the header row are never read; rows that are blank in every column are not
records. A cell merged over several rows gives its value to each of them (a Dossier
written once for a household's rows); a cell merged across columns belongs to its first.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
from python_calamine import CalamineError, CalamineWorkbook

from nffs_migration.errors import ConfigurationError, SourceError
from nffs_migration.extractors.custom.values import cell_text, is_blank
from nffs_migration.intermediate_format.safepath import UnsafePath, resolve_within, safe_relative
from nffs_migration.log import get_logger

log = get_logger(__name__)

# Journal texts can be long; the csv module's default limit is 128 KiB per field.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

SAMPLE_BYTES = 256 * 1024
BLOCK_BYTES = 1024 * 1024


def source_path(root: Path, name: str) -> Path:
    """A path of the mapping (relative to the source folder) that cannot leave the folder.

    Raises:
        ConfigurationError: The path is absolute, has `..` or leaves through a link.
    """
    try:
        return resolve_within(root, safe_relative(name, windows=True))
    except UnsafePath as exc:
        raise ConfigurationError(
            f"{name!r} is not a path inside the source folder ({exc})"
        ) from None


def blank_row(row: list[Any]) -> bool:
    """True when every cell of a row is empty or blanks only."""
    for cell in row:
        if type(cell) is str:
            if cell and not cell.isspace():
                return False
        elif cell is not None and cell_text(cell) is not None:
            return False
    return True


def _utf8_throughout(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_DETECTED: dict[tuple[str, int, int], str] = {}


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file: `utf-8-sig`, `utf-8` or `cp1252` (once per file version)."""
    stat = path.stat()
    marker = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if marker not in _DETECTED:
        if len(_DETECTED) > 256:
            _DETECTED.clear()
        _DETECTED[marker] = _detect(path)
    return _DETECTED[marker]


def _detect(path: Path) -> str:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    best = charset_normalizer.from_bytes(sample, cp_isolation=["utf_8", "cp1252"]).best()
    guess = best.encoding if best is not None else "cp1252"
    if guess in ("utf_8", "ascii") and _utf8_throughout(path):
        return "utf-8"
    if guess not in ("utf_8", "ascii") and not _utf8_throughout(path):
        return "cp1252"
    # The sample and the whole file disagree (an umlaut only after the sample, or a
    # sample too small to judge): the whole file decides.
    return "utf-8" if _utf8_throughout(path) else "cp1252"


def sniff_dialect(path: Path, encoding: str) -> tuple[str, str]:
    """Delimiter and quote character of a CSV file (for `mapping init`)."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(64 * 1024)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        counts = {d: sample.count(d) for d in (";", ",", "\t")}
        return max(counts, key=lambda d: counts[d]), '"'
    return dialect.delimiter, dialect.quotechar or '"'


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook.

    Raises:
        SourceError: The file cannot be read as a workbook.
    """
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except (CalamineError, OSError, ValueError) as exc:
        raise SourceError(
            f"{path.name}: cannot be read as an XLSX workbook ({type(exc).__name__})",
            file=path.name,
        ) from None


def _xlsx_rows(path: Path, sheet: str) -> Iterator[list[Any]]:
    try:
        worksheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    except (CalamineError, OSError, ValueError) as exc:
        raise SourceError(
            f"{path.name}: cannot read the sheet ({type(exc).__name__})", file=path.name
        ) from None
    start = worksheet.start
    offset = start[1] if start else 0
    starts: dict[int, list[tuple[int, int]]] = {}
    for (row0, col0), (row1, _) in worksheet.merged_cell_ranges or ():
        if row1 > row0 and col0 >= offset:
            starts.setdefault(row0, []).append((col0 - offset, row1))
    active: list[tuple[int, int, Any]] = []
    for number, row in enumerate(worksheet.iter_rows()):
        cells = ["" if cell is None else cell for cell in row]
        active = [entry for entry in active if entry[1] >= number]
        for column, _, value in active:
            if column < len(cells) and is_blank(cells[column]):
                cells[column] = value
        for column, last in starts.get(number, ()):
            if column < len(cells):
                active.append((column, last, cells[column]))
        yield cells


def _csv_rows(path: Path, encoding: str, delimiter: str, quote: str) -> Iterator[list[Any]]:
    number = 0
    try:
        with path.open(encoding=encoding, newline="") as handle:
            for number, row in enumerate(  # noqa: B007 - the number is reported on errors
                csv.reader(handle, delimiter=delimiter, quotechar=quote), start=1
            ):
                yield row
    except UnicodeDecodeError:
        raise SourceError(
            f"{path.name}: not readable as {encoding}; "
            f"set files.{path.name}.encoding in the mapping (utf-8, utf-8-sig, windows-1252)",
            file=path.name,
        ) from None
    except csv.Error as exc:
        raise SourceError(f"{path.name}, row {number + 1}: {exc}", file=path.name) from None
    except OSError as exc:
        raise SourceError(
            f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})", file=path.name
        ) from None


@dataclass
class Header:
    """The column headers of a file or sheet (trimmed), and where each one is."""

    names: list[str]
    index: dict[str, int] = field(default_factory=dict)
    duplicates: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for position, name in enumerate(self.names):
            if not name:
                continue
            if name in self.index:
                self.duplicates.add(name)
            else:
                self.index[name] = position


@dataclass
class Rows:
    """A chunk of data rows of one file or sheet, each padded to the header's width."""

    header: Header
    cells: list[tuple[Any, ...]]
    numbers: list[int]

    def __len__(self) -> int:
        return len(self.cells)

    def column(self, name: str) -> list[Any]:
        """The cells of one column (the first column of that name)."""
        position = self.header.index[name]
        return [row[position] for row in self.cells]

    def take(self, positions: list[int]) -> Rows:
        """The rows at these positions."""
        return Rows(
            self.header, [self.cells[i] for i in positions], [self.numbers[i] for i in positions]
        )


@dataclass
class Table:
    """One file or sheet of the source with its header row: read header, rows in chunks."""

    path: Path
    kind: str
    label: str
    sheet: str | None = None
    header_row: int = 1
    encoding: str | None = None
    delimiter: str = ";"
    quote: str = '"'
    #: Rows that had cells beyond the header's width (those cells are not read).
    overlong: int = 0

    def raw_rows(self) -> Iterator[list[Any]]:
        """Every row of the file or sheet, the header and what is above it included."""
        if self.kind == "xlsx":
            return _xlsx_rows(self.path, self.sheet or "")
        encoding = self.encoding or detect_encoding(self.path)
        self.encoding = encoding
        return _csv_rows(self.path, encoding, self.delimiter, self.quote)

    def header(self) -> Header:
        """The header row.

        Raises:
            SourceError: The file has fewer rows than the header row's number.
        """
        rows = self.raw_rows()
        try:
            for number, row in enumerate(rows, start=1):
                if number == self.header_row:
                    return Header([cell_text(cell) or "" for cell in row])
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()  # the file is closed now, not when the generator is collected
        raise SourceError(
            f"{self.label}: has no row {self.header_row} (the header row of the mapping)",
            file=self.label,
        )

    def chunks(self, chunk_rows: int) -> Iterator[Rows]:
        """The data rows below the header, blank rows left out, in chunks."""
        header: Header | None = None
        # Rows as tuples: a tuple of text cells leaves the garbage collector's books,
        # which keeps its full passes cheap while chunks of lists come and go.
        cells: list[tuple[Any, ...]] = []
        numbers: list[int] = []
        for number, row in enumerate(self.raw_rows(), start=1):
            if header is None:
                if number == self.header_row:
                    header = Header([cell_text(cell) or "" for cell in row])
                continue
            if blank_row(row):
                continue
            width = len(header.names)
            if len(row) < width:
                row = [*row, *([None] * (width - len(row)))]
            elif len(row) > width:
                if not blank_row(row[width:]):
                    self.overlong += 1
                row = row[:width]
            cells.append(tuple(row))
            numbers.append(number)
            if len(cells) >= chunk_rows:
                yield Rows(header, cells, numbers)
                cells, numbers = [], []
        if header is None:
            raise SourceError(
                f"{self.label}: has no row {self.header_row} (the header row of the mapping)",
                file=self.label,
            )
        if cells:
            yield Rows(header, cells, numbers)
        if self.overlong:
            log.warning(
                "%s: %d rows have cells beyond the last header column; those cells are not read",
                self.label,
                self.overlong,
            )


__all__ = [
    "Header",
    "Rows",
    "Table",
    "blank_row",
    "detect_encoding",
    "sheet_names",
    "sniff_dialect",
    "source_path",
]
