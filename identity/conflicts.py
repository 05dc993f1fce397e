"""Conflicts that linking brings to light, as findings that hold keys only.

- `ahvn13-attributes-differ`: records of two services share a valid AHVN13, but their
  birth dates or both their names differ (error when the difference is so large that the
  records were not linked: the number itself is doubtful; warning for a typo-sized
  difference of the birth date, where the records were linked).
- `ahvn13-shared-in-service`: two records of one service carry the same AHVN13.
- `economic-aid-in-two-services`: one person (cluster) is a member of economic-aid cases
  of two services whose periods overlap (`opened_on`..`closed_on`, open when
  `closed_on` is null): a risk of double payment. Error while both cases are open,
  warning for a past overlap.
"""

from __future__ import annotations

import polars as pl

from nffs_migration.identity.link import Linkage
from nffs_migration.identity.records import Records

RULES = {
    "ahvn13-attributes-differ": "Records of two services share an AHVN13 but differ in {fields}",
    "ahvn13-shared-in-service": "Two records of one service share an AHVN13",
    "economic-aid-in-two-services": "Economic aid in two services at the same time ({state})",
}
CONFLICT_SCHEMA = {
    "rule_id": pl.String,
    "severity": pl.String,
    "service_id": pl.String,
    "other_service_id": pl.String,
    "person_id": pl.String,
    "other_person_id": pl.String,
    "cluster_id": pl.String,
    "case_id": pl.String,
    "other_case_id": pl.String,
    "fields": pl.String,
    "message": pl.String,
}
_TYPO = ("swap", "one_digit")
_DATE_AGREES = ("exact", "month", "year", "missing")


def _pair_keys() -> list[pl.Expr | str]:
    """A pair's records as a conflict names them (keys only; no case)."""
    return [
        pl.col("left_service_id").alias("service_id"),
        pl.col("right_service_id").alias("other_service_id"),
        "left_person_id",
        pl.col("right_person_id").alias("other_person_id"),
        pl.lit(None, dtype=pl.String).alias("case_id"),
        pl.lit(None, dtype=pl.String).alias("other_case_id"),
    ]


def _ahvn13(linkage: Linkage) -> pl.DataFrame:
    pairs = linkage.exact_pairs
    clusters = linkage.clusters.select(pl.col("person_id").alias("left_person_id"), "cluster_id")
    names_differ = (pl.col("family_similarity") < 0.85) & (pl.col("given_similarity") < 0.85)
    date_differs = ~pl.col("birth_date").is_in(_DATE_AGREES)
    fields = (
        pl.concat_list(
            pl.when(date_differs).then(pl.lit("birth_date")),
            pl.when(names_differ).then(pl.lit("family_name,given_name")),
        )
        .list.drop_nulls()
        .list.join(",")
    )
    across = (
        pairs.filter(
            (pl.col("left_service_id") != pl.col("right_service_id"))
            & (names_differ | date_differs)
        )
        .with_columns(fields.alias("fields"))
        .select(
            pl.lit("ahvn13-attributes-differ").alias("rule_id"),
            pl.when(pl.col("status") == "linked")
            .then(pl.lit("warning"))
            .otherwise(pl.lit("error"))
            .alias("severity"),
            *_pair_keys(),
            "fields",
            pl.format(
                "Records of two services share an AHVN13 but differ in {}", pl.col("fields")
            ).alias("message"),
        )
    )
    within = pairs.filter(pl.col("left_service_id") == pl.col("right_service_id")).select(
        pl.lit("ahvn13-shared-in-service").alias("rule_id"),
        pl.lit("error").alias("severity"),
        *_pair_keys(),
        pl.lit("ahvn13").alias("fields"),
        pl.lit(RULES["ahvn13-shared-in-service"]).alias("message"),
    )
    return (
        pl.concat([across, within])
        .join(clusters, on="left_person_id", how="left")
        .rename({"left_person_id": "person_id"})
    )


def _economic_aid(records: Records, linkage: Linkage) -> pl.DataFrame:
    aid = (
        records.memberships.filter(pl.col("domain") == "economic_aid")
        .join(linkage.clusters.select("person_id", "cluster_id"), on="person_id")
        .select("cluster_id", "service_id", "person_id", "case_id", "opened_on", "closed_on")
        .unique(["cluster_id", "case_id", "person_id"])
    )
    pairs = aid.join(aid, on="cluster_id", suffix="_r").filter(
        (pl.col("service_id") < pl.col("service_id_r"))
        & (pl.col("opened_on") <= pl.col("closed_on_r").fill_null(pl.date(9999, 12, 31)))
        & (pl.col("opened_on_r") <= pl.col("closed_on").fill_null(pl.date(9999, 12, 31)))
    )
    both_open = pl.col("closed_on").is_null() & pl.col("closed_on_r").is_null()
    return pairs.select(
        pl.lit("economic-aid-in-two-services").alias("rule_id"),
        pl.when(both_open).then(pl.lit("error")).otherwise(pl.lit("warning")).alias("severity"),
        "service_id",
        pl.col("service_id_r").alias("other_service_id"),
        "person_id",
        pl.col("person_id_r").alias("other_person_id"),
        pl.col("case_id"),
        pl.col("case_id_r").alias("other_case_id"),
        pl.lit("opened_on,closed_on").alias("fields"),
        pl.when(both_open)
        .then(pl.lit("Economic aid in two services at the same time (both cases open)"))
        .otherwise(pl.lit("Economic aid in two services at the same time (periods overlapped)"))
        .alias("message"),
        "cluster_id",
    ).unique(["cluster_id", "case_id", "other_case_id"])


def find_conflicts(records: Records, linkage: Linkage) -> pl.DataFrame:
    """Every conflict of the records and their links, sorted, keys only."""
    frames = [_ahvn13(linkage), _economic_aid(records, linkage)]
    columns = list(CONFLICT_SCHEMA)
    return pl.concat([frame.select(columns).cast(CONFLICT_SCHEMA) for frame in frames]).sort(  # type: ignore[arg-type]
        "rule_id",
        "service_id",
        "person_id",
        "other_person_id",
        "case_id",
        "other_case_id",
        nulls_last=True,
    )


__all__ = ["CONFLICT_SCHEMA", "RULES", "find_conflicts"]
