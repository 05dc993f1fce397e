"""The records of a service's population, its settings and the date and money helpers.

Plain data, independent of any legacy system: staff, persons with their addresses,
cases with members, budgets and items, payments, journal entries, measures and
documents, grouped by household (`Group`). `population.py` generates them, the renderers
(`klibnet`, `kiss`, `tutoris`, `custom`) write them in each system's tables, codes and
formats. Amounts are integers in centimes (`chf()` turns them into CHF).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from nffs_migration.sample_data import vocab

# --------------------------------------------------------------------------------------
# records


@dataclass(slots=True)
class Staff:
    no: int
    short_name: str
    family_name: str
    given_name: str
    role: str  # canonical staff_role
    active: bool
    org_unit: str


@dataclass(slots=True)
class Address:
    no: int
    street: str
    house_number: str
    postal_code: str
    town: str
    commune: int | None
    valid_from: date
    valid_to: date | None


@dataclass(slots=True)
class Person:
    no: int
    family_name: str
    given_name: str
    birth_date: date | None
    birth_precision: str  # day, year, unknown
    sex: str  # 1, 2, 3
    ahvn13: str | None
    old_ahv: str | None
    marital: str | None
    nationality: str
    permit: str | None
    language: str | None
    death_date: date | None
    created: datetime
    modified: datetime
    addresses: list[Address] = field(default_factory=list)
    ahv_valid: bool = True
    expired: bool = False


@dataclass(slots=True)
class Member:
    no: int
    person: int
    role: str  # lead, partner, child, other
    valid_from: date | None
    valid_to: date | None
    supported: bool = True


@dataclass(slots=True)
class Item:
    no: int
    position: str
    kind: str  # expense, income
    amount: int  # centimes


@dataclass(slots=True)
class Budget:
    no: int
    valid_from: date
    valid_to: date
    status: str  # draft, approved, archived
    modified: datetime
    items: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Payment:
    no: int
    value_date: date
    amount: int  # centimes
    category: str
    recipient: str
    status: str  # paid, reversed
    modified: datetime
    budget: int | None = None


@dataclass(slots=True)
class Journal:
    no: int
    occurred_at: datetime
    staff: int | None
    contact_type: str
    duration: int | None
    subject: str
    text: str
    modified: datetime


@dataclass(slots=True)
class Measure:
    no: int
    legal_basis: str
    started: date
    ended: date | None
    staff: int | None
    authority: str


@dataclass(slots=True)
class Document:
    no: int
    title: str
    doc_type: str
    created_at: datetime
    extension: str
    media_type: str
    content: bytes
    person: int | None = None  # attached to a person (where the system can say so)


@dataclass(slots=True)
class Case:
    no: int
    domain: str
    opened: date
    closed: date | None
    closing_reason: str | None
    staff: int | None
    segment: str | None
    segment_since: date | None
    seq_year: int
    seq_domain_year: int
    lead: int  # the person the case is about (kept even when the lead member is dropped)
    modified: datetime
    members: list[Member] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    journal: list[Journal] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    expired: bool = False


@dataclass(slots=True)
class Group:
    """A household group: its persons and all their cases."""

    no: int
    persons: list[Person]
    cases: list[Case]
    #: Records a renderer rejects: (table, record no) -> rule. Filled before counting.
    rejected: dict[tuple[str, int], str] = field(default_factory=dict)

    def person(self, no: int) -> Person:
        for person in self.persons:
            if person.no == no:
                return person
        raise KeyError(no)


class SourceKeys(Protocol):
    """How a system names records: the source keys that truth.json lists."""

    def person(self, group: Group, person: Person) -> str: ...
    def address(self, group: Group, person: Person, address: Address) -> str: ...
    def case(self, group: Group, case: Case) -> str: ...
    def budget(self, group: Group, case: Case, budget: Budget) -> str: ...
    def item(self, group: Group, case: Case, budget: Budget, item: Item) -> str: ...
    def journal(self, group: Group, case: Case, entry: Journal) -> str: ...


# --------------------------------------------------------------------------------------
# settings and helpers


@dataclass(frozen=True)
class Settings:
    """What to generate: how many cases, for which service, as of when, from which seed."""

    seed: int = 1
    cases: int = 100
    service_id: str = "0942"
    as_of: datetime = datetime(2026, 3, 14, 18, 22)  # noqa: DTZ001 - sources keep local time
    retention_years: int = 10
    history_years: int = 15
    #: Several services sharing people (`canton.IdentityPlan`); None for one service alone.
    identities: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def service(self) -> vocab.ServicePreset:
        return vocab.service_preset(self.service_id)

    @property
    def retention_cutoff(self) -> date:
        """Cases closed before this date are past retention."""
        return _years_before(self.as_of.date(), self.retention_years)

    @property
    def history_start(self) -> date:
        return _years_before(self.as_of.date(), self.history_years)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def month_start(day: date) -> date:
    """The first day of the month of `day`."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month of `day`."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def ahvn13_for(number: int) -> str:
    """A valid AHVN13, unique per person number (an affine permutation of 9 digits)."""
    body = f"{(number * 7_654_321 + 123_456_789) % 1_000_000_000:09d}"
    digits = [int(c) for c in "756" + body]
    total = sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return f"756{body}{(10 - total % 10) % 10}"


def weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    """One of the options, drawn with their weights."""
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


DOMAINS = (
    ("economic_aid", 70),
    ("maintenance_advance", 9),
    ("child_protection", 8),
    ("adult_protection", 8),
    ("asylum", 5),
)
CLOSING = (
    ("income", 30),
    ("social_insurance", 20),
    ("moved_away", 20),
    ("contact_lost", 10),
    ("other_authority", 8),
    ("death", 2),
    ("other", 10),
)
GBL_BY_SIZE = (0, 1061_00, 1624_00, 1975_00, 2268_00, 2560_00, 2852_00, 3144_00)
#: Gap in days between personal contacts per segment (always inside the rule's window).
CONTACT_GAPS = {"A": (20, 40), "B": (70, 110), "C": (120, 300), None: (30, 90)}
INTAKE_DAYS = 90
MEASURES = {
    "child_protection": ("ZGB 307", "ZGB 308", "ZGB 310", "ZGB 314b"),
    "adult_protection": ("ZGB 393", "ZGB 394", "ZGB 395", "ZGB 398"),
}


def age_at(born: date, at: date) -> int:
    """Age in whole years on a day."""
    return at.year - born.year - ((at.month, at.day) < (born.month, born.day))


def add_years(day: date, years: int) -> date:
    """The same day `years` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def chf(centimes: int) -> Decimal:
    """Centimes as a CHF decimal with two places."""
    return Decimal(centimes).scaleb(-2)


__all__ = [
    "CLOSING",
    "CONTACT_GAPS",
    "DOMAINS",
    "GBL_BY_SIZE",
    "INTAKE_DAYS",
    "MEASURES",
    "Address",
    "Budget",
    "Case",
    "Document",
    "Group",
    "Item",
    "Journal",
    "Measure",
    "Member",
    "Payment",
    "Person",
    "Settings",
    "SourceKeys",
    "Staff",
    "_years_before",
    "add_months",
    "add_years",
    "age_at",
    "ahvn13_for",
    "chf",
    "month_end",
    "month_start",
    "weighted",
]
