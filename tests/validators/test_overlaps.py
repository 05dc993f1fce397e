"""Overlapping periods per group: the packed numpy pass against a plain pandas reading."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nffs_migration.validators import domain
from nffs_migration.validators.domain import FAR_FUTURE, _overlaps

DAYS = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 30)))
ROWS = st.lists(
    st.tuples(st.one_of(st.none(), st.sampled_from(["c1", "c2", "c10", "é"])), DAYS, DAYS),
    max_size=25,
)


def _frame(rows: list[tuple[str | None, date | None, date | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": pd.Series([r[0] for r in rows], dtype=pd.ArrowDtype(pa.string())),
            "id": pd.Series(
                [f"b{i % 7}" for i in range(len(rows))], dtype=pd.ArrowDtype(pa.string())
            ),
            "start": pd.Series([r[1] for r in rows], dtype="datetime64[s]"),
            "end": pd.Series([r[2] for r in rows], dtype="datetime64[s]"),
        }
    )


def _plain(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The reading the rule describes: sort, running end per group, compare with the start."""
    ordered = frame.sort_values(["group", "start", "id"], kind="stable")
    end = ordered["end"].fillna(FAR_FUTURE)
    running = end.groupby(ordered["group"]).cummax()
    previous = running.groupby(ordered["group"]).shift()
    return ordered, (ordered["start"] <= previous).fillna(False).to_numpy(dtype=bool)


@pytest.mark.parametrize("packed_bits", [62, 0])  # 0: the polars path for many groups
@given(rows=ROWS)
def test_overlaps_agree_with_the_plain_reading(packed_bits: int, rows: list) -> None:
    frame = _frame(rows)
    expected_order, expected = _plain(frame)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(domain, "PACKED_BITS", packed_bits)
        ordered, found = _overlaps(frame, "group", "id")
    assert ordered.index.tolist() == expected_order.index.tolist()
    assert found.tolist() == expected.tolist()
