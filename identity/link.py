"""Link person records across services: exact by AHVN13, fuzzy by blocking and scoring.

1. **Exact**: records that carry the same valid AHVN13 are one person, unless their
   birth dates or both their names disagree (then the number is doubtful: a conflict,
   and the records are compared like records without a number).
2. **Candidates**: every record meets the other services' records that share a block:
   (birth date, phonetic family name), (phonetic family name, phonetic given name, birth
   year) for slips in the birth date, (birth date, phonetic given name) for a new or
   misspelt family name, and (phonetic names) for a record without birth date. Each pair
   is scored (`compare.score`); at or above the threshold it is `linked`, between the
   floor and the threshold a `candidate` for review. Two different valid numbers keep a
   pair a candidate whatever its score, unless one of them is doubtful (step 1).
3. **Clusters**: connected components of the linked pairs, with an id derived from the
   smallest member's key (`C` + 16 hex digits of its SHA-256).

Everything is column-wise (polars joins, numpy, rapidfuzz over arrays) and sorted, so the
same records give the same links in the same order. The results hold keys, scores and
agreement codes only, never a name, number or date.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nffs_migration.identity import compare
from nffs_migration.identity.records import Records

DEFAULT_THRESHOLD = 0.9
DEFAULT_FLOOR = 0.75
#: A block with more records than this on one side is skipped and counted: it is a
#: placeholder (an unknown name with a default date), not people.
MAX_BLOCK = 500

LINK_SCHEMA = {
    "left_person_id": pl.String,
    "right_person_id": pl.String,
    "left_service_id": pl.String,
    "right_service_id": pl.String,
    "method": pl.String,
    "blocking": pl.String,
    "status": pl.String,
    "score": pl.Float64,
    "ahvn13": pl.String,
    "family_similarity": pl.Float64,
    "given_similarity": pl.Float64,
    "birth_date": pl.String,
    "sex": pl.String,
    "reasons": pl.String,
    "cluster_id": pl.String,
}
CLUSTER_SCHEMA = {"person_id": pl.String, "service_id": pl.String, "cluster_id": pl.String}
BLOCKINGS = ("birth_date+family", "family+given+birth_year", "birth_date+given")


@dataclass
class Linkage:
    """What linking found: pairs, clusters and the figures of the run."""

    links: pl.DataFrame
    clusters: pl.DataFrame
    exact_pairs: pl.DataFrame  # every pair sharing a number, linked or not (for conflicts)
    threshold: float
    floor: float
    figures: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def cluster_id(person_id: str) -> str:
    """A cluster's id from its smallest member's key: stable over re-runs."""
    return "C" + hashlib.sha256(person_id.encode("utf-8")).hexdigest()[:16]


def valid_ahvn13(values: pl.Series) -> pl.Series:
    """True where a value is a 13-digit `756…` number with a correct EAN-13 check digit."""
    text = values.fill_null("")
    shaped = text.str.contains(r"^756\d{10}$")
    candidates = text.filter(shaped)
    ok = np.zeros(len(text), dtype=bool)
    if len(candidates):
        digits = (
            np.frombuffer("".join(candidates.to_list()).encode("ascii"), dtype=np.uint8).reshape(
                -1, 13
            )
            - 48
        ).astype(np.int64)
        weights = np.array([1, 3] * 6, dtype=np.int64)
        check = (10 - (digits[:, :12] @ weights) % 10) % 10
        ok[np.flatnonzero(shaped.to_numpy())] = check == digits[:, 12]
    return pl.Series(values.name, ok)


def _prepare(persons: pl.DataFrame) -> pl.DataFrame:
    """Persons with an index, folded names, phonetic codes and the date as YYYYMMDD."""
    frame = persons.with_row_index("idx").with_columns(
        valid_ahvn13(persons["ahvn13"]).alias("ahv_ok")
    )
    for column, short in (("family_name", "fam"), ("given_name", "giv")):
        distinct = frame.select(pl.col(column).unique()).to_series().to_list()
        table = pl.DataFrame(
            {
                column: distinct,
                f"{short}_norm": [compare.normalise_name(v) for v in distinct],
                f"{short}_code": [compare.phonetic(v) for v in distinct],
            },
            schema={column: pl.String, f"{short}_norm": pl.String, f"{short}_code": pl.String},
        )
        frame = frame.join(table, on=column, how="left", nulls_equal=True)
    return frame.sort("idx").with_columns(
        (
            # Month and day are 8-bit integers in polars: widen before multiplying.
            pl.col("birth_date").dt.year().cast(pl.Int64) * 10_000
            + pl.col("birth_date").dt.month().cast(pl.Int64) * 100
            + pl.col("birth_date").dt.day().cast(pl.Int64)
        )
        .fill_null(0)
        .cast(pl.Int64)
        .alias("ymd"),
        pl.col("birth_date_precision").fill_null("unknown"),
        pl.col("sex").fill_null("3"),
        pl.when(pl.col("ahv_ok")).then(pl.col("ahvn13")).otherwise(None).alias("ahv"),
    )


def _components(
    frame: pl.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    doubtful: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Agreement of the pairs (left[i], right[i]) on every field."""
    fam = frame["fam_norm"].to_numpy()
    giv = frame["giv_norm"].to_numpy()
    ymd = frame["ymd"].to_numpy()
    precision = frame["birth_date_precision"].to_numpy()
    sex = frame["sex"].to_numpy()
    ahv = frame["ahv"].to_numpy()
    family = compare.name_similarity(fam[left].tolist(), fam[right].tolist())
    given = compare.name_similarity(giv[left].tolist(), giv[right].tolist())
    birth = compare.birth_agreement(ymd[left], ymd[right], precision[left], precision[right])
    sexes = compare.sex_agreement(sex[left], sex[right])
    al, ar = ahv[left], ahv[right]
    present = np.array([a is not None for a in al], dtype=bool) & np.array(
        [b is not None for b in ar], dtype=bool
    )
    ahv_code = np.where(present, np.where(al == ar, "equal", "differs"), "missing")
    if doubtful is not None:
        # A number that another record of other birth date or names carries too proves
        # nothing: the pair is judged on its names and birth date.
        shaky = doubtful[left] | doubtful[right]
        ahv_code = np.where((ahv_code == "differs") & shaky, "doubtful", ahv_code)
    return {
        "family": family,
        "given": given,
        "birth": birth,
        "sex": sexes,
        "ahvn13": ahv_code,
        "score": compare.score(family, given, birth, sexes),
    }


def _pair_frame(
    frame: pl.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    parts: dict[str, np.ndarray],
    *,
    method: str,
    blocking: np.ndarray | str,
    status: np.ndarray,
    score: np.ndarray,
) -> pl.DataFrame:
    person = frame["person_id"].to_numpy()
    service = frame["service_id"].to_numpy()
    birth = np.array(compare.BIRTH_CODES, dtype=object)[parts["birth"]]
    sex = np.array(compare.SEX_CODES, dtype=object)[parts["sex"]]
    pairs = pl.DataFrame(
        {
            "left_person_id": person[left],
            "right_person_id": person[right],
            "left_service_id": service[left],
            "right_service_id": service[right],
            "method": np.full(len(left), method, dtype=object),
            "blocking": np.broadcast_to(np.asarray(blocking, dtype=object), len(left)),
            "status": status,
            "score": score.astype(np.float64),
            "ahvn13": parts["ahvn13"].astype(object),
            "family_similarity": np.round(parts["family"], 3),
            "given_similarity": np.round(parts["given"], 3),
            "birth_date": birth,
            "sex": sex,
        },
        schema_overrides={
            k: v for k, v in LINK_SCHEMA.items() if k not in ("reasons", "cluster_id")
        },
    )
    return pairs.with_columns(
        pl.format(
            "ahvn13 {}; family {}; given {}; birth_date {}; sex {}",
            pl.col("ahvn13"),
            pl.col("family_similarity").round(2),
            pl.col("given_similarity").round(2),
            pl.col("birth_date"),
            pl.col("sex"),
        ).alias("reasons"),
        pl.lit(None, dtype=pl.String).alias("cluster_id"),
    )


def _exact(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pairs sharing a valid number: (all such pairs with their agreement, linked pairs)."""
    keyed = frame.filter(pl.col("ahv").is_not_null()).select("idx", "ahv")
    pairs = (
        keyed.join(keyed, on="ahv", suffix="_r")
        .filter(pl.col("idx") < pl.col("idx_r"))
        .sort("idx", "idx_r")
    )
    left = pairs["idx"].to_numpy().astype(np.int64)
    right = pairs["idx_r"].to_numpy().astype(np.int64)
    parts = _components(frame, left, right)
    birth_ok = np.isin(
        parts["birth"],
        [
            compare.BIRTH_CODES.index(c)
            for c in ("exact", "month", "year", "missing", "swap", "one_digit")
        ],
    )
    names_ok = (parts["family"] >= 0.85) | (parts["given"] >= 0.85)
    linked = birth_ok & names_ok
    table = _pair_frame(
        frame,
        left,
        right,
        parts,
        method="ahvn13",
        blocking="ahvn13",
        status=np.where(linked, "linked", "conflict").astype(object),
        score=np.where(linked, 1.0, parts["score"]),
    )
    return table, table.filter(pl.col("status") == "linked")


def _blocked_pairs(frame: pl.DataFrame, figures: dict[str, int]) -> pl.DataFrame:
    """Candidate pairs (idx, idx_r, blocking) of records of different services sharing a block."""
    frame = frame.with_columns((pl.col("ymd") // 10_000).alias("year"))
    known = (pl.col("ymd") > 0) & (pl.col("birth_date_precision") != "unknown")
    keys = (
        (["ymd", "fam_code"], known & (pl.col("fam_code") != "")),
        (
            ["fam_code", "giv_code", "year"],
            (pl.col("year") > 0) & (pl.col("fam_code") != "") & (pl.col("giv_code") != ""),
        ),
        (["ymd", "giv_code"], known & (pl.col("giv_code") != "")),
    )
    found = []
    for (columns, usable), name in zip(keys, BLOCKINGS, strict=True):
        everyone = frame.filter(usable).select("idx", "service_id", *columns)
        sizes = everyone.group_by(columns).len()
        big = sizes.filter(pl.col("len") > MAX_BLOCK)
        figures[f"blocks_skipped_{name}"] = big.height
        everyone = everyone.join(big.select(columns), on=columns, how="anti")
        pairs = (
            everyone.join(everyone, on=columns, suffix="_r")
            .filter(
                (pl.col("idx") < pl.col("idx_r")) & (pl.col("service_id") != pl.col("service_id_r"))
            )
            .select("idx", "idx_r", pl.lit(name).alias("blocking"))
        )
        found.append(pairs)
    # A record without a birth date meets the records with the same phonetic names.
    unknown = frame.filter(~known & (pl.col("fam_code") != "") & (pl.col("giv_code") != ""))
    everyone = frame.filter((pl.col("fam_code") != "") & (pl.col("giv_code") != ""))
    sizes = everyone.group_by("fam_code", "giv_code").len()
    big = sizes.filter(pl.col("len") > MAX_BLOCK)
    figures["blocks_skipped_family+given"] = big.height
    pairs = (
        unknown.select("idx", "service_id", "fam_code", "giv_code")
        .join(big.select("fam_code", "giv_code"), on=["fam_code", "giv_code"], how="anti")
        .join(
            everyone.select("idx", "service_id", "fam_code", "giv_code"),
            on=["fam_code", "giv_code"],
            suffix="_r",
        )
        .filter(
            (pl.col("idx") != pl.col("idx_r")) & (pl.col("service_id") != pl.col("service_id_r"))
        )
        .select(
            pl.min_horizontal("idx", "idx_r").alias("idx"),
            pl.max_horizontal("idx", "idx_r").alias("idx_r"),
            pl.lit("family+given").alias("blocking"),
        )
    )
    found.append(pairs)
    # A pair found by several keys counts once, under the first key.
    return (
        pl.concat(found)
        .unique(["idx", "idx_r"], keep="first", maintain_order=True)
        .sort("idx", "idx_r")
    )


def _clusters(size: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components: the smallest index of each record's component."""
    label = np.arange(size, dtype=np.int64)
    while len(left):
        smaller = np.minimum(label[left], label[right])
        new = label.copy()
        np.minimum.at(new, left, smaller)
        np.minimum.at(new, right, smaller)
        new = new[new]  # pointer jumping: long chains settle in few rounds
        if np.array_equal(new, label):
            break
        label = new
    return label


def link(
    records: Records,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    floor: float = DEFAULT_FLOOR,
    phase: Callable[[str], None] | None = None,
) -> Linkage:
    """Link the persons of `records`: exact pairs, scored candidates and clusters."""
    seconds: dict[str, float] = {}
    figures: dict[str, int] = {}
    started = time.perf_counter()

    def done(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = round(now - started, 3)
        started = now
        if phase is not None:
            phase(name)

    frame = _prepare(records.persons)
    figures["persons"] = frame.height
    figures["persons_with_ahvn13"] = int(frame["ahv"].is_not_null().sum())
    done("prepare")

    exact_all, exact_linked = _exact(frame)
    figures["ahvn13_pairs"] = exact_all.height
    person_index = frame.select("person_id", "idx")
    doubtful = np.zeros(frame.height, dtype=bool)
    shared = exact_all.filter(pl.col("status") != "linked")
    for column in ("left_person_id", "right_person_id"):
        rows = shared.select(column).join(person_index, left_on=column, right_on="person_id")
        doubtful[rows["idx"].to_numpy()] = True
    figures["persons_with_doubtful_ahvn13"] = int(doubtful.sum())
    done("exact")

    pairs = _blocked_pairs(frame, figures)
    # Pairs already linked by their number are not compared again.
    linked_idx = exact_linked.join(
        person_index, left_on="left_person_id", right_on="person_id"
    ).join(person_index, left_on="right_person_id", right_on="person_id", suffix="_r")
    pairs = pairs.join(linked_idx.select("idx", "idx_r"), on=["idx", "idx_r"], how="anti")
    figures["pairs_compared"] = pairs.height
    done("blocking")

    left = pairs["idx"].to_numpy().astype(np.int64)
    right = pairs["idx_r"].to_numpy().astype(np.int64)
    parts = _components(frame, left, right, doubtful)
    # Two different valid numbers: kept for review only when everything else agrees.
    keep = (parts["score"] >= floor) & (
        (parts["ahvn13"] != "differs") | (parts["score"] >= threshold)
    )
    left, right = left[keep], right[keep]
    parts = {name: values[keep] for name, values in parts.items()}
    status = np.where(
        (parts["score"] >= threshold) & (parts["ahvn13"] != "differs"), "linked", "candidate"
    ).astype(object)
    fuzzy = _pair_frame(
        frame,
        left,
        right,
        parts,
        method="fuzzy",
        blocking=pairs["blocking"].to_numpy()[keep],
        status=status,
        score=parts["score"],
    )
    done("scoring")

    links = pl.concat([exact_linked, fuzzy]).sort("left_person_id", "right_person_id")
    linked = links.filter(pl.col("status") == "linked")
    ends = linked.join(person_index, left_on="left_person_id", right_on="person_id").join(
        person_index, left_on="right_person_id", right_on="person_id", suffix="_r"
    )
    label = _clusters(
        frame.height,
        ends["idx"].to_numpy().astype(np.int64),
        ends["idx_r"].to_numpy().astype(np.int64),
    )
    persons = frame["person_id"].to_numpy()
    members = pl.DataFrame({"person_id": persons, "service_id": frame["service_id"], "root": label})
    sizes = members.group_by("root").len()
    clustered = members.join(sizes.filter(pl.col("len") > 1).select("root"), on="root")
    roots = clustered["root"].unique().sort().to_numpy()
    ids = pl.DataFrame(
        {"root": roots, "cluster_id": [cluster_id(str(persons[r])) for r in roots]},
        schema={"root": pl.Int64, "cluster_id": pl.String},
    )
    clusters = (
        clustered.with_columns(pl.col("root").cast(pl.Int64))
        .join(ids, on="root")
        .select("person_id", "service_id", "cluster_id")
        .sort("cluster_id", "person_id")
    )
    links = (
        links.drop("cluster_id")
        .join(
            clusters.select(pl.col("person_id").alias("left_person_id"), "cluster_id"),
            on="left_person_id",
            how="left",
        )
        .with_columns(
            pl.when(pl.col("status") == "linked").then(pl.col("cluster_id")).alias("cluster_id")
        )
        .select(list(LINK_SCHEMA))
        .sort("left_person_id", "right_person_id")
    )
    figures["links"] = int((links["status"] == "linked").sum())
    figures["links_exact"] = exact_linked.height
    figures["links_fuzzy"] = figures["links"] - exact_linked.height
    figures["candidates"] = int((links["status"] == "candidate").sum())
    figures["clusters"] = int(clusters["cluster_id"].n_unique())
    done("clusters")
    return Linkage(links, clusters, exact_all, threshold, floor, figures, seconds)


__all__ = [
    "BLOCKINGS",
    "CLUSTER_SCHEMA",
    "DEFAULT_FLOOR",
    "DEFAULT_THRESHOLD",
    "LINK_SCHEMA",
    "Linkage",
    "cluster_id",
    "link",
    "valid_ahvn13",
]
