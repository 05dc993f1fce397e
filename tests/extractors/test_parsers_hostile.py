"""Hostile input for every parser: only the toolkit's errors, never a silent wrong value.

Every parser of `extractors/normalise.py`, the Tutoris column parsers and address line,
and the custom extractor's cell readers and field rules get arbitrary input, and must
answer with a value, None or a `Problem` (a bad *format* of a mapping may raise
`ConfigurationError`, an `NffsError`), never with another exception. Valid values are
written the way the field writes them (`dd.mm.yyyy`, `1'234.50`, `1234,50`, `hh:mm`, AHV
numbers with dots or blanks, RTF with `\\'xx` and `\\uN?` escapes) and must read back
unchanged; vectorised forms must agree with their scalar forms. Invariants: an accepted
AHVN13 has a valid check digit, an amount has exactly two decimals, a date exists, a
duration is not negative. Expected values are computed here (the EAN-13 check digit,
the formatting), never taken from the code under test.

The end of the file holds regression tests for the defects these properties (and the
fuzz harnesses in `tests/fuzz/`) found, on the inputs that showed them: amounts and
hours too large for the decimal context, malformed RTF and characters beyond the BMP,
non-ASCII digits taken for an old AHV number, blanks that Arrow's RE2 did not know,
year 0 in a Tutoris timestamp, text amounts rounded, an empty Tutoris address, Excel
serial numbers before March 1900 and Excel times a microsecond early, integers refused
for their sign or `.0`, mojibake undone twice, and a field rule's pattern too large to
compile.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nffs_migration.errors import ConfigurationError, NffsError
from nffs_migration.extractors import normalise
from nffs_migration.extractors.custom import fieldrules
from nffs_migration.extractors.custom import values as cv
from nffs_migration.extractors.custom.fieldrules import FieldRule, convert, parse_rule
from nffs_migration.extractors.custom.yamlnodes import Problems, compose
from nffs_migration.extractors.tutoris import columns
from nffs_migration.extractors.tutoris.addresses import parse_address
from nffs_migration.intermediate_format import TABLES
from nffs_migration.intermediate_format.model import Kind
from nffs_migration.sample_data.rtf import to_rtf

FAST = settings(max_examples=200, deadline=None)
VECTOR = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

UNKNOWN_DATE = date(1900, 1, 1)
OPEN_END = date(9999, 12, 31)
SENTINELS = (UNKNOWN_DATE, OPEN_END)
#: Blanks that Python's `str.split` and RE2's `\s` (Arrow) both take for blanks.
COMMON_BLANKS = " \t\n\r\x0c"
#: Blanks for Python (`str.isspace`, `re`'s `\s`) but not for RE2's `\s`.
UNICODE_ONLY_BLANKS = (
    "\x0b\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
NON_ASCII_DIGITS = "٠١٢٣٤٥٦٧٨٩０１２３４５６７８９۳߃१"


def _py(value: Any) -> Any:
    """A cell of a pandas/Arrow column as a plain value (NA as None)."""
    return None if value is None or value is pd.NA or value is pd.NaT else value


def check_digit(first_twelve: str) -> str:
    """The EAN-13 check digit (weights 1, 3, 1, 3, ...), as eCH-0044 defines the AHVN13."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def cents(value: Decimal) -> bool:
    """True for a finite decimal with exactly two decimal places."""
    return value.is_finite() and value.as_tuple().exponent == -2


# ============================================================================================
# AHV numbers


def _ahv_text(number: str, layout: str, mark: str, outer: str) -> str:
    if layout == "dotted":  # 756.1234.5678.97
        parts = [number[:3], number[3:7], number[7:11], number[11:]]
    elif layout == "pairs":
        parts = [number[i : i + 2] for i in range(0, len(number), 2)]
    else:
        parts = [number]
    return outer + mark.join(parts) + outer


AHVN13 = st.text("0123456789", min_size=9, max_size=9).map(
    lambda nine: "756" + nine + check_digit("756" + nine)
)
LAYOUT = st.sampled_from(["dotted", "pairs", "compact"])
MARK = st.sampled_from([".", " ", "-", "", ". ", " - ", "\t", "..", "-."])
OUTER = st.sampled_from(["", " ", "  ", "\t", "\n"])
AHV_TEXTS = st.builds(_ahv_text, AHVN13, LAYOUT, MARK, OUTER)
AHV_LIKE = st.one_of(
    st.text(max_size=25),
    st.text("0123456789756.- \t\nabX", max_size=20),
    AHV_TEXTS,
    st.builds(_ahv_text, st.text("0123456789", min_size=11, max_size=11), LAYOUT, MARK, OUTER),
)


@FAST
@given(AHV_LIKE)
def test_ahv_sorts_any_text_into_one_outcome_and_a_new_number_always_checks(raw: str) -> None:
    result = normalise.ahv(raw)
    compact = "".join(ch for ch in raw if not (ch.isspace() or ch in ".-"))
    outcomes = [v for v in (result.ahvn13, result.old, result.problem) if v is not None]
    assert len(outcomes) == (1 if compact else 0)
    if result.ahvn13 is not None:
        assert re.fullmatch(r"756[0-9]{10}", result.ahvn13)
        assert result.ahvn13[-1] == check_digit(result.ahvn13[:12])
        assert result.ahvn13 == compact
    if result.old is not None:
        assert re.fullmatch(r"[0-9]{11}", result.old) and result.old == compact
    if result.problem is not None:
        assert result.problem.rule in ("ahvn13-check-digit", "ahvn13-format")
        assert not re.search(r"\d{3}", result.problem.message)  # the message holds no value


@FAST
@given(AHVN13, LAYOUT, MARK, OUTER)
def test_a_valid_ahvn13_written_with_dots_or_blanks_reads_back(
    number: str, layout: str, mark: str, outer: str
) -> None:
    assert normalise.ahv(_ahv_text(number, layout, mark, outer)).ahvn13 == number


@FAST
@given(AHVN13, st.integers(1, 9), LAYOUT, MARK)
def test_a_wrong_check_digit_is_a_problem_never_a_number(
    number: str, shift: int, layout: str, mark: str
) -> None:
    wrong = number[:12] + str((int(number[12]) + shift) % 10)
    result = normalise.ahv(_ahv_text(wrong, layout, mark, ""))
    assert result.ahvn13 is None and result.old is None
    assert result.problem is not None and result.problem.rule == "ahvn13-check-digit"


@FAST
@given(st.text("0123456789", min_size=11, max_size=11), MARK)
def test_an_old_eleven_digit_number_is_kept_as_the_old_number(digits: str, mark: str) -> None:
    written = mark.join([digits[:3], digits[3:5], digits[5:8], digits[8:]])
    assert normalise.ahv(written) == normalise.Ahv(old=digits)


AHV_COLUMN_VALUES = st.lists(
    st.one_of(
        st.none(),
        AHV_TEXTS,
        st.text("0123456789756.-abX" + COMMON_BLANKS, max_size=18),
        st.builds(_ahv_text, st.text("0123456789", min_size=11, max_size=11), LAYOUT, MARK, OUTER),
    ),
    max_size=25,
)


@VECTOR
@given(AHV_COLUMN_VALUES)
def test_ahv_column_agrees_with_ahv_on_every_value(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object, index=range(100, 100 + len(values)))
    column = normalise.ahv_column(series)
    assert list(column.ahvn13.index) == list(series.index)
    for position, raw in enumerate(values):
        one = normalise.ahv(raw)
        rule = one.problem.rule if one.problem is not None else None
        assert _py(column.ahvn13.iloc[position]) == one.ahvn13, raw
        assert _py(column.old.iloc[position]) == one.old, raw
        assert bool(column.wrong_check_digit[position]) == (rule == "ahvn13-check-digit"), raw
        assert bool(column.wrong_format[position]) == (rule == "ahvn13-format"), raw


def test_ahv_of_nothing_is_nothing() -> None:
    assert normalise.ahv(None) == normalise.ahv(pd.NA) == normalise.ahv(" .-") == normalise.Ahv()


# ============================================================================================
# dates and timestamps (normalise)


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    """Texts shaped like the field's dates, mostly almost right."""
    day, month = draw(st.integers(0, 39)), draw(st.integers(0, 19))
    year = draw(st.one_of(st.integers(0, 9999), st.sampled_from([1900, 9999, 1984, 2020])))
    shape = draw(st.sampled_from(["dotted", "short", "iso", "slash"]))
    text = {
        "dotted": f"{day:02d}.{month:02d}.{year:04d}",
        "short": f"{day}.{month}.{year}",
        "iso": f"{year:04d}-{month:02d}-{day:02d}",
        "slash": f"{day:02d}/{month:02d}/{year:04d}",
    }[shape]
    if draw(st.booleans()):
        text += f"{draw(st.sampled_from([' ', 'T', '  ']))}{draw(st.integers(0, 29)):02d}"
        text += f":{draw(st.integers(0, 69)):02d}"
        if draw(st.booleans()):
            text += f":{draw(st.integers(0, 69)):02d}"
    pad = draw(st.sampled_from(["", " ", "\t", "\u00a0", "x"]))
    return pad + text + draw(st.sampled_from(["", " ", "\n", ".5"]))


def _check_parsed_date(parsed: normalise.ParsedDate) -> None:
    if parsed.value is None:
        assert parsed.precision == "unknown"
        assert parsed.problem is None or parsed.problem.rule in ("date-format", "date-impossible")
        return
    assert type(parsed.value) is date and parsed.problem is None
    assert parsed.value not in SENTINELS
    assert parsed.precision in ("day", "month", "year")
    if parsed.precision in ("month", "year"):
        assert parsed.value.day == 1
    if parsed.precision == "year":
        assert parsed.value.month == 1


@FAST
@given(st.one_of(st.none(), st.text(max_size=30), date_texts()))
def test_text_date_gives_a_real_date_or_a_reason_for_any_text(raw: str | None) -> None:
    _check_parsed_date(normalise.text_date(raw))


REAL_DATES = st.dates(date(1, 1, 1), date(9999, 12, 31)).filter(lambda d: d not in SENTINELS)


def _written(day: date, layout: str) -> str:
    return {
        "dd.mm.yyyy": f"{day.day:02d}.{day.month:02d}.{day.year:04d}",
        "d.m.yyyy": f"{day.day}.{day.month}.{day.year:04d}",
        "iso": day.isoformat(),
        "dd.mm.yyyy hh:mm": f"{day.day:02d}.{day.month:02d}.{day.year:04d} 10:30",
        "iso time": f"{day.isoformat()}T23:59:59.123",
    }[layout]


@FAST
@given(
    REAL_DATES,
    st.sampled_from(["dd.mm.yyyy", "d.m.yyyy", "iso", "dd.mm.yyyy hh:mm", "iso time"]),
    OUTER,
)
def test_a_date_written_as_the_field_writes_it_reads_back(day: date, layout: str, pad: str) -> None:
    assert normalise.text_date(pad + _written(day, layout) + pad) == normalise.ParsedDate(day)


# 1900 is left out: `00.00.1900` and `00.01.1900` fall on the "unknown" sentinel.
YEARS = st.integers(1, 9999).filter(lambda y: y != 1900)


@FAST
@given(YEARS, st.integers(1, 12))
def test_unknown_day_or_month_keep_their_precision(year: int, month: int) -> None:
    assert normalise.text_date(f"00.00.{year:04d}") == normalise.ParsedDate(
        date(year, 1, 1), "year"
    )
    expected = normalise.ParsedDate(date(year, month, 1), "month")
    if expected.value in SENTINELS:
        return
    assert normalise.text_date(f"00.{month:02d}.{year:04d}") == expected


@FAST
@given(st.integers(1, 99), st.integers(1, 99), st.integers(0, 9999))
def test_a_date_that_does_not_exist_is_null_and_says_so(day: int, month: int, year: int) -> None:
    try:
        real = date(year, month, day)
    except ValueError:
        real = None
    parsed = normalise.text_date(f"{day:02d}.{month:02d}.{year:04d}")
    if real is None:
        assert parsed.value is None and parsed.problem is not None
        assert parsed.problem.rule == "date-impossible"
    elif real in SENTINELS:
        assert parsed == normalise.ParsedDate(None, "unknown")
    else:
        assert parsed == normalise.ParsedDate(real)


@FAST
@given(st.one_of(st.none(), st.text(max_size=30), date_texts()))
def test_text_datetime_gives_a_naive_datetime_or_none(raw: str | None) -> None:
    value = normalise.text_datetime(raw)
    assert value is None or (type(value) is datetime and value.tzinfo is None)


MOMENTS = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)).map(  # noqa: DTZ001
    lambda moment: moment.replace(microsecond=0)
)


@FAST
@given(MOMENTS, st.sampled_from(["dd.mm.yyyy hh:mm", "dd.mm.yyyy hh:mm:ss", "iso", "iso T"]))
def test_a_timestamp_written_as_the_field_writes_it_reads_back(
    moment: datetime, layout: str
) -> None:
    d, t = moment, moment
    text = {
        "dd.mm.yyyy hh:mm": f"{d.day:02d}.{d.month:02d}.{d.year:04d} {t.hour:02d}:{t.minute:02d}",
        "dd.mm.yyyy hh:mm:ss": f"{d.day}.{d.month}.{d.year:04d} {t.hour}:{t:%M:%S}",
        "iso": f"{d.year:04d}-{d.month:02d}-{d.day:02d} {t:%H:%M:%S}",
        "iso T": f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{t:%H:%M:%S}",
    }[layout]
    expected = moment.replace(second=0) if layout == "dd.mm.yyyy hh:mm" else moment
    assert normalise.text_datetime(text) == expected


@FAST
@given(st.one_of(st.none(), st.dates(), st.datetimes()))
def test_legacy_date_is_the_date_part_with_the_sentinels_null(value: date | None) -> None:
    result = normalise.legacy_date(value)
    day = value.date() if isinstance(value, datetime) else value
    assert result == (None if day is None or day in SENTINELS else day)
    assert result is None or type(result) is date
    assert normalise.legacy_date(value, open_end=True) == result


# ============================================================================================
# amounts


AMOUNTS = st.decimals(
    min_value=Decimal("-9999999999.99"),
    max_value=Decimal("9999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def _apostrophes(value: Decimal, mark: str = "'") -> str:
    whole, fraction = f"{abs(value):.2f}".split(".")
    return ("-" if value < 0 else "") + f"{int(whole):,}".replace(",", mark) + "." + fraction


def _comma(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


@FAST
@given(
    AMOUNTS,
    st.sampled_from(["1'234.50", "1’234.50", "1234,50", "1234.50", "1234.5"]),
    OUTER,
)
def test_an_amount_written_as_the_field_writes_it_reads_back_exactly(
    value: Decimal, layout: str, pad: str
) -> None:
    text = {
        "1'234.50": _apostrophes(value),
        "1’234.50": _apostrophes(value, "’"),
        "1234,50": _comma(value),
        "1234.50": f"{value:.2f}",
        "1234.5": f"{value:.2f}".rstrip("0"),
    }[layout]
    result = normalise.swiss_amount(pad + text + pad)
    assert result == value and cents(result)
    if value.is_zero():
        assert str(result) == "0.00"  # -0.00 becomes 0.00


AMOUNT_LIKE = st.one_of(
    st.text(max_size=20),
    st.text("0123456789'’,. -+eE_", max_size=32),
    AMOUNTS.map(_apostrophes),
    st.sampled_from(["-0.00", "NaN", "sNaN", "-Infinity", "1'2'3", "1.2,3", "'", ",", "."]),
)


@FAST
@given(AMOUNT_LIKE)
def test_swiss_amount_of_any_text_is_none_or_exactly_two_decimals(raw: str) -> None:
    result = normalise.swiss_amount(raw)
    assert result is None or cents(result)


@FAST
@given(
    st.one_of(
        st.integers(-(10**25), 10**25),
        st.floats(-1e24, 1e24),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
    )
)
def test_swiss_amount_of_a_database_number_is_within_half_a_centime(
    number: float | int | Decimal,
) -> None:
    result = normalise.swiss_amount(number)
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    if not exact.is_finite() or abs(exact) >= Decimal("1e26"):
        assert result is None  # not a number, or beyond any amount (10^26 and more)
        return
    assert result is not None and cents(result)
    assert abs(result - exact) <= Decimal("0.005")


# ============================================================================================
# durations


@FAST
@given(
    st.one_of(
        st.none(),
        st.text(max_size=12),
        st.builds(
            lambda h, m, pad: f"{pad}{h}:{m:02d}{pad}",
            st.integers(0, 99999),
            st.integers(0, 120),
            st.sampled_from(["", " ", "\t"]),
        ),
    )
)
def test_duration_minutes_of_any_text_is_none_or_not_negative(raw: str | None) -> None:
    minutes = normalise.duration_minutes(raw)
    if minutes is None:
        return
    assert isinstance(minutes, int) and minutes >= 0
    hours, _, rest = str(raw).strip().partition(":")
    assert 0 <= int(rest) < 60 and minutes == int(hours) * 60 + int(rest)


@FAST
@given(st.integers(0, 999), st.integers(0, 59), st.sampled_from(["{h:02d}:{m:02d}", "{h}:{m:02d}"]))
def test_hh_mm_reads_back_as_minutes(hours: int, minutes: int, layout: str) -> None:
    assert normalise.duration_minutes(layout.format(h=hours, m=minutes)) == hours * 60 + minutes
    assert normalise.duration_minutes(f"{hours}:{minutes + 60}") is None


@FAST
@given(
    st.one_of(
        st.none(),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
    )
)
def test_hours_to_minutes_never_raises_and_keeps_the_sign(hours: Any) -> None:
    minutes = normalise.hours_to_minutes(hours)
    if minutes is None:
        return
    exact = Decimal(str(hours)) * 60
    assert isinstance(minutes, int) and abs(minutes - exact) <= Decimal("0.5")
    # A negative duration passes through: the format's minimum of 0 reports it.
    assert (minutes >= 0) == (exact >= 0) or minutes == 0


@FAST
@given(st.integers(0, 4 * 24 * 7), st.sampled_from([str, float, Decimal]))
def test_quarter_hours_become_exact_minutes(quarters: int, kind: type) -> None:
    hours = kind(str(Decimal(quarters) / 4)) if kind is not float else quarters / 4
    assert normalise.hours_to_minutes(hours) == quarters * 15


# ============================================================================================
# names


@FAST
@given(st.one_of(st.none(), st.text(max_size=40)))
def test_name_trims_collapses_and_keeps_every_word(raw: str | None) -> None:
    result = normalise.name(raw)
    if raw is None or not raw.split():
        assert result is None
        return
    assert result is not None
    assert result.split() == raw.split() and result == " ".join(result.split())
    assert normalise.name(result) == result


NAME_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=UNICODE_ONLY_BLANKS),
    max_size=20,
)


@VECTOR
@given(st.lists(st.one_of(st.none(), NAME_TEXT, st.sampled_from(["", " ", " a  b "])), max_size=20))
def test_names_agrees_with_name_on_every_value(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object, index=range(7, 7 + len(values)))
    result = normalise.names(series)
    assert list(result.index) == list(series.index)
    assert [_py(v) for v in result.tolist()] == [normalise.name(v) for v in values]


# ============================================================================================
# RTF journal texts


def rtf_of(text: str, style: str) -> str:
    r"""RTF as Word and the RichEdit control write it: `\'xx` (Windows-1252) or `\uN?`."""
    out = [r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}\uc1\pard\f0\fs20 "]
    for index, char in enumerate(text):
        code = ord(char)
        if char in "\\{}":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\par ")
        elif char == "\t":
            out.append("\\tab ")
        elif 32 <= code < 127:
            out.append(char)
        else:
            try:
                byte = char.encode("cp1252")
            except UnicodeEncodeError:
                byte = b""
            hexed = style == "hex" or (style == "mixed" and index % 2 == 0)
            if len(byte) == 1 and hexed:
                out.append(f"\\'{byte[0]:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code - 0x10000 if code > 0x7FFF else code}?")
            else:  # a surrogate pair, each half a signed 16-bit number
                high = 0xD800 + ((code - 0x10000) >> 10)
                low = 0xDC00 + ((code - 0x10000) & 0x3FF)
                out.append(f"\\u{high - 0x10000}?\\u{low - 0x10000}?")
    out.append("\\par }")
    return "".join(out)


BMP_TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"), max_codepoint=0xFFFF),
        st.sampled_from(list("äöüÄÖÜéèàçœ€«»–’\\{}\n\t ")),
    ),
    max_size=60,
)


@FAST
@given(BMP_TEXT, st.sampled_from(["hex", "unicode", "mixed"]))
def test_rtf_written_from_any_text_gives_the_text_back(text: str, style: str) -> None:
    assert normalise.plain_text(rtf_of(text, style)) == text.strip()


@FAST
@given(
    st.text(
        st.characters(
            blacklist_categories=("Cs", "Cc", "Co", "Cn"),
            max_codepoint=0xFFFF,
            whitelist_characters="\n\t",
        ),
        max_size=60,
    )
)
def test_rtf_of_the_sample_generator_gives_the_text_back(text: str) -> None:
    assert normalise.plain_text(to_rtf(text)) == text.strip()


RTF_NOISE = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "\\par ",
                "\\uc1 ",
                "\\uc0 ",
                "\\uc ",
                "\\u252?",
                "\\u-10179?",
                "\\u-8704?",
                "\\u99999?",
                "\\u-99999?",
                "\\'fc",
                "\\'zz",
                "{",
                "}",
                "\\*",
                "{\\pict ",
                "\\bin ",
                "\\bin3 ",
                "\\ansicpg1252 ",
                "\\ansicpg65001 ",
                "\\ansicpg0 ",
                "{\\fonttbl{\\f0\\fcharset0 Arial;}}",
                "{\\fonttbl{\\f1\\fcharset999 X;}}\\f1 ",
                "\\\\",
                "\\{",
                "\\}",
                "HYPERLINK ",
                '{\\field{\\*\\fldinst HYPERLINK "x"}{\\fldrslt y}}',
            ]
        ),
        st.text(max_size=5),
    ),
    max_size=20,
).map(lambda parts: "{\\rtf1 " + "".join(parts))


@FAST
@given(st.one_of(RTF_NOISE, st.text(max_size=40), st.text(max_size=30).map("{\\rtf1 ".__add__)))
def test_plain_text_of_any_text_is_text(raw: str) -> None:
    result = normalise.plain_text(raw)
    assert isinstance(result, str)
    if not raw.lstrip().startswith("{\\rtf"):
        assert result == raw  # text that is not RTF is kept as it is
        return
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in result)  # no lone surrogate
    pa.array([result])  # what the package writer does with it


def test_plain_text_of_nothing_is_nothing() -> None:
    assert normalise.plain_text(None) is None


# ============================================================================================
# Tutoris: columns


@VECTOR
@given(st.lists(st.one_of(st.none(), date_texts(), st.text(max_size=12)), max_size=25))
def test_tutoris_dates_agree_with_text_date_on_every_value(values: list[str | None]) -> None:
    parsed = columns.dates(columns.text(values))
    for position, raw in enumerate(values):
        one = normalise.text_date(raw)
        rule = one.problem.rule if one.problem is not None else None
        assert _py(parsed.values.iloc[position]) == one.value, raw
        assert parsed.precision.iloc[position] == one.precision, raw
        assert bool(parsed.impossible[position]) == (rule == "date-impossible"), raw
        assert bool(parsed.unreadable[position]) == (rule == "date-format"), raw


@st.composite
def timestamp_texts(draw: st.DrawFn) -> str:
    day, month = draw(st.integers(0, 35)), draw(st.integers(0, 14))
    year = draw(st.one_of(st.integers(0, 9999), st.sampled_from([2026, 1900, 9999])))
    hour, minute = draw(st.integers(0, 25)), draw(st.integers(0, 61))
    if draw(st.booleans()):
        text = f"{day:02d}.{month:02d}.{year:04d} {hour:02d}:{minute:02d}"
    else:
        text = f"{day}.{month}.{year} {hour}:{minute:02d}"
    return draw(OUTER) + text + draw(OUTER)


def _micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1)  # noqa: DTZ001


@VECTOR
@given(st.lists(st.one_of(st.none(), timestamp_texts(), st.text(max_size=18)), max_size=20))
def test_tutoris_timestamps_agree_with_text_datetime_on_every_value(
    values: list[str | None],
) -> None:
    result, unreadable = columns.timestamps(columns.text(values))
    # Compared as microseconds: a value Python cannot hold must still be seen.
    got = pc.cast(pa.array(result), pa.int64()).to_pylist()
    for position, raw in enumerate(values):
        expected = normalise.text_datetime(raw)
        want = None if expected is None else _micros(expected)
        assert got[position] == want, raw
        blank = raw is None or not raw.strip()
        assert bool(unreadable[position]) == (not blank and expected is None), raw


@VECTOR
@given(st.lists(st.one_of(st.none(), AMOUNT_LIKE, AMOUNTS.map(_comma)), max_size=20))
def test_tutoris_amounts_agree_with_swiss_amount_and_fit_the_column(
    values: list[str | None],
) -> None:
    result, unreadable = columns.amounts(columns.text(values))
    for position, raw in enumerate(values):
        value = _py(result.iloc[position])
        expected = normalise.swiss_amount(raw) if raw is not None else None
        if expected is not None and abs(expected) > columns.MAX_AMOUNT:
            expected = None
        assert value == expected, raw
        assert value is None or (cents(value) and abs(value) <= columns.MAX_AMOUNT)
        blank = raw is None or not raw.strip()
        assert bool(unreadable[position]) == (not blank and expected is None), raw


@VECTOR
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=8),
            st.builds("{}:{:02d}".format, st.integers(0, 1200), st.integers(0, 99)),
        ),
        max_size=20,
    )
)
def test_tutoris_durations_agree_with_duration_minutes(values: list[str | None]) -> None:
    minutes, unreadable = columns.durations(columns.text(values))
    for position, raw in enumerate(values):
        expected = normalise.duration_minutes(raw)
        assert _py(minutes.iloc[position]) == expected, raw
        blank = raw is None or not raw.strip()
        assert bool(unreadable[position]) == (not blank and expected is None), raw


#: Text as a German, French or Italian clerk types it.
CLEAN_TEXT = st.text(
    st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-'/()&")
        + list("äöüÄÖÜéèêàâçëïîôûùÉÈÀÇßñ€«»–’")
    ),
    max_size=30,
)
#: A UTF-8 sequence among a text's Windows-1252 bytes. In a sequence led by E0-E3, ftfy
#: also takes a blank for the no-break space (A0) it may once have been.
UTF8_IN_CP1252 = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xe3](?:[\x80-\xbf][\x80-\xbf ]|[ ][\x80-\xbf])"
    rb"|[\xe4-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _reads_as_mojibake(text: str) -> bool:
    """True for a text that is also UTF-8 read as Windows-1252 (`Ä«` is the UTF-8 of `ī`)."""
    return bool(UTF8_IN_CP1252.search(text.encode("cp1252")))


@VECTOR
@given(
    st.lists(st.one_of(st.none(), CLEAN_TEXT), max_size=12), st.sampled_from(["latin-1", "cp1252"])
)
def test_mojibake_is_undone_and_clean_text_left_alone(texts: list[str | None], wrong: str) -> None:
    garbled = [
        None
        if t is None
        else t.encode("utf-8").decode(wrong, errors="strict")
        if wrong == "latin-1" or _cp1252_decodable(t)
        else t
        for t in texts
    ]
    # A clean text that reads as mojibake itself is ambiguous: nothing tells `Ä«a` typed
    # from `īa` written in UTF-8 and read as Latin-1, so ftfy may take it for mojibake.
    # Such texts are left out of the clean half (their garbled form is still checked).
    clean = [t for t in texts if t is None or not _reads_as_mojibake(t)]
    fixed, changed = columns.repair_encoding(columns.text(garbled + clean))
    result = [_py(v) for v in fixed.tolist()]
    assert result == texts + clean  # garbled texts repaired (once), clean ones kept
    repaired = [g != t for g, t in zip(garbled, texts, strict=True)]
    assert list(changed) == repaired + [False] * len(clean)


def _cp1252_decodable(text: str) -> bool:
    try:
        text.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


@VECTOR
@given(st.lists(st.one_of(st.none(), st.text(max_size=10)), max_size=15))
def test_blank_texts_become_null_and_others_stay_as_they_are(values: list[str | None]) -> None:
    result = [_py(v) for v in columns.blank_to_null(columns.text(values)).tolist()]
    assert result == [None if v is None or not v.strip() else v for v in values]
    flags = [_py(v) for v in columns.flags(columns.text(values)).tolist()]
    assert flags == [{"1": True, "0": False}.get(v) if v is not None else None for v in values]


# ============================================================================================
# Tutoris: the address line


STREETS = st.sampled_from(
    [
        "Bahnhofstrasse",
        "Obere Hauptgasse",
        "Rue de la Gare",
        "Rue du 23-Juin",
        "St. Galler-Strasse",
        "Chemin de l'Église",
        "Via S. Gottardo",
        "Äussere Ringstr.",
        "c/o Muster, Bahnhofplatz",
    ]
)
HOUSE_NUMBERS = st.sampled_from(["12", "78c", "12-14", "5/7", "12 b", "3 - 5", "1a-1c", "0"])
TOWNS = st.sampled_from(["Thun", "Biel/Bienne", "St. Gallen", "La Chaux-de-Fonds", "Zürich 1"])


@FAST
@given(
    STREETS,
    st.one_of(st.none(), HOUSE_NUMBERS),
    st.integers(1000, 99999),
    TOWNS,
    st.sampled_from([" ", "  ", "\t", "\u00a0", " \u3000"]),
)
def test_an_address_line_written_with_any_blanks_gives_back_its_parts(
    street: str, number: str | None, postal: int, town: str, blank: str
) -> None:
    def spaced(text: str) -> str:
        return text.replace(" ", blank)

    line = spaced(street) + (blank + spaced(number) if number else "")
    line = f"{blank}{line}{blank},{blank}{postal}{blank}{spaced(town)}{blank}"
    parsed = parse_address(line)
    assert (parsed.street, parsed.house_number, parsed.postal_code, parsed.town) == (
        street,
        number,
        str(postal),
        town,
    )


@FAST
@given(
    st.one_of(
        st.text(max_size=40), st.from_regex(r"\A[^,]{0,20}[0-9a-c /-]{0,6},[ 0-9]{0,7}.{0,8}\Z")
    )
)
def test_the_parts_of_any_address_line_are_trimmed_and_well_formed(line: str) -> None:
    parsed = parse_address(line)
    parts = (parsed.street, parsed.house_number, parsed.postal_code, parsed.town)
    for part in parts:
        assert part is None or (part and part == " ".join(part.split()))
    if parsed.postal_code is not None:
        assert re.fullmatch(r"[0-9]{4,5}", parsed.postal_code)
        assert parsed.street is not None and parsed.town is not None
    if parsed.house_number is not None:
        assert parsed.postal_code is not None
        assert re.fullmatch(r"[0-9]+ ?[A-Za-z]?(?: ?[-/] ?[0-9]+ ?[A-Za-z]?)?", parsed.house_number)


# ============================================================================================
# custom: cells, dates, amounts, integers, booleans


CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=True, allow_infinity=True),
)


@FAST
@given(CELLS)
def test_cell_text_is_trimmed_text_or_none_for_every_kind_of_cell(cell: Any) -> None:
    text = cv.cell_text(cell)
    assert text is None or (isinstance(text, str) and text and text == text.strip())
    assert cv.is_blank(cell) == (text is None)
    if isinstance(cell, bool):
        assert text == ("1" if cell else "0")
    elif isinstance(cell, int):
        assert text == str(cell)
    elif isinstance(cell, float) and cell == cell and cell.is_integer():
        assert text == str(int(cell))  # 3.0 is "3", as a clerk typed it


DATE_FORMATS = ["DD.MM.YYYY", "YYYY-MM-DD", "MM.YYYY", "YYYY", "DD.MM.YYYY hh:mm", "excel"]


@FAST
@given(
    CELLS,
    st.lists(st.sampled_from(DATE_FORMATS), min_size=1, max_size=3),
    st.booleans(),
    st.booleans(),
)
def test_parse_date_gives_a_real_date_or_a_reason_for_any_cell(
    cell: Any, formats: list[str], timestamp: bool, last_day: bool
) -> None:
    compiled = tuple(cv.date_format(f) for f in formats)
    parsed = cv.parse_date(cell, compiled, timestamp=timestamp, last_day=last_day)
    if parsed.value is None:
        assert parsed.problem in (None, "date-format", "date-impossible")
        return
    assert parsed.problem is None and parsed.precision in ("day", "month", "year")
    if timestamp:
        assert type(parsed.value) is datetime and parsed.value.tzinfo is None
        day = parsed.value.date()
    else:
        assert type(parsed.value) is date
        day = parsed.value
    assert day not in SENTINELS


@FAST
@given(REAL_DATES.filter(lambda d: d.year != 1900))
def test_dates_written_in_each_format_read_back_with_their_precision(day: date) -> None:
    written = {
        "DD.MM.YYYY": (f"{day.day:02d}.{day.month:02d}.{day.year:04d}", day, "day"),
        "YYYY-MM-DD": (day.isoformat(), day, "day"),
        "MM.YYYY": (f"{day.month:02d}.{day.year:04d}", day.replace(day=1), "month"),
        "YYYY": (f"{day.year:04d}", day.replace(month=1, day=1), "year"),
    }
    for fmt, (text, expected, precision) in written.items():
        parsed = cv.parse_date(text, (cv.date_format(fmt),))
        if expected in SENTINELS:
            continue
        assert (parsed.value, parsed.precision) == (expected, precision), (fmt, text)
    month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if month_end not in SENTINELS:
        last = cv.parse_date(written["MM.YYYY"][0], (cv.date_format("MM.YYYY"),), last_day=True)
        assert last.value == month_end
    unknown_day = cv.parse_date(
        f"00.{day.month:02d}.{day.year:04d}", (cv.date_format("DD.MM.YYYY"),)
    )
    if day.replace(day=1) not in SENTINELS:
        assert (unknown_day.value, unknown_day.precision) == (day.replace(day=1), "month")


@FAST
@given(MOMENTS.filter(lambda m: m.date() not in SENTINELS))
def test_timestamps_written_in_the_default_formats_read_back(moment: datetime) -> None:
    formats = tuple(cv.date_format(f) for f in ("DD.MM.YYYY hh:mm:ss", "YYYY-MM-DD hh:mm"))
    dotted = f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d} {moment:%H:%M:%S}"
    assert cv.parse_date(dotted, formats, timestamp=True).value == moment
    iso = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment:%H:%M}"
    assert cv.parse_date(iso, formats, timestamp=True).value == moment.replace(second=0)
    assert cv.parse_date(moment, formats, timestamp=True).value == moment  # a real date cell


EXCEL = (cv.date_format("excel"),)


@FAST
@given(st.dates(date(1900, 3, 1), date(9999, 12, 30)), st.integers(0, 1439))
def test_excel_serial_numbers_from_march_1900_read_back(day: date, minute: int) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert cv.parse_date(serial, EXCEL).value == (None if day in SENTINELS else day)
    moment = datetime.combine(day, time()) + timedelta(minutes=minute)
    assert cv.parse_date(serial + minute / 1440, EXCEL, timestamp=True).value == moment


AMOUNT_FORMATS = list(cv.AMOUNT_FORMATS)


@FAST
@given(
    st.one_of(CELLS, AMOUNT_LIKE),
    st.lists(st.sampled_from(AMOUNT_FORMATS), min_size=1, max_size=3),
)
def test_parse_amount_is_none_or_an_exact_amount_below_ten_billion(
    cell: Any, formats: list[str]
) -> None:
    result = cv.parse_amount(cell, tuple(formats))
    if result is None:
        return
    assert cents(result) and abs(result) < Decimal("1e10")
    if isinstance(cell, str):
        # Text is never rounded: its digits are the amount's digits.
        digits = re.sub(r"[^0-9\-,.'’]", "", cell.strip())
        mark = "," if re.search(r",\d{1,2}$", digits) else "."
        plain = re.sub(r"[^0-9\-" + re.escape(mark) + "]", "", digits).replace(mark, ".")
        assert result == Decimal(plain)


@FAST
@given(st.one_of(CELLS, st.from_regex(r"\A[+-]?[0-9]{1,20}(\.0*)?\Z")))
def test_parse_integer_is_an_int_or_none(cell: Any) -> None:
    number = cv.parse_integer(cell)
    assert number is None or type(number) is int
    if isinstance(cell, str) and number is not None:
        assert number == int(cell.strip().split(".")[0])


@FAST
@given(st.integers(-(10**17), 10**17), st.sampled_from(["{}", "+{}", "{}.0", " {} ", "{}.00"]))
def test_integers_written_as_text_read_back(number: int, layout: str) -> None:
    text = layout.format(number)
    if text.strip().startswith("+-"):
        return
    assert cv.parse_integer(text) == number


@FAST
@given(
    st.sampled_from(["1", "true", "wahr", "0", "false", "falsch"]),
    st.sampled_from([str.lower, str.upper, str.title]),
    OUTER,
)
def test_booleans_read_back_in_any_case(word: str, case: Any, pad: str) -> None:
    expected = word in ("1", "true", "wahr")
    assert cv.parse_boolean(pad + case(word) + pad) is expected
    assert cv.parse_boolean(expected) is expected


@FAST
@given(CELLS)
def test_parse_boolean_is_a_bool_or_none(cell: Any) -> None:
    assert cv.parse_boolean(cell) in (True, False, None)


@FAST
@given(st.text(max_size=12))
def test_an_unknown_amount_format_is_the_toolkits_error(text: str) -> None:
    try:
        assert cv.check_amount_format(text) in cv.AMOUNT_FORMATS
    except ConfigurationError as exc:
        assert isinstance(exc, NffsError)


# ============================================================================================
# custom: field rules


MAPPED = [(t.name, c) for t in TABLES.values() for c in t.columns if not c.lineage]
YAML_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=15),
        st.sampled_from(["07.03.1984", "2020-01-01", "1'234.50", "lead", "1", "true", "last"]),
        st.dates(),
        st.datetimes(),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@FAST
@given(st.sampled_from(MAPPED), YAML_VALUES, st.lists(st.sampled_from(AMOUNT_FORMATS), max_size=2))
def test_convert_gives_a_value_of_the_fields_type_or_says_no(
    target: tuple[str, Any], raw: Any, amounts: list[str]
) -> None:
    table, column = target
    rule = FieldRule(table, column.name, column, 1)
    rule.amount_formats = tuple(amounts)
    ok, value = convert(rule, raw)
    assert ok in (True, False)
    if raw is None:
        assert (ok, value) == (True, None)
        return
    if not ok:
        return
    kind = column.kind
    if kind is Kind.CODE:
        assert value in rule.codes
    elif kind is Kind.INTEGER_LIST:
        assert isinstance(value, list) and all(type(n) is int for n in value)
    else:
        expected = {
            Kind.STRING: str,
            Kind.BOOLEAN: bool,
            Kind.INTEGER: int,
            Kind.MONEY: Decimal,
            Kind.DATE: date,
            Kind.TIMESTAMP: datetime,
        }[kind]
        assert isinstance(value, expected), (kind, value)
        if kind is Kind.MONEY:
            assert cents(value)


RULE_KEYS = [*fieldrules.RULE_KEYS, "colour"]  # and a key no field rule knows
RULE_VALUES = st.one_of(
    YAML_VALUES,
    st.sampled_from(
        [
            "Name",
            "'; DROP TABLE persons; --",
            "../../etc/passwd",
            "(",
            "(?P<x>",
            r"^(\d{4})\s",
            "a{99999999999}",
            "DD.MM.YYYY",
            "MM.YYYY",
            "excel",
            "YYYY-YYYY",
            "hh:mm",
            "1234,50",
            ["DD.MM.YYYY", "excel"],
            ["1'234.50", "1.234,50"],
            "geschlecht",
            "birth_date",
            True,
        ]
    ),
)


@FAST
@given(
    st.sampled_from(MAPPED), st.dictionaries(st.sampled_from(RULE_KEYS), RULE_VALUES, max_size=4)
)
def test_any_field_rule_gives_a_rule_or_problems_never_an_exception(
    target: tuple[str, Any], entries: dict[str, Any]
) -> None:
    table, column = target
    text = yaml.safe_dump({"rule": entries}, allow_unicode=True)
    problems = Problems()
    root = compose(text, problems)
    assume(root is not None)
    node = dict((key, value) for key, _, value in root.items())["rule"]
    rule = parse_rule(table, column.name, column, node, problems, f"tables.{table}.fields.x")
    errors = problems.errors
    if rule is None:
        assert errors
        return
    if not errors:
        sources = [k for k in ("column", "value", "precision_of", "parent_key") if k in entries]
        assert len(sources) == 1
        if "column" in entries:
            assert rule.source_column == str(entries["column"]).strip()
        if rule.has_value:
            assert rule.value is not None
    for problem in problems.items:
        assert problem.line >= 1 and problem.message


# ============================================================================================
# regressions: the inputs that once crashed a parser or gave a wrong value


@pytest.mark.parametrize("raw", ["1e30", "9" * 27, 1e300, 10**30])
def test_a_huge_amount_is_none_not_a_crash(raw: Any) -> None:
    # Rounding to the centime needs more digits than the decimal context's 28.
    assert normalise.swiss_amount(raw) is None


def test_a_huge_tutoris_amount_is_unreadable_and_the_column_is_read() -> None:
    values, unreadable = columns.amounts(columns.text(["1'031.00", "1e30"]))
    assert unreadable.tolist() == [False, True]
    assert _py(values.iloc[0]) == Decimal("1031.00") and _py(values.iloc[1]) is None


@pytest.mark.parametrize("hours", ["NaN", float("nan"), Decimal("Infinity"), "sNaN", "1e30"])
def test_a_duration_that_is_not_a_finite_number_is_none_not_a_crash(hours: Any) -> None:
    assert normalise.hours_to_minutes(hours) is None


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("{\\rtf1 \\uc x}", "x"),  # \uc without a number
        ("{\\rtf1 \\u9999999999? x}", "\ufffd x"),  # \uN beyond Unicode
        ("{\\rtf1 \\u-99999? x}", "\ufffd x"),
        ("{\\rtf1 {\\pict \\bin x}}", ""),  # \bin without a length
        ("{\\rtf1 a\\\\bin b}", "a\\bin b"),  # an escaped backslash: text, left alone
        ("{\\rtf1 a\\\\uc b}", "a\\uc b"),
    ],
)
def test_malformed_rtf_is_text_not_a_crash(raw: str, text: str) -> None:
    assert normalise.plain_text(raw) == text


@pytest.mark.parametrize("text", ["Smiley 😀 ok", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Flagge 🇨🇭"])
def test_characters_beyond_the_bmp_come_back_whole_from_rtf(text: str) -> None:
    # RTF writes them as two `\uN?` surrogates; Arrow refuses a lone surrogate.
    result = normalise.plain_text(rtf_of(text, "unicode"))
    assert result == text
    pa.array([result])  # what the package writer does with it


def test_a_lone_surrogate_in_rtf_becomes_the_replacement_character() -> None:
    result = normalise.plain_text("{\\rtf1 a\\u-10179?b}")
    assert result == "a\ufffdb"
    pa.array([result])


@pytest.mark.parametrize("raw", ["١٢٣٤٥٦٧٨٩٠١", "１２３４５６７８９０１", "1234567890²"])
def test_an_old_ahv_number_is_ascii_digits(raw: str) -> None:
    result = normalise.ahv(raw)
    assert result.old is None and result.problem is not None
    assert result.problem.rule == "ahvn13-format"
    column = normalise.ahv_column(pd.Series([raw], dtype=object))
    assert _py(column.old.iloc[0]) is None and bool(column.wrong_format[0])


@pytest.mark.parametrize("blank", ["\xa0", "\x0b", "\u2003", "\u3000", "\x1c"])
def test_vectorised_and_scalar_parsers_take_the_same_characters_for_blanks(blank: str) -> None:
    raw_name = f"Anna{blank}{blank}Maria"
    assert normalise.names(pd.Series([raw_name], dtype=object)).iloc[0] == normalise.name(raw_name)
    raw_ahv = blank.join(["756", "1234", "5678", "97"])
    column = normalise.ahv_column(pd.Series([raw_ahv], dtype=object))
    assert _py(column.ahvn13.iloc[0]) == normalise.ahv(raw_ahv).ahvn13 == "7561234567897"


def test_year_zero_is_an_unreadable_timestamp() -> None:
    # Arrow's strptime reads year 0, which no Python datetime and no PostgreSQL holds.
    values, unreadable = columns.timestamps(columns.text(["01.01.0000 00:00", "12.01.2026 09:30"]))
    assert unreadable.tolist() == [True, False]
    assert values.isna().tolist() == [True, False]


@pytest.mark.parametrize("raw", ["1.234", "12,345", "0.005", "1'234.567"])
def test_text_with_more_than_two_decimals_is_not_an_amount(raw: str) -> None:
    # `1.234` is a thousands group or a digit too many: never rounded to 1.23.
    assert normalise.swiss_amount(raw) is None


def test_a_database_number_with_more_decimals_is_still_rounded_to_the_centime() -> None:
    assert normalise.swiss_amount(Decimal("12.3450")) == Decimal("12.35")
    assert normalise.swiss_amount(0.1 + 0.2) == Decimal("0.30")


def test_an_empty_address_line_is_an_address_without_parts() -> None:
    assert parse_address(pd.NA) == parse_address(None) == parse_address(" ")


def test_an_empty_address_does_not_stop_a_tutoris_extraction(tmp_path: Path) -> None:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.run import extract_package
    from nffs_migration.intermediate_format import open_package

    export = tmp_path / "export.xml"
    export.write_bytes(
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<TutorisExport formatVersion="7.2" mandant="SD" mandantNr="0942" '
        b'exportDatum="14.03.2026 18:22" vollExport="true"><Personen>'
        b'<Person id="P-1"><Name>Muster</Name><Vorname>Anna</Vorname>'
        b'<Adressen><Adresse von="01.02.2020" bis=""></Adresse></Adressen></Person>'
        b"</Personen><Faelle>"
        b'<Fall nr="2020-1" typ="WSH" eroeffnet="01.02.2020" abgeschlossen="" '
        b'abschlussgrund="" fallfuehrung="" segment="B"><Mitglied person="P-1" rolle="AS"/>'
        b"</Fall></Faelle></TutorisExport>\n"
    )
    extractor = get_extractor("tutoris")
    options = extractor.options_class(source=str(export), service_id="0942")
    extract_package(extractor, options, tmp_path / "pkg")
    with open_package(tmp_path / "pkg") as package:
        addresses = package.frame("addresses")
    assert len(addresses) == 1 and addresses["street"].isna().all()


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, None),  # Excel's 01.01.1900: the "unknown" sentinel
        (2, date(1900, 1, 2)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
    ],
)
def test_excel_serials_before_march_1900_count_excels_29_february(
    serial: int, expected: date | None
) -> None:
    assert cv.parse_date(serial, EXCEL).value == expected


@pytest.mark.parametrize("serial", [60, 60.5])
def test_excels_29_february_1900_does_not_exist(serial: float) -> None:
    parsed = cv.parse_date(serial, EXCEL, timestamp=True)
    assert parsed.value is None and parsed.problem == "date-impossible"


def test_an_excel_time_before_march_1900_keeps_its_time() -> None:
    parsed = cv.parse_date(2.75, EXCEL, timestamp=True)
    assert parsed.value == datetime(1900, 1, 2, 18, 0)  # noqa: DTZ001


def test_an_excel_time_is_read_to_the_millisecond_not_a_microsecond_early() -> None:
    # 00:29 is no binary fraction of a day: the serial's float is a hair below it.
    serial = (date(2080, 1, 1) - date(1899, 12, 30)).days + 29 / 1440
    assert cv.parse_date(serial, EXCEL, timestamp=True).value == datetime(2080, 1, 1, 0, 29)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "number"),
    [("-1000000000000000.0", -(10**15)), ("+100000000000000000.00", 10**17), ("0" * 5000, 0)],
)
def test_a_sign_and_decimal_zeros_do_not_count_against_an_integers_size(
    text: str, number: int
) -> None:
    assert cv.parse_integer(text) == number


@pytest.mark.parametrize("cell", ["9223372036854775808", "-9223372036854775809", 2**63])
def test_an_integer_beyond_64_bits_is_not_an_integer(cell: Any) -> None:
    assert cv.parse_integer(cell) is None


@pytest.mark.parametrize("text", ["»Ä", "»ß", "€ä"])
def test_mojibake_is_undone_once_not_read_again_as_another_encoding(text: str) -> None:
    # ftfy alone goes on: `»Ä` is what MacRoman makes of the UTF-8 of `Ȁ`.
    garbled = text.encode("utf-8").decode("latin-1")
    fixed, changed = columns.repair_encoding(columns.text([garbled]))
    assert fixed.tolist() == [text] and changed.tolist() == [True]


@pytest.mark.parametrize("pattern", ["a{99999999999}", "(" * 5000 + ")" * 5000])
def test_an_extract_pattern_too_large_is_a_problem_not_a_crash(pattern: str) -> None:
    column = next(c for c in TABLES["organisation"].columns if c.name == "name")
    text = yaml.safe_dump({"rule": {"column": "Name", "extract": pattern}})
    problems = Problems()
    root = compose(text, problems)
    assert root is not None
    node = dict((key, value) for key, _, value in root.items())["rule"]
    rule = parse_rule("organisation", "name", column, node, problems, "tables.organisation.x")
    assert rule is not None and rule.extract is None
    assert [p.message for p in problems.errors] == [
        "tables.organisation.x: extract is a regular expression too large to use"
    ]
