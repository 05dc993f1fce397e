"""Linking a generated canton: precision and recall against the generator's truth."""

from __future__ import annotations

import polars as pl
import pytest
from truth_tools import clustered_pairs, same_number, true_pairs

from nffs_migration.identity import find_conflicts, link, read_packages
from nffs_migration.identity.records import PERSON_COLUMNS, Records


@pytest.fixture(scope="module")
def records(canton) -> Records:
    return read_packages(canton.packages)


@pytest.fixture(scope="module")
def linkage(records):
    return link(records)


def test_links_reach_the_precision_and_recall_the_canton_needs(canton, records, linkage) -> None:
    truth = true_pairs(canton.truth["records"], records.persons)
    found = clustered_pairs(linkage.clusters)
    numbered = same_number(records.persons)
    exact_truth = truth & numbered
    fuzzy_truth = truth - numbered
    fuzzy_found = found - numbered
    exact_recall = len(found & exact_truth) / len(exact_truth)
    fuzzy_precision = len(fuzzy_found & fuzzy_truth) / len(fuzzy_found)
    fuzzy_recall = len(fuzzy_found & fuzzy_truth) / len(fuzzy_truth)
    precision = len(found & truth) / len(found)
    print(
        f"\nexact (same AHVN13): {len(exact_truth)} true pairs, recall {exact_recall:.3f}; "
        f"fuzzy: {len(fuzzy_truth)} true pairs, {len(fuzzy_found)} found, precision "
        f"{fuzzy_precision:.3f}, recall {fuzzy_recall:.3f}; all pairs precision {precision:.3f}; "
        f"candidates for review {linkage.figures['candidates']}"
    )
    # The generator makes all three kinds of shared records.
    assert len(exact_truth) >= 100 and len(fuzzy_truth) >= 30
    assert exact_recall == 1.0
    assert fuzzy_precision >= 0.98 and fuzzy_recall >= 0.9
    assert precision >= 0.98


def test_every_link_says_why_and_holds_no_personal_value(linkage) -> None:
    links = linkage.links
    assert links.height and links["reasons"].null_count() == 0
    assert set(links["method"]) <= {"ahvn13", "fuzzy"}
    assert set(links["status"]) <= {"linked", "candidate"}
    assert set(links["birth_date"]) <= set(
        ("exact", "month", "swap", "one_digit", "year", "missing", "differs")
    )
    assert all(reason.startswith("ahvn13 ") for reason in links["reasons"])


def test_pairs_below_the_threshold_are_never_merged(records) -> None:
    strict = link(records, threshold=0.97)
    fuzzy = strict.links.filter(pl.col("method") == "fuzzy")
    assert (fuzzy.filter(pl.col("status") == "linked")["score"] >= 0.97).all()
    below = fuzzy.filter(pl.col("score") < 0.97)
    assert below.height and (below["status"] == "candidate").all()
    assert below["cluster_id"].null_count() == below.height
    assert (fuzzy["score"] >= strict.floor).all()


def test_a_lower_threshold_links_more_and_a_higher_one_fewer(records, linkage) -> None:
    low, high = link(records, threshold=0.85), link(records, threshold=0.97)
    assert low.figures["links"] >= linkage.figures["links"] >= high.figures["links"]
    assert low.figures["links"] > high.figures["links"]


def test_the_same_records_give_the_same_links_whatever_their_order(records, linkage) -> None:
    shuffled = Records.of(
        records.persons.sample(fraction=1.0, shuffle=True, seed=3),
        records.memberships.sample(fraction=1.0, shuffle=True, seed=4),
    )
    again = link(shuffled)
    assert again.links.equals(linkage.links)
    assert again.clusters.equals(linkage.clusters)
    assert find_conflicts(shuffled, again).equals(find_conflicts(records, linkage))


def test_cluster_ids_come_from_the_smallest_member(linkage) -> None:
    from nffs_migration.identity.link import cluster_id

    first = linkage.clusters.group_by("cluster_id").agg(pl.col("person_id").min())
    assert all(cluster_id(person) == cid for cid, person in first.iter_rows())


def _records(rows: list[tuple]) -> Records:
    from datetime import date

    frame = pl.DataFrame(
        [
            (s, p, f, g, date.fromisoformat(b) if b else None, pr, x, a)
            for s, p, f, g, b, pr, x, a in rows
        ],
        schema=list(PERSON_COLUMNS),
        orient="row",
    )
    return Records.of(frame)


AHV = "7561234567897"
OTHER = "7569217076985"


def test_one_number_on_two_different_people_is_no_link_but_a_conflict() -> None:
    records = _records(
        [
            ("0942", "0942:kiss:1", "Keller", "Eva", "1990-05-06", "day", "2", AHV),
            ("0351", "0351:kiss:2", "Rossi", "Marco", "1961-11-23", "day", "1", AHV),
        ]
    )
    linkage = link(records)
    assert linkage.links.filter(pl.col("status") == "linked").height == 0
    conflicts = find_conflicts(records, linkage)
    assert conflicts.select("rule_id", "severity", "person_id", "other_person_id").rows() == [
        ("ahvn13-attributes-differ", "error", "0351:kiss:2", "0942:kiss:1")
    ]
    assert conflicts["fields"][0] == "birth_date,family_name,given_name"


def test_a_birth_date_typo_under_one_number_links_and_warns() -> None:
    records = _records(
        [
            ("0942", "0942:kiss:1", "Keller", "Eva", "1990-05-06", "day", "2", AHV),
            ("0351", "0351:kiss:2", "Keller", "Eva", "1990-06-05", "day", "2", AHV),
        ]
    )
    linkage = link(records)
    assert linkage.links.select("method", "status", "birth_date").rows() == [
        ("ahvn13", "linked", "swap")
    ]
    conflicts = find_conflicts(records, linkage)
    assert conflicts.select("rule_id", "severity", "fields").rows() == [
        ("ahvn13-attributes-differ", "warning", "birth_date")
    ]


def test_two_records_of_one_service_with_one_number_are_a_conflict() -> None:
    records = _records(
        [
            ("0942", "0942:kiss:1", "Keller", "Eva", "1990-05-06", "day", "2", AHV),
            ("0942", "0942:kiss:9", "Keller", "Eva", "1990-05-06", "day", "2", AHV),
        ]
    )
    conflicts = find_conflicts(records, link(records))
    assert conflicts.select("rule_id", "person_id", "other_person_id").rows() == [
        ("ahvn13-shared-in-service", "0942:kiss:1", "0942:kiss:9")
    ]


def test_a_person_without_number_is_linked_by_names_and_birth_date_only_across_services() -> None:
    records = _records(
        [
            ("0942", "0942:kiss:1", "Müller", "Anna", "1980-03-12", "day", "2", AHV),
            ("0351", "0351:kiss:2", "Mueller", "Anna", "1980-03-12", "day", "2", None),
            ("0351", "0351:kiss:3", "Müller", "Anna", "1980-03-12", "day", "2", None),
            ("0404", "0404:kiss:4", "Müller", "Anna", "1980-03-12", "day", "2", OTHER),
        ]
    )
    links = link(records).links
    statuses = {
        (a, b): s
        for a, b, s in links.select("left_person_id", "right_person_id", "status").iter_rows()
    }
    assert statuses[("0351:kiss:2", "0942:kiss:1")] == "linked"
    # Two services' records with two different valid numbers: review, never merged.
    assert statuses[("0404:kiss:4", "0942:kiss:1")] == "candidate"
    # Records of one service are not compared by names (that is the service's own cleanup).
    assert ("0351:kiss:2", "0351:kiss:3") not in statuses
