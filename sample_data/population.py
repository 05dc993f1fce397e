"""The underlying model of a service's population, independent of any legacy system.

A service's history over fifteen years is generated household group by household group:
a lead person with partner and children, their addresses, and the cases they went
through (economic aid dominant, maintenance advances, child and adult protection,
asylum), each with monthly budgets per SKOS positions, payments, a journal whose
personal contacts follow the case segment's frequency (seed 004: segment A 4-6 talks a
semester, B 3-5 a year, C 1-3 a year), documents and protection measures. People move
between cases: a case is reopened, a partner separates and gets a case of their own, an
adult child applies for aid.

Each group depends only on (seed, group number), so the same seed gives the same people
in every system; the renderers (`klibnet`, `kiss`, `tutoris`, `custom`) turn groups into
each system's tables, codes and formats. Dirt that concerns the content (a case without
lead, a wrong AHV check digit, an overdue contact) is injected here through `Dirt`, with
the system's source keys from a `SourceKeys`; dirt that concerns the encoding (RTF,
`9999-12-31`, mojibake) is the renderers' job. Amounts are integers in centimes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from nffs_migration.sample_data import vocab
from nffs_migration.sample_data.content_dirt import case_dirt, person_dirt
from nffs_migration.sample_data.dirt import Dirt
from nffs_migration.sample_data.records import (
    CLOSING,
    CONTACT_GAPS,
    DOMAINS,
    GBL_BY_SIZE,
    INTAKE_DAYS,
    MEASURES,
    Address,
    Budget,
    Case,
    Document,
    Group,
    Item,
    Journal,
    Measure,
    Member,
    Payment,
    Person,
    Settings,
    SourceKeys,
    Staff,
    add_months,
    add_years,
    age_at,
    ahvn13_for,
    chf,
    month_end,
    month_start,
    weighted,
)
from nffs_migration.sample_data.truth import Truth

# --------------------------------------------------------------------------------------
# the population


class Population:
    """Generates a service's staff and household groups, deterministically from the seed."""

    def __init__(self, settings: Settings, dirt: Dirt, keys: SourceKeys) -> None:
        self.settings = settings
        self.dirt = dirt
        self.keys = keys
        self.truth: Truth = dirt.truth
        self.as_of = settings.as_of
        self.today = settings.as_of.date()
        self.cutoff = settings.retention_cutoff
        self.service = settings.service
        self._next: dict[str, int] = {}
        self._seq_year: dict[int, int] = {}
        self._seq_domain_year: dict[tuple[str, int], int] = {}
        self.staff = self._make_staff()
        self.active_workers = [s for s in self.staff if s.active and s.role == "social_worker"]
        self.intake = [s for s in self.staff if s.active and s.role == "intake"]
        self.all_workers = [s for s in self.staff if s.role == "social_worker"]

    # ids ------------------------------------------------------------------------------

    def _id(self, kind: str) -> int:
        value = self._next.get(kind, 0) + 1
        self._next[kind] = value
        return value

    # staff ----------------------------------------------------------------------------

    def _make_staff(self) -> list[Staff]:
        rng = random.Random(self.settings.seed * 7_919 + 1)
        count = max(10, self.settings.cases // 60)
        roles = ["head_of_sector", "intake", "admin_assistant"]
        roles += ["social_worker"] * max(4, int(count * 0.6))
        roles += ["intake"] * max(0, int(count * 0.08))
        roles += ["admin_assistant"] * max(0, int(count * 0.15))
        roles += ["head_of_sector"]
        staff = []
        used: set[str] = set()
        for index, role in enumerate(roles):
            family = rng.choice(vocab.STAFF_FAMILY)
            given = rng.choice(vocab.GIVEN_FEMALE + vocab.GIVEN_MALE)
            short = (
                (family[:3] + given[0])
                .upper()
                .replace("Ä", "AE")
                .replace("Ü", "UE")
                .replace("Ö", "OE")
            )
            suffix = 1
            base = short
            while short in used:
                short = f"{base[:3]}{suffix}"
                suffix += 1
            used.add(short)
            # A few social workers have left: they appear on old cases only.
            active = not (role == "social_worker" and index % 7 == 3)
            team = {"intake": "Intake", "admin_assistant": "Administration", "other": "Sekretariat"}
            org_unit = team.get(role, f"Beratung {1 + index % 4}")
            if role == "head_of_sector":
                org_unit = "Leitung"
            staff.append(Staff(index + 1, short, family, given, role, active, org_unit))
        return staff

    # groups ---------------------------------------------------------------------------

    def groups(self) -> Iterator[Group]:
        """Household groups until the requested number of cases is reached, exactly."""
        total = 0
        number = 0
        while total < self.settings.cases:
            number += 1
            group = self._group(number, self.settings.cases - total)
            total += len(group.cases)
            yield group

    def _group(self, number: int, room: int) -> Group:
        rng = random.Random(self.settings.seed * 10_000_019 + number)
        group = Group(number, [], [])
        domain = weighted(rng, DOMAINS)
        opened, closed = self._case_period(rng)
        lead = self._adult(rng, opened, group)
        household = "single"
        if domain in ("economic_aid", "asylum"):
            household = weighted(
                rng, (("single", 55), ("single_parent", 20), ("couple", 10), ("family", 15))
            )
        elif domain == "maintenance_advance":
            household = "single_parent"
        elif domain == "child_protection":
            household = rng.choice(("single_parent", "family"))
        partner = None
        if household in ("couple", "family"):
            partner = self._adult(rng, opened, group, near=lead)
            lead.marital = "2" if rng.random() < 0.85 else "1"
            partner.marital = lead.marital
        children: list[Person] = []
        if household in ("single_parent", "family"):
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
                children.append(self._child(rng, opened, lead, group))
        self._addresses(rng, lead, [p for p in (partner, *children) if p], opened, closed)

        case = self._case(rng, group, domain, opened, closed, lead, partner, children)
        room -= 1
        # Follow-up cases: people move between cases.
        if room > 0 and case.closed and domain == "economic_aid" and rng.random() < 0.15:
            reopened = case.closed + timedelta(days=rng.randint(90, 1100))
            if reopened < self.today - timedelta(days=30):
                again_closed = self._closing(rng, reopened)
                self._case(
                    rng, group, "economic_aid", reopened, again_closed, lead, partner, children
                )
                room -= 1
        if (
            room > 0
            and household == "single_parent"
            and domain == "economic_aid"
            and rng.random() < 0.25
        ):
            start = case.opened + timedelta(days=rng.randint(20, 200))
            if start < self.today:
                end = case.closed if case.closed and case.closed > start else None
                self._case(rng, group, "maintenance_advance", start, end, lead, None, children)
                room -= 1
        if room > 0 and partner and rng.random() < 0.12:
            start = case.opened + timedelta(days=rng.randint(120, 900))
            if start < self.today - timedelta(days=30):
                for member in case.members:
                    if member.person == partner.no and (case.closed is None or start < case.closed):
                        member.valid_to = start - timedelta(days=1)
                partner.marital = "5" if partner.marital == "2" else partner.marital
                self._move(rng, partner, start)
                self._case(
                    rng, group, "economic_aid", start, self._closing(rng, start), partner, None, []
                )
                room -= 1
        adults = [c for c in children if c.birth_date and age_at(c.birth_date, self.today) >= 19]
        if room > 0 and adults and rng.random() < 0.3:
            child = adults[0]
            start = add_years(child.birth_date or self.today, 18) + timedelta(
                days=rng.randint(30, 700)
            )
            if start < self.today - timedelta(days=30):
                self._move(rng, child, start)
                self._case(
                    rng, group, "economic_aid", start, self._closing(rng, start), child, None, []
                )
                room -= 1
        if room > 0 and children and domain == "economic_aid" and rng.random() < 0.04:
            start = case.opened + timedelta(days=rng.randint(30, 400))
            if start < self.today:
                self._case(
                    rng,
                    group,
                    "child_protection",
                    start,
                    self._closing(rng, start),
                    children[0],
                    None,
                    [],
                    guardian=lead,
                )
                room -= 1

        # Content dirt once the group's history is complete (a later separation must not
        # undo a second lead, for example).
        for item in group.cases:
            case_dirt(self, rng, group, item)
        # Retention: cases closed before the cut-off are excluded, and so is a person
        # whose every case is excluded (exclusion follows the parent).
        for item in group.cases:
            item.expired = item.closed is not None and item.closed < self.cutoff
        mark_expired_persons(group)
        # A person's record was last changed with their latest case or move.
        latest_case: dict[int, date] = {}
        for item in group.cases:
            for member in item.members:
                latest_case[member.person] = max(
                    latest_case.get(member.person, item.opened), item.opened
                )
        for person in group.persons:
            moments = [latest_case.get(person.no, person.created.date())]
            moments += [a.valid_from for a in person.addresses if a.valid_from <= self.today]
            # Never after the source's own moment: a change stamped later would fall
            # behind the next delta's high-water mark.
            person.modified = min(
                datetime.combine(max(moments), datetime.min.time()) + timedelta(hours=11),
                self.as_of,
            )
        for item in group.cases:
            if item.expired:
                self.truth.inject("retention-expired", self.keys.case(group, item))
        if self.settings.identities is not None:
            # Several services share people: identities before the person dirt.
            self.settings.identities.assign(group, self.keys.person)
        person_dirt(self, rng, group)
        return group

    # people ---------------------------------------------------------------------------

    def _adult(
        self, rng: random.Random, at: date, group: Group, near: Person | None = None
    ) -> Person:
        age = (
            rng.randint(18, 64)
            if near is None
            else max(18, age_at(near.birth_date or at, at) + rng.randint(-6, 6))
        )
        born = at - timedelta(days=age * 365 + rng.randint(0, 364))
        nationality = (
            near.nationality if near and rng.random() < 0.8 else weighted(rng, vocab.NATIONALITIES)
        )
        sex = rng.choice("12") if near is None else ("1" if near.sex == "2" else "2")
        return self._person(
            rng,
            group,
            born,
            sex,
            nationality,
            family=near.family_name if near and rng.random() < 0.7 else None,
        )

    def _child(self, rng: random.Random, at: date, parent: Person, group: Group) -> Person:
        born = at - timedelta(days=rng.randint(30, 17 * 365))
        if parent.birth_date and born < parent.birth_date + timedelta(days=17 * 365):
            born = parent.birth_date + timedelta(days=17 * 365 + rng.randint(0, 3000))
        born = min(born, at - timedelta(days=10))
        child = self._person(
            rng, group, born, rng.choice("12"), parent.nationality, family=parent.family_name
        )
        child.marital = "1"
        return child

    def _person(
        self,
        rng: random.Random,
        group: Group,
        born: date,
        sex: str,
        nationality: str,
        family: str | None,
    ) -> Person:
        number = self._id("person")
        names = vocab.FAMILY_BY_NATIONALITY.get(nationality, vocab.SWISS_FAMILY)
        given = rng.choice(vocab.GIVEN_FEMALE if sex == "2" else vocab.GIVEN_MALE)
        if nationality == "CH":
            permit = "CH"
        elif nationality in vocab.EU:
            permit = weighted(rng, vocab.PERMITS["EU"])
        elif nationality in vocab.ASYLUM_ORIGINS:
            permit = weighted(rng, vocab.PERMITS["ASYLUM"])
        elif nationality == "UA":
            permit = weighted(rng, vocab.PERMITS["UA"])
        else:
            permit = weighted(rng, vocab.PERMITS["OTHER"])
        language = vocab.LANGUAGE_BY_NATIONALITY.get(nationality, "de")
        if language == "de" and rng.random() < self.service.french_share:
            language = "fr"
        marital = weighted(rng, (("1", 45), ("4", 25), ("5", 10), ("3", 4), ("9", 2)))
        created = datetime.combine(born, datetime.min.time()) + timedelta(hours=9)
        person = Person(
            no=number,
            family_name=family or rng.choice(names),
            given_name=given,
            birth_date=born,
            birth_precision="day",
            sex=sex,
            ahvn13=ahvn13_for(number),
            old_ahv=None,
            marital=marital,
            nationality=nationality,
            permit=permit,
            language=language,
            death_date=None,
            created=created,
            modified=created,
        )
        if nationality != "CH" and rng.random() < 0.15:
            person.ahvn13 = None  # recently arrived: no number yet
        group.persons.append(person)
        return person

    def _addresses(
        self,
        rng: random.Random,
        lead: Person,
        others: list[Person],
        opened: date,
        closed: date | None,
    ) -> None:
        start = opened - timedelta(days=rng.randint(30, 5 * 365))
        end_of_story = closed or self.today
        moves = rng.choice((0, 0, 0, 1, 1, 2))
        periods: list[tuple[date, date | None]] = []
        current = start
        for index in range(moves + 1):
            if index < moves:
                span = (end_of_story - current).days
                if span < 120:
                    periods.append((current, None))
                    break
                following = current + timedelta(days=rng.randint(60, span - 30))
                periods.append((current, following - timedelta(days=1)))
                current = following
            else:
                periods.append((current, None))
        commune = self.service.communes[rng.randrange(len(self.service.communes))]
        for valid_from, valid_to in periods:
            address = self._address(rng, commune, valid_from, valid_to)
            lead.addresses.append(address)
            for other in others:
                born = other.birth_date or valid_from
                if valid_to is not None and valid_to < born:
                    continue
                copy = Address(
                    self._id("address"),
                    address.street,
                    address.house_number,
                    address.postal_code,
                    address.town,
                    address.commune,
                    max(valid_from, born),
                    valid_to,
                )
                other.addresses.append(copy)

    def _address(
        self, rng: random.Random, commune_bfs: int, valid_from: date, valid_to: date | None
    ) -> Address:
        commune = vocab.COMMUNES[commune_bfs]
        return Address(
            self._id("address"),
            rng.choice(vocab.STREETS),
            str(rng.randint(1, 120)) + ("" if rng.random() < 0.9 else rng.choice("abc")),
            rng.choice(commune.postal_codes),
            commune.name,
            commune.bfs,
            valid_from,
            valid_to,
        )

    def _move(self, rng: random.Random, person: Person, on: date) -> None:
        """The person leaves the household address on `on` and lives elsewhere from then on."""
        # Household addresses from the day of the move on are no longer theirs.
        person.addresses = [a for a in person.addresses if a.valid_from < on]
        for address in person.addresses:
            if address.valid_to is None or address.valid_to >= on:
                address.valid_to = on - timedelta(days=1)
        commune = self.service.communes[rng.randrange(len(self.service.communes))]
        person.addresses.append(self._address(rng, commune, on, None))

    # cases ----------------------------------------------------------------------------

    def _case_period(self, rng: random.Random) -> tuple[date, date | None]:
        if rng.random() < 0.34:  # about a third of cases are open
            days = min(int(rng.expovariate(1 / 900)) + 20, self.settings.history_years * 365 - 30)
            return self.today - timedelta(days=days), None
        opened = self.settings.history_start + timedelta(
            days=rng.randint(0, self.settings.history_years * 365 - 60)
        )
        return opened, self._closing(rng, opened)

    def _closing(self, rng: random.Random, opened: date) -> date | None:
        duration = int(rng.lognormvariate(6.0, 0.9)) + 30
        closed = opened + timedelta(days=duration)
        return closed if closed < self.today - timedelta(days=1) else None

    def _case(
        self,
        rng: random.Random,
        group: Group,
        domain: str,
        opened: date,
        closed: date | None,
        lead: Person,
        partner: Person | None,
        children: list[Person],
        guardian: Person | None = None,
    ) -> Case:
        number = self._id("case")
        year = opened.year
        self._seq_year[year] = self._seq_year.get(year, 0) + 1
        self._seq_domain_year[(domain, year)] = self._seq_domain_year.get((domain, year), 0) + 1
        end = closed or self.today
        segment = segment_since = None
        if domain == "economic_aid" and (end - opened).days > INTAKE_DAYS:
            segment = weighted(rng, (("A", 12), ("B", 50), ("C", 38)))
            segment_since = opened + timedelta(days=rng.randint(60, INTAKE_DAYS))
        if closed is None:
            if segment is None and domain == "economic_aid":
                staff = rng.choice(self.intake or self.active_workers).no
            else:
                staff = rng.choice(self.active_workers).no
        else:
            staff = rng.choice(self.all_workers).no
        reason = weighted(rng, CLOSING) if closed else None
        modified = min(
            datetime.combine(
                closed or min(self.today, opened + timedelta(days=rng.randint(0, 400))),
                datetime.min.time(),
            )
            + timedelta(hours=rng.randint(8, 17)),
            self.as_of,
        )
        case = Case(
            number,
            domain,
            opened,
            closed,
            reason,
            staff,
            segment,
            segment_since,
            self._seq_year[year],
            self._seq_domain_year[(domain, year)],
            lead.no,
            modified,
        )
        if reason == "death" and closed:
            lead.death_date = closed
        role_of_lead = "lead"
        case.members.append(Member(self._id("member"), lead.no, role_of_lead, opened, closed))
        if partner:
            case.members.append(Member(self._id("member"), partner.no, "partner", opened, closed))
        for child in children:
            born = child.birth_date or opened
            if born <= end:
                case.members.append(
                    Member(self._id("member"), child.no, "child", max(opened, born), closed)
                )
        if guardian:
            case.members.append(Member(self._id("member"), guardian.no, "other", opened, closed))
        group.cases.append(case)
        if domain in ("economic_aid", "asylum"):
            self._budgets_and_payments(
                rng, case, len([m for m in case.members if m.role != "other"])
            )
        elif domain == "maintenance_advance":
            self._advances(rng, case, max(1, len(children)))
        if domain in MEASURES:
            self._measures(rng, case)
        self._journal(rng, case)
        self._documents(rng, case)
        return case

    def _budgets_and_payments(self, rng: random.Random, case: Case, size: int) -> None:
        size = max(1, min(size, 7))
        gbl = GBL_BY_SIZE[size] if case.domain == "economic_aid" else GBL_BY_SIZE[size] * 7 // 10
        rent = rng.randrange(800, 1200 + 150 * size, 5) * 100
        nk = rng.randrange(80, 260, 5) * 100
        kvg = (
            sum(rng.randrange(300, 460) * 100 for _ in range(min(size, 2)))
            + max(0, size - 2) * 11000
        )
        items: list[tuple[str, str, int]] = [
            ("GBL", "expense", gbl),
            ("MIETE", "expense", rent),
            ("NK", "expense", nk),
            ("KVG", "expense", kvg),
        ]
        if rng.random() < 0.3:
            items.append(("SIL", "expense", rng.randrange(50, 300) * 100))
        if rng.random() < 0.2:
            items.append(("IZU", "expense", 10000))
        if rng.random() < 0.25:
            items.append(("LOHN", "income", rng.randrange(800, 2500) * 100))
            items.append(("EFB", "expense", rng.randrange(200, 400) * 100))
        elif rng.random() < 0.12:
            items.append(("AHV_IV", "income", rng.randrange(1200, 2000) * 100))
        elif rng.random() < 0.12:
            items.append(("ALV", "income", rng.randrange(1500, 2500) * 100))
        if size > 1 and rng.random() < 0.3:
            items.append(("ALIM", "income", rng.randrange(300, 900) * 100))
        if rng.random() < 0.02:
            items.append(("UEBR", "expense", rng.randrange(20, 200) * 100))
        landlord = rng.choice(vocab.LANDLORDS)
        insurer = rng.choice(vocab.INSURERS)
        client = "Klient/in"
        last = month_start(case.closed or self.today)
        month = month_start(case.opened)
        archived_before = add_months(month_start(self.today), -24)
        while month <= last:
            status = "approved"
            if (
                case.closed
                and case.closed < self.today - timedelta(days=365)
                and month < archived_before
            ):
                status = "archived"
            changed = datetime.combine(
                month - timedelta(days=rng.randint(3, 12)), datetime.min.time()
            ) + timedelta(hours=10)
            budget = Budget(self._id("budget"), month, month_end(month), status, changed)
            for position, kind, amount in items:
                budget.items.append(Item(self._id("item"), position, kind, amount))
            case.budgets.append(budget)
            self._month_payments(rng, case, budget, month, landlord, insurer, client)
            if rng.random() < 0.04:  # a change of rent now and then
                items[1] = (
                    "MIETE",
                    "expense",
                    max(50000, items[1][2] + rng.randrange(-150, 150) * 100),
                )
            month = add_months(month, 1)
        if case.closed is None and rng.random() < 0.3:
            following = add_months(month_start(self.today), 1)
            draft = Budget(
                self._id("budget"),
                following,
                month_end(following),
                "draft",
                self.as_of - timedelta(days=2),
            )
            for position, kind, amount in items:
                draft.items.append(Item(self._id("item"), position, kind, amount))
            case.budgets.append(draft)

    def _month_payments(
        self,
        rng: random.Random,
        case: Case,
        budget: Budget,
        month: date,
        landlord: str,
        insurer: str,
        client: str,
    ) -> None:
        amounts = {item.position: item.amount for item in budget.items}
        expenses = sum(i.amount for i in budget.items if i.kind == "expense")
        incomes = sum(i.amount for i in budget.items if i.kind == "income")
        rent = amounts.get("MIETE", 0) + amounts.get("NK", 0)
        kvg = amounts.get("KVG", 0)
        rest = expenses - incomes - rent - kvg
        lines = [
            (month - timedelta(days=6), rent, "MIETE", landlord),
            (month + timedelta(days=4), kvg, "KVG", insurer),
        ]
        if rest > 0:
            lines.append((month, rest, "GBL", client))
        for value_date, amount, category, recipient in lines:
            if value_date > self.today or amount <= 0:
                continue
            modified = datetime.combine(
                value_date - timedelta(days=3), datetime.min.time()
            ) + timedelta(hours=14)
            if rng.random() < 0.01:
                case.payments.append(
                    Payment(
                        self._id("payment"),
                        value_date,
                        amount,
                        category,
                        recipient,
                        "reversed",
                        modified,
                        budget.no,
                    )
                )
            case.payments.append(
                Payment(
                    self._id("payment"),
                    value_date,
                    amount,
                    category,
                    recipient,
                    "paid",
                    modified,
                    budget.no,
                )
            )

    def _advances(self, rng: random.Random, case: Case, children: int) -> None:
        amount = children * rng.randrange(400, 900) * 100
        month = add_months(month_start(case.opened), 1)
        last = case.closed or self.today
        while month <= last:
            modified = datetime.combine(month - timedelta(days=3), datetime.min.time()) + timedelta(
                hours=14
            )
            case.payments.append(
                Payment(self._id("payment"), month, amount, "ALIM", "Klient/in", "paid", modified)
            )
            month = add_months(month, 1)

    def _measures(self, rng: random.Random, case: Case) -> None:
        for _ in range(rng.choice((1, 1, 2))):
            started = case.opened + timedelta(days=rng.randint(0, 60))
            if started > self.today:
                continue
            number = self._id("measure")
            basis = rng.choice(MEASURES[case.domain])
            holder = rng.choice(self.all_workers)
            if case.closed is None and not holder.active:
                holder = self.active_workers[0]  # a measure in force: a holder who still works
            case.measures.append(
                Measure(number, basis, started, case.closed, holder.no, self.service.kesb)
            )

    def _journal(self, rng: random.Random, case: Case) -> None:
        french = rng.random() < self.service.french_share
        subjects = vocab.SUBJECTS_FR if french else vocab.SUBJECTS_DE
        sentences = vocab.SENTENCES_FR if french else vocab.SENTENCES_DE
        end = min(case.closed or self.today, self.today)

        def entry(day: date, contact: str, duration: int | None) -> None:
            moment = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=rng.randint(8, 16), minutes=rng.choice((0, 15, 30, 45))
            )
            if moment > self.as_of:
                return
            text = " ".join(rng.sample(sentences, rng.randint(1, 3)))
            case.journal.append(
                Journal(
                    self._id("journal"),
                    moment,
                    case.staff,
                    contact,
                    duration,
                    rng.choice(subjects),
                    text,
                    min(moment + timedelta(minutes=rng.randint(5, 600)), self.as_of),
                )
            )

        # The reference models record a duration for personal talks and none otherwise
        # (the draws for the others stay, so that the same seed gives the same stream).
        def talk(day: date) -> None:
            kind = "home_visit" if rng.random() < 0.1 else "personal_talk"
            minutes = (
                rng.randrange(30, 80, 5) if kind == "personal_talk" else rng.randrange(45, 120, 15)
            )
            entry(day, kind, minutes if kind == "personal_talk" else None)

        personal = case.domain in ("economic_aid", "asylum", "child_protection", "adult_protection")
        if personal:
            day = case.opened
            intake_end = case.segment_since or (case.opened + timedelta(days=INTAKE_DAYS))
            while day <= min(end, intake_end):
                talk(day)
                day += timedelta(days=rng.randint(14, 35))
            low, high = CONTACT_GAPS[case.segment] if case.segment else (45, 150)
            day = max(day, intake_end)
            while day <= end:
                talk(day)
                day += timedelta(days=rng.randint(low, high))
        day = case.opened + timedelta(days=rng.randint(3, 40))
        while day <= end:
            kind = weighted(
                rng,
                (("phone", 40), ("email", 25), ("note", 25), ("letter", 6), ("network_meeting", 4)),
            )
            if kind == "network_meeting":
                rng.randrange(60, 125, 15)  # a duration drawn once; the models record none
            entry(day, kind, None)
            day += timedelta(days=rng.randint(30, 120) if personal else rng.randint(120, 300))
        case.journal.sort(key=lambda j: (j.occurred_at, j.no))

    def _documents(self, rng: random.Random, case: Case) -> None:
        french = rng.random() < self.service.french_share
        plan: list[tuple[str, date]] = [("decision", case.opened)]
        if case.domain in ("economic_aid", "asylum"):
            if rng.random() < 0.5:
                plan.append(("id_document", case.opened))
            if rng.random() < 0.3:
                plan.append(("receipt", case.opened + timedelta(days=rng.randint(10, 300))))
            if rng.random() < 0.15:
                plan.append(("contract", case.opened + timedelta(days=rng.randint(30, 120))))
        if case.domain in MEASURES:
            plan.append(("report", case.opened + timedelta(days=rng.randint(30, 600))))
        if rng.random() < 0.15:
            plan.append(("letter", case.opened + timedelta(days=rng.randint(5, 500))))
        end = case.closed or self.today
        for doc_type, day in plan:
            if day > end:
                continue
            created = min(
                datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(8, 17)),
                self.as_of,
            )
            if doc_type == "id_document":
                extension, media, header = "jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
            else:
                extension, media, header = (
                    "pdf",
                    "application/pdf",
                    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
                )
            body = rng.randbytes(rng.randint(200, 1500))
            title = vocab.DOC_TITLES[doc_type][1 if french else 0]
            document = Document(
                self._id("document"), title, doc_type, created, extension, media, header + body
            )
            if doc_type == "id_document":
                document.person = case.lead
            case.documents.append(document)


def mark_expired_persons(group: Group) -> None:
    """A person is past retention when they belong to cases and every one is past retention.

    Membership is what the source can show (case members, as rendered); a person in no
    case at all is not excluded. Called again by `count_group`, because a renderer may
    drop members that its system cannot express.
    """
    in_case = {m.person for c in group.cases for m in c.members}
    live = {m.person for c in group.cases if not c.expired for m in c.members}
    for person in group.persons:
        person.expired = person.no in in_case and person.no not in live


def count_group(truth: Truth, group: Group) -> None:
    """Record the expected outcome of every record of a group in the truth.

    Retention exclusion follows the parent; the renderer's rejects (`group.rejected`)
    are counted as rejected under their rule. Renderers count extra rows they invent
    (orphans, deleted duplicates) themselves.
    """
    mark_expired_persons(group)
    rejected = group.rejected
    expired_rule = "retention-expired"

    def tally(table: str, records: list[tuple[int, int | None]], expired: bool) -> None:
        if not records:
            return
        if expired:
            truth.row(table, "excluded", rule=expired_rule, count=len(records))
            return
        migrated = 0
        amount = 0
        for number, centimes in records:
            rule = rejected.get((table, number)) if rejected else None
            if rule:
                truth.row(table, "rejected", rule=rule)
            else:
                migrated += 1
                amount += centimes or 0
        if migrated:
            truth.row(
                table,
                "migrated",
                count=migrated,
                amount=chf(amount) if records[0][1] is not None else None,
            )

    for person in group.persons:
        tally("persons", [(person.no, None)], person.expired)
        tally("addresses", [(a.no, None) for a in person.addresses], person.expired)
    for case in group.cases:
        tally("cases", [(case.no, None)], case.expired)
        tally("case_members", [(m.no, None) for m in case.members], case.expired)
        tally("budgets", [(b.no, None) for b in case.budgets], case.expired)
        tally(
            "budget_items", [(i.no, i.amount) for b in case.budgets for i in b.items], case.expired
        )
        tally("payments", [(p.no, p.amount) for p in case.payments], case.expired)
        tally("journal_entries", [(j.no, None) for j in case.journal], case.expired)
        tally("measures", [(m.no, None) for m in case.measures], case.expired)
        tally("documents", [(d.no, None) for d in case.documents], case.expired)


__all__ = ["Population", "count_group", "mark_expired_persons"]
