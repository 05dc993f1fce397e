"""Completeness, plausibility and currency: the rules of the case-management concept.

The domain terms are the contract's (Conventions): a case is *open* at the data's date
when it has no closing date or closes later; a case's *lead* is its member with role
`lead` whose membership covers that date; a *personal contact* is a `personal_talk` or a
`home_visit`; a *current budget* is an approved budget whose period includes the data's
date; the *contact window* is 6 months in segment A and 12 in B and C (seed 004), its
clock starting at `segment_since` (or `opened_on`), so a case that entered its segment
more recently is not judged yet.

Every check is vectorised over narrow projections of the tables (a few columns each),
so a package of millions of rows is judged in seconds.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.validators.results import CheckContext, Results
from nffs_migration.validators.source import TableSource

PERSONAL_CONTACT = ("personal_talk", "home_visit")
WITH_DURATION = ("personal_talk", "home_visit", "network_meeting")
DATE = pd.ArrowDtype(pa.date32())


def _dates(series: pd.Series) -> pd.Series:
    """A date or timestamp column as datetime64[s] (NaT for null), for vectorised comparison.

    Cast in Arrow: going through Python date objects cost a minute on ten million rows.
    """
    if isinstance(series.dtype, pd.ArrowDtype):
        array = pa.array(series, from_pandas=True)
        if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
            cast = pc.cast(array, pa.timestamp("s"), safe=False)  # seconds are enough here
            return pd.Series(cast.to_numpy(zero_copy_only=False), index=series.index).astype(
                "datetime64[s]"
            )
    return pd.to_datetime(series.astype(object).where(series.notna(), None), errors="coerce")


def _floats(series: pd.Series) -> pd.Series:
    """A money column as float64 (NaN where empty), for range checks.

    Cast in Arrow: pandas' `astype("float64")` of a decimal column goes through a Python
    Decimal per value, eight seconds on seven million amounts.
    """
    if isinstance(series.dtype, pd.ArrowDtype):
        cast = pc.cast(pa.array(series), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=series.index)
    return series.astype("float64")


def _mapped_dates(keys: pd.Series, values: pd.Series) -> pd.Series:
    """`keys.map(values)` for date values, always datetime64 (NaT where no value)."""
    unique = pd.to_datetime(values[~values.index.duplicated(keep="first")], errors="coerce")
    aligned = unique.reindex(keys.to_numpy(dtype=object, na_value=None))
    return pd.Series(aligned.to_numpy(), index=keys.index)


FAR_FUTURE = pd.Timestamp("9999-12-31")
#: Bits of an int64 that `_overlaps` packs a group number and an end date into.
PACKED_BITS = 62


def _on(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def _overlaps(frame: pd.DataFrame, group: str, order: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows (sorted) whose period starts before an earlier-starting period of the group ends.

    `frame` has `start` and `end` (NaT end: open); each overlapping pair is reported on
    its later-starting row. Rows are sorted by group, start and `order` (nulls last,
    stable) in polars (pandas factorised the string keys and took over a second for a
    million budgets); the running end per group is then one numpy pass: the group's
    number in the high bits and the end in the low ones, so a running maximum over the
    whole column never carries an end from one group into the next.
    """
    data = pl.DataFrame(
        {
            "group": pa.array(frame[group], from_pandas=True),
            "start": pa.array(frame["start"].astype("datetime64[s]"), from_pandas=True),
            "order": pa.array(frame[order], from_pandas=True),
            "row": np.arange(len(frame)),
        }
    )
    data = data.sort(["group", "start", "order"], nulls_last=True, maintain_order=True)
    rows = data["row"].to_numpy()
    ordered = frame.iloc[rows]
    count = len(rows)
    if count < 2:
        return ordered, np.zeros(count, dtype=bool)
    groups = data["group"]
    known = groups.is_not_null().to_numpy()
    first_of_group = np.ones(count, dtype=bool)
    first_of_group[1:] = groups.ne_missing(groups.shift(1)).to_numpy()[1:]
    number = np.cumsum(first_of_group, dtype=np.int64)
    seconds = _seconds(ordered["end"].astype("datetime64[s]").fillna(FAR_FUTURE))
    low = seconds.min()
    span = int(seconds.max() - low) + 1
    bits = max(span.bit_length(), 1)
    previous = np.zeros(count, dtype=np.int64)  # (never read on a group's first row)
    if int(number[-1]).bit_length() + bits <= PACKED_BITS:
        running = np.maximum.accumulate((number << bits) | (seconds - low))
        previous[1:] = (running[:-1] & ((1 << bits) - 1)) + low
    else:  # too many groups to share an int64 with the dates: group in polars
        previous = (
            pl.DataFrame({"number": number, "end": seconds})
            .select(pl.col("end").cum_max().shift(1).over("number"))
            .to_series()
            .fill_null(0)
            .to_numpy()
        )
    starts = ordered["start"].astype("datetime64[s]")
    started = starts.notna().to_numpy()
    start_seconds = _seconds(starts.fillna(FAR_FUTURE))
    overlap = ~first_of_group & known & started & (start_seconds <= previous)
    return ordered, overlap


def _seconds(series: pd.Series) -> np.ndarray:
    """A datetime64[s] column without NaT as int64 seconds since 1970."""
    return series.to_numpy(dtype="datetime64[s]").astype(np.int64)


def _open_cases(cases: pd.DataFrame, as_of: date) -> np.ndarray:
    closed = _dates(cases["closed_on"])
    return (closed.isna() | (closed > _on(as_of))).to_numpy(dtype=bool)


def _current_members(members: pd.DataFrame, cases: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Members whose membership covers the case's reference date (as_of, or the closing date)."""
    reference = cases[["case_id", "closed_on"]].copy()
    closed = _dates(reference["closed_on"])
    reference["reference"] = closed.where(closed.notna() & (closed <= _on(as_of)), _on(as_of))
    joined = members.merge(reference[["case_id", "reference"]], on="case_id", how="inner")
    start = _dates(joined["valid_from"])
    end = _dates(joined["valid_to"])
    covers = (start.isna() | (start <= joined["reference"])) & (
        end.isna() | (end >= joined["reference"])
    )
    return joined[covers.to_numpy(dtype=bool)]


def check_cases(source: TableSource, context: CheckContext, results: Results) -> None:
    """Completeness, plausibility and currency of cases, their members and budgets."""
    as_of = context.as_of
    params = context.params
    cases = source.frame(
        "cases",
        [
            "case_id",
            "source_key",
            "domain",
            "opened_on",
            "closed_on",
            "closing_reason",
            "responsible_staff_id",
            "segment",
            "segment_since",
        ],
    )
    members = source.frame(
        "case_members",
        ["case_member_id", "source_key", "case_id", "person_id", "role", "valid_from", "valid_to"],
    )
    persons = source.frame("persons", ["person_id", "source_key", "birth_date"])
    open_mask = _open_cases(cases, as_of)
    aid = (cases["domain"] == "economic_aid").fillna(False).to_numpy(dtype=bool)
    open_aid = open_mask & aid
    opened = _dates(cases["opened_on"])
    closed = _dates(cases["closed_on"])

    current = _current_members(members, cases, as_of)
    leads = current[(current["role"] == "lead").fillna(False).to_numpy(dtype=bool)]
    lead_counts = leads.groupby("case_id").size()
    count = cases["case_id"].map(lead_counts).fillna(0).astype(int).to_numpy()

    results.checked("open-case-without-lead", int(open_aid.sum()))
    results.fail("open-case-without-lead", "cases", cases, open_aid & (count == 0))
    results.checked("case-several-leads", len(cases))
    results.fail("case-several-leads", "cases", cases, count > 1)

    results.checked("open-case-without-social-worker", int(open_aid.sum()))
    results.fail(
        "open-case-without-social-worker",
        "cases",
        cases,
        open_aid & cases["responsible_staff_id"].isna().to_numpy(),
        "responsible_staff_id",
    )

    past_intake = (
        (opened < _on(as_of - timedelta(days=params.intake_days)))
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    results.checked("open-case-without-segment", int((open_aid & past_intake).sum()))
    results.fail(
        "open-case-without-segment",
        "cases",
        cases,
        open_aid & past_intake & cases["segment"].isna().to_numpy(),
        "segment",
    )

    has_closed = cases["closed_on"].notna().to_numpy()
    results.checked("closed-case-without-reason", int(has_closed.sum()))
    results.fail(
        "closed-case-without-reason",
        "cases",
        cases,
        has_closed & cases["closing_reason"].isna().to_numpy(),
        "closing_reason",
    )

    results.checked("closed-before-opened", int(has_closed.sum()))
    results.fail(
        "closed-before-opened",
        "cases",
        cases,
        (closed < opened).fillna(False).to_numpy(dtype=bool),
        "closed_on",
    )

    results.checked("date-in-the-future", len(cases))
    results.fail(
        "date-in-the-future",
        "cases",
        cases,
        (opened > _on(as_of)).fillna(False).to_numpy(dtype=bool),
        "opened_on",
    )

    # The lead's birth before the opening; children younger than the lead.
    births = _dates(persons.set_index("person_id")["birth_date"])
    lead_births = leads.assign(birth=_mapped_dates(leads["person_id"], births).to_numpy())
    lead_birth = lead_births.groupby("case_id")["birth"].min()
    case_lead_birth = _mapped_dates(cases["case_id"], lead_birth)
    results.checked("lead-born-after-opening", int(case_lead_birth.notna().sum()))
    results.fail(
        "lead-born-after-opening",
        "cases",
        cases,
        (case_lead_birth >= opened).fillna(False).to_numpy(dtype=bool),
        "opened_on",
    )
    children = current[(current["role"] == "child").fillna(False).to_numpy(dtype=bool)]
    child_birth = _mapped_dates(children["person_id"], births)
    parent_birth = _mapped_dates(children["case_id"], lead_birth)
    comparable = child_birth.notna() & parent_birth.notna()
    results.checked("child-older-than-parent", int(comparable.sum()))
    results.fail(
        "child-older-than-parent",
        "case_members",
        children,
        (comparable & (child_birth <= parent_birth)).to_numpy(dtype=bool),
        "person_id",
    )

    _contacts(source, context, results, cases, open_mask)
    _budgets(source, context, results, cases, open_aid)
    if not context.delta:
        _lead_addresses(source, context, results, cases, leads, open_aid)
        _staff(source, results, cases, open_mask)


def _lead_addresses(
    source: TableSource,
    context: CheckContext,
    results: Results,
    cases: pd.DataFrame,
    leads: pd.DataFrame,
    open_aid: np.ndarray,
) -> None:
    as_of = _on(context.as_of)
    # isin with a Series stays in Arrow; a Python set would iterate millions of values.
    open_ids = cases["case_id"][open_aid]
    lead_ids = leads["person_id"][leads["case_id"].isin(open_ids).to_numpy(dtype=bool)]
    addresses = source.frame("addresses", ["address_id", "person_id", "valid_from", "valid_to"])
    start, end = _dates(addresses["valid_from"]), _dates(addresses["valid_to"])
    current = ((start.isna() | (start <= as_of)) & (end.isna() | (end >= as_of))).to_numpy(
        dtype=bool
    )
    housed = addresses["person_id"][current]
    persons = source.frame("persons", ["person_id", "source_key"])
    concerned = persons["person_id"].isin(lead_ids).to_numpy(dtype=bool)
    results.checked("lead-without-current-address", int(concerned.sum()))
    results.fail(
        "lead-without-current-address",
        "persons",
        persons,
        concerned & ~persons["person_id"].isin(housed).to_numpy(dtype=bool),
    )


def _contacts(
    source: TableSource,
    context: CheckContext,
    results: Results,
    cases: pd.DataFrame,
    open_mask: np.ndarray,
) -> None:
    as_of = context.as_of
    params = context.params
    journal = source.frame(
        "journal_entries",
        [
            "journal_entry_id",
            "source_key",
            "case_id",
            "occurred_at",
            "contact_type",
            "duration_minutes",
        ],
    )
    contact = journal["contact_type"]
    duration = journal["duration_minutes"]
    personal = contact.isin(PERSONAL_CONTACT).fillna(False).to_numpy(dtype=bool)
    # The reference models record a duration for personal talks (DauerMin, DauerStd,
    # dauer) and none otherwise: a home visit without one is normal.
    talks = (contact == "personal_talk").fillna(False).to_numpy(dtype=bool)
    if context.keeps("journal_entries.duration_minutes"):
        results.checked("talk-without-duration", int(talks.sum()))
        results.fail(
            "talk-without-duration",
            "journal_entries",
            journal,
            talks & duration.isna().to_numpy(),
            "duration_minutes",
        )
    non_contact = ~contact.isin(WITH_DURATION).fillna(False).to_numpy(dtype=bool)
    results.checked("duration-on-non-contact", len(journal))
    results.fail(
        "duration-on-non-contact",
        "journal_entries",
        journal,
        non_contact & duration.notna().to_numpy(),
        "duration_minutes",
    )
    occurred = _dates(journal["occurred_at"])
    results.checked("date-in-the-future", len(journal))
    moment = datetime.combine(as_of, datetime.max.time())
    results.fail(
        "date-in-the-future",
        "journal_entries",
        journal,
        (occurred > pd.Timestamp(moment)).fillna(False).to_numpy(dtype=bool),
        "occurred_at",
    )

    if context.delta:
        return  # a delta need not hold the case's journal
    segment = cases["segment"]
    judged = open_mask & segment.notna().to_numpy()
    window = np.where(
        (segment == "A").fillna(False).to_numpy(dtype=bool),
        params.window_a_days,
        params.window_bc_days,
    )
    since = _dates(cases["segment_since"]).fillna(_dates(cases["opened_on"]))
    window_start = pd.Series(_on(as_of) - pd.to_timedelta(window, unit="D"), index=cases.index)
    in_clock = (since <= window_start).fillna(False).to_numpy(dtype=bool)
    judged &= in_clock
    contacts = journal[personal][["case_id"]].assign(at=occurred[personal])
    contacts = contacts[contacts["at"] <= pd.Timestamp(moment)]
    last = contacts.groupby("case_id")["at"].max()
    last_contact = _mapped_dates(cases["case_id"], last)
    overdue = judged & ~(last_contact >= window_start).fillna(False).to_numpy(dtype=bool)
    results.checked("contact-overdue", int(judged.sum()))
    results.fail("contact-overdue", "cases", cases, overdue)


def _budgets(
    source: TableSource,
    context: CheckContext,
    results: Results,
    cases: pd.DataFrame,
    open_aid: np.ndarray,
) -> None:
    as_of = _on(context.as_of)
    budgets = source.frame(
        "budgets", ["budget_id", "source_key", "case_id", "valid_from", "valid_to", "status"]
    )
    approved = budgets[(budgets["status"] == "approved").fillna(False).to_numpy(dtype=bool)].copy()
    approved["start"] = _dates(approved["valid_from"])
    approved["end"] = _dates(approved["valid_to"])
    current = approved[
        (approved["start"] <= as_of) & (approved["end"].isna() | (approved["end"] >= as_of))
    ]
    with_current = current["case_id"]
    if not context.delta:  # a delta need not hold the case's budgets
        results.checked("open-case-without-current-budget", int(open_aid.sum()))
        results.fail(
            "open-case-without-current-budget",
            "cases",
            cases,
            open_aid & ~cases["case_id"].isin(with_current).to_numpy(dtype=bool),
        )

    ordered, overlap = _overlaps(approved, "case_id", "budget_id")
    results.checked("budget-periods-overlap", len(approved))
    results.fail("budget-periods-overlap", "budgets", ordered, overlap, "valid_from")

    # Per-row checks, a part at a time: a large table need not be held whole for them.
    limits = {
        "budget_items": context.params.max_budget_item_chf,
        "payments": context.params.max_payment_chf,
    }
    for name, limit in limits.items():
        key = TABLES[name].primary_key
        for part in source.column_batches(name, [key, "source_key", "amount_chf"]):
            amounts = _floats(part["amount_chf"])
            results.checked("amount-out-of-range", len(part))
            results.fail(
                "amount-out-of-range",
                name,
                part,
                ((amounts < 0) | (amounts > limit)).fillna(False).to_numpy(dtype=bool),
                "amount_chf",
            )


def _staff(
    source: TableSource, results: Results, cases: pd.DataFrame, open_mask: np.ndarray
) -> None:
    staff = source.frame("staff", ["staff_id", "active"])
    inactive = staff["staff_id"][(staff["active"] == False).fillna(False).to_numpy(dtype=bool)]  # noqa: E712
    assigned = open_mask & cases["responsible_staff_id"].notna().to_numpy()
    results.checked("responsible-staff-inactive", int(assigned.sum()))
    results.fail(
        "responsible-staff-inactive",
        "cases",
        cases,
        assigned & cases["responsible_staff_id"].isin(inactive).fillna(False).to_numpy(dtype=bool),
        "responsible_staff_id",
    )


def check_persons(source: TableSource, context: CheckContext, results: Results) -> None:
    """Addresses whose periods overlap; birth dates in the future."""
    persons = source.frame("persons", ["person_id", "source_key", "birth_date"])
    results.checked("date-in-the-future", len(persons))
    results.fail(
        "date-in-the-future",
        "persons",
        persons,
        (_dates(persons["birth_date"]) > _on(context.as_of)).fillna(False).to_numpy(dtype=bool),
        "birth_date",
    )
    addresses = source.frame(
        "addresses", ["address_id", "source_key", "person_id", "valid_from", "valid_to"]
    )
    frame = addresses.assign(
        start=_dates(addresses["valid_from"]), end=_dates(addresses["valid_to"])
    )
    dated = frame[frame["start"].notna().to_numpy(dtype=bool)]
    ordered, overlap = _overlaps(dated, "person_id", "address_id")
    results.checked("address-periods-overlap", len(dated))
    results.fail("address-periods-overlap", "addresses", ordered, overlap, "valid_from")


__all__ = ["check_cases", "check_persons"]
