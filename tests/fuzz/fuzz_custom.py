"""Fuzz the CSV/XLSX readers and the custom extractor with mutated sources (see README.md).

    .venv/bin/python tests/fuzz/fuzz_custom.py --seconds 300

Each input starts from a generated self-built source of 5 cases (a workbook, four CSV
files, scans and `mapping.yaml`) and applies a few mutations drawn from the input's
bytes: hostile values in random CSV cells (rows added, cut short or widened; quoting,
line ends and encodings varied, the mapping's encoding made true, false or absent),
hostile typed cells in the workbook (text, integers, NaN and infinite floats, Excel
serial numbers, booleans, dates, times, durations; merged ranges; sheets renamed), bytes
of a CSV file or of an XML member of the workbook flipped, inserted or cut, and lines
of the mapping deleted, doubled or given hostile values. The source is then extracted
(`extract_package`), its mapping checked and its profile taken; only `NffsError` may
escape, and a refused extraction leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _fuzzlib import (
    AS_OF,
    Provider,
    cell,
    check_package,
    main,
    mutate_bytes,
    outcome,
    seed_folder,
    value,
)

CSV_FILES = ("budgets.csv", "auszahlungen.csv", "notizen.csv", "scans/index.csv")
WORKBOOK = "Klientenliste.xlsx"


def _set_encoding(mapping: str, name: str, encoding: str | None) -> str:
    line = re.compile(rf"^(  {re.escape(name)}: \{{type: csv, )encoding: [^,]+, ", re.MULTILINE)
    return line.sub(rf"\1encoding: {encoding}, " if encoding else r"\1", mapping)


def _csv_cells(p: Provider, folder: Path, mapping: str) -> str:
    name = p.pick(CSV_FILES)
    path = folder / name
    text = path.read_bytes().decode("cp1252", "replace").replace("\x00", "")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    except csv.Error:  # an earlier byte mutation broke the quoting: leave the file
        return mapping
    for _ in range(p.int(1, 8)):
        op = p.int(0, 9)
        if op <= 6 and rows:
            row = rows[p.int(0, len(rows) - 1) if p.chance(10) else p.int(1, len(rows) - 1)]
            if row:
                row[p.int(0, len(row) - 1)] = value(p)
        elif op == 7:
            rows.insert(p.int(1, len(rows)), [value(p) for _ in range(p.int(0, 12))])
        elif op == 8 and len(rows) > 1:
            del rows[p.int(1, len(rows) - 1)]
        else:
            for row in rows:
                row.append(value(p) if p.chance(50) else "")
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=";",
        quoting=p.pick((csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC)),
        lineterminator=p.pick(("\r\n", "\n", "\r")),
    )
    writer.writerows(rows)
    text = buffer.getvalue()
    if p.chance(80):
        path.write_bytes(text.encode("cp1252", p.pick(("replace", "xmlcharrefreplace"))))
        return mapping
    encoding = p.pick(("utf-8", "utf-8-sig", "utf-16", "latin-1"))
    path.write_bytes(text.encode(encoding, "replace"))
    return _set_encoding(mapping, name, p.pick(("utf-8", "utf-8-sig", "windows-1252", None)))


def _csv_bytes(p: Provider, folder: Path) -> None:
    path = folder / p.pick(CSV_FILES)
    data = path.read_bytes()
    path.write_bytes(mutate_bytes(p, data) if p.chance(50) else data[: p.int(0, len(data))])


def _read_workbook(path: Path) -> dict[str, tuple[list[list[Any]], list[Any]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        sheets[name] = ([list(r) for r in sheet.to_python()], list(sheet.merged_cell_ranges or ()))
    return sheets


def _write_cell(sheet: Any, row: int, column: int, item: Any, formats: dict[str, Any]) -> None:
    try:
        if item is None or item == "":
            sheet.write_blank(row, column, None)
        elif isinstance(item, str):
            sheet.write_string(row, column, item)
        elif isinstance(item, bool):
            sheet.write_boolean(row, column, item)
        elif isinstance(item, int | float):
            sheet.write_number(row, column, item)
        elif isinstance(item, datetime | date | clock_time | timedelta):
            kind = "time" if isinstance(item, clock_time | timedelta) else "date"
            sheet.write_datetime(row, column, item, formats[kind])
        else:
            sheet.write_string(row, column, str(item))
    except Exception:  # noqa: BLE001 - what xlsxwriter refuses goes in as text
        sheet.write_string(row, column, str(item)[:32000])


def _workbook_cells(p: Provider, folder: Path, mapping: str) -> str:
    import xlsxwriter
    from python_calamine import CalamineError
    from xlsxwriter.exceptions import XlsxInputError

    path = folder / WORKBOOK
    try:
        sheets = _read_workbook(path)
    except (CalamineError, OSError, ValueError):  # an earlier byte mutation broke it
        return mapping
    names = list(sheets)
    for _ in range(p.int(1, 10)):
        rows, _ = sheets[p.pick(names)]
        if not rows:
            continue
        row = rows[p.int(0, len(rows) - 1)]
        if p.chance(10):
            row.extend(cell(p) for _ in range(p.int(1, 3)))
        elif row:
            row[p.int(0, len(row) - 1)] = cell(p)
    if p.chance(10):
        old = p.pick(names)
        new = value(p)[:31] or "x"
        if new not in sheets:
            sheets[new] = sheets.pop(old)
            if p.chance(50):
                mapping = mapping.replace(f"sheet: {old},", f"sheet: {json.dumps(new)},")
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True})
    formats = {
        "date": book.add_format({"num_format": "dd.mm.yyyy"}),
        "time": book.add_format({"num_format": "hh:mm"}),
    }
    for name, (rows, merged) in sheets.items():
        try:
            sheet = book.add_worksheet(name)
        except XlsxInputError:  # a name xlsxwriter refuses keeps the sheet out
            continue
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                _write_cell(sheet, r, c, item, formats)
        for (r0, c0), (r1, c1) in merged:
            if (r0, c0) != (r1, c1):
                first = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
                sheet.merge_range(r0, c0, r1, c1, str(first))
        if rows and p.chance(20):
            r0 = p.int(1, max(1, len(rows) - 1))
            c0 = p.int(0, max(0, len(rows[0]) - 1))
            with contextlib.suppress(XlsxInputError):  # an overlapping range is not added
                sheet.merge_range(r0, c0, r0 + p.int(1, 4), c0, str(cell(p)))
    book.close()
    return mapping


def _workbook_bytes(p: Provider, folder: Path) -> None:
    path = folder / WORKBOOK
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, EOFError):
        members = {}
    if not members or p.chance(20):
        path.write_bytes(mutate_bytes(p, data))
        return
    name = p.pick(sorted(members))
    member = members[name]
    if p.chance(50):
        member = mutate_bytes(p, member)
    else:
        text = member.decode("utf-8", "replace")
        spans = list(re.finditer(r">([^<>]+)<|=\"([^\"]*)\"", text))
        if spans:
            match = p.pick(spans)
            group = 1 if match.group(1) is not None else 2
            text = text[: match.start(group)] + value(p) + text[match.end(group) :]
        member = text.encode("utf-8", "replace")
    members[name] = member
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member_name, content in members.items():
            archive.writestr(member_name, content)
    path.write_bytes(buffer.getvalue())


def _mapping_lines(p: Provider, mapping: str) -> str:
    lines = mapping.splitlines()
    for _ in range(p.int(1, 3)):
        at = p.int(0, len(lines) - 1)
        op = p.int(0, 3)
        if op == 0:
            del lines[at]
        elif op == 1:
            lines.insert(at, lines[at])
        elif op == 2 and ": " in lines[at]:
            head = lines[at].split(": ", 1)[0]
            new = value(p)
            lines[at] = f"{head}: {json.dumps(new) if p.chance(70) else new}"
        else:
            other = p.int(0, len(lines) - 1)
            lines[at], lines[other] = lines[other], lines[at]
        if not lines:
            break
    return "\n".join(lines) + "\n"


def load(work: Path) -> Callable[[Provider, Path], str]:
    from nffs_migration.errors import NffsError
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.custom.check import check_mapping
    from nffs_migration.extractors.run import extract_package

    seed = seed_folder(work, "custom")
    extractor = get_extractor("custom")

    def one(p: Provider, folder: Path) -> str:
        source = folder / "source"
        shutil.copytree(seed, source)
        mapping = (source / "mapping.yaml").read_text(encoding="utf-8")
        for _ in range(p.int(1, 3)):
            op = p.int(0, 9)
            if op <= 3:
                mapping = _csv_cells(p, source, mapping)
            elif op <= 6:
                mapping = _workbook_cells(p, source, mapping)
            elif op == 7:
                _csv_bytes(p, source)
            elif op == 8:
                _workbook_bytes(p, source)
            else:
                mapping = _mapping_lines(p, mapping)
        (source / "mapping.yaml").write_text(mapping, encoding="utf-8")
        out = folder / "pkg" / "out"
        out.parent.mkdir()
        options = extractor.options_class(
            source=str(source),
            documents=source / "scans",
            mapping=source / "mapping.yaml",
            service_id="0942",
            as_of=AS_OF if p.chance(50) else None,
            chunk_rows=p.pick((50_000, 100)),
        )
        error: NffsError | None = None
        try:
            extract_package(extractor, options, out)
        except NffsError as exc:
            error = exc
        check_package(out, error)
        if p.chance(30):
            check_mapping(source / "mapping.yaml", source)
            with contextlib.suppress(NffsError):
                extractor.profile(options)
        return outcome(error, source, "<src>")

    return one


if __name__ == "__main__":
    main("custom", load)
