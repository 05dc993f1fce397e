"""Cells of a hand-kept list as values: text, keys, dates, amounts and integers by format.

A cell is what a reader gives: text from a CSV, or text, a number, a boolean or a date
from an XLSX sheet. The functions here turn one cell into the value a field needs, by
the formats of `docs/custom-mapping.md`, and say why when they cannot (a rule id, never
the value). Nothing here raises for bad data; a bad *format* (in the mapping) raises
`ConfigurationError` when it is compiled.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from nffs_migration.errors import ConfigurationError

UNKNOWN_DATE = date(1900, 1, 1)
OPEN_END = date(9999, 12, 31)
CENT = Decimal("0.01")
EXCEL = "excel"
#: Day 0 of Excel's serial dates in the 1900 system, right from serial 61 (01.03.1900) on.
#: Excel counts a 29.02.1900 that did not exist (serial 60), so serials 1 to 59 are one
#: day later than this epoch says (serial 1 is 01.01.1900).
EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - local civil time, as the source has it
EXCEL_FICTITIOUS_DAY = 60  # 29.02.1900
EXCEL_MAX_SERIAL = 2_958_465  # 31.12.9999
_MS_PER_DAY = 86_400_000
#: The integers the format holds (int64).
_INT64 = range(-(2**63), 2**63)

DATE_FORMAT_PROBLEM = "date-format"
DATE_IMPOSSIBLE = "date-impossible"
VALUE_FORMAT = "value-format"
AMOUNT_FORMAT = "amount-format"


def cell_text(cell: Any) -> str | None:
    """A cell as trimmed text; blank is None; integral numbers without decimal places."""
    if type(cell) is str:  # the common case first: every CSV cell
        return cell.strip() or None
    if cell is None:
        return None
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        if cell != cell:  # NaN
            return None
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, datetime):
        if cell.time() == time():
            return cell.date().isoformat()
        return cell.isoformat(sep=" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    text = str(cell).strip()
    return text or None


def is_blank(cell: Any) -> bool:
    """True for an empty cell or one holding only blanks."""
    return cell_text(cell) is None


# -- dates -----------------------------------------------------------------------------

_TOKENS = (
    ("YYYY", "Y", r"(?P<Y>\d{4})"),
    ("DD", "D", r"(?P<D>\d{1,2})"),
    ("MM", "M", r"(?P<M>\d{1,2})"),
    ("hh", "h", r"(?P<h>\d{1,2})"),
    ("mm", "m", r"(?P<m>\d{2})"),
    ("ss", "s", r"(?P<s>\d{2})"),
)


@dataclass(frozen=True)
class DateFormat:
    """A compiled date or timestamp format (`DD.MM.YYYY`, `MM.YYYY`, `excel`, ...)."""

    text: str
    pattern: re.Pattern[str] | None
    precision: str
    has_time: bool

    @property
    def excel(self) -> bool:
        """True for `excel`: real date cells (and serial numbers) only."""
        return self.pattern is None


def date_format(text: str) -> DateFormat:
    """Compile a date format of the mapping.

    Raises:
        ConfigurationError: The format is not one the mapping format knows.
    """
    if text == EXCEL:
        return DateFormat(text, None, "day", False)
    parts: list[str] = []
    seen: set[str] = set()
    index = 0
    while index < len(text):
        for token, group, regex in _TOKENS:
            if text.startswith(token, index):
                if group in seen:
                    raise ConfigurationError(f"date format {text!r} has {token} twice")
                seen.add(group)
                parts.append(regex)
                index += len(token)
                break
        else:
            char = text[index]
            parts.append(r"\s+" if char == " " else re.escape(char))
            index += 1
    needs = {"D": "M", "h": "D", "m": "h", "s": "m"}
    if "Y" not in seen:
        raise ConfigurationError(f"date format {text!r} has no year (YYYY)")
    for part, required in needs.items():
        if part in seen and required not in seen:
            raise ConfigurationError(f"date format {text!r} has {part} without {required}")
    precision = "day" if "D" in seen else "month" if "M" in seen else "year"
    return DateFormat(text, re.compile("".join(parts)), precision, "h" in seen)


@dataclass(frozen=True)
class ParsedDate:
    """A date or timestamp read from a cell, with its precision, or the rule it broke."""

    value: date | datetime | None
    precision: str = "unknown"
    problem: str | None = None


NO_DATE = ParsedDate(None)


def _sentinel(day: date) -> bool:
    return day in (UNKNOWN_DATE, OPEN_END)


def _from_cell(cell: date | datetime, timestamp: bool) -> ParsedDate:
    day = cell.date() if isinstance(cell, datetime) else cell
    if _sentinel(day):
        return NO_DATE
    if timestamp:
        moment = cell if isinstance(cell, datetime) else datetime(day.year, day.month, day.day)  # noqa: DTZ001
        return ParsedDate(moment.replace(tzinfo=None), "day")
    return ParsedDate(day, "day")


def _serial(number: float, timestamp: bool) -> ParsedDate:
    """An Excel serial number (days since the epoch, the time as a fraction of a day).

    The fraction is rounded to the millisecond, Excel's own resolution: a time is a
    binary fraction of a day (10:30 is 0.4375, but 10:29 is not exact), so without
    rounding it would come back a microsecond early.
    """
    if not 1 <= number <= EXCEL_MAX_SERIAL:
        return ParsedDate(None, problem=DATE_FORMAT_PROBLEM)
    days, milliseconds = divmod(round(number * _MS_PER_DAY), _MS_PER_DAY)
    if days == EXCEL_FICTITIOUS_DAY:
        return ParsedDate(None, problem=DATE_IMPOSSIBLE)
    if days < EXCEL_FICTITIOUS_DAY:
        days += 1
    moment = EXCEL_EPOCH + timedelta(days=days, milliseconds=milliseconds)
    return _from_cell(moment if timestamp else moment.date(), timestamp)


def parse_date(
    cell: Any, formats: tuple[DateFormat, ...], *, timestamp: bool = False, last_day: bool = False
) -> ParsedDate:
    """Read a date (or timestamp) cell by the first format that matches it.

    A real date cell is a date whatever the formats say; `excel` also reads a serial
    number. Text is matched against each text format in turn; `00` as day or month
    means unknown (month or year precision). `01.01.1900` and `31.12.9999` are null.
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return NO_DATE
    if isinstance(cell, datetime | date) and not isinstance(cell, bool):
        return _from_cell(cell, timestamp)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if any(f.excel for f in formats):
            return _serial(float(cell), timestamp)
        cell = cell_text(cell)
    text = str(cell).strip()
    for fmt in formats:
        if fmt.pattern is None:
            continue
        match = fmt.pattern.fullmatch(text)
        if match is None:
            continue
        return _build(match.groupdict(), fmt, timestamp=timestamp, last_day=last_day)
    return ParsedDate(None, problem=DATE_FORMAT_PROBLEM)


def _build(
    groups: dict[str, str | None], fmt: DateFormat, *, timestamp: bool, last_day: bool
) -> ParsedDate:
    year = int(groups["Y"] or 0)
    month_text, day_text = groups.get("M"), groups.get("D")
    month = int(month_text) if month_text is not None else 1
    day = int(day_text) if day_text is not None else 1
    precision = fmt.precision
    if month_text is not None and month == 0:
        month, day, precision = 1, 1, "year"
    elif day_text is not None and day == 0:
        day, precision = 1, "month"
    try:
        if last_day and precision == "month":
            day = calendar.monthrange(year, month)[1]
        parsed = date(year, month, day)
        hour, minute, second = (int(groups.get(g) or 0) for g in ("h", "m", "s"))
        moment = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except (ValueError, calendar.IllegalMonthError):
        return ParsedDate(None, problem=DATE_IMPOSSIBLE)
    if _sentinel(parsed):
        return NO_DATE
    return ParsedDate(moment if timestamp else parsed, precision)


# -- amounts ---------------------------------------------------------------------------

_AMOUNT_PATTERNS = {
    "1234,50": (re.compile(r"-?\d+(?:,\d{1,2})?"), "", ","),
    "1234.50": (re.compile(r"-?\d+(?:\.\d{1,2})?"), "", "."),
    "1'234.50": (re.compile(r"-?(?:\d{1,3}(?:['’]\d{3})+|\d+)(?:\.\d{1,2})?"), "'’", "."),
    "1.234,50": (re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d{1,2})?"), ".", ","),
}
AMOUNT_FORMATS = (*_AMOUNT_PATTERNS, EXCEL)
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def check_amount_format(text: str) -> str:
    """Return the amount format if the mapping format knows it.

    Raises:
        ConfigurationError: An unknown amount format.
    """
    if text not in AMOUNT_FORMATS:
        raise ConfigurationError(
            f"amount format {text!r} is not one of {', '.join(repr(f) for f in AMOUNT_FORMATS)}"
        )
    return text


def _cents(value: Decimal) -> Decimal | None:
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        return None
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return value + Decimal("0.00") if value.is_zero() else value


def parse_amount(cell: Any, formats: tuple[str, ...]) -> Decimal | None:
    """Read an amount by the first format that matches; None when blank or unreadable.

    A number cell is an amount whatever the formats say (read through its shortest
    decimal text, never through float arithmetic); `excel` also reads a number stored
    as text (`1234.5`).
    """
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int | float | Decimal):
        if isinstance(cell, float) and cell != cell:
            return None
        return _cents(Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell))
    text = str(cell).strip()
    if not text:
        return None
    for fmt in formats:
        if fmt == EXCEL:
            if _PLAIN_NUMBER.fullmatch(text):
                return _cents(Decimal(text))
            continue
        pattern, thousands, decimal_mark = _AMOUNT_PATTERNS[fmt]
        if pattern.fullmatch(text):
            for mark in thousands:
                text = text.replace(mark, "")
            try:
                return _cents(Decimal(text.replace(decimal_mark, ".")))
            except InvalidOperation:  # pragma: no cover - the pattern admits digits only
                return None
    return None


# -- integers and booleans -------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d+(?:\.0+)?")


def parse_integer(cell: Any) -> int | None:
    """An integer from a number cell or digits in text; None when it is not one.

    Only integers the format holds (64 bits) are integers; a sign and `.0` in text do
    not count against that.
    """
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell if cell in _INT64 else None
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() and abs(cell) < 2**62 else None
    text = str(cell).strip()
    if not _INTEGER.fullmatch(text):
        return None
    sign, digits = "-" if text.startswith("-") else "", text.lstrip("+-").split(".")[0].lstrip("0")
    if len(digits) > 19:  # beyond 64 bits (and int() refuses very long digit strings)
        return None
    number = int(sign + (digits or "0"))
    return number if number in _INT64 else None


_TRUE = {"1", "true", "wahr"}
_FALSE = {"0", "false", "falsch"}


def parse_boolean(cell: Any) -> bool | None:
    """A boolean cell, or `1`/`0`, `true`/`false` (`WAHR`/`FALSCH`) as text; None otherwise."""
    if isinstance(cell, bool):
        return cell
    text = cell_text(cell)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


__all__ = [
    "AMOUNT_FORMATS",
    "EXCEL",
    "DateFormat",
    "ParsedDate",
    "cell_text",
    "check_amount_format",
    "date_format",
    "is_blank",
    "parse_amount",
    "parse_boolean",
    "parse_date",
    "parse_integer",
]
