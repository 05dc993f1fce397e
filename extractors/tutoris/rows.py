"""Reading the export: each Tutoris record element into raw rows per table.

`Collector` turns one `MA`, `Person` or `Fall` element into raw texts (in the field
order of `FIELDS`), kept column by column per intermediate table, with the source keys of the
Conventions (`P-10023/address/2`, `2020-0456/budget/3/pos/2`, `2020-0456/member/P-10023`).
In place of the status that decides exclusion, a row holds the position of its record
(children that of the record they hang on): the status (`LIVE`, `EXPIRED` by retention,
`SUPERSEDED` for an element that a later one with the same key replaces) is known only
when the whole file has been read, and `Statuses.resolve` puts it in then. Converting
the texts is the table builders' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np

from nffs_migration.extractors.frames import LIVE, MISSING
from nffs_migration.extractors.tutoris.index import SUPERSEDED, SourceIndex, case_status

#: Per intermediate table: the element it is read from and the fields of its raw rows.
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "staff": ("MA", ("key", "kuerzel", "name", "vorname", "rolle", "aktiv")),
    "persons": (
        "Person",
        (
            "key",
            "status",
            "winner",
            "Name",
            "Vorname",
            "GebDat",
            "Geschlecht",
            "SozVersNr",
            "Zivilstand",
            "Nationalitaet",
            "Bewilligung",
        ),
    ),
    "addresses": ("Adresse", ("key", "parent", "status", "von", "bis", "line")),
    "cases": (
        "Fall",
        (
            "key",
            "status",
            "winner",
            "typ",
            "eroeffnet",
            "abgeschlossen",
            "abschlussgrund",
            "fallfuehrung",
            "segment",
        ),
    ),
    "case_members": ("Mitglied", ("key", "parent", "status", "person", "rolle", "repeated")),
    "budgets": ("Budget", ("key", "parent", "status", "von", "bis", "state")),
    "budget_items": ("Pos", ("key", "parent", "status", "code", "art", "betrag")),
    "payments": (
        "Zahlung",
        ("key", "parent", "status", "valuta", "betrag", "kategorie", "storno", "recipient"),
    ),
    "journal_entries": (
        "Eintrag",
        ("key", "parent", "status", "datum", "ma", "typ", "dauer", "subject", "text"),
    ),
    "measures": ("Massnahme", ("key", "parent", "status", "artikel", "beginn", "ende", "behoerde")),
    "documents": ("Dokument", ("key", "parent", "status", "datei", "titel", "typ", "datum")),
}
#: The order in which tables are finished at the end of the file (parents first).
TABLE_ORDER = tuple(FIELDS)
_PERSON_FIELDS = FIELDS["persons"][1][3:]
# Attribute and text readers applied with `map`, so that the many children of a case
# (budget positions, payments, journal entries) are read without a Python loop each.
_ID, _CODE, _ART, _BETRAG = (methodcaller("get", name) for name in ("id", "code", "art", "betrag"))
_VALUTA, _KATEGORIE, _STORNO = (
    methodcaller("get", name) for name in ("valuta", "kategorie", "storno")
)
_DATUM, _MA, _TYP, _DAUER = (methodcaller("get", name) for name in ("datum", "ma", "typ", "dauer"))
_TEXT = attrgetter("text")


def _child_text(element: Any, tag: str) -> str | None:
    """`element.findtext(tag)` for a plain tag name, without ElementPath's overhead."""
    for child in element.iterchildren(tag):
        return child.text or ""
    return None


class Collector:
    """Raw columns of the records read so far, per table, until the extractor takes them.

    Rows are kept column by column (a list per field): lists of strings give the garbage
    collector nothing to scan, where a tuple per row would be looked at again and again.
    """

    def __init__(self, cutoff: date) -> None:
        self.cutoff = cutoff
        self.columns: dict[str, tuple[list[Any], ...]] = {
            name: tuple([] for _ in fields) for name, (_, fields) in FIELDS.items()
        }
        self._append = {
            name: tuple(column.append for column in columns)
            for name, columns in self.columns.items()
        }
        self._extend = {
            name: tuple(column.extend for column in columns)
            for name, columns in self.columns.items()
        }
        #: Per `Person` element read, its id; per `Fall`, its number and retention status.
        self.person_ids: list[str] = []
        self.case_numbers: list[str] = []
        self.case_retention: list[int] = []

    def pending(self, table: str) -> int:
        """Rows of `table` read and not yet taken."""
        return len(self.columns[table][0])

    def take(self, table: str, rows: int | None = None) -> list[list[Any]]:
        """The first `rows` rows of a table (all by default), column by column."""
        part = []
        for column in self.columns[table]:
            part.append(column[:rows] if rows is not None else column[:])
            del column[: len(part[-1])]
        return part

    def add(self, element: Any) -> None:
        """Read one record element (`MA`, `Person` or `Fall`)."""
        tag = element.tag
        if tag == "Fall":
            self.case(element)
        elif tag == "Person":
            self.person(element)
        elif tag == "MA":
            get = element.get
            key, short, family, given, role, active = self._append["staff"]
            key(get("id") or "")
            short(get("kuerzel"))
            family(get("name"))
            given(get("vorname"))
            role(get("rolle"))
            active(get("aktiv"))

    def person(self, element: Any) -> None:
        """A `Person` and its `Adresse` lines."""
        person = element.get("id") or ""
        status = winner = len(self.person_ids)  # the record's status is decided at the end
        self.person_ids.append(person)
        values: dict[str, str | None] = {}
        key, parent, state, start, end, line = self._append["addresses"]
        for child in element:
            tag = child.tag
            if tag == "Adressen":
                for position, address in enumerate(child.iterchildren("Adresse"), 1):
                    key(f"{person}/address/{position}")
                    parent(person)
                    state(status)
                    start(address.get("von"))
                    end(address.get("bis"))
                    line(address.text)
            else:
                values[tag] = child.text
        row: tuple[Any, ...] = (person, status, winner)
        row += tuple(values.get(name) for name in _PERSON_FIELDS)
        for append, value in zip(self._append["persons"], row, strict=True):
            append(value)

    def case(self, fall: Any) -> None:
        """A `Fall` with everything in it."""
        get = fall.get
        nr = get("nr") or ""
        closed = get("abgeschlossen")
        status = winner = len(self.case_numbers)  # the record's status is decided at the end
        self.case_numbers.append(nr)
        self.case_retention.append(case_status(closed, self.cutoff))
        row: tuple[Any, ...] = (nr, status, winner, get("typ"), get("eroeffnet"), closed)
        row += (get("abschlussgrund"), get("fallfuehrung"), get("segment"))
        for append, value in zip(self._append["cases"], row, strict=True):
            append(value)
        members: set[str] = set()
        budgets = measures = 0
        for child in fall:
            tag = child.tag
            if tag == "Mitglied":
                person = child.get("person") or ""
                row = (f"{nr}/member/{person}", nr, status, person, child.get("rolle"))
                for append, value in zip(
                    self._append["case_members"], (*row, person in members), strict=True
                ):
                    append(value)
                members.add(person)
            elif tag == "Budgets":
                for budget in child.iterchildren("Budget"):
                    budgets += 1
                    self._budget(nr, status, budget, budgets)
            elif tag == "Zahlungen":
                self._payments(nr, status, child)
            elif tag == "Journal":
                self._journal(nr, status, child)
            elif tag == "Massnahmen":
                for measure in child.iterchildren("Massnahme"):
                    measures += 1
                    at = measure.get
                    row = (f"{nr}/measure/{measures}", nr, status, at("artikel"), at("beginn"))
                    row += (at("ende"), at("behoerde"))
                    for append, value in zip(self._append["measures"], row, strict=True):
                        append(value)
            elif tag == "Dokumente":
                for document in child.iterchildren("Dokument"):
                    at = document.get
                    row = (at("id") or "", nr, status, at("datei"), at("titel"), at("typ"))
                    for append, value in zip(
                        self._append["documents"], (*row, at("datum")), strict=True
                    ):
                        append(value)

    def _budget(self, nr: str, status: int, budget: Any, number: int) -> None:
        budget_key = f"{nr}/budget/{number}"
        get = budget.get
        row: tuple[Any, ...] = (budget_key, nr, status, get("von"), get("bis"), get("status"))
        for append, value in zip(self._append["budgets"], row, strict=True):
            append(value)
        items = budget.findall("Pos")
        if not items:
            return
        count = len(items)
        key, parent, state, code, kind, amount = self._extend["budget_items"]
        key([f"{budget_key}/pos/{position}" for position in range(1, count + 1)])
        parent([budget_key] * count)
        state([status] * count)
        code(map(_CODE, items))
        kind(map(_ART, items))
        amount(map(_BETRAG, items))

    def _payments(self, nr: str, status: int, container: Any) -> None:
        items = container.findall("Zahlung")
        if not items:
            return
        count = len(items)
        key, parent, state, day, amount, category, storno, recipient = self._extend["payments"]
        key([at or "" for at in map(_ID, items)])
        parent([nr] * count)
        state([status] * count)
        day(map(_VALUTA, items))
        amount(map(_BETRAG, items))
        category(map(_KATEGORIE, items))
        storno(map(_STORNO, items))
        recipient(map(_TEXT, items))

    def _journal(self, nr: str, status: int, container: Any) -> None:
        items = container.findall("Eintrag")
        if not items:
            return
        count = len(items)
        key, parent, state, moment, staff, kind, duration, subject, text = self._extend[
            "journal_entries"
        ]
        key([at or "" for at in map(_ID, items)])
        parent([nr] * count)
        state([status] * count)
        moment(map(_DATUM, items))
        staff(map(_MA, items))
        kind(map(_TYP, items))
        duration(map(_DAUER, items))
        subject([_child_text(entry, "Betreff") for entry in items])
        text([_child_text(entry, "Text") for entry in items])

    def statuses(self, index: SourceIndex) -> Statuses:
        """Each record's status and winner flag, once the whole export has been read.

        `LIVE`, `EXPIRED` (by retention; a person with every case of theirs), `SUPERSEDED`
        for an element that a later one with the same key replaces, `MISSING` without key.
        """
        persons = [index.person_status(person) for person in self.person_ids]
        cases = self.case_retention
        status = {"person": persons, "case": list(cases)}
        winner: dict[str, list[bool]] = {"person": [], "case": []}
        for kind, keys, last, superseded in (
            ("person", self.person_ids, index.last_person, index.superseded_person),
            ("case", self.case_numbers, index.last_case, index.superseded_case),
        ):
            states, winners = status[kind], winner[kind]
            for position, key in enumerate(keys):
                replaced = superseded(key, position + 1)
                winners.append(key in last and not replaced)
                if states[position] == LIVE and replaced:
                    states[position] = SUPERSEDED
                if not key:
                    states[position] = MISSING  # rejected for want of a key, with its children
        return Statuses(
            {kind: np.asarray(values, dtype=np.int8) for kind, values in status.items()},
            {kind: np.asarray(values, dtype=bool) for kind, values in winner.items()},
        )


#: The record whose status a table's rows take: their own, or the one they hang on.
RECORD_OF = {
    table: "person" if table in ("persons", "addresses") else "case"
    for table in TABLE_ORDER
    if table != "staff"
}


@dataclass(frozen=True)
class Statuses:
    """Per kind of record (`person`, `case`), the status and winner flag by position."""

    status: dict[str, np.ndarray]
    winner: dict[str, np.ndarray]

    def resolve(self, table: str, columns: list[Any]) -> list[Any]:
        """A chunk's columns with the records' positions turned into statuses and flags."""
        kind = RECORD_OF.get(table)
        if kind is None:
            return columns
        fields = FIELDS[table][1]
        resolved = list(columns)
        at = fields.index("status")
        owners = np.asarray(columns[at], dtype=np.intp)
        resolved[at] = self.status[kind][owners]
        if "winner" in fields:
            resolved[fields.index("winner")] = self.winner[kind][owners]
        return resolved


__all__ = ["FIELDS", "RECORD_OF", "TABLE_ORDER", "Collector", "Statuses"]
