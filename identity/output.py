"""What an identity run leaves behind: Parquet tables, an HTML report, target tables.

`write_outputs(out, ...)` writes `links.parquet`, `clusters.parquet`,
`conflicts.parquet`, `summary.json` and `identity.html` into a temporary folder beside
`out` and renames it into place, so nothing stands at `out` unless the run succeeded.
`write_target(engine, ...)` replaces the rows of `person_links`, `person_clusters` and
`identity_conflicts` in the target case store in one transaction (the tables are created
when missing). Every output holds keys, scores, agreement codes and counts only.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, LoadError, TargetUnavailable
from nffs_migration.i18n import N_, _
from nffs_migration.identity.conflicts import CONFLICT_SCHEMA
from nffs_migration.identity.link import CLUSTER_SCHEMA, LINK_SCHEMA, Linkage
from nffs_migration.identity.records import Records
from nffs_migration.pages import render

FILES = ("links.parquet", "clusters.parquet", "conflicts.parquet", "summary.json", "identity.html")
TARGET_TABLES: dict[str, dict[str, Any]] = {
    "person_links": LINK_SCHEMA,
    "person_clusters": CLUSTER_SCHEMA,
    "identity_conflicts": CONFLICT_SCHEMA,
}
#: Score bands of the fuzzy pairs in the report.
BANDS = (0.75, 0.8, 0.85, 0.9, 0.95, 1.0001)
RULE_TITLES = {
    "ahvn13-attributes-differ": N_("Same AHVN13, different birth date or names"),
    "ahvn13-shared-in-service": N_("Same AHVN13 twice in one service"),
    "economic-aid-in-two-services": N_("Economic aid in two services at the same time"),
}
SEVERITIES = {"error": N_("error"), "warning": N_("warning")}
_SQL: dict[Any, sa.types.TypeEngine[Any]] = {pl.String: sa.String(200), pl.Float64: sa.Float()}


def summary(records: Records, linkage: Linkage, conflicts: pl.DataFrame) -> dict[str, Any]:
    """The run's figures: counts only, JSON-ready and sorted."""
    persons = records.persons
    clustered = linkage.clusters.group_by("service_id").len().rename({"len": "clustered"})
    per_service = (
        persons.group_by("service_id")
        .agg(
            pl.len().alias("persons"),
            pl.col("ahvn13").is_not_null().sum().alias("with_ahvn13"),
        )
        .join(clustered, on="service_id", how="left")
        .with_columns(pl.col("clustered").fill_null(0))
        .sort("service_id")
    )
    links = linkage.links
    between = (
        links.filter(pl.col("status") == "linked")
        .group_by("left_service_id", "right_service_id")
        .len()
        .sort("left_service_id", "right_service_id")
    )
    fuzzy = links.filter(pl.col("method") == "fuzzy")
    bands = []
    for low, high in itertools.pairwise(BANDS):
        count = fuzzy.filter((pl.col("score") >= low) & (pl.col("score") < high)).height
        bands.append({"low": low, "high": min(high, 1.0), "pairs": count})
    sizes = linkage.clusters.group_by("cluster_id").len().group_by("len").len(name="clusters")
    rules = (
        conflicts.group_by("rule_id", "severity").len().sort("rule_id", "severity")
        if conflicts.height
        else pl.DataFrame(schema={"rule_id": pl.String, "severity": pl.String, "len": pl.UInt32})
    )
    return {
        "sources": list(records.sources),
        "threshold": linkage.threshold,
        "floor": linkage.floor,
        "figures": dict(sorted(linkage.figures.items())),
        "services": per_service.to_dicts(),
        "between_services": [
            {"services": [row["left_service_id"], row["right_service_id"]], "links": row["len"]}
            for row in between.to_dicts()
        ],
        "fuzzy_score_bands": bands,
        "cluster_sizes": {str(row["len"]): row["clusters"] for row in sizes.sort("len").to_dicts()},
        "conflicts": [
            {"rule_id": row["rule_id"], "severity": row["severity"], "count": row["len"]}
            for row in rules.to_dicts()
        ],
    }


def render_report(figures: dict[str, Any]) -> str:
    """The canton's report page (run's language) from the summary's figures."""
    rules = [
        {
            **row,
            "title": _(RULE_TITLES.get(row["rule_id"], row["rule_id"])),
            "severity_label": _(SEVERITIES.get(row["severity"], row["severity"])),
        }
        for row in figures["conflicts"]
    ]
    return render(
        "identity.html",
        title=_("Persons across services"),
        figures=figures["figures"],
        threshold=figures["threshold"],
        floor=figures["floor"],
        sources=len(figures["sources"]),
        services=figures["services"],
        between=figures["between_services"],
        bands=figures["fuzzy_score_bands"],
        sizes=sorted(figures["cluster_sizes"].items(), key=lambda item: int(item[0])),
        rules=rules,
    )


def write_outputs(
    out: Path,
    records: Records,
    linkage: Linkage,
    conflicts: pl.DataFrame,
    *,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the tables, summary and report into `out` (all or nothing); the summary."""
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ConfigurationError(f"{out} is not empty; choose a new folder or give --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = summary(records, linkage, conflicts)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        linkage.links.write_parquet(staging / "links.parquet", statistics=False)
        linkage.clusters.write_parquet(staging / "clusters.parquet", statistics=False)
        conflicts.write_parquet(staging / "conflicts.parquet", statistics=False)
        (staging / "summary.json").write_text(
            json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / "identity.html").write_text(render_report(figures), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return figures


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    for name, schema in TARGET_TABLES.items():
        sa.Table(
            name,
            metadata,
            *(
                sa.Column(
                    column, _SQL[kind], index=column.endswith("person_id") or column == "cluster_id"
                )
                for column, kind in schema.items()
            ),
        )
    return metadata


METADATA = _metadata()


def write_target(
    engine: sa.Engine, linkage: Linkage, conflicts: pl.DataFrame, *, chunk: int = 50_000
) -> dict[str, int]:
    """Replace the identity tables of the target in one transaction; rows per table."""
    frames: Sequence[tuple[str, pl.DataFrame]] = (
        ("person_links", linkage.links),
        ("person_clusters", linkage.clusters),
        ("identity_conflicts", conflicts),
    )
    written: dict[str, int] = {}
    try:
        with engine.begin() as connection:
            METADATA.create_all(connection, checkfirst=True)
            for name, frame in frames:
                table = METADATA.tables[name]
                connection.execute(table.delete())
                for start in range(0, frame.height, chunk):
                    rows = frame.slice(start, chunk).select(list(TARGET_TABLES[name])).to_dicts()
                    connection.execute(table.insert(), rows)
                written[name] = frame.height
    except sa.exc.OperationalError as exc:
        raise TargetUnavailable(f"the target cannot be written ({type(exc).__name__})") from None
    except sa.exc.DBAPIError as exc:
        raise LoadError(f"the identity tables cannot be written ({type(exc).__name__})") from None
    return written


__all__ = [
    "FILES",
    "METADATA",
    "TARGET_TABLES",
    "render_report",
    "summary",
    "write_outputs",
    "write_target",
]
