"""The second pass's reading: each Tutoris record element into raw rows per table.

`Collector` turns one `MA`, `Person` or `Fall` element into raw texts (in the field
order of `FIELDS`), kept column by column per intermediate table, with the source keys of the
Conventions (`P-10023/address/2`, `2020-0456/budget/3/pos/2`, `2020-0456/member/P-10023`)
and the status that decides exclusion (`LIVE`, `EXPIRED` by retention, `SUPERSEDED` for
an element that a later one with the same key replaces). Children inherit the status of
the record they hang on. Converting the texts is the table builders' job.
"""

from __future__ import annotations

from operator import attrgetter, methodcaller
from typing import Any

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

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
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
        self.persons_read = 0
        self.cases_read = 0

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
        self.persons_read += 1
        index = self.index
        person = element.get("id") or ""
        status = index.person_status(person)
        superseded = index.superseded_person(person, self.persons_read)
        winner = person in index.last_person and not superseded
        if status == LIVE and superseded:
            status = SUPERSEDED
        if not person:
            status = MISSING  # rejected for want of an id: its addresses have no parent
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
        self.cases_read += 1
        get = fall.get
        nr = get("nr") or ""
        closed = get("abgeschlossen")
        status = case_status(closed, self.index.cutoff)
        superseded = self.index.superseded_case(nr, self.cases_read)
        winner = nr in self.index.last_case and not superseded
        if status == LIVE and superseded:
            status = SUPERSEDED
        if not nr:
            status = MISSING  # rejected for want of a number: what it holds has no parent
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


__all__ = ["FIELDS", "TABLE_ORDER", "Collector"]
