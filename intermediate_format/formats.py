"""Format checks shared by extractors, schemas and validators: AHVN13 above all.

The scalar check uses `python-stdnum` (`stdnum.ch.ssn`, EAN-13 check digit); the
vectorised one gives the same answer for a whole Arrow or pandas column at once, for
validation at millions of rows a second. A property test keeps the two in agreement.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.ch import ssn

_AHVN13 = re.compile(r"^756[0-9]{10}$")
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


def ahvn13_compact(value: str) -> str:
    """Strip dots, blanks and dashes from an AHV number as typed in legacy data."""
    return re.sub(r"[\s.\-]", "", value)


__all__ = ["ahvn13_compact", "ahvn13_valid", "ahvn13_valid_array"]
