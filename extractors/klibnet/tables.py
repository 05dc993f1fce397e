"""KLIBnet rows into the format's tables: one builder per table, parents before children.

Decisions per chunk, in order:

1. exclusion by the parent (the status maps of `index.py`);
2. rejects: orphans (a parent that does not exist), required codes that no mapping
   covers, missing required values, duplicate membership rows;
3. normalisation with findings: AHV numbers (13 digits with check digit, old 11-digit
   numbers to `old_ahv_number`), `1900-01-01`/`9999-12-31` to null, names trimmed, RTF
   journal texts to plain text, optional codes that no mapping covers to null.

In a delta, addresses, memberships, budget positions and measures travel with their
parent. Documents have a module of their own (`documents.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.frames import Batch, lookup
from nffs_migration.extractors.klibnet.documents import Documents
from nffs_migration.extractors.klibnet.index import KlibnetRun
from nffs_migration.extractors.normalise import legacy_dates


class KlibnetTables(KlibnetRun):
    """One extraction: the status maps, then each table in turn."""

    def chunks(self) -> Iterator[Chunk]:
        """Every table's chunks, parents before children."""
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
        yield from Documents(self).chunks()

    def staff(self) -> Iterator[Chunk]:
        """tblMitarbeiter: the role from `Funktion`."""
        for frame in self.read("tblMitarbeiter"):
            batch = Batch("staff", "tblMitarbeiter", frame, frame["MitarbeiterID"])
            role = self.code(batch, "staff_role", frame["Funktion"], "role", required=True)
            yield self.rows(
                batch,
                self.ids(frame["MitarbeiterID"]),
                {
                    "short_name": normalise.names(frame["Kuerzel"]),
                    "family_name": normalise.names(frame["Name"]),
                    "given_name": normalise.names(frame["Vorname"]),
                    "role": role,
                    "active": frame["Aktiv"],
                },
            )

    def persons(self) -> Iterator[Chunk]:
        """tblKlient: sex required, AHV numbers checked, other codes optional."""
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
            yield self.rows(
                batch,
                self.ids(frame["KlientID"]),
                {
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
                },
            )

    def addresses(self) -> Iterator[Chunk]:
        """tblAdresse: with their person."""
        for frame in self.read("tblAdresse"):
            frame = self.with_parent(frame, "KlientID", self.changed_persons)
            batch = Batch("addresses", "tblAdresse", frame, frame["AdresseID"])
            batch.apply_status(
                lookup(frame["KlientID"], self.person_status),
                orphan_reason="the person does not exist",
            )
            yield self.rows(
                batch,
                self.ids(frame["AdresseID"]),
                {
                    "person_id": self.ids(frame["KlientID"]),
                    "street": normalise.names(frame["Strasse"]),
                    "house_number": normalise.names(frame["HausNr"]),
                    "postal_code": normalise.names(frame["PLZ"]),
                    "town": normalise.names(frame["Ort"]),
                    "commune_number": frame["GemeindeNr"],
                    "valid_from": legacy_dates(frame["GueltigAb"]),
                    "valid_to": legacy_dates(frame["GueltigBis"]),
                },
            )

    def cases(self) -> Iterator[Chunk]:
        """tblDossier: the domain required, the case manager a checked reference."""
        for frame in self.read("tblDossier"):
            batch = Batch("cases", "tblDossier", frame, frame["DossierID"])
            batch.apply_status(lookup(frame["DossierID"], self.case_status))
            domain = self.code(batch, "domain", frame["Bereich"], "domain", required=True)
            batch.require(frame["Eroeffnung"], "opened_on: no opening date in the source")
            yield self.rows(
                batch,
                self.ids(frame["DossierID"]),
                {
                    "case_number": normalise.names(frame["DossierNr"]),
                    "domain": domain,
                    "opened_on": legacy_dates(frame["Eroeffnung"]),
                    "closed_on": legacy_dates(frame["Abschluss"]),
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
                    "segment_since": legacy_dates(frame["SegmentSeit"]),
                },
            )

    def members(self) -> Iterator[Chunk]:
        """tblDossierPerson: keyed `<DossierID>/<KlientID>`; a person twice is rejected."""
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
            yield self.rows(
                batch,
                self.ctx.record_ids(batch.keys),
                {
                    "case_id": self.ids(frame["DossierID"]),
                    "person_id": self.ids(frame["KlientID"]),
                    "role": self.code(batch, "member_role", frame["Rolle"], "role", required=True),
                    "valid_from": legacy_dates(frame["VonDatum"]),
                    "valid_to": legacy_dates(frame["BisDatum"]),
                },
            )

    def budgets(self) -> Iterator[Chunk]:
        """tblBudget: with their case."""
        for frame in self.read("tblBudget"):
            batch = Batch("budgets", "tblBudget", frame, frame["BudgetID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            status = self.code(batch, "budget_status", frame["Status"], "status", required=True)
            batch.require(frame["GueltigAb"], "valid_from: no start date")
            yield self.rows(
                batch,
                self.ids(frame["BudgetID"]),
                {
                    "case_id": self.ids(frame["DossierID"]),
                    "valid_from": legacy_dates(frame["GueltigAb"]),
                    "valid_to": legacy_dates(frame["GueltigBis"]),
                    "status": status,
                },
            )

    def items(self) -> Iterator[Chunk]:
        """tblBudgetPosition: position and kind required."""
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
            batch.require(frame["Betrag"], "amount_chf: no amount")
            yield self.rows(
                batch,
                self.ids(frame["PositionID"]),
                {
                    "budget_id": self.ids(frame["BudgetID"]),
                    "position": position,
                    "kind": kind,
                    "amount_chf": frame["Betrag"],
                },
            )

    def payments(self) -> Iterator[Chunk]:
        """tblZahlung: the status from `Storniert`."""
        for frame in self.read("tblZahlung"):
            batch = Batch("payments", "tblZahlung", frame, frame["ZahlungID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            status = self.code(
                batch, "payment_status", frame["Storniert"].fillna(False), "status", required=True
            )
            batch.require([frame["Betrag"], frame["Valuta"]], "amount_chf or value_date missing")
            yield self.rows(
                batch,
                self.ids(frame["ZahlungID"]),
                {
                    "case_id": self.ids(frame["DossierID"]),
                    "value_date": legacy_dates(frame["Valuta"]),
                    "amount_chf": frame["Betrag"],
                    "category": self.code(
                        batch, "payment_category", frame["Kategorie"], "category", required=False
                    ),
                    "recipient": normalise.names(frame["Empfaenger"]),
                    "status": status,
                },
            )

    def journal(self) -> Iterator[Chunk]:
        """tblJournal: RTF texts to plain text."""
        for frame in self.read("tblJournal"):
            batch = Batch("journal_entries", "tblJournal", frame, frame["JournalID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            contact = self.code(
                batch, "contact_type", frame["Kontaktart"], "contact_type", required=True
            )
            batch.require(frame["Datum"], "occurred_at: no date")
            text = frame["Text"].map(normalise.plain_text, na_action="ignore")
            yield self.rows(
                batch,
                self.ids(frame["JournalID"]),
                {
                    "case_id": self.ids(frame["DossierID"]),
                    "occurred_at": frame["Datum"],
                    "staff_id": self.ref_ids(
                        frame["MitarbeiterID"], self.staff_ids, batch, "staff_id"
                    ),
                    "contact_type": contact,
                    "duration_minutes": frame["DauerMin"],
                    "subject": frame["Betreff"],
                    "text": text,
                },
            )

    def measures(self) -> Iterator[Chunk]:
        """tblMassnahme: the article required, the mandate holder a checked reference."""
        for frame in self.read("tblMassnahme"):
            frame = self.with_parent(frame, "DossierID", self.changed_cases)
            batch = Batch("measures", "tblMassnahme", frame, frame["MassnahmeID"])
            batch.apply_status(
                lookup(frame["DossierID"], self.case_status),
                orphan_reason="the case does not exist",
            )
            batch.require(frame["Artikel"], "legal_basis: no article")
            yield self.rows(
                batch,
                self.ids(frame["MassnahmeID"]),
                {
                    "case_id": self.ids(frame["DossierID"]),
                    "legal_basis": normalise.names(frame["Artikel"]),
                    "started_on": legacy_dates(frame["Beginn"]),
                    "ended_on": legacy_dates(frame["Ende"]),
                    "mandate_holder_staff_id": self.ref_ids(
                        frame["MandatstraegerID"], self.staff_ids, batch, "mandate_holder_staff_id"
                    ),
                    "authority": frame["Behoerde"],
                },
            )


__all__ = ["KlibnetTables"]
