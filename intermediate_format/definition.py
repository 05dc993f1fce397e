"""The intermediate format, declared once: every table, column, code list and key.

This module is the contract of ``intermediate-format.md`` as code. Columns may be
added (a minor format version); nothing published may be renamed or dropped without
a new major version. Every other artefact is generated from ``TABLES``:

- Arrow and pandas types: ``Table.arrow_schema``, ``Column.pandas_dtype``;
- pandera schemas: ``nffs_migration.schemas.pandera_schemas``;
- Table Schemas, JSON Schema, reference pages: ``nffs_migration.schemas.export``;
- the target store's DDL: ``nffs_migration.loaders``.
"""

from __future__ import annotations

from nffs_migration.intermediate_format.codes import CODE_LISTS
from nffs_migration.intermediate_format.formats import RECORD_ID_PATTERN
from nffs_migration.intermediate_format.model import (
    CodeList,
    Column,
    ForeignKey,
    Format,
    Kind,
    Label,
    Table,
)

#: Semantic version of the format. Major: incompatible; minor: columns or codes added.
FORMAT_VERSION = "1.1.0"

SERVICE_ID = Format(
    "service_id",
    r"^[0-9]{4}$",
    "Four digits: the BFS number of the service's main commune, zero-padded.",
)
RECORD_ID = Format(
    "record_id",
    RECORD_ID_PATTERN,
    "`{service_id}:{source_system}:{source_key}`, stable over re-runs.",
)
AHVN13 = Format(
    "ahvn13",
    r"^756[0-9]{10}$",
    "13 digits starting with 756, last digit an EAN-13 check digit; no dots.",
    check_digit=True,
)
OLD_AHV = Format("old_ahv_number", r"^[0-9]{11}$", "The old 11-digit AHV number, digits only.")
POSTAL_CODE = Format("postal_code", r"^[1-9][0-9]{3}$", "A Swiss postal code: four digits.")
SHA256 = Format("sha256", r"^[0-9a-f]{64}$", "SHA-256 of the file, 64 lower-case hex digits.")
PACKAGE_PATH = Format(
    "package_path",
    r"^documents/[^\\]+$",
    "A relative path under `documents/` inside the package, with `/` separators.",
)


def _c(
    name: str, kind: Kind, en: str, de: str, fr: str, description: str = "", **kw: object
) -> Column:
    return Column(name, kind, Label(en, de, fr), description, **kw)  # type: ignore[arg-type]


def _fk(table: str, entity: str) -> ForeignKey:
    return ForeignKey(table, f"{entity}_id")


def _lineage(entity: str, en: str, de: str, fr: str) -> tuple[Column, ...]:
    return (
        _c(
            f"{entity}_id",
            Kind.STRING,
            f"{en} id",
            f"{de}-ID",
            f"ID {fr}",
            "Stable id `{service_id}:{source_system}:{source_key}`.",
            required=True,
            unique=True,
            fmt=RECORD_ID,
            lineage=True,
        ),
        _c(
            "source_system",
            Kind.CODE,
            "source system",
            "Quellsystem",
            "système source",
            "The legacy system family the record comes from.",
            required=True,
            codes="source_system",
            lineage=True,
        ),
        _c(
            "source_key",
            Kind.STRING,
            "source key",
            "Quellschlüssel",
            "clé source",
            "The record's key in the source, as text; built from the parent's key and a "
            "natural key or position (`2020-0456/budget/3`) where the source has none.",
            required=True,
            lineage=True,
        ),
        _c(
            "service_id",
            Kind.STRING,
            "social service",
            "Sozialdienst",
            "service social",
            "The social service (BFS number of its main commune, four digits).",
            required=True,
            fmt=SERVICE_ID,
            lineage=True,
        ),
    )


def _t(
    name: str, entity: str, label: tuple[str, str, str], description: str, *columns: Column
) -> Table:
    return Table(name, entity, Label(*label), description, (*_lineage(entity, *label), *columns))


ORGANISATION = _t(
    "organisation",
    "organisation",
    ("organisation", "Organisation", "organisation"),
    "The social service the package comes from: one row per package.",
    _c("name", Kind.STRING, "name", "Name", "nom", required=True),
    _c(
        "commune_numbers",
        Kind.INTEGER_LIST,
        "communes served",
        "betreute Gemeinden",
        "communes desservies",
        "BFS numbers of the communes the service serves, as a JSON array (`[351, 352]`).",
        required=True,
    ),
    _c(
        "source_version",
        Kind.STRING,
        "source version",
        "Version des Quellsystems",
        "version du système source",
        "The version of the legacy system or export format.",
    ),
    _c(
        "data_as_of",
        Kind.TIMESTAMP,
        "data as of",
        "Datenstand",
        "état des données",
        "The moment the source reflects (export date, or time of reading).",
        required=True,
    ),
)

STAFF = _t(
    "staff",
    "staff",
    ("staff member", "Mitarbeitende", "collaborateur"),
    "The service's staff: social workers, administrative assistants, heads of sector.",
    _c("short_name", Kind.STRING, "short name", "Kürzel", "abréviation", "Login short name."),
    _c("family_name", Kind.STRING, "family name", "Name", "nom"),
    _c("given_name", Kind.STRING, "given name", "Vorname", "prénom"),
    _c("role", Kind.CODE, "role", "Funktion", "fonction", required=True, codes="staff_role"),
    _c("active", Kind.BOOLEAN, "active", "aktiv", "actif"),
)

PERSONS = _t(
    "persons",
    "person",
    ("person", "Person", "personne"),
    "Clients and household members; a person can belong to several cases.",
    _c("family_name", Kind.STRING, "family name", "Name", "nom"),
    _c("given_name", Kind.STRING, "given name", "Vorname", "prénom"),
    _c("birth_date", Kind.DATE, "date of birth", "Geburtsdatum", "date de naissance"),
    _c(
        "birth_date_precision",
        Kind.CODE,
        "precision of the date of birth",
        "Genauigkeit des Geburtsdatums",
        "précision de la date de naissance",
        "How much of the date of birth is known.",
        required=True,
        codes="date_precision",
    ),
    _c("sex", Kind.CODE, "sex", "Geschlecht", "sexe", required=True, codes="sex"),
    _c(
        "ahvn13",
        Kind.STRING,
        "AHV number",
        "AHV-Nummer",
        "numéro AVS",
        "AHVN13 without dots; null when the source's number is missing or invalid.",
        fmt=AHVN13,
    ),
    _c(
        "old_ahv_number",
        Kind.STRING,
        "old AHV number",
        "alte AHV-Nummer",
        "ancien numéro AVS",
        "The 11-digit AHV number used before 2008, digits only.",
        fmt=OLD_AHV,
    ),
    _c(
        "marital_status",
        Kind.CODE,
        "marital status",
        "Zivilstand",
        "état civil",
        codes="marital_status",
    ),
    _c("nationality", Kind.CODE, "nationality", "Nationalität", "nationalité", codes="country"),
    _c(
        "residence_permit",
        Kind.CODE,
        "residence permit",
        "Aufenthaltsstatus",
        "permis de séjour",
        codes="residence_permit",
    ),
    _c("language", Kind.CODE, "language", "Sprache", "langue", codes="language"),
    _c("death_date", Kind.DATE, "date of death", "Sterbedatum", "date de décès"),
)

ADDRESSES = _t(
    "addresses",
    "address",
    ("address", "Adresse", "adresse"),
    "The address history of a person; an open address has no `valid_to`.",
    _c(
        "person_id",
        Kind.STRING,
        "person",
        "Person",
        "personne",
        required=True,
        foreign_key=_fk("persons", "person"),
    ),
    _c("street", Kind.STRING, "street", "Strasse", "rue"),
    _c("house_number", Kind.STRING, "house number", "Hausnummer", "numéro"),
    _c("postal_code", Kind.STRING, "postal code", "PLZ", "NPA", fmt=POSTAL_CODE),
    _c("town", Kind.STRING, "town", "Ort", "localité"),
    _c(
        "commune_number",
        Kind.INTEGER,
        "BFS commune number",
        "BFS-Gemeindenummer",
        "numéro OFS de la commune",
        minimum=1,
        maximum=9999,
    ),
    _c("valid_from", Kind.DATE, "valid from", "gültig ab", "valable dès"),
    _c("valid_to", Kind.DATE, "valid to", "gültig bis", "valable jusqu'au"),
)

CASES = _t(
    "cases",
    "case",
    ("case", "Dossier", "dossier"),
    "A case (Dossier) in one domain; KiSS services (FaLeistung) are cases of their own.",
    _c(
        "case_number",
        Kind.STRING,
        "case number",
        "Dossiernummer",
        "numéro de dossier",
        "The number people use for the case, unique in the service.",
        required=True,
    ),
    _c("domain", Kind.CODE, "domain", "Bereich", "domaine", required=True, codes="domain"),
    _c("opened_on", Kind.DATE, "opened on", "Eröffnung", "ouverture", required=True),
    _c("closed_on", Kind.DATE, "closed on", "Abschluss", "clôture", "Null while open."),
    _c(
        "closing_reason",
        Kind.CODE,
        "closing reason",
        "Abschlussgrund",
        "motif de clôture",
        codes="closing_reason",
    ),
    _c(
        "responsible_staff_id",
        Kind.STRING,
        "responsible social worker",
        "Fallführung",
        "gestion du dossier",
        foreign_key=_fk("staff", "staff"),
    ),
    _c("segment", Kind.CODE, "segment", "Segment", "segment", codes="segment"),
    _c("segment_since", Kind.DATE, "segment since", "Segment seit", "segment depuis"),
    _c(
        "file_number",
        Kind.STRING,
        "file number",
        "Fallnummer",
        "numéro de fichier",
        "Groups the cases of one client file (KiSS FaFall).",
    ),
)

CASE_MEMBERS = _t(
    "case_members",
    "case_member",
    ("case member", "Dossierperson", "membre du dossier"),
    "Who belongs to a case, in which role and when.",
    _c(
        "case_id",
        Kind.STRING,
        "case",
        "Dossier",
        "dossier",
        required=True,
        foreign_key=_fk("cases", "case"),
    ),
    _c(
        "person_id",
        Kind.STRING,
        "person",
        "Person",
        "personne",
        required=True,
        foreign_key=_fk("persons", "person"),
    ),
    _c("role", Kind.CODE, "role", "Rolle", "rôle", required=True, codes="member_role"),
    _c("valid_from", Kind.DATE, "valid from", "gültig ab", "valable dès"),
    _c("valid_to", Kind.DATE, "valid to", "gültig bis", "valable jusqu'au"),
    _c(
        "supported",
        Kind.BOOLEAN,
        "supported",
        "unterstützt",
        "soutenu",
        "Whether the person is counted in the support unit (KiSS), where known.",
    ),
)

BUDGETS = _t(
    "budgets",
    "budget",
    ("budget", "Budget", "budget"),
    "Monthly budgets after the SKOS guidelines.",
    _c(
        "case_id",
        Kind.STRING,
        "case",
        "Dossier",
        "dossier",
        required=True,
        foreign_key=_fk("cases", "case"),
    ),
    _c("valid_from", Kind.DATE, "valid from", "gültig ab", "valable dès", required=True),
    _c("valid_to", Kind.DATE, "valid to", "gültig bis", "valable jusqu'au"),
    _c("status", Kind.CODE, "status", "Status", "statut", required=True, codes="budget_status"),
)

BUDGET_ITEMS = _t(
    "budget_items",
    "budget_item",
    ("budget item", "Budgetposition", "poste du budget"),
    "The positions of a budget: expenses and incomes in CHF.",
    _c(
        "budget_id",
        Kind.STRING,
        "budget",
        "Budget",
        "budget",
        required=True,
        foreign_key=_fk("budgets", "budget"),
    ),
    _c(
        "position",
        Kind.CODE,
        "position",
        "Position",
        "poste",
        required=True,
        codes="budget_position",
    ),
    _c("kind", Kind.CODE, "kind", "Art", "type", required=True, codes="item_kind"),
    _c("amount_chf", Kind.MONEY, "amount (CHF)", "Betrag (CHF)", "montant (CHF)", required=True),
)

PAYMENTS = _t(
    "payments",
    "payment",
    ("payment", "Zahlung", "paiement"),
    "Payments made for a case; reversed payments are kept and marked.",
    _c(
        "case_id",
        Kind.STRING,
        "case",
        "Dossier",
        "dossier",
        required=True,
        foreign_key=_fk("cases", "case"),
    ),
    _c("value_date", Kind.DATE, "value date", "Valuta", "date de valeur", required=True),
    _c("amount_chf", Kind.MONEY, "amount (CHF)", "Betrag (CHF)", "montant (CHF)", required=True),
    _c("category", Kind.CODE, "category", "Kategorie", "catégorie", codes="budget_position"),
    _c("recipient", Kind.STRING, "recipient", "Empfänger", "bénéficiaire"),
    _c("status", Kind.CODE, "status", "Status", "statut", required=True, codes="payment_status"),
)

JOURNAL_ENTRIES = _t(
    "journal_entries",
    "journal_entry",
    ("journal entry", "Journaleintrag", "note au journal"),
    "Case notes and contacts with their kind, duration and plain text.",
    _c(
        "case_id",
        Kind.STRING,
        "case",
        "Dossier",
        "dossier",
        required=True,
        foreign_key=_fk("cases", "case"),
    ),
    _c("occurred_at", Kind.TIMESTAMP, "date and time", "Datum", "date", required=True),
    _c(
        "staff_id",
        Kind.STRING,
        "staff member",
        "Mitarbeiter/in",
        "collaborateur",
        foreign_key=_fk("staff", "staff"),
    ),
    _c(
        "contact_type",
        Kind.CODE,
        "contact type",
        "Kontaktart",
        "type de contact",
        required=True,
        codes="contact_type",
    ),
    _c(
        "duration_minutes",
        Kind.INTEGER,
        "duration (minutes)",
        "Dauer (Minuten)",
        "durée (minutes)",
        minimum=0,
        maximum=1440,
    ),
    _c("subject", Kind.STRING, "subject", "Betreff", "objet"),
    _c("text", Kind.STRING, "text", "Text", "texte", "Plain text (RTF converted)."),
)

MEASURES = _t(
    "measures",
    "measure",
    ("measure", "Massnahme", "mesure"),
    "Child and adult protection measures.",
    _c(
        "case_id",
        Kind.STRING,
        "case",
        "Dossier",
        "dossier",
        required=True,
        foreign_key=_fk("cases", "case"),
    ),
    _c(
        "legal_basis",
        Kind.STRING,
        "legal basis",
        "Rechtsgrundlage",
        "base légale",
        "Article of the Civil Code, e.g. `ZGB 308`.",
        required=True,
    ),
    _c("started_on", Kind.DATE, "started on", "Beginn", "début"),
    _c("ended_on", Kind.DATE, "ended on", "Ende", "fin"),
    _c(
        "mandate_holder_staff_id",
        Kind.STRING,
        "mandate holder",
        "Mandatsträger/in",
        "mandataire",
        foreign_key=_fk("staff", "staff"),
    ),
    _c("authority", Kind.STRING, "ordering authority", "Behörde", "autorité"),
)

DOCUMENTS = _t(
    "documents",
    "document",
    ("document", "Dokument", "document"),
    "Documents of a case or a person; the file travels in the package.",
    _c(
        "case_id",
        Kind.STRING,
        "case",
        "Dossier",
        "dossier",
        foreign_key=_fk("cases", "case"),
    ),
    _c(
        "person_id",
        Kind.STRING,
        "person",
        "Person",
        "personne",
        foreign_key=_fk("persons", "person"),
    ),
    _c("title", Kind.STRING, "title", "Titel", "titre"),
    _c("doc_type", Kind.CODE, "document type", "Dokumenttyp", "type de document", codes="doc_type"),
    _c("created_at", Kind.TIMESTAMP, "created at", "erstellt", "créé le"),
    _c(
        "file",
        Kind.STRING,
        "file",
        "Datei",
        "fichier",
        "Path of the file inside the package.",
        required=True,
        fmt=PACKAGE_PATH,
    ),
    _c("media_type", Kind.STRING, "media type", "Medientyp", "type de média"),
    _c("size_bytes", Kind.INTEGER, "size (bytes)", "Grösse (Bytes)", "taille (octets)", minimum=0),
    _c("sha256", Kind.STRING, "SHA-256", "SHA-256", "SHA-256", required=True, fmt=SHA256),
)

#: Every table of the contract, in load order (a table refers only to earlier ones).
TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        ORGANISATION,
        STAFF,
        PERSONS,
        ADDRESSES,
        CASES,
        CASE_MEMBERS,
        BUDGETS,
        BUDGET_ITEMS,
        PAYMENTS,
        JOURNAL_ENTRIES,
        MEASURES,
        DOCUMENTS,
    )
}

#: Columns of a reject file (`rejects/<table>.parquet`): keys and reasons, no values.
REJECT_COLUMNS: tuple[Column, ...] = (
    _c(
        "source_key",
        Kind.STRING,
        "source key",
        "Quellschlüssel",
        "clé source",
        "Key of the rejected record in the source.",
        required=True,
    ),
    _c(
        "source_table",
        Kind.STRING,
        "source table",
        "Quelltabelle",
        "table source",
        "Table, sheet or element the record was read from.",
        required=True,
    ),
    _c(
        "rule",
        Kind.STRING,
        "rule",
        "Regel",
        "règle",
        "Id of the rule that rejected it.",
        required=True,
    ),
    _c(
        "reason",
        Kind.STRING,
        "reason",
        "Grund",
        "motif",
        "Why, in one sentence without personal values.",
        required=True,
    ),
)

REJECTS = Table(
    "rejects",
    "reject",
    Label("rejected record", "zurückgewiesener Datensatz", "enregistrement rejeté"),
    "Source records that could not be converted, with the rule and reason.",
    REJECT_COLUMNS,
)

KEY_SETS = Table(
    "key_sets",
    "key",
    Label("key set", "Schlüsselmenge", "ensemble de clés"),
    "Every id of a table that the scope holds after a delta batch (`keys/<table>.parquet`).",
    (
        _c(
            "id",
            Kind.STRING,
            "id",
            "Id",
            "identifiant",
            "A record id of the table (`{service_id}:{source_system}:{source_key}`).",
            required=True,
        ),
    ),
)


def table(name: str) -> Table:
    """Return a table of the contract by name.

    Raises:
        KeyError: With the list of known tables, when the name is unknown.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLES)}") from None


def code_list(column: Column) -> CodeList | None:
    """The code list of a coded column, or None."""
    return CODE_LISTS[column.codes] if column.codes else None


def _check_definition() -> None:
    """Fail at import if the definition contradicts itself (a broken reference)."""
    order = list(TABLES)
    for position, tbl in enumerate(TABLES.values()):
        for col in tbl.columns:
            if col.codes and col.codes not in CODE_LISTS:
                raise ValueError(f"{tbl.name}.{col.name}: unknown code list {col.codes}")
            if col.foreign_key:
                target = col.foreign_key.table
                if target not in TABLES or order.index(target) >= position:
                    raise ValueError(f"{tbl.name}.{col.name}: refers to {target} out of order")
                if col.foreign_key.column != TABLES[target].primary_key:
                    raise ValueError(f"{tbl.name}.{col.name}: must refer to {target}'s id")


_check_definition()
