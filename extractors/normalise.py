"""Parsers and normalisers for the field's formats, shared by every extractor.

Each function takes what a legacy source holds and returns the canonical value or a
`Problem` that says why not (never an exception for bad data, never a guess):

- AHV numbers: dots, blanks and dashes removed; 13 digits with a valid EAN-13 check
  digit become `ahvn13`; 11 digits are the old number; anything else is invalid;
- dates: `dd.mm.yyyy`, `00.00.yyyy` (year only), `00.mm.yyyy` (month only), ISO,
  `1900-01-01` (unknown) and `9999-12-31` (open end) to null;
- Swiss amounts: `1'234.50`, `1234,50`, `-0.00` to exact decimals; text with more than
  two decimal places (`1.234`, a thousands group or a digit too many) is not an amount;
- durations: `hh:mm` and decimal hours to minutes;
- names trimmed; RTF turned into plain text with `striprtf` (umlauts intact).

A blank is what Python's `str.isspace` says, in the scalar and the vectorised (Arrow)
functions alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from striprtf.striprtf import rtf_to_text

from nffs_migration.intermediate_format.formats import (
    ahvn13_compact,
    ahvn13_valid,
    ahvn13_valid_array,
)

UNKNOWN_DATE = date(1900, 1, 1)
OPEN_END = date(9999, 12, 31)
CENT = Decimal("0.01")
#: Amounts and hours of 10^26 and more are not values of the field: they are refused
#: before rounding, which the decimal context (28 digits) could not do for them.
_HUGE_EXPONENT = 26
#: Rounding to the centime (or the minute) in a context wide enough for any value below
#: 10^26, whatever the caller's decimal context.
_ROUNDING = Context(prec=32)
#: RE2's `\s` is `[\t\n\f\r ]` only; with these it is exactly Python's `str.isspace`
#: (checked over every code point), so that the vectorised functions agree with the
#: scalar ones (`str.split`, `re`'s `\s`).
BLANK_RE2 = r"\s\x0b\x1c-\x1f\x{85}\p{Z}"


@dataclass(frozen=True)
class Problem:
    """Why a value could not be normalised (a rule id and a message without the value)."""

    rule: str
    message: str


@dataclass(frozen=True)
class Ahv:
    """An AHV number sorted into the new number, the old one, or neither."""

    ahvn13: str | None = None
    old: str | None = None
    problem: Problem | None = None


def ahv(raw: str | None) -> Ahv:
    """Sort a legacy AHV field into `ahvn13`, `old_ahv_number` or an invalid number."""
    if raw is None or raw is pd.NA:
        return Ahv()
    digits = ahvn13_compact(str(raw))
    if not digits:
        return Ahv()
    # ASCII only: `str.isdigit` is also true for Arabic-Indic, full-width or superscript
    # digits, which the format's patterns (^[0-9]{11}$) do not take.
    ascii_digits = digits.isascii() and digits.isdigit()
    if len(digits) == 13 and ascii_digits and digits.startswith("756"):
        if ahvn13_valid(digits):
            return Ahv(ahvn13=digits)
        return Ahv(
            problem=Problem("ahvn13-check-digit", "AHV number has a wrong check digit; set to null")
        )
    if len(digits) == 11 and ascii_digits:
        return Ahv(old=digits)
    return Ahv(
        problem=Problem(
            "ahvn13-format", "AHV number is neither AHVN13 nor an old 11-digit number; set to null"
        )
    )


@dataclass(frozen=True)
class ParsedDate:
    """A date with its precision (`day`, `month`, `year`, `unknown`), or a problem."""

    value: date | None
    precision: str = "day"
    problem: Problem | None = None


_DOTTED = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*$")


def legacy_date(value: date | datetime | None, *, open_end: bool = False) -> date | None:
    """A database date as the format wants it: the date part; sentinels to null.

    `1900-01-01` means unknown; `9999-12-31` means an open end (`open_end=True` for
    columns where that is the convention, but it is null in either case).
    """
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    if day in (UNKNOWN_DATE, OPEN_END):
        return None
    return day


def text_date(raw: str | None) -> ParsedDate:
    """Parse `dd.mm.yyyy` (with `00` for unknown day or month) or ISO text."""
    if raw is None or not str(raw).strip():
        return ParsedDate(None, "unknown")
    text = str(raw)
    match = _DOTTED.match(text)
    if match:
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    else:
        iso = _ISO.match(text)
        if not iso:
            return ParsedDate(
                None,
                "unknown",
                Problem("date-format", "date is not dd.mm.yyyy or ISO; set to null"),
            )
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    precision = "day"
    if month == 0:
        month, day, precision = 1, 1, "year"
    elif day == 0:
        day, precision = 1, "month"
    try:
        parsed = date(year, month, day)
    except ValueError:
        return ParsedDate(
            None, "unknown", Problem("date-impossible", "date does not exist; set to null")
        )
    if parsed in (UNKNOWN_DATE, OPEN_END):
        return ParsedDate(None, "unknown")
    return ParsedDate(parsed, precision)


def text_datetime(raw: str | None) -> datetime | None:
    """Parse `dd.mm.yyyy hh:mm` or ISO text into a naive local datetime; None if unparsable."""
    if raw is None or not str(raw).strip():
        return None
    match = _DOTTED.match(str(raw)) or _ISO.match(str(raw))
    if not match:
        return None
    groups = [int(g) if g else 0 for g in match.groups()]
    if match.re is _DOTTED:
        day, month, year, hour, minute, second = groups
    else:
        year, month, day, hour, minute, second = groups
    try:
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - local time as recorded
    except ValueError:
        return None


def swiss_amount(raw: str | float | int | Decimal | None) -> Decimal | None:
    """Parse an amount (`1'234.50`, `1234,50`, `-0.00`, 1234.5) into a decimal with 2 places.

    Returns None when the text is not an amount, and for 10^26 or more. Text with more
    than two decimal places (`1.234`, `12,345`) is not an amount either: it is a
    thousands group taken for decimals, or digits that rounding would drop. Numbers
    from databases are rounded to the centime (SQLite stores `money` as REAL).
    """
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    else:
        text = str(raw).strip().replace("'", "").replace("’", "").replace(" ", "")
        if not text:
            return None
        if "," in text and "." in text:
            text = (
                text.replace(".", "").replace(",", ".")
                if text.rfind(",") > text.rfind(".")
                else text.replace(",", "")
            )
        else:
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        if value.is_finite() and int(value.as_tuple().exponent) < -2:
            return None
    if not value.is_finite() or value.adjusted() >= _HUGE_EXPONENT:
        return None
    value = value.quantize(CENT, rounding=ROUND_HALF_UP, context=_ROUNDING)
    return value + Decimal("0.00") if value.is_zero() else value  # -0.00 becomes 0.00


def duration_minutes(raw: str | None) -> int | None:
    """`hh:mm` (Tutoris) or `h` to minutes; None when empty or unparsable."""
    if raw is None or not str(raw).strip():
        return None
    match = re.fullmatch(r"\s*(\d{1,3}):([0-5]\d)\s*", str(raw))
    if match:
        return int(match[1]) * 60 + int(match[2])
    return None


def hours_to_minutes(hours: Decimal | float | str | None) -> int | None:
    """KiSS durations in decimal hours (`0.75`) to whole minutes; None when not a number.

    NaN, infinities and 10^24 hours or more are None (no duration, never an exception).
    """
    if hours is None:
        return None
    try:
        value = Decimal(str(hours))
    except InvalidOperation:
        return None
    if not value.is_finite() or value.adjusted() >= _HUGE_EXPONENT - 2:
        return None
    minutes = _ROUNDING.multiply(value, Decimal(60))
    return int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_ROUNDING))


def name(raw: str | None) -> str | None:
    """Trim a name; inner double blanks collapsed; empty becomes null."""
    if raw is None:
        return None
    cleaned = " ".join(str(raw).split())
    return cleaned or None


#: What `striprtf` raises for, found in one pass that steps over escaped backslashes (an
#: escaped backslash followed by `bin` is text): `\uc` without a number, `\uN` (checked
#: for its range), `\bin` without a length.
_RTF_HAZARDS = re.compile(
    r"\\\\|\\(?P<uc>uc)(?![a-zA-Z]|-?\d)|\\u(?P<u>-?\d{1,10})|\\(?P<bin>bin)(?!\d)"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _rtf_safe(match: re.Match[str]) -> str:
    if match["uc"]:
        return "\\uc1"
    if match["bin"]:
        return "\\bin0"
    if match["u"] is not None:
        code = int(match["u"])
        code += 0x10000 if code < 0 else 0
        return match[0] if 0 <= code <= 0x10FFFF else "\\u65533"
    return match[0]


def plain_text(raw: str | None) -> str | None:
    r"""Journal text as plain text: RTF (`{\rtf1 ...}`) converted, other text kept.

    Malformed RTF never raises: a `\uc` without a number counts as `\uc1`, a `\uN`
    outside Unicode as U+FFFD, a `\bin` without a length as `\bin0`. A character beyond
    the BMP, written as two `\uN` surrogates, comes back whole; a lone surrogate becomes
    U+FFFD. RTF that `striprtf` still cannot read is kept as it is.
    """
    if raw is None:
        return None
    text = str(raw)
    if not text.lstrip().startswith("{\\rtf"):
        return text
    try:
        converted = rtf_to_text(
            _RTF_HAZARDS.sub(_rtf_safe, text), encoding="cp1252", errors="replace"
        )
    except (ValueError, OverflowError, TypeError, LookupError):
        return text  # the last resort: what striprtf still cannot read stays as it was
    if _SURROGATE.search(converted):
        converted = converted.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return converted.strip()


__all__ = [
    "Ahv",
    "AhvColumn",
    "ParsedDate",
    "Problem",
    "ahv",
    "ahv_column",
    "duration_minutes",
    "hours_to_minutes",
    "legacy_date",
    "legacy_dates",
    "name",
    "names",
    "plain_text",
    "swiss_amount",
    "text_date",
    "text_datetime",
]


def legacy_dates(values: pd.Series) -> pd.Series:
    """`legacy_date` for a column of dates: the sentinels (unknown, open end) as null."""
    days = values.astype(pd.ArrowDtype(pa.date32()))
    sentinel = days.isin([UNKNOWN_DATE, OPEN_END]).fillna(False).astype(bool)
    return days.mask(sentinel)


def names(values: pd.Series) -> pd.Series:
    """`name` for a whole column, vectorised with Arrow: trimmed, blanks collapsed, empty null."""
    array = pa.array(values, from_pandas=True)
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    blanks = pc.replace_substring_regex(array, f"[{BLANK_RE2}]+", " ")
    collapsed = pc.utf8_trim_whitespace(blanks)
    cleaned = pc.if_else(pc.equal(collapsed, ""), pa.scalar(None, pa.string()), collapsed)
    return pd.Series(cleaned, index=values.index, dtype=pd.ArrowDtype(pa.string()))


@dataclass(frozen=True)
class AhvColumn:
    """A column of AHV fields sorted into new numbers, old numbers and problems."""

    ahvn13: pd.Series
    old: pd.Series
    wrong_check_digit: np.ndarray
    wrong_format: np.ndarray


def ahv_column(values: pd.Series) -> AhvColumn:
    """`ahv` for a whole column, vectorised (same results as the scalar function)."""
    array = pa.array(values, from_pandas=True).cast(pa.string())
    compact = pc.replace_substring_regex(array, f"[{BLANK_RE2}.\\-]", "")
    compact = pc.if_else(pc.equal(compact, ""), pa.scalar(None, pa.string()), compact)
    new_shape = pc.fill_null(pc.match_substring_regex(compact, r"^756[0-9]{10}$"), False)
    old_shape = pc.fill_null(pc.match_substring_regex(compact, r"^[0-9]{11}$"), False)
    valid = ahvn13_valid_array(pc.if_else(new_shape, compact, pa.scalar(None, pa.string())))
    present = np.asarray(compact.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    new_mask = np.asarray(new_shape.to_numpy(zero_copy_only=False), dtype=bool)
    old_mask = np.asarray(old_shape.to_numpy(zero_copy_only=False), dtype=bool)
    good = new_mask & valid
    null = pa.scalar(None, pa.string())
    return AhvColumn(
        ahvn13=pd.Series(
            pc.if_else(pa.array(good), compact, null),
            index=values.index,
            dtype=pd.ArrowDtype(pa.string()),
        ),
        old=pd.Series(
            pc.if_else(pa.array(old_mask), compact, null),
            index=values.index,
            dtype=pd.ArrowDtype(pa.string()),
        ),
        wrong_check_digit=new_mask & ~valid,
        wrong_format=present & ~new_mask & ~old_mask,
    )
