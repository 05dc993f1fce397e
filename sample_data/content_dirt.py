"""Dirt that concerns the content of a population, injected while it is generated.

A case without lead, a wrong AHV check digit, an overdue contact, a budget position
with a negative amount: decided by `Dirt` (seed, kind and source key only) and recorded
in the truth, with each system's source keys. Dirt that concerns the encoding (RTF,
`9999-12-31`, mojibake) is the renderers' job. `Population` calls `case_dirt` for each
case and `person_dirt` for each group.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from nffs_migration.sample_data.records import (
    Budget,
    Case,
    Group,
    Item,
    add_months,
    month_end,
    month_start,
)

if TYPE_CHECKING:
    from nffs_migration.sample_data.population import Population


def case_dirt(population: Population, rng: random.Random, group: Group, case: Case) -> None:
    """Dirt of a case's content: lead, staff, segment, reason, contacts, budgets, journal."""
    dirt, keys = population.dirt, population.keys
    if case.closed and case.closed < population.cutoff:
        return  # excluded records carry no dirt: exclusion comes first
    key = keys.case(group, case)
    open_aid = case.closed is None and case.domain == "economic_aid"
    if open_aid and dirt.roll("case-without-lead", key):
        for member in case.members:
            if member.role == "lead":
                dirt.truth.repair(
                    "case-without-lead",
                    key,
                    person=member.person,
                    valid_from=member.valid_from.isoformat() if member.valid_from else None,
                )
        case.members = [m for m in case.members if m.role != "lead"]
    elif (
        open_aid
        and any(m.role == "partner" and m.valid_to is None for m in case.members)
        and dirt.roll("case-two-leads", key)
    ):
        for member in case.members:
            if member.role == "partner" and member.valid_to is None:
                member.role = "lead"
    if open_aid and dirt.roll("case-without-staff", key):
        if case.staff is not None:
            dirt.truth.repair("case-without-staff", key, staff=case.staff)
        case.staff = None
        for entry in case.journal:
            entry.staff = None
    if open_aid and case.segment and dirt.roll("case-without-segment", key):
        case.segment = None
        case.segment_since = None
    if case.closed and dirt.roll("case-closed-without-reason", key):
        case.closing_reason = None
    # Only cases whose clock has run a whole window, whether it starts at
    # segment_since or (where a system keeps no segment date) at the opening.
    judged = case.opened < (population.today - timedelta(days=400))
    if case.closed is None and case.segment and judged and dirt.roll("case-contact-overdue", key):
        window = 182 if case.segment == "A" else 365
        start = population.as_of - timedelta(days=window + 20)
        case.journal = [
            j
            for j in case.journal
            if not (j.contact_type in ("personal_talk", "home_visit") and j.occurred_at >= start)
        ]
        if case.segment_since and case.segment_since > start.date():
            case.segment_since = start.date() - timedelta(days=30)
    # Budgets are removed and inserted before any budget key is recorded: keys
    # built from a position in the case (Tutoris) must stay valid.
    if open_aid and dirt.roll("case-without-current-budget", key):
        current = month_start(population.today)
        case.budgets = [b for b in case.budgets if b.valid_from != current]
    approved = [b for b in case.budgets if b.status == "approved"]
    if len(approved) > 2 and dirt.roll("budget-overlap", key, record=False):
        base = approved[len(approved) // 2]
        extra = Budget(
            population._id("budget"),
            base.valid_from + timedelta(days=14),
            month_end(add_months(base.valid_from, 1)) - timedelta(days=14),
            "approved",
            base.modified,
        )
        extra.items.append(Item(population._id("item"), "SIL", "expense", 15000))
        case.budgets.insert(case.budgets.index(base) + 1, extra)
        population.truth.inject("budget-overlap", keys.budget(group, case, extra))
    for budget in case.budgets:
        item = budget.items[-1]
        if item.kind == "expense" and dirt.roll(
            "budget-amount-negative", keys.item(group, case, budget, item)
        ):
            item.amount = -item.amount
    for entry in case.journal:
        if entry.contact_type == "personal_talk" and entry.duration is not None:
            if dirt.roll("talk-without-duration", keys.journal(group, case, entry)):
                entry.duration = None
        elif entry.contact_type == "note" and dirt.roll(
            "duration-on-note", keys.journal(group, case, entry)
        ):
            entry.duration = 15


def person_dirt(population: Population, rng: random.Random, group: Group) -> None:
    """Dirt of the persons of a group: AHV numbers, names, dates, addresses."""
    dirt, keys = population.dirt, population.keys
    leads_of_open_aid = {
        m.person
        for c in group.cases
        if c.closed is None and c.domain == "economic_aid"
        for m in c.members
        if m.role == "lead"
    }
    for person in group.persons:
        if person.expired:
            continue
        key = keys.person(group, person)
        if person.ahvn13 and dirt.roll("ahvn13-check-digit", key):
            digit = int(person.ahvn13[-1])
            person.ahvn13 = person.ahvn13[:-1] + str(
                (digit + 1 + dirt.pick("ahvn13-check-digit", key, 8)) % 10
            )
            person.ahv_valid = False
        elif person.no not in leads_of_open_aid and dirt.roll("birth-date-unknown", key):
            person.birth_date = None
            person.birth_precision = "unknown"
        if person.no in leads_of_open_aid and person.addresses:
            last = person.addresses[-1]
            if last.valid_to is None and dirt.roll("lead-without-current-address", key):
                last.valid_to = population.today - timedelta(days=40)
                if last.valid_to < last.valid_from:
                    last.valid_from = last.valid_to - timedelta(days=200)
        if len(person.addresses) >= 2 and dirt.roll(
            "address-overlap", keys.address(group, person, person.addresses[-1])
        ):
            previous, latest = person.addresses[-2], person.addresses[-1]
            if previous.valid_to is not None:
                latest.valid_from = previous.valid_to - timedelta(days=20)


__all__ = ["case_dirt", "person_dirt"]
