"""Column-wise normalisation of Tutoris text values: dates, amounts, durations, mojibake.

A Tutoris export holds every value as text. These helpers turn a chunk's column of
texts into typed Arrow-backed columns with masks of the problems found, using the
shared parsers of `extractors.normalise` on each *distinct* value only (dates and
amounts repeat month after month, so a column of 50,000 values costs a few hundred
parses). Journal timestamps, nearly all distinct, are parsed by Arrow and checked by
formatting them back; whatever Arrow does not read exactly goes to the shared parser.

Mojibake (UTF-8 bytes in a file declared ISO-8859-1, `MÃ¼ller`) is repaired with ftfy,
which undoes wrong decodings and nothing else (no quote or width changes); only texts
that hold a telltale pair of characters are handed to it, and only the one wrong
decoding that happens here is undone: UTF-8 read as Latin-1 or Windows-1252, once.
ftfy would go on, reading the repaired text as mojibake of other encodings (`»Ä` is
what MacRoman makes of the UTF-8 of `Ȁ`), and change what the clerk typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import ftfy
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration.extractors import normalise

STRING = pd.ArrowDtype(pa.string())
DATE = pd.ArrowDtype(pa.date32())
TIMESTAMP = pd.ArrowDtype(pa.timestamp("us"))
MONEY = pd.ArrowDtype(pa.decimal128(12, 2))
#: A UTF-8 lead byte read as Latin-1 (Â..ô) followed by a continuation byte read as
#: Latin-1 (\x80..¿) or as Windows-1252 (‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ€).
MOJIBAKE = (
    r"[\x{00C2}-\x{00F4}][\x{0080}-\x{00BF}\x{0152}\x{0153}\x{0160}\x{0161}\x{0178}\x{017D}"
    r"\x{017E}\x{0192}\x{02C6}\x{02DC}\x{2013}\x{2014}\x{2018}-\x{201A}\x{201C}-\x{201E}"
    r"\x{2020}-\x{2022}\x{2026}\x{2030}\x{2039}\x{203A}\x{20AC}\x{2122}]"
)
#: decimal128(12, 2) holds amounts below ten billion francs.
MAX_AMOUNT = Decimal("9999999999.99")
#: The earliest moment a Python datetime (and PostgreSQL) holds; Arrow also reads year 0.
FIRST_MOMENT = pa.scalar(datetime(1, 1, 1), pa.timestamp("us"))  # noqa: DTZ001 - naive, as the source
#: The wrong decodings `repair_encoding` undoes: UTF-8 bytes read as one of these.
WRONG_DECODINGS = frozenset({"latin-1", "sloppy-windows-1252", "windows-1252"})

T = TypeVar("T")


def text(values: Sequence[str | None] | pa.Array) -> pd.Series:
    """Raw texts as an Arrow string column (nothing trimmed, nothing dropped).

    `values` is a list of texts, or the Arrow array `pa.array` made of one.
    """
    # Inferring is twice as fast as converting to a given type.
    array = values if isinstance(values, pa.Array) else pa.array(values)
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return pd.Series(array, dtype=STRING)


def _by_distinct(
    values: pd.Series, parse: Callable[[str], T | None]
) -> tuple[pa.Array, list[T | None]]:
    """Dictionary-encode a text column and parse each distinct non-null value once."""
    array = pa.array(values, pa.string(), from_pandas=True)
    encoded = pc.dictionary_encode(array)
    parsed = [None if v is None else parse(v) for v in encoded.dictionary.to_pylist()]
    return encoded.indices, parsed


def _mask(indices: pa.Array, flags: list[bool]) -> np.ndarray:
    taken = pc.take(pa.array(flags, pa.bool_()), indices)
    return np.asarray(pc.fill_null(taken, False).to_numpy(zero_copy_only=False), dtype=bool)


@dataclass(frozen=True)
class Dates:
    """A column of dates with precision and the problems found."""

    values: pd.Series
    precision: pd.Series
    impossible: np.ndarray
    unreadable: np.ndarray


def dates(values: pd.Series) -> Dates:
    """`dd.mm.yyyy`, `00.00.yyyy` (year) and `00.mm.yyyy` (month); empty is null."""
    indices, parsed = _by_distinct(values, normalise.text_date)
    days: list[date | None] = []
    precisions: list[str] = []
    impossible: list[bool] = []
    unreadable: list[bool] = []
    for item in parsed:
        days.append(None if item is None else item.value)
        precisions.append("unknown" if item is None or item.value is None else item.precision)
        rule = None if item is None or item.problem is None else item.problem.rule
        impossible.append(rule == "date-impossible")
        unreadable.append(rule == "date-format")
    index = values.index
    day_array = pc.take(pa.array(days, pa.date32()), indices)
    precision = pc.fill_null(pc.take(pa.array(precisions, pa.string()), indices), "unknown")
    return Dates(
        values=pd.Series(day_array, index=index, dtype=DATE),
        precision=pd.Series(precision, index=index, dtype=STRING),
        impossible=_mask(indices, impossible),
        unreadable=_mask(indices, unreadable),
    )


def timestamps(values: pd.Series, fmt: str = "%d.%m.%Y %H:%M") -> tuple[pd.Series, np.ndarray]:
    """`dd.mm.yyyy hh:mm` as naive local time; returns (values, mask of unreadable texts).

    Arrow reads the canonical form fast but rolls `31.02.` over into March and reads
    year 0, so a value counts only when formatting it back gives the text and it is not
    before year 1; the rest goes to the shared parser, which refuses what does not exist.
    """
    array = pa.array(values, pa.string(), from_pandas=True)
    trimmed = pc.utf8_trim_whitespace(array)
    parsed = pc.strptime(trimmed, format=fmt, unit="us", error_is_null=True)
    exact = pc.fill_null(
        pc.and_(
            pc.equal(pc.strftime(parsed, format=fmt), trimmed),
            pc.greater_equal(parsed, FIRST_MOMENT),
        ),
        False,
    )
    present = pc.fill_null(pc.not_equal(trimmed, ""), False)
    retry = np.flatnonzero(
        np.asarray(pc.and_(present, pc.invert(exact)).to_numpy(zero_copy_only=False), bool)
    )
    result = pd.Series(pc.if_else(exact, parsed, None), index=values.index, dtype=TIMESTAMP)
    unreadable = np.zeros(len(values), dtype=bool)
    if len(retry):
        raw = trimmed.take(pa.array(retry)).to_pylist()
        again: list[datetime | None] = [normalise.text_datetime(v) for v in raw]
        for position, value in zip(retry, again, strict=True):
            if value is None:
                unreadable[position] = True
            else:
                result.iloc[position] = value
    return result, unreadable


def _amount(raw: str) -> Decimal | None:
    value = normalise.swiss_amount(raw)
    return value if value is not None and abs(value) <= MAX_AMOUNT else None


def amounts(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Swiss amounts (`1'234.50`, `1234,50`, `-0.00`); returns (CHF, mask of unreadable)."""
    indices, parsed = _by_distinct(values, _amount)
    distinct = pa.array(values, pa.string(), from_pandas=True)
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(distinct), ""), True)
    column = pc.take(pa.array(parsed, pa.decimal128(12, 2)), indices)
    unreadable = np.asarray(
        pc.and_(pc.is_null(column), pc.invert(blank)).to_numpy(zero_copy_only=False), dtype=bool
    )
    return pd.Series(column, index=values.index, dtype=MONEY), unreadable


def durations(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """`hh:mm` to minutes; returns (minutes, mask of unreadable non-empty texts)."""
    indices, parsed = _by_distinct(values, normalise.duration_minutes)
    minutes = pc.take(pa.array(parsed, pa.int64()), indices)
    array = pa.array(values, pa.string(), from_pandas=True)
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(array), ""), True)
    unreadable = np.asarray(
        pc.and_(pc.is_null(minutes), pc.invert(blank)).to_numpy(zero_copy_only=False), dtype=bool
    )
    return pd.Series(minutes, index=values.index, dtype=pd.ArrowDtype(pa.int64())), unreadable


def repair_encoding(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Undo mojibake; returns (texts, mask of the values that were changed)."""
    array = pa.array(values, pa.string(), from_pandas=True)
    suspect = pc.fill_null(pc.match_substring_regex(array, MOJIBAKE), False)
    positions = np.flatnonzero(np.asarray(suspect.to_numpy(zero_copy_only=False), dtype=bool))
    changed = np.zeros(len(values), dtype=bool)
    if not len(positions):
        return values, changed
    repaired = values.copy()
    for position, raw in zip(positions, array.take(pa.array(positions)).to_pylist(), strict=True):
        fixed = _undo_wrong_decoding(raw)
        if fixed != raw:
            repaired.iloc[position] = fixed
            changed[position] = True
    return repaired, changed


def _undo_wrong_decoding(raw: str) -> str:
    """The text before UTF-8 was read as Latin-1 or Windows-1252; other text unchanged.

    ftfy's plan is a list of steps; the first decoding step (with the encoding and
    byte-level transcoding steps before it) is the one wrong decoding it found first.
    It is applied alone, and only when it is UTF-8 read as a Western single-byte
    encoding, or UTF-8 sequences mixed into otherwise correct text.
    """
    plan = ftfy.fix_encoding_and_explain(raw).explanation or []
    first: list[tuple[str, str]] = []
    for action, name in plan:
        first.append((action, name))
        if action in ("decode", "apply") or (action, name) == ("transcode", "fix_c1_controls"):
            break
    if not first:
        return raw
    action, name = first[0]
    if action == "encode" and name in WRONG_DECODINGS and first[-1][1].startswith("utf-8"):
        return ftfy.apply_plan(raw, first)
    if first == [("apply", "decode_inconsistent_utf8")]:
        return ftfy.apply_plan(raw, first)
    return raw


def blank_to_null(values: pd.Series) -> pd.Series:
    """Texts as they are, but empty (or blank) ones null: free text keeps its line breaks."""
    array = pa.array(values, pa.string(), from_pandas=True)
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(array), ""), False)
    return pd.Series(
        pc.if_else(blank, pa.scalar(None, pa.string()), array), index=values.index, dtype=STRING
    )


def flags(values: pd.Series, true: str = "1", false: str = "0") -> pd.Series:
    """`1`/`0` as booleans; anything else null."""
    mapping: dict[Any, bool] = {true: True, false: False}
    return pd.Series(
        pa.array([mapping.get(v) for v in values.tolist()], pa.bool_()),
        index=values.index,
        dtype=pd.ArrowDtype(pa.bool_()),
    )


__all__ = [
    "DATE",
    "MONEY",
    "STRING",
    "TIMESTAMP",
    "Dates",
    "amounts",
    "blank_to_null",
    "dates",
    "durations",
    "flags",
    "repair_encoding",
    "text",
    "timestamps",
]
