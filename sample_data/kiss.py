"""KiSS (Diartis, database version 4.x): the population rendered into its tables.

Tables, columns, types and code values follow `legacy-systems/kiss.md` (see
`kiss_schema`); this module never imports the extractors. Each population case is a
service (`FaLeistung`); the cases of one lead person in a household group share a file
(`FaFall`, number `{year}-{seq:05d}` from its first case). Documents are blobs in
`DmtDokument.DateiInhalt`, about one in five on the share (`DateiPfad`, relative,
Windows separators).

What KiSS cannot hold, and how the truth follows (`count_group` counts the group after
these changes, so it equals what a correct extractor produces):

- Protection measures: the reference model has no table for them; `case.measures` is
  emptied, so `measures` is empty in the truth.
- Households: members are the rows of `BgFinanzplan_BaPerson`. Economic aid and asylum
  services always get a financial plan; a service of another domain gets one (without
  budgets) when the population gives it members besides the lead (the children of a
  maintenance advance, the parent of a child-protection case), so no member is dropped.
  Other services have no plan and the lead as their only member. Member periods are
  not kept (the plan rows have no dates). Roles come from `BaPerson_Relation` with the
  lead (spouse 1 or partner 2; 3 from the lead to a child), siblings are related by 4.
- Retention follows membership as rendered (`population.mark_expired_persons`): a person
  who is a member of services (plan row, or lead of a service without plan) all past
  retention is excluded; a person in no service at all (the lead removed by
  `case-without-lead`, kept as `FaFall.BaPersonID`) is not.
- Documents that the population attaches to a person (`BaPersonID`, no service) are
  attached so only while their case and the person are live; otherwise they stay with
  the service, whose fate the truth gives them.

Encoding dirt injected here: marital code 8 (`code-unmapped`), the inactive code of
registered partnership in use (`code-inactive`), service-specific budget position types
(`budget-code-unknown`), contact type 8 (`contact-type-unmapped`), orphan rows, and the
documents' missing, escaping, empty and duplicate files.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nffs_migration.sample_data import kiss_schema as ks
from nffs_migration.sample_data.dirt import Dirt
from nffs_migration.sample_data.kiss_documents import Documents, stable_unit
from nffs_migration.sample_data.legacy_db import DatabaseSink, legacy_schema
from nffs_migration.sample_data.population import Population, count_group
from nffs_migration.sample_data.records import (
    Address,
    Budget,
    Case,
    Group,
    Item,
    Journal,
    Person,
    Settings,
    chf,
)
from nffs_migration.sample_data.truth import Truth

SYSTEM = "kiss"
VERSION = "4.2"

#: Share of persons born before 1990 whose old 11-digit AHV number is still recorded.
OLD_AHV_RATE = 0.04
ORPHAN_BASE = 900_000_000
#: The account that converted the predecessor system's records.
CONVERSION_USER = "KONVERSION"
KISS_SINCE = date(2011, 1, 1)
PLAN_DOMAINS = ("economic_aid", "asylum")


class Keys:
    """KiSS source keys: the integer primary key of the row, as a string."""

    def person(self, group: Group, person: Person) -> str:
        """`BaPersonID`."""
        return str(person.no)

    def address(self, group: Group, person: Person, address: Address) -> str:
        """`BaAdresseID`."""
        return str(address.no)

    def case(self, group: Group, case: Case) -> str:
        """`FaLeistungID`."""
        return str(case.no)

    def budget(self, group: Group, case: Case, budget: Budget) -> str:
        """`BgBudgetID`."""
        return str(budget.no)

    def item(self, group: Group, case: Case, budget: Budget, item: Item) -> str:
        """`BgPositionID`."""
        return str(item.no)

    def journal(self, group: Group, case: Case, entry: Journal) -> str:
        """`FaJournalID`."""
        return str(entry.no)


def file_number(first: Case) -> str:
    """`2019-00123`: the opening year and yearly sequence of the file's first service."""
    return f"{first.opened.year}-{first.seq_year:05d}"


def hours(minutes: int | None) -> Decimal | None:
    """A duration in minutes as KiSS's decimal hours (45 -> 0.75)."""
    if minutes is None:
        return None
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


class Renderer:
    """Writes one KiSS source: database rows, document share and truth."""

    def __init__(
        self, population: Population, sink: DatabaseSink, share: Path, dirt: Dirt, truth: Truth
    ) -> None:
        self.population = population
        self.sink = sink
        self.share = share
        self.dirt = dirt
        self.truth = truth
        self.seed = population.settings.seed
        self.as_of = population.as_of
        self.logon = {s.no: s.short_name for s in population.staff}
        self._relation_id = 0
        self.documents = Documents(sink, share, dirt, self.seed, self.as_of)

    def run(self) -> None:
        """Render the system tables, then every household group, counting each in the truth."""
        for table, row in ks.system_rows(self.population.staff):
            self.sink.add(table, row)
        self.truth.row("staff", count=len(self.population.staff))
        self.truth.row("organisation")
        for group in self.population.groups():
            self._group(group)
            count_group(self.truth, group)

    def _modified(self, moment: datetime) -> datetime:
        return min(moment, self.as_of)

    # a household group ------------------------------------------------------------------

    def _group(self, group: Group) -> None:
        for case in group.cases:
            case.measures = []  # no table for measures in KiSS (see the module docstring)
        files: dict[int, list[Case]] = {}
        for case in group.cases:
            files.setdefault(case.lead, []).append(case)
        first_seen: dict[int, Case] = {}
        last_seen: dict[int, Case] = {}
        for case in group.cases:
            for number in (case.lead, *(m.person for m in case.members)):
                if number not in first_seen or case.opened < first_seen[number].opened:
                    first_seen[number] = case
                if number not in last_seen or case.modified > last_seen[number].modified:
                    last_seen[number] = case
        for person in group.persons:
            self._person(group, person, first_seen.get(person.no), last_seen.get(person.no))
        self._relations(group)
        for cases in files.values():
            cases.sort(key=lambda c: (c.opened, c.no))  # the file starts with its first service
            fall_nr = self._file(cases)
            for case in cases:
                self._case(group, case, cases[0].no, fall_nr)
        self._orphans_for(group)

    def _person(self, group: Group, person: Person, first: Case | None, last: Case | None) -> None:
        key = str(person.no)
        live = not person.expired
        marital = ks.ZIVILSTAND.get(person.marital or "")
        if live and self.dirt.roll("code-unmapped", key):
            marital = ks.ZIVILSTAND_UNMAPPED
        elif (
            live
            and person.marital == "1"
            and person.birth_date is not None
            and person.birth_date.year < self.as_of.year - 30
            and self.dirt.roll("code-inactive", key)
        ):
            marital = ks.ZIVILSTAND_INACTIVE
        old_ahv = None
        if (
            person.birth_date is not None
            and person.birth_date.year < 1990
            and stable_unit(self.seed, "old-ahv", person.no) < OLD_AHV_RATE
        ):
            old_ahv = f"{(person.no * 7_919_123) % 89_999_999_999 + 10_000_000_000:011d}"
        first = first or group.cases[0]
        created = _at(first.opened, 9) + timedelta(minutes=person.no % 420)
        changes = [created.date()]
        for address in person.addresses:
            changes += [d for d in (address.valid_from, address.valid_to) if d is not None]
        if person.death_date:
            changes.append(person.death_date)
        changed = max(d for d in changes if d <= self.as_of.date())
        modified = self._modified(max(created, _at(changed, 10) + timedelta(minutes=person.no % 7)))
        self.sink.add(
            "BaPerson",
            {
                "BaPersonID": person.no,
                "Name": person.family_name,
                "Vorname": person.given_name,
                "Geburtsdatum": person.birth_date,
                "GeschlechtCode": ks.GESCHLECHT[person.sex],
                "AHVNummer": person.ahvn13,
                "AltAHVNummer": old_ahv,
                "ZivilstandCode": marital,
                "NationalitaetCode": ks.LAND.get(person.nationality, 8998),
                "AufenthaltsstatusCode": ks.AUFENTHALTSSTATUS.get(person.permit or ""),
                "Sprache": person.language,
                "Sterbedatum": person.death_date,
                "Creator": self._user(first.staff, created.date()),
                "Created": created,
                "Modifier": self._user((last or first).staff, modified.date()),
                "Modified": modified,
            },
        )
        for address in person.addresses:
            end = (
                address.valid_to
                if address.valid_to and address.valid_to <= self.as_of.date()
                else None
            )
            self.sink.add(
                "BaAdresse",
                {
                    "BaAdresseID": address.no,
                    "BaPersonID": person.no,
                    "Strasse": address.street,
                    "HausNr": address.house_number,
                    "PLZ": address.postal_code,
                    "Ort": address.town,
                    "BfsGemeindeNr": address.commune,
                    "DatumVon": address.valid_from,
                    "DatumBis": address.valid_to,
                    "Modified": self._modified(_at(end or address.valid_from, 11)),
                },
            )

    def _user(self, staff: int | None, day: date) -> str:
        if day < KISS_SINCE:
            return CONVERSION_USER
        return self.logon.get(staff or 0, CONVERSION_USER)

    def _relations(self, group: Group) -> None:
        """Family relations from which the extractor derives the partner and child roles."""
        relations: dict[tuple[int, int], int] = {}

        def relate(first: int, second: int, code: int) -> None:
            known = (first, second) in relations or (second, first) in relations
            if first != second and not known:
                relations[(first, second)] = code

        for case in group.cases:
            lead = case.lead
            children = [m.person for m in case.members if m.role == "child"]
            for member in case.members:
                if member.role == "partner":
                    lead_marital = group.person(lead).marital
                    partner_marital = group.person(member.person).marital
                    married = lead_marital == "2" or partner_marital in ("2", "5")
                    code = ks.RELATION_SPOUSE if married else ks.RELATION_PARTNER
                    relate(lead, member.person, code)
                elif member.role == "child":
                    relate(lead, member.person, ks.RELATION_PARENT)
                elif member.role == "other" and case.domain == "child_protection":
                    relate(member.person, lead, ks.RELATION_PARENT)  # the parent of the child
            for index, child in enumerate(children):
                for sibling in children[index + 1 :]:
                    relate(child, sibling, ks.RELATION_SIBLING)
        for (first, second), code in relations.items():
            self._relation_id += 1
            self.sink.add(
                "BaPerson_Relation",
                {
                    "BaPerson_RelationID": self._relation_id,
                    "BaPersonID_1": first,
                    "BaPersonID_2": second,
                    "BaRelationCode": code,
                },
            )

    def _file(self, cases: list[Case]) -> str:
        """One `FaFall` for the services of one lead person; returns its number."""
        first = cases[0]
        number = file_number(first)
        staffed = [c for c in cases if c.staff is not None]
        latest = max(staffed, key=lambda c: c.opened) if staffed else None
        self.sink.add(
            "FaFall",
            {
                "FaFallID": first.no,
                "BaPersonID": first.lead,
                "FallNr": number,
                "DatumVon": min(c.opened for c in cases),
                "DatumBis": None
                if any(c.closed is None for c in cases)
                else max(c.closed for c in cases if c.closed),
                "UserID": latest.staff if latest else None,
                "Modified": self._modified(max(c.modified for c in cases)),
            },
        )
        return number

    # a service --------------------------------------------------------------------------

    def _case(self, group: Group, case: Case, file_id: int, number: str) -> None:
        lead = next((m.person for m in case.members if m.role == "lead"), None)
        self.sink.add(
            "FaLeistung",
            {
                "FaLeistungID": case.no,
                "FaFallID": file_id,
                "BaPersonID": lead,
                "FaProzessCode": ks.FAPROZESS[case.domain],
                "DatumVon": case.opened,
                "DatumBis": case.closed,
                "FaAbschlussgrundCode": ks.ABSCHLUSSGRUND[case.closing_reason]
                if case.closing_reason
                else None,
                "UserID": case.staff,
                "Segment": case.segment,
                "Modified": self._modified(case.modified),
            },
        )
        if case.domain in PLAN_DOMAINS or any(m.role != "lead" for m in case.members):
            self._plan(group, case)
        for payment in case.payments:
            self.sink.add(
                "KbBuchung",
                {
                    "KbBuchungID": payment.no,
                    "FaLeistungID": case.no,
                    "BgBudgetID": payment.budget,
                    "Valutadatum": payment.value_date,
                    "Betrag": chf(payment.amount),
                    "BgPositionsartID": ks.POSITIONSART_BY_KEY.get(payment.category),
                    "KbBuchungStatusCode": ks.BUCHUNG[payment.status],
                    "Empfaenger": payment.recipient,
                    "Modified": self._modified(payment.modified),
                },
            )
        for entry in case.journal:
            self._journal(group, case, entry)
        for document in case.documents:
            self.documents.write(group, case, document, number)

    def _plan(self, group: Group, case: Case) -> None:
        self.sink.add(
            "BgFinanzplan",
            {
                "BgFinanzplanID": case.no,
                "FaLeistungID": case.no,
                "DatumVon": case.opened,
                "DatumBis": case.closed,
                "Modified": self._modified(case.modified),
            },
        )
        for member in case.members:
            self.sink.add(
                "BgFinanzplan_BaPerson",
                {
                    "BgFinanzplanID": case.no,
                    "BaPersonID": member.person,
                    "IstUnterstuetzt": member.supported,
                },
            )
        for budget in case.budgets:
            self.sink.add(
                "BgBudget",
                {
                    "BgBudgetID": budget.no,
                    "BgFinanzplanID": case.no,
                    "Jahr": budget.valid_from.year,
                    "Monat": budget.valid_from.month,
                    "BgBewilligungStatusCode": ks.BEWILLIGUNG[budget.status],
                    "Modified": self._modified(budget.modified),
                },
            )
            special = budget.items[1] if not case.expired and len(budget.items) > 1 else None
            if special and self.dirt.roll("budget-code-unknown", str(special.no)):
                group.rejected[("budget_items", special.no)] = "unmapped-code"
            else:
                special = None
            for item in budget.items:
                if item is special:
                    options = ks.POSITIONSART_UNMAPPED[ks.KATEGORIE[item.kind]]
                    kind = options[
                        self.dirt.pick("budget-code-unknown", str(item.no), len(options))
                    ]
                else:
                    kind = ks.POSITIONSART_BY_KEY[item.position]
                self.sink.add(
                    "BgPosition",
                    {
                        "BgPositionID": item.no,
                        "BgBudgetID": budget.no,
                        "BgPositionsartID": kind,
                        "Betrag": chf(item.amount),
                        "DatumVon": None,
                        "DatumBis": None,
                        "Bemerkung": None,
                    },
                )

    def _journal(self, group: Group, case: Case, entry: Journal) -> None:
        code = ks.KONTAKTART[entry.contact_type]
        # Only kinds the population puts no dirt on, so that no finding is lost.
        if (
            not case.expired
            and entry.contact_type in ("phone", "email", "letter")
            and self.dirt.roll("contact-type-unmapped", str(entry.no))
        ):
            code = ks.KONTAKTART_UNMAPPED
            group.rejected[("journal_entries", entry.no)] = "unmapped-code"
        self.sink.add(
            "FaJournal",
            {
                "FaJournalID": entry.no,
                "FaLeistungID": case.no,
                "UserID": entry.staff,
                "DatumZeit": entry.occurred_at,
                "KontaktartCode": code,
                "DauerStd": hours(entry.duration),
                "Stichwort": entry.subject,
                "Text": entry.text,
                "Modified": self._modified(entry.modified),
            },
        )

    # invented rows ----------------------------------------------------------------------

    def _orphans_for(self, group: Group) -> None:
        """Rows whose parent does not exist: an address, a payment, a journal entry."""
        base = ORPHAN_BASE + group.no * 10
        missing_parent = ORPHAN_BASE + group.no
        when = self.population.today - timedelta(days=100)
        candidates: list[tuple[str, str, dict[str, Any]]] = [
            (
                "BaAdresse",
                "addresses",
                {
                    "BaAdresseID": base,
                    "BaPersonID": missing_parent,
                    "Strasse": "Bahnhofstrasse",
                    "HausNr": "1",
                    "PLZ": "3600",
                    "Ort": "Thun",
                    "BfsGemeindeNr": 942,
                    "DatumVon": when,
                    "DatumBis": None,
                    "Modified": _at(when, 11),
                },
            ),
            (
                "KbBuchung",
                "payments",
                {
                    "KbBuchungID": base + 1,
                    "FaLeistungID": missing_parent,
                    "BgBudgetID": None,
                    "Valutadatum": when,
                    "Betrag": chf(50000),
                    "BgPositionsartID": ks.POSITIONSART_BY_KEY["GBL"],
                    "KbBuchungStatusCode": ks.BUCHUNG["paid"],
                    "Empfaenger": "Klient/in",
                    "Modified": _at(when, 10),
                },
            ),
            (
                "FaJournal",
                "journal_entries",
                {
                    "FaJournalID": base + 2,
                    "FaLeistungID": missing_parent,
                    "UserID": None,
                    "DatumZeit": _at(when, 9),
                    "KontaktartCode": ks.KONTAKTART["phone"],
                    "DauerStd": None,
                    "Stichwort": "Telefon",
                    "Text": "Rückruf",
                    "Modified": _at(when, 9),
                },
            ),
        ]
        for source_table, table, row in candidates:
            key = str(next(iter(row.values())))
            if self.dirt.roll("orphan-record", key):
                self.sink.add(source_table, row)
                self.truth.row(table, "rejected", rule="orphan-record")


def generate(settings: Settings, out: Path, dirt: Dirt, url: str | None = None) -> dict[str, str]:
    """Write a KiSS source into `out` (database at `url`, default a SQLite file).

    Args:
        settings: What to generate (seed, cases, service, date).
        out: Folder for the SQLite file and the document share (`share/`).
        dirt: Where to inject defects; records them in its truth.
        url: SQLAlchemy URL of the database; the tables go to schema `dbo` on servers.

    Returns:
        Where the parts are: `database` (URL) and `documents` (share folder).
    """
    database_url = url or f"sqlite:///{out / 'kiss.sqlite'}"
    schema = legacy_schema(sa.make_url(database_url))
    population = Population(settings, dirt, Keys())
    share = out / "share"
    share.mkdir(parents=True, exist_ok=True)
    with DatabaseSink(database_url, ks.metadata(schema)) as sink:
        Renderer(population, sink, share, dirt, dirt.truth).run()
    return {"database": database_url, "documents": str(share)}
