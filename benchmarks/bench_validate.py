"""Validation throughput and memory: ours against hand-written pandas and `frictionless`.

Builds once (cached in `<cache>/validate-<rows>/`, another fail rate in
`validate-<rows>-fail<rate>/`; rebuilt if incomplete) a synthetic but consistent package
of N rows in total (default 10 million) with `PackageWriter`, generated vectorised chunk
by chunk: per case 2 persons, 3 addresses, 2 members, 15 monthly budgets with 60 items,
25 payments, 15 journal entries, a measure for protection cases and a document for every
fourth case; valid ids, references, codes, AHVN13 check digits and dates, accounting per
source table. About 1% of the rows (`--fail-rate`) fail, spread over several rules: bad
codes (blank values in required code columns among them: the writer's schema does not
let a required column hold a null), bad formats and AHV check digits, values out of
range, negative amounts, dangling references, overlapping budgets and addresses, open
cases without a lead, segment or recent contact, so the lazy path is exercised.

Then, each in its own process so that peak RSS and CPU time are per contender:
- ours: `validate_package(path, write=False)`: every rule, with the time per phase;
- pandas: the same kinds of checks hand-written in vectorised pandas on the same Parquet
  files (required values, code lists, patterns, AHV check digit, ranges, unique ids,
  foreign keys; open economic-aid case without lead, overlapping approved budgets,
  open case without a current budget, contact overdue, closed before opened);
- frictionless: `frictionless validate datapackage.json` from the package folder. It
  checks row by row in Python, and every resource with a foreign key reads its
  referenced resources whole whatever `--limit-rows` says, so it runs on a smaller
  package from the same generator (`--frictionless-package`, default 100,000 rows),
  optionally sampled (`--frictionless-limit-rows`); its time is extrapolated linearly to
  the full package, and ours is run on the same smaller package beside it.

Prints seconds (and CPU seconds: the machine may be shared), rows/s and peak RSS of
each, and the ratio ours / pandas. Ours runs within its default memory budget (an
eighth of the machine's memory, at most 768 MiB) or `--memory`. Targets: at least 1
million rows/s over all rules, within 3x of the hand-written pandas checks, and a peak
RSS of at most 1.5 GiB. Nothing here asserts a timing. A contender
that runs longer than `--timeout` is stopped and reported as such.

    python benchmarks/bench_validate.py [--rows 10000000] [--fail-rate 0.01]
        [--frictionless-package 100000] [--frictionless-limit-rows 0]
        [--only ours,pandas,frictionless] [--timeout 3600] [--verbose] [--memory 1G]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from synthetic import (  # (benchmarks/ is on sys.path: they run as scripts)
    AS_OF,
    AS_OF_DAY,
    AS_OF_MONTH,
    CLOSING,
    CONTACT,
    CONTACT_P,
    DATA_AS_OF,
    DAY_US,
    DOMAIN_P,
    DOMAINS,
    FAMILY,
    LANGUAGE,
    LANGUAGE_P,
    NATIONALITY,
    NATIONALITY_P,
    PREFIX,
    RECIPIENTS,
    STREETS,
    SUBJECTS,
    YEAR,
    active_staff,
    ahvn13,
    choose,
    dates,
    join,
    lineage,
    money,
    month_start,
    pick,
    record_ids,
    staff_table,
    table,
    text,
)

from nffs_migration.intermediate_format import CODE_LISTS, TABLES

#: Rows per case of the tables that hang off a case (measures and documents: fewer).
PER_CASE = {
    "persons": 2,
    "addresses": 3,
    "case_members": 2,
    "budgets": 15,
    "budget_items": 60,
    "payments": 25,
    "journal_entries": 15,
}
ROWS_PER_CASE = 1 + sum(PER_CASE.values()) + 0.16 + 0.25
CASES_PER_CHUNK = 10_000
SOURCE_TABLES = {
    "organisation": "tblMandant",
    "staff": "tblMitarbeiter",
    "persons": "tblPerson",
    "addresses": "tblAdresse",
    "cases": "tblDossier",
    "case_members": "tblDossierPerson",
    "budgets": "tblBudget",
    "budget_items": "tblBudgetPosition",
    "payments": "tblZahlung",
    "journal_entries": "tblJournal",
    "measures": "tblMassnahme",
    "documents": "tblDokument",
}

GIVEN = ("Anna", "Luca", "Mia", "Noah", "Lea", "Elias", "Sara", "Jan", "Nina", "Tim")
TOWNS = (("3600", "Thun", 942), ("3011", "Bern", 351), ("2502", "Biel/Bienne", 371))
TEXTS = (
    "Synthetischer Eintrag: Gespräch über die Situation geführt.",
    "Synthetischer Eintrag: Unterlagen erhalten und abgelegt.",
    "Synthetischer Eintrag: Termin vereinbart.",
    "Synthetischer Eintrag: Budget besprochen, keine Änderung.",
)


# --------------------------------------------------------------------------------------
# the synthetic package


class Faults:
    """Disjoint random subsets of a table's rows, one per injected defect, `rate` in total."""

    def __init__(self, rng: np.random.Generator, n: int, rate: float, shares: dict[str, float]):
        draw = rng.random(n)
        total = sum(shares.values())
        self.masks: dict[str, np.ndarray] = {}
        low = 0.0
        for fault, share in shares.items():
            high = low + rate * share / total
            self.masks[fault] = (draw >= low) & (draw < high)
            low = high

    def __getitem__(self, fault: str) -> np.ndarray:
        return self.masks[fault]


def chunk_tables(
    first: int, n: int, staff: int, rate: float, seed: int
) -> Iterator[tuple[str, pa.Table]]:
    """The rows of cases first+1 .. first+n and everything that hangs off them."""
    rng = np.random.default_rng([seed, first])
    case_no = np.arange(first + 1, first + n + 1)
    case_key = text(case_no)
    case_id = record_ids(case_key)
    # cases are few: their defects (mostly cross-table) are drawn 4x as often
    cf = Faults(
        rng,
        n,
        rate * 4,
        {"reason": 1, "bad_reason": 1, "segment": 1, "overdue": 1, "no_lead": 1, "order": 0.5},
    )

    # cases
    domain = rng.choice(len(DOMAINS), n, p=DOMAIN_P)
    closed = rng.random(n) < 0.55
    ref_month = np.where(closed, AS_OF_MONTH - rng.integers(1, 150, n), AS_OF_MONTH)
    first_month = ref_month - 14
    opened = month_start(first_month) - rng.integers(0, 2500, n)
    closed_on = month_start(ref_month + 1) - 1
    opened_on = np.where(cf["order"] & closed, closed_on + 20, opened)
    reason = pick(CLOSING, rng.integers(0, len(CLOSING), n), ~closed | cf["reason"])
    reason = pc.if_else(pa.array(cf["bad_reason"] & closed), "vanished", reason)
    active = active_staff(staff)
    responsible = np.where(closed, rng.integers(1, staff + 1, n), rng.integers(1, active + 1, n))
    segment_null = ~np.isin(domain, (0, 4)) | cf["segment"]
    since = opened + rng.integers(0, 60, n)
    yield (
        "cases",
        table(
            "cases",
            {
                "case_id": case_id,
                **lineage(case_key),
                "case_number": join("WH-", case_key),
                "domain": pick(DOMAINS, domain),
                "opened_on": dates(opened_on),
                "closed_on": dates(closed_on, ~closed),
                "closing_reason": reason,
                "responsible_staff_id": record_ids(join("S", text(responsible))),
                "segment": choose(rng, ("A", "B", "C"), n, (0.2, 0.5, 0.3), segment_null),
                "segment_since": dates(since, segment_null),
                "file_number": pa.array(np.full(n, None), pa.string()),
            },
        ),
    )
    end_day = np.where(closed, closed_on, AS_OF_DAY)

    # persons: 2 per case, the lead and a partner or a child
    pn = 2 * n
    person_no = (first * 2 + np.arange(1, pn + 1)).astype(np.int64)
    person_key = join("P", text(person_no))
    lead_birth = opened - rng.integers(18 * YEAR, 65 * YEAR, n)
    partner = rng.random(n) < 0.5
    other_birth = np.where(
        partner,
        lead_birth + rng.integers(-8 * YEAR, 8 * YEAR, n),
        lead_birth + rng.integers(18 * YEAR, 40 * YEAR, n),
    )
    other_birth = np.minimum(other_birth, AS_OF_DAY - 30)
    birth = np.column_stack([lead_birth, other_birth]).ravel()
    pf = Faults(rng, pn, rate, {"ahv": 2, "sex": 1, "precision": 1, "future": 0.5})
    nationality = rng.choice(len(NATIONALITY), pn, p=NATIONALITY_P)
    permit = np.where(nationality == 0, 0, rng.choice((1, 2, 3), pn, p=(0.45, 0.45, 0.1)))
    sex = pc.if_else(pa.array(pf["sex"]), "X", choose(rng, ("1", "2"), pn))
    yield (
        "persons",
        table(
            "persons",
            {
                "person_id": record_ids(person_key),
                **lineage(person_key),
                "family_name": choose(rng, FAMILY, pn),
                "given_name": choose(rng, GIVEN, pn),
                "birth_date": dates(np.where(pf["future"], AS_OF_DAY + 400, birth)),
                "birth_date_precision": pc.if_else(
                    pa.array(pf["precision"]),
                    "",  # blank: required columns cannot hold nulls in our writer's schema
                    choose(rng, ("day", "month", "year"), pn, (0.95, 0.03, 0.02)),
                ),
                "sex": sex,
                "ahvn13": pc.if_else(
                    pa.array(rng.random(pn) < 0.03),
                    pa.scalar(None, pa.string()),
                    ahvn13(person_no, pf["ahv"]),
                ),
                "old_ahv_number": pa.array(
                    rng.integers(10**10, 10**11, pn).astype(str), mask=rng.random(pn) < 0.7
                ),
                "marital_status": choose(rng, ("1", "2", "4", "5"), pn, (0.45, 0.3, 0.2, 0.05)),
                "nationality": pick(NATIONALITY, nationality),
                "residence_permit": pick(("CH", "C", "B", "F"), permit),
                "language": choose(rng, LANGUAGE, pn, LANGUAGE_P),
                "death_date": pa.array(np.full(pn, None), pa.date32()),
            },
        ),
    )
    lead_person = person_no[0::2]
    other_person = person_no[1::2]

    # addresses: the lead's former and current one, the other person's current one
    an = 3 * n
    address_no = first * 3 + np.arange(1, an + 1)
    address_key = join("A", text(address_no))
    owner = np.column_stack([lead_person, lead_person, other_person]).ravel()
    moved = opened - rng.integers(400, 4000, n)
    af = Faults(rng, an, rate, {"postal": 1, "commune": 1, "person": 1, "overlap": 1})
    start = np.column_stack([moved, opened, opened]).ravel()
    end = np.column_stack([opened - 1, opened, opened]).ravel()
    end = np.where(af["overlap"], end + 90, end)
    former = np.tile([True, False, False], n)
    town = rng.integers(0, len(TOWNS), an)
    postal = pick(tuple(t[0] for t in TOWNS), town)
    commune = np.array([t[2] for t in TOWNS])[town]
    yield (
        "addresses",
        table(
            "addresses",
            {
                "address_id": record_ids(address_key),
                **lineage(address_key),
                "person_id": pc.if_else(
                    pa.array(af["person"]),
                    join(PREFIX, "missing-", address_key),
                    record_ids(join("P", text(owner))),
                ),
                "street": choose(rng, STREETS, an),
                "house_number": text(rng.integers(1, 120, an)),
                "postal_code": pc.if_else(pa.array(af["postal"]), "36000", postal),
                "town": pick(tuple(t[1] for t in TOWNS), town),
                "commune_number": pa.array(np.where(af["commune"], 0, commune), pa.int64()),
                "valid_from": dates(start),
                "valid_to": dates(end, ~(former | af["overlap"])),
            },
        ),
    )

    # case members: the lead and the other person, for the whole case
    mf = Faults(rng, 2 * n, rate, {"person": 1, "role": 1})
    member_person = np.column_stack([lead_person, other_person]).ravel()
    member_case = np.repeat(case_no, 2)
    member_key = join(text(member_case), "/P", text(member_person))
    role = np.column_stack([np.zeros(n, int), np.where(partner, 1, 2)]).ravel()
    role[0::2][cf["no_lead"]] = 3
    yield (
        "case_members",
        table(
            "case_members",
            {
                "case_member_id": record_ids(member_key),
                **lineage(member_key),
                "case_id": record_ids(text(member_case)),
                "person_id": pc.if_else(
                    pa.array(mf["person"]),
                    join(PREFIX, "missing-", member_key),
                    record_ids(join("P", text(member_person))),
                ),
                "role": pc.if_else(
                    pa.array(mf["role"]),
                    "guardian",
                    pick(("lead", "partner", "child", "other"), role),
                ),
                "valid_from": dates(np.repeat(opened, 2)),
                "valid_to": dates(np.repeat(closed_on, 2), np.repeat(~closed, 2)),
                "supported": pa.array(np.ones(2 * n, dtype=bool)),
            },
        ),
    )

    # budgets: 15 monthly budgets up to the closing month (open cases: the current month)
    bn = 15 * n
    budget_case = np.repeat(case_no, 15)
    month = np.repeat(first_month, 15) + np.tile(np.arange(15), n)
    budget_key = join(text(budget_case), "/budget/", text(np.tile(np.arange(1, 16), n)))
    bf = Faults(rng, bn, rate, {"overlap": 2, "status": 1, "case": 1})
    last = np.tile(np.arange(15) == 14, n)
    status = np.where(last | (rng.random(bn) < 0.92), 1, 3)
    from_day = np.where(bf["overlap"] & ~np.tile(np.arange(15) == 0, n), -10, 0) + month_start(
        month
    )
    yield (
        "budgets",
        table(
            "budgets",
            {
                "budget_id": record_ids(budget_key),
                **lineage(budget_key),
                "case_id": pc.if_else(
                    pa.array(bf["case"]),
                    join(PREFIX, "missing-", budget_key),
                    record_ids(text(budget_case)),
                ),
                "valid_from": dates(from_day),
                "valid_to": dates(month_start(month + 1) - 1),
                "status": pc.if_else(
                    pa.array(bf["status"]),
                    "pending",
                    pick(("draft", "approved", "rejected", "archived"), status),
                ),
            },
        ),
    )

    # budget items: 4 per budget (basic needs, rent, health insurance, an income)
    itn = 60 * n
    item_no = first * 60 + np.arange(1, itn + 1)
    item_key = join("I", text(item_no))
    slot = np.tile(np.arange(4), 15 * n)
    income = rng.choice((8, 9, 10, 7), itn)  # LOHN, AHV_IV, ALV, IZU
    position = np.where(slot == 0, 0, np.where(slot == 1, 1, np.where(slot == 2, 3, income)))
    low = np.array([1000_00, 700_00, 250_00, 0])[slot]
    high = np.array([2000_00, 2200_00, 600_00, 3000_00])[slot]
    cents = rng.integers(low, high)
    itf = Faults(rng, itn, rate, {"negative": 2, "position": 1, "kind": 1, "budget": 1})
    positions = CODE_LISTS["budget_position"].values
    yield (
        "budget_items",
        table(
            "budget_items",
            {
                "budget_item_id": record_ids(item_key),
                **lineage(item_key),
                "budget_id": pc.if_else(
                    pa.array(itf["budget"]),
                    join(PREFIX, "missing-", item_key),
                    record_ids(pc.take(budget_key, pa.array(np.repeat(np.arange(bn), 4)))),
                ),
                "position": pc.if_else(pa.array(itf["position"]), "", pick(positions, position)),
                "kind": pc.if_else(
                    pa.array(itf["kind"]), "both", pick(("expense", "income"), slot == 3)
                ),
                "amount_chf": money(np.where(itf["negative"], -cents, cents)),
            },
        ),
    )

    # payments: 25 per case over the budget months
    payn = 25 * n
    pay_no = first * 25 + np.arange(1, payn + 1)
    pay_key = join("Z", text(pay_no))
    pay_case = np.repeat(case_no, 25)
    pay_month = np.repeat(first_month, 25) + np.tile(np.arange(25) * 15 // 25, n)
    zf = Faults(rng, payn, rate, {"amount": 1, "category": 1, "status": 1, "case": 1})
    pay_cents = np.where(zf["amount"], 60_000_00, rng.integers(50_00, 3000_00, payn))
    yield (
        "payments",
        table(
            "payments",
            {
                "payment_id": record_ids(pay_key),
                **lineage(pay_key),
                "case_id": pc.if_else(
                    pa.array(zf["case"]),
                    join(PREFIX, "missing-", pay_key),
                    record_ids(text(pay_case)),
                ),
                "value_date": dates(month_start(pay_month) + rng.integers(0, 28, payn)),
                "amount_chf": money(pay_cents),
                "category": pc.if_else(
                    pa.array(zf["category"]), "MISC", choose(rng, positions[:6], payn)
                ),
                "recipient": choose(rng, RECIPIENTS, payn),
                "status": pc.if_else(
                    pa.array(zf["status"]),
                    "void",
                    choose(
                        rng,
                        ("paid", "released", "recorded", "reversed"),
                        payn,
                        (0.9, 0.04, 0.04, 0.02),
                    ),
                ),
            },
        ),
    )

    # journal: 15 entries per case between opening and closing (or the data's date);
    # the last of an open case is a recent personal talk
    jn = 15 * n
    journal_no = first * 15 + np.arange(1, jn + 1)
    journal_key = join("J", text(journal_no))
    journal_case = np.repeat(case_no, 15)
    span = np.repeat((end_day - opened) * DAY_US, 15)
    at = np.repeat(opened * DAY_US, 15) + (rng.random(jn) * span).astype(np.int64)
    contact = rng.choice(len(CONTACT), jn, p=CONTACT_P)
    recent = np.tile(np.arange(15) == 14, n) & np.repeat(~closed, 15)
    back = np.where(np.repeat(cf["overdue"], 15), 3 * YEAR, rng.integers(1, 60, jn))
    at = np.where(recent, (AS_OF_DAY - back) * DAY_US + 10 * 3_600_000_000, at)
    contact = np.where(recent, 0, contact)
    if recent.any():  # an overdue case has no other recent personal contact
        overdue_rows = np.repeat(cf["overdue"] & ~closed, 15) & ~recent
        contact = np.where(overdue_rows & np.isin(contact, (0, 3)), 1, contact)
    jf = Faults(rng, jn, rate, {"contact": 1, "duration": 1, "case": 1, "talk": 1})
    with_duration = np.isin(contact, (0, 3, 4)) & ~jf["talk"]
    minutes = np.where(jf["duration"], 2000, rng.integers(15, 120, jn))
    yield (
        "journal_entries",
        table(
            "journal_entries",
            {
                "journal_entry_id": record_ids(journal_key),
                **lineage(journal_key),
                "case_id": pc.if_else(
                    pa.array(jf["case"]),
                    join(PREFIX, "missing-", journal_key),
                    record_ids(text(journal_case)),
                ),
                "occurred_at": pa.array(at, pa.timestamp("us")),
                "staff_id": record_ids(join("S", text(np.repeat(responsible, 15)))),
                "contact_type": pc.if_else(
                    pa.array(jf["contact"]), "visit", pick(CONTACT, contact)
                ),
                "duration_minutes": pa.array(
                    minutes, pa.int64(), mask=~(with_duration | jf["duration"])
                ),
                "subject": choose(rng, SUBJECTS, jn),
                "text": choose(rng, TEXTS, jn),
            },
        ),
    )

    # measures: one per protection case
    protection = np.flatnonzero(np.isin(domain, (2, 3)))
    measure_key = join("M", text(case_no[protection]))
    yield (
        "measures",
        table(
            "measures",
            {
                "measure_id": record_ids(measure_key),
                **lineage(measure_key),
                "case_id": pc.take(case_id, pa.array(protection)),
                "legal_basis": pick(("ZGB 308", "ZGB 394"), domain[protection] - 2),
                "started_on": dates(opened[protection]),
                "ended_on": dates(closed_on[protection], ~closed[protection]),
                "mandate_holder_staff_id": record_ids(join("S", text(responsible[protection]))),
                "authority": pa.array(np.full(len(protection), "KESB Thun")),
            },
        ),
    )


def document_rows(writer: Any, first: int, n: int, rng: np.random.Generator) -> pa.Table | None:
    """A small document for every fourth case, with its file in the package."""
    numbers = np.arange(first + 1, first + n + 1)
    numbers = numbers[numbers % 4 == 0]
    if not len(numbers):
        return None
    stored = []
    for number in numbers.tolist():
        content = b"%PDF-1.4\n% synthetic benchmark document " + str(number).encode() * 20
        stored.append(writer.add_document(f"{number}/d1.pdf", io.BytesIO(content)))
    keys = join("D", text(numbers))
    m = len(numbers)
    return table(
        "documents",
        {
            "document_id": record_ids(keys),
            **lineage(keys),
            "case_id": record_ids(text(numbers)),
            "person_id": record_ids(join("P", text(numbers * 2 - 1))),
            "title": pa.array(np.full(m, "Verfügung")),
            "doc_type": choose(rng, ("decision", "report", "letter", "receipt"), m),
            "created_at": pa.array(
                (AS_OF_DAY - rng.integers(30, 3000, m)) * DAY_US, pa.timestamp("us")
            ),
            "file": pa.array([s.file for s in stored], pa.string()),
            "media_type": pa.array(np.full(m, "application/pdf")),
            "size_bytes": pa.array([s.size_bytes for s in stored], pa.int64()),
            "sha256": pa.array([s.sha256 for s in stored], pa.string()),
        },
    )


def build(path: Path, rows: int, rate: float, seed: int = 7) -> dict[str, Any]:
    """Write the package of about `rows` rows; return what was written."""
    from nffs_migration.intermediate_format import PackageWriter

    cases = max(4, round(rows / ROWS_PER_CASE))
    staff = max(10, cases // 150)
    cases = max(4, round((rows - staff - 1) / ROWS_PER_CASE))
    counts = {name: 0 for name in TABLES}
    started = time.perf_counter()
    with PackageWriter(
        path,
        service_id="0942",
        source_system="klibnet",
        data_as_of=DATA_AS_OF,
        source_version="bench",
        overwrite=True,
    ) as writer:
        rng = np.random.default_rng(seed)
        organisation = table(
            "organisation",
            {
                "organisation_id": pa.array([PREFIX + "0942"]),
                **lineage(pa.array(["0942"])),
                "name": pa.array(["Sozialdienst Benchmark"]),
                "commune_numbers": pa.array(["[942, 351, 371]"]),
                "source_version": pa.array(["bench"]),
                "data_as_of": pa.array([DATA_AS_OF.replace(tzinfo=None)], pa.timestamp("us")),
            },
        )
        for name, chunk in (("organisation", organisation), ("staff", staff_table(staff, GIVEN))):
            writer.write(name, chunk)
            counts[name] += chunk.num_rows
        for first in range(0, cases, CASES_PER_CHUNK):
            n = min(CASES_PER_CHUNK, cases - first)
            for name, chunk in chunk_tables(first, n, staff, rate, seed):
                writer.write(name, chunk)
                counts[name] += chunk.num_rows
            documents = document_rows(writer, first, n, rng)
            if documents is not None:
                writer.write("documents", documents)
                counts["documents"] += documents.num_rows
            done = first + n
            print(f"\r  building: {done:,} of {cases:,} cases", end="", file=sys.stderr)
        print(file=sys.stderr)
        for name, count in counts.items():
            writer.account(SOURCE_TABLES[name], read=count, migrated=count)
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return {
        "rows": sum(counts.values()),
        "tables": counts,
        "cases": cases,
        "fail_rate": rate,
        "seconds": seconds,
        "bytes": size,
    }


def package_dir(cache: Path, rows: int, rate: float) -> tuple[Path, dict[str, Any]]:
    """The cached package for (rows, fail rate), built when missing or incomplete."""
    folder = cache / (f"validate-{rows}" if rate == 0.01 else f"validate-{rows}-fail{rate:g}")
    package = folder / "package"
    info = folder / "build.json"
    if not (info.exists() and (package / "manifest.json").exists()):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        built = build(package, rows, rate)
        info.write_text(json.dumps(built, indent=1))
        print(
            f"built {package}: {built['rows']:,} rows, {built['bytes'] / 2**20:,.0f} MiB "
            f"in {built['seconds']:.0f} s",
            file=sys.stderr,
        )
    return package, json.loads(info.read_text())


# --------------------------------------------------------------------------------------
# contenders


def _timed(label: str, phases: dict[str, float], function: Callable[..., Any]) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.perf_counter() - started

    return wrapper


def run_ours(path: Path) -> dict[str, Any]:
    """validate_package without writing reports, with the time of each phase."""
    from nffs_migration.validators import engine
    from nffs_migration.validators.memory import memory_budget

    phases: dict[str, float] = {}
    # Time the phases by wrapping what the engine calls (only if it still calls it).
    if hasattr(engine, "CHECKS"):
        engine.CHECKS = tuple(_timed(c.__name__, phases, c) for c in engine.CHECKS)
    for name, label in (
        ("open_package", "open (manifest)"),
        ("verify", "verify files (reading tables)"),
        ("judge", "judge"),
        ("fill_rates", "fill_rates"),
        ("findings_by_year", "findings_by_year"),
    ):
        if hasattr(engine, name):
            setattr(engine, name, _timed(label, phases, getattr(engine, name)))
    started, cpu = time.perf_counter(), time.process_time()
    outcome = engine.validate_package(path, write=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    by_rule = {rule.id: rule.failed for rule in outcome.report.rules if rule.failed}
    return {
        "budget": memory_budget(),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "findings": len(outcome.report.findings),
        "phases": phases,
        "failed_by_rule": by_rule,
    }


def _ahv_invalid(values: Any) -> np.ndarray:
    """Vectorised AHVN13 check digit over a pandas string column (True: wrong digit)."""
    present = values.notna().to_numpy()
    shaped = values.str.fullmatch(r"756[0-9]{10}").fillna(False).to_numpy(dtype=bool)
    candidates = present & shaped
    result = np.zeros(len(values), dtype=bool)
    if candidates.any():
        strings = values[candidates].to_numpy(dtype="S13")
        digits = strings.view(np.uint8).reshape(-1, 13).astype(np.int64) - ord("0")
        check = (10 - (digits[:, :12] @ np.array([1, 3] * 6)) % 10) % 10
        result[np.flatnonzero(candidates)] = check != digits[:, 12]
    return result


def run_pandas(path: Path) -> dict[str, Any]:
    """The checks hand-written in vectorised pandas, table by table."""
    import pandas as pd
    import pyarrow.parquet as pq

    started, cpu = time.perf_counter(), time.process_time()
    as_of = pd.Timestamp(AS_OF)
    failed: dict[str, int] = {}

    def count(rule: str, mask: Any) -> None:
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False).to_numpy(dtype=bool)
        failed[rule] = failed.get(rule, 0) + int(np.count_nonzero(mask))

    def strings_as_arrow(arrow_type: pa.DataType) -> Any:
        # Arrow-backed strings: str.fullmatch and isin then run in Arrow compute (RE2,
        # hash sets); pandas' default `str` dtype falls back to Python for both here.
        return pd.ArrowDtype(arrow_type) if pa.types.is_string(arrow_type) else None

    ids: dict[str, Any] = {}
    keep: dict[str, Any] = {}
    narrow = {
        "cases": ["case_id", "domain", "closed_on", "opened_on", "segment", "segment_since"],
        "case_members": ["case_id", "role", "valid_from", "valid_to"],
        "budgets": ["case_id", "valid_from", "valid_to", "status"],
        "journal_entries": ["case_id", "occurred_at", "contact_type"],
    }
    rows = 0
    for name, spec in TABLES.items():
        arrow = pq.read_table(path / "tables" / f"{name}.parquet")
        for i, field in enumerate(arrow.schema):
            if pa.types.is_decimal(field.type):
                arrow = arrow.set_column(i, field.name, arrow.column(i).cast(pa.float64()))
        frame = arrow.to_pandas(date_as_object=False, types_mapper=strings_as_arrow)
        del arrow
        rows += len(frame)
        for column in spec.columns:
            values = frame[column.name]
            present = values.notna()
            if column.required:
                count("required-value-missing", ~present)
            if column.codes:
                allowed = CODE_LISTS[column.codes].values
                count("code-not-in-list", present & ~values.isin(allowed))
            if column.fmt is not None:
                pattern = column.fmt.pattern.removeprefix("^").removesuffix("$")
                matches = values.str.fullmatch(pattern).fillna(True).astype(bool)
                count("format-invalid", present & ~matches)
                if column.fmt.check_digit:
                    count("ahvn13-check-digit", _ahv_invalid(values))
            if column.minimum is not None:
                count("value-out-of-range", present & (values < column.minimum))
            if column.maximum is not None:
                count("value-out-of-range", present & (values > column.maximum))
            if column.foreign_key is not None:
                known = ids[column.foreign_key.table]
                count("foreign-key-unresolved", present & ~values.isin(known))
        key = frame[spec.primary_key]
        count("duplicate-id", key.duplicated())
        if any(
            c.foreign_key is not None and c.foreign_key.table == name
            for t in TABLES.values()
            for c in t.columns
        ):
            ids[name] = key
        if name in ("budget_items", "payments"):
            limit = 20_000 if name == "budget_items" else 50_000
            amount = frame["amount_chf"]
            count("amount-out-of-range", (amount < 0) | (amount > limit))
        if name in narrow:
            keep[name] = frame[narrow[name]]
        del frame

    # cross-table rules
    cases = keep["cases"]
    open_case = (cases["closed_on"].isna() | (cases["closed_on"] > as_of)).to_numpy()
    open_aid = open_case & (cases["domain"] == "economic_aid").fillna(False).to_numpy(dtype=bool)
    count("closed-before-opened", cases["closed_on"] < cases["opened_on"])
    members = keep["case_members"]
    leads = members[
        (members["role"] == "lead").fillna(False).to_numpy(dtype=bool)
        & (members["valid_from"].isna() | (members["valid_from"] <= as_of))
        & (members["valid_to"].isna() | (members["valid_to"] >= as_of))
    ]
    count("open-case-without-lead", open_aid & ~cases["case_id"].isin(leads["case_id"]).to_numpy())
    budgets = keep["budgets"]
    approved = budgets[(budgets["status"] == "approved").fillna(False).to_numpy(dtype=bool)]
    approved = approved.sort_values(["case_id", "valid_from"])
    end = approved["valid_to"].fillna(pd.Timestamp("2262-01-01"))
    previous_end = end.groupby(approved["case_id"]).cummax().groupby(approved["case_id"]).shift()
    count("budget-periods-overlap", approved["valid_from"] <= previous_end)
    current = approved[
        (approved["valid_from"] <= as_of)
        & (approved["valid_to"].isna() | (approved["valid_to"] >= as_of))
    ]
    count(
        "open-case-without-current-budget",
        open_aid & ~cases["case_id"].isin(current["case_id"]).to_numpy(),
    )
    journal = keep["journal_entries"]
    talks = journal[journal["contact_type"].isin(("personal_talk", "home_visit"))]
    last = talks.groupby("case_id")["occurred_at"].max()
    window = np.where((cases["segment"] == "A").fillna(False).to_numpy(dtype=bool), 183, 365)
    window_start = as_of - pd.to_timedelta(window, unit="D")
    since = cases["segment_since"].fillna(cases["opened_on"])
    judged = open_case & cases["segment"].notna().to_numpy() & (since <= window_start).to_numpy()
    last_contact = cases["case_id"].map(last)
    count("contact-overdue", judged & ~(last_contact >= window_start).to_numpy())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": rows, "failed_by_rule": failed}


def run_frictionless(path: Path, limit_rows: int) -> dict[str, Any]:
    """`frictionless validate datapackage.json` from the package folder (all rows, or a sample)."""
    exe = Path(sys.executable).with_name("frictionless")
    command = [str(exe), "validate", "datapackage.json", "--limit-errors", "1000000000", "--json"]
    if limit_rows:
        command += ["--limit-rows", str(limit_rows)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=path, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return {"seconds": seconds, "error": (done.stderr or done.stdout)[-2000:]}
    tasks = report.get("tasks", [])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "rows_checked": sum(int(t.get("stats", {}).get("rows") or 0) for t in tasks),
        "errors": sum(int(t.get("stats", {}).get("errors") or 0) for t in tasks),
        "valid": report.get("valid"),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }


def child(mode: str, path: Path, limit_rows: int) -> None:
    if mode == "ours":
        result = run_ours(path)
    elif mode == "pandas":
        result = run_pandas(path)
    else:
        result = run_frictionless(path, limit_rows)
    result.setdefault("peak_rss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def run_child(arguments: list[str], timeout: float) -> dict[str, Any]:
    """Run a contender in its own process (own session: stopped whole on timeout)."""
    process = subprocess.Popen(
        [sys.executable, __file__, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"timeout": timeout}
    if process.returncode != 0:
        return {"error": stderr[-2000:]}
    return json.loads(stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# report


def _line(label: str, result: dict[str, Any], rows: float, extra: str = "") -> str:
    seconds, cpu, rss = result["seconds"], result["cpu_seconds"], result["peak_rss_mib"]
    rate = rows / seconds if seconds else float("nan")
    return (
        f"  {label:13} {seconds:8.1f} s (cpu {cpu:7.1f} s)  {rate:>11,.0f} rows/s  "
        f"peak RSS {rss:7,.0f} MiB{extra}"
    )


def _describe(info: dict[str, Any]) -> str:
    return (
        f"{info['rows']:,} rows in 12 tables ({info['cases']:,} cases), "
        f"{info['bytes'] / 2**20:,.0f} MiB, fail rate {info['fail_rate']:.2%}"
    )


def report(
    info: dict[str, Any],
    small: dict[str, Any] | None,
    results: dict[str, dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    rows = info["rows"]
    print(f"package: {_describe(info)}")
    print("  " + ", ".join(f"{name} {count:,}" for name, count in info["tables"].items()))
    for mode, result in results.items():
        label = {"ours-small": "ours"}.get(mode, mode)
        if mode == "frictionless" and small is not None:
            print(f"frictionless package (same generator): {_describe(small)}")
        if "timeout" in result:
            print(f"  {label:13} did not finish within {result['timeout']:.0f} s (stopped)")
            continue
        if "error" in result:
            print(f"  {label:13} failed: {result['error'].strip().splitlines()[-1]}")
            continue
        if mode in ("ours", "ours-small"):
            counted = rows if mode == "ours" else small["rows"]  # type: ignore[index]
            extra = f"  {result['findings']:,} findings"
            print(_line(label, result, counted, extra))
            for phase, seconds in sorted(result["phases"].items(), key=lambda p: -p[1]):
                print(f"      {phase:28} {seconds:8.1f} s")
        elif mode == "pandas":
            failed = sum(result["failed_by_rule"].values())
            extra = f"  {failed:,} failing checks"
            print(_line("pandas", result, result["rows"], extra))
        else:
            checked = result["rows_checked"]
            extra = f"  {result['errors']:,} errors"
            print(_line(label, result, checked, extra))
            full = result["seconds"] * rows / max(checked, 1)
            how = (
                f"--limit-rows {args.frictionless_limit_rows:,} per resource"
                if args.frictionless_limit_rows
                else "every row"
            )
            print(
                f"      sampled: {how}, {checked:,} rows checked; extrapolated linearly to "
                f"the {rows:,} rows: about {full:,.0f} s ({full / 3600:.1f} h)"
            )
    ours, pandas = results.get("ours", {}), results.get("pandas", {})
    if ours.get("budget"):
        print(f"  ours: memory budget {ours['budget'] / 2**20:,.0f} MiB")
    if "seconds" in ours:
        rate = rows / ours["seconds"]
        print(f"  ours: {rate / 1e6:.2f} M rows/s over all rules (target: at least 1 M rows/s)")
    if "seconds" in ours and "seconds" in pandas:
        ratio = ours["seconds"] / pandas["seconds"]
        print(f"  ratio ours / pandas: {ratio:.2f}x the time (target: within 3x)")
    if args.verbose:
        for mode in ("ours", "pandas"):
            failed = results.get(mode, {}).get("failed_by_rule")
            if failed:
                print(f"  failing records by rule, {mode}:")
                for rule, count in sorted(failed.items()):
                    print(f"      {rule:36} {count:>10,}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--fail-rate", type=float, default=0.01)
    parser.add_argument(
        "--frictionless-package",
        type=int,
        default=100_000,
        help="rows of the (smaller) package frictionless validates; 0: the main package",
    )
    parser.add_argument(
        "--frictionless-limit-rows",
        type=int,
        default=0,
        help="frictionless --limit-rows (rows per resource); 0: every row",
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nffs-bench")
    parser.add_argument("--only", default="ours,pandas,frictionless")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per contender")
    parser.add_argument("--verbose", action="store_true", help="failing records by rule")
    parser.add_argument(
        "--memory",
        help="our memory budget (NFFS_VALIDATE_MEMORY, e.g. 512M); default: the machine's",
    )
    parser.add_argument("--child", choices=["ours", "pandas", "frictionless"])
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path, args.frictionless_limit_rows)
        return
    modes = args.only.split(",")
    if args.memory:
        os.environ["NFFS_VALIDATE_MEMORY"] = args.memory  # read by our child process
    path, info = package_dir(args.cache, args.rows, args.fail_rate)
    small_path, small = path, None
    if "frictionless" in modes and args.frictionless_package not in (0, args.rows):
        small_path, small = package_dir(args.cache, args.frictionless_package, args.fail_rate)
    results = {}
    for mode in modes:
        target = small_path if mode == "frictionless" else path
        arguments = ["--child", mode, "--path", str(target)]
        arguments += ["--frictionless-limit-rows", str(args.frictionless_limit_rows)]
        results[mode] = run_child(arguments, args.timeout)
    if small is not None and "ours" in modes:
        # ours beside frictionless on the same (smaller) package
        results["ours-small"] = run_child(
            ["--child", "ours", "--path", str(small_path)], args.timeout
        )
    report(info, small, results, args)


if __name__ == "__main__":
    main()
