"""Raw Tutoris rows into intermediate chunks, one builder per table.

Each builder takes the raw rows of one chunk (see `rows.FIELDS`), decides in the order
of the framework's policy (exclusion by the parent's status, then rejects, then
normalisation with findings) and returns the `Chunk`. Findings are collected while the
columns are converted and attached at the end to the records that are still kept, so
a rejected record carries no finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.frames import LIVE, MISSING, Batch
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.extractors.tutoris import columns as col
from nffs_migration.extractors.tutoris.addresses import parse_address
from nffs_migration.extractors.tutoris.index import SUPERSEDED, SourceIndex
from nffs_migration.extractors.tutoris.rows import FIELDS

SYSTEM = "tutoris"
_FLAGS = {"winner", "repeated"}
#: Raw rows of one chunk, column by column in the order of `rows.FIELDS`: texts as
#: lists or Arrow arrays, statuses and flags as lists or NumPy arrays.
Columns = list[Any]


class Work:
    """One chunk in the making: the batch, its raw columns and the findings pending."""

    def __init__(self, ctx: ExtractContext, table: str, columns: Columns | None = None) -> None:
        self.ctx = ctx
        source_table, fields = FIELDS[table]
        values = columns if columns is not None else [[] for _ in fields]
        self.raw: dict[str, Any] = {}
        for name, column in zip(fields, values, strict=True):
            if name == "status":
                self.raw[name] = np.asarray(column, dtype=np.int8)
            elif name in _FLAGS:
                self.raw[name] = np.asarray(column, dtype=bool)
            else:
                self.raw[name] = col.text(column)
        texts = {k: v for k, v in self.raw.items() if isinstance(v, pd.Series)}
        self.batch = Batch(table, source_table, pd.DataFrame(texts), self.raw["key"])
        self.pending: list[tuple[str, np.ndarray, str, str | None]] = []

    def __getitem__(self, name: str) -> Any:
        return self.raw[name]

    @property
    def keys(self) -> pd.Series:
        """The records' source keys."""
        return self.batch.keys

    def ids(self, keys: pd.Series) -> pd.Series:
        """Record ids for a column of source keys (null stays null)."""
        return self.ctx.record_ids(keys)

    def note(self, rule: str, mask: np.ndarray, field: str, message: str | None = None) -> None:
        """A finding for every record of `mask` that is still kept when the chunk is built."""
        if mask.any():
            self.pending.append((rule, mask, field, message))

    def exclude_by_status(self, reason: str) -> None:
        """Exclusion by the parent's status; superseded elements rejected as duplicates.

        An element without its key (`MISSING`) is rejected: a record as
        `missing-required` (below, `require_id`), what hangs on it as an orphan.
        """
        status = self.raw["status"]
        missing = status == MISSING
        if self.batch.table not in ("persons", "cases"):
            self.batch.apply_status(status, orphan_reason="the element it belongs to has no key")
        else:
            self.batch.apply_status(np.where(missing, LIVE, status).astype(np.int8))
        self.batch.reject(status == SUPERSEDED, "duplicate-key", reason)

    def require(self, mask: np.ndarray | pd.Series, reason: str) -> None:
        """Reject the records where `mask` is true: a required value is missing."""
        self.batch.reject(np.asarray(mask, dtype=bool), "missing-required", reason)

    def require_id(self) -> None:
        """Reject elements without their id attribute."""
        self.require((self.keys == "").to_numpy(), "the element has no id")

    def code(self, list_name: str, values: pd.Series, field: str, *, required: bool) -> pd.Series:
        """Map a code; unmapped: reject (required) or null with a finding (optional)."""
        mapped, missing = self.ctx.mapper.map_series(list_name, values)
        if required:
            self.batch.reject(
                missing.to_numpy() | mapped.isna().to_numpy(),
                "unmapped-code",
                f"{field}: no mapping covers the source code",
            )
        else:
            self.note(
                "unmapped-code",
                missing.to_numpy(),
                field,
                f"{field}: no mapping covers the source code ({list_name})",
            )
        return mapped

    def date(self, values: pd.Series, field: str) -> col.Dates:
        """Dates with findings for impossible and unreadable ones (then null)."""
        parsed = col.dates(values)
        self.note("date-impossible", parsed.impossible, field)
        self.note("date-format", parsed.unreadable, field)
        return parsed

    def repaired(self, values: pd.Series, field: str) -> pd.Series:
        """Text with mojibake repaired, and a finding per repaired field."""
        fixed, changed = col.repair_encoding(values)
        self.note("encoding-repaired", changed, field)
        return fixed

    def name(self, values: pd.Series, field: str) -> pd.Series:
        """A name: repaired, trimmed, blanks collapsed, empty null."""
        return normalise.names(self.repaired(values, field))

    def chunk(self, columns: dict[str, Any]) -> Chunk:
        """Attach the pending findings to the kept records and build the chunk."""
        batch = self.batch
        for rule, mask, field, message in self.pending:
            for key in batch.kept_keys(mask):
                batch.findings.append(self.ctx.finding(rule, batch.table, key, field, message))
        base = {
            f"{TABLE_ID[batch.table]}": self.ids(self.keys),
            "source_system": SYSTEM,
            "source_key": self.keys,
            "service_id": self.ctx.service_id,
        }
        return batch.chunk({**base, **columns})


#: The id column of each table.
TABLE_ID = {
    "staff": "staff_id",
    "persons": "person_id",
    "addresses": "address_id",
    "cases": "case_id",
    "case_members": "case_member_id",
    "budgets": "budget_id",
    "budget_items": "budget_item_id",
    "payments": "payment_id",
    "journal_entries": "journal_entry_id",
    "measures": "measure_id",
    "documents": "document_id",
}
PARENT = "the element it belongs to is replaced by a later one with the same key"


class Builders:
    """The table builders of one extraction."""

    def __init__(self, ctx: ExtractContext, index: SourceIndex, *, delta: bool) -> None:
        self.ctx = ctx
        self.index = index
        self.delta = delta
        # A delta export may leave staff out: references to them are kept as they are.
        self.check_staff = not (delta and index.counts["MA"] == 0)

    def staff_ref(self, work: Work, values: pd.Series, field: str) -> pd.Series:
        """Ids of referenced staff; one not in the export gives null and a finding."""
        keys = normalise.names(values)
        if not self.check_staff:
            return work.ids(keys)
        known = self.index.staff
        dangling = np.asarray([isinstance(k, str) and k not in known for k in keys.tolist()], bool)
        work.note("dangling-reference", dangling, field)
        return work.ids(keys.mask(dangling))

    def staff(self, columns: Columns) -> Chunk:
        """`MA` elements: staff with their role."""
        w = Work(self.ctx, "staff", columns)
        w.require_id()
        role = w.code("staff_role", w["rolle"], "role", required=True)
        return w.chunk(
            {
                "short_name": w.name(w["kuerzel"], "short_name"),
                "family_name": w.name(w["name"], "family_name"),
                "given_name": w.name(w["vorname"], "given_name"),
                "role": role,
                "active": col.flags(w["aktiv"]),
            }
        )

    def persons(self, columns: Columns) -> Chunk:
        """`Person` elements: excluded with their cases, the earlier of a duplicate rejected."""
        w = Work(self.ctx, "persons", columns)
        w.exclude_by_status("a later Person element has the same id; the later one wins")
        w.require_id()
        sex, unmapped = self.ctx.mapper.map_series("sex", w["Geschlecht"])
        sex = sex.fillna("3").mask(unmapped)  # none recorded is unknown; no code is guessed
        w.batch.reject(sex.isna().to_numpy(), "unmapped-code", "sex: no mapping covers the code")
        w.note(
            "duplicate-key",
            w["winner"],
            "person_id",
            "The person id occurs more than once in the export; the last element is migrated, "
            "the earlier ones are rejected.",
        )
        family = w.name(w["Name"], "family_name")
        caps = (family.str.len() > 1) & (family.str.upper() == family) & family.str.isalpha()
        w.note("name-all-caps", caps.fillna(False).to_numpy(dtype=bool), "family_name")
        ahv = normalise.ahv_column(w["SozVersNr"])
        w.note("ahvn13-check-digit", ahv.wrong_check_digit, "ahvn13")
        w.note("ahvn13-format", ahv.wrong_format, "ahvn13")
        birth = w.date(w["GebDat"], "birth_date")
        marital = w.repaired(w["Zivilstand"], "marital_status")
        nationality = w.repaired(w["Nationalitaet"], "nationality")
        return w.chunk(
            {
                "family_name": family,
                "given_name": w.name(w["Vorname"], "given_name"),
                "birth_date": birth.values,
                "birth_date_precision": birth.precision,
                "sex": sex,
                "ahvn13": ahv.ahvn13,
                "old_ahv_number": ahv.old,
                "marital_status": w.code(
                    "marital_status", marital, "marital_status", required=False
                ),
                "nationality": w.code("nationality", nationality, "nationality", required=False),
                "residence_permit": w.code(
                    "residence_permit", w["Bewilligung"], "residence_permit", required=False
                ),
            }
        )

    def addresses(self, columns: Columns) -> Chunk:
        """`Adresse` lines of a person, split into street, number, postal code and town."""
        w = Work(self.ctx, "addresses", columns)
        w.exclude_by_status(PARENT)
        lines = w["line"].to_numpy(dtype=object, na_value=None)  # an empty <Adresse/> is null
        parts = [parse_address(line) for line in lines]
        street = col.text([p.street for p in parts])
        town = col.text([p.town for p in parts])
        return w.chunk(
            {
                "person_id": w.ids(w["parent"]),
                "street": w.repaired(street, "street"),
                "house_number": col.text([p.house_number for p in parts]),
                "postal_code": col.text([p.postal_code for p in parts]),
                "town": w.repaired(town, "town"),
                "valid_from": w.date(w["von"], "valid_from").values,
                "valid_to": w.date(w["bis"], "valid_to").values,
            }
        )

    def cases(self, columns: Columns) -> Chunk:
        """`Fall` elements: past retention excluded; domain and opening date required."""
        w = Work(self.ctx, "cases", columns)
        w.exclude_by_status("a later Fall element has the same number; the later one wins")
        w.require_id()
        domain = w.code("domain", w["typ"], "domain", required=True)
        opened = w.date(w["eroeffnet"], "opened_on")
        w.require(opened.values.isna().to_numpy(), "opened_on: no opening date in the source")
        w.note(
            "duplicate-key",
            w["winner"],
            "case_id",
            "The case number occurs more than once in the export; the last element is migrated, "
            "the earlier ones are rejected.",
        )
        return w.chunk(
            {
                "case_number": w.keys,
                "domain": domain,
                "opened_on": opened.values,
                "closed_on": w.date(w["abgeschlossen"], "closed_on").values,
                "closing_reason": w.code(
                    "closing_reason", w["abschlussgrund"], "closing_reason", required=False
                ),
                "responsible_staff_id": self.staff_ref(
                    w, w["fallfuehrung"], "responsible_staff_id"
                ),
                "segment": w.code("segment", w["segment"], "segment", required=False),
            }
        )

    def case_members(self, columns: Columns) -> Chunk:
        """`Mitglied` elements: a person not in the export is a dangling reference."""
        w = Work(self.ctx, "case_members", columns)
        w.exclude_by_status(PARENT)
        persons = w["person"]
        if not self.delta:  # a delta's members may name persons of an earlier batch
            known = self.index.persons
            absent = np.asarray([p not in known for p in persons.tolist()], dtype=bool)
            w.batch.reject(absent, "dangling-reference", "the person is not in the export")
        w.batch.reject(w["repeated"], "duplicate-key", "the person is listed twice in the case")
        role = w.code("member_role", w["rolle"], "role", required=True)
        return w.chunk({"case_id": w.ids(w["parent"]), "person_id": w.ids(persons), "role": role})

    def budgets(self, columns: Columns) -> Chunk:
        """`Budget` elements of a case, keyed by their position in it."""
        w = Work(self.ctx, "budgets", columns)
        w.exclude_by_status(PARENT)
        status = w.code("budget_status", w["state"], "status", required=True)
        start = w.date(w["von"], "valid_from")
        w.require(start.values.isna().to_numpy(), "valid_from: no start date")
        return w.chunk(
            {
                "case_id": w.ids(w["parent"]),
                "valid_from": start.values,
                "valid_to": w.date(w["bis"], "valid_to").values,
                "status": status,
            }
        )

    def budget_items(self, columns: Columns) -> Chunk:
        """`Pos` elements of a budget: position, kind and Swiss amount required."""
        w = Work(self.ctx, "budget_items", columns)
        w.exclude_by_status(PARENT)
        position = w.code("budget_position", w["code"], "position", required=True)
        kind = w.code("item_kind", w["art"], "kind", required=True)
        amount, _ = col.amounts(w["betrag"])
        w.require(amount.isna().to_numpy(), "amount_chf: no amount, or not an amount")
        return w.chunk(
            {
                "budget_id": w.ids(w["parent"]),
                "position": position,
                "kind": kind,
                "amount_chf": amount,
            }
        )

    def payments(self, columns: Columns) -> Chunk:
        """`Zahlung` elements: the cancellation flag gives paid or reversed."""
        w = Work(self.ctx, "payments", columns)
        w.exclude_by_status(PARENT)
        w.require_id()
        storno = w["storno"].fillna("0").replace("", "0")  # no flag: not cancelled
        status = w.code("payment_status", storno, "status", required=True)
        amount, _ = col.amounts(w["betrag"])
        value_date = w.date(w["valuta"], "value_date")
        w.require(
            (amount.isna() | value_date.values.isna()).to_numpy(),
            "amount_chf or value_date missing or unreadable",
        )
        return w.chunk(
            {
                "case_id": w.ids(w["parent"]),
                "value_date": value_date.values,
                "amount_chf": amount,
                "category": w.code("payment_category", w["kategorie"], "category", required=False),
                "recipient": w.name(w["recipient"], "recipient"),
                "status": status,
            }
        )

    def journal_entries(self, columns: Columns) -> Chunk:
        """`Eintrag` elements: time, staff, contact type, duration and texts."""
        w = Work(self.ctx, "journal_entries", columns)
        w.exclude_by_status(PARENT)
        w.require_id()
        contact = w.code("contact_type", w["typ"], "contact_type", required=True)
        occurred, _ = col.timestamps(w["datum"])
        w.require(occurred.isna().to_numpy(), "occurred_at: no date, or not a date")
        minutes, unreadable = col.durations(w["dauer"])
        w.note("value-format", unreadable, "duration_minutes", "duration is not hh:mm; left empty")
        return w.chunk(
            {
                "case_id": w.ids(w["parent"]),
                "occurred_at": occurred,
                "staff_id": self.staff_ref(w, w["ma"], "staff_id"),
                "contact_type": contact,
                "duration_minutes": minutes,
                "subject": w.name(w["subject"], "subject"),
                "text": col.blank_to_null(w.repaired(w["text"], "text")),
            }
        )

    def measures(self, columns: Columns) -> Chunk:
        """`Massnahme` elements of a case, keyed by their position in it."""
        w = Work(self.ctx, "measures", columns)
        w.exclude_by_status(PARENT)
        basis = w.name(w["artikel"], "legal_basis")
        w.require(basis.isna().to_numpy(), "legal_basis: no article")
        return w.chunk(
            {
                "case_id": w.ids(w["parent"]),
                "legal_basis": basis,
                "started_on": w.date(w["beginn"], "started_on").values,
                "ended_on": w.date(w["ende"], "ended_on").values,
                "authority": w.name(w["behoerde"], "authority"),
            }
        )


__all__ = ["PARENT", "SYSTEM", "TABLE_ID", "Builders", "Work"]
