"""What a KiSS 4.x database looks like: its tables, their columns and declared types.

From `legacy-systems/kiss.md`. Values are converted by these types, never by guessing
(SQLite keeps dates as text and money as REAL; pyodbc returns booleans as '1'/'0').
"""

from __future__ import annotations

SYSTEM = "kiss"
VERSION = "4.x"
#: The table whose presence identifies a KiSS schema.
MARKER_TABLE = "BaPerson"
#: The column every changing table carries; delta batches filter on it.
CHANGE_MARKER = "Modified"

#: The reference model's tables with their columns' declared types. `DmtDokument.DateiInhalt`
#: is not here: the blobs are fetched by id in small batches (documents.py), never profiled.
TABLES: dict[str, dict[str, str]] = {
    "XUser": {
        "UserID": "int",
        "LogonName": "str",
        "FirstName": "str",
        "LastName": "str",
        "IsLocked": "bool",
        "OrgUnitID": "int",
    },
    "XOrgUnit": {"OrgUnitID": "int", "ItemName": "str", "ParentID": "int"},
    "XLOVCode": {"LOVName": "str", "Code": "int", "ShortText": "str", "IsActive": "bool"},
    "BaPerson": {
        "BaPersonID": "int",
        "Name": "str",
        "Vorname": "str",
        "Geburtsdatum": "date",
        "GeschlechtCode": "int",
        "AHVNummer": "str",
        "AltAHVNummer": "str",
        "ZivilstandCode": "int",
        "NationalitaetCode": "int",
        "AufenthaltsstatusCode": "int",
        "Sprache": "str",
        "Sterbedatum": "date",
        "Modified": "datetime",
    },
    "BaAdresse": {
        "BaAdresseID": "int",
        "BaPersonID": "int",
        "Strasse": "str",
        "HausNr": "str",
        "PLZ": "str",
        "Ort": "str",
        "BfsGemeindeNr": "int",
        "DatumVon": "date",
        "DatumBis": "date",
        "Modified": "datetime",
    },
    "BaPerson_Relation": {
        "BaPerson_RelationID": "int",
        "BaPersonID_1": "int",
        "BaPersonID_2": "int",
        "BaRelationCode": "int",
    },
    "FaFall": {
        "FaFallID": "int",
        "BaPersonID": "int",
        "FallNr": "str",
        "DatumVon": "date",
        "DatumBis": "date",
        "UserID": "int",
        "Modified": "datetime",
    },
    "FaLeistung": {
        "FaLeistungID": "int",
        "FaFallID": "int",
        "BaPersonID": "int",
        "FaProzessCode": "int",
        "DatumVon": "date",
        "DatumBis": "date",
        "FaAbschlussgrundCode": "int",
        "UserID": "int",
        "Segment": "str",
        "Modified": "datetime",
    },
    "FaJournal": {
        "FaJournalID": "int",
        "FaLeistungID": "int",
        "UserID": "int",
        "DatumZeit": "datetime",
        "KontaktartCode": "int",
        "DauerStd": "decimal",
        "Stichwort": "str",
        "Text": "str",
        "Modified": "datetime",
    },
    "BgFinanzplan": {
        "BgFinanzplanID": "int",
        "FaLeistungID": "int",
        "DatumVon": "date",
        "DatumBis": "date",
        "Modified": "datetime",
    },
    "BgFinanzplan_BaPerson": {
        "BgFinanzplanID": "int",
        "BaPersonID": "int",
        "IstUnterstuetzt": "bool",
    },
    "BgBudget": {
        "BgBudgetID": "int",
        "BgFinanzplanID": "int",
        "Jahr": "int",
        "Monat": "int",
        "BgBewilligungStatusCode": "int",
        "Modified": "datetime",
    },
    "BgPosition": {
        "BgPositionID": "int",
        "BgBudgetID": "int",
        "BgPositionsartID": "int",
        "Betrag": "money",
        "DatumVon": "date",
        "DatumBis": "date",
    },
    "BgPositionsart": {
        "BgPositionsartID": "int",
        "Name": "str",
        "BgKategorieCode": "int",
        "SkosKey": "str",
    },
    "KbBuchung": {
        "KbBuchungID": "int",
        "FaLeistungID": "int",
        "BgBudgetID": "int",
        "Valutadatum": "date",
        "Betrag": "money",
        "BgPositionsartID": "int",
        "KbBuchungStatusCode": "int",
        "Empfaenger": "str",
        "Modified": "datetime",
    },
    "DmtDokument": {
        "DmtDokumentID": "int",
        "FaLeistungID": "int",
        "BaPersonID": "int",
        "Stichwort": "str",
        "DokTypCode": "int",
        "DateiName": "str",
        "DateiPfad": "str",
        "Created": "datetime",
        "Modified": "datetime",
    },
}
#: Code columns shown with their frequencies in profiles.
CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "XUser": ("IsLocked", "OrgUnitID"),
    "XLOVCode": ("LOVName", "IsActive"),
    "BaPerson": (
        "GeschlechtCode",
        "ZivilstandCode",
        "NationalitaetCode",
        "AufenthaltsstatusCode",
        "Sprache",
    ),
    "BaPerson_Relation": ("BaRelationCode",),
    "FaLeistung": ("FaProzessCode", "FaAbschlussgrundCode", "Segment"),
    "FaJournal": ("KontaktartCode",),
    "BgFinanzplan_BaPerson": ("IstUnterstuetzt",),
    "BgBudget": ("BgBewilligungStatusCode",),
    "BgPosition": ("BgPositionsartID",),
    "BgPositionsart": ("BgKategorieCode", "SkosKey"),
    "KbBuchung": ("BgPositionsartID", "KbBuchungStatusCode"),
    "DmtDokument": ("DokTypCode",),
}


__all__ = ["CHANGE_MARKER", "CODE_COLUMNS", "TABLES"]
