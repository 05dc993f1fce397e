"""`_ahead`: batches read and encoded on a thread while the previous one is written."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nffs_migration.loaders.load import _ahead


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=4))
def test_every_item_arrives_once_in_order(items: list[int], depth: int) -> None:
    assert list(_ahead(iter(items), depth)) == items


def test_an_error_of_the_producer_is_raised_to_the_consumer_after_the_items_before_it() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("broken batch")

    received = []
    with pytest.raises(ValueError, match="broken batch"):
        for item in _ahead(produce()):
            received.append(item)
    assert received == [1, 2]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    produced = []

    def produce() -> Iterator[int]:
        for number in range(1_000):
            produced.append(number)
            yield number

    before = threading.active_count()
    items = _ahead(produce(), depth=2)
    with pytest.raises(RuntimeError):
        for item in items:
            if item == 3:
                raise RuntimeError("the COPY failed")
    items.close()
    assert threading.active_count() == before  # the producer thread has ended
    assert len(produced) <= 3 + 1 + 2 + 1  # at most `depth` ahead, plus one in hand
