"""Linking persons across services at canton scale: time per phase, pairs, links, peak RSS.

Builds N synthetic person records (default 1,000,000) vectorised with numpy: people with
family names from the sample vocabulary widened by syllables (about 6,000 names), given
names from the vocabulary, birth dates over 80 years, sex and a valid AHVN13; about 30%
of them are known to a second or third service (a moved client), and those copies carry
the dirt of real registrations: no AHV number (12%), a typo in the family name (10%) or
the given name (5%), a digit of the birth date wrong (6%), somebody else's number (3%).
Then `identity.link` runs on them and the script prints the seconds of each phase, the
pairs compared, the links, the candidates, the clusters and the peak RSS, and the pairwise
precision and recall of the linked clusters against the generator's truth.

    .venv/bin/python benchmarks/bench_identity.py            # 1,000,000 records
    .venv/bin/python benchmarks/bench_identity.py --records 200000

Nothing here asserts a timing; the machine may be shared (see `uptime`).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import time
from datetime import date

import numpy as np
import polars as pl

from nffs_migration.identity import Records, find_conflicts, link
from nffs_migration.sample_data import vocab

SYLLABLES = ("", "er", "li", "mann", "berger", "egger", "ini", "ic", "ovic", "o", "at", "ler")


def _ahvn13(numbers: np.ndarray) -> np.ndarray:
    body = (numbers.astype(np.int64) * 7_654_321 + 123_456_789) % 1_000_000_000
    digits = np.zeros((len(numbers), 12), dtype=np.int64)
    digits[:, 0], digits[:, 1], digits[:, 2] = 7, 5, 6
    for position in range(9):
        digits[:, 3 + position] = body // 10 ** (8 - position) % 10
    check = (10 - (digits @ np.array([1, 3] * 6)) % 10) % 10
    text = np.char.add("756", np.char.zfill(body.astype(str), 9))
    return np.char.add(text, check.astype(str))


def _typo(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = names.copy()
    for index, name in enumerate(names):
        if len(name) > 3:
            at = int(rng.integers(1, len(name) - 2))
            out[index] = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return out


def synthetic(records: int, seed: int = 5) -> tuple[pl.DataFrame, np.ndarray]:
    """Person records of 12 services and their true identities."""
    rng = np.random.default_rng(seed)
    families = np.array(
        sorted(
            {
                base + syllable
                for names in (vocab.SWISS_FAMILY, *vocab.FAMILY_BY_NATIONALITY.values())
                for base in names
                for syllable in SYLLABLES
            }
        )
    )
    given_f, given_m = np.array(vocab.GIVEN_FEMALE), np.array(vocab.GIVEN_MALE)
    people = int(records / 1.4)
    sex = rng.choice(np.array(["1", "2"]), people)
    given = np.where(sex == "2", rng.choice(given_f, people), rng.choice(given_m, people)).astype(
        object
    )
    family = rng.choice(families, people).astype(object)
    start = (date(1940, 1, 1) - date(1970, 1, 1)).days
    born = rng.integers(start, start + 80 * 365, people)
    ahv = _ahvn13(np.arange(1, people + 1)).astype(object)
    ahv[rng.random(people) < 0.08] = None
    # Copies: who is known to another service as well.
    extra = records - people
    who = np.concatenate([np.arange(people), rng.choice(people, extra)])
    service = rng.integers(0, 12, records)
    copy = np.arange(records) >= people
    fam, giv, bd, ah = family[who].copy(), given[who].copy(), born[who].copy(), ahv[who].copy()
    roll = rng.random((5, records))
    fam[copy & (roll[0] < 0.10)] = _typo(fam[copy & (roll[0] < 0.10)], rng)
    giv[copy & (roll[1] < 0.05)] = _typo(giv[copy & (roll[1] < 0.05)], rng)
    slip = copy & (roll[2] < 0.06)
    bd[slip] = bd[slip] + rng.choice(np.array([1, -1, 10, -10]), int(slip.sum()))
    ah[copy & (roll[3] < 0.12)] = None
    other = copy & (roll[3] >= 0.12) & (roll[4] < 0.03)
    ah[other] = ahv[rng.choice(people, int(other.sum()))]
    frame = pl.DataFrame(
        {
            "service_id": np.char.zfill((service * 37 + 101).astype(str), 4),
            "person_id": [f"{s:04d}:custom:{i}" for i, s in enumerate(service * 37 + 101)],
            "family_name": fam,
            "given_name": giv,
            "birth_date": bd.astype("datetime64[D]"),
            "birth_date_precision": np.full(records, "day"),
            "sex": sex[who],
            "ahvn13": ah,
        },
        schema_overrides={"family_name": pl.String, "given_name": pl.String, "ahvn13": pl.String},
    )
    return frame, who


def _pairs(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"uptime: {load}")
    started = time.perf_counter()
    persons, who = synthetic(args.records)
    print(f"  synthetic records      {time.perf_counter() - started:7.1f} s  ({persons.height:,})")
    records = Records.of(persons)
    started = time.perf_counter()
    linkage = link(records)
    total = time.perf_counter() - started
    for name, seconds in linkage.seconds.items():
        print(f"  {name:<22} {seconds:7.1f} s")
    print(f"  link total             {total:7.1f} s")
    started = time.perf_counter()
    conflicts = find_conflicts(records, linkage)
    print(
        f"  conflicts              {time.perf_counter() - started:7.1f} s  ({conflicts.height:,})"
    )
    figures = linkage.figures
    print(
        f"  pairs compared {figures['pairs_compared']:,}; links {figures['links']:,} "
        f"(exact {figures['links_exact']:,}, fuzzy {figures['links_fuzzy']:,}); "
        f"candidates {figures['candidates']:,}; clusters {figures['clusters']:,}"
    )
    # Pairwise precision and recall of the clusters against the truth.
    truth = pl.DataFrame({"person_id": persons["person_id"], "who": who})
    found = linkage.clusters.join(truth, on="person_id")
    predicted = _pairs(found["cluster_id"].to_numpy())
    both = _pairs((found["cluster_id"] + ":" + found["who"].cast(pl.String)).to_numpy())
    true = _pairs(who)
    print(f"  precision {both / max(predicted, 1):.4f}  recall {both / max(true, 1):.4f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
