"""Several services that share people, with the true identity of every person record.

    canton = generate_canton(Path("canton"), cases=150, seed=3)
    canton.truth["records"]["0942:klibnet:17"]      # -> "I00042"

Each service's source is generated as usual (`generate`), from its own seed, and an
`IdentityPlan` gives its adults their identities: most are new people, some are people an
earlier service already knows: a client who moved (the lead of one service's case leads
a case in another), a partner who separated and applies elsewhere. A shared record
carries the identity's names, birth date, sex and AHVN13, with the defects of real
registrations at the dirt level: a typo in a name, no AHV number, a birth date with a
digit wrong or day and month exchanged, an AHV number of somebody else (a doubtful
number, sometimes one of the same service). Every AHV number is unique in the canton
unless a defect says otherwise. `identity-truth.json` maps every person key
(`service:system:source_key`, as in the packages) to its identity and lists the defects.
The same arguments give the same bytes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from nffs_migration.errors import ConfigurationError
from nffs_migration.sample_data.records import Group, Person, ahvn13_for

DEFAULT_SERVICES = (("0942", "klibnet"), ("0351", "kiss"), ("0355", "tutoris"), ("0404", "custom"))
#: Per dirt level: the share of shared records that get each defect.
RATES = {
    "none": {"name-typo": 0.0, "given-typo": 0.0, "birth-date-typo": 0.0, "doubtful-ahvn13": 0.0},
    "realistic": {
        "name-typo": 0.10,
        "given-typo": 0.05,
        "birth-date-typo": 0.06,
        "doubtful-ahvn13": 0.03,
    },
    "heavy": {
        "name-typo": 0.2,
        "given-typo": 0.1,
        "birth-date-typo": 0.12,
        "doubtful-ahvn13": 0.06,
    },
}
#: A shared record without an AHV number (the service never recorded it): at every level.
MISSING_AHV = 0.12
#: Chance that an adult of the second or a later service is somebody already known.
SHARE_LEAD = 0.22
SHARE_PARTNER = 0.12


@dataclass
class _Identity:
    key: str
    family: str
    given: str
    birth: date | None
    sex: str
    ahvn13: str | None
    open_aid: bool


def name_typo(rng: random.Random, name: str) -> str:
    """A registration typo: umlaut spelled out or folded, a doubled letter, a swap, a vowel."""
    for plain, umlaut in (("ue", "ü"), ("oe", "ö"), ("ae", "ä")):
        if umlaut in name:
            return name.replace(umlaut, plain, 1)
        if plain in name[1:]:
            return name[0] + name[1:].replace(plain, umlaut, 1)
    doubled = [i for i in range(1, len(name) - 1) if name[i] == name[i + 1]]
    if doubled and rng.random() < 0.5:
        at = rng.choice(doubled)
        return name[:at] + name[at + 1 :]
    vowels = [i for i in range(1, len(name)) if name[i] in "aeiouy"]
    if vowels and rng.random() < 0.5:
        at = rng.choice(vowels)
        return name[:at] + rng.choice([v for v in "aeiou" if v != name[at]]) + name[at + 1 :]
    if len(name) > 3:
        at = rng.randrange(1, len(name) - 2)
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return name + "e"


def birth_typo(rng: random.Random, born: date) -> date:
    """Day and month exchanged where that is a date, else one digit of the day wrong."""
    if born.day <= 12 and born.day != born.month and rng.random() < 0.5:
        return born.replace(month=born.day, day=born.month)
    tens, ones = divmod(born.day, 10)
    days = [tens * 10 + d for d in range(10) if d != ones]
    days += [t * 10 + ones for t in range(4) if t != tens]
    valid = []
    for day in days:
        try:
            valid.append(born.replace(day=day))
        except ValueError:
            continue
    return rng.choice(valid)


@dataclass
class IdentityPlan:
    """The canton's people across the services, filled as the services are generated."""

    seed: int
    dirt: str
    identities: list[_Identity] = field(default_factory=list)
    records: dict[str, str] = field(default_factory=dict)
    defects: dict[str, list[str]] = field(default_factory=dict)
    service: str = ""
    system: str = ""
    index: int = 0

    def start(self, service_id: str, system: str, index: int) -> IdentityPlan:
        """Generate the next service (`index` keeps its AHV numbers apart from the others)."""
        self.service, self.system, self.index = service_id, system, index
        self._known = len(self.identities)  # only earlier services' people are shared
        return self

    def _defect(self, kind: str, record: str) -> None:
        self.defects.setdefault(kind, []).append(record)

    def assign(self, group: Group, source_key: Any) -> None:
        """Give the group's persons their identities (called before the person dirt)."""
        rng = random.Random(f"{self.seed}/{self.service}/{group.no}")
        roles: dict[int, set[str]] = {}
        for case in group.cases:
            for member in case.members:
                roles.setdefault(member.person, set()).add(member.role)
        open_aid = {
            m.person
            for c in group.cases
            if c.domain == "economic_aid" and c.closed is None
            for m in c.members
        }
        for person in group.persons:
            record = f"{self.service}:{self.system}:{source_key(group, person)}"
            mine = roles.get(person.no, set())
            adult = bool(mine & {"lead", "partner"})
            share = SHARE_LEAD if "lead" in mine else SHARE_PARTNER
            if adult and self._known and rng.random() < share:
                self._take(rng, person, record, prefer_open_aid=person.no in open_aid)
            else:
                self._new(person, record, person.no in open_aid)

    def _new(self, person: Person, record: str, open_aid: bool) -> None:
        if person.ahvn13 is not None:
            person.ahvn13 = ahvn13_for(self.index * 50_000_000 + person.no)
        identity = _Identity(
            f"I{len(self.identities) + 1:06d}",
            person.family_name,
            person.given_name,
            person.birth_date,
            person.sex,
            person.ahvn13,
            open_aid,
        )
        self.identities.append(identity)
        self.records[record] = identity.key

    def _take(
        self, rng: random.Random, person: Person, record: str, *, prefer_open_aid: bool
    ) -> None:
        pool = [i for i in self.identities[: self._known] if i.sex == person.sex and i.birth]
        if prefer_open_aid and rng.random() < 0.5:
            pool = [i for i in pool if i.open_aid] or pool
        if not pool:
            self._new(person, record, prefer_open_aid)
            return
        identity = rng.choice(pool)
        self.records[record] = identity.key
        self._defect("moved" if prefer_open_aid or rng.random() < 0.5 else "separated", record)
        rates = RATES[self.dirt]
        person.family_name, person.given_name = identity.family, identity.given
        person.birth_date, person.birth_precision = identity.birth, "day"
        person.ahvn13, person.ahv_valid = identity.ahvn13, True
        if rng.random() < rates["name-typo"]:
            person.family_name = name_typo(rng, person.family_name)
            self._defect("name-typo", record)
        if rng.random() < rates["given-typo"]:
            person.given_name = name_typo(rng, person.given_name)
            self._defect("given-typo", record)
        if person.birth_date is not None and rng.random() < rates["birth-date-typo"]:
            person.birth_date = birth_typo(rng, person.birth_date)
            self._defect("birth-date-typo", record)
        if rng.random() < rates["doubtful-ahvn13"]:
            others = [i for i in self.identities if i.ahvn13 and i.key != identity.key]
            if others:
                person.ahvn13 = rng.choice(others).ahvn13
                self._defect("doubtful-ahvn13", record)
        elif person.ahvn13 is not None and rng.random() < MISSING_AHV:
            person.ahvn13 = None
            self._defect("missing-ahvn13", record)

    def truth(self) -> dict[str, Any]:
        """The true identity of every person record and the defects of the shared ones."""
        return {
            "records": dict(sorted(self.records.items())),
            "defects": {kind: sorted(keys) for kind, keys in sorted(self.defects.items())},
        }


@dataclass(frozen=True)
class GeneratedCanton:
    """Generated services that share people, and the truth about who is who."""

    out: Path
    sources: tuple[Any, ...]  # GeneratedSource per service
    truth: dict[str, Any]

    @property
    def truth_path(self) -> Path:
        return self.out / "identity-truth.json"


def generate_canton(
    out: Path,
    *,
    services: tuple[tuple[str, str], ...] = DEFAULT_SERVICES,
    cases: int = 100,
    seed: int = 1,
    dirt: str = "realistic",
) -> GeneratedCanton:
    """Generate one source per (service_id, system) into `out/<service>-<system>/`.

    Raises:
        ConfigurationError: A service given twice, an unknown dirt level or system, or an
            output folder that already holds sources.
    """
    from nffs_migration.sample_data.generate import generate

    if dirt not in RATES:
        raise ConfigurationError(f"unknown dirt level {dirt!r}; choose none, realistic or heavy")
    ids = [service for service, _system in services]
    if len(set(ids)) != len(ids) or not ids:
        raise ConfigurationError("give each service once")
    if out.exists() and any(out.iterdir()):
        raise ConfigurationError(f"{out} is not empty; choose a new folder for the canton")
    plan = IdentityPlan(seed, dirt)
    sources = []
    for index, (service_id, system) in enumerate(services):
        sources.append(
            generate(
                system,
                out / f"{service_id}-{system}",
                cases=cases,
                seed=seed * 1_000 + index + 1,
                service_id=service_id,
                dirt=dirt,
                identities=plan.start(service_id, system, index + 1),
            )
        )
    truth = {
        "generator": {
            "seed": seed,
            "cases": cases,
            "dirt": dirt,
            "services": [list(s) for s in services],
        },
        **plan.truth(),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "identity-truth.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return GeneratedCanton(out, tuple(sources), truth)


__all__ = [
    "DEFAULT_SERVICES",
    "GeneratedCanton",
    "IdentityPlan",
    "birth_typo",
    "generate_canton",
    "name_typo",
]
