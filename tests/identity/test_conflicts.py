"""Conflicts in a generated canton, judged by the generator's truth."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from nffs_migration.identity import find_conflicts, link, read_packages


@pytest.fixture(scope="module")
def found(canton):
    records = read_packages(canton.packages)
    linkage = link(records)
    return records, find_conflicts(records, linkage)


def test_double_economic_aid_across_services_is_found(canton, found) -> None:
    records, conflicts = found
    truth = canton.truth["records"]
    aid = records.memberships.filter(pl.col("domain") == "economic_aid").unique(
        ["person_id", "case_id"]
    )
    by_identity: dict[str, list[tuple]] = {}
    for row in aid.iter_rows(named=True):
        by_identity.setdefault(truth[row["person_id"]], []).append(row)
    expected = set()
    end = date(9999, 12, 31)
    for rows in by_identity.values():
        for a in rows:
            for b in rows:
                if (
                    a["service_id"] < b["service_id"]
                    and a["opened_on"] <= (b["closed_on"] or end)
                    and b["opened_on"] <= (a["closed_on"] or end)
                ):
                    expected.add((a["case_id"], b["case_id"]))
    got = set(
        conflicts.filter(pl.col("rule_id") == "economic-aid-in-two-services")
        .select("case_id", "other_case_id")
        .iter_rows()
    )
    print(f"\neconomic aid in two services: {len(expected)} true, {len(got)} found")
    assert len(expected) >= 5
    assert got <= expected
    assert len(got & expected) >= 0.9 * len(expected)
    both_open = conflicts.filter(
        (pl.col("rule_id") == "economic-aid-in-two-services") & (pl.col("severity") == "error")
    )
    assert both_open.height >= 1


def test_a_doubtful_number_is_reported_with_the_records_keys(canton, found) -> None:
    records, conflicts = found
    present = set(records.persons["person_id"])
    numbers = dict(records.persons.select("person_id", "ahvn13").iter_rows())
    carriers: dict[str, list[str]] = {}
    for person, number in numbers.items():
        if number:
            carriers.setdefault(number, []).append(person)
    doubtful = [
        key
        for key in canton.truth["defects"].get("doubtful-ahvn13", [])
        if key in present and numbers[key] and len(carriers[numbers[key]]) > 1
    ]
    assert doubtful, "the generator shares no doubtful number between records"
    rules = conflicts.filter(
        pl.col("rule_id").is_in(["ahvn13-attributes-differ", "ahvn13-shared-in-service"])
    )
    keyed = set(rules["person_id"]) | set(rules["other_person_id"])
    truth = canton.truth["records"]
    for key in doubtful:
        others = [p for p in carriers[numbers[key]] if p != key and truth[p] != truth[key]]
        if others:
            assert key in keyed


def test_conflicts_hold_keys_and_codes_only(found) -> None:
    _, conflicts = found
    assert conflicts.columns == [
        "rule_id",
        "severity",
        "service_id",
        "other_service_id",
        "person_id",
        "other_person_id",
        "cluster_id",
        "case_id",
        "other_case_id",
        "fields",
        "message",
    ]
    assert set(conflicts["severity"]) <= {"error", "warning"}
