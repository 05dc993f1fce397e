"""Ids and statuses of a Tutoris export, never rows.

Persons come before cases in the file, but whether a person is excluded depends on
their cases (a person whose every case is past retention goes with them), and of two
`Person` elements with the same id the *later* one wins. So, while the export is read,
`SourceIndex.add` collects per record only what those decisions need (the staff ids,
the person ids with the position of their last element, per case its retention status
and its members' person ids); the rows read meanwhile wait, parked (`spill`), until the
whole file has been read. Memory holds id sets, whatever the file's size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from nffs_migration.extractors import normalise
from nffs_migration.extractors.frames import EXPIRED, LIVE

#: Status of a record that lost against a later element with the same key.
SUPERSEDED = 3


@lru_cache(maxsize=1 << 14)
def _closing_day(text: str) -> date | None:
    return normalise.text_date(text).value


def case_status(closed: str | None, cutoff: date) -> int:
    """`EXPIRED` for a case closed before the retention cut-off, else `LIVE`.

    A closing date that cannot be read keeps the case (it is reported in the second pass).
    """
    day = _closing_day(closed) if closed else None
    return EXPIRED if day is not None and day < cutoff else LIVE


@dataclass
class SourceIndex:
    """What the second pass needs to know before it reads a record."""

    cutoff: date
    staff: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    #: Ordinal (from 1) of the last `Person` element, for ids that occur more than once.
    last_person: dict[str, int] = field(default_factory=dict)
    #: Ordinal of the last `Fall` element, for case numbers that occur more than once.
    last_case: dict[str, int] = field(default_factory=dict)
    #: Person ids named by a member of any case, and of a case within retention.
    in_case: set[str] = field(default_factory=set)
    in_live_case: set[str] = field(default_factory=set)
    #: Elements read per tag (records and the documents they list).
    counts: Counter[str] = field(default_factory=Counter)
    _cases: set[str] = field(default_factory=set, repr=False)

    def person_status(self, person: str) -> int:
        """`EXPIRED` when every case of the person is past retention (none: `LIVE`)."""
        if person in self.in_case and person not in self.in_live_case:
            return EXPIRED
        return LIVE

    def superseded_person(self, person: str, ordinal: int) -> bool:
        """True for a `Person` element that a later one with the same id replaces."""
        last = self.last_person.get(person)
        return last is not None and last != ordinal

    def superseded_case(self, number: str, ordinal: int) -> bool:
        """True for a `Fall` element that a later one with the same number replaces."""
        last = self.last_case.get(number)
        return last is not None and last != ordinal

    def add(self, element: Any) -> None:
        """Note the ids and statuses of one record element (`MA`, `Person` or `Fall`)."""
        tag = element.tag
        counts = self.counts
        counts[tag] += 1
        if tag == "Fall":
            self._note_case(element.get("nr") or "")
            live = case_status(element.get("abgeschlossen"), self.cutoff) == LIVE
            for member in element.iterchildren("Mitglied"):
                person = member.get("person") or ""
                self.in_case.add(person)
                if live:
                    self.in_live_case.add(person)
            documents = element.find("Dokumente")
            if documents is not None:
                counts["Dokument"] += sum(1 for _ in documents.iterchildren("Dokument"))
        elif tag == "Person":
            self._note_person(element.get("id") or "")
        elif element.get("id"):
            self.staff.add(element.get("id"))

    def _note_person(self, person: str) -> None:
        """The `Person` element just counted: note its id (the later of two wins)."""
        if person in self.persons:
            self.last_person[person] = self.counts["Person"]
        if person:
            self.persons.add(person)

    def _note_case(self, number: str) -> None:
        """The `Fall` element just counted: note its number (the later of two wins)."""
        if number in self._cases:
            self.last_case[number] = self.counts["Fall"]
        if number:
            self._cases.add(number)

    def extend(self, later: SourceIndex, persons: list[str], cases: list[str]) -> None:
        """Take in the index of the part of the export that follows this one's.

        `persons` and `cases` are that part's `Person` ids and `Fall` numbers in file
        order: noted after this part's own, they give the positions and the later-wins
        choices that one reading of the whole file gives.
        """
        counts = self.counts
        for person in persons:
            counts["Person"] += 1
            self._note_person(person)
        for number in cases:
            counts["Fall"] += 1
            self._note_case(number)
        for tag, count in later.counts.items():
            if tag not in ("Person", "Fall"):
                counts[tag] += count
        self.staff |= later.staff
        self.in_case |= later.in_case
        self.in_live_case |= later.in_live_case


__all__ = ["SUPERSEDED", "SourceIndex", "case_status"]
