"""The KiSS sample source: the reference model's tables and codes, and a truth that holds.

Expected tables, columns and codes are transcribed from `legacy-systems/kiss.md` here,
not imported from the generator; expected counts are recomputed from the database.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest
import sqlalchemy as sa

from nffs_migration.sample_data.generate import GeneratedSource, generate

# kiss.md, transcribed: column -> type (i int, s string, d date, t datetime, b bit,
# m decimal, x binary).
REFERENCE: dict[str, dict[str, str]] = {
    "XUser": {
        "UserID": "i",
        "LogonName": "s",
        "FirstName": "s",
        "LastName": "s",
        "IsLocked": "b",
        "OrgUnitID": "i",
    },
    "XOrgUnit": {"OrgUnitID": "i", "ItemName": "s", "ParentID": "i"},
    "XLOVCode": {"LOVName": "s", "Code": "i", "Text": "s", "ShortText": "s", "IsActive": "b"},
    "BaPerson": {
        "BaPersonID": "i",
        "Name": "s",
        "Vorname": "s",
        "Geburtsdatum": "d",
        "GeschlechtCode": "i",
        "AHVNummer": "s",
        "AltAHVNummer": "s",
        "ZivilstandCode": "i",
        "NationalitaetCode": "i",
        "AufenthaltsstatusCode": "i",
        "Sprache": "s",
        "Sterbedatum": "d",
        "Creator": "s",
        "Created": "t",
        "Modifier": "s",
        "Modified": "t",
    },
    "BaAdresse": {
        "BaAdresseID": "i",
        "BaPersonID": "i",
        "Strasse": "s",
        "HausNr": "s",
        "PLZ": "s",
        "Ort": "s",
        "BfsGemeindeNr": "i",
        "DatumVon": "d",
        "DatumBis": "d",
        "Modified": "t",
    },
    "BaPerson_Relation": {
        "BaPerson_RelationID": "i",
        "BaPersonID_1": "i",
        "BaPersonID_2": "i",
        "BaRelationCode": "i",
    },
    "FaFall": {
        "FaFallID": "i",
        "BaPersonID": "i",
        "FallNr": "s",
        "DatumVon": "d",
        "DatumBis": "d",
        "UserID": "i",
        "Modified": "t",
    },
    "FaLeistung": {
        "FaLeistungID": "i",
        "FaFallID": "i",
        "BaPersonID": "i",
        "FaProzessCode": "i",
        "DatumVon": "d",
        "DatumBis": "d",
        "FaAbschlussgrundCode": "i",
        "UserID": "i",
        "Segment": "s",
        "Modified": "t",
    },
    "FaJournal": {
        "FaJournalID": "i",
        "FaLeistungID": "i",
        "UserID": "i",
        "DatumZeit": "t",
        "KontaktartCode": "i",
        "DauerStd": "m",
        "Stichwort": "s",
        "Text": "s",
        "Modified": "t",
    },
    "BgFinanzplan": {
        "BgFinanzplanID": "i",
        "FaLeistungID": "i",
        "DatumVon": "d",
        "DatumBis": "d",
        "Modified": "t",
    },
    "BgFinanzplan_BaPerson": {"BgFinanzplanID": "i", "BaPersonID": "i", "IstUnterstuetzt": "b"},
    "BgBudget": {
        "BgBudgetID": "i",
        "BgFinanzplanID": "i",
        "Jahr": "i",
        "Monat": "i",
        "BgBewilligungStatusCode": "i",
        "Modified": "t",
    },
    "BgPosition": {
        "BgPositionID": "i",
        "BgBudgetID": "i",
        "BgPositionsartID": "i",
        "Betrag": "m",
        "DatumVon": "d",
        "DatumBis": "d",
        "Bemerkung": "s",
    },
    "BgPositionsart": {
        "BgPositionsartID": "i",
        "Name": "s",
        "BgKategorieCode": "i",
        "SkosKey": "s",
    },
    "KbBuchung": {
        "KbBuchungID": "i",
        "FaLeistungID": "i",
        "BgBudgetID": "i",
        "Valutadatum": "d",
        "Betrag": "m",
        "BgPositionsartID": "i",
        "KbBuchungStatusCode": "i",
        "Empfaenger": "s",
        "Modified": "t",
    },
    "DmtDokument": {
        "DmtDokumentID": "i",
        "FaLeistungID": "i",
        "BaPersonID": "i",
        "Stichwort": "s",
        "DokTypCode": "i",
        "DateiName": "s",
        "DateiInhalt": "x",
        "DateiPfad": "s",
        "Created": "t",
        "Modified": "t",
    },
}
PRIMARY_KEYS = {
    "XUser": "UserID",
    "XOrgUnit": "OrgUnitID",
    "BaPerson": "BaPersonID",
    "BaAdresse": "BaAdresseID",
    "BaPerson_Relation": "BaPerson_RelationID",
    "FaFall": "FaFallID",
    "FaLeistung": "FaLeistungID",
    "FaJournal": "FaJournalID",
    "BgFinanzplan": "BgFinanzplanID",
    "BgBudget": "BgBudgetID",
    "BgPosition": "BgPositionID",
    "BgPositionsart": "BgPositionsartID",
    "KbBuchung": "KbBuchungID",
    "DmtDokument": "DmtDokumentID",
}
PYTHON_TYPES = {"i": int, "s": str, "d": date, "b": bool, "m": Decimal, "x": bytes}

# kiss.md code lists (plus Kosovo and Ukraine for the population's XK and UA, and the
# status lists of BgBudget and KbBuchung).
CODES: dict[str, set[int]] = {
    "Geschlecht": {1, 2, 3},
    "Zivilstand": set(range(1, 8)),
    "Land": {8100, 8207, 8212, 8218, 8231, 8580, 8504, 8525, 8560, 8239, 8998, 8256, 8265},
    "Aufenthaltsstatus": set(range(1, 8)),
    "FaProzess": {300, 310, 400, 410, 500},
    "FaAbschlussgrund": {10, 20, 30, 40, 50, 60, 70, 80, 90},
    "Kontaktart": set(range(1, 8)),
    "BgKategorie": {1, 2},
    "DokTyp": set(range(1, 7)),
    "BgBewilligungStatus": {1, 5, 9},
    "KbBuchungStatus": {1, 2, 3, 4},
}
CODED_COLUMNS = {
    ("BaPerson", "GeschlechtCode"): "Geschlecht",
    ("BaPerson", "ZivilstandCode"): "Zivilstand",
    ("BaPerson", "NationalitaetCode"): "Land",
    ("BaPerson", "AufenthaltsstatusCode"): "Aufenthaltsstatus",
    ("FaLeistung", "FaProzessCode"): "FaProzess",
    ("FaLeistung", "FaAbschlussgrundCode"): "FaAbschlussgrund",
    ("FaJournal", "KontaktartCode"): "Kontaktart",
    ("BgPositionsart", "BgKategorieCode"): "BgKategorie",
    ("DmtDokument", "DokTypCode"): "DokTyp",
    ("BgBudget", "BgBewilligungStatusCode"): "BgBewilligungStatus",
    ("KbBuchung", "KbBuchungStatusCode"): "KbBuchungStatus",
}
#: Dirt that writes a code outside the lists: (table, key column, column) per kind.
CODE_DIRT = {
    ("BaPerson", "ZivilstandCode"): ("code-unmapped", "BaPersonID"),
    ("FaJournal", "KontaktartCode"): ("contact-type-unmapped", "FaJournalID"),
}
SKOS = {"GBL", "MIETE", "NK", "KVG", "SIL", "EFB", "IZU", "LOHN", "AHV_IV", "ALV", "ALIM", "UEBR"}
CENT = Decimal("0.01")


# ---------------------------------------------------------------------------------------
# helpers


class Source:
    """A generated KiSS SQLite source, read with sqlite3 (independent of the generator)."""

    def __init__(self, generated: GeneratedSource) -> None:
        self.generated = generated
        self.truth = generated.truth
        self.share = generated.out / "share"
        self.db = sqlite3.connect(generated.out / "kiss.sqlite")
        self.db.row_factory = sqlite3.Row
        self.cutoff = self.truth["generator"]["retention"]["cutoff"]

    def rows(self, table: str) -> list[sqlite3.Row]:
        return self.db.execute(f'select * from "{table}"').fetchall()

    def keys(self, kind: str) -> list[str]:
        entry = self.truth["dirt"].get(kind)
        return entry["source_keys"] if entry else []

    def expected(self, table: str) -> dict[str, Any]:
        return self.truth["expected"][table]


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _make(path: Path, **options: Any) -> GeneratedSource:
    return generate("kiss", path, **options)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    return Source(_make(tmp_path_factory.mktemp("kiss") / "src", cases=150, seed=11))


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Source:
    return Source(_make(tmp_path_factory.mktemp("kiss") / "src", cases=120, seed=5, dirt="heavy"))


def _unsafe(path: str) -> bool:
    windows = PureWindowsPath(path)
    return windows.is_absolute() or bool(windows.drive) or ".." in windows.parts


def _outcomes(source: Source) -> tuple[dict[str, Counter[str]], dict[str, Decimal]]:
    """Per intermediate table, the outcome of each source row, derived from the database."""
    cutoff = source.cutoff
    services = {r["FaLeistungID"]: r for r in source.rows("FaLeistung")}
    live_service = {
        n for n, r in services.items() if r["DatumBis"] is None or r["DatumBis"] >= cutoff
    }
    plans = {r["BgFinanzplanID"]: r["FaLeistungID"] for r in source.rows("BgFinanzplan")}
    plan_rows = source.rows("BgFinanzplan_BaPerson")
    persons = {r["BaPersonID"] for r in source.rows("BaPerson")}
    # Members: the plan rows, or the lead of a service without a plan. A person who is a
    # member only of services past retention is excluded; a person in no service is not.
    planned = set(plans.values())
    membership = [(r["BaPersonID"], plans[r["BgFinanzplanID"]]) for r in plan_rows]
    membership += [
        (r["BaPersonID"], n)
        for n, r in services.items()
        if n not in planned and r["BaPersonID"] is not None
    ]
    in_case = {person for person, _ in membership}
    live_persons = persons - (in_case - {p for p, s in membership if s in live_service})
    out: dict[str, Counter[str]] = {}

    def by_service(service: int | None) -> str:
        if service not in services:
            return "rejected"
        return "migrated" if service in live_service else "excluded"

    out["persons"] = Counter("migrated" if p in live_persons else "excluded" for p in persons)
    out["addresses"] = Counter(
        "rejected"
        if r["BaPersonID"] not in persons
        else ("migrated" if r["BaPersonID"] in live_persons else "excluded")
        for r in source.rows("BaAdresse")
    )
    out["cases"] = Counter(by_service(n) for n in services)
    out["case_members"] = Counter(by_service(service) for _, service in membership)
    budgets = {r["BgBudgetID"]: plans[r["BgFinanzplanID"]] for r in source.rows("BgBudget")}
    out["budgets"] = Counter(by_service(s) for s in budgets.values())
    unmapped = {
        r["BgPositionsartID"] for r in source.rows("BgPositionsart") if r["SkosKey"] is None
    }
    items: Counter[str] = Counter()
    item_sum = Decimal("0.00")
    for row in source.rows("BgPosition"):
        outcome = by_service(budgets[row["BgBudgetID"]])
        if outcome == "migrated" and row["BgPositionsartID"] in unmapped:
            outcome = "rejected"
        items[outcome] += 1
        if outcome == "migrated":
            item_sum += _money(row["Betrag"])
    out["budget_items"] = items
    payments: Counter[str] = Counter()
    payment_sum = Decimal("0.00")
    for row in source.rows("KbBuchung"):
        outcome = by_service(row["FaLeistungID"])
        payments[outcome] += 1
        if outcome == "migrated":
            payment_sum += _money(row["Betrag"])
    out["payments"] = payments
    contact_codes = {r["Code"] for r in source.rows("XLOVCode") if r["LOVName"] == "Kontaktart"}
    out["journal_entries"] = Counter(
        "rejected"
        if by_service(r["FaLeistungID"]) == "migrated" and r["KontaktartCode"] not in contact_codes
        else by_service(r["FaLeistungID"])
        for r in source.rows("FaJournal")
    )
    documents: Counter[str] = Counter()
    for row in source.rows("DmtDokument"):
        if row["FaLeistungID"] is not None:
            outcome = by_service(row["FaLeistungID"])
        else:
            outcome = "migrated" if row["BaPersonID"] in live_persons else "excluded"
        path = row["DateiPfad"]
        if outcome == "migrated" and path is not None:
            missing = not source.share.joinpath(*PureWindowsPath(path).parts).is_file()
            if _unsafe(path) or missing:
                outcome = "rejected"
        documents[outcome] += 1
    out["documents"] = documents
    out["staff"] = Counter(migrated=len(source.rows("XUser")))
    return out, {"budget_items": item_sum, "payments": payment_sum}


# ---------------------------------------------------------------------------------------
# the reference model


def test_database_has_exactly_the_reference_model_tables_columns_and_types(source: Source) -> None:
    engine = sa.create_engine(f"sqlite:///{source.generated.out / 'kiss.sqlite'}")
    try:
        inspector = sa.inspect(engine)
        assert sorted(inspector.get_table_names()) == sorted(REFERENCE)
        for table, columns in REFERENCE.items():
            reflected = inspector.get_columns(table)
            assert [c["name"] for c in reflected] == list(columns), table
            for column in reflected:
                code = columns[column["name"]]
                if code == "t":
                    assert isinstance(column["type"], sa.DateTime), (table, column["name"])
                else:
                    assert column["type"].python_type is PYTHON_TYPES[code], (table, column["name"])
            assert inspector.get_foreign_keys(table) == []
            expected_key = [PRIMARY_KEYS[table]] if table in PRIMARY_KEYS else []
            assert inspector.get_pk_constraint(table)["constrained_columns"] == expected_key
    finally:
        engine.dispose()


def test_only_code_values_of_the_reference_model_or_injected_dirt(heavy: Source) -> None:
    lov: dict[str, dict[int, bool]] = {}
    for row in heavy.rows("XLOVCode"):
        lov.setdefault(row["LOVName"], {})[row["Code"]] = bool(row["IsActive"])
    for name, codes in CODES.items():
        assert set(lov[name]) <= codes, name
    assert set(lov["Land"]) == CODES["Land"]
    for (table, column), name in CODED_COLUMNS.items():
        key_column = PRIMARY_KEYS[table]
        dirty = set()
        if (table, column) in CODE_DIRT:
            kind, _ = CODE_DIRT[(table, column)]
            dirty = set(heavy.keys(kind))
        for row in heavy.rows(table):
            value = row[column]
            if value is None:
                continue
            if value not in lov[name]:
                assert str(row[key_column]) in dirty, (table, column, row[key_column])
            else:
                assert value in CODES[name]
    assert {r["BaRelationCode"] for r in heavy.rows("BaPerson_Relation")} <= {1, 2, 3, 4}
    assert {r["Segment"] for r in heavy.rows("FaLeistung")} <= {"A", "B", "C", None}
    assert {r["SkosKey"] for r in heavy.rows("BgPositionsart")} <= SKOS | {None}
    assert {r["SkosKey"] for r in heavy.rows("BgPositionsart")} >= SKOS


def test_persons_carry_ahv_numbers_without_dots_and_durations_are_decimal_hours(
    source: Source,
) -> None:
    for row in source.rows("BaPerson"):
        if row["AHVNummer"] is not None:
            assert len(row["AHVNummer"]) == 13 and row["AHVNummer"].isdigit()
        if row["AltAHVNummer"] is not None:
            assert len(row["AltAHVNummer"]) == 11 and row["AltAHVNummer"].isdigit()
    durations = [_money(r["DauerStd"]) for r in source.rows("FaJournal") if r["DauerStd"]]
    assert durations and all(Decimal(0) < d < Decimal(24) for d in durations)
    assert Decimal("0.75") in durations  # 45 minutes


def test_staff_roles_follow_from_their_teams(source: Source) -> None:
    units = {r["OrgUnitID"]: r["ItemName"] for r in source.rows("XOrgUnit")}
    assert {"Intake", "Beratung 1", "Beratung 2", "Beratung 3", "Beratung 4"} <= set(units.values())
    teams = Counter(units[r["OrgUnitID"]] for r in source.rows("XUser"))
    assert teams["Intake"] >= 1
    assert sum(n for team, n in teams.items() if team.startswith("Beratung ")) >= 4


def test_relations_point_from_parent_to_child(source: Source) -> None:
    born = {r["BaPersonID"]: r["Geburtsdatum"] for r in source.rows("BaPerson")}
    relations = source.rows("BaPerson_Relation")
    assert {r["BaRelationCode"] for r in relations} >= {1, 3}
    for row in relations:
        first, second = born[row["BaPersonID_1"]], born[row["BaPersonID_2"]]
        if row["BaRelationCode"] == 3 and first and second:
            assert first < second
    pairs = [frozenset((r["BaPersonID_1"], r["BaPersonID_2"])) for r in relations]
    assert len(pairs) == len(set(pairs))


# ---------------------------------------------------------------------------------------
# truth


@pytest.mark.parametrize("fixture", ["source", "heavy"])
def test_truth_counts_and_sums_match_the_source(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    kiss: Source = request.getfixturevalue(fixture)
    derived, sums = _outcomes(kiss)
    for table, counts in derived.items():
        expected = kiss.expected(table)
        got = {outcome: counts.get(outcome, 0) for outcome in ("migrated", "rejected", "excluded")}
        want = {outcome: expected[outcome] for outcome in ("migrated", "rejected", "excluded")}
        assert got == want, table
    for table in ("budget_items", "payments"):
        assert f"{sums[table]:.2f}" == kiss.expected(table)["amount_chf_sum"], table
    assert kiss.expected("measures") == {"migrated": 0, "rejected": 0, "excluded": 0}
    assert kiss.expected("organisation")["migrated"] == 1
    assert len(kiss.rows("FaLeistung")) == kiss.truth["generator"]["cases"]


def test_cases_are_services_grouped_in_files_of_one_lead(source: Source) -> None:
    files = {r["FaFallID"]: r for r in source.rows("FaFall")}
    numbers = [r["FallNr"] for r in files.values()]
    assert len(numbers) == len(set(numbers))
    services = source.rows("FaLeistung")
    assert {s["FaFallID"] for s in services} == set(files)
    for service in services:
        if service["BaPersonID"] is not None:
            assert service["BaPersonID"] == files[service["FaFallID"]]["BaPersonID"]
    assert max(Counter(s["FaFallID"] for s in services).values()) > 1


@pytest.mark.parametrize("fixture", ["source", "heavy"])
def test_every_dirt_key_exists_and_has_its_defect(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    kiss: Source = request.getfixturevalue(fixture)
    persons = {str(r["BaPersonID"]): r for r in kiss.rows("BaPerson")}
    services = {str(r["FaLeistungID"]): r for r in kiss.rows("FaLeistung")}
    journal = {str(r["FaJournalID"]): r for r in kiss.rows("FaJournal")}
    documents = {str(r["DmtDokumentID"]): r for r in kiss.rows("DmtDokument")}
    positions = {str(r["BgPositionID"]): r for r in kiss.rows("BgPosition")}
    kinds = {r["BgPositionsartID"]: r["SkosKey"] for r in kiss.rows("BgPositionsart")}
    addresses = {str(r["BaAdresseID"]): r for r in kiss.rows("BaAdresse")}
    payments = {str(r["KbBuchungID"]): r for r in kiss.rows("KbBuchung")}
    inactive = {
        r["Code"]
        for r in kiss.rows("XLOVCode")
        if r["LOVName"] == "Zivilstand" and not r["IsActive"]
    }
    for kind in (
        "code-unmapped",
        "code-inactive",
        "contact-type-unmapped",
        "budget-code-unknown",
        "orphan-record",
        "document-file-missing",
        "document-path-unsafe",
        "document-zero-bytes",
        "document-duplicate-content",
        "case-without-lead",
        "birth-date-unknown",
        "retention-expired",
    ):
        assert kiss.keys(kind), kind
    for key in kiss.keys("code-unmapped"):
        assert persons[key]["ZivilstandCode"] == 8
    for key in kiss.keys("code-inactive"):
        assert persons[key]["ZivilstandCode"] in inactive
    for key in kiss.keys("contact-type-unmapped"):
        assert journal[key]["KontaktartCode"] == 8
    for key in kiss.keys("budget-code-unknown"):
        assert kinds[positions[key]["BgPositionsartID"]] is None
    for key in kiss.keys("case-without-lead"):
        assert services[key]["BaPersonID"] is None
    for key in kiss.keys("birth-date-unknown"):
        assert persons[key]["Geburtsdatum"] is None
    for key in kiss.keys("retention-expired"):
        assert services[key]["DatumBis"] < kiss.cutoff
    for key in kiss.keys("case-without-staff"):
        assert services[key]["UserID"] is None
    for key in kiss.keys("case-without-segment"):
        assert services[key]["Segment"] is None and services[key]["FaProzessCode"] == 300
    for key in kiss.keys("budget-amount-negative"):
        assert _money(positions[key]["Betrag"]) < 0
    for key in kiss.keys("talk-without-duration"):
        assert journal[key]["KontaktartCode"] == 1 and journal[key]["DauerStd"] is None
    for key in kiss.keys("duration-on-note"):
        assert journal[key]["KontaktartCode"] == 7 and journal[key]["DauerStd"] is not None
    for key in kiss.keys("ahvn13-check-digit"):
        digits = [int(c) for c in persons[key]["AHVNummer"]]
        total = sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits[:12]))
        assert digits[12] != (10 - total % 10) % 10
    for key in kiss.keys("address-overlap"):
        latest = addresses[key]
        others = [
            a
            for a in addresses.values()
            if a["BaPersonID"] == latest["BaPersonID"] and a is not latest
        ]
        assert any(
            a["DatumVon"] <= latest["DatumVon"] <= (a["DatumBis"] or "9999-12-31") for a in others
        )
    for key in kiss.keys("orphan-record"):
        if key in addresses:
            assert str(addresses[key]["BaPersonID"]) not in persons
        elif key in payments:
            assert str(payments[key]["FaLeistungID"]) not in services
        else:
            assert str(journal[key]["FaLeistungID"]) not in services
    for key in kiss.keys("document-path-unsafe"):
        assert _unsafe(documents[key]["DateiPfad"])
    for key in kiss.keys("document-file-missing"):
        path = documents[key]["DateiPfad"]
        assert path and not _unsafe(path)
        assert not kiss.share.joinpath(*PureWindowsPath(path).parts).exists()

    def content(row: sqlite3.Row) -> bytes:
        if row["DateiPfad"] is None:
            return bytes(row["DateiInhalt"])
        return kiss.share.joinpath(*PureWindowsPath(row["DateiPfad"]).parts).read_bytes()

    for key in kiss.keys("document-zero-bytes"):
        assert content(documents[key]) == b""
    duplicated = set(kiss.keys("document-duplicate-content"))
    missing = set(kiss.keys("document-file-missing")) | set(kiss.keys("document-path-unsafe"))
    readable = [(n, content(r)) for n, r in documents.items() if n not in missing]
    seen = Counter(c for _, c in readable)
    for number, body in readable:
        if number in duplicated:
            assert body and seen[body] > 1

    # Dirt never goes on records that retention excludes (facts aside).
    expired = set(kiss.keys("retention-expired"))
    for key in kiss.keys("case-without-lead") + kiss.keys("case-closed-without-reason"):
        assert key not in expired
    for key in kiss.keys("contact-type-unmapped"):
        assert str(journal[key]["FaLeistungID"]) not in expired
    for key in kiss.keys("document-zero-bytes") + kiss.keys("document-path-unsafe"):
        assert str(documents[key]["FaLeistungID"]) not in expired


# ---------------------------------------------------------------------------------------
# determinism and levels


def _dump(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(out / "kiss.sqlite")
    try:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        dump = {t: sorted(map(tuple, db.execute(f'select * from "{t}"')), key=repr) for t in tables}
    finally:
        db.close()
    dump["_share"] = sorted(
        (p.relative_to(out).as_posix(), p.read_bytes())
        for p in (out / "share").rglob("*")
        if p.is_file()
    )
    return dump


def test_same_seed_gives_the_same_source_and_another_seed_another(tmp_path: Path) -> None:
    first = _make(tmp_path / "a", cases=60, seed=3)
    second = _make(tmp_path / "b", cases=60, seed=3)
    other = _make(tmp_path / "c", cases=60, seed=4)
    assert _dump(first.out) == _dump(second.out)
    assert first.truth_path.read_bytes() == second.truth_path.read_bytes()
    assert _dump(first.out)["BaPerson"] != _dump(other.out)["BaPerson"]
    assert json.loads(first.truth_path.read_text())["dirt"] != other.truth["dirt"]


def test_dirt_none_injects_nothing_but_the_facts(tmp_path: Path) -> None:
    clean = Source(_make(tmp_path / "clean", cases=120, seed=2, dirt="none"))
    assert set(clean.truth["dirt"]) <= {"retention-expired"}
    assert all(entry["rejected"] == 0 for entry in clean.truth["expected"].values())
    assert {r["ZivilstandCode"] for r in clean.rows("BaPerson")} <= set(range(1, 8)) | {None}
    assert 6 not in {r["ZivilstandCode"] for r in clean.rows("BaPerson")}
    assert {r["KontaktartCode"] for r in clean.rows("FaJournal")} <= set(range(1, 8))
    assert all(r["BaPersonID"] is not None for r in clean.rows("FaLeistung"))
    derived, _ = _outcomes(clean)
    assert all(counts.get("rejected", 0) == 0 for counts in derived.values())


def test_cli_writes_a_kiss_source(cli: Any, tmp_path: Path) -> None:
    result = cli("sample", "kiss", "--out", str(tmp_path / "cli"), "--cases", "40", "--seed", "9")
    assert result.exit_code == 0, result.stderr
    truth = json.loads((tmp_path / "cli" / "truth.json").read_text("utf-8"))
    assert truth["source"] == {"database": "sqlite:///kiss.sqlite", "documents": "share"}
    assert truth["expected"]["cases"]["migrated"] + truth["expected"]["cases"]["excluded"] == 40


# ---------------------------------------------------------------------------------------
# PostgreSQL


def test_renders_into_schema_dbo_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    from nffs_migration.sample_data import kiss_schema

    engine = sa.create_engine(postgres_url)
    tables = kiss_schema.metadata("dbo")
    try:
        generated = _make(tmp_path / "pg", cases=40, seed=8, url=postgres_url)
        assert not (tmp_path / "pg" / "kiss.sqlite").exists()
        inspector = sa.inspect(engine)
        assert set(REFERENCE) <= set(inspector.get_table_names(schema="dbo"))
        for table, columns in REFERENCE.items():
            names = [c["name"] for c in inspector.get_columns(table, schema="dbo")]
            assert names == list(columns), table
        with engine.connect() as connection:
            services = connection.execute(sa.text('select count(*) from dbo."FaLeistung"')).scalar()
            total = connection.execute(
                sa.text(
                    'select sum(b."Betrag") from dbo."KbBuchung" b join dbo."FaLeistung" l '
                    'on l."FaLeistungID" = b."FaLeistungID" '
                    'where l."DatumBis" is null or l."DatumBis" >= :cutoff'
                ),
                {"cutoff": date.fromisoformat(generated.truth["generator"]["retention"]["cutoff"])},
            ).scalar()
        assert services == 40
        assert f"{total:.2f}" == generated.truth["expected"]["payments"]["amount_chf_sum"]
    finally:
        # Only the KiSS tables: other tests may use the same database and schema.
        tables.drop_all(engine, checkfirst=True)
        engine.dispose()
