"""Loader throughput: `load_package` against a bare COPY (PostgreSQL) and executemany (SQLite).

Builds once (cached in `<cache>/load-<rows>-docs/`, rebuilt if incomplete) a synthetic
but valid package of N rows in total (default 5 million) with `PackageWriter`, generated
vectorised chunk by chunk in the proportions of the sample generator's packages: per case
2 persons, 3 addresses, 2 members, 18 monthly budgets of 5 items, 50 payments,
19 journal entries and a measure for protection cases; about one staff member per 60
cases; 0 to 4 documents per case, 2 on average (a real package of 5,000 cases had 9,943),
each a PDF header and random bytes of 2 to 100 KiB (log-uniform: many small letters, some
scans), from the seed, stored with `PackageWriter.add_document`. Ids and references are
valid (`0942:klibnet:<key>`), codes come from the code lists, AHVN13 carry their check
digit, dates are consistent, so validation finds no error.

Then, each contender in its own process (peak RSS per contender), on a fresh database
per contender (`nffs_bench_<uuid>` on PostgreSQL, dropped afterwards; a file in a
temporary folder for SQLite), every target created with `init_target`:

- ours: `load_package(path, url, validate=False)`: checksums, the documents into an
  empty documents store, staging, set-based upserts, removal of rows the package no
  longer holds, deferred foreign keys, load log; one transaction. Its phases are timed
  by wrapping the stager's methods (and `_store_documents`).
- ours, update: the same load again on the target that already holds the package, its
  load-log row deleted and every row's source key changed in the target (then VACUUM
  ANALYZE on PostgreSQL): every row differs, so every row is an update (the loader
  leaves a row it holds unchanged as it is). The documents store is the first load's,
  which holds every document already (as it would for a delta).
- bare, PostgreSQL: per table one `COPY table FROM STDIN (FORMAT csv)` through psycopg,
  fed by `pyarrow.csv.write_csv` of the Parquet batches; no staging, no upsert, one
  transaction (foreign keys still checked at commit: same schema); then every document
  file copied into a folder (`shutil.copyfile` per file, one `syncfs`), timed apart and
  added to the COPY time.
- bare, SQLite: `executemany` of the same rows, converted as the loader converts them,
  in batches of 100,000 straight into the target tables, one transaction, with the
  loader's pragmas; then the same document copy.

`validate` (in its own process) times `validate_package(path, write=False)`; the
"incl. validation" figures add it to the load, which is what `load` costs on a package
that has no report yet. Prints rows/s, seconds, peak RSS and the ratio ours / bare.
Targets: within 1.5x of the bare baseline, upserts included. Nothing here asserts a
timing.

    python benchmarks/bench_load.py [--rows 5000000] [--only validate,postgres,sqlite]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--profile]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from synthetic import (  # (benchmarks/ is on sys.path: they run as scripts)
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
    SERVICE,
    STREETS,
    SUBJECTS,
    SYSTEM,
    YEAR,
    active_staff,
    ahvn13,
    check_codes,
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

from nffs_migration.intermediate_format import TABLES

BATCH_ROWS = 100_000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

#: Rows per case of the tables that hang off a case (measures: protection cases only).
BUDGETS = 18
ITEMS = 5  # per budget
PAYMENTS = 50
JOURNAL = 19
#: Documents per case: 0 to 4, 2 on average; sizes log-uniform between these bounds.
DOCUMENTS_P = (0.1, 0.2, 0.4, 0.2, 0.1)
DOCUMENT_BYTES = (2 * 1024, 100 * 1024)
PER_CASE = 2 + 3 + 2 + BUDGETS + BUDGETS * ITEMS + PAYMENTS + JOURNAL + 2
CASES_PER_CHUNK = 5_000
CASES_PER_STAFF = 60
SOURCE_TABLES = {
    "organisation": "tblMandant",
    "staff": "tblMitarbeiter",
    "persons": "tblKlient",
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

CLOSING_P = (0.31, 0.21, 0.21, 0.10, 0.08, 0.09)
GIVEN = ("Anna", "Luca", "Mia", "Noah", "Lea", "Elias", "Sara", "Jan", "Nina", "Tim", "Ana")
TOWNS = (("3600", "Thun", 942), ("3645", "Gwatt (Thun)", 942), ("3612", "Steffisburg", 939))
WITH_DURATION = (0, 3, 4)  # personal_talk, home_visit, network_meeting
TEXTS = (
    "Synthetischer Eintrag: Termin vereinbart.",
    "Synthetischer Eintrag: Unterlagen (Lohnabrechnung, Mietvertrag) erhalten und abgelegt.",
    "Synthetischer Eintrag: Gespräch über die finanzielle Situation und die Stellensuche "
    "geführt. Klient/in bringt die Belege bis Ende Monat; nächster Termin in vier Wochen.",
    "Synthetischer Eintrag: Budget besprochen, keine Änderung. Hinweis auf die Pflicht, "
    "Einkommen sofort zu melden, wiederholt. Die Krankenkasse hat die Prämienverbilligung "
    "bestätigt; die Rechnung der Zahnärztin wird als situationsbedingte Leistung geprüft.",
)
#: Budget items of a budget: basic needs, rent, running costs, health insurance, an income.
ITEM_POSITIONS = ("GBL", "MIETE", "NK", "KVG")
INCOMES = ("LOHN", "AHV_IV", "ALV", "IZU", "ALIM")
ITEM_CENTS = ((1000_00, 2300_00), (700_00, 2200_00), (80_00, 300_00), (250_00, 650_00))
PAYMENT_CATEGORIES = ("GBL", "MIETE", "NK", "KVG", "SIL", "EFB")
LEGAL_BASIS = {2: ("ZGB 307", "ZGB 308", "ZGB 310"), 3: ("ZGB 393", "ZGB 394", "ZGB 398")}
check_codes(ITEM_POSITIONS + INCOMES + PAYMENT_CATEGORIES, "budget_position")
DOC_TYPES = check_codes(("decision", "report", "letter", "receipt", "contract"), "doc_type")
DOC_TYPES_P = (0.25, 0.2, 0.3, 0.2, 0.05)
DOC_TITLES = ("Verfügung", "Bericht", "Brief", "Beleg", "Vertrag")
#: Stores a document's bytes under a name in the package and returns (file, sha256, size).
AddDocument = Callable[[str, bytes], tuple[str, str, int]]


# --------------------------------------------------------------------------------------
# the synthetic package


def organisation_table() -> pa.Table:
    return table(
        "organisation",
        {
            "organisation_id": pa.array([PREFIX + SERVICE]),
            **lineage(pa.array([SERVICE])),
            "name": pa.array(["Sozialdienst Benchmark"]),
            "commune_numbers": pa.array(["[942, 939]"]),
            "source_version": pa.array(["bench"]),
            "data_as_of": pa.array([DATA_AS_OF.replace(tzinfo=None)], pa.timestamp("us")),
        },
    )


def chunk_tables(
    first: int, n: int, staff: int, seed: int, add_document: AddDocument
) -> Iterator[tuple[str, pa.Table]]:
    """The rows of cases first+1 .. first+n and everything that hangs off them."""
    rng = np.random.default_rng([seed, first])
    case_no = np.arange(first + 1, first + n + 1)
    case_key = text(case_no)

    # cases: 55% closed (1 to 10 years ago), the budget months end with the closing month
    domain = rng.choice(len(DOMAINS), n, p=DOMAIN_P)
    closed = rng.random(n) < 0.55
    last_month = np.where(closed, AS_OF_MONTH - rng.integers(1, 120, n), AS_OF_MONTH)
    first_month = last_month - (BUDGETS - 1)
    opened = month_start(first_month) - rng.integers(0, 400, n)
    closed_on = month_start(last_month + 1) - 1
    end_day = np.where(closed, closed_on, AS_OF_DAY)
    responsible = np.where(
        closed, rng.integers(1, staff + 1, n), rng.integers(1, active_staff(staff) + 1, n)
    )
    no_segment = ~np.isin(domain, (0, 4))
    opened_year = (opened.astype("datetime64[D]").astype("datetime64[Y]").astype(int)) + 1970
    yield (
        "cases",
        table(
            "cases",
            {
                "case_id": record_ids(case_key),
                **lineage(case_key),
                "case_number": join(text(opened_year), "-", case_key),
                "domain": pick(DOMAINS, domain),
                "opened_on": dates(opened),
                "closed_on": dates(closed_on, ~closed),
                "closing_reason": choose(rng, CLOSING, n, CLOSING_P, ~closed),
                "responsible_staff_id": record_ids(join("S", text(responsible))),
                "segment": choose(rng, ("A", "B", "C"), n, (0.2, 0.5, 0.3), no_segment),
                "segment_since": dates(opened + rng.integers(30, 92, n), no_segment),
                "file_number": pa.array(np.full(n, None), pa.string()),
            },
        ),
    )

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
    nationality = rng.choice(len(NATIONALITY), pn, p=NATIONALITY_P)
    permit = np.where(nationality == 0, 0, rng.choice((1, 2, 3), pn, p=(0.45, 0.45, 0.1)))
    yield (
        "persons",
        table(
            "persons",
            {
                "person_id": record_ids(person_key),
                **lineage(person_key),
                "family_name": choose(rng, FAMILY, pn),
                "given_name": choose(rng, GIVEN, pn),
                "birth_date": dates(np.column_stack([lead_birth, other_birth]).ravel()),
                "birth_date_precision": choose(
                    rng, ("day", "month", "year"), pn, (0.95, 0.03, 0.02)
                ),
                "sex": choose(rng, ("1", "2"), pn),
                "ahvn13": pc.if_else(
                    pa.array(rng.random(pn) < 0.03),
                    pa.scalar(None, pa.string()),
                    ahvn13(person_no),
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
    address_key = join("A", text(first * 3 + np.arange(1, an + 1)))
    owner = np.column_stack([lead_person, lead_person, other_person]).ravel()
    moved = opened - rng.integers(400, 4000, n)
    town = rng.integers(0, len(TOWNS), an)
    former = np.tile([True, False, False], n)
    yield (
        "addresses",
        table(
            "addresses",
            {
                "address_id": record_ids(address_key),
                **lineage(address_key),
                "person_id": record_ids(join("P", text(owner))),
                "street": choose(rng, STREETS, an),
                "house_number": text(rng.integers(1, 120, an)),
                "postal_code": pick(tuple(t[0] for t in TOWNS), town),
                "town": pick(tuple(t[1] for t in TOWNS), town),
                "commune_number": pa.array(np.array([t[2] for t in TOWNS])[town], pa.int64()),
                "valid_from": dates(np.column_stack([moved, opened, opened]).ravel()),
                "valid_to": dates(np.repeat(opened - 1, 3), ~former),
            },
        ),
    )

    # case members: the lead and the other person, for the whole case
    member_person = np.column_stack([lead_person, other_person]).ravel()
    member_case = np.repeat(case_no, 2)
    member_key = join(text(member_case), "/P", text(member_person))
    role = np.column_stack([np.zeros(n, int), np.where(partner, 1, 2)]).ravel()
    yield (
        "case_members",
        table(
            "case_members",
            {
                "case_member_id": record_ids(member_key),
                **lineage(member_key),
                "case_id": record_ids(text(member_case)),
                "person_id": record_ids(join("P", text(member_person))),
                "role": pick(("lead", "partner", "child"), role),
                "valid_from": dates(np.repeat(opened, 2)),
                "valid_to": dates(np.repeat(closed_on, 2), np.repeat(~closed, 2)),
                "supported": pa.array(np.ones(2 * n, dtype=bool)),
            },
        ),
    )

    # budgets: monthly, up to the closing month (open cases: the current month, approved)
    bn = BUDGETS * n
    budget_case = np.repeat(case_no, BUDGETS)
    month = np.repeat(first_month, BUDGETS) + np.tile(np.arange(BUDGETS), n)
    budget_key = join(text(budget_case), "/budget/", text(np.tile(np.arange(1, BUDGETS + 1), n)))
    last = np.tile(np.arange(BUDGETS) == BUDGETS - 1, n)
    status = np.where(last | (rng.random(bn) < 0.92), 1, rng.choice((0, 2, 3), bn))
    yield (
        "budgets",
        table(
            "budgets",
            {
                "budget_id": record_ids(budget_key),
                **lineage(budget_key),
                "case_id": record_ids(text(budget_case)),
                "valid_from": dates(month_start(month)),
                "valid_to": dates(month_start(month + 1) - 1),
                "status": pick(("draft", "approved", "rejected", "archived"), status),
            },
        ),
    )

    # budget items: basic needs, rent, running costs, health insurance and an income
    itn = ITEMS * bn
    slot = np.tile(np.arange(ITEMS), bn)
    item_key = join(pc.take(budget_key, pa.array(np.repeat(np.arange(bn), ITEMS))), "/", text(slot))
    expense = slot < len(ITEM_POSITIONS)
    low = np.array([r[0] for r in ITEM_CENTS] + [0])[slot]
    high = np.array([r[1] for r in ITEM_CENTS] + [3500_00])[slot]
    positions = np.where(
        expense,
        np.minimum(slot, len(ITEM_POSITIONS) - 1),
        len(ITEM_POSITIONS) + rng.integers(0, len(INCOMES), itn),
    )
    yield (
        "budget_items",
        table(
            "budget_items",
            {
                "budget_item_id": record_ids(item_key),
                **lineage(item_key),
                "budget_id": record_ids(
                    pc.take(budget_key, pa.array(np.repeat(np.arange(bn), ITEMS)))
                ),
                "position": pick(ITEM_POSITIONS + INCOMES, positions),
                "kind": pick(("expense", "income"), (~expense).astype(int)),
                "amount_chf": money(rng.integers(low, high)),
            },
        ),
    )

    # payments: over the budget months, never after the closing or the data's date
    payn = PAYMENTS * n
    pay_key = join("Z", text(first * PAYMENTS + np.arange(1, payn + 1)))
    pay_month = np.repeat(first_month, PAYMENTS) + np.tile(
        np.arange(PAYMENTS) * BUDGETS // PAYMENTS, n
    )
    yield (
        "payments",
        table(
            "payments",
            {
                "payment_id": record_ids(pay_key),
                **lineage(pay_key),
                "case_id": record_ids(text(np.repeat(case_no, PAYMENTS))),
                "value_date": dates(month_start(pay_month) + rng.integers(0, 28, payn)),
                "amount_chf": money(rng.integers(20_00, 2500_00, payn)),
                "category": choose(rng, PAYMENT_CATEGORIES, payn),
                "recipient": choose(rng, RECIPIENTS, payn),
                "status": choose(
                    rng,
                    ("paid", "released", "recorded", "reversed"),
                    payn,
                    (0.93, 0.03, 0.02, 0.02),
                ),
            },
        ),
    )

    # journal: between opening and closing (or the data's date); the last entry of an
    # open case is a recent personal talk, so no contact is overdue
    jn = JOURNAL * n
    journal_key = join("J", text(first * JOURNAL + np.arange(1, jn + 1)))
    span = np.repeat((end_day - opened) * DAY_US, JOURNAL)
    at = np.repeat(opened * DAY_US, JOURNAL) + (rng.random(jn) * span).astype(np.int64)
    contact = rng.choice(len(CONTACT), jn, p=CONTACT_P)
    recent = np.tile(np.arange(JOURNAL) == JOURNAL - 1, n) & np.repeat(~closed, JOURNAL)
    at = np.where(recent, (AS_OF_DAY - rng.integers(1, 60, jn)) * DAY_US + 36_000_000_000, at)
    contact = np.where(recent, 0, contact)
    yield (
        "journal_entries",
        table(
            "journal_entries",
            {
                "journal_entry_id": record_ids(journal_key),
                **lineage(journal_key),
                "case_id": record_ids(text(np.repeat(case_no, JOURNAL))),
                "occurred_at": pa.array(at, pa.timestamp("us")),
                "staff_id": record_ids(join("S", text(np.repeat(responsible, JOURNAL)))),
                "contact_type": pick(CONTACT, contact),
                "duration_minutes": pa.array(
                    rng.integers(15, 120, jn), pa.int64(), mask=~np.isin(contact, WITH_DURATION)
                ),
                "subject": choose(rng, SUBJECTS, jn),
                "text": choose(rng, TEXTS, jn),
            },
        ),
    )

    # measures: one per child or adult protection case
    protection = np.flatnonzero(np.isin(domain, (2, 3)))
    measure_key = join("M", text(case_no[protection]))
    basis = np.array([LEGAL_BASIS[d][i % 3] for i, d in enumerate(domain[protection].tolist())])
    yield (
        "measures",
        table(
            "measures",
            {
                "measure_id": record_ids(measure_key),
                **lineage(measure_key),
                "case_id": record_ids(text(case_no[protection])),
                "legal_basis": pa.array(basis, pa.string()),
                "started_on": dates(opened[protection]),
                "ended_on": dates(closed_on[protection], ~closed[protection]),
                "mandate_holder_staff_id": record_ids(join("S", text(responsible[protection]))),
                "authority": pa.array(np.full(len(protection), "KESB Thun"), pa.string()),
            },
        ),
    )

    # documents: 0 to 4 per case, made between opening and closing (or the data's date),
    # their bytes from a generator of their own (the other tables do not depend on them)
    per_case = rng.choice(len(DOCUMENTS_P), n, p=DOCUMENTS_P)
    dn = int(per_case.sum())
    document_case = np.repeat(case_no, per_case)
    slot = np.arange(dn) - np.repeat(np.cumsum(per_case) - per_case, per_case)
    document_key = join(text(document_case), "/D", text(slot + 1))
    made = np.repeat(opened, per_case) + (
        rng.random(dn) * np.repeat(end_day - opened, per_case)
    ).astype(np.int64)
    kind = rng.choice(len(DOC_TYPES), dn, p=DOC_TYPES_P)
    low, high = np.log(DOCUMENT_BYTES[0]), np.log(DOCUMENT_BYTES[1])
    sizes = np.exp(rng.uniform(low, high, dn)).astype(np.int64)
    content = np.random.default_rng([seed, first, 1])
    header = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    stored = [
        add_document(
            f"{case // 1000}/{case}-{number}.pdf",
            header + content.bytes(size - len(header)),
        )
        for case, number, size in zip(
            document_case.tolist(), (slot + 1).tolist(), sizes.tolist(), strict=True
        )
    ]
    yield (
        "documents",
        table(
            "documents",
            {
                "document_id": record_ids(document_key),
                **lineage(document_key),
                "case_id": record_ids(text(document_case)),
                "person_id": record_ids(join("P", text(np.repeat(lead_person, per_case)))),
                "title": pick(DOC_TITLES, kind),
                "doc_type": pick(DOC_TYPES, kind),
                "created_at": pa.array(
                    made * DAY_US + rng.integers(7, 18, dn) * 3_600_000_000, pa.timestamp("us")
                ),
                "file": pa.array([s[0] for s in stored], pa.string()),
                "media_type": pa.array(np.full(dn, "application/pdf"), pa.string()),
                "size_bytes": pa.array([s[2] for s in stored], pa.int64()),
                "sha256": pa.array([s[1] for s in stored], pa.string()),
            },
        ),
    )


def build(path: Path, rows: int, seed: int = 11) -> dict[str, Any]:
    """Write the package of about `rows` rows; return what was written."""
    from nffs_migration.intermediate_format import PackageWriter
    from nffs_migration.sample_data.records import ahvn13_for

    sample = np.array([1, 2, 99, 123_456, 9_999_999])
    if ahvn13(sample).to_pylist() != [ahvn13_for(int(i)) for i in sample]:
        raise RuntimeError("the vectorised AHVN13 differs from sample_data's ahvn13_for")
    per_case = PER_CASE + DOMAIN_P[2] + DOMAIN_P[3] + 1 / CASES_PER_STAFF
    cases = max(10, round((rows - 1) / per_case))
    staff = max(10, cases // CASES_PER_STAFF)
    counts = dict.fromkeys(TABLES, 0)
    started = time.perf_counter()
    documents = {"count": 0, "bytes": 0}
    with PackageWriter(
        path,
        service_id=SERVICE,
        source_system=SYSTEM,
        data_as_of=DATA_AS_OF,
        source_version="bench",
        overwrite=True,
    ) as writer:
        for name, chunk in (
            ("organisation", organisation_table()),
            ("staff", staff_table(staff, GIVEN)),
        ):
            writer.write(name, chunk)
            counts[name] += chunk.num_rows

        def add_document(name: str, content: bytes) -> tuple[str, str, int]:
            stored = writer.add_document(name, io.BytesIO(content))
            documents["count"] += 1
            documents["bytes"] += stored.size_bytes
            return stored.file, stored.sha256, stored.size_bytes

        for first in range(0, cases, CASES_PER_CHUNK):
            n = min(CASES_PER_CHUNK, cases - first)
            for name, chunk in chunk_tables(first, n, staff, seed, add_document):
                writer.write(name, chunk)
                counts[name] += chunk.num_rows
            print(f"\r  building: {first + n:,} of {cases:,} cases", end="", file=sys.stderr)
        print(file=sys.stderr)
        for name, count in counts.items():
            writer.account(SOURCE_TABLES[name], read=count, migrated=count)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return {
        "rows": sum(counts.values()),
        "tables": counts,
        "cases": cases,
        "documents": documents,
        "seconds": time.perf_counter() - started,
        "bytes": size,
    }


def package_dir(cache: Path, rows: int) -> tuple[Path, dict[str, Any]]:
    """The cached package of `rows` rows, built when missing or incomplete."""
    folder = cache / f"load-{rows}-docs"
    package = folder / "package"
    info = folder / "build.json"
    if not (info.exists() and (package / "manifest.json").exists()):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        built = build(package, rows)
        info.write_text(json.dumps(built, indent=1))
        print(
            f"built {package}: {built['rows']:,} rows, {built['bytes'] / 2**20:,.0f} MiB "
            f"in {built['seconds']:.0f} s",
            file=sys.stderr,
        )
    return package, json.loads(info.read_text())


# --------------------------------------------------------------------------------------
# contenders (each runs in a child process)


def _timed(phases: dict[str, float], label: str, function: Callable[..., Any]) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.perf_counter() - started

    return wrapper


_ACTIVE: set[str] = set()


def _timed_per_table(phases: dict[str, float], label: str, function: Callable[..., Any]) -> Any:
    """Time `function(self, name, ...)` into `label` and `label:name`, counted once when
    a timed method calls another under the same label (an override calling its base)."""

    def wrapper(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if label in _ACTIVE:
            return function(self, name, *args, **kwargs)
        _ACTIVE.add(label)
        started = time.perf_counter()
        try:
            return function(self, name, *args, **kwargs)
        finally:
            _ACTIVE.discard(label)
            elapsed = time.perf_counter() - started
            phases[label] = phases.get(label, 0.0) + elapsed
            phases[f"{label}:{name}"] = phases.get(f"{label}:{name}", 0.0) + elapsed

    return wrapper


def _timed_next(phases: dict[str, float], label: str, function: Callable[..., Any]) -> Any:
    """Time each `next` of the iterator `function` returns, into `phases[label]`."""

    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        iterator = function(*args, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - started
            yield item

    return wrapper


#: CPU seconds of each PostgreSQL backend a contender used (read from /proc: same host).
SERVER_CPU: dict[int, float] = {}


def _backend_cpu(pid: int) -> None:
    """Record the CPU seconds a (local) PostgreSQL backend has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return
    seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    SERVER_CPU[pid] = max(SERVER_CPU.get(pid, 0.0), seconds)


def _watch_backends() -> None:
    """Read a backend's CPU time whenever SQLAlchemy's pool gets its connection back."""
    import sqlalchemy as sa

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        info = getattr(dbapi_connection, "info", None)
        if info is not None and hasattr(info, "backend_pid"):
            _backend_cpu(info.backend_pid)

    sa.event.listen(sa.pool.Pool, "checkin", checkin)


def _statement_kind(statement: str) -> str:
    """Which of the loader's set-based statements this is (for the phase breakdown)."""
    head = " ".join(statement.split()[:3]).upper()
    upper = statement.upper()
    if head.startswith("SELECT COUNT(*)"):
        return "count existing" if "EXISTS" in upper else "count staged"
    if head.startswith("INSERT") and "ON CONFLICT" in upper:
        return "insert on conflict"
    if head.startswith("INSERT") and "SELECT" in upper:
        return "insert select"
    if head.startswith("UPDATE"):
        return "update"
    if head.startswith("DELETE"):
        return "delete missing"
    if head.startswith("CREATE INDEX"):
        return "build indexes"
    if head.startswith("ALTER TABLE") and "ADD CONSTRAINT" in upper:
        return "add foreign keys" if "FOREIGN KEY" in upper else "add primary keys"
    if head.startswith(("CREATE", "DROP")):
        return "create/drop stage"
    if head.startswith(("TRUNCATE", "ANALYZE")):
        return head.split()[0].lower()
    return "other statements"


def _time_statements(phases: dict[str, float]) -> None:
    """Time every statement SQLAlchemy runs, by kind (COPY and executemany go around it)."""
    import sqlalchemy as sa

    def before(_conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        _conn.info["bench_started"] = time.perf_counter()

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - _conn.info.pop("bench_started", time.perf_counter())
        key = f"sql:{_statement_kind(statement)}"
        phases[key] = phases.get(key, 0.0) + elapsed

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", after)


def fresh_target(url: str) -> float:
    """Create the target's tables (`init_target`); returns the seconds it took."""
    from nffs_migration.loaders import create_target_engine, init_target

    engine = create_target_engine(url)
    started = time.perf_counter()
    init_target(engine)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def instrument_load(phases: dict[str, float]) -> None:
    """Time the loader's phases into `phases` by wrapping its functions (in a child).

    Documents are stored on their own thread during the transaction: "documents"
    overlaps "transaction".
    """
    from nffs_migration.intermediate_format.reader import Package
    from nffs_migration.loaders import load as load_module

    stager = load_module._Stager
    for method in ("create", "upsert"):
        setattr(stager, method, _timed_per_table(phases, method, getattr(stager, method)))
    # PostgreSQL's upsert writes a large full batch's tables anew (`_rewrite`) or calls
    # the base upsert: all of it is "upsert".
    postgres = load_module.PostgresStager
    postgres.upsert = _timed_per_table(phases, "upsert", postgres.upsert)
    stager.delete_missing = _timed_per_table(phases, "delete", stager.delete_missing)
    for subclass in (load_module.PostgresStager, load_module.SqliteStager):
        # "stage" is the database's side (COPY, executemany); the batches are read and
        # encoded ahead on a thread, overlapping it ("read", "encode").
        subclass.write = _timed_per_table(phases, "stage", subclass.write)
        subclass.encode = _timed_per_table(phases, "encode ahead", subclass.encode)
    # A large load's tables are staged by a second connection ("stage ahead", overlapping
    # the transaction); "wait" is the time the transaction waits for one.
    hand = load_module._Stagehand
    hand._stage = _timed_per_table(phases, "stage ahead", hand._stage)
    hand.take = _timed_per_table(phases, "wait", hand.take)
    # Batches are read and encoded on a thread ahead of the COPY ("read ahead", "encode
    # ahead", overlapping it); "read" is the time the load waits for them.
    Package.iter_batches = _timed_next(phases, "read ahead", Package.iter_batches)
    load_module._ahead = _timed_next(phases, "read", load_module._ahead)
    load_module.open_package = _timed(phases, "open", load_module.open_package)
    load_module._validated = _timed(phases, "gate", load_module._validated)
    load_module._store_documents = _timed(phases, "documents", load_module._store_documents)
    load_module._load_tables = _timed(phases, "transaction", load_module._load_tables)


def commit_phase(phases: dict[str, float]) -> None:
    """Set `phases["commit"]`: the transaction's time outside the timed steps (keys,
    indexes and foreign keys rebuilt or checked, the load log; "read" is the time the
    load waited for batches read ahead)."""
    inner = sum(phases.get(k, 0.0) for k in ("create", "read", "stage", "wait", "upsert", "delete"))
    phases["commit"] = phases.get("transaction", 0.0) - inner


def run_ours(path: Path, url: str, store: Path) -> dict[str, Any]:
    """`load_package(validate=False)`, its phases timed by wrapping the stager's methods."""
    from nffs_migration.loaders import load as load_module

    init_seconds = fresh_target(url)
    phases: dict[str, float] = {}
    instrument_load(phases)
    _time_statements(phases)
    SERVER_CPU.clear()  # init_target's backend is not part of the load
    cpu = time.process_time()
    started = time.perf_counter()
    result = load_module.load_package(path, url, documents_store=store, validate=False)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    commit_phase(phases)
    return {
        "seconds": seconds,
        "client_cpu_seconds": cpu,
        "init_seconds": init_seconds,
        "rows": sum(counts["rows"] for counts in result.rows.values()),
        "inserted": sum(counts["inserted"] for counts in result.rows.values()),
        "updated": sum(counts["updated"] for counts in result.rows.values()),
        "deleted": sum(counts.get("deleted", 0) for counts in result.rows.values()),
        "already_loaded": result.already_loaded,
        "documents_new": result.documents_new,
        "phases": phases,
    }


def _parquet_batches(path: Path, name: str) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path / "tables" / f"{name}.parquet")
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        yield pa.Table.from_batches([batch])


def copy_documents(path: Path, folder: Path) -> dict[str, Any]:
    """The bare document copy: `shutil.copyfile` of every document file, then one syncfs."""
    import pyarrow.parquet as pq

    from nffs_migration.intermediate_format.writer import _fsync_tree

    files = pq.read_table(path / "tables" / "documents.parquet", columns=["file"])
    started = time.perf_counter()
    made: set[Path] = set()
    for file in files.column("file").to_pylist():
        target = folder / file
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        shutil.copyfile(path / file, target)
    copied = time.perf_counter()
    _fsync_tree(folder)
    finished = time.perf_counter()
    return {
        "documents_seconds": finished - started,
        "documents_sync_seconds": finished - copied,
        "documents": len(files),
    }


def run_bare_postgres(path: Path, url: str) -> dict[str, Any]:
    """Per table one COPY FROM STDIN fed by pyarrow's CSV writer; one transaction."""
    import io

    import psycopg
    import pyarrow.csv as pacsv
    import sqlalchemy as sa
    from psycopg import sql

    address = sa.make_url(url)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    rows = 0
    started = time.perf_counter()
    with psycopg.connect(
        host=address.host, port=address.port or 5432, user=address.username, dbname=address.database
    ) as connection:
        with connection.cursor() as cursor:
            for name, definition in TABLES.items():
                columns = list(definition.column_names)
                statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                    sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, columns))
                )
                with cursor.copy(statement) as copy:
                    for batch in _parquet_batches(path, name):
                        buffer = io.BytesIO()
                        pacsv.write_csv(batch.select(columns), buffer, write_options=options)
                        copy.write(buffer.getvalue())
                        rows += batch.num_rows
        copied = time.perf_counter()
        connection.commit()
        _backend_cpu(connection.info.backend_pid)
    finished = time.perf_counter()
    return {"seconds": finished - started, "rows": rows, "commit_seconds": finished - copied}


def _sqlite_values(column: pa.ChunkedArray) -> list[Any]:
    """The loader's conversion (`loaders/load.py`: `_sqlite_column`, then `to_pylist`), kept here.

    A copy, so that the baseline does not move when the loader changes.
    """
    kind = column.type
    if pa.types.is_decimal(kind):
        column = column.cast(pa.float64())
    elif pa.types.is_date(kind):
        column = column.cast(pa.string())
    elif pa.types.is_timestamp(kind):
        column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    return column.to_pylist()


def run_bare_sqlite(path: Path, url: str) -> dict[str, Any]:
    """executemany in batches of 100,000 into the target tables; one transaction."""
    import itertools
    import sqlite3

    import sqlalchemy as sa

    from nffs_migration.loaders.schema import PACKAGE_COLUMN

    connection = sqlite3.connect(sa.make_url(url).database, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    rows = 0
    started = time.perf_counter()
    connection.execute("BEGIN")
    for name, definition in TABLES.items():
        columns = [*definition.column_names, PACKAGE_COLUMN]
        listed = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        # The names come from the format definition.
        statement = f'INSERT INTO "{name}" ({listed}) VALUES ({marks})'  # noqa: S608
        for batch in _parquet_batches(path, name):
            values = [_sqlite_values(batch.column(c)) for c in definition.column_names]
            connection.executemany(
                statement, list(zip(*values, itertools.repeat("bare"), strict=False))
            )
            rows += batch.num_rows
    copied = time.perf_counter()
    connection.execute("COMMIT")
    finished = time.perf_counter()
    connection.close()
    return {"seconds": finished - started, "rows": rows, "commit_seconds": finished - copied}


def run_validate(path: Path) -> dict[str, Any]:
    from nffs_migration.validators import validate_package

    started = time.perf_counter()
    outcome = validate_package(path, write=False)
    seconds = time.perf_counter() - started
    report = outcome.report
    failed = {r.id: r.failed for r in report.rules if r.failed}
    return {
        "seconds": seconds,
        "valid": report.valid,
        "summary": report.summary,
        "error_rules": sorted({f.rule_id for f in report.findings if f.severity == "error"}),
        "failed_rules": failed,
    }


def bare_with_documents(
    bare: Callable[[Path, str], dict[str, Any]], path: Path, url: str, folder: Path
) -> dict[str, Any]:
    """A bare load of the rows, then the bare document copy; `seconds` is both."""
    result = bare(path, url)
    result["copy_seconds"] = result["seconds"]
    result.update(copy_documents(path, folder))
    result["seconds"] = result["copy_seconds"] + result["documents_seconds"]
    return result


def child(mode: str, path: Path, url: str, profile: Path | None, store: Path | None) -> None:
    if url.startswith("postgresql"):
        _watch_backends()
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "validate":
            function: Callable[[], dict[str, Any]] = lambda: run_validate(path)  # noqa: E731
        elif mode == "ours":
            documents = store or Path(tmp) / "documents"
            function = lambda: run_ours(path, url, documents)  # noqa: E731
        else:
            bare = run_bare_sqlite if url.startswith("sqlite") else run_bare_postgres
            folder = Path(tmp) / "documents"
            function = lambda: bare_with_documents(bare, path, url, folder)  # noqa: E731
        if profile is None:
            result = function()
        else:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(function)
            profiler.dump_stats(profile)
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(25)
    result.setdefault("client_cpu_seconds", time.process_time() - cpu)
    result["server_cpu_seconds"] = sum(SERVER_CPU.values())
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# --------------------------------------------------------------------------------------
# the parent: databases, child processes, figures


def run_child(
    mode: str,
    path: Path,
    url: str,
    profile: Path | None = None,
    label: str = "",
    store: Path | None = None,
) -> dict[str, Any]:
    arguments = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--package",
        str(path),
        "--target",
        url,
    ]
    if profile is not None:
        arguments += ["--profile-to", str(profile)]
    if store is not None:
        arguments += ["--store", str(store)]
    load = os.getloadavg()[0]
    print(f"  running {label or mode} (load average {load:.1f}) ...", file=sys.stderr, flush=True)
    completed = subprocess.run(arguments, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"{label or mode} failed with exit code {completed.returncode}")
    if profile is not None:
        (profile.with_suffix(".txt")).write_text(completed.stderr)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["load_average"] = (load, os.getloadavg()[0])
    return result


class Postgres:
    """Fresh databases on the server, dropped afterwards."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.url = sa.make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> str:
        name = f"nffs_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def execute(self, url: str, *statements: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
        self.admin.dispose()


def _init(url: str, *, package_default: bool) -> None:
    """Create the target schema; for the bare loads give `loaded_package_id` a value."""
    import sqlalchemy as sa

    from nffs_migration.loaders import create_target_engine, init_target
    from nffs_migration.loaders.schema import PACKAGE_COLUMN

    engine = create_target_engine(url)
    init_target(engine)
    if package_default and engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for name in TABLES:
                connection.execute(
                    sa.text(
                        f'ALTER TABLE "{name}" ALTER COLUMN "{PACKAGE_COLUMN}" SET DEFAULT \'bare\''
                    )
                )
    engine.dispose()


def _count(url: str) -> int:
    import sqlalchemy as sa

    from nffs_migration.loaders import create_target_engine

    engine = create_target_engine(url)
    try:
        with engine.connect() as connection:
            return sum(
                connection.execute(sa.text(f'select count(*) from "{name}"')).scalar_one()  # noqa: S608
                for name in TABLES
            )
    finally:
        engine.dispose()


def bench_database(
    kind: str, path: Path, pg_url: str, profile_dir: Path | None, work: Path
) -> dict[str, Any]:
    """ours, ours again as an update, and bare, on fresh targets of one kind."""
    results: dict[str, Any] = {}
    postgres = Postgres(pg_url) if kind == "postgres" else None

    def target(label: str) -> str:
        if postgres is not None:
            return postgres.create()
        folder = work / uuid.uuid4().hex[:10]
        folder.mkdir()
        return f"sqlite:///{folder / f'{label}.db'}"

    def settle(url: str, analyse: bool = False) -> None:
        if postgres is not None:
            statements = (["VACUUM ANALYZE"] if analyse else []) + ["CHECKPOINT"]
            postgres.execute(url, *statements)
        else:
            subprocess.run(["sync"], check=False)

    def profile(label: str) -> Path | None:
        return None if profile_dir is None else profile_dir / f"{kind}-{label}.prof"

    try:
        bare = target("bare")
        _init(bare, package_default=True)
        settle(bare)
        results["bare"] = run_child("bare", path, bare, profile("bare"), f"{kind} bare")
        results["bare"]["count"] = _count(bare)
        ours = target("ours")
        store = work / f"documents-{uuid.uuid4().hex[:10]}"
        settle(ours)
        results["ours"] = run_child("ours", path, ours, profile("ours"), f"{kind} ours", store)
        results["ours"]["count"] = _count(ours)
        # Every row of the target made to differ from the package (its source key), so
        # that the second load must rewrite every row: the loader leaves unchanged rows be.
        changes = ["DELETE FROM nffs_load_log"] + [
            f"UPDATE {name} SET source_key = source_key || '~'"  # noqa: S608 - the format's names
            for name in TABLES
        ]
        if postgres is not None:
            postgres.execute(ours, *changes)
        else:
            import sqlite3

            with sqlite3.connect(ours.removeprefix("sqlite:///")) as connection:
                for statement in changes:
                    connection.execute(statement)
        settle(ours, analyse=True)
        results["update"] = run_child(
            "ours", path, ours, profile("update"), f"{kind} ours, every row an update", store
        )
        results["update"]["count"] = _count(ours)
    finally:
        if postgres is not None:
            postgres.drop_all()
        for folder in work.iterdir():
            shutil.rmtree(folder, ignore_errors=True)
    return results


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per contender the fastest of several runs, with the times of all of them."""
    best: dict[str, Any] = {}
    for contender in runs[0]:
        fastest = min((run[contender] for run in runs), key=lambda result: result["seconds"])
        best[contender] = {**fastest, "all_seconds": [run[contender]["seconds"] for run in runs]}
    return best


def _line(label: str, result: dict[str, Any], rows: int, extra: str = "") -> str:
    seconds = result["seconds"]
    cpu = f"{result['client_cpu_seconds']:5.1f}"
    if result.get("server_cpu_seconds"):
        cpu += f" + {result['server_cpu_seconds']:5.1f}"
    before, after = result.get("load_average", (0.0, 0.0))
    runs = result.get("all_seconds", [])
    if len(runs) > 1:
        extra += "  (runs: " + ", ".join(f"{r:.0f}" for r in runs) + " s)"
    return (
        f"  {label:27} {seconds:7.1f} s {rows / seconds:>9,.0f} rows/s  CPU {cpu:>13} s"
        f"  RSS {result['peak_rss_mib']:5.0f} MiB  load {before:3.1f}/{after:3.1f}{extra}"
    )


def _cpu(result: dict[str, Any]) -> float:
    return float(result["client_cpu_seconds"] + result.get("server_cpu_seconds", 0.0))


def _phases(result: dict[str, Any]) -> list[str]:
    phases = result.get("phases", {})
    main = (
        "open",
        "documents",
        "read ahead",
        "encode ahead",
        "read",
        "create",
        "stage",
        "stage ahead",
        "wait",
        "upsert",
        "delete",
        "commit",
    )
    shown = ", ".join(f"{k} {phases[k]:.1f}" for k in main if k in phases)
    lines = [f"      phases (s): {shown}"]
    statements = sorted(
        ((k.split(":", 1)[1], v) for k, v in phases.items() if k.startswith("sql:")),
        key=lambda item: -item[1],
    )
    statements = [(k, v) for k, v in statements if v >= 0.05]
    if statements:
        lines.append("      statements (s): " + ", ".join(f"{k} {v:.1f}" for k, v in statements))
    for label in ("stage", "stage ahead", "wait", "upsert", "delete"):
        per_table = sorted(
            ((k.split(":", 1)[1], v) for k, v in phases.items() if k.startswith(f"{label}:")),
            key=lambda item: -item[1],
        )[:4]
        if per_table:
            lines.append(
                f"      {label} by table: " + ", ".join(f"{t} {s:.1f}" for t, s in per_table)
            )
    return lines


def report(info: dict[str, Any], results: dict[str, Any]) -> None:
    rows = info["rows"]
    tables = ", ".join(f"{n} {c:,}" for n, c in info["tables"].items() if c)
    documents = info.get("documents", {"count": 0, "bytes": 0})
    print(
        f"package: {rows:,} rows in {len(TABLES)} tables ({tables}), "
        f"{documents['count']:,} document files ({documents['bytes'] / 2**20:,.0f} MiB)"
    )
    print(
        f"{os.cpu_count()} cores; CPU = client (+ PostgreSQL backend) seconds; "
        "load = 1-minute load average before/after"
    )
    validation = results.get("validate")
    if validation:
        summary = validation["summary"]
        print(
            _line(
                "validate_package",
                validation,
                rows,
                f"  (errors {summary['errors']}, warnings {summary['warnings']})",
            )
        )
    for kind, label in (("postgres", "PostgreSQL"), ("sqlite", "SQLite")):
        figures = results.get(kind)
        if not figures:
            continue
        bare_name = "bare COPY" if kind == "postgres" else "bare executemany"
        bare_name += " + documents"
        print(f"{label}:")
        bare, ours, update = figures["bare"], figures["ours"], figures["update"]
        print(
            _line(
                bare_name,
                bare,
                rows,
                f"  (rows {bare['copy_seconds']:.1f} s of which commit "
                f"{bare['commit_seconds']:.1f} s; documents {bare['documents_seconds']:.1f} s "
                f"of which syncfs {bare['documents_sync_seconds']:.1f} s)",
            )
        )
        print(
            _line("ours: load_package", ours, rows, f"  (init_target {ours['init_seconds']:.1f} s)")
        )
        print("\n".join(_phases(ours)))
        print(_line("ours, every row an update", update, rows))
        print("\n".join(_phases(update)))
        print(
            f"  every row an update / first load: {update['seconds'] / ours['seconds']:.2f}x "
            f"the time (target: within 1.3x), {_cpu(update) / _cpu(ours):.2f}x the CPU"
        )
        if validation:
            total = ours["seconds"] + validation["seconds"]
            print(f"  {'ours incl. validation':27} {total:7.1f} s {rows / total:>9,.0f} rows/s")
        print(
            f"  ratio ours / {bare_name}: {ours['seconds'] / bare['seconds']:.2f}x the time"
            f" (target: within 1.5x), {_cpu(ours) / _cpu(bare):.2f}x the CPU; "
            f"every row an update: {update['seconds'] / bare['seconds']:.2f}x the time, "
            f"{_cpu(update) / _cpu(bare):.2f}x the CPU"
        )
        print(
            f"  rows in the target: bare {bare['count']:,}; ours {ours['count']:,} "
            f"({ours['inserted']:,} inserted); again {update['count']:,} "
            f"({update['updated']:,} updated); documents stored: "
            f"{ours['documents_new']:,}, again {update['documents_new']:,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nffs-bench")
    parser.add_argument("--only", default="validate,postgres,sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("NFFS_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument(
        "--profile", action="store_true", help="cProfile every load into <cache>/load-<rows>-docs/"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run every load N times, keep the fastest"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", choices=["validate", "ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--package", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", default="", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.package, args.target, args.profile_to, args.store)
        return
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    path, info = package_dir(args.cache, args.rows)
    profile_dir = path.parent if args.profile else None
    results: dict[str, Any] = {}
    if "validate" in only:
        results["validate"] = run_child("validate", path, "", label="validate")
        if not results["validate"]["valid"]:
            print(f"the package has validation errors: {results['validate']}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="nffs-bench-load-") as tmp:
        for kind in ("postgres", "sqlite"):
            if kind in only:
                runs = [
                    bench_database(kind, path, args.pg_url, profile_dir, Path(tmp))
                    for _ in range(args.repeat)
                ]
                results[kind] = best_of(runs)
    report(info, results)
    if args.json is not None:
        args.json.write_text(json.dumps({"package": info, "results": results}, indent=1))


if __name__ == "__main__":
    main()
