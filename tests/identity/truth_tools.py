"""Pairs of person records that are one person, from the generator's identity truth."""

from __future__ import annotations

import itertools
from collections import defaultdict

import polars as pl


def pairs_of(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Every unordered pair (sorted) within each group."""
    return {
        pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)
    }


def true_pairs(truth: dict[str, str], persons: pl.DataFrame) -> set[tuple[str, str]]:
    """Pairs of the packages' records with the same true identity."""
    groups: dict[str, list[str]] = defaultdict(list)
    for person in persons["person_id"].to_list():
        groups[truth[person]].append(person)
    return pairs_of(groups)


def clustered_pairs(clusters: pl.DataFrame) -> set[tuple[str, str]]:
    """Pairs of records that linking put into one cluster."""
    groups: dict[str, list[str]] = defaultdict(list)
    for person, cluster in clusters.select("person_id", "cluster_id").iter_rows():
        groups[cluster].append(person)
    return pairs_of(groups)


def same_number(persons: pl.DataFrame) -> set[tuple[str, str]]:
    """Pairs of records that carry the same (valid: the format nulls invalid) AHVN13."""
    groups: dict[str, list[str]] = defaultdict(list)
    for person, number in persons.select("person_id", "ahvn13").iter_rows():
        if number:
            groups[number].append(person)
    return pairs_of(groups)
