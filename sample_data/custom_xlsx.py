"""Streaming the workbook of the self-built sample system, shaped as a service keeps it by hand.

xlsxwriter in `constant_memory` mode flushes every finished row to a temporary file, so
a sheet of any length costs a few rows of memory; the price is that rows of a sheet are
written strictly top-down, which suits a renderer that walks the population once. The
hand-kept shape: a merged title row and a blank row above the header on some sheets,
formatted but empty rows below the data, text cells where Excel would expect numbers,
and real Excel dates beside dates typed as text. The creation date is fixed, so the same
seed gives the same bytes. openpyxl's write-only mode was the alternative; xlsxwriter
was chosen because it merges cells in constant-memory mode and writes reproducible zips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from nffs_migration.errors import ConfigurationError

#: Rows an XLSX sheet can hold (Excel's limit).
EXCEL_MAX_ROWS = 1_048_576

Cell = str | int | Decimal | date | None


class Sheet:
    """One sheet: optional merged title and blank row, the header, then data rows in order."""

    def __init__(
        self,
        book: Book,
        name: str,
        headers: Sequence[str],
        *,
        title: str | None,
        widths: Sequence[int],
    ) -> None:
        self.book = book
        self.name = name
        self.headers = tuple(headers)
        self._sheet = book.workbook.add_worksheet(name)
        for index, width in enumerate(widths):
            self._sheet.set_column(index, index, width)
        row = 0
        if title is not None:
            self._sheet.merge_range(0, 0, 0, len(headers) - 1, title, book.title_format)
            row = 2  # the title, then a blank row
        self.header_row = row + 1  # 1-based, as people count rows
        self._sheet.write_row(row, 0, self.headers, book.header_format)
        self._sheet.freeze_panes(row + 1, 0)
        self._next = row + 1

    def add(self, values: Sequence[Cell]) -> None:
        """Append one data row: text as text (digits too), numbers, dates as Excel dates."""
        if self._next >= EXCEL_MAX_ROWS:
            raise ConfigurationError(
                f"sheet {self.name} would exceed Excel's {EXCEL_MAX_ROWS:,} rows; "
                "generate fewer cases for a custom source",
                sheet=self.name,
            )
        sheet, row = self._sheet, self._next
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(row, column, value)
            elif isinstance(value, date):
                moment = (
                    value
                    if isinstance(value, datetime)
                    else datetime(  # noqa: DTZ001
                        value.year, value.month, value.day
                    )
                )
                sheet.write_datetime(row, column, moment, self.book.date_format)
            else:
                sheet.write_number(row, column, value)
        self._next += 1

    def finish(self, blank_rows: int) -> None:
        """Leave `blank_rows` formatted empty rows below the data, as a prepared list has."""
        for _ in range(blank_rows):
            for column in range(len(self.headers)):
                self._sheet.write_blank(self._next, column, None, self.book.blank_format)
            self._next += 1


class Book:
    """The workbook: sheets in the order they are added, closed into `path`."""

    def __init__(self, path: Path, created: datetime, author: str) -> None:
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False},
        )
        self.workbook.set_properties({"created": created, "author": author, "title": path.stem})
        self.title_format: Any = self.workbook.add_format({"bold": True, "font_size": 14})
        self.header_format: Any = self.workbook.add_format({"bold": True, "bottom": 1})
        self.date_format: Any = self.workbook.add_format({"num_format": "dd.mm.yyyy"})
        self.blank_format: Any = self.workbook.add_format({"bottom": 4, "bottom_color": "#BFBFBF"})

    def sheet(
        self,
        name: str,
        headers: Sequence[str],
        *,
        title: str | None = None,
        widths: Sequence[int] = (),
    ) -> Sheet:
        """Add a data sheet."""
        return Sheet(self, name, headers, title=title, widths=widths)

    def note(self, name: str, text: str) -> None:
        """Add a sheet that holds one line of text (a table that moved elsewhere)."""
        sheet = self.workbook.add_worksheet(name)
        sheet.set_column(0, 0, 90)
        sheet.write_string(0, 0, text)

    def close(self) -> None:
        """Write the file."""
        self.workbook.close()
