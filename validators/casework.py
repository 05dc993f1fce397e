"""Completeness of the domains beyond economic aid: protection, maintenance advances, asylum.

The contract's domain terms apply: a case is *open* at the data's date when it has no
closing date or closes later; its *lead* is its member with role `lead` whose
membership covers that date. A measure is *in force* when it started on or before the
data's date and has not ended before it.

- child and adult protection: an open case, past its first `intake_days`, has a measure
  in force (`protection-case-without-measure`); a measure in force names its mandate
  holder (`measure-without-mandate-holder`), who is active staff
  (`mandate-holder-inactive`);
- maintenance advances: an open case has its lead, the parent who applied
  (`advance-case-without-lead`);
- asylum: the lead of an open case has a residence permit (`asylum-lead-without-permit`).

A rule that needs a table or column the source system does not keep (KiSS keeps no
measures, Tutoris no mandate holder: `manifest.not_kept`) does not judge the package: an
empty column there is the source's shape, not a defect. Delta packages are judged on
the records they carry only where a case's other records are not needed.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from nffs_migration.validators.domain import _current_members, _dates, _on, _open_cases
from nffs_migration.validators.results import CheckContext, Results
from nffs_migration.validators.source import TableSource

PROTECTION = ("child_protection", "adult_protection")


def check_casework(source: TableSource, context: CheckContext, results: Results) -> None:
    """The completeness rules of protection, maintenance-advance and asylum cases."""
    if context.delta:
        return  # a delta need not hold a case's measures, members or persons
    as_of = _on(context.as_of)
    cases = source.frame("cases", ["case_id", "source_key", "domain", "opened_on", "closed_on"])
    open_mask = _open_cases(cases, context.as_of)
    domain = cases["domain"]
    _protection(
        source,
        context,
        results,
        cases,
        open_mask & domain.isin(PROTECTION).fillna(False).to_numpy(dtype=bool),
        as_of,
    )
    members = source.frame(
        "case_members",
        ["case_member_id", "source_key", "case_id", "person_id", "role", "valid_from", "valid_to"],
    )
    current = _current_members(members, cases, context.as_of)
    leads = current[(current["role"] == "lead").fillna(False).to_numpy(dtype=bool)]
    advance = open_mask & (domain == "maintenance_advance").fillna(False).to_numpy(dtype=bool)
    results.checked("advance-case-without-lead", int(advance.sum()))
    results.fail(
        "advance-case-without-lead",
        "cases",
        cases,
        advance & ~cases["case_id"].isin(leads["case_id"]).to_numpy(dtype=bool),
    )
    if not context.keeps("persons.residence_permit"):
        return
    asylum = cases["case_id"][open_mask & (domain == "asylum").fillna(False).to_numpy(dtype=bool)]
    asylum_leads = leads["person_id"][leads["case_id"].isin(asylum).to_numpy(dtype=bool)]
    persons = source.frame("persons", ["person_id", "source_key", "residence_permit"])
    concerned = persons["person_id"].isin(asylum_leads).to_numpy(dtype=bool)
    results.checked("asylum-lead-without-permit", int(concerned.sum()))
    results.fail(
        "asylum-lead-without-permit",
        "persons",
        persons,
        concerned & persons["residence_permit"].isna().to_numpy(),
        "residence_permit",
    )


def _protection(
    source: TableSource,
    context: CheckContext,
    results: Results,
    cases: pd.DataFrame,
    open_protection: np.ndarray,
    as_of: pd.Timestamp,
) -> None:
    if not context.keeps("measures"):
        return
    measures = source.frame(
        "measures",
        [
            "measure_id",
            "source_key",
            "case_id",
            "started_on",
            "ended_on",
            "mandate_holder_staff_id",
        ],
    )
    started, ended = _dates(measures["started_on"]), _dates(measures["ended_on"])
    in_force = ((started <= as_of) & (ended.isna() | (ended >= as_of))).fillna(False)
    in_force = in_force.to_numpy(dtype=bool)
    grace = as_of - timedelta(days=context.params.intake_days)
    settled = (_dates(cases["opened_on"]) < grace).fillna(False).to_numpy(dtype=bool)
    judged = open_protection & settled
    covered = cases["case_id"].isin(measures["case_id"][in_force]).to_numpy(dtype=bool)
    results.checked("protection-case-without-measure", int(judged.sum()))
    results.fail("protection-case-without-measure", "cases", cases, judged & ~covered)

    open_ids = cases["case_id"][open_protection]
    current = in_force & measures["case_id"].isin(open_ids).to_numpy(dtype=bool)
    if not context.keeps("measures.mandate_holder_staff_id"):
        return
    holder = measures["mandate_holder_staff_id"]
    results.checked("measure-without-mandate-holder", int(current.sum()))
    results.fail(
        "measure-without-mandate-holder",
        "measures",
        measures,
        current & holder.isna().to_numpy(),
        "mandate_holder_staff_id",
    )
    staff = source.frame("staff", ["staff_id", "active"])
    inactive = staff["staff_id"][(staff["active"] == False).fillna(False).to_numpy(dtype=bool)]  # noqa: E712
    named = current & holder.notna().to_numpy()
    results.checked("mandate-holder-inactive", int(named.sum()))
    results.fail(
        "mandate-holder-inactive",
        "measures",
        measures,
        named & holder.isin(inactive).fillna(False).to_numpy(dtype=bool),
        "mandate_holder_staff_id",
    )


__all__ = ["PROTECTION", "check_casework"]
