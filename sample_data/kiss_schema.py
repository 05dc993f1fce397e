"""KiSS 4.x (Diartis) as the sample-data generator writes it: tables and code lists.

The tables, columns, types and code values of `legacy-systems/kiss.md`, declared with
SQLAlchemy Core, and the translation of the population's canonical values into KiSS
codes (`XLOVCode` rows, BFS country codes, budget position types). Written from the
reference model itself; the extractors are never imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    CHAR,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Unicode,
    UnicodeText,
)

from nffs_migration.sample_data.records import Staff

Money = Numeric(12, 2)


def metadata(schema: str | None) -> sa.MetaData:
    """The KiSS tables of the reference model (no foreign keys: the dirt has orphans).

    Args:
        schema: `dbo` on servers, None on SQLite.

    Returns:
        The metadata with the sixteen tables of `kiss.md`.
    """
    meta = sa.MetaData(schema=schema)

    def key(name: str) -> Column[int]:
        return Column(name, Integer, primary_key=True, autoincrement=False)

    Table(
        "XUser",
        meta,
        key("UserID"),
        Column("LogonName", String(50)),
        Column("FirstName", Unicode(100)),
        Column("LastName", Unicode(100)),
        Column("IsLocked", Boolean),
        Column("OrgUnitID", Integer, nullable=True),
    )
    Table(
        "XOrgUnit",
        meta,
        key("OrgUnitID"),
        Column("ItemName", Unicode(100)),
        Column("ParentID", Integer, nullable=True),
    )
    Table(
        "XLOVCode",
        meta,
        Column("LOVName", String(50)),
        Column("Code", Integer),
        Column("Text", Unicode(200)),
        Column("ShortText", String(20)),
        Column("IsActive", Boolean),
    )
    Table(
        "BaPerson",
        meta,
        key("BaPersonID"),
        Column("Name", Unicode(100)),
        Column("Vorname", Unicode(100)),
        Column("Geburtsdatum", Date, nullable=True),
        Column("GeschlechtCode", Integer),
        Column("AHVNummer", String(13), nullable=True),
        Column("AltAHVNummer", String(11), nullable=True),
        Column("ZivilstandCode", Integer, nullable=True),
        Column("NationalitaetCode", Integer, nullable=True),
        Column("AufenthaltsstatusCode", Integer, nullable=True),
        Column("Sprache", String(2), nullable=True),
        Column("Sterbedatum", Date, nullable=True),
        Column("Creator", String(50)),
        Column("Created", DateTime),
        Column("Modifier", String(50)),
        Column("Modified", DateTime),
    )
    Table(
        "BaAdresse",
        meta,
        key("BaAdresseID"),
        Column("BaPersonID", Integer),
        Column("Strasse", Unicode(100)),
        Column("HausNr", String(10)),
        Column("PLZ", String(10)),
        Column("Ort", Unicode(100)),
        Column("BfsGemeindeNr", Integer, nullable=True),
        Column("DatumVon", Date),
        Column("DatumBis", Date, nullable=True),
        Column("Modified", DateTime),
    )
    Table(
        "BaPerson_Relation",
        meta,
        key("BaPerson_RelationID"),
        Column("BaPersonID_1", Integer),
        Column("BaPersonID_2", Integer),
        Column("BaRelationCode", Integer),
    )
    Table(
        "FaFall",
        meta,
        key("FaFallID"),
        Column("BaPersonID", Integer),
        Column("FallNr", String(20)),
        Column("DatumVon", Date),
        Column("DatumBis", Date, nullable=True),
        Column("UserID", Integer),
        Column("Modified", DateTime),
    )
    Table(
        "FaLeistung",
        meta,
        key("FaLeistungID"),
        Column("FaFallID", Integer),
        Column("BaPersonID", Integer),
        Column("FaProzessCode", Integer),
        Column("DatumVon", Date),
        Column("DatumBis", Date, nullable=True),
        Column("FaAbschlussgrundCode", Integer, nullable=True),
        Column("UserID", Integer),
        Column("Segment", CHAR(1), nullable=True),
        Column("Modified", DateTime),
    )
    Table(
        "FaJournal",
        meta,
        key("FaJournalID"),
        Column("FaLeistungID", Integer),
        Column("UserID", Integer, nullable=True),
        Column("DatumZeit", DateTime),
        Column("KontaktartCode", Integer),
        Column("DauerStd", Numeric(5, 2), nullable=True),
        Column("Stichwort", Unicode(200)),
        Column("Text", UnicodeText),
        Column("Modified", DateTime),
    )
    Table(
        "BgFinanzplan",
        meta,
        key("BgFinanzplanID"),
        Column("FaLeistungID", Integer),
        Column("DatumVon", Date),
        Column("DatumBis", Date, nullable=True),
        Column("Modified", DateTime),
    )
    Table(
        "BgFinanzplan_BaPerson",
        meta,
        Column("BgFinanzplanID", Integer),
        Column("BaPersonID", Integer),
        Column("IstUnterstuetzt", Boolean),
    )
    Table(
        "BgBudget",
        meta,
        key("BgBudgetID"),
        Column("BgFinanzplanID", Integer),
        Column("Jahr", Integer),
        Column("Monat", Integer),
        Column("BgBewilligungStatusCode", Integer),
        Column("Modified", DateTime),
    )
    Table(
        "BgPosition",
        meta,
        key("BgPositionID"),
        Column("BgBudgetID", Integer),
        Column("BgPositionsartID", Integer),
        Column("Betrag", Money),
        Column("DatumVon", Date, nullable=True),
        Column("DatumBis", Date, nullable=True),
        Column("Bemerkung", Unicode(200), nullable=True),
    )
    Table(
        "BgPositionsart",
        meta,
        key("BgPositionsartID"),
        Column("Name", Unicode(100)),
        Column("BgKategorieCode", Integer),
        Column("SkosKey", String(10)),
    )
    Table(
        "KbBuchung",
        meta,
        key("KbBuchungID"),
        Column("FaLeistungID", Integer),
        Column("BgBudgetID", Integer, nullable=True),
        Column("Valutadatum", Date),
        Column("Betrag", Money),
        Column("BgPositionsartID", Integer, nullable=True),
        Column("KbBuchungStatusCode", Integer),
        Column("Empfaenger", Unicode(100)),
        Column("Modified", DateTime),
    )
    Table(
        "DmtDokument",
        meta,
        key("DmtDokumentID"),
        Column("FaLeistungID", Integer, nullable=True),
        Column("BaPersonID", Integer, nullable=True),
        Column("Stichwort", Unicode(200)),
        Column("DokTypCode", Integer, nullable=True),
        Column("DateiName", Unicode(200)),
        Column("DateiInhalt", LargeBinary, nullable=True),
        Column("DateiPfad", Unicode(400), nullable=True),
        Column("Created", DateTime),
        Column("Modified", DateTime),
    )
    return meta


# --------------------------------------------------------------------------------------
# code values: population value -> KiSS code

GESCHLECHT = {"1": 1, "2": 2, "3": 3}
#: Population marital codes; `9` (unknown) has no KiSS code and becomes NULL.
ZIVILSTAND = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7}
#: ISO alpha-2 -> BFS country code.
LAND = {
    "CH": 8100,
    "DE": 8207,
    "FR": 8212,
    "IT": 8218,
    "PT": 8231,
    "TR": 8239,
    "XK": 8256,
    "UA": 8265,
    "AF": 8504,
    "SY": 8525,
    "LK": 8560,
    "ER": 8580,
}
AUFENTHALTSSTATUS = {"CH": 1, "C": 2, "B": 3, "F": 4, "N": 5, "L": 6, "S": 7}
FAPROZESS = {
    "economic_aid": 300,
    "maintenance_advance": 310,
    "child_protection": 400,
    "adult_protection": 410,
    "asylum": 500,
}
#: Same meaning order as KLIBnet's AbschlussGrund 1, 2, 3, 4, 5, 6, 9.
ABSCHLUSSGRUND = {
    "income": 10,
    "social_insurance": 20,
    "moved_away": 30,
    "death": 40,
    "contact_lost": 50,
    "other_authority": 60,
    "other": 90,
}
KONTAKTART = {
    "personal_talk": 1,
    "phone": 2,
    "email": 3,
    "home_visit": 4,
    "network_meeting": 5,
    "letter": 6,
    "note": 7,
}
DOKTYP = {"decision": 1, "report": 2, "letter": 3, "receipt": 4, "id_document": 5, "contract": 6}
BEWILLIGUNG = {"draft": 1, "approved": 5, "archived": 5}
BUCHUNG = {"paid": 3, "reversed": 4}
KATEGORIE = {"income": 1, "expense": 2}
RELATION_SPOUSE, RELATION_PARTNER, RELATION_PARENT, RELATION_SIBLING = 1, 2, 3, 4

#: Codes used by the dirt: in no code list (`code-unmapped`, `contact-type-unmapped`).
ZIVILSTAND_UNMAPPED = 8
KONTAKTART_UNMAPPED = 8
#: No new registered partnerships since 1 July 2022: the code is inactive but existing
#: persons keep it (`code-inactive`).
ZIVILSTAND_INACTIVE = 6

ORG_UNITS = ("Leitung", "Intake", "Beratung 1", "Beratung 2", "Beratung 3", "Beratung 4")
ORG_UNITS_AFTER = ("Administration",)

#: BgPositionsart rows: (id, name, category, SKOS key). Service-specific types have no key.
POSITIONSART: tuple[tuple[int, str, int, str | None], ...] = (
    (1, "Grundbedarf für den Lebensunterhalt", 2, "GBL"),
    (2, "Wohnungsmiete", 2, "MIETE"),
    (3, "Nebenkosten", 2, "NK"),
    (4, "Krankenkassenprämie KVG", 2, "KVG"),
    (5, "Situationsbedingte Leistungen", 2, "SIL"),
    (6, "Einkommens-Freibetrag", 2, "EFB"),
    (7, "Integrationszulage", 2, "IZU"),
    (8, "Erwerbseinkommen", 1, "LOHN"),
    (9, "Renten AHV/IV", 1, "AHV_IV"),
    (10, "Taggelder ALV", 1, "ALV"),
    (11, "Alimente", 1, "ALIM"),
    (12, "Übrige Ausgaben", 2, "UEBR"),
    (101, "Mietzinsdepot Gemeinde", 2, None),
    (102, "Zahnbehandlung Sonderposition", 2, None),
    (103, "Gemeindezuschuss", 1, None),
)
POSITIONSART_BY_KEY = {key: number for number, _, _, key in POSITIONSART if key}
#: Service-specific types per category, for `budget-code-unknown`.
POSITIONSART_UNMAPPED = {
    category: tuple(
        number for number, _, cat, key in POSITIONSART if key is None and cat == category
    )
    for category in (1, 2)
}


def lov_rows() -> list[dict[str, object]]:
    """Every `XLOVCode` row: the code lists of `kiss.md` plus the status lists.

    Returns:
        Rows with LOVName, Code, Text, ShortText and IsActive.
    """
    lists: dict[str, tuple[tuple[int, str, str], ...]] = {
        "Geschlecht": ((1, "männlich", "m"), (2, "weiblich", "w"), (3, "unbekannt", "u")),
        "Zivilstand": (
            (1, "ledig", "led"),
            (2, "verheiratet", "verh"),
            (3, "verwitwet", "verw"),
            (4, "geschieden", "gesch"),
            (5, "getrennt", "getr"),
            (6, "eingetragene Partnerschaft", "eP"),
            (7, "aufgelöste Partnerschaft", "aP"),
        ),
        "Land": (
            (8100, "Schweiz", "CH"),
            (8207, "Deutschland", "DE"),
            (8212, "Frankreich", "FR"),
            (8218, "Italien", "IT"),
            (8231, "Portugal", "PT"),
            (8239, "Türkei", "TR"),
            (8256, "Kosovo", "XK"),
            (8265, "Ukraine", "UA"),
            (8504, "Afghanistan", "AF"),
            (8525, "Syrien", "SY"),
            (8560, "Sri Lanka", "LK"),
            (8580, "Eritrea", "ER"),
            (8998, "unbekannt", "XX"),
        ),
        "Aufenthaltsstatus": (
            (1, "Schweizer/in", "CH"),
            (2, "Niederlassungsbewilligung C", "C"),
            (3, "Aufenthaltsbewilligung B", "B"),
            (4, "Vorläufig Aufgenommene F", "F"),
            (5, "Asylsuchende N", "N"),
            (6, "Kurzaufenthaltsbewilligung L", "L"),
            (7, "Schutzstatus S", "S"),
        ),
        "FaProzess": (
            (300, "Wirtschaftliche Hilfe", "WH"),
            (310, "Alimentenbevorschussung", "ALBV"),
            (400, "Kindesschutz", "KS"),
            (410, "Erwachsenenschutz", "ES"),
            (500, "Asyl/Flüchtlinge", "AS"),
        ),
        "FaAbschlussgrund": (
            (10, "Erwerbseinkommen", "Erwerb"),
            (20, "Sozialversicherung", "SV"),
            (30, "Wegzug", "Wegzug"),
            (40, "Tod", "Tod"),
            (50, "Kontaktabbruch", "Kontakt"),
            (60, "andere Zuständigkeit", "Zust"),
            (90, "andere", "andere"),
        ),
        "Kontaktart": (
            (1, "Gespräch", "Gespr"),
            (2, "Telefon", "Tel"),
            (3, "Mail", "Mail"),
            (4, "Hausbesuch", "HB"),
            (5, "Netzwerk", "Netz"),
            (6, "Brief", "Brief"),
            (7, "Notiz", "Notiz"),
        ),
        "BgKategorie": ((1, "Einnahme", "E"), (2, "Ausgabe", "A")),
        "DokTyp": (
            (1, "Verfügung", "Verf"),
            (2, "Bericht", "Ber"),
            (3, "Brief", "Brief"),
            (4, "Beleg", "Beleg"),
            (5, "Ausweis", "Ausw"),
            (6, "Vertrag", "Vertr"),
        ),
        "BgBewilligungStatus": (
            (1, "in Bearbeitung", "iB"),
            (5, "bewilligt", "bew"),
            (9, "abgelehnt", "abg"),
        ),
        "KbBuchungStatus": (
            (1, "erfasst", "erf"),
            (2, "freigegeben", "frei"),
            (3, "ausbezahlt", "ausb"),
            (4, "storniert", "storno"),
        ),
    }
    return [
        {
            "LOVName": name,
            "Code": code,
            "Text": text,
            "ShortText": short,
            "IsActive": not (name == "Zivilstand" and code == ZIVILSTAND_INACTIVE),
        }
        for name, codes in lists.items()
        for code, text, short in codes
    ]


def system_rows(staff: list[Staff]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rows of the system tables: teams, users, code lists and budget position types.

    Args:
        staff: The population's staff; their team names become `XOrgUnit` rows.

    Yields:
        (table, row) pairs.
    """
    names = dict.fromkeys(
        (*ORG_UNITS, *(s.org_unit for s in staff if s.org_unit), *ORG_UNITS_AFTER)
    )
    units = {name: number for number, name in enumerate(names, start=1)}
    for name, number in units.items():
        parent = None if number == 1 else 1  # every team under the head of the service
        yield "XOrgUnit", {"OrgUnitID": number, "ItemName": name, "ParentID": parent}
    for member in staff:
        yield (
            "XUser",
            {
                "UserID": member.no,
                "LogonName": member.short_name,
                "FirstName": member.given_name,
                "LastName": member.family_name,
                "IsLocked": not member.active,
                "OrgUnitID": units.get(member.org_unit),
            },
        )
    for row in lov_rows():
        yield "XLOVCode", row
    for number, name, category, skos in POSITIONSART:
        yield (
            "BgPositionsart",
            {
                "BgPositionsartID": number,
                "Name": name,
                "BgKategorieCode": category,
                "SkosKey": skos,
            },
        )


__all__ = [
    "ABSCHLUSSGRUND",
    "AUFENTHALTSSTATUS",
    "BEWILLIGUNG",
    "BUCHUNG",
    "DOKTYP",
    "FAPROZESS",
    "GESCHLECHT",
    "KATEGORIE",
    "KONTAKTART",
    "LAND",
    "POSITIONSART",
    "ZIVILSTAND",
    "lov_rows",
    "metadata",
    "system_rows",
]
