"""KLIBnet (Diartis, database version 5.x): the population rendered into its tables.

Tables, columns, types and code values follow `legacy-systems/klibnet.md` exactly; this
module writes them itself (it never imports the extractors). Documents go to a share
folder with Windows-style relative paths in `Ablagepfad`. Encoding dirt is injected
here: names with blanks or in capitals, lower-case sex codes, `1900-01-01` and times of
day in birth dates, AHV numbers with dots or in the old format, alpha-3 nationalities,
`9999-12-31` open ends, unknown budget codes, duplicate case numbers, soft-deleted
persons, orphan rows, and the document share's missing, empty, duplicate and escaping
files. Journal entries before 2015 are RTF, as KLIBnet stored them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path, PureWindowsPath

import sqlalchemy as sa
from sqlalchemy import (
    CHAR,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Unicode,
    UnicodeText,
)

from nffs_migration.sample_data.dirt import Dirt
from nffs_migration.sample_data.legacy_db import DatabaseSink, legacy_schema
from nffs_migration.sample_data.population import Population, count_group
from nffs_migration.sample_data.records import (
    Address,
    Budget,
    Case,
    Document,
    Group,
    Item,
    Journal,
    Person,
    Settings,
    chf,
)
from nffs_migration.sample_data.rtf import to_rtf
from nffs_migration.sample_data.truth import Truth

SYSTEM = "klibnet"
VERSION = "5.4"

FUNKTION = {
    "social_worker": "SA",
    "admin_assistant": "AADMIN",
    "head_of_sector": "RESP",
    "intake": "INTAKE",
}
GESCHLECHT = {"1": "M", "2": "W", "3": "U"}
BEREICH = {
    "economic_aid": "WH",
    "maintenance_advance": "AB",
    "child_protection": "KS",
    "adult_protection": "ES",
    "asylum": "AS",
}
ABSCHLUSSGRUND = {
    "income": 1,
    "social_insurance": 2,
    "moved_away": 3,
    "death": 4,
    "contact_lost": 5,
    "other_authority": 6,
    "other": 9,
}
ROLLE = {"lead": 1, "partner": 2, "child": 3, "other": 4}
STATUS = {"draft": "E", "approved": "B", "archived": "A"}
TYP = {"expense": "A", "income": "E"}
KONTAKTART = {
    "personal_talk": 1,
    "phone": 2,
    "email": 3,
    "home_visit": 4,
    "network_meeting": 5,
    "letter": 6,
    "note": 9,
}
DOKTYP = {
    "decision": "VERF",
    "report": "BER",
    "letter": "KORR",
    "receipt": "BELEG",
    "id_document": "AUSW",
    "contract": "VERTR",
}
ALPHA3 = {
    "CH": "CHE",
    "DE": "DEU",
    "IT": "ITA",
    "PT": "PRT",
    "ER": "ERI",
    "AF": "AFG",
    "SY": "SYR",
    "LK": "LKA",
    "TR": "TUR",
    "XK": "XKX",
    "FR": "FRA",
    "UA": "UKR",
}
#: Misspelled budget codes seen in the field (no mapping covers them).
UNKNOWN_POSCODES = {"MIETE": "MIET", "GBL": "Gbl", "KVG": "KK", "NK": "NEBENK"}
UNKNOWN_DATE = datetime(1900, 1, 1)  # noqa: DTZ001 - legacy sources hold local time
OPEN_END = date(9999, 12, 31)
ORPHAN_BASE = 900_000_000

Money = Numeric(19, 4)


def metadata(schema: str | None) -> sa.MetaData:
    """The KLIBnet tables of the reference model."""
    meta = sa.MetaData(schema=schema)
    Table(
        "tblMitarbeiter",
        meta,
        Column("MitarbeiterID", Integer, primary_key=True, autoincrement=False),
        Column("Kuerzel", String(10)),
        Column("Name", Unicode(100)),
        Column("Vorname", Unicode(100)),
        Column("Funktion", String(10)),
        Column("Aktiv", Boolean),
    )
    Table(
        "tblKlient",
        meta,
        Column("KlientID", Integer, primary_key=True, autoincrement=False),
        Column("Name", Unicode(100)),
        Column("Vorname", Unicode(100)),
        Column("Geburtsdatum", DateTime),
        Column("Geschlecht", CHAR(1)),
        Column("AHVNr", String(20)),
        Column("Zivilstand", SmallInteger),
        Column("Nationalitaet", String(3)),
        Column("Sprache", String(2)),
        Column("Aufenthalt", String(2)),
        Column("MutDatum", DateTime),
        Column("Geloescht", Boolean),
    )
    Table(
        "tblAdresse",
        meta,
        Column("AdresseID", Integer, primary_key=True, autoincrement=False),
        Column("KlientID", Integer),
        Column("Strasse", Unicode(100)),
        Column("HausNr", String(10)),
        Column("PLZ", String(6)),
        Column("Ort", Unicode(100)),
        Column("GemeindeNr", Integer, nullable=True),
        Column("GueltigAb", Date),
        Column("GueltigBis", Date, nullable=True),
    )
    Table(
        "tblDossier",
        meta,
        Column("DossierID", Integer, primary_key=True, autoincrement=False),
        Column("DossierNr", String(20)),
        Column("Bereich", CHAR(2)),
        Column("Eroeffnung", Date),
        Column("Abschluss", Date, nullable=True),
        Column("AbschlussGrund", SmallInteger, nullable=True),
        Column("FallfuehrerID", Integer, nullable=True),
        Column("Segment", CHAR(1), nullable=True),
        Column("SegmentSeit", Date, nullable=True),
        Column("MutDatum", DateTime),
    )
    Table(
        "tblDossierPerson",
        meta,
        Column("DossierID", Integer),
        Column("KlientID", Integer),
        Column("Rolle", SmallInteger),
        Column("VonDatum", Date),
        Column("BisDatum", Date, nullable=True),
    )
    Table(
        "tblBudget",
        meta,
        Column("BudgetID", Integer, primary_key=True, autoincrement=False),
        Column("DossierID", Integer),
        Column("GueltigAb", Date),
        Column("GueltigBis", Date, nullable=True),
        Column("Status", CHAR(1)),
        Column("MutDatum", DateTime),
    )
    Table(
        "tblBudgetPosition",
        meta,
        Column("PositionID", Integer, primary_key=True, autoincrement=False),
        Column("BudgetID", Integer),
        Column("PosCode", String(10)),
        Column("Typ", CHAR(1)),
        Column("Betrag", Money),
        Column("Bemerkung", Unicode(200), nullable=True),
    )
    Table(
        "tblZahlung",
        meta,
        Column("ZahlungID", Integer, primary_key=True, autoincrement=False),
        Column("DossierID", Integer),
        Column("Valuta", Date),
        Column("Betrag", Money),
        Column("Kategorie", String(10)),
        Column("Empfaenger", Unicode(100)),
        Column("Storniert", Boolean),
        Column("MutDatum", DateTime),
    )
    Table(
        "tblJournal",
        meta,
        Column("JournalID", Integer, primary_key=True, autoincrement=False),
        Column("DossierID", Integer),
        Column("Datum", DateTime),
        Column("MitarbeiterID", Integer, nullable=True),
        Column("Kontaktart", SmallInteger),
        Column("DauerMin", Integer, nullable=True),
        Column("Betreff", Unicode(200)),
        Column("Text", UnicodeText),
        Column("MutDatum", DateTime),
    )
    Table(
        "tblDokument",
        meta,
        Column("DokumentID", Integer, primary_key=True, autoincrement=False),
        Column("DossierID", Integer),
        Column("Titel", Unicode(200)),
        Column("DokTyp", String(10)),
        Column("Dateiname", Unicode(200)),
        Column("Ablagepfad", Unicode(400)),
        Column("Erstellt", DateTime),
        Column("MutDatum", DateTime),
    )
    Table(
        "tblMassnahme",
        meta,
        Column("MassnahmeID", Integer, primary_key=True, autoincrement=False),
        Column("DossierID", Integer),
        Column("Artikel", String(20)),
        Column("Beginn", Date),
        Column("Ende", Date, nullable=True),
        Column("MandatstraegerID", Integer, nullable=True),
        Column("Behoerde", Unicode(100)),
    )
    return meta


class Keys:
    """KLIBnet source keys: the table's integer id; `DossierID/KlientID` for members."""

    def person(self, group: Group, person: Person) -> str:
        return str(person.no)

    def address(self, group: Group, person: Person, address: Address) -> str:
        return str(address.no)

    def case(self, group: Group, case: Case) -> str:
        return str(case.no)

    def budget(self, group: Group, case: Case, budget: Budget) -> str:
        return str(budget.no)

    def item(self, group: Group, case: Case, budget: Budget, item: Item) -> str:
        return str(item.no)

    def journal(self, group: Group, case: Case, entry: Journal) -> str:
        return str(entry.no)


def _at(day: date | None, hour: int = 0) -> datetime | None:
    return None if day is None else datetime.combine(day, time(hour))


def case_number(case: Case) -> str:
    """`WH-2019-00123`: area, opening year, sequence within area and year."""
    return f"{BEREICH[case.domain]}-{case.opened.year}-{case.seq_domain_year:05d}"


def document_path(case: Case, number: int, doc_type: str, extension: str) -> PureWindowsPath:
    """Where KLIBnet files a document on the share, relative to its root."""
    name = f"{case_number(case)}_{number}_{DOKTYP[doc_type]}.{extension}"
    return PureWindowsPath("Dossiers", str(case.opened.year), name)


class Renderer:
    """Writes one KLIBnet source: database rows, document share and truth."""

    def __init__(
        self, population: Population, sink: DatabaseSink, share: Path, dirt: Dirt, truth: Truth
    ) -> None:
        self.population = population
        self.sink = sink
        self.share = share
        self.dirt = dirt
        self.truth = truth
        self.keys = Keys()
        self._numbers: list[str] = []
        self._previous_content: bytes | None = None
        self._folders: set[Path] = set()

    def run(self) -> None:
        for staff in self.population.staff:
            self.sink.add(
                "tblMitarbeiter",
                {
                    "MitarbeiterID": staff.no,
                    "Kuerzel": staff.short_name,
                    "Name": staff.family_name,
                    "Vorname": staff.given_name,
                    "Funktion": FUNKTION[staff.role],
                    "Aktiv": staff.active,
                },
            )
        self.truth.row("staff", count=len(self.population.staff))
        self.truth.row("organisation")
        for group in self.population.groups():
            self._group(group)
            count_group(self.truth, group)

    # ---------------------------------------------------------------------------------

    def _group(self, group: Group) -> None:
        for person in group.persons:
            self._person(group, person)
        for case in group.cases:
            self._case(group, case)
        self._soft_deleted_duplicate(group)
        self._orphans_for(group)

    def _person(self, group: Group, person: Person) -> None:
        key = str(person.no)
        live = not person.expired
        roll = self.dirt.roll if live else (lambda kind, key, **kw: False)
        family, given = person.family_name, person.given_name
        if roll("name-padding", key):
            variant = self.dirt.pick("name-padding", key, 3)
            if variant == 0:
                family = family + "   "
            elif variant == 1:
                given = " " + given + " "
            else:
                family, given = family + " ", given + "  "
        elif roll("name-all-caps", key):
            family = family.upper()
        sex = GESCHLECHT[person.sex]
        if roll("sex-lower-case", key):
            sex = sex.lower()
        birth = _at(person.birth_date) if person.birth_date else UNKNOWN_DATE
        if person.birth_date is not None and roll("birth-date-time-part", key):
            birth = datetime.combine(
                person.birth_date,
                time(12 if self.dirt.pick("birth-date-time-part", key, 2) else 23, 30),
            )
        ahv = person.ahvn13
        if ahv and person.ahv_valid and roll("ahv-old-number", key):
            digits = f"{(person.no * 7_919_123) % 89_999_999_999 + 10_000_000_000:011d}"
            ahv = f"{digits[:3]}.{digits[3:5]}.{digits[5:8]}.{digits[8:]}"
        elif ahv and person.ahv_valid and roll("ahvn13-formatted", key):
            ahv = (
                f"{ahv[:3]}.{ahv[3:7]}.{ahv[7:11]}.{ahv[11:]}"
                if self.dirt.pick("ahvn13-formatted", key, 2)
                else f"{ahv[:3]} {ahv[3:7]} {ahv[7:11]} {ahv[11:]}"
            )
        nationality = person.nationality
        if roll("nationality-alpha3", key):
            nationality = ALPHA3.get(nationality, nationality)
        self.sink.add(
            "tblKlient",
            {
                "KlientID": person.no,
                "Name": family,
                "Vorname": given,
                "Geburtsdatum": birth,
                "Geschlecht": sex,
                "AHVNr": ahv,
                "Zivilstand": int(person.marital) if person.marital else None,
                "Nationalitaet": nationality,
                "Sprache": person.language,
                "Aufenthalt": person.permit,
                "MutDatum": person.modified,
                "Geloescht": False,
            },
        )
        for address in person.addresses:
            self._address(person.no, address, live)

    def _address(self, person_no: int, address: Address, live: bool) -> None:
        valid_to = address.valid_to
        if valid_to is None and live and self.dirt.roll("address-open-end-9999", str(address.no)):
            valid_to = OPEN_END
        self.sink.add(
            "tblAdresse",
            {
                "AdresseID": address.no,
                "KlientID": person_no,
                "Strasse": address.street,
                "HausNr": address.house_number,
                "PLZ": address.postal_code,
                "Ort": address.town,
                "GemeindeNr": address.commune,
                "GueltigAb": address.valid_from,
                "GueltigBis": valid_to,
            },
        )

    def _case(self, group: Group, case: Case) -> None:
        key = str(case.no)
        number = case_number(case)
        if not case.expired and self._numbers and self.dirt.roll("case-number-duplicate", key):
            number = self._numbers[-1]
        if not case.expired:  # a duplicate must be visible: copy only numbers that stay
            self._numbers = [*self._numbers[-20:], number]
        self.sink.add(
            "tblDossier",
            {
                "DossierID": case.no,
                "DossierNr": number,
                "Bereich": BEREICH[case.domain],
                "Eroeffnung": case.opened,
                "Abschluss": case.closed,
                "AbschlussGrund": ABSCHLUSSGRUND[case.closing_reason]
                if case.closing_reason
                else None,
                "FallfuehrerID": case.staff,
                "Segment": case.segment,
                "SegmentSeit": case.segment_since,
                "MutDatum": case.modified,
            },
        )
        for member in case.members:
            self.sink.add(
                "tblDossierPerson",
                {
                    "DossierID": case.no,
                    "KlientID": member.person,
                    "Rolle": ROLLE[member.role],
                    "VonDatum": member.valid_from,
                    "BisDatum": member.valid_to,
                },
            )
        for budget in case.budgets:
            self.sink.add(
                "tblBudget",
                {
                    "BudgetID": budget.no,
                    "DossierID": case.no,
                    "GueltigAb": budget.valid_from,
                    "GueltigBis": budget.valid_to,
                    "Status": STATUS[budget.status],
                    "MutDatum": budget.modified,
                },
            )
            misspelled = budget.items[1] if not case.expired and len(budget.items) > 1 else None
            if misspelled and self.dirt.roll("budget-code-unknown", str(misspelled.no)):
                group.rejected[("budget_items", misspelled.no)] = "unmapped-code"
            else:
                misspelled = None
            for item in budget.items:
                code = (
                    UNKNOWN_POSCODES.get(item.position, "MIET")
                    if item is misspelled
                    else item.position
                )
                self.sink.add(
                    "tblBudgetPosition",
                    {
                        "PositionID": item.no,
                        "BudgetID": budget.no,
                        "PosCode": code,
                        "Typ": TYP[item.kind],
                        "Betrag": chf(item.amount),
                        "Bemerkung": None,
                    },
                )
        for payment in case.payments:
            self.sink.add(
                "tblZahlung",
                {
                    "ZahlungID": payment.no,
                    "DossierID": case.no,
                    "Valuta": payment.value_date,
                    "Betrag": chf(payment.amount),
                    "Kategorie": payment.category,
                    "Empfaenger": payment.recipient,
                    "Storniert": payment.status == "reversed",
                    "MutDatum": payment.modified,
                },
            )
        for entry in case.journal:
            text = entry.text
            if entry.occurred_at.year < 2015 and self.dirt.roll("journal-rtf", str(entry.no)):
                text = to_rtf(text)
            self.sink.add(
                "tblJournal",
                {
                    "JournalID": entry.no,
                    "DossierID": case.no,
                    "Datum": entry.occurred_at,
                    "MitarbeiterID": entry.staff,
                    "Kontaktart": KONTAKTART[entry.contact_type],
                    "DauerMin": entry.duration,
                    "Betreff": entry.subject,
                    "Text": text,
                    "MutDatum": entry.modified,
                },
            )
        for measure in case.measures:
            self.sink.add(
                "tblMassnahme",
                {
                    "MassnahmeID": measure.no,
                    "DossierID": case.no,
                    "Artikel": measure.legal_basis,
                    "Beginn": measure.started,
                    "Ende": measure.ended,
                    "MandatstraegerID": measure.staff,
                    "Behoerde": measure.authority,
                },
            )
        for document in case.documents:
            self._document(group, case, document)

    def _document(self, group: Group, case: Case, document: Document) -> None:
        key = str(document.no)
        path = document_path(case, document.no, document.doc_type, document.extension)
        content: bytes | None = document.content
        live = not case.expired
        if live and self.dirt.roll("document-path-unsafe", key):
            variant = self.dirt.pick("document-path-unsafe", key, 3)
            path = [
                PureWindowsPath("..", "..", "Windows", "win.ini"),
                PureWindowsPath("C:/Ablage/Export", path.name),
                PureWindowsPath("Dossiers", "..", "..", "..", "etc", path.name),
            ][variant]
            content = None
            group.rejected[("documents", document.no)] = "document-path-unsafe"
        elif live and self.dirt.roll("document-file-missing", key):
            content = None
            group.rejected[("documents", document.no)] = "document-file-missing"
        elif live and self.dirt.roll("document-zero-bytes", key):
            content = b""
        elif live and self._previous_content and self.dirt.roll("document-duplicate-content", key):
            content = self._previous_content
        if content:
            self._previous_content = content
        if content is not None:
            target = self.share.joinpath(*path.parts)
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
            target.write_bytes(content)
        self.sink.add(
            "tblDokument",
            {
                "DokumentID": document.no,
                "DossierID": case.no,
                "Titel": document.title,
                "DokTyp": DOKTYP[document.doc_type],
                "Dateiname": path.name,
                "Ablagepfad": str(path),
                "Erstellt": document.created_at,
                "MutDatum": document.created_at,
            },
        )

    def _soft_deleted_duplicate(self, group: Group) -> None:
        """A person entered twice by mistake and marked deleted, with one address."""
        live = [p for p in group.persons if not p.expired]
        if not live:
            return
        original = live[0]
        number = ORPHAN_BASE // 2 + group.no
        if not self.dirt.roll("soft-deleted", str(number)):
            return
        self.sink.add(
            "tblKlient",
            {
                "KlientID": number,
                "Name": original.family_name,
                "Vorname": original.given_name,
                "Geburtsdatum": _at(original.birth_date),
                "Geschlecht": GESCHLECHT[original.sex],
                "AHVNr": None,
                "Zivilstand": None,
                "Nationalitaet": original.nationality,
                "Sprache": None,
                "Aufenthalt": None,
                "MutDatum": original.modified,
                "Geloescht": True,
            },
        )
        self.truth.row("persons", "excluded", rule="soft-deleted")
        if original.addresses:
            address = original.addresses[-1]
            self.sink.add(
                "tblAdresse",
                {
                    "AdresseID": ORPHAN_BASE // 2 + group.no,
                    "KlientID": number,
                    "Strasse": address.street,
                    "HausNr": address.house_number,
                    "PLZ": address.postal_code,
                    "Ort": address.town,
                    "GemeindeNr": address.commune,
                    "GueltigAb": address.valid_from,
                    "GueltigBis": None,
                },
            )
            self.truth.row("addresses", "excluded", rule="soft-deleted")

    def _orphans_for(self, group: Group) -> None:
        """Rows whose parent does not exist: an address, a payment, a journal entry."""
        base = ORPHAN_BASE + group.no * 10
        missing_parent = ORPHAN_BASE + group.no
        when = self.population.today - timedelta(days=100)
        candidates: list[tuple[str, str, dict[str, object]]] = [
            (
                "tblAdresse",
                "addresses",
                {
                    "AdresseID": base,
                    "KlientID": missing_parent,
                    "Strasse": "Bahnhofstrasse",
                    "HausNr": "1",
                    "PLZ": "3600",
                    "Ort": "Thun",
                    "GemeindeNr": 942,
                    "GueltigAb": when,
                    "GueltigBis": None,
                },
            ),
            (
                "tblZahlung",
                "payments",
                {
                    "ZahlungID": base + 1,
                    "DossierID": missing_parent,
                    "Valuta": when,
                    "Betrag": chf(50000),
                    "Kategorie": "GBL",
                    "Empfaenger": "Klient/in",
                    "Storniert": False,
                    "MutDatum": _at(when, 10),
                },
            ),
            (
                "tblJournal",
                "journal_entries",
                {
                    "JournalID": base + 2,
                    "DossierID": missing_parent,
                    "Datum": _at(when, 9),
                    "MitarbeiterID": None,
                    "Kontaktart": 2,
                    "DauerMin": None,
                    "Betreff": "Telefon",
                    "Text": "Rückruf",
                    "MutDatum": _at(when, 9),
                },
            ),
        ]
        for source_table, table, row in candidates:
            key = str(next(iter(row.values())))
            if self.dirt.roll("orphan-record", key):
                self.sink.add(source_table, row)
                self.truth.row(table, "rejected", rule="orphan-record")


def generate(settings: Settings, out: Path, dirt: Dirt, url: str | None = None) -> dict[str, str]:
    """Write a KLIBnet source into `out` (database at `url`, default a SQLite file)."""
    database_url = url or f"sqlite:///{out / 'klibnet.sqlite'}"
    schema = legacy_schema(sa.make_url(database_url))
    population = Population(settings, dirt, Keys())
    share = out / "share"
    share.mkdir(parents=True, exist_ok=True)
    with DatabaseSink(database_url, metadata(schema)) as sink:
        Renderer(population, sink, share, dirt, dirt.truth).run()
    return {"database": database_url, "documents": str(share)}
