"""KiSS rows into the format's tables: one builder per table, parents before children.

Each service (`FaLeistung`) is a case; its file (`FaFall`) gives `file_number` and the
case number (`FallNr`, or `FallNr/FaLeistungID` when the file holds several services).
Decisions per chunk, in order:

1. exclusion by the parent (the status maps of `index.py`);
2. rejects: orphans, required codes that no mapping covers (a contact type, a
   service-specific budget position type), missing required values;
3. normalisation with findings: AHV numbers, optional codes that no mapping covers
   (null), references to staff that do not exist (null), durations in hours to minutes.

Households (`households.py`) and documents (`documents.py`) have builders of their own.
In a delta, budget positions travel with their budget and cases with their file.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.database_family import STRING
from nffs_migration.extractors.frames import Batch, lookup, present
from nffs_migration.extractors.kiss.documents import Documents
from nffs_migration.extractors.kiss.households import Households
from nffs_migration.extractors.kiss.index import KissRun, pattern_key, pick
from nffs_migration.extractors.normalise import legacy_dates


class KissTables(KissRun):
    """One extraction: the status maps, then each table in turn."""

    def chunks(self) -> Iterator[Chunk]:
        """Every table's chunks, parents before children."""
        self.load_status()
        yield from self.staff()
        yield from self.persons()
        yield from self.addresses()
        yield from self.cases()
        yield from Households(self).chunks()
        yield from self.budgets()
        yield from self.items()
        yield from self.payments()
        yield from self.journal()
        yield from Documents(self).chunks()
        # KiSS has no table for protection measures: `measures` stays empty.

    def staff(self) -> Iterator[Chunk]:
        """XUser: the role from the org unit's name (`staff_role`, `prefix*` patterns)."""
        units = self.db.read_all("XOrgUnit", {"OrgUnitID": "int", "ItemName": "str"})
        unit_names = dict(
            zip(
                units["OrgUnitID"].to_numpy(dtype=object),
                normalise.names(units["ItemName"]).to_numpy(dtype=object, na_value=None),
                strict=True,
            )
        )
        roles = self.mapper.tables.get("staff_role", {})
        for frame in self.read("XUser"):
            batch = Batch("staff", "XUser", frame, frame["UserID"])
            unit = frame["OrgUnitID"].to_numpy(dtype=object, na_value=None)
            keys = pd.Series([pattern_key(unit_names.get(u), roles) for u in unit], dtype=object)
            role = self.code(batch, "staff_role", keys, "role", required=True)
            yield self.rows(
                batch,
                self.ids(frame["UserID"]),
                {
                    "short_name": normalise.names(frame["LogonName"]),
                    "family_name": normalise.names(frame["LastName"]),
                    "given_name": normalise.names(frame["FirstName"]),
                    "role": role,
                    "active": ~frame["IsLocked"].fillna(False).astype(bool),
                },
            )

    def persons(self) -> Iterator[Chunk]:
        """BaPerson: sex required, AHV numbers checked, other codes optional."""
        for frame in self.read("BaPerson"):
            batch = Batch("persons", "BaPerson", frame, frame["BaPersonID"])
            batch.apply_status(lookup(frame["BaPersonID"], self.person_status))
            sex, sex_missing = self.mapper.map_series("sex", frame["GeschlechtCode"])
            sex = sex.fillna("3").mask(sex_missing)  # none recorded is unknown; never guessed
            batch.reject(
                sex.isna().to_numpy(), "unmapped-code", "sex: no mapping covers the source code"
            )
            family = normalise.names(frame["Name"])
            capitals = (
                (family.str.len() > 1) & (family.str.upper() == family) & family.str.isalpha()
            )
            for key in batch.kept_keys(capitals):
                batch.findings.append(
                    self.ctx.finding("name-all-caps", "persons", key, "family_name")
                )
            ahv = normalise.ahv_column(frame["AHVNummer"])
            old = normalise.ahv_column(frame["AltAHVNummer"])
            # The old-number field holds 11 digits; anything else there is left out.
            old_invalid = old.wrong_format | old.wrong_check_digit | old.ahvn13.notna().to_numpy()
            for rule, mask, field in (
                ("ahvn13-check-digit", ahv.wrong_check_digit, "ahvn13"),
                ("ahvn13-format", ahv.wrong_format, "ahvn13"),
                ("ahvn13-format", old_invalid, "old_ahv_number"),
            ):
                for key in batch.kept_keys(mask):
                    batch.findings.append(self.ctx.finding(rule, "persons", key, field))
            birth = legacy_dates(frame["Geburtsdatum"])
            yield self.rows(
                batch,
                self.ids(frame["BaPersonID"]),
                {
                    "family_name": family,
                    "given_name": normalise.names(frame["Vorname"]),
                    "birth_date": birth,
                    "birth_date_precision": pd.Series(np.where(birth.isna(), "unknown", "day")),
                    "sex": sex,
                    "ahvn13": ahv.ahvn13,
                    "old_ahv_number": old.old.fillna(ahv.old),
                    "marital_status": self.code(
                        batch,
                        "marital_status",
                        frame["ZivilstandCode"],
                        "marital_status",
                        required=False,
                    ),
                    "nationality": self.code(
                        batch,
                        "nationality",
                        frame["NationalitaetCode"],
                        "nationality",
                        required=False,
                    ),
                    "residence_permit": self.code(
                        batch,
                        "residence_permit",
                        frame["AufenthaltsstatusCode"],
                        "residence_permit",
                        required=False,
                    ),
                    "language": self.code(
                        batch, "language", frame["Sprache"], "language", required=False
                    ),
                    "death_date": legacy_dates(frame["Sterbedatum"]),
                },
            )

    def addresses(self) -> Iterator[Chunk]:
        """BaAdresse: with their person."""
        for frame in self.read("BaAdresse"):
            batch = Batch("addresses", "BaAdresse", frame, frame["BaAdresseID"])
            batch.apply_status(
                lookup(frame["BaPersonID"], self.person_status),
                orphan_reason="the person does not exist",
            )
            yield self.rows(
                batch,
                self.ids(frame["BaAdresseID"]),
                {
                    "person_id": self.ids(frame["BaPersonID"]),
                    "street": normalise.names(frame["Strasse"]),
                    "house_number": normalise.names(frame["HausNr"]),
                    "postal_code": normalise.names(frame["PLZ"]),
                    "town": normalise.names(frame["Ort"]),
                    "commune_number": frame["BfsGemeindeNr"],
                    "valid_from": legacy_dates(frame["DatumVon"]),
                    "valid_to": legacy_dates(frame["DatumBis"]),
                },
            )

    def cases(self) -> Iterator[Chunk]:
        """FaLeistung: a service is a case; its number from its file (FaFall)."""
        for frame in self.read("FaLeistung", changed=False):
            frame = self.with_parent(frame, "FaLeistungID", self.changed_services)
            if self.since is not None:
                self.track(frame)
            batch = Batch("cases", "FaLeistung", frame, frame["FaLeistungID"])
            batch.apply_status(lookup(frame["FaLeistungID"], self.case_status))
            file_id = frame["FaFallID"]
            batch.reject(
                ~present(file_id, self.file_numbers) | file_id.isna().to_numpy(),
                "orphan-record",
                "the file (FaFall) does not exist",
            )
            file_number = pick(self.file_numbers, file_id).astype(STRING)
            batch.require(file_number, "case_number: no FallNr")
            domain = self.code(batch, "domain", frame["FaProzessCode"], "domain", required=True)
            batch.require(frame["DatumVon"], "opened_on: no opening date in the source")
            shared = (pick(self.services_per_file, file_id).fillna(1).astype(int) > 1).to_numpy()
            own = file_number + "/" + frame["FaLeistungID"].astype("Int64").astype(STRING)
            yield self.rows(
                batch,
                self.ids(frame["FaLeistungID"]),
                {
                    "case_number": own.where(shared, file_number),
                    "domain": domain,
                    "opened_on": legacy_dates(frame["DatumVon"]),
                    "closed_on": legacy_dates(frame["DatumBis"]),
                    "closing_reason": self.code(
                        batch,
                        "closing_reason",
                        frame["FaAbschlussgrundCode"],
                        "closing_reason",
                        required=False,
                    ),
                    "responsible_staff_id": self.ref_ids(
                        frame["UserID"], self.staff_ids, batch, "responsible_staff_id"
                    ),
                    "segment": self.code(
                        batch, "segment", frame["Segment"], "segment", required=False
                    ),
                    "file_number": file_number,
                },
            )

    def budgets(self) -> Iterator[Chunk]:
        """BgBudget: one month of a financial plan."""
        for frame in self.read("BgBudget"):
            batch = Batch("budgets", "BgBudget", frame, frame["BgBudgetID"])
            plans = frame["BgFinanzplanID"]
            batch.apply_status(
                lookup(plans, self.plan_status),
                orphan_reason="the financial plan or its service does not exist",
            )
            status = self.code(
                batch, "budget_status", frame["BgBewilligungStatusCode"], "status", required=True
            )
            start, end, valid = month_bounds(frame["Jahr"], frame["Monat"])
            batch.reject(~valid, "missing-required", "valid_from: no valid Jahr/Monat")
            yield self.rows(
                batch,
                self.ids(frame["BgBudgetID"]),
                {
                    "case_id": self.ids(pick(self.plan_service, plans)),
                    "valid_from": start,
                    "valid_to": end,
                    "status": status,
                },
            )

    def items(self) -> Iterator[Chunk]:
        """BgPosition: the position and its kind from the position type (BgPositionsart)."""
        for frame in self.read("BgPosition"):
            frame = self.with_parent(frame, "BgBudgetID", self.changed_budgets)
            batch = Batch("budget_items", "BgPosition", frame, frame["BgPositionID"])
            batch.apply_status(
                lookup(frame["BgBudgetID"], self.budget_status),
                orphan_reason="the budget does not exist",
            )
            types = frame["BgPositionsartID"]
            batch.reject(
                ~present(types, self.position_types) | types.isna().to_numpy(),
                "dangling-reference",
                "position: the position type (BgPositionsart) does not exist",
            )
            position = self.code(
                batch,
                "budget_position",
                self.position_keys("budget_position", types),
                "position",
                required=True,
            )
            category = pick(self.position_types["BgKategorieCode"], types)
            kind = self.code(batch, "item_kind", category, "kind", required=True)
            batch.require(frame["Betrag"], "amount_chf: no amount")
            yield self.rows(
                batch,
                self.ids(frame["BgPositionID"]),
                {
                    "budget_id": self.ids(frame["BgBudgetID"]),
                    "position": position,
                    "kind": kind,
                    "amount_chf": frame["Betrag"],
                },
            )

    def payments(self) -> Iterator[Chunk]:
        """KbBuchung: the category from the position type, when it exists."""
        for frame in self.read("KbBuchung"):
            batch = Batch("payments", "KbBuchung", frame, frame["KbBuchungID"])
            batch.apply_status(
                lookup(frame["FaLeistungID"], self.case_status),
                orphan_reason="the service does not exist",
            )
            status = self.code(
                batch, "payment_status", frame["KbBuchungStatusCode"], "status", required=True
            )
            batch.require(
                [frame["Betrag"], frame["Valutadatum"]], "amount_chf or value_date missing"
            )
            types = frame["BgPositionsartID"]
            known = present(types, self.position_types)
            for key in batch.kept_keys(~known):
                batch.findings.append(
                    self.ctx.finding("dangling-reference", "payments", key, "category")
                )
            keys = self.position_keys("payment_category", types.mask(~known))
            yield self.rows(
                batch,
                self.ids(frame["KbBuchungID"]),
                {
                    "case_id": self.ids(frame["FaLeistungID"]),
                    "value_date": legacy_dates(frame["Valutadatum"]),
                    "amount_chf": frame["Betrag"],
                    "category": self.code(
                        batch, "payment_category", keys, "category", required=False
                    ),
                    "recipient": normalise.names(frame["Empfaenger"]),
                    "status": status,
                },
            )

    def journal(self) -> Iterator[Chunk]:
        """FaJournal: durations in hours to minutes, RTF texts to plain text."""
        for frame in self.read("FaJournal"):
            batch = Batch("journal_entries", "FaJournal", frame, frame["FaJournalID"])
            batch.apply_status(
                lookup(frame["FaLeistungID"], self.case_status),
                orphan_reason="the service does not exist",
            )
            contact = self.code(
                batch, "contact_type", frame["KontaktartCode"], "contact_type", required=True
            )
            batch.require(frame["DatumZeit"], "occurred_at: no date")
            yield self.rows(
                batch,
                self.ids(frame["FaJournalID"]),
                {
                    "case_id": self.ids(frame["FaLeistungID"]),
                    "occurred_at": frame["DatumZeit"],
                    "staff_id": self.ref_ids(frame["UserID"], self.staff_ids, batch, "staff_id"),
                    "contact_type": contact,
                    "duration_minutes": minutes(frame["DauerStd"]),
                    "subject": frame["Stichwort"],
                    "text": frame["Text"].map(normalise.plain_text, na_action="ignore"),
                },
            )


def month_bounds(years: pd.Series, months: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """First and last day of each budget month, and where `Jahr`/`Monat` make a month."""
    year = years.astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    month = months.astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    valid = (year >= 1900) & (year <= 9998) & (month >= 1) & (month <= 12)
    number = np.where(valid, (year - 1970) * 12 + month - 1, 0)
    first = number.astype("datetime64[M]").astype("datetime64[D]")
    last = (number + 1).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")
    kind = pd.ArrowDtype(pa.date32())
    start = pd.Series(pa.array(first, pa.date32()), dtype=kind).mask(~valid)
    end = pd.Series(pa.array(last, pa.date32()), dtype=kind).mask(~valid)
    return start, end, valid


def minutes(hours: pd.Series) -> pd.Series:
    """Decimal hours to whole minutes (`normalise.hours_to_minutes`, once per distinct value)."""
    values = hours.to_numpy(dtype=object, na_value=None)
    table = {value: normalise.hours_to_minutes(value) for value in set(values) if value is not None}
    return pd.Series([table.get(v) if v is not None else None for v in values], dtype="Int64")


__all__ = ["KissTables", "minutes", "month_bounds"]
