"""KLIBnet (Diartis, database 5.x) into the intermediate format.

Reads the tables of `legacy-systems/klibnet.md` through any SQLAlchemy URL, in chunks,
and yields intermediate rows. Decisions, in order:

1. exclusion by the parent: soft-deleted persons (`Geloescht = 1`) with their
   addresses and memberships; cases closed before the retention cut-off with all that
   hangs on them; persons whose every case is excluded;
2. rejects: orphans (a parent that does not exist), required codes that no mapping
   covers, missing required values, duplicate membership rows, documents whose file
   is missing or whose path leaves the share;
3. normalisation with findings: AHV numbers (13 digits with check digit, old 11-digit
   numbers to `old_ahv_number`), `1900-01-01`/`9999-12-31` to null, names trimmed, RTF
   journal texts to plain text, optional codes that no mapping covers to null.

Delta batches (`since`) read the rows whose `MutDatum` is later than the high-water
mark; addresses, memberships, budget positions and measures travel with their parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from importlib.resources.abc import Traversable
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError
from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import (
    SWISS_TIME,
    Chunk,
    ExtractOptions,
    SourceInfo,
    SourceProfile,
)
from nffs_migration.extractors.database import Database, profile_table
from nffs_migration.extractors.documents import DocumentCopier, document_columns, suffix
from nffs_migration.extractors.frames import (
    DELETED,
    EXPIRED,
    LIVE,
    MISSING,
    Batch,
    lookup,
    status_series,
)
from nffs_migration.extractors.mapping import MAPPING_LISTS
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.resources import resource

STRING = pd.ArrowDtype(pa.string())

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
#: Tables whose rows carry `MutDatum` (delta batches filter on it).
CHANGE_MARKER = "MutDatum"


def _dates(series: pd.Series) -> pd.Series:
    """Dates with the field's sentinels (1900-01-01 unknown, 9999-12-31 open end) as null."""
    values = series.astype(pd.ArrowDtype(pa.date32()))
    sentinel = values.isin([normalise.UNKNOWN_DATE, normalise.OPEN_END]).fillna(False).astype(bool)
    return values.mask(sentinel)


class KlibnetExtractor:
    """Extractor for KLIBnet databases."""

    name: ClassVar[str] = "klibnet"
    title: ClassVar[str] = "KLIBnet (Diartis) 5.x database"
    options_class: ClassVar[type[ExtractOptions]] = ExtractOptions
    mappings_dir: ClassVar[Traversable] = resource("nffs_migration.extractors.klibnet", "mappings")
    mapping_lists: ClassVar[tuple[str, ...]] = MAPPING_LISTS
    deletions: ClassVar[Literal["key_sets", "children"] | None] = "key_sets"
    replaces: ClassVar[dict[str, str]] = {}
    #: KLIBnet has no death date, file number or support flag, and files documents under
    #: dossiers.
    not_kept: ClassVar[tuple[str, ...]] = (
        "persons.death_date",
        "cases.file_number",
        "case_members.supported",
        "documents.person_id",
    )

    def _open(self, options: ExtractOptions) -> Database:
        return Database.open(options.source, "tblKlient", "KLIBnet")

    def describe(self, options: ExtractOptions) -> SourceInfo:
        """A KLIBnet database reflects the moment it is read (or `--as-of`)."""
        db = self._open(options)
        try:
            missing = [name for name in TABLES if not db.has_table(name)]
        finally:
            db.dispose()
        if missing:
            from nffs_migration.errors import SourceError

            raise SourceError(
                f"not a KLIBnet 5.x database: tables {', '.join(missing)} are missing"
            )
        as_of = options.as_of or datetime.now(SWISS_TIME)
        return SourceInfo(
            "klibnet",
            "5.x",
            as_of,
            description=f"{sa.make_url(options.source).get_backend_name()} database",
            delta=bool(options.since),
        )

    def profile(self, options: ExtractOptions) -> SourceProfile:
        """Row counts, fill rates, code frequencies and date ranges of every table."""
        db = self._open(options)
        try:
            tables = [
                profile_table(db, name, columns, codes=CODE_COLUMNS.get(name, ()))
                for name, columns in TABLES.items()
            ]
        finally:
            db.dispose()
        return SourceProfile("klibnet", "5.x", tables)

    def extract(self, options: ExtractOptions, context: ExtractContext) -> Iterator[Chunk]:
        """Yield every table's rows, parents before children."""
        db = self._open(options)
        try:
            yield from _Run(db, options, context).chunks()
        finally:
            db.dispose()


class _Run:
    """One extraction: the status maps of parents, then each table in turn."""

    def __init__(self, db: Database, options: ExtractOptions, context: ExtractContext) -> None:
        self.db = db
        self.options = options
        self.ctx = context
        self.mapper = context.mapper
        self.since = datetime.fromisoformat(options.since) if options.since else None
        self.copier = DocumentCopier(context, options.documents)

    # -- reading ---------------------------------------------------------------------

    def read(self, name: str, *, changed: bool = True) -> Iterator[pd.DataFrame]:
        columns = TABLES[name]
        # tblDossierPerson has no key column: order by both halves of its source key.
        order = ["DossierID", "KlientID"] if name == "tblDossierPerson" else None
        where = None
        if changed and self.since is not None and CHANGE_MARKER in columns:
            where = self.db.column(name, CHANGE_MARKER) > self.since
        for frame in self.db.read_chunks(
            name, columns, where=where, order_by=order, chunk_rows=self.options.chunk_rows
        ):
            if CHANGE_MARKER in frame and frame[CHANGE_MARKER].notna().any():
                self.ctx.saw_change(frame[CHANGE_MARKER].max())
            yield frame

    def ids(self, keys: pd.Series) -> pd.Series:
        return self.ctx.record_ids(keys.astype("Int64").astype(STRING))

    def ref_ids(
        self, keys: pd.Series, valid: pd.Series | None, batch: Batch, field: str
    ) -> pd.Series:
        """Ids of referenced records; a missing referenced record gives null and a finding."""
        if valid is None:
            return self.ids(keys)
        present = (
            keys.isna()
            | pd.Series(keys.to_numpy(dtype=object, na_value=None)).isin(valid.index).to_numpy()
        )
        dangling = ~np.asarray(present, dtype=bool)
        for key in batch.kept_keys(dangling):
            batch.findings.append(self.ctx.finding("dangling-reference", batch.table, key, field))
        return self.ids(keys.mask(dangling))

    def code(
        self, batch: Batch, list_name: str, values: pd.Series, field: str, *, required: bool
    ) -> pd.Series:
        """Map a code column; unmapped: reject (required) or null with a finding (optional)."""
        mapped, missing = self.mapper.map_series(list_name, values)
        if required:
            batch.reject(
                missing | values.isna().to_numpy(),
                "unmapped-code",
                f"{field}: no mapping covers the source code",
            )
        else:
            for key in batch.kept_keys(missing):
                batch.findings.append(
                    self.ctx.finding(
                        "unmapped-code",
                        batch.table,
                        key,
                        field,
                        f"{field}: no mapping covers the source code ({list_name})",
                    )
                )
        return mapped

    # -- status maps -------------------------------------------------------------------

    def load_status(self) -> None:
        cutoff = self.ctx.retention_cutoff
        cases = self.db.read_all("tblDossier", {"DossierID": "int", "Abschluss": "date"})
        closed = cases["Abschluss"].astype(pd.ArrowDtype(pa.date32()))
        expired = (closed < cutoff).fillna(False).to_numpy(dtype=bool)
        self.case_status = status_series(cases["DossierID"], np.where(expired, EXPIRED, LIVE))
        persons = self.db.read_all("tblKlient", {"KlientID": "int", "Geloescht": "bool"})
        members = self.db.read_all("tblDossierPerson", {"DossierID": "int", "KlientID": "int"})
        member_case = lookup(members["DossierID"], self.case_status)
        in_case = set(members["KlientID"][member_case != MISSING].dropna().astype(int))
        live = set(members["KlientID"][member_case == LIVE].dropna().astype(int))
        person_ids = persons["KlientID"].astype(int)
        deleted = persons["Geloescht"].fillna(False).to_numpy(dtype=bool)
        expired_person = person_ids.isin(in_case).to_numpy() & ~person_ids.isin(live).to_numpy()
        codes = np.where(deleted, DELETED, np.where(expired_person, EXPIRED, LIVE))
        self.person_status = status_series(persons["KlientID"], codes)
        staff = self.db.read_all("tblMitarbeiter", {"MitarbeiterID": "int"})
        self.staff_ids = status_series(staff["MitarbeiterID"], LIVE)
        budgets = self.db.read_all("tblBudget", {"BudgetID": "int", "DossierID": "int"})
        self.budget_status = status_series(
            budgets["BudgetID"], lookup(budgets["DossierID"], self.case_status)
        )
        self.changed_persons: set[int] | None = None
        self.changed_cases: set[int] | None = None
        self.changed_budgets: set[int] | None = None
        if self.since is not None:
            self.changed_persons = self._changed("tblKlient", "KlientID")
            self.changed_cases = self._changed("tblDossier", "DossierID")
            self.changed_budgets = self._changed("tblBudget", "BudgetID")

    def _changed(self, name: str, key: str) -> set[int]:
        where = self.db.column(name, CHANGE_MARKER) > self.since
        frame = self.db.read_all(name, {key: "int"}, where=where)
        return set(frame[key].astype(int))

    def with_parent(
        self, frame: pd.DataFrame, column: str, changed: set[int] | None
    ) -> pd.DataFrame:
        """In a delta, child rows travel with their changed parent."""
        if changed is None:
            return frame
        return frame[frame[column].isin(changed).fillna(False).to_numpy(dtype=bool)]

    # -- tables ------------------------------------------------------------------------

    def chunks(self) -> Iterator[Chunk]:
        self.load_status()
        yield from self.staff()
        yield from self.persons()
        yield from self.addresses()
        yield from self.cases()
        yield from self.members()
        yield from self.budgets()
        yield from self.items()
        yield from self.payments()
        yield from self.journal()
        yield from self.measures()
        yield from self.documents()

    def staff(self) -> Iterator[Chunk]:
        for frame in self.read("tblMitarbeiter"):
            batch = Batch("staff", "tblMitarbeiter", frame, frame["MitarbeiterID"])
            role = self.code(batch, "staff_role", frame["Funktion"], "role", required=True)
            yield batch.chunk(
                {
                    "staff_id": self.ids(frame["MitarbeiterID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "short_name": normalise.names(frame["Kuerzel"]),
                    "family_name": normalise.names(frame["Name"]),
                    "given_name": normalise.names(frame["Vorname"]),
                    "role": role,
                    "active": frame["Aktiv"],
                }
            )

    def persons(self) -> Iterator[Chunk]:
        for frame in self.read("tblKlient"):
            batch = Batch("persons", "tblKlient", frame, frame["KlientID"])
            batch.apply_status(lookup(frame["KlientID"], self.person_status))
            sex, sex_missing = self.mapper.map_series("sex", frame["Geschlecht"])
            sex = sex.fillna("3").mask(
                sex_missing
            )  # no sex recorded is "unknown"; an unknown code is not guessed
            batch.reject(
                sex.isna().to_numpy(), "unmapped-code", "sex: no mapping covers the source code"
            )
            family = normalise.names(frame["Name"])
            for key in batch.kept_keys(
                (family.str.len() > 1) & (family.str.upper() == family) & family.str.isalpha()
            ):
                batch.findings.append(
                    self.ctx.finding("name-all-caps", "persons", key, "family_name")
                )
            ahv = normalise.ahv_column(frame["AHVNr"])
            for rule, mask in (
                ("ahvn13-check-digit", ahv.wrong_check_digit),
                ("ahvn13-format", ahv.wrong_format),
            ):
                for key in batch.kept_keys(mask):
                    batch.findings.append(self.ctx.finding(rule, "persons", key, "ahvn13"))
            birth = frame["Geburtsdatum"].astype(pd.ArrowDtype(pa.date32()))
            birth = birth.mask(birth.isin([normalise.UNKNOWN_DATE]).fillna(False).astype(bool))
            yield batch.chunk(
                {
                    "person_id": self.ids(frame["KlientID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "family_name": family,
                    "given_name": normalise.names(frame["Vorname"]),
                    "birth_date": birth,
                    "birth_date_precision": pd.Series(np.where(birth.isna(), "unknown", "day")),
                    "sex": sex,
                    "ahvn13": ahv.ahvn13,
                    "old_ahv_number": ahv.old,
                    "marital_status": self.code(
                        batch,
                        "marital_status",
                        frame["Zivilstand"],
                        "marital_status",
                        required=False,
                    ),
                    "nationality": self.code(
                        batch, "nationality", frame["Nationalitaet"], "nationality", required=False
                    ),
                    "residence_permit": self.code(
                        batch,
                        "residence_permit",
                        frame["Aufenthalt"],
                        "residence_permit",
                        required=False,
                    ),
                    "language": self.code(
                        batch, "language", frame["Sprache"], "language", required=False
                    ),
                }
            )

    def addresses(self) -> Iterator[Chunk]:
        for frame in self.read("tblAdresse"):
            frame = self.with_parent(frame, "KlientID", self.changed_persons)
            batch = Batch("addresses", "tblAdresse", frame, frame["AdresseID"])
            batch.apply_status(
                lookup(frame["KlientID"], self.person_status),
                orphan_reason="the person does not exist",
            )
            yield batch.chunk(
                {
                    "address_id": self.ids(frame["AdresseID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "person_id": self.ids(frame["KlientID"]),
                    "street": normalise.names(frame["Strasse"]),
                    "house_number": normalise.names(frame["HausNr"]),
                    "postal_code": normalise.names(frame["PLZ"]),
                    "town": normalise.names(frame["Ort"]),
                    "commune_number": frame["GemeindeNr"],
                    "valid_from": _dates(frame["GueltigAb"]),
                    "valid_to": _dates(frame["GueltigBis"]),
                }
            )

    def cases(self) -> Iterator[Chunk]:
        for frame in self.read("tblDossier"):
            batch = Batch("cases", "tblDossier", frame, frame["DossierID"])
            batch.apply_status(lookup(frame["DossierID"], self.case_status))
            domain = self.code(batch, "domain", frame["Bereich"], "domain", required=True)
            batch.reject(
                frame["Eroeffnung"].isna().to_numpy(),
                "missing-required",
                "opened_on: no opening date in the source",
            )
            yield batch.chunk(
                {
                    "case_id": self.ids(frame["DossierID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_number": normalise.names(frame["DossierNr"]),
                    "domain": domain,
                    "opened_on": _dates(frame["Eroeffnung"]),
                    "closed_on": _dates(frame["Abschluss"]),
                    "closing_reason": self.code(
                        batch,
                        "closing_reason",
                        frame["AbschlussGrund"],
                        "closing_reason",
                        required=False,
                    ),
                    "responsible_staff_id": self.ref_ids(
                        frame["FallfuehrerID"], self.staff_ids, batch, "responsible_staff_id"
                    ),
                    "segment": self.code(
                        batch, "segment", frame["Segment"], "segment", required=False
                    ),
                    "segment_since": _dates(frame["SegmentSeit"]),
                }
            )

    def members(self) -> Iterator[Chunk]:
        seen: set[str] = set()
        for frame in self.read("tblDossierPerson"):
            frame = self.with_parent(frame, "DossierID", self.changed_cases)
            keys = (
                frame["DossierID"].astype("Int64").astype(str)
                + "/"
                + frame["KlientID"].astype("Int64").astype(str)
            )
            batch = Batch("case_members", "tblDossierPerson", frame, keys)
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            batch.apply_status(
                lookup(frame["KlientID"], self.person_status),
                orphan_reason="the person does not exist",
            )
            duplicate = batch.keys.isin(seen).to_numpy() | batch.keys.duplicated().to_numpy()
            batch.reject(duplicate, "duplicate-key", "the person is listed twice in the case")
            seen.update(batch.kept_keys())
            yield batch.chunk(
                {
                    "case_member_id": self.ctx.record_ids(batch.keys),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_id": self.ids(frame["DossierID"]),
                    "person_id": self.ids(frame["KlientID"]),
                    "role": self.code(batch, "member_role", frame["Rolle"], "role", required=True),
                    "valid_from": _dates(frame["VonDatum"]),
                    "valid_to": _dates(frame["BisDatum"]),
                }
            )

    def budgets(self) -> Iterator[Chunk]:
        for frame in self.read("tblBudget"):
            batch = Batch("budgets", "tblBudget", frame, frame["BudgetID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            status = self.code(batch, "budget_status", frame["Status"], "status", required=True)
            batch.reject(
                frame["GueltigAb"].isna().to_numpy(),
                "missing-required",
                "valid_from: no start date",
            )
            yield batch.chunk(
                {
                    "budget_id": self.ids(frame["BudgetID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_id": self.ids(frame["DossierID"]),
                    "valid_from": _dates(frame["GueltigAb"]),
                    "valid_to": _dates(frame["GueltigBis"]),
                    "status": status,
                }
            )

    def items(self) -> Iterator[Chunk]:
        for frame in self.read("tblBudgetPosition"):
            frame = self.with_parent(frame, "BudgetID", self.changed_budgets)
            batch = Batch("budget_items", "tblBudgetPosition", frame, frame["PositionID"])
            batch.apply_status(
                lookup(frame["BudgetID"], self.budget_status),
                orphan_reason="the budget does not exist",
            )
            position = self.code(
                batch, "budget_position", frame["PosCode"], "position", required=True
            )
            kind = self.code(batch, "item_kind", frame["Typ"], "kind", required=True)
            batch.reject(
                frame["Betrag"].isna().to_numpy(), "missing-required", "amount_chf: no amount"
            )
            yield batch.chunk(
                {
                    "budget_item_id": self.ids(frame["PositionID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "budget_id": self.ids(frame["BudgetID"]),
                    "position": position,
                    "kind": kind,
                    "amount_chf": frame["Betrag"],
                }
            )

    def payments(self) -> Iterator[Chunk]:
        for frame in self.read("tblZahlung"):
            batch = Batch("payments", "tblZahlung", frame, frame["ZahlungID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            status = self.code(
                batch, "payment_status", frame["Storniert"].fillna(False), "status", required=True
            )
            batch.reject(
                (frame["Betrag"].isna() | frame["Valuta"].isna()).to_numpy(),
                "missing-required",
                "amount_chf or value_date missing",
            )
            yield batch.chunk(
                {
                    "payment_id": self.ids(frame["ZahlungID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_id": self.ids(frame["DossierID"]),
                    "value_date": _dates(frame["Valuta"]),
                    "amount_chf": frame["Betrag"],
                    "category": self.code(
                        batch, "payment_category", frame["Kategorie"], "category", required=False
                    ),
                    "recipient": normalise.names(frame["Empfaenger"]),
                    "status": status,
                }
            )

    def journal(self) -> Iterator[Chunk]:
        for frame in self.read("tblJournal"):
            batch = Batch("journal_entries", "tblJournal", frame, frame["JournalID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            contact = self.code(
                batch, "contact_type", frame["Kontaktart"], "contact_type", required=True
            )
            batch.reject(
                frame["Datum"].isna().to_numpy(), "missing-required", "occurred_at: no date"
            )
            text = frame["Text"].map(normalise.plain_text, na_action="ignore")
            yield batch.chunk(
                {
                    "journal_entry_id": self.ids(frame["JournalID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_id": self.ids(frame["DossierID"]),
                    "occurred_at": frame["Datum"],
                    "staff_id": self.ref_ids(
                        frame["MitarbeiterID"], self.staff_ids, batch, "staff_id"
                    ),
                    "contact_type": contact,
                    "duration_minutes": frame["DauerMin"],
                    "subject": frame["Betreff"],
                    "text": text,
                }
            )

    def measures(self) -> Iterator[Chunk]:
        for frame in self.read("tblMassnahme"):
            frame = self.with_parent(frame, "DossierID", self.changed_cases)
            batch = Batch("measures", "tblMassnahme", frame, frame["MassnahmeID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            batch.reject(
                frame["Artikel"].isna().to_numpy(), "missing-required", "legal_basis: no article"
            )
            yield batch.chunk(
                {
                    "measure_id": self.ids(frame["MassnahmeID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_id": self.ids(frame["DossierID"]),
                    "legal_basis": normalise.names(frame["Artikel"]),
                    "started_on": _dates(frame["Beginn"]),
                    "ended_on": _dates(frame["Ende"]),
                    "mandate_holder_staff_id": self.ref_ids(
                        frame["MandatstraegerID"], self.staff_ids, batch, "mandate_holder_staff_id"
                    ),
                    "authority": frame["Behoerde"],
                }
            )

    def documents(self) -> Iterator[Chunk]:
        share = self.options.documents
        for frame in self.read("tblDokument"):
            if share is None and len(frame):
                raise ConfigurationError(
                    "the source lists documents: give the share's root with --documents DIR"
                )
            batch = Batch("documents", "tblDokument", frame, frame["DokumentID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            paths = frame["Ablagepfad"].tolist()
            names = [
                f"{case}/{key}{suffix(path)}"
                for case, key, path in zip(frame["DossierID"], batch.keys, paths, strict=True)
            ]
            stored = self.copier.copy(batch, paths, names)
            self.copier.report_contents(batch, stored)
            yield batch.chunk(
                {
                    "document_id": self.ids(frame["DokumentID"]),
                    "source_system": "klibnet",
                    "source_key": batch.keys,
                    "service_id": self.options.service_id,
                    "case_id": self.ids(frame["DossierID"]),
                    "title": frame["Titel"],
                    "doc_type": self.code(
                        batch, "doc_type", frame["DokTyp"], "doc_type", required=False
                    ),
                    "created_at": frame["Erstellt"],
                    **document_columns(stored),
                }
            )
