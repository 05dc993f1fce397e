"""Duplicate ids found through 64-bit hashes instead of a hash table of the strings.

Building a hash table of ten million distinct id strings (Arrow's `unique`) costs about
half a microsecond an id on this kind of machine, most of it cache misses in the table.
Hashing every id to 64 bits (polars, both cores) and sorting the hashes answers the
common question, "are all ids distinct?", in a tenth of that time. Equal ids have equal
hashes, so when no two hashes are equal no two ids are; when some are, only the rows
sharing a hash are compared as strings, which keeps the answer exact.

    mask = duplicated(ids)   # None when all distinct, else True on every repeat

The hashes of a table too large to hold are made batch by batch (`sharing` finds the
rows to compare), so only 8 bytes an id are held.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa


def row_hashes(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of every value (nulls share one hash), stable within a run."""
    return pl.Series(array).hash(seed=0).to_numpy()


def sharing(hashes: np.ndarray) -> np.ndarray | None:
    """Positions (ascending) of the values whose hash another value has too; None if none."""
    if len(hashes) < 2:
        return None
    ordered = np.sort(hashes)
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    same = sorted_hashes[1:] == sorted_hashes[:-1]
    shared = np.zeros(len(hashes), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    return np.sort(order[shared])


def duplicated(array: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """None when all values are distinct, else a mask of every value seen before.

    The mask is pandas' `duplicated(keep="first")`: the first of equal values is not
    marked, the later ones are (nulls count as equal to each other).
    """
    if len(array) < 2:
        return None
    candidates = sharing(row_hashes(array))
    if candidates is None:
        return None
    values = pa.chunked_array([array]) if isinstance(array, pa.Array) else array
    taken = values.take(pa.array(candidates)).to_pandas(types_mapper=pd.ArrowDtype)
    mask = np.zeros(len(array), dtype=bool)
    mask[candidates] = taken.duplicated(keep="first").to_numpy(dtype=bool)
    return mask if mask.any() else None


__all__ = ["duplicated", "row_hashes", "sharing"]
