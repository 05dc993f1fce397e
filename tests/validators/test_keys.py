"""Duplicate ids through 64-bit hashes: the same answer as pandas, also when hashes collide."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nffs_migration.validators import keys
from nffs_migration.validators.keys import duplicated

VALUES = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "0942:kiss:1", ""]), st.text()))


def _expected(values: list[str | None]) -> np.ndarray | None:
    mask = pd.Series(values, dtype="object").duplicated(keep="first").to_numpy(dtype=bool)
    return mask if mask.any() else None


def _same(found: np.ndarray | None, expected: np.ndarray | None) -> bool:
    if found is None or expected is None:
        return found is None and expected is None
    return bool(np.array_equal(found, expected))


@given(VALUES)
def test_duplicated_matches_pandas(values: list[str | None]) -> None:
    assert _same(duplicated(pa.array(values, type=pa.string())), _expected(values))


@given(VALUES)
def test_duplicated_is_exact_when_every_hash_collides(values: list[str | None]) -> None:
    # Every value gets the same hash: the answer must come from comparing the strings.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "row_hashes", lambda array: np.zeros(len(array), dtype=np.uint64))
        found = duplicated(pa.chunked_array([pa.array(values, type=pa.string())]))
    assert _same(found, _expected(values))


def test_distinct_ids_give_none_and_repeats_are_marked_after_the_first() -> None:
    ids = pa.array([f"0942:klibnet:{i}" for i in range(10_000)])
    assert duplicated(ids) is None
    repeated = pa.array(["x", "y", "x", None, None, "x"])
    assert duplicated(repeated).tolist() == [False, False, True, False, True, True]
