"""Format checks shared by extractors, schemas and validators: AHVN13 above all.

The scalar check uses `python-stdnum` (`stdnum.ch.ssn`, EAN-13 check digit); the
vectorised one gives the same answer for a whole Arrow or pandas column at once, for
validation at millions of rows a second. A property test keeps the two in agreement.

`pattern_valid_array` is Arrow's regular expression match (RE2) over a column, with two
shortcuts that give the same answer in a fraction of the time (property-tested against
the plain match): rows equal to the column's first value share its answer (a service
number, a postal code, a code repeat over millions of rows), and record ids that start
with the first id's `{service}:{system}:` prefix only need their next character and
their newlines looked at. RE2 runs at about 100 ns a value whatever the pattern, a
second for each ten million ids; the shortcuts take a tenth of that. `codes_valid_array`
(a code list) takes the first shortcut too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.ch import ssn

from nffs_migration.intermediate_format.systems import SOURCE_SYSTEMS

_AHVN13 = re.compile(r"^756[0-9]{10}$")
_SYSTEMS = "|".join(re.escape(name) for name in SOURCE_SYSTEMS)
#: The record id format (`definition.RECORD_ID`), here so that its shortcut can know it.
RECORD_ID_PATTERN = rf"^[0-9]{{4}}:({_SYSTEMS}):\S.*$"
_RECORD_PREFIX = re.compile(rf"^[0-9]{{4}}:({_SYSTEMS}):")
#: The bytes RE2's `\S` does not match (its `\s` is ASCII `[\t\n\f\r ]`, without `\v`).
_RE2_SPACE = np.array([9, 10, 12, 13, 32], dtype=np.uint8)
_WEIGHTS = np.array([1, 3] * 6, dtype=np.int64)


def ahvn13_valid(value: str) -> bool:
    """True when `value` is 13 digits starting with 756 with a correct check digit."""
    return bool(_AHVN13.match(value)) and ssn.is_valid(value)


def ahvn13_valid_array(values: pa.Array | pa.ChunkedArray | pd.Series) -> np.ndarray:
    """Element-wise `ahvn13_valid` for a string column; nulls count as valid (no value)."""
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("string[pyarrow]"), type=pa.string())
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    result = np.ones(len(array), dtype=bool)
    if len(array) == 0:
        return result
    valid_mask = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    pattern = np.asarray(
        pc.fill_null(pc.match_substring_regex(array, _AHVN13.pattern), True).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    candidates = valid_mask & pattern
    result = ~valid_mask | candidates
    if candidates.any():
        strings = np.array(array.filter(pa.array(candidates)).to_pylist(), dtype="S13")
        digits = strings.view(np.uint8).reshape(-1, 13).astype(np.int64) - ord("0")
        check = (10 - (digits[:, :12] @ _WEIGHTS) % 10) % 10
        result[np.flatnonzero(candidates)] = check == digits[:, 12]
    return result


def pattern_valid_array(values: pa.Array | pa.ChunkedArray, pattern: str) -> np.ndarray:
    """Element-wise: the value matches `pattern` (RE2, as Arrow's regex match); nulls valid."""

    def matches(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
        return _bools(pc.match_substring_regex(array, pattern))

    known = None
    if pattern == RECORD_ID_PATTERN:
        known = _record_ids_valid
    return _decided_per_value(values, matches, known)


def codes_valid_array(values: pa.Array | pa.ChunkedArray, codes: Sequence[str]) -> np.ndarray:
    """Element-wise: the value is one of `codes`; nulls valid."""
    allowed = pa.array(list(codes), pa.string())

    def listed(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
        return _bools(pc.is_in(array, value_set=allowed.cast(array.type)))

    return _decided_per_value(values, listed)


def _bools(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _decided_per_value(
    values: pa.Array | pa.ChunkedArray,
    decide: Callable[[pa.Array | pa.ChunkedArray], np.ndarray],
    known: Callable[[pa.ChunkedArray, str], np.ndarray] | None = None,
) -> np.ndarray:
    """`decide` over a string column, nulls valid, with the shortcuts of the module doc.

    Rows equal to the first value take its answer; `known` may mark more rows as valid
    from the first value; `decide` sees only the rows left over.
    """
    column = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
    result = np.ones(len(column), dtype=bool)
    if len(column) == 0 or column.null_count == len(column):
        return result
    valid = _bools(pc.is_valid(column))
    first = column[int(np.argmax(valid))].as_py()
    decided = _bools(pc.fill_null(pc.equal(column, first), False))
    result[decided] = bool(decide(pa.array([first], column.type))[0])
    if known is not None and pa.types.is_string(column.type):
        decided |= known(column, first)
    rest = valid & ~decided
    if rest.any():
        result[rest] = decide(column.filter(pa.array(rest)))
    return result


def _record_ids_valid(column: pa.ChunkedArray, first: str) -> np.ndarray:
    """Ids known to match `RECORD_ID_PATTERN` from their prefix, next byte and newlines.

    An id that starts with a valid `{service}:{system}:` prefix matches when a byte
    follows that is not RE2 whitespace (a multi-byte character's first byte never is)
    and it holds no newline (`.` does not match one). Other ids are left undecided.
    """
    prefix = _RECORD_PREFIX.match(first)
    known = np.zeros(len(column), dtype=bool)
    if prefix is None:
        return known
    width = len(prefix.group(0).encode())
    position = 0
    for chunk in column.chunks:
        size = len(chunk)
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
            chunk.offset : chunk.offset + size + 1
        ]
        data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.empty(0, np.uint8)
        used = data[offsets[0] : offsets[-1]] if size else data[:0]
        if size and not (used == 10).any():
            lengths = np.diff(offsets)
            after = np.minimum(offsets[:-1] + width, max(len(data) - 1, 0))
            following = data[after] if len(data) else np.zeros(size, np.uint8)
            known[position : position + size] = (
                np.asarray(
                    pc.fill_null(pc.starts_with(chunk, prefix.group(0)), False).to_numpy(
                        zero_copy_only=False
                    ),
                    dtype=bool,
                )
                & (lengths > width)
                & ~np.isin(following, _RE2_SPACE)
            )
        position += size
    return known


def ahvn13_compact(value: str) -> str:
    """Strip dots, blanks and dashes from an AHV number as typed in legacy data."""
    return re.sub(r"[\s.\-]", "", value)


__all__ = [
    "RECORD_ID_PATTERN",
    "ahvn13_compact",
    "ahvn13_valid",
    "ahvn13_valid_array",
    "codes_valid_array",
    "pattern_valid_array",
]
