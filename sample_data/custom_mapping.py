"""The layout of the self-built sample export and the `mapping.yaml` its IT person writes for it.

The layout (file names, sheets, header rows, column headers) is declared here once: the
renderer writes exactly these columns, and the mapping names exactly these. The mapping
follows `docs/custom-mapping.md` (format 1); its value maps are the hand-kept code lists
of `custom_codes` turned around, so a word the renderer writes is always covered, except
the words the dirt puts in on purpose.
"""

from __future__ import annotations

import json
from string import Template
from typing import Any

from nffs_migration.sample_data import custom_codes as codes
from nffs_migration.sample_data import vocab
from nffs_migration.sample_data.records import Settings

WORKBOOK = "Klientenliste.xlsx"
BUDGETS_CSV = "budgets.csv"
PAYMENTS_CSV = "auszahlungen.csv"
JOURNAL_CSV = "notizen.csv"
SCANS = "scans"
SCAN_INDEX = "scans/index.csv"
CSV_ENCODING = "windows-1252"

#: Sheets of the workbook; Klienten and Dossiers start with the reference example's columns.
KLIENTEN = (
    "Nr",
    "Name",
    "Vorname",
    "Geb.datum",
    "AHV",
    "Zivilst.",
    "Nat.",
    "Adresse",
    "PLZ/Ort",
    "Geschl.",
    "Sprache",
    "Bew.",
    "gest.",
)
DOSSIERS = (
    "Dossier",
    "Klient Nr",
    "Art",
    "eröffnet",
    "abgeschlossen",
    "SA",
    "Segment",
    "Grund",
    "Segment seit",
)
HAUSHALT = ("Dossier", "Klient Nr", "Rolle", "von", "bis")
MITARBEITENDE = ("Kürzel", "Name", "Vorname", "Funktion", "aktiv")
#: The CSV exports from Access: the example's columns first, the export's extras after.
BUDGETS = ("Dossier", "Monat", "Status", "Position", "Art", "Betrag")
AUSZAHLUNGEN = ("Dossier", "Datum", "Betrag", "Art", "Empfänger", "storniert", "Nr")
NOTIZEN = ("Dossier", "Datum", "Art", "Dauer", "Text", "Betreff", "SA", "Nr")
SCAN_INDEX_HEADERS = ("Datei", "Dossier", "Klient Nr", "Titel", "Typ", "Datum")

#: 1-based header rows: a title and a blank row sit above the header of these sheets.
HEADER_ROW = {"Klienten": 3, "Dossiers": 3, "Haushalt": 1, "Mitarbeitende": 1}

#: The value maps of the mapping: name -> (hand-kept word -> intermediate code).
VALUE_MAPS: dict[str, dict[str, str | bool]] = {
    "zivilstand": {word: code for code, word in codes.MARITAL.items()},
    "nationalitaet": {word: code for code, word in codes.NATIONALITY.items()},
    "geschlecht": {word: code for code, word in codes.SEX.items()},
    "sprache": {word: code for code, word in codes.LANGUAGE.items()},
    "bewilligung": {word: code for code, word in codes.PERMIT.items()},
    "dossierart": {word: code for code, word in codes.DOMAIN.items()},
    "abschlussgrund": {word: code for code, word in codes.CLOSING_REASON.items()},
    "segment": {word: code for code, word in codes.SEGMENT.items()},
    "rolle": {word: code for code, word in codes.MEMBER_ROLE.items()},
    "funktion": {word: code for code, word in codes.STAFF_ROLE.items()},
    "ja_nein": {word: flag for flag, word in codes.ACTIVE.items()},
    "budgetstatus": {word: code for code, word in codes.BUDGET_STATUS.items()},
    "position": {word: code for code, word in codes.POSITION.items()},
    "einnahme_ausgabe": {word: code for code, word in codes.ITEM_KIND.items()},
    "storniert": {word: code for code, word in codes.REVERSED.items()},
    "kontaktart": {word: code for code, word in codes.CONTACT_TYPE.items()},
    "dokumenttyp": {word: code for code, word in codes.DOC_TYPE.items()},
}
for _map, _word, _code in codes.ALIASES:
    VALUE_MAPS[_map][_word] = _code


def _q(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML, umlauts kept."""
    return json.dumps(value, ensure_ascii=False)


def value_maps(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every value map of the mapping, with the towns of the service's communes."""
    towns = {vocab.COMMUNES[bfs].name: bfs for bfs in settings.service.communes}
    return {**VALUE_MAPS, "gemeinde": towns}


def _value_maps(settings: Settings) -> str:
    lines = []
    for name, entries in value_maps(settings).items():
        lines.append(f"  {name}:")
        lines.extend(f"    {_q(word)}: {_q(code)}" for word, code in entries.items())
    return "\n".join(lines)


def _csv(path: str) -> str:
    return f'  {path}: {{type: csv, encoding: {CSV_ENCODING}, delimiter: ";", quote: \'"\'}}'


def mapping_yaml(settings: Settings) -> str:
    """The text of `mapping.yaml` for a generated export of `settings`' service."""
    service = settings.service
    return _TEMPLATE.substitute(
        service_id=_q(settings.service_id),
        service_name=_q(service.name),
        communes=_q(list(service.communes)),
        as_of=_q(f"{settings.as_of:%d.%m.%Y %H:%M}"),
        stand=f"{settings.as_of:%d.%m.%Y}",
        files="\n".join(
            [f"  {WORKBOOK}: {{type: xlsx}}"]
            + [_csv(path) for path in (BUDGETS_CSV, PAYMENTS_CSV, JOURNAL_CSV, SCAN_INDEX)]
        ),
        value_maps=_value_maps(settings),
    )


# `$$` is a literal dollar (regular expressions); `$name` is filled in by mapping_yaml.
_TEMPLATE = Template(
    """\
# Mapping der Klientenliste auf das NFFS-Zwischenformat (mapping_format 1).
# Aufbau und Bedeutung jedes Eintrags: docs/custom-mapping.md.
# Export vom $stand: Stammdaten, Dossiers, Haushalte und Mitarbeitende aus der
# Klientenliste (Excel); Budgets, Auszahlungen und Notizen aus der Access-Datenbank
# (CSV). Die Blätter "Auszahlungen" und "Notizen" der Klientenliste enthalten nur noch
# einen Hinweis auf den Access-Export und werden nicht gelesen.
mapping_format: 1
service_id: $service_id

# Dateien relativ zum Quellordner, und wie sie zu lesen sind.
files:
$files

# Ordner mit den gescannten Dokumenten (Spalte "Datei" in scans/index.csv).
documents_folder: scans

tables:
  organisation:
    key: $service_id
    fields:
      name: {value: $service_name}
      commune_numbers: {value: $communes}
      source_version: {value: "Klientenliste.xlsx / Access-Export"}
      data_as_of: {value: $as_of, format: "DD.MM.YYYY hh:mm"}

  staff:
    source: {file: Klientenliste.xlsx, sheet: Mitarbeitende, header_row: 1}
    key: "{Kürzel}"
    skip_rows: {blank: ["Kürzel"]}
    fields:
      short_name: {column: "Kürzel"}
      family_name: {column: "Name"}
      given_name: {column: "Vorname"}
      role: {column: "Funktion", map: funktion}
      active: {column: "aktiv", map: ja_nein}

  persons:
    source: {file: Klientenliste.xlsx, sheet: Klienten, header_row: 3}
    key: "{Nr}"
    skip_rows: {blank: ["Nr"]}
    fields:
      family_name: {column: "Name"}
      given_name: {column: "Vorname"}
      birth_date: {column: "Geb.datum", format: "DD.MM.YYYY"}
      birth_date_precision: {precision_of: birth_date}
      sex: {column: "Geschl.", map: geschlecht, default: "3"}
      ahvn13: {column: "AHV"}
      marital_status: {column: "Zivilst.", map: zivilstand}
      nationality: {column: "Nat.", map: nationalitaet, default: "XX"}
      residence_permit: {column: "Bew.", map: bewilligung}
      language: {column: "Sprache", map: sprache}
      death_date: {column: "gest.", format: "DD.MM.YYYY"}

  # Die Klientenliste kennt nur die aktuelle Adresse: eine Adresse je Person, ohne
  # Gültigkeitsdaten; Zeilen ohne Adresse ergeben keine.
  addresses:
    source: {file: Klientenliste.xlsx, sheet: Klienten, header_row: 3}
    key: "{Nr}/address/1"
    skip_rows: {blank: ["Nr", "Adresse"]}
    fields:
      person_id: {column: "Nr"}
      street: {column: "Adresse", extract: '^(.+?)\\s+\\d'}
      house_number: {column: "Adresse", extract: '\\s(\\d+\\s*[A-Za-z]?)$$'}
      postal_code: {column: "PLZ/Ort", extract: '^(\\d{4})\\s'}
      town: {column: "PLZ/Ort", extract: '^\\d{4}\\s+(.+)$$'}
      commune_number: {column: "PLZ/Ort", extract: '^\\d{4}\\s+(.+)$$', map: gemeinde}

  cases:
    source: {file: Klientenliste.xlsx, sheet: Dossiers, header_row: 3}
    key: "{Dossier}"
    skip_rows: {blank: ["Dossier"]}
    fields:
      case_number: {column: "Dossier"}
      domain: {column: "Art", map: dossierart}
      opened_on: {column: "eröffnet", format: excel}
      closed_on: {column: "abgeschlossen", format: excel}
      closing_reason: {column: "Grund", map: abschlussgrund}
      responsible_staff_id: {column: "SA"}
      segment: {column: "Segment", map: segment}
      segment_since: {column: "Segment seit", format: excel}
    # Die antragstellende Person steht auch im Blatt Haushalt (Rolle "Antragst.").
    ignore_columns: ["Klient Nr"]

  case_members:
    source: {file: Klientenliste.xlsx, sheet: Haushalt, header_row: 1}
    key: "{Dossier}/member/{Klient Nr}"
    skip_rows: {blank: ["Dossier", "Klient Nr"]}
    fields:
      case_id: {column: "Dossier"}
      person_id: {column: "Klient Nr"}
      role: {column: "Rolle", map: rolle}
      valid_from: {column: "von", format: excel}
      valid_to: {column: "bis", format: excel}

  # Eine Zeile je Budgetposition; alle Zeilen mit gleichem Dossier und Monat bilden
  # ein Budget. Budgets und Positionen haben keine Nummer: der Schlüssel zählt sie.
  budgets:
    source: {file: budgets.csv, header_row: 1}
    one_record_per: ["Dossier", "Monat"]
    key: "{Dossier}/budget/{seq}"
    skip_rows: {blank: ["Dossier"]}
    fields:
      case_id: {column: "Dossier"}
      valid_from: {column: "Monat", format: "MM.YYYY"}
      valid_to: {column: "Monat", format: "MM.YYYY", day: last}
      status: {column: "Status", map: budgetstatus}

  budget_items:
    source: {file: budgets.csv, header_row: 1}
    parent: budgets
    key: "{parent}/pos/{seq}"
    skip_rows: {blank: ["Dossier"]}
    fields:
      budget_id: {parent_key: true}
      position: {column: "Position", map: position}
      kind: {column: "Art", map: einnahme_ausgabe}
      amount_chf: {column: "Betrag", format: "1234,50"}

  payments:
    source: {file: auszahlungen.csv, header_row: 1}
    key: "{Nr}"
    skip_rows: {blank: ["Nr"]}
    fields:
      case_id: {column: "Dossier"}
      value_date: {column: "Datum", format: "DD.MM.YYYY"}
      # Ältere Zeilen wurden mit Tausender-Apostroph und Punkt erfasst.
      amount_chf: {column: "Betrag", format: ["1234,50", "1'234.50"]}
      category: {column: "Art", map: position}
      recipient: {column: "Empfänger"}
      status: {column: "storniert", map: storniert, default: paid}

  journal_entries:
    source: {file: notizen.csv, header_row: 1}
    key: "{Nr}"
    skip_rows: {blank: ["Nr"]}
    fields:
      case_id: {column: "Dossier"}
      occurred_at: {column: "Datum", format: "DD.MM.YYYY hh:mm"}
      staff_id: {column: "SA"}
      contact_type: {column: "Art", map: kontaktart}
      duration_minutes: {column: "Dauer"}
      subject: {column: "Betreff"}
      text: {column: "Text"}

  documents:
    source: {file: scans/index.csv, header_row: 1}
    key: "{Datei}"
    skip_rows: {blank: ["Datei"]}
    fields:
      case_id: {column: "Dossier"}
      person_id: {column: "Klient Nr"}
      title: {column: "Titel"}
      doc_type: {column: "Typ", map: dokumenttyp, default: other}
      created_at: {column: "Datum", format: "DD.MM.YYYY"}
      file: {column: "Datei"}

# Werte der Liste -> Codes des Zwischenformats. Verglichen wird nach dem Entfernen
# von Leerzeichen am Anfang und Ende, Gross-/Kleinschreibung zählt.
value_maps:
$value_maps
"""
)
