"""Pseudonymised packages link like their originals under one key."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import build_canton

from nffs_migration.identity import link, read_packages
from nffs_migration.transit.pseudonymize import pseudonymize_package

KEY = b"canton-test-key-".ljust(32, b"k")


@pytest.fixture(scope="module")
def clean_canton(tmp_path_factory):
    """Services sharing people without typos (a typo's fake is no longer similar)."""
    return build_canton(tmp_path_factory.mktemp("clean"), cases=150, seed=11, dirt="none")


def _structure(packages) -> set[tuple[str, str, str, str]]:
    linkage = link(read_packages(packages))
    return set(
        linkage.links.filter(pl.col("status") == "linked")
        .select("left_person_id", "right_person_id", "method", "birth_date")
        .iter_rows()
    )


def test_the_same_key_gives_the_same_links_across_pseudonymised_packages(
    clean_canton, tmp_path
) -> None:
    original = _structure(clean_canton.packages)
    pseudonymised = []
    for package in clean_canton.packages:
        out = tmp_path / package.name
        pseudonymize_package(package, out, KEY)
        pseudonymised.append(out)
    again = _structure(pseudonymised)
    fuzzy = {pair for pair in original if pair[2] == "fuzzy"}
    print(f"\nlinked pairs: {len(original)} originals ({len(fuzzy)} fuzzy), {len(again)} fakes")
    assert fuzzy, "the canton has records without AHV number that link by name and birth date"
    assert again == original
