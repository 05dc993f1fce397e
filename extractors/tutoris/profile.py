"""The profile of a Tutoris export: element counts, fill rates, code frequencies, date ranges.

One streaming pass over the export (through the safe reader). Per element type: how
many there are; per attribute or child field: how often it is filled; for code fields
the frequency of each value (a value seen fewer than `MIN_CELL` times is only counted);
for dates the range, to the month. Names, AHV numbers, addresses and texts are counted,
never shown.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import ColumnProfile, TableProfile
from nffs_migration.extractors.database import MIN_CELL
from nffs_migration.extractors.tutoris.source import records

#: Per element: its fields (attributes, or `Tag` children for `Person` and `Eintrag`)
#: with their kind: `code` (frequencies shown), `date`, `datetime`, `money` or `str`.
ELEMENTS: dict[str, dict[str, str]] = {
    "MA": {"id": "str", "kuerzel": "str", "name": "str", "vorname": "str", "rolle": "code"}
    | {"aktiv": "code"},
    "Person": {"id": "str", "Name": "str", "Vorname": "str", "GebDat": "date"}
    | {"Geschlecht": "code", "SozVersNr": "str", "Zivilstand": "code"}
    | {"Nationalitaet": "code", "Bewilligung": "code"},
    "Adresse": {"von": "date", "bis": "date", "text": "str"},
    "Fall": {"nr": "str", "typ": "code", "eroeffnet": "date", "abgeschlossen": "date"}
    | {"abschlussgrund": "code", "fallfuehrung": "str", "segment": "code"},
    "Mitglied": {"person": "str", "rolle": "code"},
    "Budget": {"von": "date", "bis": "date", "status": "code"},
    "Pos": {"code": "code", "art": "code", "betrag": "money"},
    "Zahlung": {"id": "str", "valuta": "date", "betrag": "money", "kategorie": "code"}
    | {"storno": "code", "text": "str"},
    "Eintrag": {"id": "str", "datum": "datetime", "ma": "str", "typ": "code", "dauer": "str"}
    | {"Betreff": "str", "Text": "str"},
    "Massnahme": {"artikel": "code", "beginn": "date", "ende": "date", "behoerde": "code"},
    "Dokument": {"id": "str", "datei": "str", "titel": "str", "typ": "code", "datum": "date"}
    | {"sha1": "str"},
}
#: Elements whose fields are child elements rather than attributes.
_CHILD_FIELDS = {"Person", "Eintrag"}


@lru_cache(maxsize=1 << 14)
def _month(text: str) -> str | None:
    value = normalise.text_date(text[:10]).value
    return None if value is None or value == date.min else value.isoformat()[:7]


class _Tally:
    def __init__(self) -> None:
        self.rows: Counter[str] = Counter()
        self.filled: dict[str, Counter[str]] = {name: Counter() for name in ELEMENTS}
        self.codes: dict[tuple[str, str], Counter[str]] = {}
        self.low: dict[tuple[str, str], str] = {}
        self.high: dict[tuple[str, str], str] = {}

    def add(self, tag: str, values: dict[str, Any]) -> None:
        self.rows[tag] += 1
        filled = self.filled[tag]
        for name, kind in ELEMENTS[tag].items():
            value = values.get(name)
            if value is None or not str(value).strip():
                continue
            filled[name] += 1
            if kind == "code":
                self.codes.setdefault((tag, name), Counter())[str(value).strip()] += 1
            elif kind in ("date", "datetime"):
                month = _month(str(value).strip())
                if month is not None:
                    key = (tag, name)
                    self.low[key] = min(self.low.get(key, month), month)
                    self.high[key] = max(self.high.get(key, month), month)

    def element(self, tag: str, element: Any) -> None:
        if tag in _CHILD_FIELDS:
            values = {child.tag: child.text for child in element if child.tag in ELEMENTS[tag]}
            values["id"] = element.get("id")
        else:
            values = dict(element.attrib)
            values["text"] = element.text
        self.add(tag, values)

    def tables(self) -> list[TableProfile]:
        result = []
        for tag, fields in ELEMENTS.items():
            columns = []
            for name, kind in fields.items():
                key = (tag, name)
                frequencies = None
                distinct = None
                if kind == "code":
                    counts = self.codes.get(key, Counter())
                    distinct = len(counts)
                    frequencies = {v: c for v, c in sorted(counts.items()) if c >= MIN_CELL}
                    rare = sum(c for c in counts.values() if c < MIN_CELL)
                    if rare:
                        frequencies[f"(values seen fewer than {MIN_CELL} times)"] = rare
                columns.append(
                    ColumnProfile(
                        name=name,
                        type="str" if kind == "code" else kind,
                        filled=self.filled[tag][name],
                        distinct=distinct,
                        frequencies=frequencies,
                        minimum=self.low.get(key),
                        maximum=self.high.get(key),
                    )
                )
            result.append(TableProfile(name=tag, rows=self.rows[tag], columns=columns))
        return result


def profile_export(path: Path) -> list[TableProfile]:
    """Profile every element type of the export in one streaming pass."""
    tally = _Tally()
    for element in records(path):
        tag = element.tag
        tally.element(tag, element)
        if tag == "Person":
            for address in element.iterfind("Adressen/Adresse"):
                tally.element("Adresse", address)
        elif tag == "Fall":
            for child in element.iter(
                "Mitglied", "Budget", "Pos", "Zahlung", "Eintrag", "Massnahme", "Dokument"
            ):
                tally.element(child.tag, child)
    return tally.tables()


__all__ = ["ELEMENTS", "profile_export"]
