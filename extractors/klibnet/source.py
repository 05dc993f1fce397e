"""What a KLIBnet 5.x database looks like: its tables, their columns and declared types.

From `legacy-systems/klibnet.md`. Values are converted by these types, never by guessing
(SQLite keeps dates as text and money as REAL; pyodbc returns booleans as '1'/'0').
"""

from __future__ import annotations

SYSTEM = "klibnet"
VERSION = "5.x"
#: The table whose presence identifies a KLIBnet schema.
MARKER_TABLE = "tblKlient"

#: The reference model's tables with their columns' declared types.
TABLES: dict[str, dict[str, str]] = {
    "tblMitarbeiter": {
        "MitarbeiterID": "int",
        "Kuerzel": "str",
        "Name": "str",
        "Vorname": "str",
        "Funktion": "str",
        "Aktiv": "bool",
    },
    "tblKlient": {
        "KlientID": "int",
        "Name": "str",
        "Vorname": "str",
        "Geburtsdatum": "datetime",
        "Geschlecht": "str",
        "AHVNr": "str",
        "Zivilstand": "int",
        "Nationalitaet": "str",
        "Sprache": "str",
        "Aufenthalt": "str",
        "MutDatum": "datetime",
        "Geloescht": "bool",
    },
    "tblAdresse": {
        "AdresseID": "int",
        "KlientID": "int",
        "Strasse": "str",
        "HausNr": "str",
        "PLZ": "str",
        "Ort": "str",
        "GemeindeNr": "int",
        "GueltigAb": "date",
        "GueltigBis": "date",
    },
    "tblDossier": {
        "DossierID": "int",
        "DossierNr": "str",
        "Bereich": "str",
        "Eroeffnung": "date",
        "Abschluss": "date",
        "AbschlussGrund": "int",
        "FallfuehrerID": "int",
        "Segment": "str",
        "SegmentSeit": "date",
        "MutDatum": "datetime",
    },
    "tblDossierPerson": {
        "DossierID": "int",
        "KlientID": "int",
        "Rolle": "int",
        "VonDatum": "date",
        "BisDatum": "date",
    },
    "tblBudget": {
        "BudgetID": "int",
        "DossierID": "int",
        "GueltigAb": "date",
        "GueltigBis": "date",
        "Status": "str",
        "MutDatum": "datetime",
    },
    "tblBudgetPosition": {
        "PositionID": "int",
        "BudgetID": "int",
        "PosCode": "str",
        "Typ": "str",
        "Betrag": "money",
        "Bemerkung": "str",
    },
    "tblZahlung": {
        "ZahlungID": "int",
        "DossierID": "int",
        "Valuta": "date",
        "Betrag": "money",
        "Kategorie": "str",
        "Empfaenger": "str",
        "Storniert": "bool",
        "MutDatum": "datetime",
    },
    "tblJournal": {
        "JournalID": "int",
        "DossierID": "int",
        "Datum": "datetime",
        "MitarbeiterID": "int",
        "Kontaktart": "int",
        "DauerMin": "int",
        "Betreff": "str",
        "Text": "str",
        "MutDatum": "datetime",
    },
    "tblDokument": {
        "DokumentID": "int",
        "DossierID": "int",
        "Titel": "str",
        "DokTyp": "str",
        "Dateiname": "str",
        "Ablagepfad": "str",
        "Erstellt": "datetime",
        "MutDatum": "datetime",
    },
    "tblMassnahme": {
        "MassnahmeID": "int",
        "DossierID": "int",
        "Artikel": "str",
        "Beginn": "date",
        "Ende": "date",
        "MandatstraegerID": "int",
        "Behoerde": "str",
    },
}
#: Code columns shown with their frequencies in profiles.
CODE_COLUMNS = {
    "tblMitarbeiter": ("Funktion", "Aktiv"),
    "tblKlient": (
        "Geschlecht",
        "Zivilstand",
        "Nationalitaet",
        "Sprache",
        "Aufenthalt",
        "Geloescht",
    ),
    "tblDossier": ("Bereich", "AbschlussGrund", "Segment"),
    "tblDossierPerson": ("Rolle",),
    "tblBudget": ("Status",),
    "tblBudgetPosition": ("PosCode", "Typ"),
    "tblZahlung": ("Kategorie", "Storniert"),
    "tblJournal": ("Kontaktart",),
    "tblDokument": ("DokTyp",),
    "tblMassnahme": ("Artikel",),
}
#: The column a changing table carries (tblKlient, tblDossier, tblBudget, tblZahlung,
#: tblJournal, tblDokument); delta batches filter on it.
CHANGE_MARKER = "MutDatum"


__all__ = ["CHANGE_MARKER", "CODE_COLUMNS", "MARKER_TABLE", "SYSTEM", "TABLES", "VERSION"]
