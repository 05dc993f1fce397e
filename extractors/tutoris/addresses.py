"""The Tutoris address line (`Bahnhofstrasse 12, 3600 Thun`) split into the format's parts.

Tutoris keeps an address as one line of text: `<street> <number>, <postal code> <town>`.
The last comma separates the street part from the place; the place is a 4- or 5-digit
postal code and the town; a trailing number (`12`, `78c`, `12-14`, `5/7`) in the street
part is the house number. A line that does not have this shape is kept whole in
`street` (blanks collapsed) with the other parts null, never guessed and never cut:
the parts always put the line's text back together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_PLACE = re.compile(r"(?P<postal>[0-9]{4,5}) (?P<town>\S.*)")
_HOUSE = re.compile(
    r"(?P<street>.*?\S) (?P<number>[0-9]+ ?[A-Za-z]?(?: ?[-/] ?[0-9]+ ?[A-Za-z]?)?)"
)


@dataclass(frozen=True)
class AddressLine:
    """The parts of an address line; all null for an empty line."""

    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    town: str | None = None


@lru_cache(maxsize=1 << 16)  # household members share their address lines
def parse_address(line: str | None) -> AddressLine:
    """Split `Bahnhofstrasse 12, 3600 Thun`; an unusual line goes whole into `street`.

    No line (None, or a missing value such as `pd.NA` from an empty `<Adresse/>`) is an
    address without parts.
    """
    if not isinstance(line, str):
        return AddressLine()
    text = " ".join(line.split())
    if not text:
        return AddressLine()
    left, comma, right = text.rpartition(",")
    left, right = left.strip(), right.strip()
    place = _PLACE.fullmatch(right) if comma else None
    if place is None or not left:
        return AddressLine(street=text)
    house = _HOUSE.fullmatch(left)
    street, number = (house["street"], house["number"]) if house else (left, None)
    return AddressLine(street, number, place["postal"], place["town"])


__all__ = ["AddressLine", "parse_address"]
