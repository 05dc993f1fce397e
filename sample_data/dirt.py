"""The catalog of dirt: every defect the reference models describe, and what should become of it.

Each kind names the systems that can carry it, the intermediate table it concerns, and
the expected treatment by a correct toolkit:

- ``normalise``: converted silently into the canonical value (trimmed names, `9999-12-31`
  to null, an AHV number with dots to 13 digits, RTF to plain text);
- ``finding``: the record is migrated and a finding names its source key (by the
  extractor in `extract-findings.json` or by validation);
- ``reject``: the record goes to `rejects/` with a rule and reason;
- ``exclude``: the record is excluded by a documented rule and counted as excluded.

`Dirt` decides where to inject: a record is dirty when a hash of (seed, kind, key) falls
under the kind's rate for the level, and at `realistic` or `heavy` every kind is forced
once on an early eligible record so that small sources still exercise every rule. At
`none` nothing is injected. Decisions depend only on the seed, the kind and the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from nffs_migration.sample_data.truth import Truth


class Level(StrEnum):
    """How dirty a generated source is."""

    NONE = "none"
    REALISTIC = "realistic"
    HEAVY = "heavy"


@dataclass(frozen=True)
class DirtKind:
    """One kind of defect of a legacy source."""

    id: str
    systems: tuple[str, ...]
    table: str
    expect: str
    description: str
    rate: float = 0.02
    #: A fact of the source rather than a defect (RTF in old entries, retention): present
    #: at every level, `none` included, and recorded in the truth all the same.
    always: bool = False

    def rate_for(self, level: Level) -> float:
        """Probability per eligible record at a level."""
        if self.always:
            return 1.0
        if level is Level.NONE:
            return 0.0
        return min(self.rate * (5 if level is Level.HEAVY else 1), 0.5)


ALL = ("klibnet", "kiss", "tutoris", "custom")
DB = ("klibnet", "kiss")

KINDS: dict[str, DirtKind] = {
    k.id: k
    for k in (
        # persons
        DirtKind(
            "name-padding",
            ("klibnet", "custom"),
            "persons",
            "normalise",
            "Family or given name with leading or trailing blanks.",
            0.05,
        ),
        DirtKind(
            "name-all-caps",
            ("klibnet",),
            "persons",
            "finding",
            "Family name written in capitals only.",
            0.01,
        ),
        DirtKind(
            "sex-lower-case",
            ("klibnet",),
            "persons",
            "normalise",
            "Sex code in lower case (`m`, `w`).",
            0.03,
        ),
        DirtKind(
            "birth-date-unknown",
            ("klibnet", "kiss", "tutoris"),
            "persons",
            "normalise",
            "Birth date unknown (`1900-01-01`, NULL or empty): null, precision unknown.",
            0.01,
        ),
        DirtKind(
            "birth-date-time-part",
            ("klibnet",),
            "persons",
            "normalise",
            "Birth date stored with a time of day.",
            0.03,
        ),
        DirtKind(
            "birth-date-year-only",
            ("tutoris",),
            "persons",
            "normalise",
            "Only the year of birth is known (`00.00.1984`): precision year.",
            0.02,
        ),
        DirtKind(
            "birth-date-impossible",
            ("tutoris", "custom"),
            "persons",
            "finding",
            "Birth date that does not exist (`31.02.1984`): null and a finding.",
            0.01,
        ),
        DirtKind(
            "ahvn13-formatted",
            ("klibnet", "tutoris", "custom"),
            "persons",
            "normalise",
            "AHV number not as 13 plain digits: with dots or blanks (in Tutoris, where dots "
            "are the norm: without dots or with blanks).",
            0.2,
        ),
        DirtKind(
            "ahvn13-check-digit",
            ALL,
            "persons",
            "finding",
            "AHV number with a wrong check digit: null and a finding.",
            0.01,
        ),
        DirtKind(
            "ahv-old-number",
            ("klibnet",),
            "persons",
            "normalise",
            "Old 11-digit AHV number in the AHV field: to `old_ahv_number`.",
            0.01,
        ),
        DirtKind(
            "nationality-alpha3",
            ("klibnet",),
            "persons",
            "normalise",
            "Nationality as ISO alpha-3 (`ERI`) instead of alpha-2.",
            0.02,
        ),
        DirtKind(
            "code-unmapped",
            ("kiss", "custom"),
            "persons",
            "finding",
            "Marital status code that no mapping covers (not in XLOVCode): null and a finding.",
            0.005,
        ),
        DirtKind(
            "code-inactive",
            ("kiss",),
            "persons",
            "normalise",
            "Code marked inactive in XLOVCode but still in use: mapped as usual.",
            0.01,
        ),
        DirtKind(
            "soft-deleted",
            ("klibnet",),
            "persons",
            "exclude",
            "Person marked deleted (`Geloescht = 1`), with its addresses.",
            0.01,
        ),
        DirtKind(
            "person-duplicate-id",
            ("tutoris",),
            "persons",
            "finding",
            "The same person id twice in one export: the later wins, the clash is reported.",
            0.005,
        ),
        DirtKind(
            "mojibake",
            ("tutoris",),
            "persons",
            "finding",
            "UTF-8 bytes in a Latin-1 file (`MÃ¼ller`): repaired, with a finding.",
            0.01,
        ),
        # addresses
        DirtKind(
            "address-open-end-9999",
            ("klibnet",),
            "addresses",
            "normalise",
            "Open address ending `9999-12-31`: null.",
            0.3,
        ),
        DirtKind(
            "address-overlap",
            ("klibnet", "kiss"),
            "addresses",
            "finding",
            "Two address periods of one person overlap.",
            0.01,
        ),
        DirtKind(
            "orphan-record",
            DB,
            "addresses",
            "reject",
            "Row whose parent record does not exist (address of a missing person, "
            "payment or journal entry of a missing case).",
            0.002,
        ),
        # cases
        DirtKind(
            "case-without-lead",
            ("klibnet", "kiss", "tutoris"),
            "cases",
            "finding",
            "Open economic-aid case without a lead person.",
            0.01,
        ),
        DirtKind(
            "case-two-leads",
            ("klibnet", "tutoris"),
            "cases",
            "finding",
            "Open economic-aid case with two lead persons.",
            0.01,
        ),
        DirtKind(
            "case-without-staff",
            ALL,
            "cases",
            "finding",
            "Open economic-aid case without a responsible social worker.",
            0.01,
        ),
        DirtKind(
            "case-without-segment",
            ("klibnet", "kiss", "tutoris"),
            "cases",
            "finding",
            "Open economic-aid case past intake without a segment.",
            0.01,
        ),
        DirtKind(
            "case-number-duplicate",
            ("klibnet",),
            "cases",
            "finding",
            "Case number used twice (after a merge of services).",
            0.005,
        ),
        DirtKind(
            "case-closed-without-reason",
            ALL,
            "cases",
            "finding",
            "Closed case without a closing reason.",
            0.01,
        ),
        DirtKind(
            "case-contact-overdue",
            ALL,
            "cases",
            "finding",
            "Open case in a segment without a personal contact in the required window.",
            0.02,
        ),
        DirtKind(
            "case-without-current-budget",
            ("klibnet", "kiss", "tutoris"),
            "cases",
            "finding",
            "Open economic-aid case without an approved budget for the current month.",
            0.01,
        ),
        DirtKind(
            "lead-without-current-address",
            ("klibnet", "kiss", "tutoris"),
            "cases",
            "finding",
            "Lead of an open economic-aid case without a current address.",
            0.01,
        ),
        DirtKind(
            "retention-expired",
            ALL,
            "cases",
            "exclude",
            "Case closed more than ten years before the data's date, with all that "
            "hangs only on it (not dirt: the canton's retention rule).",
            1.0,
            always=True,
        ),
        # case members
        DirtKind(
            "member-dangling-person",
            ("tutoris",),
            "case_members",
            "reject",
            "Member pointing at a person id that is not in the export.",
            0.005,
        ),
        # budgets
        DirtKind(
            "budget-code-unknown",
            ("klibnet", "kiss"),
            "budget_items",
            "reject",
            "Budget position with a code no mapping covers (`MIET`, `Gbl`, a "
            "service-specific KiSS type).",
            0.002,
        ),
        DirtKind(
            "budget-amount-negative",
            ("klibnet", "kiss", "tutoris"),
            "budget_items",
            "finding",
            "Negative amount in a budget position.",
            0.001,
        ),
        DirtKind(
            "budget-overlap",
            ("klibnet", "tutoris"),
            "budgets",
            "finding",
            "Two approved budgets of one case overlap.",
            0.005,
        ),
        # payments
        DirtKind(
            "amount-swiss-format",
            ("tutoris", "custom"),
            "payments",
            "normalise",
            "Amount written `1'234.50` or `1234,50`.",
            0.3,
        ),
        # journal
        DirtKind(
            "journal-rtf",
            ("klibnet",),
            "journal_entries",
            "normalise",
            "Journal text in RTF (entries before 2015): plain text.",
            1.0,
            always=True,
        ),
        DirtKind(
            "talk-without-duration",
            ALL,
            "journal_entries",
            "finding",
            "Personal talk without a duration.",
            0.02,
        ),
        DirtKind(
            "duration-on-note",
            ALL,
            "journal_entries",
            "finding",
            "Duration recorded on an entry that is not a contact.",
            0.005,
        ),
        DirtKind(
            "journal-dangling-staff",
            ("tutoris",),
            "journal_entries",
            "finding",
            "Journal entry naming a staff id that is not in the export: staff null.",
            0.005,
        ),
        DirtKind(
            "contact-type-unmapped",
            ("kiss",),
            "journal_entries",
            "reject",
            "Contact type code that no mapping covers.",
            0.002,
        ),
        # documents
        DirtKind(
            "document-file-missing",
            ALL,
            "documents",
            "reject",
            "Document listed in the source whose file is not on the share.",
            0.01,
        ),
        DirtKind(
            "document-path-unsafe",
            ("klibnet", "kiss", "tutoris"),
            "documents",
            "reject",
            "Document path that leaves the share (`..`, absolute, drive letter).",
            0.003,
        ),
        DirtKind(
            "document-zero-bytes",
            ALL,
            "documents",
            "finding",
            "Document file of zero bytes.",
            0.005,
        ),
        DirtKind(
            "document-duplicate-content",
            ("klibnet", "kiss"),
            "documents",
            "finding",
            "Two documents with the same content.",
            0.005,
        ),
        DirtKind(
            "document-unlisted-file",
            ("tutoris", "custom"),
            "documents",
            "finding",
            "File in the document folder that the source does not list.",
            0.005,
        ),
    )
}


def _unit(seed: int, kind: str, key: str) -> float:
    digest = hashlib.blake2b(f"{seed}|{kind}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Dirt:
    """Decides where dirt goes for one generated source and records it in the truth."""

    def __init__(self, level: Level, seed: int, system: str, truth: Truth) -> None:
        self.level = level
        self.seed = seed
        self.system = system
        self.truth = truth
        self._seen: dict[str, int] = {}

    def applies(self, kind: str) -> bool:
        """True when the kind exists in this system and the level injects dirt at all."""
        spec = KINDS[kind]
        if self.system not in spec.systems:
            return False
        return spec.always or self.level is not Level.NONE

    def roll(self, kind: str, key: str, *, record: bool = True) -> bool:
        """Decide whether the record `key` gets dirt `kind`; record it in the truth if so.

        Forced once per kind on an early eligible record (after 0 to 2 eligible ones, by
        the seed) when the rate alone has not hit yet, so that every kind appears.
        """
        if not self.applies(kind):
            return False
        spec = KINDS[kind]
        if spec.always:
            if record:
                self.truth.inject(kind, key)
            return True
        seen = self._seen.get(kind, 0)
        self._seen[kind] = seen + 1
        hit = _unit(self.seed, kind, key) < spec.rate_for(self.level)
        if not hit and not spec.always and not self.truth.has(kind):
            hit = seen >= int(_unit(self.seed, kind, "offset") * 3)
        if hit and record:
            self.truth.inject(kind, key)
        return hit

    def pick(self, kind: str, key: str, options: int) -> int:
        """A deterministic choice among `options` variants of a dirt kind for a record."""
        return int(_unit(self.seed, kind + "/variant", key) * options)


__all__ = ["KINDS", "Dirt", "DirtKind", "Level"]


def catalog_markdown() -> str:
    """The dirt catalog as a Markdown page (docs/dirt-catalog.md is generated from it)."""
    lines = [
        "# Dirt catalog of the sample-data generator",
        "",
        "Generated from `sample_data/dirt.py`; do not edit. Every defect the reference models",
        "describe, the systems that carry it, and what a correct toolkit makes of it:",
        "`normalise` (converted silently), `finding` (migrated, and a finding names the",
        "source key), `reject` (to `rejects/` with a rule), `exclude` (excluded by a rule).",
        "Rates are per eligible record at `realistic`; `heavy` is five times that (at most",
        "0.5); `none` injects nothing. Facts of a source (RTF in old journal entries, the",
        "retention rule) appear at every level.",
        "",
        "| kind | table | expect | systems | realistic rate | what |",
        "|---|---|---|---|---|---|",
    ]
    for kind in KINDS.values():
        rate = "always" if kind.always else f"{kind.rate:g}"
        lines.append(
            f"| `{kind.id}` | {kind.table} | {kind.expect} | {', '.join(kind.systems)} | {rate} "
            f"| {kind.description} |"
        )
    return "\n".join(lines) + "\n"
