"""The rule catalog: every rule a finding can name, from extraction and from validation.

One record per id, one severity per id: extraction (`extractors/`) reports what it
noticed in the source under `EXTRACTION_RULES`, validation (`validators/`) judges a
package under `VALIDATION_RULES`, and an id both use (`ahvn13-check-digit`) is one
record. A rule profile may change a rule's severity for a service; the catalog gives
the default. The rule reference (`docs/validation-rules.md`, `nffs-migrate rules`) is
generated from here and from the rule cases in `validators/cases/`.
"""

from __future__ import annotations

from nffs_migration.i18n import N_
from nffs_migration.intermediate_format.findings import Category, Rule, Severity

C, P, I_, N, U = (
    Category.CONFORMANCE,
    Category.COMPLETENESS,
    Category.INTEGRITY,
    Category.PLAUSIBILITY,
    Category.CURRENCY,
)
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _rule(
    rule_id: str,
    category: Category,
    severity: Severity,
    table: str,
    title: str,
    description: str,
    message: str,
) -> Rule:
    return Rule(rule_id, category, severity, table, title, description, message)


def _finding(
    rule_id: str, category: Category, severity: Severity, table: str, title: str, description: str
) -> Rule:
    return Rule(rule_id, category, severity, table, title, description, description)


#: Both stages: extraction empties a source's AHV number with a wrong check digit and
#: names the record; validation finds one left in a package.
AHVN13_CHECK_DIGIT = _rule(
    "ahvn13-check-digit",
    C,
    WARNING,
    "persons",
    N_("AHV check digit"),
    "An AHV number (AHVN13) with a wrong check digit: extraction leaves it empty and names "
    "the record; a package that holds one is told so.",
    "ahvn13 has a wrong check digit",
)

#: Findings of extraction: the record is migrated, the finding names it.
EXTRACTION_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        AHVN13_CHECK_DIGIT,
        _finding(
            "ahvn13-format",
            C,
            WARNING,
            "persons",
            N_("AHV number format"),
            "The source's AHV number is neither an AHVN13 nor an old 11-digit number; left empty.",
        ),
        _finding(
            "unmapped-code",
            C,
            WARNING,
            "*",
            N_("Unmapped code"),
            "A code that no mapping file covers; the field is left empty (add it to the mapping).",
        ),
        _finding(
            "date-impossible",
            C,
            WARNING,
            "*",
            N_("Impossible date"),
            "A date that does not exist (31.02.); the field is left empty.",
        ),
        _finding(
            "date-format",
            C,
            WARNING,
            "*",
            N_("Unreadable date"),
            "A date in no known format; the field is left empty.",
        ),
        _finding(
            "value-format",
            C,
            WARNING,
            "*",
            N_("Unreadable value"),
            "A value not in the form the mapping says (no match of `extract`, not an integer, "
            "not a boolean); the field is left empty.",
        ),
        _finding(
            "amount-format",
            C,
            ERROR,
            "*",
            N_("Unreadable amount"),
            "An amount that cannot be read as CHF.",
        ),
        _finding(
            "encoding-repaired",
            C,
            INFO,
            "*",
            N_("Encoding repaired"),
            "Text held UTF-8 bytes in a Latin-1 file (mojibake); repaired.",
        ),
        _finding(
            "duplicate-key",
            I_,
            WARNING,
            "*",
            N_("Duplicate key"),
            "The same key twice in the source; the later record wins, the earlier is rejected.",
        ),
        _finding(
            "dangling-reference",
            I_,
            WARNING,
            "*",
            N_("Dangling reference"),
            "A reference to a record that is not in the source; the reference is left empty.",
        ),
        _finding(
            "document-empty",
            I_,
            WARNING,
            "documents",
            N_("Empty document"),
            "The document's file has zero bytes.",
        ),
        _finding(
            "document-duplicate-content",
            I_,
            INFO,
            "documents",
            N_("Duplicate document"),
            "The document's content is identical to another document's.",
        ),
        _finding(
            "document-unlisted-file",
            I_,
            INFO,
            "documents",
            N_("Unlisted file"),
            "A file in the document folder that the source does not list; not migrated.",
        ),
        _finding(
            "name-all-caps",
            N,
            INFO,
            "persons",
            N_("Name in capitals"),
            "A family name written in capitals only; check the spelling at the source.",
        ),
    )
}

VALIDATION_RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        # conformance: one column at a time, through the pandera schemas
        _rule(
            "required-value-missing",
            C,
            ERROR,
            "*",
            N_("Required value missing"),
            "A column the format requires is empty.",
            "{field} is required but empty",
        ),
        _rule(
            "code-not-in-list",
            C,
            ERROR,
            "*",
            N_("Code not in the code list"),
            "A coded column holds a value that is not a code of its list.",
            "{field} holds a value that is not in its code list",
        ),
        _rule(
            "format-invalid",
            C,
            ERROR,
            "*",
            N_("Format not respected"),
            "A value does not have its column's format (postal code, ids, checksums).",
            "{field} does not have the required format",
        ),
        AHVN13_CHECK_DIGIT,
        _rule(
            "value-out-of-range",
            C,
            ERROR,
            "*",
            N_("Value out of range"),
            "A number outside its column's range (BFS commune numbers, durations, sizes).",
            "{field} is outside its allowed range",
        ),
        _rule(
            "wrong-type",
            C,
            ERROR,
            "*",
            N_("Wrong type"),
            "A column does not have the format's type.",
            "{field} does not have the format's type",
        ),
        # integrity: across tables and files
        _rule(
            "duplicate-id",
            I_,
            ERROR,
            "*",
            N_("Duplicate id"),
            "Two records of a table have the same id.",
            "the id occurs more than once",
        ),
        _rule(
            "foreign-key-unresolved",
            I_,
            ERROR,
            "*",
            N_("Reference does not resolve"),
            "A reference to another table names a record that is not in the package.",
            "{field} refers to a record that is not in the package",
        ),
        _rule(
            "document-file-missing",
            I_,
            ERROR,
            "documents",
            N_("Document file missing"),
            "A document row names a file that is not in the package.",
            "the document's file is not in the package",
        ),
        _rule(
            "document-checksum-mismatch",
            I_,
            ERROR,
            "documents",
            N_("Document checksum differs"),
            "A document's file does not match the checksum or size its row gives.",
            "the document's file does not match its sha256 or size",
        ),
        _rule(
            "accounting-unbalanced",
            I_,
            ERROR,
            "*",
            N_("Accounting does not balance"),
            "For a source table, read is not migrated + rejected + excluded.",
            "read is not migrated + rejected + excluded",
        ),
        # the extraction's health, from the manifest: a batch that lost most of a table,
        # a code list that translated nothing, documents that did not come
        _rule(
            "reject-rate-high",
            P,
            ERROR,
            "*",
            N_("Many records rejected"),
            "A source table sent more than the profile's share (max_reject_percent) of its "
            "records to the rejects; a wrong mapping or a broken source is likelier than dirt.",
            "more than the allowed share of the source table's records were rejected",
        ),
        _rule(
            "code-list-unmapped",
            C,
            ERROR,
            "*",
            N_("Code list mapped nothing"),
            "A code list translated none of the source's values: its mapping file is missing, "
            "empty or made for another system.",
            "no value of the code list was translated",
        ),
        _rule(
            "documents-not-found",
            P,
            ERROR,
            "documents",
            N_("No document file found"),
            "The source lists documents but the document share yielded none of their files: "
            "a wrong or unreadable document share.",
            "the source lists documents but none of their files was found",
        ),
        _rule(
            "case-number-duplicate",
            I_,
            WARNING,
            "cases",
            N_("Case number used twice"),
            "Two cases of the service have the same case number.",
            "the case number is used by another case too",
        ),
        _rule(
            "organisation-missing",
            I_,
            ERROR,
            "organisation",
            N_("Organisation row"),
            "The package has not exactly one organisation row.",
            "expected exactly one organisation row",
        ),
        # completeness: by case status and domain
        _rule(
            "open-case-without-lead",
            P,
            ERROR,
            "cases",
            N_("Open case without lead"),
            "An open economic-aid case has no current lead person.",
            "open economic-aid case without a lead person",
        ),
        # completeness of the other domains
        _rule(
            "protection-case-without-measure",
            P,
            WARNING,
            "cases",
            N_("Protection case without measure"),
            "An open child or adult protection case, past its first three months (intake_days), "
            "has no measure in force at the data's date.",
            "open protection case without a measure in force",
        ),
        _rule(
            "measure-without-mandate-holder",
            P,
            WARNING,
            "measures",
            N_("Measure without mandate holder"),
            "A measure in force of an open protection case names no mandate holder.",
            "measure in force without a mandate holder",
        ),
        _rule(
            "advance-case-without-lead",
            P,
            WARNING,
            "cases",
            N_("Maintenance advance without applicant"),
            "An open maintenance-advance case has no current lead (the parent who applied).",
            "open maintenance-advance case without a lead person",
        ),
        _rule(
            "asylum-lead-without-permit",
            P,
            WARNING,
            "persons",
            N_("Asylum case lead without permit"),
            "The lead of an open asylum case has no residence permit recorded (N, F, S, B ...): "
            "the permit decides which rates and which funding apply.",
            "lead person of an open asylum case without a residence permit",
        ),
        _rule(
            "case-several-leads",
            P,
            WARNING,
            "cases",
            N_("Case with several leads"),
            "A case has more than one current lead person.",
            "case with more than one lead person",
        ),
        _rule(
            "open-case-without-social-worker",
            P,
            ERROR,
            "cases",
            N_("Open case without social worker"),
            "An open economic-aid case has no responsible social worker.",
            "open economic-aid case without a responsible social worker",
        ),
        _rule(
            "open-case-without-segment",
            P,
            WARNING,
            "cases",
            N_("Open case without segment"),
            "An open economic-aid case past intake has no segment (A, B, C).",
            "open economic-aid case past intake without a segment",
        ),
        _rule(
            "closed-case-without-reason",
            P,
            WARNING,
            "cases",
            N_("Closed case without reason"),
            "A closed case has no closing reason.",
            "closed case without a closing reason",
        ),
        _rule(
            "talk-without-duration",
            P,
            WARNING,
            "journal_entries",
            N_("Talk without duration"),
            "A personal talk has no duration (the systems record durations for personal talks "
            "only; a home visit, a call or a note has none).",
            "personal talk without a duration",
        ),
        # plausibility
        _rule(
            "closed-before-opened",
            N,
            ERROR,
            "cases",
            N_("Closed before opened"),
            "A case's closing date is before its opening date.",
            "closed_on is before opened_on",
        ),
        _rule(
            "lead-born-after-opening",
            N,
            WARNING,
            "cases",
            N_("Lead born after opening"),
            "The lead person's birth date is not before the case's opening.",
            "the lead person was born after the case was opened",
        ),
        _rule(
            "budget-periods-overlap",
            N,
            WARNING,
            "budgets",
            N_("Approved budgets overlap"),
            "Two approved budgets of one case cover the same days.",
            "approved budget overlaps another approved budget of the case",
        ),
        _rule(
            "amount-out-of-range",
            N,
            WARNING,
            "*",
            N_("Implausible amount"),
            "A budget position below zero or an amount above the plausible range.",
            "{field} is outside the plausible range",
        ),
        _rule(
            "child-older-than-parent",
            N,
            WARNING,
            "case_members",
            N_("Child older than parent"),
            "A child of a case is not younger than the case's lead person.",
            "the child is not younger than the case's lead person",
        ),
        _rule(
            "duration-on-non-contact",
            N,
            WARNING,
            "journal_entries",
            N_("Duration on a non-contact"),
            "A duration on an entry that is not a talk, visit or meeting.",
            "duration recorded on an entry that is not a contact",
        ),
        _rule(
            "address-periods-overlap",
            N,
            WARNING,
            "addresses",
            N_("Address periods overlap"),
            "Two addresses of one person are valid on the same days.",
            "the address's period overlaps another address of the person",
        ),
        _rule(
            "date-in-the-future",
            N,
            WARNING,
            "*",
            N_("Date in the future"),
            "A date after the data's date where only the past makes sense.",
            "{field} is after the data's date",
        ),
        # currency, against data_as_of
        _rule(
            "open-case-without-current-budget",
            U,
            WARNING,
            "cases",
            N_("No current budget"),
            "An open economic-aid case has no approved budget for the data's date.",
            "open economic-aid case without a current approved budget",
        ),
        _rule(
            "contact-overdue",
            U,
            WARNING,
            "cases",
            N_("Personal contact overdue"),
            "An open case in segment A had no personal contact in 6 months, B or C in 12.",
            "no personal contact within the segment's window",
        ),
        _rule(
            "lead-without-current-address",
            U,
            WARNING,
            "persons",
            N_("Lead without current address"),
            "The lead of an open economic-aid case has no address valid at the data's date.",
            "lead person of an open case without a current address",
        ),
        # the segment guidelines (seed 004): off unless a profile turns them on
        _rule(
            "segment-contact-frequency",
            U,
            WARNING,
            "cases",
            N_("Too few personal contacts for the segment"),
            "An open case had fewer personal contacts in the window before the data's date than "
            "its segment asks: A 4 in a semester, B 3 and C 1 in a year.",
            "fewer personal contacts than the segment's guide value",
        ),
        _rule(
            "segment-time-limit",
            U,
            WARNING,
            "cases",
            N_("Segment time limit reached"),
            "An open case has been in its segment longer than the concept's limit (A 6 months, "
            "B 24, C 36) since segment_since: a review is due.",
            "the segment's time limit has passed: a review is due",
        ),
        _rule(
            "segment-personal-share",
            N,
            WARNING,
            "cases",
            N_("Too few physical contacts"),
            "Of an open case's contacts in the window, fewer than 80 % (A, B) or 100 % (C) were "
            "talks, home visits or network meetings.",
            "the share of physical contacts is below the segment's guide value",
        ),
        _rule(
            "portfolio-few-in-a",
            N,
            INFO,
            "staff",
            N_("Few cases in segment A"),
            "Fewer than 10 % of a social worker's segmented open cases are in segment A.",
            "fewer than the guide value of this social worker's cases are in segment A",
        ),
        _rule(
            "portfolio-many-in-c",
            N,
            INFO,
            "staff",
            N_("Many cases in segment C"),
            "More than 40 % of a social worker's segmented open cases are in segment C.",
            "more than the guide value of this social worker's cases are in segment C",
        ),
        _rule(
            "mandate-holder-inactive",
            U,
            WARNING,
            "measures",
            N_("Mandate holder inactive"),
            "The mandate holder of a measure in force is no longer active staff.",
            "the mandate holder of a measure in force is not active",
        ),
        _rule(
            "responsible-staff-inactive",
            U,
            WARNING,
            "cases",
            N_("Responsible staff inactive"),
            "An open case's responsible social worker is no longer active.",
            "the responsible social worker of an open case is not active",
        ),
    )
}


#: Every rule, by id.
RULES: dict[str, Rule] = {**EXTRACTION_RULES, **VALIDATION_RULES}
#: Rules that judge nothing unless a profile turns them on (`enabled: true`).
OPTIONAL_RULES = frozenset(
    {
        "segment-contact-frequency",
        "segment-time-limit",
        "segment-personal-share",
        "portfolio-few-in-a",
        "portfolio-many-in-c",
    }
)


#: Rejects: the record goes to `rejects/` with this rule and reason (extraction).
REJECT_RULES: dict[str, str] = {
    "orphan-record": "The record's parent does not exist in the source.",
    "unmapped-code": "A required code that no mapping file covers.",
    "missing-required": "A required value is missing in the source.",
    "amount-format": "An amount that cannot be read as CHF.",
    "document-file-missing": "The document's file is not in the document folder.",
    "document-path-unsafe": "The document's path leaves the document folder.",
    "duplicate-key": "The same key twice in the source; the later record wins.",
    "dangling-reference": "The record refers to a record that is not in the source.",
}
#: Exclusions: the record is counted as excluded under this rule (extraction).
EXCLUSION_RULES: dict[str, str] = {
    "soft-deleted": "Marked deleted in the source (with what hangs only on it).",
    "retention-expired": "Case closed more than the retention period before the data's date, "
    "with everything that hangs only on it; persons whose every case is excluded.",
}
#: Titles of the reject rules that are no finding's rule as well.
REJECT_TITLES: dict[str, str] = {
    "orphan-record": N_("Parent record missing"),
    "missing-required": N_("Required value missing in the source"),
    "document-path-unsafe": N_("Document path outside the share"),
}

#: What the clerk does about a finding or a rejected record, in the legacy system. Shown
#: in the clerk's language in the worklist (`nffs-migrate worklist`) and the report.
FIXES: dict[str, str] = {
    # extraction
    "ahvn13-check-digit": N_(
        "Check the AHV number against the client's insurance card and correct it."
    ),
    "ahvn13-format": N_("Enter the 13-digit AHV number (756…) from the insurance card."),
    "unmapped-code": N_(
        "Choose a valid code in the legacy system, or ask IT to add the code to the mapping."
    ),
    "date-impossible": N_("Correct the date: it does not exist in the calendar."),
    "date-format": N_("Enter the date as dd.mm.yyyy."),
    "value-format": N_("Correct the value to the form the service's mapping expects."),
    "amount-format": N_("Enter the amount in francs (for example 1250.50)."),
    "encoding-repaired": N_("Nothing to do: the text was repaired; check its accents if in doubt."),
    "duplicate-key": N_("The record exists twice: keep one and delete the other."),
    "dangling-reference": N_(
        "The record points to a record that no longer exists: choose the right one or remove it."
    ),
    "document-empty": N_("The document's file is empty: scan or file it again."),
    "document-duplicate-content": N_(
        "Nothing to do unless the same file was filed by mistake for another record."
    ),
    "document-unlisted-file": N_(
        "File the document in the legacy system, or delete it from the folder if it is not needed."
    ),
    "name-all-caps": N_("Write the family name with its usual capitals."),
    # rejects
    "orphan-record": N_(
        "The record hangs on a missing record: attach it to the right case or person, or delete it."
    ),
    "missing-required": N_("Enter the missing value in the legacy system."),
    "document-file-missing": N_(
        "The document's file is missing on the share: put it back or remove the document entry."
    ),
    "document-path-unsafe": N_(
        "The document's path points outside the document share: file the document again."
    ),
    # validation: the package
    "required-value-missing": N_("Enter the missing value in the legacy system."),
    "code-not-in-list": N_("Choose a valid code in the legacy system."),
    "format-invalid": N_("Correct the value to its format (postal code, number, date)."),
    "value-out-of-range": N_("Correct the number: it is outside what the field allows."),
    "wrong-type": N_("Ask IT: the package has a column of the wrong type (an extraction fault)."),
    "duplicate-id": N_("Ask IT: two records have the same id (an extraction fault)."),
    "foreign-key-unresolved": N_(
        "Ask IT: a reference names a record the package lacks (an extraction fault)."
    ),
    "document-checksum-mismatch": N_("Ask IT: a document changed after extraction; extract again."),
    "accounting-unbalanced": N_(
        "Ask IT: the package lost records between reading and writing; do not load it."
    ),
    "reject-rate-high": N_(
        "Ask IT: many records were rejected; the mapping or the source is likely at fault."
    ),
    "code-list-unmapped": N_(
        "Ask IT: a code list translated nothing; the mapping file is missing or for another system."
    ),
    "documents-not-found": N_(
        "Ask IT: none of the documents was found; check the document share given to the extraction."
    ),
    "organisation-missing": N_("Ask IT: the package must name the service exactly once."),
    # validation: the cases
    "case-number-duplicate": N_("Give one of the two cases its own case number."),
    "open-case-without-lead": N_("Record the lead person (applicant) of the case."),
    "protection-case-without-measure": N_("Record the measure in force, or close the case."),
    "measure-without-mandate-holder": N_("Record the mandate holder of the measure."),
    "advance-case-without-lead": N_(
        "Record the parent who applied for the advance as the case's lead."
    ),
    "asylum-lead-without-permit": N_("Record the lead person's residence permit (N, F, S, B …)."),
    "case-several-leads": N_("Keep one lead person; record the others as household members."),
    "open-case-without-social-worker": N_("Assign a responsible social worker to the case."),
    "open-case-without-segment": N_("Assign the case's segment (A, B or C)."),
    "closed-case-without-reason": N_("Record why the case was closed."),
    "talk-without-duration": N_("Record how long the talk lasted."),
    "closed-before-opened": N_("Correct the opening or the closing date of the case."),
    "lead-born-after-opening": N_(
        "Check the lead person's birth date and the case's opening date."
    ),
    "budget-periods-overlap": N_(
        "Correct the periods of the approved budgets so that they do not overlap."
    ),
    "amount-out-of-range": N_("Check the amount: it is negative or unusually high."),
    "child-older-than-parent": N_("Check the birth dates and the roles of the household members."),
    "duration-on-non-contact": N_("Remove the duration, or correct the kind of journal entry."),
    "address-periods-overlap": N_("Close the older address on the day the newer one starts."),
    "date-in-the-future": N_("Correct the date: it lies after the data's date."),
    "open-case-without-current-budget": N_(
        "Approve a budget for the current month, or close the case."
    ),
    "contact-overdue": N_(
        "Plan a personal contact with the client, or record the one that took place."
    ),
    "lead-without-current-address": N_("Record the lead person's current address."),
    "segment-contact-frequency": N_(
        "Plan the personal contacts the segment asks for, or record those that took place."
    ),
    "segment-time-limit": N_("Review the case's segment: its time limit is reached."),
    "segment-personal-share": N_(
        "Meet the client in person (talk, home visit or network meeting) more often."
    ),
    "portfolio-few-in-a": N_(
        "Review the segments of the social worker's cases with the team lead."
    ),
    "portfolio-many-in-c": N_(
        "Review the segments of the social worker's cases with the team lead."
    ),
    "mandate-holder-inactive": N_("Assign an active mandate holder to the measure."),
    "responsible-staff-inactive": N_("Assign an active social worker to the case."),
}


def title(rule_id: str) -> str:
    """A rule's title (in English; `i18n._` gives it in the run's language)."""
    if rule_id in RULES:
        return RULES[rule_id].title
    return REJECT_TITLES.get(rule_id, rule_id)


def fix(rule_id: str) -> str:
    """What the clerk does about a finding or reject of the rule (English; see `title`)."""
    return FIXES.get(rule_id, "")


def rule(rule_id: str) -> Rule:
    """A rule of the catalog by id."""
    return RULES[rule_id]


__all__ = [
    "EXCLUSION_RULES",
    "EXTRACTION_RULES",
    "FIXES",
    "OPTIONAL_RULES",
    "REJECT_RULES",
    "REJECT_TITLES",
    "RULES",
    "VALIDATION_RULES",
    "fix",
    "rule",
    "title",
]
