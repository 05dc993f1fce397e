"""A service's daily work on a generated source, between two batches of its migration.

Between the full batch and the deltas, and between the deltas, the service keeps
working in its legacy system. `change_source()` applies one round of that work to a
generated source, the way the legacy application would, following the reference
models:

- some clients renamed (a marriage), their change marker set;
- clients soft-deleted (KLIBnet `Geloescht`; KiSS keeps no such flag), never the lead of
  an open case;
- journal entries and payments entered by mistake, deleted outright (no trace left);
- budgets re-saved with one position fewer (the budget's change marker set, the
  position gone);
- a new case opened for a new client: address, case, lead, an approved budget for the
  month with its positions, a payment and a personal talk.

Tutoris is delivered as files: the round rewrites `export.xml` as the full export at
`at` and writes `export-delta.xml`, a delta export (`vollExport="false"`) with the
subtrees of the persons and cases that changed; what was removed whole (a case) shows
only in the full export. Choices depend on the seed and the round only. `Changes` lists
the source keys touched, so tests can say what they expect.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError
from nffs_migration.sample_data import vocab


@dataclass
class Changes:
    """What one round of work changed, by source table and source key."""

    renamed: list[str] = field(default_factory=list)
    soft_deleted: list[str] = field(default_factory=list)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    removed_children: dict[str, list[str]] = field(default_factory=dict)
    added: dict[str, list[str]] = field(default_factory=dict)

    def count(self) -> int:
        """How many source records the round touched."""
        lists = [self.renamed, self.soft_deleted]
        for group in (self.deleted, self.removed_children, self.added):
            lists.extend(group.values())
        return sum(len(items) for items in lists)


def change_source(
    system: str,
    source: Path | str,
    at: datetime,
    *,
    seed: int = 1,
    round_no: int = 1,
    drop_case: bool = False,
) -> Changes:
    """Apply one round of a service's work to a generated source (see the module docstring).

    `source` is the source's folder (as `generate` wrote it) or, for a database, its URL.
    `drop_case` (Tutoris) also removes a whole closed case, which no delta export shows.
    """
    rng = random.Random(f"{seed}/{round_no}/{system}")
    if system == "klibnet":
        return _klibnet(_url(source, "klibnet.sqlite"), at, rng)
    if system == "kiss":
        return _kiss(_url(source, "kiss.sqlite"), at, rng)
    if system == "tutoris":
        from nffs_migration.sample_data.tutoris_changes import change_export

        return change_export(Path(source), at, rng, drop_case=drop_case)
    raise ConfigurationError(f"{system} sources are changed by hand: no rounds of work for it")


def _url(source: Path | str, database: str) -> str:
    text = str(source)
    return text if "://" in text else f"sqlite:///{Path(text) / database}"


def _pick(rng: random.Random, items: list[Any], count: int) -> list[Any]:
    return rng.sample(items, min(count, len(items)))


def _ids(connection: sa.Connection, query: str, **params: Any) -> list[int]:
    return sorted(int(row[0]) for row in connection.execute(sa.text(query), params))


def _next(connection: sa.Connection, table: str, column: str) -> int:
    query = f"SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}"  # noqa: S608 - our names
    return int(connection.execute(sa.text(query)).scalar_one())


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


# -- KLIBnet -----------------------------------------------------------------------------


def _tables(url: str, system: str) -> dict[str, sa.Table]:
    """The system's tables, typed as the generator wrote them (dates, money, flags)."""
    from nffs_migration.sample_data.legacy_db import legacy_schema

    schema = legacy_schema(sa.make_url(url))
    if system == "klibnet":
        from nffs_migration.sample_data.klibnet import metadata
    else:
        from nffs_migration.sample_data.kiss_schema import metadata
    return {table.name: table for table in metadata(schema).tables.values()}


def _update(db: sa.Connection, table: sa.Table, key: str, row: int, **values: Any) -> None:
    db.execute(sa.update(table).where(table.c[key] == row).values(**values))


def _delete(db: sa.Connection, table: sa.Table, key: str, row: int) -> None:
    db.execute(sa.delete(table).where(table.c[key] == row))


def _klibnet(url: str, at: datetime, rng: random.Random) -> Changes:
    changes = Changes()
    engine = sa.create_engine(url)
    t = _tables(url, "klibnet")
    moment = at.replace(tzinfo=None)
    try:
        with engine.begin() as db:
            leads = set(
                _ids(
                    db,
                    "SELECT p.KlientID FROM tblDossierPerson p JOIN tblDossier d "
                    "ON d.DossierID = p.DossierID WHERE p.Rolle = 1 AND d.Abschluss IS NULL",
                )
            )
            members = _ids(
                db,
                "SELECT DISTINCT p.KlientID FROM tblDossierPerson p JOIN tblKlient k "
                "ON k.KlientID = p.KlientID JOIN tblDossier d ON d.DossierID = p.DossierID "
                "WHERE (k.Geloescht = :no OR k.Geloescht IS NULL) AND d.Abschluss IS NULL",
                no=False,
            )
            for person in _pick(rng, members, 3):
                name = rng.choice(vocab.SWISS_FAMILY)
                _update(db, t["tblKlient"], "KlientID", person, Name=name, MutDatum=moment)
                changes.renamed.append(str(person))
            quiet = [p for p in members if p not in leads and str(p) not in changes.renamed]
            for person in _pick(rng, quiet, 2):
                _update(db, t["tblKlient"], "KlientID", person, Geloescht=True, MutDatum=moment)
                changes.soft_deleted.append(str(person))
            for table, key, count in (
                ("tblJournal", "JournalID", 3),
                ("tblZahlung", "ZahlungID", 2),
            ):
                rows = _ids(
                    db,
                    f"SELECT {key} FROM {table} WHERE DossierID IN "  # noqa: S608 - our names
                    "(SELECT DossierID FROM tblDossier WHERE Abschluss IS NULL)",
                )
                gone = _pick(rng, rows, count)
                for row in gone:
                    _delete(db, t[table], key, row)
                changes.deleted[table] = [str(row) for row in gone]
            budgets = _ids(
                db,
                "SELECT b.BudgetID FROM tblBudget b JOIN tblDossier d ON d.DossierID = b.DossierID "
                "WHERE d.Abschluss IS NULL AND (SELECT COUNT(*) FROM tblBudgetPosition p "
                "WHERE p.BudgetID = b.BudgetID) > 1",
            )
            changes.removed_children["tblBudgetPosition"] = _resave_budgets(
                db,
                rng,
                budgets,
                (t["tblBudgetPosition"], "PositionID", "BudgetID"),
                (t["tblBudget"], "BudgetID", {"MutDatum": moment}),
            )
            changes.added = _insert(db, t, _klibnet_new_case(db, moment, rng))
    finally:
        engine.dispose()
    return changes


def _resave_budgets(
    db: sa.Connection,
    rng: random.Random,
    budgets: list[int],
    positions: tuple[sa.Table, str, str],
    budget: tuple[sa.Table, str, dict[str, Any]],
) -> list[str]:
    """Two budgets re-saved with their last position fewer; the removed positions' keys.

    `positions`: the table, its key and its budget column; `budget`: the table, its key
    and the change marker to set.
    """
    table, key, parent = positions
    budget_table, budget_key, marker = budget
    removed = []
    for chosen in _pick(rng, budgets, 2):
        rows = db.execute(sa.select(table.c[key]).where(table.c[parent] == chosen)).scalars()
        position = max(rows)
        _delete(db, table, key, position)
        _update(db, budget_table, budget_key, chosen, **marker)
        removed.append(str(position))
    return removed


def _insert(
    db: sa.Connection, tables: dict[str, sa.Table], rows: list[tuple[str, dict[str, Any]]]
) -> dict[str, list[str]]:
    """Insert rows; the source key of each: its first column, or both keys of a relation."""
    added: dict[str, list[str]] = {}
    for table, values in rows:
        db.execute(sa.insert(tables[table]).values(values))
        first, second = list(values.values())[:2]
        relation = table in ("tblDossierPerson", "BgFinanzplan_BaPerson")
        added.setdefault(table, []).append(f"{first}/{second}" if relation else str(first))
    return added


def _klibnet_new_case(
    db: sa.Connection, at: datetime, rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    staff = _ids(
        db, "SELECT MitarbeiterID FROM tblMitarbeiter WHERE Funktion = 'SA' AND Aktiv = :y", y=True
    )
    person = _next(db, "tblKlient", "KlientID")
    case = _next(db, "tblDossier", "DossierID")
    address = _next(db, "tblAdresse", "AdresseID")
    budget = _next(db, "tblBudget", "BudgetID")
    position = _next(db, "tblBudgetPosition", "PositionID")
    payment = _next(db, "tblZahlung", "ZahlungID")
    journal = _next(db, "tblJournal", "JournalID")
    female = rng.random() < 0.5
    today = at.date()
    first, last = _month(today)
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "tblKlient",
            {
                "KlientID": person,
                "Name": rng.choice(vocab.SWISS_FAMILY),
                "Vorname": rng.choice(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE),
                "Geburtsdatum": datetime(  # noqa: DTZ001 - KLIBnet keeps local time
                    1970 + rng.randrange(30), 1 + rng.randrange(12), 1
                ),
                "Geschlecht": "W" if female else "M",
                "AHVNr": None,
                "Zivilstand": 1,
                "Nationalitaet": "CH",
                "Sprache": "de",
                "Aufenthalt": "CH",
                "MutDatum": at,
                "Geloescht": False,
            },
        ),
        (
            "tblAdresse",
            {
                "AdresseID": address,
                "KlientID": person,
                "Strasse": rng.choice(vocab.STREETS),
                "HausNr": str(1 + rng.randrange(60)),
                "PLZ": "3600",
                "Ort": "Thun",
                "GemeindeNr": 942,
                "GueltigAb": today - timedelta(days=400),
                "GueltigBis": None,
            },
        ),
        (
            "tblDossier",
            {
                "DossierID": case,
                "DossierNr": f"WH-{today.year}-{case:05d}",
                "Bereich": "WH",
                "Eroeffnung": today,
                "Abschluss": None,
                "AbschlussGrund": None,
                "FallfuehrerID": rng.choice(staff) if staff else None,
                "Segment": "B",
                "SegmentSeit": today,
                "MutDatum": at,
            },
        ),
        (
            "tblDossierPerson",
            {
                "DossierID": case,
                "KlientID": person,
                "Rolle": 1,
                "VonDatum": today,
                "BisDatum": None,
            },
        ),
        (
            "tblBudget",
            {
                "BudgetID": budget,
                "DossierID": case,
                "GueltigAb": first,
                "GueltigBis": last,
                "Status": "B",
                "MutDatum": at,
            },
        ),
        (
            "tblBudgetPosition",
            {
                "PositionID": position,
                "BudgetID": budget,
                "PosCode": "GBL",
                "Typ": "A",
                "Betrag": Decimal("1031.00"),
                "Bemerkung": None,
            },
        ),
        (
            "tblBudgetPosition",
            {
                "PositionID": position + 1,
                "BudgetID": budget,
                "PosCode": "MIETE",
                "Typ": "A",
                "Betrag": Decimal("1250.00"),
                "Bemerkung": None,
            },
        ),
        (
            "tblZahlung",
            {
                "ZahlungID": payment,
                "DossierID": case,
                "Valuta": today,
                "Betrag": Decimal("2281.00"),
                "Kategorie": "GBL",
                "Empfaenger": "Klient/in",
                "Storniert": False,
                "MutDatum": at,
            },
        ),
        (
            "tblJournal",
            {
                "JournalID": journal,
                "DossierID": case,
                "Datum": at - timedelta(hours=2),
                "MitarbeiterID": rng.choice(staff) if staff else None,
                "Kontaktart": 1,
                "DauerMin": 45,
                "Betreff": "Erstgespräch",
                "Text": "Aufnahme, Unterlagen besprochen.",
                "MutDatum": at,
            },
        ),
    ]
    return rows


# -- KiSS --------------------------------------------------------------------------------


def _kiss(url: str, at: datetime, rng: random.Random) -> Changes:
    changes = Changes()
    engine = sa.create_engine(url)
    t = _tables(url, "kiss")
    moment = at.replace(tzinfo=None)
    try:
        with engine.begin() as db:
            live = "(SELECT FaLeistungID FROM FaLeistung WHERE DatumBis IS NULL)"  # a constant
            persons = _ids(
                db,
                "SELECT DISTINCT p.BaPersonID FROM BgFinanzplan_BaPerson p JOIN BgFinanzplan f "
                "ON f.BgFinanzplanID = p.BgFinanzplanID WHERE f.FaLeistungID IN "
                "(SELECT FaLeistungID FROM FaLeistung WHERE DatumBis IS NULL)",
            )
            for person in _pick(rng, persons, 3):
                name = rng.choice(vocab.SWISS_FAMILY)
                _update(db, t["BaPerson"], "BaPersonID", person, Name=name, Modified=moment)
                changes.renamed.append(str(person))
            for table, key, count in (
                ("FaJournal", "FaJournalID", 3),
                ("KbBuchung", "KbBuchungID", 2),
            ):
                rows = _ids(
                    db,
                    f"SELECT {key} FROM {table} WHERE FaLeistungID IN {live}",  # noqa: S608
                )
                gone = _pick(rng, rows, count)
                for row in gone:
                    _delete(db, t[table], key, row)
                changes.deleted[table] = [str(row) for row in gone]
            budgets = _ids(
                db,
                "SELECT b.BgBudgetID FROM BgBudget b JOIN BgFinanzplan f "
                "ON f.BgFinanzplanID = b.BgFinanzplanID "
                "WHERE f.FaLeistungID IN "
                "(SELECT FaLeistungID FROM FaLeistung WHERE DatumBis IS NULL) "
                "AND (SELECT COUNT(*) FROM BgPosition p "
                "WHERE p.BgBudgetID = b.BgBudgetID) > 1",
            )
            changes.removed_children["BgPosition"] = _resave_budgets(
                db,
                rng,
                budgets,
                (t["BgPosition"], "BgPositionID", "BgBudgetID"),
                (t["BgBudget"], "BgBudgetID", {"Modified": moment}),
            )
            changes.added = _insert(db, t, _kiss_new_service(db, moment, rng))
    finally:
        engine.dispose()
    return changes


def _kiss_new_service(
    db: sa.Connection, at: datetime, rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    """A new client with a file, an economic-aid service, a plan, a budget and a payment."""
    staff = _ids(
        db,
        "SELECT u.UserID FROM XUser u JOIN XOrgUnit o ON o.OrgUnitID = u.OrgUnitID "
        "WHERE o.ItemName LIKE 'Beratung%' AND (u.IsLocked = :no OR u.IsLocked IS NULL)",
        no=False,
    )
    gbl = _ids(db, "SELECT BgPositionsartID FROM BgPositionsart WHERE SkosKey = 'GBL'")
    person = _next(db, "BaPerson", "BaPersonID")
    address = _next(db, "BaAdresse", "BaAdresseID")
    file = _next(db, "FaFall", "FaFallID")
    service = _next(db, "FaLeistung", "FaLeistungID")
    plan = _next(db, "BgFinanzplan", "BgFinanzplanID")
    budget = _next(db, "BgBudget", "BgBudgetID")
    position = _next(db, "BgPosition", "BgPositionID")
    payment = _next(db, "KbBuchung", "KbBuchungID")
    journal = _next(db, "FaJournal", "FaJournalID")
    female = rng.random() < 0.5
    today = at.date()
    first, last = _month(today)
    worker = rng.choice(staff) if staff else None
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "BaPerson",
            {
                "BaPersonID": person,
                "Name": rng.choice(vocab.SWISS_FAMILY),
                "Vorname": rng.choice(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE),
                "Geburtsdatum": date(1970 + rng.randrange(30), 1 + rng.randrange(12), 1),
                "GeschlechtCode": 2 if female else 1,
                "AHVNummer": None,
                "AltAHVNummer": None,
                "ZivilstandCode": 1,
                "NationalitaetCode": 8100,
                "AufenthaltsstatusCode": 1,
                "Sprache": "de",
                "Sterbedatum": None,
                "Creator": "intake",
                "Created": at,
                "Modifier": "intake",
                "Modified": at,
            },
        ),
        (
            "BaAdresse",
            {
                "BaAdresseID": address,
                "BaPersonID": person,
                "Strasse": rng.choice(vocab.STREETS),
                "HausNr": str(1 + rng.randrange(60)),
                "PLZ": "3011",
                "Ort": "Bern",
                "BfsGemeindeNr": 351,
                "DatumVon": today - timedelta(days=400),
                "DatumBis": None,
                "Modified": at,
            },
        ),
        (
            "FaFall",
            {
                "FaFallID": file,
                "BaPersonID": person,
                "FallNr": f"F-{today.year}-{file:05d}",
                "DatumVon": today,
                "DatumBis": None,
                "UserID": worker,
                "Modified": at,
            },
        ),
        (
            "FaLeistung",
            {
                "FaLeistungID": service,
                "FaFallID": file,
                "BaPersonID": person,
                "FaProzessCode": 300,
                "DatumVon": today,
                "DatumBis": None,
                "FaAbschlussgrundCode": None,
                "UserID": worker,
                "Segment": "B",
                "Modified": at,
            },
        ),
        (
            "BgFinanzplan",
            {
                "BgFinanzplanID": plan,
                "FaLeistungID": service,
                "DatumVon": first,
                "DatumBis": None,
                "Modified": at,
            },
        ),
        (
            "BgFinanzplan_BaPerson",
            {"BgFinanzplanID": plan, "BaPersonID": person, "IstUnterstuetzt": True},
        ),
        (
            "BgBudget",
            {
                "BgBudgetID": budget,
                "BgFinanzplanID": plan,
                "Jahr": today.year,
                "Monat": today.month,
                "BgBewilligungStatusCode": 5,
                "Modified": at,
            },
        ),
        (
            "BgPosition",
            {
                "BgPositionID": position,
                "BgBudgetID": budget,
                "BgPositionsartID": gbl[0] if gbl else None,
                "Betrag": Decimal("1031.00"),
                "DatumVon": first,
                "DatumBis": last,
                "Bemerkung": None,
            },
        ),
        (
            "KbBuchung",
            {
                "KbBuchungID": payment,
                "FaLeistungID": service,
                "BgBudgetID": budget,
                "Valutadatum": today,
                "Betrag": Decimal("1031.00"),
                "BgPositionsartID": gbl[0] if gbl else None,
                "KbBuchungStatusCode": 3,
                "Empfaenger": "Klient/in",
                "Modified": at,
            },
        ),
        (
            "FaJournal",
            {
                "FaJournalID": journal,
                "FaLeistungID": service,
                "UserID": worker,
                "DatumZeit": at - timedelta(hours=2),
                "KontaktartCode": 1,
                "DauerStd": Decimal("0.75"),
                "Stichwort": "Erstgespräch",
                "Text": "Aufnahme, Unterlagen besprochen.",
                "Modified": at,
            },
        ),
    ]
    return rows


__all__ = ["Changes", "change_source"]
