"""The KLIBnet sample source follows the reference model, matches its truth and is plausible."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from nffs_migration.sample_data.generate import generate

# Transcribed from legacy-systems/klibnet.md, not imported from the generator.
REFERENCE = {
    "tblMitarbeiter": ["MitarbeiterID", "Kuerzel", "Name", "Vorname", "Funktion", "Aktiv"],
    "tblKlient": [
        "KlientID",
        "Name",
        "Vorname",
        "Geburtsdatum",
        "Geschlecht",
        "AHVNr",
        "Zivilstand",
        "Nationalitaet",
        "Sprache",
        "Aufenthalt",
        "MutDatum",
        "Geloescht",
    ],
    "tblAdresse": [
        "AdresseID",
        "KlientID",
        "Strasse",
        "HausNr",
        "PLZ",
        "Ort",
        "GemeindeNr",
        "GueltigAb",
        "GueltigBis",
    ],
    "tblDossier": [
        "DossierID",
        "DossierNr",
        "Bereich",
        "Eroeffnung",
        "Abschluss",
        "AbschlussGrund",
        "FallfuehrerID",
        "Segment",
        "SegmentSeit",
        "MutDatum",
    ],
    "tblDossierPerson": ["DossierID", "KlientID", "Rolle", "VonDatum", "BisDatum"],
    "tblBudget": ["BudgetID", "DossierID", "GueltigAb", "GueltigBis", "Status", "MutDatum"],
    "tblBudgetPosition": ["PositionID", "BudgetID", "PosCode", "Typ", "Betrag", "Bemerkung"],
    "tblZahlung": [
        "ZahlungID",
        "DossierID",
        "Valuta",
        "Betrag",
        "Kategorie",
        "Empfaenger",
        "Storniert",
        "MutDatum",
    ],
    "tblJournal": [
        "JournalID",
        "DossierID",
        "Datum",
        "MitarbeiterID",
        "Kontaktart",
        "DauerMin",
        "Betreff",
        "Text",
        "MutDatum",
    ],
    "tblDokument": [
        "DokumentID",
        "DossierID",
        "Titel",
        "DokTyp",
        "Dateiname",
        "Ablagepfad",
        "Erstellt",
        "MutDatum",
    ],
    "tblMassnahme": [
        "MassnahmeID",
        "DossierID",
        "Artikel",
        "Beginn",
        "Ende",
        "MandatstraegerID",
        "Behoerde",
    ],
}
CODES = {
    ("tblMitarbeiter", "Funktion"): {"SA", "AADMIN", "RESP", "INTAKE"},
    ("tblKlient", "Zivilstand"): {1, 2, 3, 4, 5, 6, 7, 9, None},
    ("tblKlient", "Aufenthalt"): {"CH", "C", "B", "F", "N", "L", "S", None},
    ("tblDossier", "Bereich"): {"WH", "AB", "KS", "ES", "AS"},
    ("tblDossier", "AbschlussGrund"): {1, 2, 3, 4, 5, 6, 9, None},
    ("tblDossier", "Segment"): {"A", "B", "C", None},
    ("tblDossierPerson", "Rolle"): {1, 2, 3, 4},
    ("tblBudget", "Status"): {"E", "B", "A"},
    ("tblBudgetPosition", "Typ"): {"A", "E"},
    ("tblZahlung", "Kategorie"): {
        "GBL",
        "MIETE",
        "NK",
        "KVG",
        "SIL",
        "EFB",
        "IZU",
        "LOHN",
        "AHV_IV",
        "ALV",
        "ALIM",
        "UEBR",
    },
    ("tblJournal", "Kontaktart"): {1, 2, 3, 4, 5, 6, 9},
    ("tblDokument", "DokTyp"): {"VERF", "BER", "KORR", "BELEG", "AUSW", "VERTR"},
}
POSCODES = CODES[("tblZahlung", "Kategorie")]
TABLE_OF = {
    "persons": "tblKlient",
    "addresses": "tblAdresse",
    "cases": "tblDossier",
    "case_members": "tblDossierPerson",
    "budgets": "tblBudget",
    "budget_items": "tblBudgetPosition",
    "payments": "tblZahlung",
    "journal_entries": "tblJournal",
    "documents": "tblDokument",
    "measures": "tblMassnahme",
    "staff": "tblMitarbeiter",
}


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory):
    return generate("klibnet", tmp_path_factory.mktemp("k") / "src", cases=150, seed=11)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    return generate(
        "klibnet", tmp_path_factory.mktemp("k") / "src", cases=150, seed=11, dirt="none"
    )


def _db(source) -> sqlite3.Connection:
    return sqlite3.connect(source.out / "klibnet.sqlite")


def _rows(connection: sqlite3.Connection, sql: str, *args: object) -> list[tuple]:
    return connection.execute(sql, args).fetchall()


def test_tables_and_columns_are_exactly_the_reference_models(realistic) -> None:
    with _db(realistic) as db:
        tables = {
            name for (name,) in _rows(db, "select name from sqlite_master where type='table'")
        }
        assert tables == set(REFERENCE)
        for table, columns in REFERENCE.items():
            assert [row[1] for row in _rows(db, f'pragma table_info("{table}")')] == columns


def test_code_values_come_from_the_reference_model(clean) -> None:
    with _db(clean) as db:
        for (table, column), allowed in CODES.items():
            values = {v for (v,) in _rows(db, f'select distinct "{column}" from "{table}"')}
            assert values <= allowed, (table, column, values - allowed)
        assert {v for (v,) in _rows(db, "select distinct Geschlecht from tblKlient")} <= {
            "M",
            "W",
            "U",
        }
        assert {
            v for (v,) in _rows(db, "select distinct PosCode from tblBudgetPosition")
        } <= POSCODES


def test_source_rows_match_truth_totals(realistic) -> None:
    expected = realistic.truth["expected"]
    with _db(realistic) as db:
        for table, source_table in TABLE_OF.items():
            total = sum(expected[table][k] for k in ("migrated", "rejected", "excluded"))
            assert _rows(db, f'select count(*) from "{source_table}"')[0][0] == total, table


def test_retention_exclusions_and_amount_sums_match_truth(realistic) -> None:
    cutoff = realistic.truth["generator"]["retention"]["cutoff"]
    expected = realistic.truth["expected"]
    with _db(realistic) as db:
        expired = _rows(db, "select count(*) from tblDossier where Abschluss < ?", cutoff)[0][0]
        assert expired == expected["cases"]["excluded"] > 0
        live_payments = _rows(
            db,
            """select z.Betrag from tblZahlung z join tblDossier d using (DossierID)
                                     where d.Abschluss is null or d.Abschluss >= ?""",
            cutoff,
        )
        assert sum(Decimal(str(b)).quantize(Decimal("0.01")) for (b,) in live_payments) == Decimal(
            expected["payments"]["amount_chf_sum"]
        )
        placeholders = ",".join("?" * len(POSCODES))
        live_items = _rows(
            db,
            f"""select p.Betrag from tblBudgetPosition p join tblBudget b using (BudgetID)
                                   join tblDossier d using (DossierID)
                                   where (d.Abschluss is null or d.Abschluss >= ?) and p.PosCode in ({placeholders})""",
            cutoff,
            *sorted(POSCODES),
        )
        assert sum(Decimal(str(b)).quantize(Decimal("0.01")) for (b,) in live_items) == Decimal(
            expected["budget_items"]["amount_chf_sum"]
        )


def test_every_injected_defect_is_in_the_source(realistic) -> None:
    dirt = {kind: set(entry["source_keys"]) for kind, entry in realistic.truth["dirt"].items()}
    share = realistic.out / "share"
    with _db(realistic) as db:

        def one(sql: str, key: str) -> tuple:
            return _rows(db, sql, int(key))[0]

        for key in dirt["soft-deleted"]:
            assert one("select Geloescht from tblKlient where KlientID=?", key) == (1,)
        for key in dirt["name-padding"]:
            family, given = one("select Name, Vorname from tblKlient where KlientID=?", key)
            assert family != family.strip() or given != given.strip()
        for key in dirt["ahvn13-check-digit"]:
            from stdnum.ch import ssn

            (number,) = one("select AHVNr from tblKlient where KlientID=?", key)
            assert not ssn.is_valid(number)
        for key in dirt["nationality-alpha3"]:
            assert len(one("select Nationalitaet from tblKlient where KlientID=?", key)[0]) == 3
        for key in dirt["sex-lower-case"]:
            assert one("select Geschlecht from tblKlient where KlientID=?", key)[0] in (
                "m",
                "w",
                "u",
            )
        for key in dirt["journal-rtf"]:
            assert one("select Text from tblJournal where JournalID=?", key)[0].startswith(
                "{\\rtf1"
            )
        for key in dirt["budget-code-unknown"]:
            assert (
                one("select PosCode from tblBudgetPosition where PositionID=?", key)[0]
                not in POSCODES
            )
        for key in dirt["case-number-duplicate"]:
            (number,) = one("select DossierNr from tblDossier where DossierID=?", key)
            assert _rows(db, "select count(*) from tblDossier where DossierNr=?", number)[0][0] >= 2
        for key in dirt["orphan-record"]:
            parents = _rows(
                db,
                """select (select count(*) from tblKlient k join tblAdresse a using (KlientID) where a.AdresseID=?1)
                                   + (select count(*) from tblDossier d join tblZahlung z using (DossierID) where z.ZahlungID=?1)
                                   + (select count(*) from tblDossier d join tblJournal j using (DossierID) where j.JournalID=?1)""",
                int(key),
            )
            assert parents == [(0,)]
        for key in dirt["document-file-missing"]:
            (path,) = one("select Ablagepfad from tblDokument where DokumentID=?", key)
            assert not (share / path.replace("\\", "/")).exists()
        for key in dirt["document-path-unsafe"]:
            (path,) = one("select Ablagepfad from tblDokument where DokumentID=?", key)
            assert ".." in path or ":" in path
        for key in dirt["document-zero-bytes"]:
            (path,) = one("select Ablagepfad from tblDokument where DokumentID=?", key)
            assert (share / path.replace("\\", "/")).stat().st_size == 0
        for key in dirt["case-without-lead"]:
            assert _rows(
                db, "select count(*) from tblDossierPerson where DossierID=? and Rolle=1", int(key)
            ) == [(0,)]
        for key in dirt["case-two-leads"]:
            assert _rows(
                db, "select count(*) from tblDossierPerson where DossierID=? and Rolle=1", int(key)
            ) == [(2,)]
        for key in dirt["case-without-staff"]:
            assert one("select FallfuehrerID from tblDossier where DossierID=?", key) == (None,)


def _content(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as db:
        return {t: _rows(db, f'select * from "{t}" order by 1, 2') for t in REFERENCE}


def test_same_seed_gives_the_same_database_content_and_truth(tmp_path: Path, realistic) -> None:
    again = generate("klibnet", tmp_path / "again", cases=150, seed=11)
    assert _content(again.out / "klibnet.sqlite") == _content(realistic.out / "klibnet.sqlite")
    assert (again.out / "truth.json").read_text().replace(str(again.out), "") == (
        realistic.out / "truth.json"
    ).read_text().replace(str(realistic.out), "")
    other = generate("klibnet", tmp_path / "other", cases=150, seed=12)
    assert (
        _content(other.out / "klibnet.sqlite")["tblKlient"]
        != _content(realistic.out / "klibnet.sqlite")["tblKlient"]
    )


def test_no_dirt_at_level_none_only_the_sources_facts(clean) -> None:
    assert set(clean.truth["dirt"]) <= {"retention-expired", "journal-rtf"}
    assert all(counts["rejected"] == 0 for counts in clean.truth["expected"].values())


def test_clean_open_economic_aid_cases_are_complete_and_current(clean) -> None:
    as_of = datetime.fromisoformat(clean.truth["generator"]["as_of"])
    with _db(clean) as db:
        open_aid = [
            row
            for row in _rows(
                db,
                "select DossierID, FallfuehrerID, Segment, SegmentSeit, Eroeffnung from tblDossier where Bereich='WH' and Abschluss is null",
            )
        ]
        assert open_aid
        for dossier, staff, segment, since, opened in open_aid:
            assert staff is not None
            leads = _rows(
                db, "select KlientID from tblDossierPerson where DossierID=? and Rolle=1", dossier
            )
            assert len(leads) == 1
            assert (
                _rows(
                    db,
                    "select count(*) from tblBudget where DossierID=? and Status='B' and GueltigAb<=?2 and GueltigBis>=?2",
                    dossier,
                    as_of.date().isoformat(),
                )[0][0]
                == 1
            )
            assert (
                _rows(
                    db,
                    "select count(*) from tblAdresse where KlientID=? and GueltigBis is null",
                    leads[0][0],
                )[0][0]
                >= 1
            )
            if segment:
                window = 182 if segment == "A" else 365
                start = max(date.fromisoformat(since), as_of.date() - timedelta(days=window))
                if date.fromisoformat(since) <= as_of.date() - timedelta(days=window):
                    talks = _rows(
                        db,
                        "select count(*) from tblJournal where DossierID=? and Kontaktart in (1,4) and Datum>=?",
                        dossier,
                        start.isoformat(),
                    )
                    assert talks[0][0] >= 1, dossier
            elif (as_of.date() - date.fromisoformat(opened)).days > 100:
                raise AssertionError(
                    f"open economic-aid case {dossier} past intake without segment"
                )


def test_population_is_plausible_for_a_bernese_service(tmp_path: Path) -> None:
    source = generate("klibnet", tmp_path / "p", cases=600, seed=5, dirt="none")
    with _db(source) as db:
        by_area = dict(_rows(db, "select Bereich, count(*) from tblDossier group by 1"))
        assert by_area["WH"] > 0.55 * 600
        assert set(by_area) == {"WH", "AB", "KS", "ES", "AS"}
        open_share = _rows(db, "select avg(Abschluss is null) from tblDossier")[0][0]
        assert 0.25 < open_share < 0.45
        segments = dict(
            _rows(
                db, "select Segment, count(*) from tblDossier where Segment is not null group by 1"
            )
        )
        assert segments["B"] > segments["A"] and segments["C"] > segments["A"]
        years = _rows(db, "select min(Eroeffnung), max(Eroeffnung) from tblDossier")[0]
        assert int(years[1][:4]) - int(years[0][:4]) >= 13
        shared = _rows(
            db,
            "select count(*) from (select KlientID from tblDossierPerson group by 1 having count(*) > 1)",
        )[0][0]
        assert shared > 0  # people move between cases


@pytest.mark.postgres
def test_same_source_on_postgresql_as_on_sqlite(tmp_path: Path, postgres_database: str) -> None:
    pg = generate("klibnet", tmp_path / "pg", cases=40, seed=3, url=postgres_database)
    lite = generate("klibnet", tmp_path / "lite", cases=40, seed=3)
    assert pg.truth["expected"] == lite.truth["expected"]
    engine = sa.create_engine(postgres_database)
    with engine.connect() as connection, _db(lite) as db:
        for table in REFERENCE:
            count = connection.execute(sa.text(f'select count(*) from dbo."{table}"')).scalar()
            assert count == _rows(db, f'select count(*) from "{table}"')[0][0], table
        pg_sum = connection.execute(sa.text('select sum("Betrag") from dbo."tblZahlung"')).scalar()
        lite_sum = sum(
            Decimal(str(b)).quantize(Decimal("0.01"))
            for (b,) in _rows(db, "select Betrag from tblZahlung")
        )
        assert Decimal(pg_sum).quantize(Decimal("0.01")) == lite_sum
        names = (
            connection.execute(sa.text('select "Name" from dbo."tblKlient" order by "KlientID"'))
            .scalars()
            .all()
        )
        assert names == [n for (n,) in _rows(db, "select Name from tblKlient order by KlientID")]
    engine.dispose()
